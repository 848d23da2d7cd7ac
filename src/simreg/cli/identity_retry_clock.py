"""Registrations waiting on an unavailable identity authority are checked again beside the web
server, every ``identity_retry_seconds``, the way `simreg identity retry-pending` does from
cron. Nothing waiting is ever activated unchecked: a retry that finds the authority still
unavailable leaves the item waiting."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from simreg.bootstrap import Simreg

log = logging.getLogger("simreg.identity")


def retry_pending_checks(simreg: Simreg) -> int:
    """Run every retrier once; one failing retrier does not stop the others."""
    retried = 0
    for retrier in simreg.pending_check_retriers:
        try:
            retried += retrier()
        except Exception:  # the next round tries again
            log.exception("retrying pending identity checks failed")
    return retried


def start_check_retrier(simreg: Simreg, every: float | None = None) -> Callable[[], None]:
    """Start the retries on a daemon thread; returns what stops it."""
    period = every if every is not None else float(simreg.settings.identity_retry_seconds)
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(period):
            retried = retry_pending_checks(simreg)
            if retried:
                log.info("identity checks retried for %s waiting registrations", retried)

    thread = threading.Thread(target=run, name="identity-check-retrier", daemon=True)
    thread.start()

    def halt() -> None:
        stop.set()
        thread.join(10)

    return halt
