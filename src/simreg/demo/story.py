"""The demo's timeline: its network opened about fourteen months ago, the app rolled out over
the first months, customers came in at working hours since, and the back office took minutes
to a few hours to decide each registration (longer overnight). Every seeded history reads its
times from here, so the report pages show one consistent story."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Further back than the oldest seeded census (60 days and 12 month ends before them), so the
# oldest census already has a network to count.
STORY_DAYS = 440
OPENING_HOUR, CLOSING_HOUR = 9, 21  # the halls' working hours, operator's time

# Each reviewer's typical wait (seconds, the median) and spread: a fast day shift, a slower
# colleague, and a late shift whose decisions often wait for the next morning.
REVIEWER_PACE: dict[str, tuple[float, float]] = {
    "reviewer": (15 * 60, 0.9),
    "reviewer2": (40 * 60, 1.0),
    "reviewer3": (110 * 60, 1.1),
}


class SteppingClock:
    """Spreads seeded history over the past days, then lands on the real present."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)

    def now(self) -> datetime:
        return self.current

    def today(self) -> date:
        return self.current.date()


def story_start(now: datetime) -> datetime:
    return now - timedelta(days=STORY_DAYS)


def working_hours(at: datetime, zone: ZoneInfo) -> datetime:
    """``at`` moved forward into the halls' working hours, if it falls outside them."""
    local = at.astimezone(zone)
    if local.hour >= CLOSING_HOUR:
        local = datetime.combine(local.date() + timedelta(days=1), time(OPENING_HOUR), zone)
    elif local.hour < OPENING_HOUR:
        local = datetime.combine(local.date(), time(OPENING_HOUR), zone)
    return local.astimezone(at.tzinfo)


def review_wait(rng: random.Random, reviewer: str) -> float:
    """Seconds a registration waited for ``reviewer``'s decision: log-normal around the
    reviewer's pace, at least a minute; one in twenty waits for the next shift."""
    median, spread = REVIEWER_PACE[reviewer]
    wait = max(60.0, rng.lognormvariate(math.log(median), spread))
    if rng.random() < 0.05:
        wait += rng.uniform(6, 16) * 3600
    return min(wait, 20 * 3600)


def rising(rng: random.Random, start: datetime, end: datetime, power: float = 0.8) -> datetime:
    """A moment between ``start`` and ``end``, more often towards ``end`` as ``power`` falls
    below 1: an effort that gathers pace."""
    share = rng.random() ** power
    moment: datetime = start + (end - start) * share
    return moment
