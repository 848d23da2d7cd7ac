"""The campaign clock beside the web server: every running campaign is moved on (call tasks,
suspensions) at a steady pace, the way `simreg campaigns advance` does from cron."""

from __future__ import annotations

import logging
from collections.abc import Callable

from simreg.bootstrap import Simreg
from simreg.cli.clock_thread import ClockThread

log = logging.getLogger("simreg.campaigns")
TICK_SECONDS = 30.0


def start_campaign_clock(simreg: Simreg, every: float = TICK_SECONDS) -> Callable[[], None]:
    """Start the clock on a daemon thread; returns what stops it."""

    def tick() -> None:
        for moved in simreg.campaigns.advance():
            if moved.call_tasks or moved.suspended_one_way or moved.suspended_two_way:
                log.info(
                    "campaign %s: %s call tasks, %s one-way, %s two-way suspensions",
                    moved.campaign_id,
                    moved.call_tasks,
                    moved.suspended_one_way,
                    moved.suspended_two_way,
                )

    return ClockThread("campaign-clock", tick, every, log, "campaign clock tick failed").start()
