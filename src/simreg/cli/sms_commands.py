"""`simreg sms ...`: run the outbox dispatcher, see what the outbox holds, and run a local SMSC
to try the SMPP path end to end."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from simreg.adapters.sms_local_smsc import LocalSmsc, ReceivedMessage
from simreg.bootstrap import Simreg
from simreg.cli.console import CliConsole
from simreg.cli.context import DatabaseUrl, DataDir, cli_settings, opened
from simreg.db.engine import make_engine
from simreg.db.sms_outbox_store import SqlOutboxTransaction
from simreg.sms.dispatch import DispatchReport, SmsDispatcher

sms_app = typer.Typer(
    help="SMS: the outbox dispatcher, its status, and a local SMSC for trying SMPP.",
    no_args_is_help=True,
)
console = CliConsole()
err = CliConsole(stderr=True)

STATUSES = ("queued", "sending", "sent", "delivered", "failed", "uncertain")


def start_dispatching(simreg: Simreg) -> Callable[[], None]:
    """Run the outbox dispatcher on a thread beside the web server; returns what stops it."""
    dispatcher = simreg.sms
    if dispatcher is None:
        return lambda: None
    settings = simreg.settings
    where = (
        settings.sms_file
        if settings.sms_gateway == "file"
        else (f"SMPP {settings.smpp_host}:{settings.smpp_port}")
    )
    quiet = settings.sms_quiet_hours or "none"
    console.print(
        f"SMS dispatcher: {where}; quiet hours {quiet} ({settings.timezone}); "
        f"{settings.sms_rate_per_second:g}/s",
        highlight=False,
    )
    stop = threading.Event()
    thread = threading.Thread(
        target=dispatcher.run_forever, args=(stop,), name="sms-dispatcher", daemon=True
    )
    thread.start()

    def halt() -> None:
        stop.set()
        thread.join(10)

    return halt


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")


@sms_app.command("dispatch")
def dispatch(
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    once: Annotated[bool, typer.Option("--once", help="one batch, then exit")] = False,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="messages per batch")] = 500,
    receipt_wait: Annotated[
        float, typer.Option(min=0, help="with --once: seconds to wait for delivery receipts")
    ] = 3.0,
) -> None:
    """Send queued SMS through the configured gateway (SIMREG_SMS_GATEWAY: file or smpp), at
    SIMREG_SMS_RATE_PER_SECOND and outside SIMREG_SMS_QUIET_HOURS. Several may run at once."""
    _logging()
    with opened(database_url, data_dir) as simreg:
        dispatcher = simreg.sms
        assert dispatcher is not None  # bootstrap builds one for every gateway setting
        abandoned = dispatcher.recover()
        if abandoned:
            err.print(
                f"[yellow]{len(abandoned)} messages were left in sending by a stopped "
                "dispatcher and are now uncertain (not resent); see `simreg sms status`[/yellow]"
            )
        if once:
            report = dispatcher.run_once(limit)
            report.receipts += _await_receipts(dispatcher, report, receipt_wait)
            _print_report(report)
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        console.print(
            f"dispatching through the {simreg.settings.sms_gateway} gateway; Ctrl-C stops"
        )
        dispatcher.run_forever(stop, limit=limit)


def _await_receipts(dispatcher: SmsDispatcher, report: DispatchReport, seconds: float) -> int:
    """Receipts trail their messages by a moment; a one-shot run waits for them briefly."""
    collected = 0
    deadline = time.monotonic() + seconds
    while collected < report.sent and time.monotonic() < deadline:
        time.sleep(0.2)
        collected += dispatcher.collect_receipts()
    return collected


def _print_report(report: DispatchReport) -> None:
    if report.quiet_until is not None:
        console.print(f"quiet hours: nothing is sent before {report.quiet_until:%Y-%m-%d %H:%M %Z}")
        return
    console.print(
        f"claimed {report.claimed}: sent {report.sent}, failed {report.failed}, "
        f"uncertain {report.uncertain}, back in queue {report.deferred}; "
        f"receipts recorded {report.receipts}"
    )


@sms_app.command("status")
def status(
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    show: Annotated[int, typer.Option("--show", min=0, help="uncertain messages to list")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False,
) -> None:
    """Messages in the outbox by status, and the uncertain ones: submitted by a dispatcher that
    stopped before recording the outcome. They are never resent automatically."""
    # Only the outbox is read: no key is needed, so it works beside a demo too.
    engine = make_engine(cli_settings(database_url, data_dir).resolved_database_url())
    try:
        with engine.begin() as conn:
            tx = SqlOutboxTransaction(conn)
            counts = tx.counts()
            uncertain = tx.uncertain(show)
    finally:
        engine.dispose()
    if as_json:
        listed = [
            {
                "id": m.id,
                "dedupe_key": m.dedupe_key,
                "msisdn": m.msisdn,
                "campaign_id": m.campaign_id,
                "claimed_at": m.claimed_at.isoformat() if m.claimed_at else None,
                "error": m.error,
            }
            for m in uncertain
        ]
        counted = {s: counts.get(s, 0) for s in STATUSES}
        console.print_json(json.dumps({"counts": counted, "uncertain": listed}))
        return
    table = Table("status", "messages")
    for name in STATUSES:
        table.add_row(name, str(counts.get(name, 0)))
    console.print(table)
    if uncertain:
        listing = Table("id", "dedupe key", "MSISDN", "claimed at", "why", title="uncertain")
        for m in uncertain:
            claimed = f"{m.claimed_at:%Y-%m-%d %H:%M:%S}" if m.claimed_at else ""
            listing.add_row(str(m.id), m.dedupe_key, m.msisdn, claimed, m.error or "")
        console.print(listing)


@sms_app.command("smsc")
def smsc(
    host: str = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 2775,
    fail_every: Annotated[
        int, typer.Option(min=0, help="every N-th message gets an UNDELIV receipt; 0: none")
    ] = 0,
    journal: Annotated[Path, typer.Option(help="every received message as one JSON line")] = Path(
        "smsc-received.jsonl"
    ),
    system_id: str = "simreg-smsc",
) -> None:
    """A local SMSC (SMPP 3.4 server) to try SIMREG_SMS_GATEWAY=smpp against: prints each
    message it receives, keeps it in the journal, and returns delivery receipts."""
    _logging()

    def show(message: ReceivedMessage) -> None:
        console.print(
            f"{message.at[11:19]} {message.source} -> {message.destination} "
            f"[{message.parts} part(s), coding {message.data_coding}, {message.receipt}] "
            f"{message.text}",
            highlight=False,
            soft_wrap=True,
        )

    server = LocalSmsc(
        host, port, system_id=system_id, fail_every=fail_every, journal=journal, on_message=show
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        server.start()
    except OSError as error:
        err.print(f"[red]cannot listen on {host}:{port}[/red]: {error}")
        raise typer.Exit(1) from None
    console.print(f"SMSC listening on {host}:{port}; journal {journal}; Ctrl-C stops")
    while not stop.wait(0.5):
        pass
    server.stop()
    console.print(f"received {len(server.messages)} messages")
