"""The RAID log: risks, assumptions, issues, decisions and change requests as canonical records.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "raid_item",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("project_id", sa.String(length=36), nullable=True),
        sa.Column("kind", sa.String(length=14), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner_identity_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=11), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("probability", sa.Integer(), nullable=True),
        sa.Column("impact", sa.Integer(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("mitigation", sa.Text(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("row_hash", sa.String(length=32), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raid_item")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_raid_item_source_source_id")),
    )
    with op.batch_alter_table("raid_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_raid_item_project_id"), ["project_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_raid_item_owner_identity_id"), ["owner_identity_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("raid_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_raid_item_owner_identity_id"))
        batch_op.drop_index(batch_op.f("ix_raid_item_project_id"))
    op.drop_table("raid_item")
