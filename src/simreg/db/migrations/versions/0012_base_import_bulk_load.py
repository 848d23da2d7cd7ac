"""base import bulk-load mode

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 07:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("base_imports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bulk_load", sa.String(length=16), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_base_imports_bulk_load"), "bulk_load IN ('dropped', 'restored')"
        )


def downgrade() -> None:
    with op.batch_alter_table("base_imports", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_base_imports_bulk_load"), type_="check")
        batch_op.drop_column("bulk_load")
