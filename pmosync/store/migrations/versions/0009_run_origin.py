"""Which connector a run synced and which Temporal workflow ran it.

A Temporal sync workflow syncs one connector; each attempt of its activity is a run of its own
(a worker killed mid-sync leaves its attempt's run, closed as interrupted by the next attempt,
which finds it by the workflow id). Runs of several connectors (``pmosync sync``, the daemon)
leave ``connector`` empty.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("connector", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("workflow_id", sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f("ix_runs_workflow_id"), ["workflow_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runs_workflow_id"))
        batch_op.drop_column("workflow_id")
        batch_op.drop_column("connector")
