"""The analytics engine: whole-table scans read from the database as Arrow tables over ADBC
(SQLite file or PostgreSQL, one read-only snapshot per question) and counted by DuckDB.

Only the columns a figure needs travel, already narrowed in SQL (the real-name class and the
"opened since the cut-off" test become small integers there), so millions of lines move as a
few compact columns and DuckDB groups them on every core. Nothing is kept between questions:
the database stays the one source of truth.

SQLite is read in a worker process. The ADBC driver links its own copy of SQLite; two copies
in one process that open the same file do not see each other's POSIX locks (closing one
copy's descriptor drops the other's locks, the corruption the SQLite documentation warns of)
and the ADBC copy was measured reading a stale snapshot beside an open sqlite3 connection.
A process of its own is what SQLite's locking is built for. PostgreSQL is read in-process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

from simreg.adapters.analytics_worker import AnalyticsWorker
from simreg.core.errors import ConfigurationError
from simreg.lines.domain import LineState, RealNameState
from simreg.reporting.domain import (
    CensusGroup,
    Grain,
    LineCounts,
)
from simreg.reporting.events import (
    WaitingTimes,
)
from simreg.reporting.ports import RegistrationGroup, ReviewerWait, WaitGrouping

IN_SERVICE = (
    LineState.ACTIVE.value,
    LineState.SUSPENDED_ONE_WAY.value,
    LineState.SUSPENDED_TWO_WAY.value,
)
# Real-name class as a small integer: 1 verified, 2 legacy, 3 re-verification pending.
_CLASS = (
    f"CASE l.real_name_state WHEN '{RealNameState.VERIFIED.value}' THEN 1 "
    f"WHEN '{RealNameState.LEGACY_UNVERIFIED.value}' THEN 2 "
    f"WHEN '{RealNameState.REVERIFICATION_PENDING.value}' THEN 3 ELSE 0 END"
)


@dataclass(frozen=True)
class Source:
    """Where and how to read: plain values, so a worker process can be handed one."""

    dialect: str
    location: str  # the SQLite file, or a libpq URI
    threads: int | None = None

    @classmethod
    def from_url(cls, database_url: str, threads: int | None = None) -> Source:
        from sqlalchemy.engine import make_url  # the parent's business; the worker needs none

        url = make_url(database_url.replace("postgres://", "postgresql://", 1))
        dialect = url.get_backend_name()
        location = ""
        if dialect == "sqlite" and url.database and url.database != ":memory:":
            location = url.database
        elif dialect == "postgresql":
            location = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return cls(dialect, location, threads)

    def read(self, *queries: str) -> list[pa.Table]:
        """Run the queries in one read-only snapshot and return their results as Arrow."""
        if self.dialect == "sqlite":
            import adbc_driver_sqlite.dbapi as sqlite_adbc

            connection: Any = sqlite_adbc.connect(self.location)
        else:
            import adbc_driver_postgresql.dbapi as pg_adbc  # type: ignore[import-untyped]

            connection = pg_adbc.connect(self.location)
        try:
            cursor = connection.cursor()
            try:
                if self.dialect == "postgresql":
                    # Every query of one question sees the same committed state.
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                tables = []
                for query in queries:
                    cursor.execute(query)
                    tables.append(cursor.fetch_arrow_table())
                return tables
            finally:
                cursor.close()
                connection.rollback()
        finally:
            connection.close()

    def literal(self, at: datetime) -> str:
        """A UTC instant as SQL text, in the form each database stores timestamps (formatted
        from a datetime, so nothing typed by a user reaches the statement)."""
        utc = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if self.dialect == "sqlite":
            return f"'{utc}'"
        return f"TIMESTAMPTZ '{utc}+00:00'"

    def seconds_between(self, start: str, end: str) -> str:
        if self.dialect == "sqlite":
            return f"((julianday({end}) - julianday({start})) * 86400.0)"
        return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS DOUBLE PRECISION)"

    def epoch(self, column: str) -> str:
        if self.dialect == "sqlite":
            return f"CAST(strftime('%s', {column}) AS INTEGER)"
        return f"CAST(EXTRACT(EPOCH FROM {column}) AS BIGINT)"

    def engine(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")  # nobody watches a worker's terminal
        if self.threads:
            con.execute(f"SET threads = {int(self.threads)}")
        return con


T = TypeVar("T")


class DuckDbAnalytics:
    """The ``Analytics`` port: each question runs where it is safe to read (see above)."""

    def __init__(self, database_url: str, *, threads: int | None = None) -> None:
        self.source = Source.from_url(database_url, threads)
        self._worker = AnalyticsWorker()

    def _run(self, question: Callable[..., T], *args: Any) -> T:
        if not self.source.location:
            raise ConfigurationError(
                "Reports read the database through ADBC: an SQLite file or PostgreSQL (an "
                "in-memory SQLite database cannot be shared with the analytics engine).",
                code="REPORT-DATABASE",
                message_zh="统计需读取 SQLite 数据库文件或 PostgreSQL，不支持内存数据库。",
            )
        if self.source.dialect != "sqlite":
            return question(self.source, *args)
        answer: T = self._worker.ask(question.__name__, self.source, *args)
        return answer

    def close(self) -> None:
        """Stop the SQLite reader's worker process, if one was started."""
        self._worker.close()

    def census_groups(self, *, cutoff_at: datetime) -> list[CensusGroup]:
        return self._run(census_groups, cutoff_at)

    def waiting_times(
        self, since: datetime, until: datetime
    ) -> tuple[WaitingTimes, list[ReviewerWait]]:
        return self._run(waiting_times, since, until)

    def waiting_times_by(
        self, since: datetime, until: datetime, grouping: WaitGrouping
    ) -> list[tuple[int | str, WaitingTimes]]:
        return self._run(waiting_times_by, since, until, grouping)

    def registration_buckets(
        self, since: datetime, until: datetime, grain: Grain, offset_hours: int
    ) -> list[RegistrationGroup]:
        return self._run(registration_buckets, since, until, grain, offset_hours)


# -- the census ---------------------------------------------------------------------------


def _line_columns(source: Source, cutoff_at: datetime) -> str:
    """Kind, opened since the cut-off, suspended and real-name class as small integers."""
    return (
        "CASE WHEN l.kind = 'data' THEN 1 ELSE 0 END AS data_card, "
        f"CASE WHEN l.opened_at >= {source.literal(cutoff_at)} THEN 1 ELSE 0 END "
        "AS since_cutoff, "
        f"CASE WHEN l.state = 'active' THEN 0 ELSE 1 END AS suspended, {_CLASS} AS class"
    )


# Lines sold at the counter carry no channel of their own: they take the channel of the
# registration that opened them (the same rule as the /base figures).
_REGISTERED_CHANNEL = (
    "(SELECT MAX(r.channel_id) FROM registrations r WHERE r.line_id = l.id AND r.state = 'active')"
)
_IN_SERVICE = "l.state IN (" + ", ".join(f"'{s}'" for s in IN_SERVICE) + ")"
_COUNTS = (
    "count(*) AS in_service, "
    "count(*) FILTER (WHERE class = 1) AS verified, "
    "count(*) FILTER (WHERE class = 2) AS legacy_unverified, "
    "count(*) FILTER (WHERE class = 3) AS reverification_pending, "
    "sum(suspended) AS suspended"
)


def census_query(source: Source, cutoff_at: datetime) -> str:
    """Lines in service, one narrow row each."""
    return (
        f"SELECT COALESCE(l.channel_id, {_REGISTERED_CHANNEL}) AS channel_id, "
        f"{_line_columns(source, cutoff_at)} FROM lines l WHERE {_IN_SERVICE}"
    )


def census_groups(source: Source, cutoff_at: datetime) -> list[CensusGroup]:
    """SQLite: the narrow rows read over ADBC, grouped by DuckDB on every core (SQLite's own
    GROUP BY runs on one core and was measured at half the speed). PostgreSQL: grouped by
    the database itself, in parallel, which was measured faster than moving the rows out
    (bench/README.md); lines with a channel of their own are scanned without the correlated
    registration lookup, which would keep PostgreSQL from a parallel scan."""
    if source.dialect == "postgresql":
        columns = _line_columns(source, cutoff_at)
        (found,) = source.read(
            f"SELECT c.org_unit_id, g.* FROM (SELECT channel_id, data_card, since_cutoff, "
            f"{_COUNTS} FROM ("
            f"SELECT l.channel_id AS channel_id, {columns} FROM lines l "
            f"WHERE {_IN_SERVICE} AND l.channel_id IS NOT NULL UNION ALL "
            f"SELECT {_REGISTERED_CHANNEL} AS channel_id, {columns} FROM lines l "
            f"WHERE {_IN_SERVICE} AND l.channel_id IS NULL"
            ") x GROUP BY channel_id, data_card, since_cutoff) g "
            "LEFT JOIN channels c ON c.id = g.channel_id"
        )
        rows = [tuple(r.values()) for r in found.to_pylist()]
    else:
        lines, channels = source.read(
            census_query(source, cutoff_at), "SELECT id, org_unit_id FROM channels"
        )
        con = source.engine()
        try:
            con.register("l", lines)
            con.register("ch", channels)
            rows = con.execute(
                f"SELECT ch.org_unit_id, g.* FROM (SELECT channel_id, data_card, since_cutoff, "
                f"{_COUNTS} FROM l GROUP BY channel_id, data_card, since_cutoff) g "
                "LEFT JOIN ch ON ch.id = g.channel_id"
            ).fetchall()
        finally:
            con.close()
    return [
        CensusGroup(
            org_unit_id=_int(unit),
            channel_id=_int(channel),
            kind="data" if data_card else "voice",
            since_cutoff=bool(since),
            counts=LineCounts(int(n), int(ver), int(leg), int(pend), int(susp or 0)),
        )
        for unit, channel, data_card, since, n, ver, leg, pend, susp in rows
    ]


# -- review waiting times -----------------------------------------------------------------


def waiting_times(
    source: Source, since: datetime, until: datetime
) -> tuple[WaitingTimes, list[ReviewerWait]]:
    waited = source.seconds_between("submitted_at", "decided_at")
    (decided,) = source.read(
        f"SELECT reviewer_id, CASE WHEN approved_at IS NULL THEN 0 ELSE 1 END AS approved, "
        f"{waited} AS waited FROM registrations WHERE reviewer_id IS NOT NULL "
        f"AND decided_at >= {source.literal(since)} AND decided_at < {source.literal(until)}"
    )
    con = source.engine()
    try:
        con.register("d", decided)
        # Median: the middle value (mean of the two middle ones); 95th percentile: the
        # nearest rank, a waiting time that 95% of decisions did not exceed.
        measures = (
            "count(*), sum(approved), round(quantile_cont(waited, 0.5), 3), "
            "round(quantile_disc(waited, 0.95), 3), round(max(waited), 3)"
        )
        overall = con.execute(f"SELECT {measures} FROM d").fetchone()
        per = con.execute(
            f"SELECT reviewer_id, {measures} FROM d GROUP BY reviewer_id ORDER BY reviewer_id"
        ).fetchall()
    finally:
        con.close()
    assert overall is not None
    return _waits(overall), [ReviewerWait(int(r[0]), _waits(r[1:])) for r in per]


# Median: the middle value (mean of the two middle ones); 95th percentile: the nearest rank.
_WAIT_MEASURES = (
    "count(*), sum(approved), round(quantile_cont(waited, 0.5), 3), "
    "round(quantile_disc(waited, 0.95), 3), round(max(waited), 3)"
)


def waiting_times_by(
    source: Source, since: datetime, until: datetime, grouping: WaitGrouping
) -> list[tuple[int | str, WaitingTimes]]:
    """Percentiles do not add up, so rows of a breakdown (org units, channels, outlets, line
    kinds) are grouped here, over the decisions themselves: the caller's row map joins them
    to their row (a channel's or outlet's id → the row's index)."""
    if grouping.by not in ("channel", "outlet", "kind"):
        raise ValueError(f"cannot group waiting times by {grouping.by!r}")
    waited = source.seconds_between("r.submitted_at", "r.decided_at")
    (decided,) = source.read(
        "SELECT COALESCE(r.channel_id, -1) AS channel_id, COALESCE(r.outlet_id, -1) "
        "AS outlet_id, l.kind AS kind, "
        f"CASE WHEN r.approved_at IS NULL THEN 0 ELSE 1 END AS approved, {waited} AS waited "
        "FROM registrations r JOIN lines l ON l.id = r.line_id WHERE r.reviewer_id IS NOT NULL "
        f"AND r.decided_at >= {source.literal(since)} AND r.decided_at < {source.literal(until)}"
    )
    con = source.engine()
    try:
        con.register("d", decided)
        if grouping.by == "kind":
            query = f"SELECT kind, {_WAIT_MEASURES} FROM d GROUP BY kind"
        else:
            rows = pa.table(
                {
                    "id": pa.array(list(grouping.rows), pa.int64()),
                    "row": pa.array(list(grouping.rows.values()), pa.int64()),
                }
            )
            con.register("m", rows)
            query = (
                f"SELECT m.row, {_WAIT_MEASURES} FROM d JOIN m ON m.id = d.{grouping.by}_id "
                "GROUP BY m.row"
            )
        found = con.execute(query).fetchall()
    finally:
        con.close()
    return [(r[0] if isinstance(r[0], str) else int(r[0]), _waits(r[1:])) for r in found]


# -- registrations by period --------------------------------------------------------------


def registration_buckets(
    source: Source, since: datetime, until: datetime, grain: Grain, offset_hours: int
) -> list[RegistrationGroup]:
    (found,) = source.read(
        "SELECT r.channel_id, r.outlet_id, CASE WHEN l.kind = 'data' THEN 1 ELSE 0 END "
        "AS data_card, CASE WHEN r.device_id IS NULL THEN 0 ELSE 1 END AS app, "
        f"{source.epoch('r.submitted_at')} AS at_s FROM registrations r "
        "JOIN channels c ON c.id = r.channel_id JOIN lines l ON l.id = r.line_id "
        f"WHERE c.kind = 'social' AND r.source = 'counter' "
        f"AND r.submitted_at >= {source.literal(since)} "
        f"AND r.submitted_at < {source.literal(until)}"
    )
    shift = int(offset_hours) * 3600
    con = source.engine()
    try:
        con.register("f", found)
        rows = con.execute(
            f"""
            SELECT CAST(date_trunc('{grain.value}', DATE '1970-01-01'
                       + CAST(floor((at_s + {shift}) / 86400) AS INTEGER)) AS DATE) AS bucket,
                   channel_id, outlet_id, data_card, count(*), sum(app)
            FROM f GROUP BY ALL
            """
        ).fetchall()
    finally:
        con.close()
    return [
        RegistrationGroup(
            channel_id=int(channel),
            outlet_id=_int(outlet),
            kind="data" if data_card else "voice",
            total=int(total),
            through_app=int(app or 0),
            bucket=_day(bucket),
        )
        for bucket, channel, outlet, data_card, total, app in rows
    ]


def _int(value: object) -> int | None:
    return int(value) if value is not None else None  # type: ignore[call-overload]


def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _waits(row: Any) -> WaitingTimes:
    decided, approved, median, p95, longest = row
    decided = int(decided or 0)
    approved = int(approved or 0)
    return WaitingTimes(
        decided=decided,
        approved=approved,
        rejected=decided - approved,
        median_seconds=float(median) if median is not None else None,
        p95_seconds=float(p95) if p95 is not None else None,
        max_seconds=float(longest) if longest is not None else None,
    )
