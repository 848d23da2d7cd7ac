"""Engine construction for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


def normalise_url(url: str) -> str:
    """Accept the libpq-style URLs operators paste and use psycopg 3 for PostgreSQL."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _private_file(path: Path) -> None:
    """A new SQLite database is readable by its owner only (SQLite gives its WAL and
    shared-memory files the same mode): it holds no plaintext identity, but numbers, blind
    indexes and the audit trail are still nobody else's to read."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """``hide_parameters``: a database error's message (logged, or shown in a traceback) says
    which statement failed but not its values: numbers, names, ciphertexts, blind indexes."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _private_file(Path(parsed.database))
        engine = create_engine(
            url,
            hide_parameters=True,
            poolclass=NullPool if parsed.database in (None, "", ":memory:") else None,
            connect_args={"timeout": 60, "check_same_thread": False},
        )
        _configure_sqlite(engine)
        return engine
    # No pre-ping: it costs a round trip on every checkout. Connections are recycled hourly,
    # and a connection found dead is discarded by the pool after the one failed request.
    return create_engine(
        url,
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=3600,
    )


def _configure_sqlite(engine: Engine) -> None:
    """Every transaction takes the write lock at BEGIN (BEGIN IMMEDIATE).

    SQLite's default deferred transactions upgrade from read to write lazily; two writers that
    both read first then deadlock and one fails with "database is locked". Taking the lock up
    front serialises writers cleanly, which is what makes the RN-05 check atomic there.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
