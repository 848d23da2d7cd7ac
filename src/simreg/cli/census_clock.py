"""The daily census beside the web server (ADR 12): today's census is taken when the server
starts and refreshed every ``report_census_minutes``, so the last one taken before midnight
stands for the day, the way `simreg report census` does from cron."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from simreg.bootstrap import Simreg

log = logging.getLogger("simreg.reports")


def start_census_clock(simreg: Simreg, every: float | None = None) -> Callable[[], None]:
    """Start the census on a daemon thread; returns what stops it."""
    period = every if every is not None else simreg.settings.report_census_minutes * 60.0
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                census = simreg.reports.take_census(None)
                log.info(
                    "census of %s: %s lines in service, %s ms",
                    census.day,
                    census.lines_in_service,
                    census.elapsed_ms,
                )
            except Exception:  # the next round tries again; the server keeps serving
                log.exception("census failed")
            stop.wait(period)

    thread = threading.Thread(target=run, name="report-census", daemon=True)
    thread.start()

    def halt() -> None:
        stop.set()
        thread.join(10)

    return halt
