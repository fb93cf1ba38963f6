"""Report runs: their frozen snapshots and their deliveries.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_snapshots",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("report", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_report_snapshots")),
        comment="The figures of each report run, frozen: re-rendering and trend charts read these.",
    )
    op.create_index(
        op.f("ix_report_snapshots_report_as_of"),
        "report_snapshots",
        ["report", "as_of"],
        unique=False,
    )
    op.create_table(
        "report_deliveries",
        sa.Column("report", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("report", "period", "target", name=op.f("pk_report_deliveries")),
        comment="Each report period's delivery to each target: sent once, failures retried.",
    )


def downgrade() -> None:
    op.drop_table("report_deliveries")
    op.drop_index(op.f("ix_report_snapshots_report_as_of"), table_name="report_snapshots")
    op.drop_table("report_snapshots")
