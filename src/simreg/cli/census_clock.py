"""The daily census beside the web server (ADR 12): today's census is taken when the server
starts and refreshed every ``report_census_minutes``, so the last one taken before midnight
stands for the day, the way `simreg report census` does from cron."""

from __future__ import annotations

import logging
from collections.abc import Callable

from simreg.bootstrap import Simreg
from simreg.cli.clock_thread import ClockThread

log = logging.getLogger("simreg.reports")


def start_census_clock(simreg: Simreg, every: float | None = None) -> Callable[[], None]:
    """Start the census on a daemon thread; returns what stops it."""
    period = every if every is not None else simreg.settings.report_census_minutes * 60.0

    def tick() -> None:
        census = simreg.reports.take_census(None)
        log.info(
            "census of %s: %s lines in service, %s ms",
            census.day,
            census.lines_in_service,
            census.elapsed_ms,
        )

    return ClockThread("report-census", tick, period, log, "census failed").start()
