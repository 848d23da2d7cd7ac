"""A failed statement's error names the statement, never its values (they may be numbers,
names, ciphertexts): such messages end up in logs and tracebacks."""

from __future__ import annotations

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
