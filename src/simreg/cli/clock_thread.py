"""The clocks that run beside the web server (the campaign clock, the census, the identity
retries, the online shop's sweep): each is one job repeated at a steady pace on a daemon
thread, the way its own command does from cron. A failing round is logged and the next one
tries again: the server keeps serving whatever a background job meets."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class ClockThread:
    """``tick`` every ``every`` seconds on a thread called ``name``; the first round runs at
    once unless ``wait_first`` (a job with nothing to find when the server has just started)."""

    name: str
    tick: Callable[[], None]
    every: float
    log: logging.Logger
    failure: str
    wait_first: bool = False
    _stop: threading.Event = field(default_factory=threading.Event, init=False)

    def start(self) -> Callable[[], None]:
        """Start the thread; returns what stops it (waiting up to ten seconds for a round that
        is under way to finish)."""
        thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        thread.start()

        def halt() -> None:
            self._stop.set()
            thread.join(10)

        return halt

    def _run(self) -> None:
        if self.wait_first and self._stop.wait(self.every):
            return
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # the next round tries again; the server keeps serving
                self.log.exception(self.failure)
            self._stop.wait(self.every)
