"""Intake: project requests as canonical records, and each request's score history.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "request",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("requester_identity_id", sa.String(length=36), nullable=True),
        sa.Column("sponsor_identity_id", sa.String(length=36), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("estimated_cost", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("estimated_benefit", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("currency", sa.Text(), nullable=True),
        sa.Column("effort_hours", _json(), nullable=False),
        sa.Column("target_start", sa.Date(), nullable=True),
        sa.Column("target_end", sa.Date(), nullable=True),
        sa.Column("criteria", _json(), nullable=False),
        sa.Column("risk", sa.Integer(), nullable=True),
        sa.Column("project_ref", sa.Text(), nullable=True),
        sa.Column("project_id", sa.String(length=36), nullable=True),
        sa.Column("row_hash", sa.String(length=32), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request")),
        sa.UniqueConstraint("source", "source_id", name=op.f("uq_request_source_source_id")),
    )
    with op.batch_alter_table("request", schema=None) as batch_op:
        for column in ("requester_identity_id", "sponsor_identity_id", "project_id"):
            batch_op.create_index(batch_op.f(f"ix_request_{column}"), [column], unique=False)
    op.create_table(
        "request_scores",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("model_hash", sa.String(length=32), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("terms", _json(), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_scores")),
        comment="A request's score under each scoring model, one row each time it changed.",
    )
    op.create_index(
        op.f("ix_request_scores_request_id_model_scored_at"),
        "request_scores",
        ["request_id", "model", "scored_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_request_scores_request_id_model_scored_at"), table_name="request_scores")
    op.drop_table("request_scores")
    with op.batch_alter_table("request", schema=None) as batch_op:
        for column in ("project_id", "sponsor_identity_id", "requester_identity_id"):
            batch_op.drop_index(batch_op.f(f"ix_request_{column}"))
    op.drop_table("request")
