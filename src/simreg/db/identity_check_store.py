"""``identity_checks`` in SQL: the record of every identity-authority answer (RN-10)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Engine, String, insert, literal, select

from simreg.db import tables as t
from simreg.db.tables import Ts
from simreg.identity.authority import CheckPurpose, CheckResult, RecordedCheck
from simreg.identity.verification import CheckToRecord

_DEFINITE = [r.value for r in CheckResult if r.is_definite]


class SqlIdentityCheckStore:
    """Each call is a transaction of its own: a check is recorded whatever becomes of the
    registration that asked for it, and no lock is held while the authority is asked."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def reuse_answer(
        self, doc_index: str, name_index: str, since: datetime, purpose: CheckPurpose, at: datetime
    ) -> RecordedCheck | None:
        c = t.identity_checks.c
        source = (
            select(
                c.doc_index,
                c.name_index,
                literal(purpose.value, String()),
                c.result,
                c.reference,
                literal(at, Ts),
                literal(True, Boolean()),
            )
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
        # One statement, one transaction: the lookup and the record of the reuse together.
        columns = ["doc_index", "name_index", "purpose", "result", "reference", "checked_at"]
        statement = (
            insert(t.identity_checks)
            .from_select([*columns, "from_cache"], source)
            .returning(c.id, c.result, c.reference)
        )
        with self.engine.begin() as conn:
            row = conn.execute(statement).first()
        if row is None:
            return None
        return RecordedCheck(
            id=int(row.id), result=CheckResult(row.result), reference=row.reference, from_cache=True
        )

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
