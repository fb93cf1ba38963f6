"""Figures a PMO can trust: budget origins, lines and actuals; leave; field history; baselines.

Existing stores get their history seeded from the rows they hold (valid from when each was last
synced), so a back-dated report can read from the upgrade on rather than from the next change.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 22:42:39
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "baseline_tasks",
        sa.Column("baseline_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=9), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("estimate_hours", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("baseline_id", "task_id", name=op.f("pk_baseline_tasks")),
        comment="The work tasks and milestones of a baseline, with their planned dates and effort.",
    )
    op.create_table(
        "baselines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("finish_date", sa.Date(), nullable=True),
        sa.Column("budget_amount", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("budget_measure", sa.String(length=5), nullable=True),
        sa.Column("budget_currency", sa.String(length=3), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_baselines")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_baselines_project_id_name")),
        comment="A project's plan as it stood when the baseline was set; PV and slips measure it.",
    )
    with op.batch_alter_table("baselines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_baselines_project_id"), ["project_id"], unique=False)

    op.create_table(
        "leave",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("identity_id", sa.String(length=36), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("hours_per_day", sa.Float(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("row_hash", sa.String(length=32), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leave")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_leave_source_source_id")),
    )
    with op.batch_alter_table("leave", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leave_identity_id"), ["identity_id"], unique=False)

    op.create_table(
        "record_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted", sa.Boolean(), server_default="0", nullable=False),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_history")),
        comment="Each version of the fields reports read, from when the store held it.",
    )
    with op.batch_alter_table("record_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_record_history_entity_record_id_valid_from"),
            ["entity", "record_id", "valid_from"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_record_history_valid_from"), ["valid_from"], unique=False
        )

    with op.batch_alter_table("budget", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("line", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("actual", sa.Numeric(precision=18, scale=4), nullable=True))
    _seed_history()


def downgrade() -> None:
    with op.batch_alter_table("budget", schema=None) as batch_op:
        batch_op.drop_column("actual")
        batch_op.drop_column("line")
        batch_op.drop_column("origin")

    with op.batch_alter_table("record_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_history_valid_from"))
        batch_op.drop_index(batch_op.f("ix_record_history_entity_record_id_valid_from"))

    op.drop_table("record_history")
    with op.batch_alter_table("leave", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leave_identity_id"))

    op.drop_table("leave")
    with op.batch_alter_table("baselines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_baselines_project_id"))

    op.drop_table("baselines")
    op.drop_table("baseline_tasks")


SEEDED = {
    "project": ("name", "status", "rag", "start_date", "due_date", "completed_at"),
    "task": (
        "project_id",
        "parent_id",
        "name",
        "is_milestone",
        "status",
        "start_date",
        "due_date",
        "completed_at",
        "percent_complete",
        "estimate_hours",
    ),
    "budget": ("project_id", "amount", "measure", "currency"),
}
"""The tracked fields as they stood at this revision (a copy: a migration never follows the
code's later lists)."""


DATETIMES = {"completed_at", "synced_at"}
DATES = {"start_date", "due_date"}


def _utc(value: datetime) -> datetime:
    """SQLite hands datetimes back naive (they are stored in UTC); PostgreSQL aware."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return _utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _column(name: str) -> sa.ColumnClause:
    if name in DATETIMES:
        return sa.column(name, sa.DateTime(timezone=True))
    if name in DATES:
        return sa.column(name, sa.Date())
    if name == "amount":
        return sa.column(name, sa.Numeric(18, 4))
    if name == "is_milestone":
        return sa.column(name, sa.Boolean())
    return sa.column(name)


def _seed_history() -> None:
    bind = op.get_bind()
    history = sa.table(
        "record_history",
        sa.column("entity", sa.String),
        sa.column("record_id", sa.String),
        sa.column("valid_from", sa.DateTime(timezone=True)),
        sa.column("deleted", sa.Boolean),
        sa.column("fields", sa.JSON),
    )
    for entity, fields in SEEDED.items():
        table = sa.table(
            entity, *(_column(name) for name in ("id", "synced_at", "deleted_at", *fields))
        )
        rows = bind.execute(sa.select(table).where(table.c.deleted_at.is_(None)))
        batch = []
        for row in rows:
            values = {name: _plain(row._mapping[name]) for name in fields}
            batch.append(
                {
                    "entity": entity,
                    "record_id": row.id,
                    "valid_from": _utc(row.synced_at),
                    "deleted": False,
                    "fields": values,
                }
            )
            if len(batch) >= 1000:
                bind.execute(history.insert(), batch)
                batch = []
        if batch:
            bind.execute(history.insert(), batch)
