"""One database transaction per command, on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from sqlalchemy import Connection, Engine

T = TypeVar("T")


class SqlUnitOfWork(Generic[T]):
    """Opens a transaction and hands the feature's repository, bound to it, to the service."""

    def __init__(self, engine: Engine, repository: Callable[[Connection], T]) -> None:
        self.engine = engine
        self.repository = repository

    @contextmanager
    def begin(self) -> Iterator[T]:
        """Commits when the block ends normally, rolls back on any exception."""
        with self.engine.begin() as connection:
            yield self.repository(connection)
