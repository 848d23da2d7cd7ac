"""identity: stored masks of documents of 5 to 15 characters show no more than half

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 16:10:00

Masks used to keep the first and last four characters of any number over eight characters
(a 9-character passport showed eight of nine) and two of a shorter one. The new mask
(`identity.documents.mask_number`) keeps one of a number of up to eight characters and two of
one up to fifteen. Every character the new mask shows was shown by the old one, so the stored
masks (customers, group-customer agents, and the receivers in resolved RN-14 decisions) are
rewritten from themselves: no key, no decryption. Downgrade keeps the new masks
(the old ones cannot be recovered from them, and are the reason for this revision).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# (table, its key, the masked document column)
_MASKS = (("customers", "id", "doc_masked"), ("enterprises", "id", "agent_doc_masked"))


def remasked(old: str) -> str:
    length = len(old)
    if length <= 4 or length >= 16:
        return old
    keep = 1 if length <= 8 else 2
    return old[:keep] + "*" * (length - 2 * keep) + old[-keep:]


def upgrade() -> None:
    connection = op.get_bind()
    _remask_decisions(connection)
    for table, key, column in _MASKS:
        rows = connection.execute(
            sa.text(
                f"SELECT {key}, {column} FROM {table} "  # noqa: S608 (constants above)
                f"WHERE length({column}) BETWEEN 5 AND 15"
            )
        ).all()
        changed = [{"k": k, "m": remasked(m)} for k, m in rows if remasked(m) != m]
        if changed:
            connection.execute(
                sa.text(f"UPDATE {table} SET {column} = :m WHERE {key} = :k"),  # noqa: S608
                changed,
            )


def _remask_decisions(connection: sa.Connection) -> None:
    """Resolved RN-14 cases keep each transfer's receiver masked in their decision record."""
    cases = sa.table("over_limit_cases", sa.column("id"), sa.column("decision", sa.JSON))
    rows = connection.execute(
        sa.select(cases.c.id, cases.c.decision).where(cases.c.decision.is_not(None))
    ).all()
    for case_id, decision in rows:
        changed = False
        for line in (decision or {}).get("lines", []):
            receiver = line.get("receiver")
            if receiver and isinstance(receiver.get("doc_masked"), str):
                narrowed = remasked(receiver["doc_masked"])
                changed = changed or narrowed != receiver["doc_masked"]
                receiver["doc_masked"] = narrowed
        if changed:
            connection.execute(
                sa.update(cases).where(cases.c.id == case_id).values(decision=decision)
            )


def downgrade() -> None:
    pass
