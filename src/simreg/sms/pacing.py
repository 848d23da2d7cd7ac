"""When and how fast SMS may go out: quiet hours in the operator's local time, and a token
bucket that keeps submissions under the rate the SMSC contract allows."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from simreg.core.errors import ConfigurationError


@dataclass(frozen=True)
class SendWindow:
    """Subscribers are not texted at night: between ``quiet_start`` and ``quiet_end`` local
    time nothing is sent. The range may cross midnight (21:00-08:00); no range means the
    window is always open."""

    zone: ZoneInfo
    quiet_start: clock_time | None = None
    quiet_end: clock_time | None = None

    @classmethod
    def parse(cls, quiet_hours: str, timezone: str) -> SendWindow:
        """``quiet_hours`` as in settings: "HH:MM-HH:MM", or empty for none."""
        zone = ZoneInfo(timezone)
        spec = quiet_hours.strip()
        if not spec:
            return cls(zone)
        start: clock_time | None = None
        end: clock_time | None = None
        try:
            start_text, end_text = spec.split("-")
            start = clock_time.fromisoformat(start_text)
            end = clock_time.fromisoformat(end_text)
        except ValueError:
            pass
        if start is None or end is None or start == end:
            raise ConfigurationError(
                f"SMS quiet hours must be a range like 21:00-08:00, not {spec!r}.",
                code="SMS-QUIET-HOURS",
                message_zh="短信免打扰时段格式应为 21:00-08:00。",
            )
        return cls(zone, start, end)

    def in_quiet_hours(self, now: datetime) -> bool:
        if self.quiet_start is None or self.quiet_end is None:
            return False
        local = now.astimezone(self.zone).time().replace(tzinfo=None)
        if self.quiet_start < self.quiet_end:
            return self.quiet_start <= local < self.quiet_end
        return local >= self.quiet_start or local < self.quiet_end

    def next_send_time(self, now: datetime) -> datetime:
        """``now`` when sending is allowed, else the end of the current quiet period (in the
        time zone of ``now``)."""
        if not self.in_quiet_hours(now) or self.quiet_end is None:
            return now
        local = now.astimezone(self.zone)
        end = datetime.combine(local.date(), self.quiet_end, tzinfo=self.zone)
        if end <= local:
            tomorrow = local.date() + timedelta(days=1)
            end = datetime.combine(tomorrow, self.quiet_end, tzinfo=self.zone)
        return end.astimezone(now.tzinfo)


class RateLimiter:
    """A token bucket: ``rate`` sends per second on average, at most ``burst`` back to back.

    The clock and sleep are injectable so tests run on a fake clock. Thread-safe: dispatcher
    threads in one process share one limit.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping until one is there; return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                # The tolerance absorbs float rounding: a sleep of exactly the computed pause
                # must be enough, or a fake (or coarse) clock could spin here forever.
                if self._tokens >= 1.0 - 1e-9:
                    self._tokens = max(0.0, self._tokens - 1.0)
                    return waited
                pause = (1.0 - self._tokens) / self.rate
            self._sleep(pause)
            waited += pause
