"""``simreg``: run the service, seed a demo, manage the schema and keys."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn

from simreg.bootstrap import Simreg, bootstrap
from simreg.cli import setup_commands
from simreg.cli.access_log import log_config
from simreg.cli.base_commands import base_app
from simreg.cli.campaign_clock import start_campaign_clock
from simreg.cli.campaign_commands import campaigns_app
from simreg.cli.census_clock import start_census_clock
from simreg.cli.console import CliConsole
from simreg.cli.context import DatabaseUrl, DataDir, cli_settings, fail, opened
from simreg.cli.demo_data_command import demo_data
from simreg.cli.demo_guard import (
    clear_demo_dir,
    mark_demo_dir,
    require_empty_database,
    require_free_port,
)
from simreg.cli.identity_commands import identity_app, identity_authority_app
from simreg.cli.identity_retry_clock import start_check_retrier
from simreg.cli.over_limit_commands import over_limit_find
from simreg.cli.report_commands import report_app
from simreg.cli.shop_commands import shop_app, start_shop_clock
from simreg.cli.sms_commands import sms_app, start_dispatching
from simreg.core.actors import Role
from simreg.core.crypto import generate_master_key
from simreg.core.errors import DomainError
from simreg.core.settings import Settings
from simreg.db import directory
from simreg.db.engine import make_engine
from simreg.db.migrate import pending_revision, schema_drift, upgrade

app = typer.Typer(help="simreg: real-name registration for mobile lines.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
staff_app = typer.Typer(help="Staff accounts and API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(staff_app, name="staff")
setup_app = typer.Typer(
    help="Channels, outlets, devices and the number pool.", no_args_is_help=True
)
setup_commands.register(setup_app)
app.add_typer(setup_app, name="setup")
app.add_typer(campaigns_app, name="campaigns")
base_app.command("over-limit-find")(over_limit_find)
app.add_typer(base_app, name="base")
app.add_typer(sms_app, name="sms")
app.add_typer(identity_authority_app, name="identity-authority")
app.add_typer(identity_app, name="identity")
app.add_typer(shop_app, name="shop")
app.add_typer(report_app, name="report")
app.command("demo-data")(demo_data)
console = CliConsole()
err = CliConsole(stderr=True)

DispatchSms = Annotated[
    bool,
    typer.Option(
        "--dispatch-sms/--no-dispatch-sms",
        help="send the SMS outbox and run the campaign clock on background threads "
        "(or run `simreg sms dispatch` and `simreg campaigns advance` yourself)",
    ),
]


@app.command()
def keygen() -> None:
    """Print a new master key for SIMREG_MASTER_KEY (store it in your secret store)."""
    console.print(generate_master_key(), highlight=False, soft_wrap=True)


@app.command()
def serve(
    ctx: typer.Context,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    demo: Annotated[bool, typer.Option(help="start on a fresh, seeded demo database")] = False,
    workers: Annotated[int, typer.Option(min=1, max=64, help="server processes")] = 1,
    dispatch_sms: DispatchSms = True,
) -> None:
    """Run the HTTP service (migrations are applied on start)."""
    if demo:
        # The demo takes only what was typed: SIMREG_DATABASE_URL and SIMREG_DATA_DIR name
        # the operator's real database and files.
        typed = {
            name: getattr(ctx.get_parameter_source(name), "name", None) != "ENVIRONMENT"
            for name in ("database_url", "data_dir")
        }
        run_demo(
            database_url if typed["database_url"] else None,
            (data_dir if typed["data_dir"] else None) or Path("simreg-demo"),
            host,
            port,
            serve_http=True,
            dispatch_sms=dispatch_sms,
        )
        return
    try:
        simreg = bootstrap(cli_settings(database_url, data_dir))
    except DomainError as error:
        fail(error)
    if simreg.settings.sms_gateway == "file" and not simreg.settings.demo:
        # The file gateway writes each SMS, personal link included, in clear to a file.
        err.print(
            f"warning: SMS go to {simreg.settings.sms_file} (SIMREG_SMS_GATEWAY=file), not to "
            "subscribers, and their links are readable there; set SIMREG_SMS_GATEWAY=smpp "
            "in production",
            highlight=False,
        )
    if workers == 1:
        _serve(simreg, host, port, dispatch_sms=dispatch_sms)
        return
    # Several processes: each builds its own app from the same settings (passed by environment).
    simreg.close()
    if database_url:
        os.environ["SIMREG_DATABASE_URL"] = database_url
    if data_dir:
        os.environ["SIMREG_DATA_DIR"] = str(data_dir)
    uvicorn.run(
        "simreg.web.app:create_app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=log_config(),
        **_proxy_options(simreg.settings),
    )


def _proxy_options(settings: Settings) -> dict[str, Any]:
    """Forwarded headers are believed only from the proxies named in settings (a same-host
    proxy by default); with none named, from nobody, so a client behind a TCP pass-through
    cannot name its own address in X-Forwarded-For and escape the per-address limits."""
    trusted = settings.trusted_proxies.strip()
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None}


def _serve(simreg: Simreg, host: str, port: int, *, dispatch_sms: bool = False) -> None:
    from simreg.web.app import create_app

    stop_sms = start_dispatching(simreg) if dispatch_sms else None
    # The same switch runs the campaign clock: one background process per deployment.
    stop_clock = start_campaign_clock(simreg) if dispatch_sms else None
    # Registrations waiting on an unavailable identity authority are checked again.
    stop_retrier = start_check_retrier(simreg)
    # Online reservations and uncollected orders expire; their numbers return to the pool.
    stop_shop = start_shop_clock(simreg)
    # Today's census is taken now and refreshed through the day (ADR 12).
    stop_census = start_census_clock(simreg)
    try:
        uvicorn.run(
            create_app(simreg),
            host=host,
            port=port,
            log_level="info",
            log_config=log_config(),
            **_proxy_options(simreg.settings),
        )
    finally:
        for stop in (stop_sms, stop_clock, stop_retrier, stop_shop, stop_census):
            if stop is not None:
                stop()
        simreg.close()


@app.command()
def demo(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="an empty database for the demo (never taken from SIMREG_DATABASE_URL); "
            "default is an SQLite file in the data directory",
        ),
    ] = None,
    data_dir: Annotated[Path, typer.Option("--data-dir")] = Path("simreg-demo"),
    host: str = "127.0.0.1",
    port: int = 8000,
    serve_http: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
    customers: Annotated[int, typer.Option(min=0, max=20000)] = 300,
    dispatch_sms: DispatchSms = True,
    legacy_lines: Annotated[
        int, typer.Option(min=0, max=1_000_000, help="legacy base lines to import (0: none)")
    ] = 3000,
) -> None:
    """Start simreg on a fresh demo database seeded with channels, staff, numbers, customers,
    a legacy base and a running re-registration campaign."""
    run_demo(
        database_url,
        data_dir,
        host,
        port,
        serve_http=serve_http,
        customers=customers,
        dispatch_sms=dispatch_sms,
        legacy_lines=legacy_lines,
    )


def run_demo(
    database_url: str | None,
    data_dir: Path,
    host: str,
    port: int,
    *,
    serve_http: bool,
    customers: int = 300,
    dispatch_sms: bool = True,
    legacy_lines: int = 3000,
) -> None:
    from simreg.demo.identity_authority import start_demo_authority
    from simreg.demo.seed import seed_demo
    from simreg.demo.show import print_access

    try:
        if serve_http:
            require_free_port(host, port)
        clear_demo_dir(data_dir)  # a demo always starts from the same, known state
        mark_demo_dir(data_dir)
        if database_url:
            require_empty_database(database_url)
    except DomainError as error:
        fail(error)
    # Named here, so the settings do not fall back to SIMREG_DATABASE_URL from the shell.
    database_url = database_url or f"sqlite:///{(data_dir / 'simreg.db').resolve()}"
    demo_defaults: dict[str, object] = {}
    authority = None
    if "SIMREG_IDENTITY_AUTHORITY_URL" not in os.environ:
        # RN-10 checks go over real HTTP to the simulator, next to the demo's port if free.
        try:
            authority = start_demo_authority(host, port + 1)
        except OSError:
            authority = start_demo_authority(host)
        demo_defaults["identity_authority_url"] = authority.url
    if "SIMREG_PUBLIC_BASE_URL" not in os.environ:
        demo_defaults["public_base_url"] = f"http://{host}:{port}"  # links in the demo's SMS
    if "SIMREG_SMS_QUIET_HOURS" not in os.environ:
        demo_defaults["sms_quiet_hours"] = ""  # a demo sends at any hour
    try:
        settings = cli_settings(database_url, data_dir, demo=True, **demo_defaults)
        simreg = bootstrap(settings)
        access = seed_demo(
            simreg, customers=customers, progress=sys.stderr.isatty(), legacy_lines=legacy_lines
        )
        print_access(console, access, f"http://{host}:{port}", data_dir)
        console.print(
            f"Identity authority: {settings.identity_authority_url or 'none'}"
            + (" (simulator; PUT /admin/behaviour makes it slow or failing)" if authority else ""),
            highlight=False,
        )
        if serve_http:
            _serve(simreg, host, port, dispatch_sms=dispatch_sms)
        else:
            simreg.close()
    finally:
        if authority is not None:
            authority.stop()


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Apply all migrations to the database."""
    settings = cli_settings(database_url, data_dir)
    engine = make_engine(settings.resolved_database_url())
    upgrade(engine)
    console.print(f"schema up to date on {engine.dialect.name}")
    engine.dispose()


@db_app.command("check")
def db_check(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Fail when migrations are pending, or the schema differs from the table definitions;
    changes nothing (`simreg db upgrade` applies migrations)."""
    settings = cli_settings(database_url, data_dir)
    engine = make_engine(settings.resolved_database_url())
    try:
        pending = pending_revision(engine)
        drift = [] if pending else schema_drift(engine)
    finally:
        engine.dispose()
    if pending:
        current, head = pending
        err.print(
            f"migrations pending: the database is at {current or 'no revision (empty)'}, "
            f"the code at {head}; run `simreg db upgrade`",
            highlight=False,
        )
        raise typer.Exit(1)
    if drift:
        for item in drift:
            err.print(f"drift: {item}")
        raise typer.Exit(1)
    console.print("models and migrations agree")


@staff_app.command("add")
def staff_add(
    username: str,
    role: Annotated[Role, typer.Option()],
    display_name: Annotated[str, typer.Option()] = "",
    outlet: Annotated[str | None, typer.Option(help="outlet code (clerks)")] = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Create a staff member: print a temporary password for the pages (changed at first
    login) and an API token, each shown once."""
    from simreg.db.staff_store import SqlStaffTransaction
    from simreg.staff.domain import temporary_password
    from simreg.staff.services import create_account_in

    with opened(database_url, data_dir) as simreg, simreg.engine.begin() as conn:
        now = simreg.clock.now()
        password = temporary_password(username)
        staff_id = create_account_in(
            SqlStaffTransaction(conn),
            simreg.staff.hasher,
            at=now,
            by=None,
            username=username,
            display_name=display_name,
            role=role,
            outlet_code=outlet,
            password=password,
        )
        expires = simreg.settings.api_token_expiry(now)
        token = directory.issue_token(
            conn, simreg.vault.tokens, at=now, staff_id=staff_id, label="cli", expires_at=expires
        )
    console.print(
        f"created {username.strip().lower()} ({role.value}); temporary password: {password} "
        f"(to be changed at first login); token: {token}{_until(expires)}",
        highlight=False,
        soft_wrap=True,
    )


@staff_app.command("password")
def staff_password(
    username: str,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Give a staff member a new temporary password (shown once, changed at first login):
    the account is unlocked, and its page sessions and API tokens end (a new token:
    `simreg staff token`)."""
    with opened(database_url, data_dir) as simreg:
        password = simreg.staff.set_temporary_password(username)
    console.print(
        f"temporary password for {username.strip().lower()}: {password} "
        "(to be changed at first login)",
        highlight=False,
        soft_wrap=True,
    )


@staff_app.command("token")
def staff_token(
    username: str,
    revoke_others: Annotated[
        bool,
        typer.Option(
            "--revoke-others/--keep-others", help="revoke the staff member's older tokens"
        ),
    ] = True,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Issue a new API token for a staff member (shown once), e.g. before the old one expires;
    their older tokens stop working unless --keep-others."""
    from sqlalchemy import select

    from simreg.db import tables as t

    with opened(database_url, data_dir) as simreg, simreg.engine.begin() as conn:
        staff_id = conn.execute(
            select(t.staff.c.id).where(t.staff.c.username == username, t.staff.c.active)
        ).scalar_one_or_none()
        if staff_id is None:
            err.print(f"no active staff member {username}", highlight=False)
            raise typer.Exit(2)
        now = simreg.clock.now()
        expires = simreg.settings.api_token_expiry(now)
        token = directory.issue_token(
            conn, simreg.vault.tokens, at=now, staff_id=staff_id, label="cli", expires_at=expires
        )
        revoked = 0
        if revoke_others:
            revoked = directory.revoke_staff_tokens(
                conn, staff_id, now, but=simreg.vault.tokens.digest(token)
            )
    console.print(
        f"token for {username}: {token}{_until(expires)}; {revoked} older token(s) revoked",
        highlight=False,
        soft_wrap=True,
    )


def _until(expires: datetime | None) -> str:
    return f" (works until {expires:%Y-%m-%d %H:%M} UTC)" if expires else " (does not expire)"
