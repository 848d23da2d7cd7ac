"""Series in SQL: each figure over every period of a range in one statement (issue 7).

Two shapes. Figures "as of a moment" (app deployment) join the periods' last instants, passed
in as a small derived table, with the intervals in which each channel's status and each
device held, so a daily series over a year is one statement, not 365. Figures that count
events (RN-14 cases found and resolved) are grouped by the operator's calendar day of the
event; the caller adds the days up into weeks and months and carries the totals forward.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)

from simreg.db import tables as t
from simreg.reporting.ports import DeploymentGroup

c, e, d, o = t.channels, t.channel_events, t.devices, t.outlets


def period_ends(ends: Sequence[datetime]) -> Any:
    """(idx, at): one row per period, its last instant. A UNION ALL of bound values rather
    than VALUES, whose column aliases SQLite does not accept."""
    parts = [
        select(literal(i, Integer).label("idx"), literal(at, t.Ts).label("at"))
        for i, at in enumerate(ends)
    ]
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("b")


def operator_day(conn: Connection, column: Any, offset_hours: int) -> Any:
    """The operator's calendar day of a stored UTC instant (a whole-hour offset, as the
    analytics engine groups registrations; mainland China keeps one all year)."""
    hours = int(offset_hours)
    if conn.dialect.name == "sqlite":
        return func.date(column, f"{hours:+d} hours")
    shifted = func.timezone("UTC", column) + literal_column(f"INTERVAL '{hours} hours'")
    return cast(shifted, Date)


def as_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


class SqlSeriesQueries:
    conn: Connection

    def deployment_series(
        self, ends: Sequence[datetime], *, per_channel: bool, per_unit: bool
    ) -> list[DeploymentGroup]:
        """Active social channels at each moment of ``ends`` and how many had an enrolled,
        unrevoked device then: the same rules as ``app_deployment`` for one moment (status
        from the last channel event at or before it, before the first event that event's
        ``from_status``, never changed: the current status), grouped by period (and per
        channel or org unit when asked)."""
        if not ends:
            return []
        b = period_ends(ends)
        order = (e.c.at, e.c.id)
        events = select(
            e.c.channel_id,
            e.c.at,
            e.c.to_status,
            func.lead(e.c.at).over(partition_by=e.c.channel_id, order_by=order).label("next_at"),
        ).subquery("ev")
        first = select(
            e.c.channel_id,
            func.coalesce(e.c.from_status, "applied").label("before"),
            func.row_number().over(partition_by=e.c.channel_id, order_by=order).label("n"),
        ).subquery("first")
        devices = (
            select(o.c.channel_id, d.c.enrolled_at, d.c.revoked_at)
            .join(o, o.c.id == d.c.outlet_id)
            .subquery("dv")
        )
        # Events at the same instant leave empty intervals but the last one, which is the one
        # a single-moment query picks (latest at, then highest id).
        in_force = and_(
            events.c.channel_id == c.c.id,
            events.c.at < b.c.at,
            or_(events.c.next_at.is_(None), events.c.next_at >= b.c.at),
        )
        enrolled = and_(
            devices.c.channel_id == c.c.id,
            devices.c.enrolled_at < b.c.at,
            or_(devices.c.revoked_at.is_(None), devices.c.revoked_at >= b.c.at),
        )
        status = func.coalesce(events.c.to_status, first.c.before, c.c.status)
        per_moment = (
            select(
                b.c.idx,
                c.c.id.label("channel_id"),
                c.c.org_unit_id,
                status.label("status"),
                func.count(devices.c.channel_id).label("devices"),
            )
            .select_from(b)
            .join(c, and_(c.c.kind == "social", c.c.created_at < b.c.at))
            .outerjoin(events, in_force)
            .outerjoin(first, and_(first.c.channel_id == c.c.id, first.c.n == 1))
            .outerjoin(devices, enrolled)
            .group_by(b.c.idx, c.c.id, c.c.org_unit_id, status)
            .subquery("m")
        )
        m = per_moment
        keys: list[Any] = [m.c.idx]
        if per_channel:
            keys += [m.c.org_unit_id, m.c.channel_id]
        elif per_unit:
            keys.append(m.c.org_unit_id)
        rows = self.conn.execute(
            select(
                *keys,
                func.count().label("active"),
                func.sum(case((m.c.devices > 0, 1), else_=0)).label("deployed"),
            )
            .where(m.c.status == "active")
            .group_by(*keys)
        )
        return [
            DeploymentGroup(
                bucket=int(r.idx),
                org_unit_id=r.org_unit_id if per_channel or per_unit else None,
                channel_id=r.channel_id if per_channel else None,
                active=int(r.active),
                deployed=int(r.deployed or 0),
            )
            for r in rows
        ]
