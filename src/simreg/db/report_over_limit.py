"""RN-14 cases per channel (and so per org unit), as of a moment or per operator day.

A case is a document, not a line, and a document may hold lines opened at several channels.
Each case is counted once, at its **home channel**: the channel that opened most of the lines
the document held (ties: the lowest channel id), so per-channel rows add up to the total.

Which lines: for a resolved case, those its decision record lists (every line held when it
was resolved, whatever was done with it: transferred lines no longer point at the document);
for an open case (or an old resolved one without a record), the lines the document holds now.
A resolved case's home therefore never changes again; an open case's can, if its lines are
cancelled or moved outside RN-14 before it is resolved (no line-holding history is kept).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    union_all,
)

from simreg.db import tables as t
from simreg.db.over_limit_store import NOT_HELD
from simreg.db.report_periods import as_date, operator_day
from simreg.reporting.ports import OverLimitGroup

cases, ln, r = t.over_limit_cases, t.lines, t.registrations
_NO_CHANNEL = 2**62  # sorts a line without a known channel after every real one on a tie


def _case_columns() -> list[Any]:
    return [cases.c.id.label("case_id"), cases.c.found_at, cases.c.resolved_at]


def _opening_channel() -> Any:
    """The channel that opened a line: its own, or (sold at the counter) its registration's."""
    registered = (
        select(func.max(r.c.channel_id))
        .where(r.c.line_id == ln.c.id, r.c.state == "active")
        .scalar_subquery()
    )
    return func.coalesce(ln.c.channel_id, registered)


def _line_columns() -> list[Any]:
    return [
        cases.c.id.label("case_id"),
        cases.c.found_at,
        cases.c.resolved_at,
        _opening_channel().label("channel_id"),
        literal(1).label("weight"),
    ]


def _decided_lines(conn: Connection) -> Any:
    """Every line of every resolved case's decision record."""
    each: Any
    if conn.dialect.name == "sqlite":
        each = func.json_each(cases.c.decision, "$.lines").table_valued("value").alias("j")
        line_id = cast(func.json_extract(each.c.value, "$.line_id"), Integer)
    else:
        each = (
            func.json_array_elements(cases.c.decision["lines"]).table_valued("value").lateral("j")
        )
        line_id = cast(each.c.value.op("->>")("line_id"), BigInteger)
    return (
        select(*_line_columns())
        .select_from(cases)
        .join(each, literal(True))
        .join(ln, ln.c.id == line_id)
        .where(cases.c.resolved_at.is_not(None), cases.c.decision.is_not(None))
    )


def home_channels(conn: Connection) -> Any:
    """(id, found_at, resolved_at, channel_id) for every case; channel None when none of its
    lines has one. Every case also brings one row of weight 0 and no channel, so a case
    without lines still has a row, with no outer join back to the cases (which SQLite answered
    by scanning the ranking once per case) and no second pass over the lines."""
    held = (
        select(*_line_columns())
        .join(ln, ln.c.customer_id == cases.c.customer_id)
        .where(
            or_(cases.c.resolved_at.is_(None), cases.c.decision.is_(None)),
            ln.c.state.not_in(NOT_HELD),
        )
    )
    itself = select(
        cases.c.id.label("case_id"),
        cases.c.found_at,
        cases.c.resolved_at,
        literal(None, BigInteger).label("channel_id"),
        literal(0).label("weight"),
    )
    pairs = union_all(held, _decided_lines(conn), itself).subquery("pairs")
    keys = [pairs.c.case_id, pairs.c.found_at, pairs.c.resolved_at, pairs.c.channel_id]
    per_channel = (
        select(*keys, func.sum(pairs.c.weight).label("n")).group_by(*keys).subquery("per_channel")
    )
    p = per_channel
    ranked = select(
        p.c.case_id.label("id"),
        p.c.found_at,
        p.c.resolved_at,
        p.c.channel_id,
        func.row_number()
        .over(
            partition_by=p.c.case_id,
            order_by=(p.c.n.desc(), func.coalesce(p.c.channel_id, _NO_CHANNEL)),
        )
        .label("rank"),
    ).subquery("ranked")
    return (
        select(ranked.c.id, ranked.c.found_at, ranked.c.resolved_at, ranked.c.channel_id)
        .where(ranked.c.rank == 1)
        .cte("homed")  # a CTE: the per-day events read it twice, it is computed once
    )


class SqlOverLimitFigures:
    conn: Connection

    def over_limit_by_channel(self, at: datetime) -> list[OverLimitGroup]:
        """Cases found before ``at`` and, of those, resolved before it, per home channel."""
        h = home_channels(self.conn)
        rows = self.conn.execute(
            select(
                h.c.channel_id,
                func.count().label("found"),
                func.count(case((h.c.resolved_at < at, 1))).label("resolved"),
            )
            .where(h.c.found_at < at)
            .group_by(h.c.channel_id)
        )
        return [OverLimitGroup(None, x.channel_id, int(x.found), int(x.resolved)) for x in rows]

    def over_limit_days(
        self, since: datetime, until: datetime, offset_hours: int, *, per_channel: bool
    ) -> list[OverLimitGroup]:
        """Cases found and resolved before ``until`` per operator day (those before ``since``
        together, day None), per home channel when asked: one statement for any range."""
        h = home_channels(self.conn) if per_channel else cases
        channel = h.c.channel_id if per_channel else literal(None)
        events = union_all(
            select(
                channel.label("channel_id"),
                h.c.found_at.label("at"),
                literal(1).label("found"),
                literal(0).label("resolved"),
            ).where(h.c.found_at < until),
            select(
                channel.label("channel_id"),
                h.c.resolved_at.label("at"),
                literal(0).label("found"),
                literal(1).label("resolved"),
            ).where(h.c.resolved_at < until),
        ).subquery("events")
        day = case(
            (events.c.at < since, None), else_=operator_day(self.conn, events.c.at, offset_hours)
        )
        keys = [day.label("day"), events.c.channel_id]
        rows = self.conn.execute(
            select(
                *keys,
                func.sum(events.c.found).label("found"),
                func.sum(events.c.resolved).label("resolved"),
            ).group_by(day, events.c.channel_id)
        )
        return [
            OverLimitGroup(as_date(x.day), x.channel_id, int(x.found), int(x.resolved))
            for x in rows
        ]
