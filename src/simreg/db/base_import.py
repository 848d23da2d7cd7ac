"""The legacy base import's SQL: one chunk per transaction, through a staging table.

Each chunk is written into a temporary staging table (PostgreSQL: COPY ... FROM STDIN in
binary; SQLite: one executemany), then moved with a few set-based statements:
  1. rows the database refuses are taken out of the stage: a number already inserted by this
     run (repeated in the file), a card or IMSI another number holds;
  2. documents become customers (keyed by blind index) when one of their lines is new;
  3. lines are inserted ON CONFLICT (msisdn) DO NOTHING RETURNING, so only lines really
     inserted raise their customer's held-line count, in the same statement (PostgreSQL) or
     the same transaction (SQLite). Legacy documents may exceed the per-ID limit: that is
     what the RN-14 audit finds.
"""

# The statements are assembled from this module's constants only, never from input.
# ruff: noqa: S608

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, text, update
from sqlalchemy.sql.elements import TextClause

from simreg.core.audit import AuditEvent
from simreg.db import bulk_load
from simreg.db import tables as t
from simreg.db.audit_store import record_audit
from simreg.db.repositories import aware
from simreg.legacy.importing import ChunkOutcome, ImportRun, ImportTotals
from simreg.legacy.rows import Rejection, card_taken, duplicate
from simreg.legacy.staging import STAGE_COLUMNS, RejectedRow, StagedChunk
from simreg.lines.domain import LineState

STAGE = "base_import_stage"
_COLUMN_TYPES = {
    "line_no": ("bigint", "INTEGER", "int8"),
    "channel_id": ("bigint", "INTEGER", "int8"),
    "holder_name_enc": ("bytea", "BLOB", "bytea"),
    "doc_number_enc": ("bytea", "BLOB", "bytea"),
}
_TEXT = ("text", "TEXT", "text")
_STAGE_TYPES = [_COLUMN_TYPES.get(name, _TEXT) for name in STAGE_COLUMNS]
_COLUMN_LIST = ", ".join(STAGE_COLUMNS)


def _stage_ddl(dialect: int) -> str:
    columns = ", ".join(
        f"{name} {types[dialect]}" for name, types in zip(STAGE_COLUMNS, _STAGE_TYPES, strict=True)
    )
    if dialect == 0:
        return f"CREATE TEMPORARY TABLE {STAGE} ({columns}) ON COMMIT DROP"
    return f"CREATE TEMPORARY TABLE {STAGE} ({columns})"


def _stamped(sql: str) -> TextClause:
    # Typed, so SQLite gets the stamp in the same text form as every stored datetime and the
    # equality tests below compare like with like.
    return text(sql).bindparams(bindparam("stamp", type_=t.lines.c.imported_at.type))


# 1. Rows the database refuses (SQLite), with what to tell the operator: 2 = the other line was
# inserted by this run (a repeat in the file), 1 = it was there before (the card is taken).
_SAME_NUMBER_THIS_RUN = (
    f"EXISTS (SELECT 1 FROM lines l WHERE l.msisdn = {STAGE}.msisdn AND l.imported_at = :stamp)"
)


def _card_clash(column: str) -> str:
    return (
        f"(SELECT CASE WHEN l.imported_at = :stamp THEN 2 ELSE 1 END FROM lines l "
        f"WHERE l.{column} = {STAGE}.{column} AND l.msisdn <> {STAGE}.msisdn)"
    )


def _card_exists(column: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM lines l "
        f"WHERE l.{column} = {STAGE}.{column} AND l.msisdn <> {STAGE}.msisdn)"
    )


_REFUSE = _stamped(
    f"DELETE FROM {STAGE} WHERE {_SAME_NUMBER_THIS_RUN} "
    f"OR {_card_exists('iccid')} OR {_card_exists('imsi')} "
    f"RETURNING line_no, msisdn, {_SAME_NUMBER_THIS_RUN}, "
    f"{_card_clash('iccid')}, {_card_clash('imsi')}"
)

# PostgreSQL: the same, as one lateral probe of the three unique indexes a row. Written so
# because with OR-ed EXISTS the planner may hash the whole lines table once a chunk, which is
# right for an empty table and ruinous for ten million lines with stale statistics. It also
# returns the rows whose number is already there from before (the last column): they are
# taken out of the stage too, as unchanged, so that the statements after it need not look
# for them again (a hash of the whole lines table each chunk, the run growing quadratic).
_REFUSE_POSTGRESQL = _stamped(
    "SELECT s.line_no, s.msisdn, "
    "bool_or(l.msisdn = s.msisdn AND l.imported_at IS NOT DISTINCT FROM :stamp), "
    "max(CASE WHEN l.iccid = s.iccid AND l.msisdn <> s.msisdn THEN "
    "CASE WHEN l.imported_at IS NOT DISTINCT FROM :stamp THEN 2 ELSE 1 END END), "
    "max(CASE WHEN l.imsi = s.imsi AND l.msisdn <> s.msisdn THEN "
    "CASE WHEN l.imported_at IS NOT DISTINCT FROM :stamp THEN 2 ELSE 1 END END), "
    "bool_or(l.msisdn = s.msisdn) "
    f"FROM {STAGE} s CROSS JOIN LATERAL (SELECT msisdn, iccid, imsi, imported_at FROM lines "
    "WHERE lines.msisdn = s.msisdn OR lines.iccid = s.iccid OR lines.imsi = s.imsi) l "
    "GROUP BY s.line_no, s.msisdn"
)
_DROP_REFUSED = f"DELETE FROM {STAGE} WHERE line_no = ANY(%s)"

# 2. New documents: only for lines that will be inserted, so a re-run makes no customer.
_CANCELLED = LineState.CANCELLED.value
# SQLite: a customer made here starts with the lines the stage holds for it, all of which
# the lines statement inserts (the write lock is held since BEGIN IMMEDIATE, repeats and
# refusals are out of the stage, and numbers there from before are left out here as there).
_CUSTOMERS = _stamped(
    "INSERT INTO customers (doc_type, doc_index, doc_number_enc, doc_masked, held_lines, "
    "created_at) "
    "SELECT s.doc_type, s.doc_index, s.doc_number_enc, s.doc_masked, "
    f"sum(s.state <> '{_CANCELLED}'), :stamp FROM {STAGE} s "
    "WHERE s.doc_index IS NOT NULL "
    "AND NOT EXISTS (SELECT 1 FROM lines l WHERE l.msisdn = s.msisdn) "
    "GROUP BY s.doc_index "
    "ON CONFLICT (doc_index) DO NOTHING"
)

# PostgreSQL: the stage holds only new numbers by now (see _REFUSE_POSTGRESQL). A customer
# made here starts with the lines the stage holds for it, so the lines statement need not
# update it again (each update of a customer is a new row version and two index entries: it
# was a quarter of the lines statement). What it assumed is kept in _MADE, and the lines
# statement corrects it only where a line was not inserted after all (a concurrent writer's
# number).
_MADE = "base_import_made"
_CUSTOMERS_POSTGRESQL = _stamped(
    f"WITH made AS (INSERT INTO customers (doc_type, doc_index, doc_number_enc, doc_masked, "
    "held_lines, created_at) "
    "SELECT DISTINCT ON (s.doc_index) s.doc_type, s.doc_index, s.doc_number_enc, "
    f"s.doc_masked, count(*) FILTER (WHERE s.state <> '{_CANCELLED}') "
    f"OVER (PARTITION BY s.doc_index), :stamp FROM {STAGE} s "
    "WHERE s.doc_index IS NOT NULL "
    "AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.doc_index = s.doc_index) "
    # Conflicts are dear (a speculative insertion each): only a concurrent writer meets one.
    "ON CONFLICT (doc_index) DO NOTHING RETURNING id, held_lines) "
    f"INSERT INTO {_MADE} (id, assumed) SELECT id, held_lines FROM made"
)

_LINE_COLUMNS = (
    "msisdn, iccid, imsi, kind, state, real_name_state, customer_id, opened_at, updated_at, "
    "channel_id, identity_issue, holder_name_enc, holder_name_masked, imported_at"
)


def _lines_select(opened_at: str) -> str:
    return (
        f"SELECT s.msisdn, s.iccid, s.imsi, s.kind, s.state, s.real_name_state, c.id, "
        f"{opened_at}, :stamp, s.channel_id, s.identity_issue, s.holder_name_enc, "
        f"s.holder_name_masked, :stamp "
        f"FROM {STAGE} s LEFT JOIN customers c ON c.doc_index = s.doc_index "
        # SQLite needs a WHERE before ON CONFLICT (else ON reads as a join condition).
        f"WHERE true"
    )


# 3. Lines, and the held-line counts of what was really inserted, in one statement.
_LINES_POSTGRESQL = _stamped(
    f"WITH inserted AS (INSERT INTO lines ({_LINE_COLUMNS}) "
    + _lines_select("(s.opened_on::date)::timestamp AT TIME ZONE 'UTC'")
    + " ON CONFLICT (msisdn) DO NOTHING RETURNING customer_id, state), "
    "held AS (UPDATE customers SET held_lines = customers.held_lines + d.delta "
    "FROM (SELECT coalesce(n.customer_id, m.id) AS id, "
    "coalesce(n.added, 0) - coalesce(m.assumed, 0) AS delta "
    "FROM (SELECT customer_id, count(*) AS added FROM inserted "
    f"WHERE customer_id IS NOT NULL AND state <> '{_CANCELLED}' GROUP BY customer_id) n "
    f"FULL JOIN {_MADE} m ON m.id = n.customer_id) d "
    "WHERE customers.id = d.id AND d.delta <> 0 RETURNING 1) "
    "SELECT count(*) FROM inserted"
)
# SQLite stores datetimes as text in SQLAlchemy's layout; midnight UTC like the campaigns'.
_LINES_SQLITE = _stamped(
    f"INSERT INTO lines ({_LINE_COLUMNS}) "
    + _lines_select("s.opened_on || ' 00:00:00.000000'")
    + " ON CONFLICT (msisdn) DO NOTHING"
)
# The lines this transaction inserted are those above the highest id before it: the write
# lock is held from BEGIN IMMEDIATE, and SQLite gives a new row the highest rowid plus one.
# Counted in SQL rather than fetched and counted here (a fifth of SQLite's loading time).
_LAST_LINE_SQLITE = "SELECT coalesce(max(id), 0) FROM lines"
# Only customers there before this chunk: those it made already count their lines.
_LAST_CUSTOMER_SQLITE = "SELECT coalesce(max(id), 0) FROM customers"
_HELD_SQLITE = text(
    "UPDATE customers SET held_lines = customers.held_lines + n.added "
    "FROM (SELECT customer_id, count(*) AS added FROM lines "
    f"WHERE id > :before AND customer_id <= :customers_before AND state <> '{_CANCELLED}' "
    "GROUP BY customer_id) n "
    "WHERE customers.id = n.customer_id"
)


# The import's connection: the stage in memory, not in a temporary file; and a page cache
# (default 2 MB) large enough to hold the index pages a chunk touches in lines' eight
# indexes and customers' blind-index one, which otherwise go back and forth to the OS.
_SQLITE_BULK_PRAGMAS = ("PRAGMA cache_size = -262144",)


class SqlBaseImportTransaction:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection
        self.postgresql = connection.dialect.name == "postgresql"

    def channel_ids(self) -> dict[str, int]:
        rows = self.conn.execute(select(t.channels.c.code, t.channels.c.id))
        return {code: int(id_) for code, id_ in rows}

    def start_run(
        self, *, file_name: str, sha256: str, at: datetime, actor_staff_id: int | None
    ) -> ImportRun:
        latest = aware(self.conn.execute(select(func.max(t.base_imports.c.started_at))).scalar())
        stamp = at if latest is None or at > latest else latest + timedelta(microseconds=1)
        run_id = self.conn.execute(
            insert(t.base_imports)
            .values(
                file_name=file_name[:500],
                file_sha256=sha256,
                started_at=stamp,
                status="running",
                actor_staff_id=actor_staff_id,
            )
            .returning(t.base_imports.c.id)
        ).scalar_one()
        return ImportRun(int(run_id), stamp)

    def lines_present(self, at_most: int) -> int:
        # Bounded: counting ten million lines to learn "more than the file" would be a scan.
        bounded = select(t.lines.c.id).limit(at_most).subquery()
        return int(self.conn.execute(select(func.count()).select_from(bounded)).scalar_one())

    def bulk_pending(self) -> bool:
        dropped = select(t.base_imports.c.id).where(t.base_imports.c.bulk_load == bulk_load.DROPPED)
        return self.conn.execute(dropped.limit(1)).first() is not None

    def drop_for_bulk(self, run_id: int) -> None:
        if self.postgresql:
            # The drop needs lines to itself for a moment; rather fail the run than queue
            # behind a long reader while every other user of lines queues behind the drop.
            self.conn.exec_driver_sql("SET LOCAL lock_timeout = '30s'")
        bulk_load.drop_secondary(self.conn)
        self.conn.execute(
            update(t.base_imports)
            .where(t.base_imports.c.id == run_id)
            .values(bulk_load=bulk_load.DROPPED)
        )

    def restore_after_bulk(self) -> list[str]:
        made = bulk_load.restore_secondary(self.conn)
        self.conn.execute(
            update(t.base_imports)
            .where(t.base_imports.c.bulk_load == bulk_load.DROPPED)
            .values(bulk_load=bulk_load.RESTORED)
        )
        return made

    def load_chunk(self, stamp: datetime, staged: StagedChunk) -> ChunkOutcome:
        if not len(staged):
            return ChunkOutcome(0, [])
        self._stage(staged)
        if self.postgresql:
            probed = self.conn.execute(_REFUSE_POSTGRESQL, {"stamp": stamp}).all()
            if probed:
                self.conn.exec_driver_sql(_DROP_REFUSED, ([row[0] for row in probed],))
            # The rest of them are numbers there from before: unchanged, not refused.
            found = [row for row in probed if row[2] or row[3] or row[4]]
        else:
            found = list(self.conn.execute(_REFUSE, {"stamp": stamp}).all())
        refused = [
            RejectedRow(row[0], row[1], _refusal(bool(row[2]), row[3], row[4])) for row in found
        ]
        if self.postgresql:
            self.conn.exec_driver_sql(
                f"CREATE TEMPORARY TABLE {_MADE} (id bigint, assumed bigint) ON COMMIT DROP"
            )
            self.conn.execute(_CUSTOMERS_POSTGRESQL, {"stamp": stamp})
            loaded = int(self.conn.execute(_LINES_POSTGRESQL, {"stamp": stamp}).scalar_one())
        else:
            customers_before = int(self.conn.exec_driver_sql(_LAST_CUSTOMER_SQLITE).scalar_one())
            self.conn.execute(_CUSTOMERS, {"stamp": stamp})
            loaded = self._lines_sqlite(stamp, customers_before)
            self.conn.exec_driver_sql(f"DROP TABLE temp.{STAGE}")
        return ChunkOutcome(loaded, refused)

    def _stage(self, staged: StagedChunk) -> None:
        driver: Any = self.conn.connection.driver_connection
        if self.postgresql:
            # JIT compilation costs a second a chunk here and saves nothing: these are simple
            # scans and index probes over a few ten thousand rows.
            self.conn.exec_driver_sql("SET LOCAL jit = off")
            self.conn.exec_driver_sql(_stage_ddl(0))
            with driver.cursor() as cursor:
                copy_sql = f"COPY {STAGE} ({_COLUMN_LIST}) FROM STDIN (FORMAT BINARY)"
                with cursor.copy(copy_sql) as copy:
                    copy.set_types([types[2] for types in _STAGE_TYPES])
                    for row in staged.rows():
                        copy.write_row(row)
            # A fresh temporary table has no statistics; without them the planner may hash
            # the whole customers table to join a few thousand rows.
            # A small sample is enough to tell a few thousand rows from millions (the default
            # target reads 30,000 rows: a quarter of a second a chunk).
            self.conn.exec_driver_sql("SET LOCAL default_statistics_target = 10")
            self.conn.exec_driver_sql(f"ANALYZE {STAGE}")
            return
        self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{STAGE}")
        for pragma in _SQLITE_BULK_PRAGMAS:
            self.conn.exec_driver_sql(pragma)
        self.conn.exec_driver_sql(_stage_ddl(1))
        marks = ", ".join("?" * len(STAGE_COLUMNS))
        cursor = driver.cursor()
        try:
            cursor.executemany(f"INSERT INTO temp.{STAGE} VALUES ({marks})", staged.rows())
        finally:
            cursor.close()

    def _lines_sqlite(self, stamp: datetime, customers_before: int) -> int:
        before = int(self.conn.exec_driver_sql(_LAST_LINE_SQLITE).scalar_one())
        inserted = self.conn.execute(_LINES_SQLITE, {"stamp": stamp}).rowcount
        if inserted:
            self.conn.execute(
                _HELD_SQLITE, {"before": before, "customers_before": customers_before}
            )
        return int(inserted)

    def save_progress(
        self, run_id: int, totals: ImportTotals, *, status: str, finished_at: datetime | None
    ) -> None:
        self.conn.execute(
            update(t.base_imports)
            .where(t.base_imports.c.id == run_id)
            .values(
                status=status,
                finished_at=finished_at,
                rows_read=totals.read,
                rows_loaded=totals.loaded,
                rows_unchanged=totals.unchanged,
                rows_rejected=totals.rejected,
                identity_invalid=totals.identity_invalid,
            )
        )

    def record(self, event: AuditEvent) -> None:
        record_audit(self.conn, event)


def _refusal(same_number: bool, iccid: int | None, imsi: int | None) -> Rejection:
    if same_number:
        return duplicate("msisdn")
    if iccid == 2:
        return duplicate("ICCID")
    if imsi == 2:
        return duplicate("IMSI")
    return card_taken("ICCID" if iccid else "IMSI")
