"""re-registration of a legacy line at the counter

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 22:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_HAS_CLERK = "OR (clerk_id IS NOT NULL AND outlet_id IS NOT NULL AND channel_id IS NOT NULL)"


def upgrade() -> None:
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_constraint("counter_has_clerk", type_="check")
        batch_op.drop_constraint("source", type_="check")
        batch_op.create_check_constraint(
            "source",
            "source IN ('counter', 'counter_rereg', 'self_service', 'enterprise', 'online')",
        )
        batch_op.create_check_constraint(
            "counter_has_clerk", f"source NOT IN ('counter', 'counter_rereg') {_HAS_CLERK}"
        )


def downgrade() -> None:
    # The code before 0016 treats only self_service rows as re-registrations (the line is in
    # service; a rejection must not put it back in the pool): the clerk and outlet stay.
    op.execute("UPDATE registrations SET source = 'self_service' WHERE source = 'counter_rereg'")
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_constraint("counter_has_clerk", type_="check")
        batch_op.drop_constraint("source", type_="check")
        batch_op.create_check_constraint(
            "source", "source IN ('counter', 'self_service', 'enterprise', 'online')"
        )
        batch_op.create_check_constraint("counter_has_clerk", f"source <> 'counter' {_HAS_CLERK}")
