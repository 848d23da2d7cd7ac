"""`simreg campaigns ...`: the campaign clock for cron or a systemd timer, and a quick look at
every campaign's funnel from the terminal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from simreg.bootstrap import bootstrap
from simreg.core.actors import Actor, Role
from simreg.core.errors import DomainError
from simreg.core.settings import Settings
from simreg.db.campaign_queries import FUNNEL, campaign_detail, list_campaigns, real_name_rate

campaigns_app = typer.Typer(
    help="Re-registration campaigns (RN-13): run due steps, show funnels.", no_args_is_help=True
)
console = Console()
err = Console(stderr=True)

DatabaseUrl = Annotated[str | None, typer.Option("--database-url", envvar="SIMREG_DATABASE_URL")]
DataDir = Annotated[Path | None, typer.Option("--data-dir", envvar="SIMREG_DATA_DIR")]
SHORT = {
    "targeted": "targets",
    "sms_sent": "sms",
    "sms_delivered": "deliv.",
    "re_registered_after_sms": "rereg/sms",
    "called": "called",
    "re_registered_after_call": "rereg/call",
    "suspended": "susp.",
}
# The terminal is an operator's own: it reads figures as the auditor role does.
_READER = Actor(0, "cli", Role.AUDITOR)


def _settings(database_url: str | None, data_dir: Path | None) -> Settings:
    values: dict[str, object] = {}
    if database_url:
        values["database_url"] = database_url
    if data_dir:
        values["data_dir"] = data_dir
    return Settings.model_validate(values)


@campaigns_app.command("advance")
def advance(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Create due call tasks and apply due suspensions in every running campaign. Safe to run
    as often as wanted (every few minutes from cron is typical)."""
    simreg = bootstrap(_settings(database_url, data_dir))
    try:
        results = simreg.campaigns.advance()
    except DomainError as error:
        err.print(f"[red]{error.code}[/red]: {error.message}")
        raise typer.Exit(2) from None
    finally:
        simreg.close()
    for r in results:
        console.print(
            f"campaign {r.campaign_id}: {r.call_tasks} call tasks, "
            f"{r.suspended_one_way} one-way and {r.suspended_two_way} two-way suspensions"
        )
    if not results:
        console.print("no running campaign")


@campaigns_app.command("list")
def show(
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """Every campaign with its funnel, and the real-name rate of the lines in service."""
    simreg = bootstrap(_settings(database_url, data_dir))
    try:
        with simreg.engine.connect() as conn:
            rate = real_name_rate(conn)
            found = [campaign_detail(conn, _READER, c["id"]) for c in list_campaigns(conn, _READER)]
    finally:
        simreg.close()
    if as_json:
        console.print_json(json.dumps({"real_name": rate, "campaigns": found}))
        return
    share = f"{rate['rate'] * 100:.1f}%" if rate["rate"] is not None else "—"
    console.print(f"Real-name rate: {share} ({rate['verified']:,} of {rate['lines']:,} in service)")
    table = Table(title="Campaign funnels")
    table.add_column("id", justify="right")
    table.add_column("campaign", no_wrap=True)
    table.add_column("status")
    for step in FUNNEL:
        table.add_column(SHORT[step], justify="right")
    for c in found:
        table.add_row(
            str(c["id"]), c["name"], c["status"], *(f"{c['funnel'][step]:,}" for step in FUNNEL)
        )
    console.print(table)
