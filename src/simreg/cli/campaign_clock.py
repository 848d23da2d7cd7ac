"""The campaign clock beside the web server: every running campaign is moved on (call tasks,
suspensions) at a steady pace, the way `simreg campaigns advance` does from cron."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from simreg.bootstrap import Simreg

log = logging.getLogger("simreg.campaigns")
TICK_SECONDS = 30.0


def start_campaign_clock(simreg: Simreg, every: float = TICK_SECONDS) -> Callable[[], None]:
    """Start the clock on a daemon thread; returns what stops it."""
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                for moved in simreg.campaigns.advance():
                    if moved.call_tasks or moved.suspended_one_way or moved.suspended_two_way:
                        log.info(
                            "campaign %s: %s call tasks, %s one-way, %s two-way suspensions",
                            moved.campaign_id,
                            moved.call_tasks,
                            moved.suspended_one_way,
                            moved.suspended_two_way,
                        )
            except Exception:  # the next tick tries again; the server keeps serving
                log.exception("campaign clock tick failed")
            stop.wait(every)

    thread = threading.Thread(target=run, name="campaign-clock", daemon=True)
    thread.start()

    def halt() -> None:
        stop.set()
        thread.join(10)

    return halt
