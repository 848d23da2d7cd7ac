"""Bulk-load mode of the legacy base import (ADR 0011): the secondary structures of ``lines``
are taken off for a first load and rebuilt once at the end.

Every line inserted into ``lines`` costs an entry in each of its eight indexes and, on
PostgreSQL, a lookup by each of its four foreign keys. For a first load of millions of lines
into an (almost) empty table, building an index once over the finished table is several times
cheaper than growing it a row at a time. So a bulk run drops the NON-unique indexes and (on
PostgreSQL) the foreign keys in a transaction of its own, before the first chunk, and recreates
them after the last one. The unique indexes (msisdn, iccid, imsi) and the primary key stay:
they are what makes a re-run find the lines already there and refuse a card held twice.

The definitions come from the table model (``tables.lines``), so what is rebuilt is exactly
what the migrations made and ``simreg db check`` compares against. Rebuilding is idempotent
(only what is missing is created), so a run killed before it rebuilt is finished by the next
run, which finds the ``base_imports`` row still marked ``dropped``.
"""

from __future__ import annotations

from sqlalchemy import Connection, ForeignKeyConstraint, Index, text
from sqlalchemy.schema import AddConstraint, CreateIndex

from simreg.db import tables as t

DROPPED = "dropped"
RESTORED = "restored"


def _secondary_indexes() -> list[Index]:
    return sorted((i for i in t.lines.indexes if not i.unique), key=lambda i: str(i.name))


def _foreign_keys() -> list[ForeignKeyConstraint]:
    return sorted(t.lines.foreign_key_constraints, key=lambda f: str(f.name))


def _postgresql(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def drop_secondary(conn: Connection) -> None:
    """Takes the non-unique indexes of ``lines`` and, on PostgreSQL, its foreign keys off.

    PostgreSQL holds an ACCESS EXCLUSIVE lock on ``lines`` (and briefly on the tables its keys
    refer to) until this transaction commits: a moment, since nothing is scanned. SQLite's
    foreign keys are part of the table's definition and cannot be dropped; they stay."""
    for index in _secondary_indexes():
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {index.name}")
    if _postgresql(conn):
        for key in _foreign_keys():
            conn.exec_driver_sql(f"ALTER TABLE lines DROP CONSTRAINT IF EXISTS {key.name}")


def restore_secondary(conn: Connection) -> list[str]:
    """Recreates whatever of the model's indexes and foreign keys of ``lines`` is missing, and
    returns their names. Each index build reads the table once, under a SHARE lock (reads go
    on, writes wait); each foreign key is added NOT VALID and then validated, which checks
    every line against its parent table."""
    made: list[str] = []
    postgresql = _postgresql(conn)
    if postgresql:
        # The sort of an index build runs in this much memory instead of temporary files.
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
    present = _present_indexes(conn)
    for index in _secondary_indexes():
        if index.name not in present:
            conn.execute(CreateIndex(index, if_not_exists=True))
            made.append(str(index.name))
    if postgresql:
        keys = _present_foreign_keys(conn)
        for key in _foreign_keys():
            if key.name in keys:
                continue
            ddl = str(AddConstraint(key).compile(dialect=conn.dialect))
            conn.exec_driver_sql(f"{ddl} NOT VALID")
            conn.exec_driver_sql(f"ALTER TABLE lines VALIDATE CONSTRAINT {key.name}")
            made.append(str(key.name))
        # The planner's figures for a table that grew from nothing to millions of lines.
        conn.exec_driver_sql("ANALYZE lines")
    return made


def _present_indexes(conn: Connection) -> set[str]:
    if _postgresql(conn):
        sql = "SELECT indexname FROM pg_indexes WHERE tablename = 'lines' AND schemaname = "
        sql += "current_schema()"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'lines'"
    return {str(name) for name in conn.execute(text(sql)).scalars()}


def _present_foreign_keys(conn: Connection) -> set[str]:
    rows = conn.execute(
        text(
            "SELECT conname FROM pg_constraint WHERE contype = 'f' "
            "AND conrelid = to_regclass('lines')"
        )
    )
    return {str(name) for name in rows.scalars()}
