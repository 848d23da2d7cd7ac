"""Apply and check Alembic migrations without an alembic.ini on disk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from simreg.db.tables import metadata

_SCRIPTS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine | None = None, url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` in one transaction (PostgreSQL DDL is transactional)."""
    _migrate(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> None:
    _migrate(engine, lambda config: command.downgrade(config, revision))


def _migrate(engine: Engine, step: Callable[[Config], None]) -> None:
    """One transaction. On SQLite a migration that changes a constraint rebuilds the table
    (Alembic's batch mode: copy, drop, rename); with foreign keys enforced, dropping a table
    that other rows point at fails. So they are off while it runs (the pragma is ignored
    inside a transaction, hence before BEGIN), and checked whole before the commit."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        # On the driver's own connection: through SQLAlchemy it would open a transaction.
        driver: Any = connection.connection.dbapi_connection
        if sqlite:
            driver.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                config = alembic_config(engine)
                config.attributes["connection"] = connection
                before = MigrationContext.configure(connection).get_current_revision()
                step(config)
                moved = MigrationContext.configure(connection).get_current_revision() != before
                # Checked only when a migration ran: the check reads every table, which on a
                # large base is not for every start of the service.
                if (
                    sqlite
                    and moved
                    and connection.exec_driver_sql("PRAGMA foreign_key_check").first()
                ):
                    raise RuntimeError("the migration left rows pointing at nothing")
        finally:
            if sqlite:
                _enforce_foreign_keys(connection, driver)


def schema_drift(engine: Engine) -> list[object]:
    """Differences between the migrated schema and the table definitions; empty when in sync."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def pending_revision(engine: Engine) -> tuple[str | None, str] | None:
    """(the database's revision, head) when migrations are pending; None at head. Reads only."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return None if current == head else (current, head)


def _enforce_foreign_keys(connection: Connection, driver: Any) -> None:
    """Back on before the connection returns to the pool; one that cannot say so (a failed
    commit left it inside a transaction, or it is gone) is discarded instead."""
    try:
        if connection.in_transaction():
            connection.rollback()
        driver.execute("PRAGMA foreign_keys=ON")
        enforced = driver.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    except Exception:  # whatever failed, the connection is not trusted
        enforced = False
    if not enforced:
        connection.invalidate()
