"""Migrations build exactly the schema the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, inspect

from simreg.db.engine import make_engine
from simreg.db.migrate import alembic_config, schema_drift, upgrade
from simreg.db.tables import metadata


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    # Disposed even when an assertion fails: a pooled connection left to the garbage collector
    # would fail some later test with a ResourceWarning.
    made = make_engine(database_url)
    try:
        yield made
    finally:
        made.dispose()


def test_migrations_match_the_models(engine: Engine) -> None:
    upgrade(engine)
    assert schema_drift(engine) == []
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())


def test_downgrade_to_empty_and_back(engine: Engine) -> None:
    upgrade(engine)
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert schema_drift(engine) == []
