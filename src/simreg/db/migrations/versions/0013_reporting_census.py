"""reporting: the daily census of lines in service (ADR 12)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 07:26:07.844631
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_censuses",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("cutoff", sa.Date(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("elapsed_ms", sa.Integer(), nullable=False),
        sa.Column("lines_in_service", sa.BigInteger(), nullable=False),
        sa.Column("taken_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["taken_by"], ["staff.id"], name=op.f("fk_report_censuses_taken_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_censuses")),
        sa.UniqueConstraint("day", name=op.f("uq_report_censuses_day")),
    )
    op.create_table(
        "report_census_counts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "census_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "org_unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "channel_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("since_cutoff", sa.Boolean(), nullable=False),
        sa.Column("in_service", sa.BigInteger(), nullable=False),
        sa.Column("verified", sa.BigInteger(), nullable=False),
        sa.Column("legacy_unverified", sa.BigInteger(), nullable=False),
        sa.Column("reverification_pending", sa.BigInteger(), nullable=False),
        sa.Column("suspended", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["census_id"],
            ["report_censuses.id"],
            name=op.f("fk_report_census_counts_census_id_report_censuses"),
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_report_census_counts_channel_id_channels"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"],
            ["org_units.id"],
            name=op.f("fk_report_census_counts_org_unit_id_org_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_census_counts")),
    )
    with op.batch_alter_table("report_census_counts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_census_counts_census_id"), ["census_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("report_census_counts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_census_counts_census_id"))

    op.drop_table("report_census_counts")
    op.drop_table("report_censuses")
