"""A daily series over a year (365 points), used by report_figures.py: app deployment and the
RN-14 resolved share through ReportService.series (one statement per series), beside the
per-period approach it replaced (the one-moment query once per day) in the same run.

Facts added to the generated base: an outlet and an enrolled device per social channel (a
third revoked during 2025), a suspension and a reinstatement for every tenth social channel,
20,000 RN-14 documents found during 2025 (half resolved), each holding six lines.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select, update

from simreg.bootstrap import Simreg
from simreg.core.actors import Actor, Role
from simreg.db import tables as t
from simreg.reporting.domain import Dimension, Figure, Grain

YEAR = (date(2025, 1, 1), date(2025, 12, 31))
CASES = 20_000


def _instant(rng: np.random.Generator, count: int) -> list[datetime]:
    seconds = rng.integers(0, 365 * 86400, count)
    start = datetime(2025, 1, 1, tzinfo=UTC) - timedelta(hours=8)
    return [start + timedelta(seconds=int(s)) for s in seconds]


def add_series_facts(simreg: Simreg) -> None:
    rng = np.random.default_rng(7)
    now = datetime(2024, 12, 1, tzinfo=UTC)
    c = t.channels
    with simreg.engine.begin() as conn:
        social = [
            (int(r.id), str(r.code))
            for r in conn.execute(select(c.c.id, c.c.code).where(c.c.kind == "social"))
        ]
        conn.execute(
            insert(t.outlets),
            [
                {
                    "channel_id": i,
                    "code": f"O-{code}",
                    "name": code,
                    "active": True,
                    "created_at": now,
                }
                for i, code in social
            ],
        )
        outlets = conn.execute(select(t.outlets.c.id, t.outlets.c.channel_id)).all()
        enrolled = _instant(rng, len(outlets))
        revoked = _instant(rng, len(outlets))
        conn.execute(
            insert(t.devices),
            [
                {
                    "outlet_id": int(o.id),
                    "serial": f"BENCH-{o.id}",
                    "active": n % 3 != 0,
                    "enrolled_at": min(enrolled[n], revoked[n]),
                    "revoked_at": max(enrolled[n], revoked[n]) if n % 3 == 0 else None,
                }
                for n, o in enumerate(outlets)
            ],
        )
        staff = conn.execute(
            insert(t.staff)
            .values(
                username="bench-manager",
                display_name="bench",
                role="channel_manager",
                active=True,
                created_at=now,
            )
            .returning(t.staff.c.id)
        ).scalar_one()
        events = []
        for n, (channel_id, _code) in enumerate(social[::10]):
            off, on = sorted(_instant(rng, 2))
            events += [
                {
                    "channel_id": channel_id,
                    "at": off,
                    "actor_staff_id": staff,
                    "from_status": "active",
                    "to_status": "suspended",
                    "reason": f"bench {n}",
                },
                {
                    "channel_id": channel_id,
                    "at": on,
                    "actor_staff_id": staff,
                    "from_status": "suspended",
                    "to_status": "active",
                    "reason": f"bench {n}",
                },
            ]
        conn.execute(insert(t.channel_events), events)
        conn.execute(
            insert(t.customers),
            [
                {
                    "doc_type": "resident_id",
                    "doc_index": f"bench-{n}",
                    "doc_number_enc": b"x",
                    "doc_masked": "110105********0000",
                    "held_lines": 6,
                    "created_at": now,
                }
                for n in range(CASES)
            ],
        )
        first = int(conn.execute(select(func.min(t.customers.c.id))).scalar_one())
        # Six lines per document (lines 1 .. 120,000), through the index on customer_id.
        conn.execute(
            update(t.lines)
            .where(t.lines.c.id <= CASES * 6)
            .values(customer_id=first + t.lines.c.id % CASES)
        )
        found = _instant(rng, CASES)
        later = _instant(rng, CASES)
        cases: list[dict[str, Any]] = []
        for n in range(CASES):
            resolved = max(found[n], later[n]) if n % 2 == 0 else None
            cases.append(
                {
                    "customer_id": first + n,
                    "open_customer_id": None if resolved else first + n,
                    "status": "resolved" if resolved else "open",
                    "held_when_found": 6,
                    "found_at": min(found[n], later[n]) if resolved else found[n],
                    "resolved_at": resolved,
                }
            )
        conn.execute(insert(t.over_limit_cases), cases)


def time_year_series(simreg: Simreg) -> dict[str, float]:
    """Seconds for each daily series over 2025, and for the per-day loop it replaced."""
    reader = Actor(0, "bench", Role.AUDITOR)
    reports = simreg.reports
    out: dict[str, float] = {}
    for name, figure, dimension in (
        ("deployment", Figure.APP_DEPLOYMENT_RATE, Dimension.OVERALL),
        ("deployment per org unit", Figure.APP_DEPLOYMENT_RATE, Dimension.ORG_UNIT),
        ("over-limit share", Figure.OVER_LIMIT_RESOLVED, Dimension.OVERALL),
        ("over-limit share per org unit", Figure.OVER_LIMIT_RESOLVED, Dimension.ORG_UNIT),
    ):
        best = float("inf")
        for _ in range(2):  # the first call also warms the cache; the better of two
            started = time.perf_counter()
            series = reports.series(reader, figure, Grain.DAY, *YEAR, dimension=dimension)
            best = min(best, time.perf_counter() - started)
        out[name] = best
        assert len(series.lines[0].points) == 365
    days = [YEAR[0] + timedelta(days=n) for n in range(365)]
    for name, one_moment in (
        ("deployment, one query per day (before)", "app_deployment"),
        ("over-limit share, one query per day (before)", "over_limit_counts"),
    ):
        best = float("inf")
        for _ in range(2):
            started = time.perf_counter()
            with reports.uow.begin() as tx:
                for day in days:
                    getattr(tx, one_moment)(reports.day_end(day))
            best = min(best, time.perf_counter() - started)
        out[name] = best
    return out
