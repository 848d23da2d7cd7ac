"""A small legacy base for campaign tests: org units, channels placed in them, and legacy
lines written the way the base import leaves them (real_name_state legacy_unverified)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select, update

from simreg.adapters.passwords import Argon2Passwords
from simreg.bootstrap import Simreg, bootstrap
from simreg.campaigns.domain import DEFAULT_TEMPLATE_ZH, CampaignPlan, parse_filters
from simreg.core.actors import Actor
from simreg.core.settings import Settings
from simreg.db import tables as t
from simreg.lines.domain import LineKind, LineState, RealNameState

START = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Monday
_serial = itertools.count(1)


class MovableClock:
    """A clock the test moves forward by hand (days pass between campaign steps)."""

    def __init__(self, at: datetime = START) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.date()

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def app_with_clock(settings: Settings, clock: MovableClock) -> Simreg:
    return bootstrap(settings, clock=clock, passwords=Argon2Passwords(fast_for_tests=True))


@dataclass(frozen=True)
class Units:
    province: int
    city: int
    county_a: int
    county_b: int


def org_units(simreg: Simreg) -> Units:
    """Province > city > two counties; the own channel OWN sits in county A, the reseller SOC
    in county B."""
    now = simreg.clock.now()
    with simreg.engine.begin() as conn:

        def unit(code: str, name: str, level: str, parent: int | None) -> int:
            return int(
                conn.execute(
                    insert(t.org_units)
                    .values(code=code, name=name, level=level, parent_id=parent, created_at=now)
                    .returning(t.org_units.c.id)
                ).scalar_one()
            )

        province = unit("P1", "Province", "province", None)
        city = unit("C1", "City", "city", province)
        county_a = unit("A1", "County A", "county", city)
        county_b = unit("B1", "County B", "county", city)
        conn.execute(
            update(t.channels).where(t.channels.c.code == "OWN").values(org_unit_id=county_a)
        )
        conn.execute(
            update(t.channels).where(t.channels.c.code == "SOC").values(org_unit_id=county_b)
        )
    return Units(province, city, county_a, county_b)


def legacy_lines(
    simreg: Simreg,
    count: int,
    *,
    channel: str = "OWN",
    kind: LineKind = LineKind.VOICE,
    state: LineState = LineState.ACTIVE,
    real_name: RealNameState = RealNameState.LEGACY_UNVERIFIED,
    opened_at: datetime = datetime(2012, 5, 1, tzinfo=UTC),
) -> list[str]:
    """Insert ``count`` legacy lines; returns their numbers."""
    now = simreg.clock.now()
    numbers = []
    with simreg.engine.begin() as conn:
        channel_id = conn.execute(
            select(t.channels.c.id).where(t.channels.c.code == channel)
        ).scalar_one()
        rows = []
        for _ in range(count):
            n = next(_serial)
            msisdn = f"1590000{n:04d}"
            numbers.append(msisdn)
            rows.append(
                {
                    "msisdn": msisdn,
                    "iccid": f"898607{n:013d}",
                    "imsi": f"46007{n:010d}",
                    "kind": kind.value,
                    "state": state.value,
                    "real_name_state": real_name.value,
                    "channel_id": channel_id,
                    "opened_at": opened_at,
                    "updated_at": now,
                    "imported_at": now,
                }
            )
        conn.execute(insert(t.lines), rows)
    return numbers


def line_states(simreg: Simreg, msisdns: list[str]) -> dict[str, tuple[str, str | None]]:
    with simreg.engine.connect() as conn:
        rows = conn.execute(
            select(t.lines.c.msisdn, t.lines.c.state, t.lines.c.real_name_state).where(
                t.lines.c.msisdn.in_(msisdns)
            )
        )
        return {r.msisdn: (r.state, r.real_name_state) for r in rows}


def mark_sms_sent(simreg: Simreg, at: datetime | None = None) -> None:
    """What the SMS dispatcher records once it has handed every queued message to the gateway
    (the dispatcher itself is tested in tests/integration/test_sms_*.py)."""
    sent = at or simreg.clock.now()
    with simreg.engine.begin() as conn:
        conn.execute(
            update(t.campaign_targets)
            .where(t.campaign_targets.c.sms_sent_at.is_(None))
            .values(sms_sent_at=sent)
        )


def line_with_a_call_due(simreg: Simreg, manager: Actor, name: str = "Calls") -> tuple[str, int]:
    """One legacy line in a running campaign whose SMS went out eight days ago, so its call
    task is due now: (the line's number, the task's id)."""
    (msisdn,) = legacy_lines(simreg, 1)
    campaign_id = simreg.campaigns.create(
        manager,
        CampaignPlan(
            name=name,
            filters=parse_filters(),
            sms_template=DEFAULT_TEMPLATE_ZH,
            call_after_days=7,
            deadline=simreg.clock.now().date() + timedelta(days=60),
        ),
    )
    simreg.campaigns.start(manager, campaign_id)
    with simreg.engine.begin() as conn:
        sent = simreg.clock.now() - timedelta(days=8)
        conn.execute(
            update(t.campaign_targets)
            .where(t.campaign_targets.c.campaign_id == campaign_id)
            .values(sms_sent_at=sent)
        )
    simreg.campaigns.advance()
    with simreg.engine.connect() as conn:
        task_id = conn.execute(
            select(t.call_tasks.c.id).where(t.call_tasks.c.campaign_id == campaign_id)
        ).scalar_one()
    return msisdn, int(task_id)
