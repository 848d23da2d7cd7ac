"""Events for series over about two months (tests/integration/test_report_figures_series.py),
added to the hand-counted report base (report_base.py), with instants chosen around
midnight in Shanghai (UTC+8): 15:59 UTC is 23:59 that day there, 16:00 UTC midnight of the
next.

- SOC1 is suspended at 23:59 on 2 February and active again at 00:01 on 10 February.
- SOC2's old device was revoked on 1 February (report base); a new one is enrolled at 00:30
  on 21 February and revoked at 23:00 on 1 March.
- SOC3, a new social channel in county K2, is created at 23:30 on 31 January, never gets a
  device.
- RN-14 cases beside the base's two (found 1 and 5 March, the first resolved 10 March): one
  found on 5 January (before the range) and resolved at 00:30 on 1 February; one found at
  23:59 on 15 February; one found at exactly midnight starting 16 February (it is the 16th's)
  and resolved at 23:00 on 2 March.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert

from simreg.bootstrap import Simreg
from simreg.db import tables as t
from tests.support.report_base import CREATED, ReportBase, _customer


def utc(day: str, hour: int, minute: int = 0) -> datetime:
    y, m, d = (int(p) for p in day.split("-"))
    return datetime(y, m, d, hour, minute, tzinfo=UTC)


SUSPENDED = utc("2026-02-02", 15, 59)
REACTIVATED = utc("2026-02-09", 16, 1)
NEW_DEVICE = (utc("2026-02-20", 16, 30), utc("2026-03-01", 15, 0))
SOC3_CREATED = utc("2026-01-31", 15, 30)
# (found, resolved); the report base adds 1 March → 10 March and 5 March → open.
CASES = [
    (utc("2026-01-05", 2), utc("2026-01-31", 16, 30)),
    (utc("2026-02-15", 15, 59), None),
    (utc("2026-02-15", 16, 0), utc("2026-03-02", 15, 0)),
]
BASE_CASES = [(utc("2026-03-01", 2), utc("2026-03-10", 2)), (utc("2026-03-05", 2), None)]


def add_series_events(simreg: Simreg, base: ReportBase) -> None:
    ids = base.ids
    with simreg.engine.begin() as conn:
        for at, before, after in (
            (SUSPENDED, "active", "suspended"),
            (REACTIVATED, "suspended", "active"),
        ):
            conn.execute(
                insert(t.channel_events).values(
                    channel_id=ids["SOC1"],
                    at=at,
                    actor_staff_id=ids["manager"],
                    from_status=before,
                    to_status=after,
                    reason="inspection",
                )
            )
        conn.execute(
            insert(t.devices).values(
                outlet_id=ids["O-SOC2"],
                serial="DEV-SOC2-FEB",
                active=False,
                enrolled_at=NEW_DEVICE[0],
                revoked_at=NEW_DEVICE[1],
            )
        )
        conn.execute(
            insert(t.channels).values(
                code="SOC3",
                name="Channel SOC3",
                kind="social",
                status="active",
                org_unit_id=ids["K2"],
                created_at=SOC3_CREATED,
            )
        )
        for found, resolved in CASES:
            customer = _customer(conn, "110105********0044")
            conn.execute(
                insert(t.over_limit_cases).values(
                    customer_id=customer,
                    open_customer_id=None if resolved else customer,
                    status="resolved" if resolved else "open",
                    held_when_found=6,
                    found_at=found,
                    resolved_at=resolved,
                )
            )
    assert CREATED < SOC3_CREATED


# -- the hand count, day by day (operator days, Shanghai) ----------------------------------


def shanghai_day(at: datetime) -> date:
    return (at + timedelta(hours=8)).date()


def deployment_on(day: date) -> tuple[int, int]:
    """(deployed, active social channels) at the end of ``day``, from the rules above."""
    soc1_active = not date(2026, 2, 2) <= day <= date(2026, 2, 9)
    soc2_device = day <= date(2026, 1, 31) or date(2026, 2, 21) <= day <= date(2026, 2, 28)
    soc3 = day >= date(2026, 1, 31)
    active = int(soc1_active) + 1 + int(soc3)
    deployed = int(soc1_active) + int(soc2_device)
    return deployed, active


def over_limit_on(day: date) -> tuple[int, int]:
    """(resolved, found) by the end of ``day``."""
    every = CASES + BASE_CASES
    found = sum(1 for f, _ in every if shanghai_day(f) <= day)
    resolved = sum(1 for _, r in every if r is not None and shanghai_day(r) <= day)
    return resolved, found
