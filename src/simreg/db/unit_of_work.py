"""One database transaction per command, on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from simreg.db.repositories import SqlRegistrationTransaction


class SqlUnitOfWork:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def begin(self) -> Iterator[SqlRegistrationTransaction]:
        """Commits when the block ends normally, rolls back on any exception."""
        with self.engine.begin() as connection:
            yield SqlRegistrationTransaction(connection)
