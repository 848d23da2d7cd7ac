"""The free part of the number pool as the shop searches it, and the halls that hand cards
over. Reads only; each a single statement on the (state, msisdn) index."""

from __future__ import annotations

from sqlalchemy import Engine, or_, select, text

from simreg.db import tables as t
from simreg.db.online_store import pickup_halls
from simreg.lines.domain import LineState
from simreg.online.ports import FreeNumber, PickupHall

# A loose index scan: from each segment found, one index seek to the first free number above
# it. As many seeks as there are segments, not one row per number in the pool.
_SEGMENTS = text(
    """
    WITH RECURSIVE seg(p) AS (
        SELECT (SELECT substr(min(msisdn), 1, 7) FROM lines
                WHERE state = 'available' AND enterprise_id IS NULL)
        UNION ALL
        SELECT (SELECT substr(min(l.msisdn), 1, 7) FROM lines l
                WHERE l.state = 'available' AND l.enterprise_id IS NULL
                  AND l.msisdn > seg.p || '9999')
        FROM seg WHERE seg.p IS NOT NULL
    )
    SELECT p FROM seg WHERE p IS NOT NULL
    """
)


class SqlNumberPool:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def segments(self) -> list[str]:
        with self.engine.connect() as conn:
            return [str(p) for p in conn.execute(_SEGMENTS).scalars()]

    def search(
        self,
        *,
        ends_with: str | None,
        contains: str | None,
        segments: list[str] | None,
        kind: str | None,
        after: str | None,
        limit: int,
    ) -> list[FreeNumber]:
        lines = t.lines
        query = select(lines.c.msisdn, lines.c.kind).where(
            lines.c.state == LineState.AVAILABLE.value, lines.c.enterprise_id.is_(None)
        )
        if segments is not None:
            # Ranges, not substr(): each is an index range on (state, msisdn).
            query = query.where(
                or_(*(lines.c.msisdn.between(s + "0000", s + "9999") for s in segments))
            )
        if ends_with:
            query = query.where(lines.c.msisdn.endswith(ends_with, autoescape=True))
        if contains:
            query = query.where(lines.c.msisdn.contains(contains, autoescape=True))
        if kind:
            query = query.where(lines.c.kind == kind)
        if after:
            query = query.where(lines.c.msisdn > after)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(lines.c.msisdn).limit(limit))
            return [FreeNumber(r.msisdn, r.kind) for r in rows]

    def pickup_halls(self) -> list[PickupHall]:
        with self.engine.connect() as conn:
            return pickup_halls(conn)
