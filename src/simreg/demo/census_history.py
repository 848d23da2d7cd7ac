"""The demo's past censuses: what the daily census would have counted on each past day of the
demo's story, so the report pages and the monthly export have a history to show.

Production never writes a past day's census (``ReportService.take_census`` refuses any day
but today: it counts lines as they are now). The demo may, because it made up the story and
knows when each of its lines changed: a line counts from the day it opened; a legacy line
re-registered later (an active registration on an imported line) was legacy-unverified until
that registration opened it to service under a verified name, and verified after; every
other line has had its present real-name state and service state since it opened. Cancelled
lines are out of every past census: the demo records no cancellation times.

The counting is the census's own (``adapters/analytics.py``): the same lines in service, the
same real-name classes, groups and "opened since the cut-off" test, with the present
real-name class swapped for the class as of each day's end. One grouped statement counts
every seeded day at once; for today's end it gives exactly the stored census of today
(tests/e2e/test_demo_reports.py). Each seeded census is marked in the audit trail.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    and_,
    case,
    func,
    literal,
    select,
    union_all,
)

from simreg.adapters.analytics import IN_SERVICE
from simreg.bootstrap import Simreg
from simreg.core.audit import AuditEvent
from simreg.core.errors import Conflict
from simreg.db import tables as t
from simreg.db.report_queries import SqlReportTransaction
from simreg.lines.domain import LineState, RealNameState
from simreg.reporting.domain import CensusGroup, LineCounts

SEEDED_ACTION = "demo.census_seeded"
DAILY_DAYS = 60  # one census a day over the last 60 days
MONTH_ENDS = 12  # and one at each month end over the 12 months before them

VERIFIED, LEGACY, PENDING = 1, 2, 3


def history_days(today: date) -> list[date]:
    """The days the demo seeds: each of the ``DAILY_DAYS`` days before today, and the last
    day of each of the ``MONTH_ENDS`` months before the first of them. Never today: today's
    census is the real one."""
    first_daily = today - timedelta(days=DAILY_DAYS)
    days = [first_daily + timedelta(days=n) for n in range(DAILY_DAYS)]
    month_end = first_daily.replace(day=1) - timedelta(days=1)
    for _ in range(MONTH_ENDS):
        days.append(month_end)
        month_end = month_end.replace(day=1) - timedelta(days=1)
    return sorted(days)


def census_groups_as_of(
    conn: Connection, ends: Sequence[tuple[date, datetime]], cutoff_at: datetime
) -> dict[date, list[CensusGroup]]:
    """Each day's census groups as of its end instant (UTC), in one grouped statement."""
    if not ends:
        return {}
    ln, r = t.lines, t.registrations
    # Per line with an active registration: its channel (lines sold at the counter carry none
    # of their own, as in the census) and, for a legacy line, when it was re-registered: the
    # first registration that opened it under a verified name. Grouped once and joined, so the
    # lookups are not repeated for every seeded day.
    registered = (
        select(
            r.c.line_id,
            func.max(r.c.channel_id).label("channel_id"),
            func.min(r.c.activated_at).label("activated_at"),
        )
        .where(r.c.state == "active")
        .group_by(r.c.line_id)
        .subquery("registered")
    )
    present_class = case(
        (ln.c.real_name_state == RealNameState.VERIFIED.value, VERIFIED),
        (ln.c.real_name_state == RealNameState.LEGACY_UNVERIFIED.value, LEGACY),
        (ln.c.real_name_state == RealNameState.REVERIFICATION_PENDING.value, PENDING),
        else_=0,
    )
    lines_now = (
        select(
            func.coalesce(ln.c.channel_id, registered.c.channel_id).label("channel_id"),
            case((ln.c.kind == "data", 1), else_=0).label("data_card"),
            case((ln.c.opened_at >= cutoff_at, 1), else_=0).label("since_cutoff"),
            case((ln.c.state == LineState.ACTIVE.value, 0), else_=1).label("suspended"),
            present_class.label("class_now"),
            func.coalesce(ln.c.opened_at, ln.c.updated_at).label("opened_at"),
            case((ln.c.imported_at.is_not(None), registered.c.activated_at)).label("verified_from"),
        )
        .select_from(ln.outerjoin(registered, registered.c.line_id == ln.c.id))
        .where(ln.c.state.in_(IN_SERVICE))
        .cte("lines_now")
        .prefix_with("MATERIALIZED")
    )
    # The days as rows (SELECT ... UNION ALL: SQLite has no aliased VALUES list).
    days = union_all(
        *(
            select(literal(day, Date).label("day"), literal(end, t.Ts).label("end_at"))
            for day, end in ends
        )
    ).cte("days")
    then = case(
        (
            and_(
                lines_now.c.verified_from.is_not(None), lines_now.c.verified_from >= days.c.end_at
            ),
            LEGACY,
        ),
        else_=lines_now.c.class_now,
    )

    def of_class(value: int) -> ColumnElement[int]:
        return func.count(case((then == value, 1)))

    query = (
        select(
            days.c.day,
            lines_now.c.channel_id,
            lines_now.c.data_card,
            lines_now.c.since_cutoff,
            func.count().label("in_service"),
            of_class(VERIFIED).label("verified"),
            of_class(LEGACY).label("legacy"),
            of_class(PENDING).label("pending"),
            func.coalesce(func.sum(lines_now.c.suspended), literal(0)).label("suspended"),
        )
        .select_from(lines_now.join(days, lines_now.c.opened_at < days.c.end_at))
        .group_by(
            days.c.day, lines_now.c.channel_id, lines_now.c.data_card, lines_now.c.since_cutoff
        )
    )
    units: dict[int, int | None] = {
        int(x.id): x.org_unit_id
        for x in conn.execute(select(t.channels.c.id, t.channels.c.org_unit_id))
    }
    found: dict[date, list[CensusGroup]] = {day: [] for day, _ in ends}
    for row in conn.execute(query):
        day = row.day if isinstance(row.day, date) else date.fromisoformat(str(row.day))
        channel = int(row.channel_id) if row.channel_id is not None else None
        found[day].append(
            CensusGroup(
                org_unit_id=units.get(channel) if channel is not None else None,
                channel_id=channel,
                kind="data" if row.data_card else "voice",
                since_cutoff=bool(row.since_cutoff),
                counts=LineCounts(
                    int(row.in_service),
                    int(row.verified),
                    int(row.legacy),
                    int(row.pending),
                    int(row.suspended),
                ),
            )
        )
    return found


def seed_censuses(simreg: Simreg) -> list[date]:
    """Store the demo's past censuses (``history_days``), each with an audit row saying the
    demo seeded it, in one transaction. Returns the days seeded.

    Refused outside a demo, and on a database that holds any census already: made-up
    history must never replace a census a real deployment took (they are upserted by day)."""
    if not simreg.settings.demo:
        raise Conflict(
            "Past censuses are made up only in a demo database.",
            code="DEMO-ONLY",
            message_zh="只有演示数据库可以生成历史普查。",
        )
    reports = simreg.reports
    days = history_days(reports.today())
    ends = [(day, reports.day_end(day)) for day in days]
    cutoff = reports.settings.cutoff
    now = simreg.clock.now()
    started = time.perf_counter()
    with simreg.engine.begin() as conn:
        if conn.execute(select(t.report_censuses.c.id).limit(1)).first() is not None:
            raise Conflict(
                "This database holds censuses already; the demo's history is only seeded into "
                "a fresh demo database.",
                code="DEMO-NOT-FRESH",
                message_zh="该数据库已有普查记录，演示历史只能写入全新的演示数据库。",
            )
        groups = census_groups_as_of(conn, ends, reports.day_start(cutoff))
        elapsed_ms = round((time.perf_counter() - started) * 1000)
        tx = SqlReportTransaction(conn)  # the census's own store and audit writer
        for day in days:
            census = tx.store_census(
                day=day,
                cutoff=cutoff,
                taken_at=now,
                elapsed_ms=elapsed_ms,
                taken_by=None,
                groups=groups[day],
            )
            tx.record(
                AuditEvent(
                    action=SEEDED_ACTION,
                    outcome="ok",
                    at=now,
                    details={
                        "day": day.isoformat(),
                        "lines_in_service": census.lines_in_service,
                        "groups": len(groups[day]),
                        "seeded_by": "simreg demo",
                    },
                )
            )
    return days
