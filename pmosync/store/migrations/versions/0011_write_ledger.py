"""Write-back: the write ledger, what pmosync wrote into the teams' tools.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "write_ledger",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("connector", sa.String(length=64), nullable=False),
        sa.Column("item_kind", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.String(length=255), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("value_hash", sa.String(length=32), nullable=True),
        sa.Column("intended", sa.Text(), nullable=True),
        sa.Column("intended_hash", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("ref", sa.String(length=255), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("source_modified", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_write_ledger")),
        comment="Every write-back: intended before it is sent, confirmed after; what pmosync owns.",
    )
    op.create_index(
        op.f("ix_write_ledger_connector_item_id"),
        "write_ledger",
        ["connector", "item_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_write_ledger_connector_item_id"), table_name="write_ledger")
    op.drop_table("write_ledger")
