"""The store's own tables, beside the canonical ones: checkpoints, the run ledger, quarantine,
and the daemon's lease and claimed ticks.

``metadata`` here is the whole database: the canonical entity tables plus these. Alembic's
migrations create exactly this, and a test holds the two together.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from pmosync.canonical.columns import JsonDocument, UtcDateTime
from pmosync.canonical.tables import ENTITY_TABLES, ID_LENGTH, metadata

__all__ = [
    "ENTITY_TABLES",
    "HISTORY_FIELDS",
    "baseline_tasks",
    "baselines",
    "checkpoints",
    "daemon_lease",
    "daemon_ticks",
    "metadata",
    "quarantine",
    "record_history",
    "report_deliveries",
    "report_snapshots",
    "request_scores",
    "run_streams",
    "runs",
    "write_ledger",
]

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("connector", String(64), primary_key=True),
    Column("stream", String(64), primary_key=True),
    Column("state", JsonDocument, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    comment="Where each stream resumes; written in the same transaction as the page it covers.",
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime(), nullable=True),
    Column("status", String(16), nullable=False),
    Column("error", Text(), nullable=True),
    Column("host", String(255), nullable=True),
    Column("pid", Integer(), nullable=True),
    Column("job", String(64), nullable=True),  # "sync", or the report's name
    Column("connector", String(64), nullable=True),  # the one connector a run synced, if one
    Column("workflow_id", String(255), nullable=True),  # the Temporal workflow that ran it
    Index(None, "started_at"),
    Index(None, "workflow_id"),
    Index(None, "kind", "job", "started_at"),
    comment="One row per sync or report run.",
)

RUN_STREAM_COUNTERS = ("inserted", "updated", "unchanged", "deleted", "quarantined", "requests")
"""Per-stream counters, advanced in the transaction of each committed page."""

run_streams = Table(
    "run_streams",
    metadata,
    Column("run_id", String(36), primary_key=True),
    Column("connector", String(64), primary_key=True),
    Column("stream", String(64), primary_key=True),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime(), nullable=True),
    Column("status", String(16), nullable=False),
    *(Column(name, Integer(), nullable=False, server_default="0") for name in RUN_STREAM_COUNTERS),
    Column("error", Text(), nullable=True),
    Index(None, "connector", "stream", "started_at"),
    comment="What one run did to one stream of one connector.",
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("stream", String(64), nullable=False),
    Column("record_key", String(255), nullable=False),
    Column("payload", Text(), nullable=False),
    Column("reason", Text(), nullable=False),
    Column("first_seen", UtcDateTime(), nullable=False),
    Column("last_seen", UtcDateTime(), nullable=False),
    Column("occurrences", Integer(), nullable=False, server_default="1"),
    Column("resolved_at", UtcDateTime(), nullable=True),
    UniqueConstraint("source", "stream", "record_key"),
    comment="Records that failed mapping or validation, kept verbatim with the reason.",
)

daemon_lease = Table(
    "daemon_lease",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(255), nullable=False),
    Column("acquired_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    comment="Which daemon schedules jobs on this store, until when; one row per lease name.",
)

daemon_ticks = Table(
    "daemon_ticks",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("job", String(64), primary_key=True),
    Column("scheduled_at", UtcDateTime(), primary_key=True),
    Column("claimed_by", String(255), nullable=False),
    Column("claimed_at", UtcDateTime(), nullable=False),
    comment="Scheduled ticks a daemon claimed before running them: each tick runs once.",
)

report_snapshots = Table(
    "report_snapshots",
    metadata,
    Column("run_id", String(36), primary_key=True),
    Column("report", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("as_of", Date(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("document", JsonDocument, nullable=False),
    Index(None, "report", "as_of"),
    comment="The figures of each report run, frozen: re-rendering and trend charts read these.",
)

request_scores = Table(
    "request_scores",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("request_id", String(ID_LENGTH), nullable=False),
    Column("model", String(64), nullable=False),
    Column("model_hash", String(32), nullable=False),
    Column("scored_at", UtcDateTime(), nullable=False),
    Column("as_of", Date(), nullable=False),
    Column("score", Float(), nullable=True),  # None: not scorable under the model (see terms)
    Column("passed", Boolean(), nullable=False),  # every gate of the model held
    Column("terms", JsonDocument, nullable=False),  # the breakdown the score was explained by
    Column("run_id", String(36), nullable=True),
    Index(None, "request_id", "model", "scored_at"),
    comment="A request's score under each scoring model, one row each time it changed.",
)

write_ledger = Table(
    "write_ledger",
    metadata,
    Column("key", String(64), primary_key=True),  # the write's idempotency key
    Column("connector", String(64), nullable=False),
    Column("item_kind", String(16), nullable=False),  # project | plan | task
    Column("item_id", String(255), nullable=False),  # the item's id in its tool
    Column("field", String(32), nullable=False),  # status_update | rag_field | comment | ...
    Column("period", String(16), nullable=True),  # 2026-W49, 2026-12; None: a standing value
    Column("value", Text(), nullable=True),  # what pmosync last wrote there, in words
    Column("value_hash", String(32), nullable=True),
    Column("intended", Text(), nullable=True),  # what is being written (while pending)
    Column("intended_hash", String(32), nullable=True),
    Column("state", String(12), nullable=False),  # pending | written | conflict | failed
    Column("ref", String(255), nullable=True),  # what the write made: update, story, task id
    Column("etag", Text(), nullable=True),  # the item's etag after pmosync's write (Graph)
    Column("source_modified", String(64), nullable=True),  # its modified time after the write
    Column("detail", Text(), nullable=True),  # the conflict or failure, in one line
    Column("run_id", String(36), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index(None, "connector", "item_id"),
    comment="Every write-back: intended before it is sent, confirmed after; what pmosync owns.",
)

report_deliveries = Table(
    "report_deliveries",
    metadata,
    Column("report", String(64), primary_key=True),
    Column("period", String(32), primary_key=True),  # the report's as_of date, ISO
    Column("target", String(64), primary_key=True),  # digest of the target's settings
    Column("label", Text(), nullable=False),  # what to show: "email to pmo@contoso.com"
    Column("run_id", String(36), nullable=False),  # the snapshot last delivered or attempted
    Column("status", String(16), nullable=False),  # delivered | failed
    Column("attempts", Integer(), nullable=False, server_default="0"),
    Column("error", Text(), nullable=True),
    Column("location", Text(), nullable=True),  # where it landed: a URL or a path
    Column("updated_at", UtcDateTime(), nullable=False),
    comment="Each report period's delivery to each target: sent once, failures retried.",
)

HISTORY_FIELDS: dict[str, tuple[str, ...]] = {
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
    "budget": ("project_id", "amount", "measure", "currency", "origin", "line", "actual"),
    "request": (
        "title",
        "stage",
        "requester_identity_id",
        "sponsor_identity_id",
        "estimated_cost",
        "estimated_benefit",
        "currency",
        "effort_hours",
        "target_start",
        "target_end",
        "criteria",
        "risk",
        "project_ref",
        "project_id",
    ),
}
"""The fields whose past values a back-dated report reads (``report --as-of``), per entity.
Other entities are dated by themselves (time entries, costs, status updates) or not judged in
the past (people)."""

record_history = Table(
    "record_history",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("entity", String(32), nullable=False),
    Column("record_id", String(ID_LENGTH), nullable=False),
    Column("valid_from", UtcDateTime(), nullable=False),
    Column("deleted", Boolean(), nullable=False, server_default="0"),
    Column("fields", JsonDocument, nullable=True),  # HISTORY_FIELDS' values; None when deleted
    Column("run_id", String(36), nullable=True),
    Index(None, "entity", "record_id", "valid_from"),
    Index(None, "valid_from"),
    comment="Each version of the fields reports read, from when the store held it.",
)

baselines = Table(
    "baselines",
    metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("project_id", String(ID_LENGTH), nullable=False),
    Column("name", String(64), nullable=False),
    Column("set_at", UtcDateTime(), nullable=False),
    Column("set_by", String(16), nullable=False),  # first_sync | command
    Column("active", Boolean(), nullable=False, server_default="0"),
    Column("start_date", Date(), nullable=True),
    Column("finish_date", Date(), nullable=True),
    Column("budget_amount", Numeric(18, 4), nullable=True),
    Column("budget_measure", String(5), nullable=True),
    Column("budget_currency", String(3), nullable=True),
    UniqueConstraint("project_id", "name"),
    Index(None, "project_id"),
    comment="A project's plan as it stood when the baseline was set; PV and slips measure it.",
)

baseline_tasks = Table(
    "baseline_tasks",
    metadata,
    Column("baseline_id", Integer(), primary_key=True),
    Column("task_id", String(ID_LENGTH), primary_key=True),
    Column("name", Text(), nullable=False),
    Column("kind", String(9), nullable=False),  # work | milestone
    Column("start_date", Date(), nullable=True),
    Column("due_date", Date(), nullable=True),
    Column("estimate_hours", Float(), nullable=True),
    comment="The work tasks and milestones of a baseline, with their planned dates and effort.",
)
