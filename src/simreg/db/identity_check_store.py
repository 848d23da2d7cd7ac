"""``identity_checks`` in SQL: the record of every identity-authority answer (RN-10)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, insert, select

from simreg.db import tables as t
from simreg.identity.authority import CheckResult
from simreg.identity.verification import CachedAnswer, CheckToRecord

_DEFINITE = [r.value for r in CheckResult if r.is_definite]


class SqlIdentityCheckStore:
    """Each call is a transaction of its own: a check is recorded whatever becomes of the
    registration that asked for it, and no lock is held while the authority is asked."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def latest_answer(
        self, doc_index: str, name_index: str, since: datetime
    ) -> CachedAnswer | None:
        c = t.identity_checks.c
        query = (
            select(c.result, c.reference)
            .where(
                c.doc_index == doc_index,
                c.name_index == name_index,
                c.checked_at >= since,
                c.result.in_(_DEFINITE),
                # Reuses are not sources: an answer lives as long as the authority gave it for.
                c.from_cache.is_(False),
            )
            .order_by(c.checked_at.desc(), c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return CachedAnswer(result=CheckResult(row.result), reference=row.reference)

    def record(self, check: CheckToRecord) -> int:
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    insert(t.identity_checks)
                    .values(
                        doc_index=check.doc_index,
                        name_index=check.name_index,
                        purpose=check.purpose.value,
                        result=check.result.value,
                        reference=check.reference,
                        checked_at=check.checked_at,
                        elapsed_ms=check.elapsed_ms,
                        from_cache=check.from_cache,
                    )
                    .returning(t.identity_checks.c.id)
                ).scalar_one()
            )
