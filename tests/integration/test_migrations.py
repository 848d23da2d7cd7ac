"""Migrations build exactly the schema the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from simreg.db.engine import make_engine
from simreg.db.migrate import alembic_config, schema_drift, upgrade
from simreg.db.tables import metadata


def test_migrations_match_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    assert schema_drift(engine) == []
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_downgrade_to_empty_and_back(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert schema_drift(engine) == []
    engine.dispose()
