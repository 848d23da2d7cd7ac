"""Request counting for the public pages: one conditional upsert per request, so every
server process shares the count and none can let a request past the limit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from simreg.db import tables as t
from simreg.db.repositories import upsert_insert


class SqlThrottleStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def hit(self, bucket: str, window_start: datetime, limit: int) -> bool:
        rt = t.request_throttle
        with self.engine.begin() as conn:
            statement = upsert_insert(conn)(rt).values(
                bucket=bucket, window_start=window_start, hits=1
            )
            counted = conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["bucket", "window_start"],
                    set_={"hits": rt.c.hits + 1},
                    where=rt.c.hits < limit,
                ).returning(rt.c.hits)
            ).first()
        # RETURNING, not rowcount: drivers report -1 for INSERT ... ON CONFLICT. No row back
        # means the window was already full.
        return counted is not None

    def forget_before(self, window_start: datetime) -> int:
        rt = t.request_throttle
        with self.engine.begin() as conn:
            return conn.execute(rt.delete().where(rt.c.window_start < window_start)).rowcount
