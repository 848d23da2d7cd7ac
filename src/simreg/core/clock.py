"""Time comes from a clock object so tests and the demo can pin it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return datetime.now(UTC).date()


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.date()


def utc_offset_hours(timezone: str, at: datetime) -> int:
    """Whole hours the operator's timezone is ahead of UTC at ``at`` (for grouping by local
    hour or day in SQL; mainland China has no daylight saving)."""
    offset = at.astimezone(ZoneInfo(timezone)).utcoffset()
    return int(offset.total_seconds() // 3600) if offset else 0
