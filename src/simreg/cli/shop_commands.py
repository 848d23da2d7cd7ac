"""``simreg shop sweep``: close what the online shop's clocks say is over (reservations not
followed up, approved orders not collected, checks that waited too long), from cron or by
hand; ``simreg serve`` runs the same sweep every minute beside the web server."""

from __future__ import annotations

import logging
from collections.abc import Callable

import typer

from simreg.bootstrap import Simreg
from simreg.cli.clock_thread import ClockThread
from simreg.cli.console import CliConsole
from simreg.cli.context import DatabaseUrl, DataDir, opened

log = logging.getLogger("simreg.shop")
console = CliConsole()
shop_app = typer.Typer(help="The online shop (RN-10, RN-11).", no_args_is_help=True)
SWEEP_SECONDS = 60.0


@shop_app.command("sweep")
def sweep(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """Expire lapsed reservations and uncollected orders; their numbers go back to the pool."""
    with opened(database_url, data_dir) as simreg:
        done = simreg.shop.sweep()
    console.print(
        f"{done.reservations_expired} reservations expired, {done.collections_lapsed} "
        f"uncollected orders lapsed, {done.checks_abandoned} checks given up"
    )


def start_shop_clock(simreg: Simreg, every: float = SWEEP_SECONDS) -> Callable[[], None]:
    """Sweep on a daemon thread; returns what stops it."""

    def tick() -> None:
        done = simreg.shop.sweep()
        if done.reservations_expired or done.collections_lapsed or done.checks_abandoned:
            log.info("online shop: %s", done)

    return ClockThread(
        "shop-sweep", tick, every, log, "online shop sweep failed", wait_first=True
    ).start()
