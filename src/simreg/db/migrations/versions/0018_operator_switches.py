"""operator switches: decisions made at run time (RN-11 online card sales)

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operator_switches",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "changed_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["changed_by"], ["staff.id"], name=op.f("fk_operator_switches_changed_by_staff")
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_operator_switches")),
    )


def downgrade() -> None:
    op.drop_table("operator_switches")
