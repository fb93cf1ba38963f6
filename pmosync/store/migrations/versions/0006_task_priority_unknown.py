"""A task's priority may be "unknown": an option no priority vocabulary names.

Before, such a task was quarantined and vanished from every report; now it is kept with the
priority "unknown", one character longer than the longest name so far ("medium", "urgent").

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.alter_column(
            "priority",
            existing_type=sa.String(length=6),
            type_=sa.String(length=7),
            existing_nullable=True,
        )


def downgrade() -> None:
    op.execute("UPDATE task SET priority = NULL WHERE priority = 'unknown'")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.alter_column(
            "priority",
            existing_type=sa.String(length=7),
            type_=sa.String(length=6),
            existing_nullable=True,
        )
