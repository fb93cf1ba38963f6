"""Records of the synthetic organisation.

Plain slotted dataclasses: the M size holds 50,000 tasks and 100,000 time entries, so every
record stays small (slots, gids as strings, references by gid rather than by object) and the
same records can be rendered by any emulator (Asana today, Microsoft later). Only ``gid`` is
Asana flavoured; people in particular carry nothing tool specific so the Microsoft sandbox can
reuse them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(slots=True, frozen=True)
class OrgSize:
    """Explicit counts of a generated organisation; tests pass their own to stay small."""

    projects: int
    tasks: int
    people: int
    time_entries: int
    teams: int = 3
    portfolios: int = 3


SIZES: dict[str, OrgSize] = {
    "XS": OrgSize(projects=3, tasks=40, people=6, time_entries=150, teams=2, portfolios=2),
    "S": OrgSize(projects=10, tasks=1500, people=20, time_entries=3000, teams=3, portfolios=3),
    "M": OrgSize(
        projects=200, tasks=50_000, people=60, time_entries=100_000, teams=8, portfolios=12
    ),
}


def resolve_size(size: str | OrgSize) -> OrgSize:
    """Accept a named size ("XS", "S", "M") or explicit counts."""
    if isinstance(size, OrgSize):
        return size
    try:
        return SIZES[size.upper()]
    except KeyError:
        choices = ", ".join(sorted(SIZES))
        raise ValueError(f"unknown org size {size!r}; use one of {choices}") from None


@dataclass(slots=True)
class Workspace:
    gid: str
    name: str
    email_domain: str
    is_premium: bool = True


@dataclass(slots=True)
class Team:
    gid: str
    name: str
    description: str


@dataclass(slots=True)
class Person:
    """One human; the same people appear in every emulated tool, matched by email."""

    gid: str
    name: str
    email: str


@dataclass(slots=True)
class EnumOption:
    gid: str
    name: str
    color: str
    enabled: bool = True


@dataclass(slots=True)
class CustomField:
    """A workspace-level field definition; values live on projects and tasks by field gid."""

    gid: str
    name: str
    type: str  # "number" | "enum" | "text" | "date" (a date value is {"date": ..., ...})
    description: str = ""
    precision: int = 0
    format: str = "none"  # "none" | "currency" | "percentage"
    currency_code: str | None = None
    options: list[EnumOption] = field(default_factory=list)

    def option(self, gid: str | None) -> EnumOption | None:
        """The enum option with this gid, or None."""
        return next((o for o in self.options if o.gid == gid), None)


@dataclass(slots=True)
class Portfolio:
    gid: str
    name: str
    owner_gid: str
    created_at: datetime
    color: str
    project_gids: list[str]
    archived: bool = False


@dataclass(slots=True)
class Project:
    gid: str
    name: str
    team_gid: str
    owner_gid: str
    created_at: datetime
    modified_at: datetime
    start_on: date | None
    due_on: date | None
    color: str
    notes: str = ""
    archived: bool = False
    completed: bool = False
    completed_at: datetime | None = None
    section_gids: list[str] = field(default_factory=list)
    # Field gid -> value (a number, or an enum option gid) for project-level fields.
    custom: dict[str, Any] = field(default_factory=dict)
    # Task-level fields enabled on this project: field gid -> custom field setting gid.
    settings: dict[str, str] = field(default_factory=dict)
    current_status_gid: str | None = None


@dataclass(slots=True)
class Section:
    gid: str
    name: str
    project_gid: str
    created_at: datetime


@dataclass(slots=True)
class Task:
    """A task or (with ``parent_gid``) a subtask; subtasks have no project membership."""

    gid: str
    name: str
    project_gid: str | None
    section_gid: str | None
    parent_gid: str | None
    assignee_gid: str | None
    created_by_gid: str
    created_at: datetime
    modified_at: datetime
    start_on: date | None = None
    due_on: date | None = None
    completed: bool = False
    completed_at: datetime | None = None
    resource_subtype: str = "default_task"
    notes: str = ""
    dependencies: list[str] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)
    subtask_gids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class TimeEntry:
    gid: str
    task_gid: str
    project_gid: str
    user_gid: str
    entered_on: date
    duration_minutes: int
    billable_status: str  # spec enum: billable | nonBillable | notApplicable
    approval_status: str  # spec enum: DRAFT | SUBMITTED | APPROVED | REJECTED
    description: str
    created_at: datetime


@dataclass(slots=True)
class StatusUpdate:
    gid: str
    project_gid: str
    status_type: str
    title: str
    text: str
    author_gid: str
    created_at: datetime
    modified_at: datetime


@dataclass(slots=True)
class Story:
    """A comment on a task (the only story kind the API creates: ``comment_added``)."""

    gid: str
    task_gid: str
    text: str
    author_gid: str
    created_at: datetime
    html_text: str | None = None
    is_pinned: bool = False


@dataclass(slots=True)
class Allocation:
    gid: str
    project_gid: str
    assignee_gid: str
    start_date: date
    end_date: date
    effort_type: str  # "hours" | "percent"
    effort_value: float
    created_by_gid: str


@dataclass(slots=True)
class Budget:
    """At most one per project; a cost budget in the workspace currency."""

    gid: str
    project_gid: str
    budget_type: str
    currency: str
    total: float
    estimate: float
    actual: float


@dataclass(slots=True)
class RaidEntry:
    """What a task of the RAID log (or a "RAID type" task in a delivery project) is meant to
    be: the ground truth a sync is compared with. Everything else (owner, dates, completion,
    text) is the task's own; the custom values are on the task by field gid as always."""

    task_gid: str
    kind: str | None
    """Canonical kind; None when the type option is one no vocabulary names ("Opportunity")."""
    project_gid: str | None
    """The delivery project the item concerns; None when it names no project of the org."""
    problem: str | None = None
    """Why a sync must quarantine the item (the field and its bad value), else None."""


@dataclass(slots=True)
class IntakeEntry:
    """What a task of the intake project is meant to become as a request: the ground truth a
    sync is compared with. Title, description and creation time are the task's own; the
    custom values are on the task by field gid as always."""

    task_gid: str
    stage: str
    """Canonical stage of the task's section (submitted, under_review, ...)."""
    requester_gid: str
    """Who submitted the form: the task's creator (a member, or a guest)."""
    sponsor_gid: str | None
    cost: float | None
    benefit: float | None
    currency: str | None
    effort_days: dict[str, float]
    """Role (Consultant, Analyst) -> days of effort."""
    criteria: dict[str, str]
    """strategic_fit, regulatory -> the option as written."""
    risk: int | None
    """1-5 as the risk option means (Low 2, Medium 3, High 4, Very high 5)."""
    target_start: date | None
    target_end: date | None
    project_ref: str | None
    """The "Converted to" text, as written."""
    project_gid: str | None
    """The project it names, when the org has one of that name (any case and spacing)."""
    problem: str | None = None
    """Why a sync must quarantine the request (the field and its bad value), else None."""


@dataclass(slots=True, frozen=True)
class Change:
    """One journal entry: what a mutation touched, for event feeds and incremental indexes.

    ``projects`` lists the projects whose event streams see the change; ``parent_gid`` and
    ``parent_type`` name the container for added/removed actions (project, section, parent
    task); ``field`` names the changed field for "changed" actions; ``name`` keeps the
    resource's name at the time so a deleted resource can still be described.
    """

    seq: int
    at: datetime
    resource_type: str
    gid: str
    action: str
    projects: tuple[str, ...] = ()
    field: str | None = None
    parent_gid: str | None = None
    parent_type: str | None = None
    user_gid: str | None = None
    name: str = ""
