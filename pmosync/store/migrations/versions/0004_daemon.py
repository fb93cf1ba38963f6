"""The daemon: its lease, the ticks it claimed, and the job a run was for.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "daemon_lease",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_daemon_lease")),
        comment="Which daemon schedules jobs on this store, until when; one row per lease name.",
    )
    op.create_table(
        "daemon_ticks",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=255), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "job", "scheduled_at", name=op.f("pk_daemon_ticks")),
        comment="Scheduled ticks a daemon claimed before running them: each tick runs once.",
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_runs_kind_job_started_at"), ["kind", "job", "started_at"], unique=False
        )
    op.execute("UPDATE runs SET job = 'sync' WHERE kind = 'sync'")


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runs_kind_job_started_at"))
        batch_op.drop_column("job")
    op.drop_table("daemon_ticks")
    op.drop_table("daemon_lease")
