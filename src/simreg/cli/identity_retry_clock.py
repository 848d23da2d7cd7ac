"""Registrations waiting on an unavailable identity authority are checked again beside the web
server, every ``identity_retry_seconds``, the way `simreg identity retry-pending` does from
cron. Nothing waiting is ever activated unchecked: a retry that finds the authority still
unavailable leaves the item waiting."""

from __future__ import annotations

import logging
from collections.abc import Callable

from simreg.bootstrap import Simreg
from simreg.cli.clock_thread import ClockThread

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

    def tick() -> None:
        retried = retry_pending_checks(simreg)
        if retried:
            log.info("identity checks retried for %s waiting registrations", retried)

    return ClockThread(
        "identity-check-retrier",
        tick,
        period,
        log,
        "retrying pending identity checks failed",
        wait_first=True,
    ).start()
