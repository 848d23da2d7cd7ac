"""``simreg shop sweep``: close what the online shop's clocks say is over (reservations not
followed up, approved orders not collected, checks that waited too long), from cron or by
hand; ``simreg serve`` runs the same sweep every minute beside the web server."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from simreg.bootstrap import Simreg, bootstrap
from simreg.core.errors import DomainError
from simreg.core.settings import Settings

log = logging.getLogger("simreg.shop")
console = Console()
err = Console(stderr=True)
shop_app = typer.Typer(help="The online shop (RN-10, RN-11).", no_args_is_help=True)
SWEEP_SECONDS = 60.0

DatabaseUrl = Annotated[str | None, typer.Option("--database-url", envvar="SIMREG_DATABASE_URL")]
DataDir = Annotated[Path | None, typer.Option("--data-dir", envvar="SIMREG_DATA_DIR")]


@shop_app.command("sweep")
def sweep(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Expire lapsed reservations and uncollected orders; their numbers go back to the pool."""
    values: dict[str, object] = {}
    if database_url:
        values["database_url"] = database_url
    if data_dir:
        values["data_dir"] = data_dir
    try:
        simreg = bootstrap(Settings.model_validate(values))
    except DomainError as error:
        err.print(f"[red]{error.code}[/red]: {error.message}")
        raise typer.Exit(2) from None
    try:
        done = simreg.shop.sweep()
    finally:
        simreg.close()
    console.print(
        f"{done.reservations_expired} reservations expired, {done.collections_lapsed} "
        f"uncollected orders lapsed, {done.checks_abandoned} checks given up"
    )


def start_shop_clock(simreg: Simreg, every: float = SWEEP_SECONDS) -> Callable[[], None]:
    """Sweep on a daemon thread; returns what stops it."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(every):
            try:
                done = simreg.shop.sweep()
            except Exception:  # the next round tries again; the server keeps serving
                log.exception("online shop sweep failed")
                continue
            if done.reservations_expired or done.collections_lapsed or done.checks_abandoned:
                log.info("online shop: %s", done)

    thread = threading.Thread(target=run, name="shop-sweep", daemon=True)
    thread.start()

    def halt() -> None:
        stop.set()
        thread.join(10)

    return halt
