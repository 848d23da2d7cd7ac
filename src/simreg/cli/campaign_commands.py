"""`simreg campaigns ...`: the campaign clock for cron or a systemd timer, and a quick look at
every campaign's funnel from the terminal."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from simreg.cli.console import CliConsole
from simreg.cli.context import DatabaseUrl, DataDir, opened
from simreg.core.actors import Actor, Role
from simreg.db.campaign_queries import FUNNEL, campaign_detail, list_campaigns, real_name_rate

campaigns_app = typer.Typer(
    help="Re-registration campaigns (RN-13): run due steps, show funnels.", no_args_is_help=True
)
console = CliConsole()

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


@campaigns_app.command("advance")
def advance(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Create due call tasks and apply due suspensions in every running campaign. Safe to run
    as often as wanted (every few minutes from cron is typical)."""
    with opened(database_url, data_dir) as simreg:
        results = simreg.campaigns.advance()
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
    with opened(database_url, data_dir) as simreg, simreg.engine.connect() as conn:
        rate = real_name_rate(conn)
        found = [campaign_detail(conn, _READER, c["id"]) for c in list_campaigns(conn, _READER)]
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
