"""A failed statement's error names the statement, never its values (they may be numbers,
names, ciphertexts): such messages end up in logs and tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from simreg.core.settings import Settings
from simreg.db.engine import make_engine


def test_database_errors_hide_the_statements_values(settings: Settings) -> None:
    engine = make_engine(settings.resolved_database_url())
    try:
        with pytest.raises(DBAPIError) as failed, engine.connect() as conn:
            conn.execute(
                text("SELECT * FROM no_such_table WHERE doc = :doc"),
                {"doc": "11010519491231002X"},
            )
    finally:
        engine.dispose()
    message = str(failed.value)
    assert "no_such_table" in message
    assert "11010519491231002X" not in message and "parameters hidden" in message


def test_a_new_sqlite_database_is_its_owners_only(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    engine = make_engine(f"sqlite:///{folder / 'simreg.db'}")
    try:
        with engine.begin() as conn:  # WAL: the -wal and -shm files appear too
            conn.execute(text("CREATE TABLE t (a INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        modes = {p.name: p.stat().st_mode & 0o777 for p in folder.iterdir()}
    finally:
        engine.dispose()
    assert folder.stat().st_mode & 0o777 == 0o700
    assert modes and all(mode == 0o600 for mode in modes.values()), modes
