"""A circuit breaker for calls to an outside service.

After ``failures`` consecutive failed calls it opens: callers are refused at once for
``open_seconds`` instead of each waiting out timeouts on a service that is down. Then one
caller is let through as a trial (half-open): success closes the breaker, failure opens it
again for another period. Other callers are refused while the trial is in flight, so a
recovering service sees one request, not a stampede. Safe to share between threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        failures: int,
        open_seconds: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if failures < 1:
            raise ValueError("failures must be at least 1")
        self.failures = failures
        self.open_seconds = open_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._consecutive = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state()

    def allow(self) -> bool:
        """Whether a call may go out now. A True in the half-open state makes this caller the
        trial; it must report back with ``succeeded`` or ``failed``."""
        with self._lock:
            state = self._state()
            if state is BreakerState.CLOSED:
                return True
            if state is BreakerState.OPEN or self._trial_in_flight:
                return False
            self._trial_in_flight = True
            return True

    def succeeded(self) -> None:
        with self._lock:
            self._consecutive = 0
            self._opened_at = None
            self._trial_in_flight = False

    def failed(self) -> None:
        with self._lock:
            if self._trial_in_flight or self._opened_at is not None:
                # The trial failed: a fresh open period starts now.
                self._opened_at = self._monotonic()
                self._trial_in_flight = False
                return
            self._consecutive += 1
            if self._consecutive >= self.failures:
                self._opened_at = self._monotonic()

    def _state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._monotonic() - self._opened_at < self.open_seconds:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN
