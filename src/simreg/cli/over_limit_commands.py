"""``simreg base over-limit-find``: open an RN-14 case for every document over the per-ID
limit, from cron after each import or by hand. Cases are then resolved on /base/over-limit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from simreg.bootstrap import bootstrap
from simreg.core.errors import DomainError
from simreg.core.settings import Settings
from simreg.db.over_limit_store import active_staff, case_counts

console = Console()
err = Console(stderr=True)

DatabaseUrl = Annotated[str | None, typer.Option("--database-url", envvar="SIMREG_DATABASE_URL")]
DataDir = Annotated[Path | None, typer.Option("--data-dir", envvar="SIMREG_DATA_DIR")]
Username = Annotated[
    str,
    typer.Option("--as", help="the risk analyst or administrator the search is recorded under"),
]


def over_limit_find(
    username: Username, database_url: DatabaseUrl = None, data_dir: DataDir = None
) -> None:
    """Find every personal document holding more lines than the limit (RN-14) and open a case
    for each that has none open. Running it again opens nothing new."""
    values: dict[str, object] = {}
    if database_url:
        values["database_url"] = database_url
    if data_dir:
        values["data_dir"] = data_dir
    simreg = bootstrap(Settings.model_validate(values))
    try:
        with simreg.engine.connect() as conn:
            actor = active_staff(conn, username)
        if actor is None:
            err.print(f"[red]STAFF-UNKNOWN[/red]: no active staff member {username!r}")
            raise typer.Exit(2)
        opened = simreg.over_limit.find(actor)
        with simreg.engine.connect() as conn:
            counts = case_counts(conn, simreg.settings.per_id_limit)
    except DomainError as error:
        err.print(f"[red]{error.code}[/red]: {error.message}")
        raise typer.Exit(2) from None
    finally:
        simreg.close()
    console.print(
        f"{opened:,} new cases; {counts['documents_over_limit']:,} documents over the limit of "
        f"{simreg.settings.per_id_limit}; {counts['open_cases']:,} open, "
        f"{counts['resolved_cases']:,} resolved"
    )
