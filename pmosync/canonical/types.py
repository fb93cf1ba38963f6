"""The canonical project model: one vocabulary for every tool a project team may use.

Connectors know nothing of these types; mapping turns raw source records into them and the store
keeps them. Every record names where it came from (``source`` is the connector's name from the
YAML, ``source_id`` the tool's own id) and links back into that tool (``source_url``) so a report
can send the PMO to the task itself. People are referenced through ``PersonIdentity`` (what one
tool says about a human), never directly through ``Person``: identity resolution can then merge or
split people later, from an alias added to the YAML, without rewriting a single task or entry.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from pmosync.canonical.ids import canonical_id

RAG = Literal["green", "amber", "red", "blue", "complete"]
"""Project health as PMOs speak it: blue is on hold, complete is closed."""
RAG_VALUES: tuple[str, ...] = RAG.__args__

TaskStatus = Literal["not_started", "in_progress", "done"]
KnownPriority = Literal["low", "medium", "high", "urgent"]
"""The priorities a source's option can be mapped to (``priority_vocabulary`` in the YAML)."""
Priority = Literal[KnownPriority, "unknown"]
"""A task's priority; "unknown" is an option the source has that no priority vocabulary names
(kept, and counted, rather than losing the task to the quarantine)."""
PRIORITY_VALUES: tuple[str, ...] = Priority.__args__
ProjectStatus = Literal["active", "on_hold", "completed", "archived"]
ApprovalStatus = Literal["draft", "submitted", "approved", "rejected"]
CostCategory = Literal["expense", "invoice", "labour"]
BudgetMeasure = Literal["money", "hours"]
RaidKind = Literal["risk", "issue", "assumption", "decision", "change_request"]
"""The five kinds of a RAID log (risks, assumptions, issues, decisions; change requests beside)."""
RAID_KINDS: tuple[str, ...] = RaidKind.__args__
RaidStatus = Literal["open", "in_progress", "closed"]
"""Where a RAID item stands: open (raised, awaiting action or a decision), in progress (being
mitigated, worked or assessed), closed (mitigated, resolved, decided, approved or rejected)."""
RAID_STATUSES: tuple[str, ...] = RaidStatus.__args__
RequestStage = Literal["submitted", "under_review", "approved", "rejected", "on_hold", "converted"]
"""Where a project request stands in intake: submitted (captured, not yet looked at), under
review (being assessed or scored), approved (to be started), rejected, on hold (deferred), or
converted (it became a project)."""
REQUEST_STAGES: tuple[str, ...] = RequestStage.__args__
CriterionValue = float | bool | str
"""A request's criterion value as its source typed it: a number, a yes/no, or text (a choice's
option, a date as YYYY-MM-DD, a person's email)."""
BudgetOrigin = Literal["budget_api", "custom_field", "workbook"]
"""Where a budget was stated: a tool's budget feature (Asana's budget API), a project custom
field, or a budget workbook. One project's budgets from different origins are alternative
statements of the same money, never added (``budget_precedence`` in the YAML picks one)."""


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _lower_email(value: str | None) -> str | None:
    return value.strip().lower() if value else None


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A moment in time. Naive datetimes are refused: a source's local time is ambiguous."""
Email = Annotated[str | None, AfterValidator(_lower_email)]
Percent = Annotated[float, Field(ge=0, le=100)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class Record(BaseModel):
    """What every canonical record carries, whatever tool it came from."""

    model_config = ConfigDict(extra="forbid")

    entity: ClassVar[str]
    """The entity's name; also its table's name and part of its canonical id."""

    id: str = ""
    source: Annotated[str, Field(min_length=1, max_length=64)]
    source_id: Annotated[str, Field(min_length=1, max_length=255)]
    source_url: str | None = None
    updated_at: UtcDatetime | None = None
    """When the source last changed the record (not when pmosync wrote it)."""
    deleted_at: UtcDatetime | None = None
    """Set when the source no longer has the record: a tombstone, never a silent drop."""

    @model_validator(mode="after")
    def _derive_id(self) -> Record:
        expected = canonical_id(self.entity, self.source, self.source_id)
        if not self.id:
            self.id = expected
        elif self.id != expected:
            raise ValueError(f"id {self.id!r} is not the canonical id of this {self.entity}")
        return self

    @classmethod
    def ref(cls, source: str, source_id: str) -> str:
        """The canonical id of this entity as ``source`` knows it, for references."""
        return canonical_id(cls.entity, source, source_id)


class Portfolio(Record):
    """A group of projects the PMO reports on together (Asana portfolio, Microsoft 365 group)."""

    entity: ClassVar[str] = "portfolio"
    name: str
    owner_identity_id: str | None = None


class Project(Record):
    """One project (Asana project, Planner plan)."""

    entity: ClassVar[str] = "project"
    name: str
    owner_identity_id: str | None = None
    team: str | None = None
    status: ProjectStatus = "active"
    rag: RAG | None = None
    """Health as the team last reported it (a health field, else the latest status update)."""
    start_date: date | None = None
    due_date: date | None = None
    completed_at: UtcDatetime | None = None
    created_at: UtcDatetime | None = None


class PortfolioItem(Record):
    """A project's membership of a portfolio; a project may sit in several portfolios."""

    entity: ClassVar[str] = "portfolio_item"
    portfolio_id: str
    project_id: str


class Phase(Record):
    """A stage or column of a project (Asana section, Planner bucket)."""

    entity: ClassVar[str] = "phase"
    project_id: str
    name: str
    position: int | None = None


class Task(Record):
    """A unit of work; milestones are tasks with ``is_milestone`` set."""

    entity: ClassVar[str] = "task"
    project_id: str
    phase_id: str | None = None
    parent_id: str | None = None
    name: str
    is_milestone: bool = False
    status: TaskStatus = "not_started"
    start_date: date | None = None
    due_date: date | None = None
    completed_at: UtcDatetime | None = None
    created_at: UtcDatetime | None = None
    percent_complete: Percent | None = None
    estimate_hours: Annotated[float, Field(ge=0)] | None = None
    priority: Priority | None = None
    tags: list[str] = Field(default_factory=list)
    description: str | None = None
    """The task's notes (Planner task details, when the connector is set to fetch them)."""
    dependency_ids: list[str] = Field(default_factory=list)
    """Canonical ids of the tasks this one waits on."""


class Person(Record):
    """One human, whatever tools they appear in (identities merged by email, then aliases)."""

    entity: ClassVar[str] = "person"
    name: str | None = None
    email: Email = None
    active: bool = True


class PersonIdentity(Record):
    """What one tool knows about a human; ``person_id`` is filled by identity resolution."""

    entity: ClassVar[str] = "person_identity"
    person_id: str | None = None
    name: str | None = None
    email: Email = None


class Assignment(Record):
    """A person assigned to a task; Planner tasks can have several."""

    entity: ClassVar[str] = "assignment"
    task_id: str
    identity_id: str


class TimeEntry(Record):
    """Time a person logged, from a tool's time tracking or a timesheet workbook row."""

    entity: ClassVar[str] = "time_entry"
    identity_id: str
    project_id: str
    task_id: str | None = None
    entry_date: date
    minutes: Annotated[int, Field(ge=0)]
    billable: bool | None = None
    approval: ApprovalStatus | None = None
    description: str | None = None


class Allocation(Record):
    """Capacity promised to a project for a period, in hours or as a percent of capacity."""

    entity: ClassVar[str] = "allocation"
    identity_id: str
    project_id: str
    start_date: date
    end_date: date
    hours: Annotated[float, Field(ge=0)] | None = None
    percent: Annotated[float, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _period_is_forward(self) -> Allocation:
        if self.end_date < self.start_date:
            raise ValueError(
                f"allocation ends ({self.end_date}) before it starts ({self.start_date})"
            )
        return self


class Budget(Record):
    """A project's budget: money in a currency, or hours.

    Budgets of one origin with a ``line`` (CAPEX/OPEX, a phase) are parts meant to add up;
    budgets of different origins state the same budget twice and are never added."""

    entity: ClassVar[str] = "budget"
    project_id: str
    amount: Decimal
    measure: BudgetMeasure = "money"
    currency: Currency | None = None
    origin: BudgetOrigin | None = None
    """Which kind of statement this is; None (older rows) reads as the lowest precedence."""
    line: str | None = None
    """The budget line this amount is (CAPEX, OPEX, a phase); None for a whole budget."""
    actual: Decimal | None = None
    """What the tool itself reports as spent against this budget, in its measure and currency
    (Asana's budget ``actual``: logged time x Asana's resource rates), as of the sync."""

    @model_validator(mode="after")
    def _money_has_currency(self) -> Budget:
        if self.measure == "money" and self.currency is None:
            raise ValueError("a money budget needs a currency")
        return self


class CostEntry(Record):
    """A cost booked against a project: an expense, an invoice or labour at a rate."""

    entity: ClassVar[str] = "cost_entry"
    project_id: str
    entry_date: date
    amount: Decimal
    currency: Currency
    category: CostCategory
    description: str | None = None
    vendor: str | None = None
    identity_id: str | None = None


class Leave(Record):
    """Time a person is away (leave, sick, training), from a workbook or a SharePoint list.

    It reduces the person's capacity and the hours their timesheet is expected to hold."""

    entity: ClassVar[str] = "leave"
    identity_id: str
    start_date: date
    end_date: date
    hours_per_day: Annotated[float, Field(gt=0, le=24)] | None = None
    """Hours away on each working day of the period; None means whole days."""
    kind: str | None = None
    """What kind of absence the source calls it (annual, sick, training), as written there."""

    @model_validator(mode="after")
    def _period_is_forward(self) -> Leave:
        if self.end_date < self.start_date:
            raise ValueError(f"leave ends ({self.end_date}) before it starts ({self.start_date})")
        return self


class StatusUpdate(Record):
    """A project status report as its owner wrote it, with the RAG they chose."""

    entity: ClassVar[str] = "status_update"
    project_id: str
    posted_at: UtcDatetime
    rag: RAG | None = None
    title: str | None = None
    text: str | None = None
    author_identity_id: str | None = None


Rating = Annotated[int, Field(ge=1, le=5)]
"""A probability or impact on the 1-5 scale of a 5x5 risk matrix."""


class RaidItem(Record):
    """One entry of a project's RAID log: a risk, issue, assumption, decision or change request.

    One entity with a ``kind`` rather than five: the tools keep them as one list (an Asana RAID
    project, a Planner bucket, a SharePoint list with a type column), the fields are the same
    ones, and the log is read as one. ``score`` is the source's own when it states one, else
    probability x impact (1-25); it stays None when either rating is missing.
    """

    entity: ClassVar[str] = "raid_item"
    project_id: str | None = None
    """None: a portfolio-wide item (a PMO list row naming no project the store knows)."""
    kind: RaidKind
    title: str
    description: str | None = None
    owner_identity_id: str | None = None
    status: RaidStatus = "open"
    raised_on: date | None = None
    due_date: date | None = None
    """When a mitigation, resolution or decision is due (an issue past it is overdue)."""
    closed_on: date | None = None
    probability: Rating | None = None
    impact: Rating | None = None
    score: Annotated[int, Field(ge=1, le=25)] | None = None
    mitigation: str | None = None
    """A risk's response plan, an issue's action, an assumption's validation."""
    resolution: str | None = None
    """How an issue was resolved, what a decision decided, a change request's outcome."""

    @model_validator(mode="after")
    def _scored(self) -> RaidItem:
        if self.score is None and self.probability is not None and self.impact is not None:
            self.score = self.probability * self.impact
        return self


class Request(Record):
    """A project request in intake: what someone asked the PMO to start, before it is a project.

    Captured by an Asana intake project (a form's submissions), a SharePoint list or a
    workbook. Money is one currency per request (``currency``); effort is hours by role; the
    ``criteria`` are the values the PMO's scoring models read, by the criterion names of the
    YAML, as the source typed them (scores are computed by reports, never stored here).
    ``project_ref`` is the project it became as the source names it (a name or an id);
    ``project_id`` is that project's canonical id when the connector could resolve it.
    """

    entity: ClassVar[str] = "request"
    title: str
    description: str | None = None
    requester_identity_id: str | None = None
    sponsor_identity_id: str | None = None
    submitted_at: UtcDatetime | None = None
    stage: RequestStage = "submitted"
    estimated_cost: Annotated[Decimal, Field(ge=0)] | None = None
    estimated_benefit: Decimal | None = None
    currency: Currency | None = None
    effort_hours: dict[str, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)
    """Estimated effort in hours by role (the role names of ``resources.roles``)."""
    target_start: date | None = None
    target_end: date | None = None
    criteria: dict[str, CriterionValue] = Field(default_factory=dict)
    risk: Rating | None = None
    """The request's delivery risk on a 1-5 scale (very low to very high)."""
    project_ref: str | None = None
    project_id: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Request:
        if (self.estimated_cost is not None or self.estimated_benefit is not None) and (
            self.currency is None
        ):
            raise ValueError("a cost or benefit needs a currency")
        if self.target_start and self.target_end and self.target_end < self.target_start:
            raise ValueError(
                f"target end ({self.target_end}) is before target start ({self.target_start})"
            )
        # One order for the mappings, so an unchanged request hashes the same on every sync.
        self.effort_hours = dict(sorted(self.effort_hours.items()))
        self.criteria = dict(sorted(self.criteria.items()))
        return self


ENTITY_TYPES: tuple[type[Record], ...] = (
    Portfolio,
    Project,
    PortfolioItem,
    Phase,
    Task,
    Person,
    PersonIdentity,
    Assignment,
    TimeEntry,
    Allocation,
    Budget,
    CostEntry,
    Leave,
    StatusUpdate,
    RaidItem,
    Request,
)
"""Every canonical entity, parents before children."""

ENTITIES: dict[str, type[Record]] = {t.entity: t for t in ENTITY_TYPES}
