"""``simreg base over-limit-find``: open an RN-14 case for every document over the per-ID
limit, from cron after each import or by hand. Cases are then resolved on /base/over-limit."""

from __future__ import annotations

from typing import Annotated

import typer

from simreg.cli.console import CliConsole
from simreg.cli.context import DatabaseUrl, DataDir, opened
from simreg.db.over_limit_store import active_staff, case_counts

console = CliConsole()
err = CliConsole(stderr=True)
Username = Annotated[
    str,
    typer.Option("--as", help="the risk analyst or administrator the search is recorded under"),
]


def over_limit_find(
    username: Username, database_url: DatabaseUrl = None, data_dir: DataDir = None
) -> None:
    """Find every personal document holding more lines than the limit (RN-14) and open a case
    for each that has none open. Running it again opens nothing new."""
    with opened(database_url, data_dir) as simreg:
        with simreg.engine.connect() as conn:
            actor = active_staff(conn, username)
        if actor is None:
            err.print(f"[red]STAFF-UNKNOWN[/red]: no active staff member {username!r}")
            raise typer.Exit(2)
        found = simreg.over_limit.find(actor)
        with simreg.engine.connect() as conn:
            counts = case_counts(conn, simreg.settings.per_id_limit)
    console.print(
        f"{found:,} new cases; {counts['documents_over_limit']:,} documents over the limit of "
        f"{simreg.settings.per_id_limit}; {counts['open_cases']:,} open, "
        f"{counts['resolved_cases']:,} resolved"
    )
