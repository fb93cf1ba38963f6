"""The ``opt_fields`` each listing asks for: everything mapping needs, in the list call itself.

Asana returns compact records unless asked; asking here, once per page, is what makes per-task
GETs unnecessary. Each constant is the single place a stream's fields are declared.
"""

from __future__ import annotations

_CUSTOM_FIELD_PARTS = (
    "gid", "name", "type", "resource_subtype", "number_value", "text_value", "display_value",
    "enum_value.gid", "enum_value.name", "multi_enum_values.gid", "multi_enum_values.name",
    "date_value.date", "currency_code", "precision", "format",
)  # fmt: skip


def _join(*fields: str) -> str:
    return ",".join(fields)


CUSTOM_FIELDS = tuple(f"custom_fields.{part}" for part in _CUSTOM_FIELD_PARTS)

USER = _join("gid", "name", "email")
PORTFOLIO = _join(
    "gid", "name", "owner.name", "owner.email", "permalink_url", "created_at", "archived"
)
PORTFOLIO_ITEM = _join("gid", "name", "resource_type")
"""A portfolio's items may be portfolios too: ``resource_type`` tells them apart."""
PROJECT = _join(
    "gid", "resource_type", "name", "owner.name", "owner.email", "team.name", "start_on",
    "due_on", "due_date", "completed", "completed_at", "archived", "created_at", "modified_at",
    "permalink_url",
    "current_status_update.status_type", "current_status_update.created_at",
    "current_status_update.title", "current_status_update.text", *CUSTOM_FIELDS,
)  # fmt: skip
"""A project with its latest status update's text: an update pmosync posted carries its write
mark there (``pmosync.contracts.writeback``), and is then not the team's word."""
SECTION = _join("gid", "name", "created_at")
TASK = _join(
    "gid", "name", "resource_subtype", "completed", "completed_at", "created_at", "modified_at",
    "start_on", "due_on", "due_at", "assignee.name", "assignee.email", "parent.gid",
    "memberships.(project|section).gid", "dependencies.gid", "num_subtasks", "tags.name",
    "permalink_url", *CUSTOM_FIELDS,
)  # fmt: skip
RAID_TASK = _join(TASK, "notes")
"""Tasks when a RAID log is read: a RAID item's description is its task's notes."""
INTAKE_PARTS = (
    "notes", "created_by.gid", "memberships.section.name", "custom_fields.people_value.gid",
    "custom_fields.people_value.name", "custom_fields.people_value.email",
)  # fmt: skip
"""What requests need besides a task's fields: the form's text (notes), who submitted it, the
section it sits in (its stage) and the people a people field names (sponsor)."""


def task_fields(*, raid: bool, intake: bool) -> str:
    """The tasks listing's ``opt_fields`` for a connector reading a RAID log and/or requests."""
    if intake:
        return _join(RAID_TASK, *INTAKE_PARTS[1:])
    return RAID_TASK if raid else TASK


TIME_ENTRY = _join(
    "gid", "duration_minutes", "entered_on", "attributable_to.gid", "created_by.name",
    "created_by.email", "task.gid", "created_at", "approval_status", "billable_status",
    "description",
)  # fmt: skip
STATUS_UPDATE = _join(
    "gid", "title", "text", "html_text", "status_type", "author.name", "author.email",
    "created_by.gid", "created_at", "modified_at", "parent.gid", "resource_subtype",
)  # fmt: skip
"""Status updates with both texts: pmosync's write mark in either says pmosync posted it."""
ALLOCATION = _join(
    "gid", "start_date", "end_date", "effort", "assignee.name", "assignee.email", "parent.gid",
    "resource_subtype",
)  # fmt: skip
