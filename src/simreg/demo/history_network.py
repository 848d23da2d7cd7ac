"""The demo network's past: when its org units, channels, outlets and staff came to be, when
each social channel's app device was enrolled (RN-09, the deployment series rises over the
first months), and the mystery-shopper inspections of past quarters with the violations they
found (RN-15), recorded through the channel service on a clock set to each visit."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from simreg.bootstrap import Simreg
from simreg.channels.compliance import Penalty
from simreg.channels.services import ChannelService
from simreg.core.actors import Actor
from simreg.db import tables as t
from simreg.demo.story import SteppingClock, rising, story_start, working_hours

# Rules an inspector most often finds broken at a counter; each starts on the ladder's first
# step (a warning), so no past visit suspends or terminates a channel the demo still uses.
MINOR_RULES = ("RN-02", "RN-03", "RN-09")
FAIL_SHARE = 0.12
# The demo's own reseller and its sub-agent stay clean: the README's flows sell through them.
SPARED = ("GD-SOC-017", "GD-SOC-017-A")


def backdate_network(simreg: Simreg, *, keep_recent: tuple[str, ...]) -> None:
    """Org units, channels (but ``keep_recent``, e.g. the applicant), outlets and staff
    existed from the story's start; app devices were enrolled over its first ten months, the
    demo reseller's first."""
    now = simreg.clock.now()
    start = story_start(now)
    rollout_end = start + timedelta(days=300)
    rng = random.Random(9)
    zone = ZoneInfo(simreg.settings.timezone)
    with simreg.engine.begin() as conn:
        conn.execute(update(t.org_units).values(created_at=start))
        conn.execute(
            update(t.channels).where(t.channels.c.code.not_in(keep_recent)).values(created_at=start)
        )
        conn.execute(update(t.outlets).values(created_at=start))
        conn.execute(update(t.staff).values(created_at=start))
        devices = conn.execute(
            select(t.devices.c.id, t.channels.c.code)
            .join(t.outlets, t.outlets.c.id == t.devices.c.outlet_id)
            .join(t.channels, t.channels.c.id == t.outlets.c.channel_id)
            .where(t.devices.c.revoked_at.is_(None))
            .order_by(t.devices.c.id)
        ).all()
        for device_id, code in devices:
            enrolled = (
                start + timedelta(days=2)
                if code in SPARED
                else working_hours(rising(rng, start, rollout_end, power=1.3), zone)
            )
            conn.execute(
                update(t.devices).where(t.devices.c.id == device_id).values(enrolled_at=enrolled)
            )


def past_quarters(start: datetime, today: date) -> list[tuple[str, date, date]]:
    """Quarters wholly inside the story and over before today's quarter began."""
    this_quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    quarters = []
    first = date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    while first < this_quarter:
        following = date(first.year + first.month // 10, (first.month + 2) % 12 + 1, 1)
        if first >= start.date():
            period = f"{first.year}Q{(first.month - 1) // 3 + 1}"
            quarters.append((period, first, following - timedelta(days=1)))
        first = following
    return quarters


def seed_inspections(simreg: Simreg, manager: Actor, rng: random.Random) -> int:
    """Plan every past quarter's inspections and record each visit on a day in that quarter;
    returns how many violations they found."""
    now = simreg.clock.now()
    zone = ZoneInfo(simreg.settings.timezone)
    base = simreg.channels
    clock = SteppingClock(story_start(now))
    channels = ChannelService(
        uow=base.uow,
        clock=clock,
        penalties=base.penalties,
        evidence=base.evidence,
        timezone=simreg.settings.timezone,
    )
    with simreg.engine.begin() as conn:
        spared = set(
            conn.execute(select(t.channels.c.id).where(t.channels.c.code.in_(SPARED))).scalars()
        )
    found, failed_before = 0, set[int]()
    for period, first, last in past_quarters(story_start(now), simreg.reports.today()):
        clock.current = datetime.combine(first, time(10), zone)
        planned = channels.plan_inspections(manager, period)
        with simreg.engine.begin() as conn:
            visited = {
                int(x.id): int(x.channel_id)
                for x in conn.execute(
                    select(t.inspections.c.id, t.inspections.c.channel_id).where(
                        t.inspections.c.id.in_(planned)
                    )
                )
            }
        span = (last - first).days
        visits = sorted(
            (
                working_hours(
                    datetime.combine(first, time(9), zone)
                    + timedelta(days=rng.randrange(3, span), hours=rng.uniform(1, 10)),
                    zone,
                ),
                inspection_id,
            )
            for inspection_id in planned
        )
        for at, inspection_id in visits:
            clock.current = at
            failed: list[str] = []
            channel_id = visited[inspection_id]
            # One finding per channel in the story: a second within a year would escalate.
            if channel_id not in spared | failed_before and rng.random() < FAIL_SHARE:
                failed = [rng.choice(MINOR_RULES)]
                failed_before.add(channel_id)
            penalties = channels.record_inspection(
                manager, inspection_id, failed, "暗访 / mystery shopper visit"
            )
            assert all(p is Penalty.WARNING for p in penalties)
            found += len(penalties)
    return found
