"""The rows a report reads, loaded once from the store into small immutable records.

Metrics are pure functions over a ``Dataset``: tests build one by hand and check figures worked
out on paper; a report run loads one from the store with its filters applied. Only live rows
(no tombstones) and only the columns metrics use are read, so a large store stays cheap.

A report as of a day that has ended reads projects, tasks and budgets as they were that day,
from the store's field history (see ``reports.asof``), tombstoned ones included when they were
live then.

Rows are named tuples, not dataclasses: a report builds 150,000 of them, and a frozen
dataclass costs several times more to construct.

People: every row that names a person carries ``person_id`` — the resolved person when identity
resolution linked the identity, else the identity's own id — so one human's time in Asana and in
a timesheet workbook counts once, and an unresolved identity still counts.
"""

from __future__ import annotations

from collections import defaultdict, namedtuple
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Connection, Row, Select, Table, select

from pmosync.canonical import (
    Allocation,
    Assignment,
    Budget,
    CostEntry,
    Leave,
    Person,
    PersonIdentity,
    Portfolio,
    PortfolioItem,
    Project,
    RaidItem,
    Request,
    StatusUpdate,
    Task,
    TimeEntry,
)
from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.config.reports import Filters
from pmosync.reports.asof import as_date, as_datetime, check_covered, versions_at
from pmosync.reports.collector import collector_paused
from pmosync.store import Store
from pmosync.store.baselines import PlannedTask, baselines_in_effect
from pmosync.store.schema import HISTORY_FIELDS, record_history


class ProjectRow(NamedTuple):
    id: str
    source: str
    name: str
    source_url: str | None = None
    owner_id: str | None = None  # person_id of the owner
    team: str | None = None
    status: str = "active"  # active | on_hold | completed | archived
    rag: str | None = None  # the project's own health field
    start_date: date | None = None
    due_date: date | None = None
    completed_at: datetime | None = None
    portfolio_ids: tuple[str, ...] = ()
    has_status_updates: bool = True  # its tool has status updates (Asana), so they can go stale


class PortfolioRow(NamedTuple):
    id: str
    source: str
    name: str
    source_url: str | None = None


class TaskRow(NamedTuple):
    id: str
    project_id: str
    name: str
    source_url: str | None = None
    parent_id: str | None = None
    is_milestone: bool = False
    status: str = "not_started"  # not_started | in_progress | done
    start_date: date | None = None
    due_date: date | None = None
    completed_at: datetime | None = None
    created_at: datetime | None = None
    percent_complete: float | None = None
    estimate_hours: float | None = None
    assignee_ids: tuple[str, ...] = ()  # person_ids


class TimeRow(NamedTuple):
    person_id: str
    project_id: str
    entry_date: date
    minutes: int
    task_id: str | None = None
    source: str = ""  # the connector that logged it
    approval: str | None = None  # draft | submitted | approved | rejected; None: no approvals


class AllocationRow(NamedTuple):
    person_id: str
    project_id: str
    start_date: date
    end_date: date
    hours: float | None = None  # total hours over start..end
    percent: float | None = None  # percent of weekly capacity over start..end


class BudgetRow(NamedTuple):
    project_id: str
    amount: Decimal
    measure: str = "money"  # money | hours
    currency: str | None = None
    origin: str | None = None  # budget_api | custom_field | workbook; None: unknown (oldest)
    line: str | None = None  # a budget line (CAPEX, a phase); lines of one origin add up
    actual: Decimal | None = None  # what the tool reports as spent against it (Asana)
    source: str = ""  # the connector it came from


class CostRow(NamedTuple):
    project_id: str
    entry_date: date
    amount: Decimal
    currency: str
    category: str  # expense | invoice | labour
    person_id: str | None = None
    vendor: str | None = None
    description: str | None = None


class LeaveRow(NamedTuple):
    person_id: str
    start_date: date
    end_date: date
    hours_per_day: float | None = None  # None: whole working days
    kind: str | None = None


BaselineTaskRow = PlannedTask
"""A baseline's work task or milestone: the store's own row type, read as it is stored."""


class BaselineRow(NamedTuple):
    """A project's active baseline: its plan as it stood when the baseline was set."""

    project_id: str
    name: str
    set_at: datetime
    set_by: str  # first_sync | command
    start_date: date | None = None
    finish_date: date | None = None
    budget_amount: Decimal | None = None
    budget_measure: str | None = None
    budget_currency: str | None = None
    tasks: tuple[BaselineTaskRow, ...] = ()


class StatusRow(NamedTuple):
    project_id: str
    posted_at: datetime
    rag: str | None = None
    title: str | None = None
    author_id: str | None = None
    text: str | None = None
    """What the project manager wrote (the executive summary quotes the latest one)."""


class RaidRow(NamedTuple):
    """One RAID log entry (``canonical.RaidItem``); ``owner_id`` is the resolved person."""

    id: str
    project_id: str | None
    kind: str
    title: str
    status: str
    owner_id: str | None = None
    raised_on: date | None = None
    due_date: date | None = None
    closed_on: date | None = None
    probability: int | None = None
    impact: int | None = None
    score: int | None = None
    mitigation: str | None = None
    resolution: str | None = None
    source_url: str | None = None


class RequestRow(NamedTuple):
    """One project request (``canonical.Request``); people are resolved person ids.

    ``project_id`` is the project it became, found in the store: the id its connector resolved,
    else the live project whose source id or name (any case and spacing) ``project_ref``
    names. ``project_state`` says what became of it: live, deleted (tombstoned since),
    missing (named, but no project has that id or name), ambiguous (several projects have the
    name), or None when the request names no project."""

    id: str
    source: str
    title: str
    stage: str
    requester_id: str | None = None
    sponsor_id: str | None = None
    submitted_at: datetime | None = None
    estimated_cost: Decimal | None = None
    estimated_benefit: Decimal | None = None
    currency: str | None = None
    effort_hours: dict[str, float] = {}  # noqa: RUF012  (never mutated: rows are read-only)
    target_start: date | None = None
    target_end: date | None = None
    criteria: dict[str, Any] = {}  # noqa: RUF012
    risk: int | None = None
    project_ref: str | None = None
    project_id: str | None = None
    project_state: str | None = None  # live | deleted | missing | ambiguous | None
    project_name: str | None = None
    description: str | None = None
    source_url: str | None = None
    updated_at: datetime | None = None


class RequestVersion(NamedTuple):
    """A request's tracked fields (``HISTORY_FIELDS["request"]``, JSON values as stored) as one
    version of the field history had them, from ``valid_from`` (aware, UTC) on."""

    valid_from: datetime
    fields: dict[str, Any]


class MilestoneVersion(NamedTuple):
    """A milestone's dates as one version of the store's field history had them, from
    ``valid_from`` (aware, UTC) on: what its forecast was then."""

    valid_from: datetime
    due_date: date | None
    completed_at: datetime | None


class PersonRow(NamedTuple):
    id: str
    name: str | None = None
    email: str | None = None
    active: bool = True

    @property
    def label(self) -> str:
        return self.name or self.email or self.id


@dataclass
class Dataset:
    """What one report sees: the filtered projects and everything hanging off them."""

    as_of: date
    projects: list[ProjectRow] = field(default_factory=list)
    portfolios: list[PortfolioRow] = field(default_factory=list)
    tasks: list[TaskRow] = field(default_factory=list)
    time_entries: list[TimeRow] = field(default_factory=list)
    allocations: list[AllocationRow] = field(default_factory=list)
    budgets: list[BudgetRow] = field(default_factory=list)
    costs: list[CostRow] = field(default_factory=list)
    status_updates: list[StatusRow] = field(default_factory=list)
    leave: list[LeaveRow] = field(default_factory=list)
    raid_items: list[RaidRow] = field(default_factory=list)
    """The RAID log of the projects in scope, and the portfolio-wide items (no project)."""
    requests: list[RequestRow] = field(default_factory=list)
    """Project requests of the sources in scope (``filters.sources``; requests belong to no
    portfolio or team yet), by submission, oldest first."""
    request_history: dict[str, tuple[RequestVersion, ...]] = field(default_factory=dict)
    """Each request's versions (of ``requests``) valid before the end of as_of, oldest first:
    when its stage changed, since when a field has been empty."""
    milestone_history: dict[str, tuple[MilestoneVersion, ...]] = field(default_factory=dict)
    """Each milestone's versions (of the milestones in ``tasks``) valid before the end of
    as_of, oldest first: how its date moved since the store's history began."""
    baselines: dict[str, BaselineRow] = field(default_factory=dict)
    """The baseline each project is measured against, by project id: its active one if set by
    the end of as_of, else its latest set by then; projects without one are absent."""
    people: dict[str, PersonRow] = field(default_factory=dict)
    """Everyone in scope by person_id: people with an identity in a filtered source, or named
    by a row above. The roster for timesheet compliance."""
    reconstructed: bool = False
    """Projects, tasks and budgets are as the store's history had them at the end of as_of
    (a day that has ended), not today's."""


# -- loading -------------------------------------------------------------------------------


PROJECT_PARTS = (
    "tasks", "time_entries", "allocations", "budgets", "costs", "status_updates", "leave",
    "raid_items", "baselines", "milestone_history",
)  # fmt: skip
"""What the portfolio reports read of the projects under way (not the requests for new ones)."""
PARTS = (*PROJECT_PARTS, "requests", "request_history")
"""What a report may need besides projects, portfolios and people; a kind loads only its own."""


def load_dataset(
    store: Store,
    filters: Filters,
    as_of: date,
    parts: Iterable[str] = PARTS,
    *,
    zone: tzinfo | None = None,
    status_sources: frozenset[str] | None = None,
) -> Dataset:
    """The live rows in scope of ``filters``, with people resolved, as of ``as_of``.

    Rows dated after ``as_of`` stay in: each metric decides what "as of" means for it (a due date
    after as_of is the plan, a time entry after it is ignored). ``parts`` names the row lists to
    read (see ``PARTS``); the others stay empty, so a timesheet report never reads 50,000 tasks.
    Baselines are the exception: only those set by the end of ``as_of`` in ``zone`` (the
    organisation's; None: the machine's) are read, so a back-dated report never measures
    against a plan recorded after its day.

    When ``as_of`` has ended in ``zone``, projects, tasks and budgets come from the field
    history as they were at its end (``reports.asof``); a day before the history begins raises
    ``reports.asof.HistoryNotCovering``.

    ``status_sources`` names the connectors whose tools have status updates (Asana; Planner
    with a status list): the other connectors' projects get ``has_status_updates`` False, so
    no rule waits for an update their tool cannot post. None: every connector has them.
    """
    wanted = set(parts)
    if unknown := wanted.difference(PARTS):
        raise ValueError(f"unknown dataset parts: {sorted(unknown)}")
    with collector_paused(), store.engine.connect() as connection:
        end, past = end_of_day(as_of, zone), None
        if end <= datetime.now(UTC):
            check_covered(connection, as_of, end)
            past = end
        reader = _Reader(connection, past)
        projects = reader.projects(filters)
        if status_sources is not None:
            projects = [
                p if p.source in status_sources else p._replace(has_status_updates=False)
                for p in projects
            ]
        in_scope = {p.id for p in projects}
        portfolio_ids = {pid for p in projects for pid in p.portfolio_ids}
        dataset = Dataset(
            as_of=as_of,
            projects=projects,
            portfolios=[p for p in reader.portfolios() if p.id in portfolio_ids],
            reconstructed=past is not None,
        )
        for part in PARTS:
            if part == "baselines" and part in wanted:
                dataset.baselines = reader.baselines(in_scope, end)
            elif part == "milestone_history" and part in wanted:
                dataset.milestone_history = reader.milestone_history(dataset.tasks, end)
            elif part == "requests" and part in wanted:
                dataset.requests = reader.requests(filters)
            elif part == "request_history" and part in wanted:
                dataset.request_history = reader.request_history(dataset.requests, end)
            elif part in wanted:
                setattr(dataset, part, getattr(reader, part)(in_scope))
        dataset.people = reader.people(dataset, {p.source for p in projects})
    return dataset


_HISTORY_CHUNK = 500
"""Milestone ids per history query: well under every database's bound-parameter limit."""


def end_of_day(day: date, zone: tzinfo | None = None) -> datetime:
    """The instant ``day`` ends in ``zone`` (None: the machine's zone), as an aware datetime."""
    midnight = datetime.combine(day + timedelta(days=1), time())
    return midnight.replace(tzinfo=zone) if zone is not None else midnight.astimezone()


def _live(table: Table, *columns: str) -> Select:
    return select(*(table.c[name] for name in columns)).where(table.c.deleted_at.is_(None))


_PARSE: dict[str, Callable[[Any], Any]] = {
    "start_date": as_date,
    "due_date": as_date,
    "completed_at": as_datetime,
    "is_milestone": bool,
    "amount": lambda value: Decimal(str(value)),
    "actual": lambda value: Decimal(str(value)),
    "estimated_cost": lambda value: Decimal(str(value)),
    "estimated_benefit": lambda value: Decimal(str(value)),
    "target_start": as_date,
    "target_end": as_date,
}
"""How a tracked field's JSON value becomes the column's value again (others are as stored)."""


class _Reader:
    """One connection's worth of queries; identities resolve to people as rows are read."""

    def __init__(self, connection: Connection, past: datetime | None = None) -> None:
        self._connection = connection
        self._past = past
        """Read tracked entities as the history had them before this instant (None: now)."""
        identities = ENTITY_TABLES[PersonIdentity]
        self._identities = {
            row.id: row
            for row in connection.execute(
                _live(identities, "id", "source", "person_id", "name", "email")
            )
        }
        self._person = {i.id: i.person_id for i in self._identities.values() if i.person_id}
        """Identity -> person for linked identities: the per-row lookup of 150,000 rows."""

    def person_of(self, identity_id: str | None) -> str | None:
        """The person an identity belongs to; the identity itself until it is resolved."""
        if identity_id is None:
            return None
        return self._person.get(identity_id, identity_id)

    def _rows(self, table: Table, *columns: str) -> Sequence[Row]:
        # One fetchall: iterating a result fetches row by row, several times slower on 100k rows.
        return self._connection.execute(_live(table, *columns)).all()

    def _tracked_rows(self, table: Table, *columns: str) -> Sequence[Any]:
        """Rows of a tracked entity (``columns`` start with ``id``): the live ones now, or in
        the past the rows whose latest version then is not a deletion, tombstoned or not,
        with the tracked columns taken from that version (a field a version lacks, seeded
        before it was tracked, keeps the row's value)."""
        if self._past is None:
            return self._rows(table, *columns)
        versions = versions_at(self._connection, table.name, self._past)
        tracked = HISTORY_FIELDS[table.name]
        overlaid = [(i, name, _PARSE.get(name)) for i, name in enumerate(columns)]
        overlaid = [item for item in overlaid if item[1] in tracked]
        shape = namedtuple("shape", columns)  # type: ignore[misc]  # noqa: PYI024
        out = []
        query = select(*(table.c[name] for name in columns))
        for row in self._connection.execute(query).all():
            version = versions.get(row[0])
            if version is None:  # not there yet, or deleted by then
                continue
            values = list(row)
            for i, name, parse in overlaid:
                if name in version:
                    value = version[name]
                    values[i] = parse(value) if parse is not None and value is not None else value
            out.append(shape(*values))
        return out

    def projects(self, filters: Filters) -> list[ProjectRow]:
        memberships: dict[str, list[str]] = defaultdict(list)
        for row in self._rows(ENTITY_TABLES[PortfolioItem], "portfolio_id", "project_id"):
            memberships[row.project_id].append(row.portfolio_id)
        wanted_portfolios = self._portfolio_ids(filters.portfolios) if filters.portfolios else None
        columns = ("id", "source", "name", "source_url", "owner_identity_id", "team", "status")
        columns += ("rag", "start_date", "due_date", "completed_at")
        out = []
        for row in self._tracked_rows(ENTITY_TABLES[Project], *columns):
            portfolios = tuple(sorted(memberships.get(row.id, ())))
            if filters.sources and row.source not in filters.sources:
                continue
            if filters.teams and row.team not in filters.teams:
                continue
            if wanted_portfolios is not None and not wanted_portfolios.intersection(portfolios):
                continue
            out.append(
                ProjectRow(
                    id=row.id,
                    source=row.source,
                    name=row.name,
                    source_url=row.source_url,
                    owner_id=self.person_of(row.owner_identity_id),
                    team=row.team,
                    status=row.status,
                    rag=row.rag,
                    start_date=row.start_date,
                    due_date=row.due_date,
                    completed_at=row.completed_at,
                    portfolio_ids=portfolios,
                )
            )
        out.sort(key=lambda p: (p.name.casefold(), p.id))
        return out

    def _portfolio_ids(self, named: list[str]) -> set[str]:
        """Portfolios a filter names by name, canonical id or the tool's own id."""
        wanted = set(named)
        return {
            row.id
            for row in self._rows(ENTITY_TABLES[Portfolio], "id", "source_id", "name")
            if wanted.intersection((row.id, row.source_id, row.name))
        }

    def portfolios(self) -> list[PortfolioRow]:
        rows = self._rows(ENTITY_TABLES[Portfolio], "id", "source", "name", "source_url")
        return sorted(
            (PortfolioRow(r.id, r.source, r.name, r.source_url) for r in rows),
            key=lambda p: (p.name.casefold(), p.id),
        )

    def tasks(self, in_scope: set[str]) -> list[TaskRow]:
        assignees: dict[str, list[str]] = defaultdict(list)
        person = self._person
        for task_id, identity_id in self._rows(ENTITY_TABLES[Assignment], "task_id", "identity_id"):
            who = person.get(identity_id, identity_id)
            if who not in assignees[task_id]:
                assignees[task_id].append(who)
        columns = ("id", "project_id", "name", "source_url", "parent_id", "is_milestone")
        columns += ("status", "start_date", "due_date", "completed_at", "created_at")
        columns += ("percent_complete", "estimate_hours")
        none: tuple[str, ...] = ()
        return [
            TaskRow(*row[:5], bool(row[5]), *row[6:], tuple(assignees.get(row[0], none)))
            for row in self._tracked_rows(ENTITY_TABLES[Task], *columns)
            if row[1] in in_scope
        ]

    def time_entries(self, in_scope: set[str]) -> list[TimeRow]:
        columns = ("identity_id", "project_id", "entry_date", "minutes", "task_id", "source")
        columns += ("approval",)
        person = self._person
        return [
            TimeRow(person.get(identity, identity), project, day, minutes, task, src, approval)
            for identity, project, day, minutes, task, src, approval in self._rows(
                ENTITY_TABLES[TimeEntry], *columns
            )
            if project in in_scope
        ]

    def allocations(self, in_scope: set[str]) -> list[AllocationRow]:
        columns = ("identity_id", "project_id", "start_date", "end_date", "hours", "percent")
        return [
            AllocationRow(
                self.person_of(r.identity_id),
                r.project_id,
                r.start_date,
                r.end_date,
                r.hours,
                r.percent,
            )
            for r in self._rows(ENTITY_TABLES[Allocation], *columns)
            if r.project_id in in_scope
        ]

    def budgets(self, in_scope: set[str]) -> list[BudgetRow]:
        columns = ("id", "project_id", "amount", "measure", "currency", "origin", "line")
        columns += ("actual", "source")
        return [
            BudgetRow(
                r.project_id,
                Decimal(r.amount),
                r.measure,
                r.currency,
                r.origin,
                r.line,
                None if r.actual is None else Decimal(r.actual),
                r.source,
            )
            for r in self._tracked_rows(ENTITY_TABLES[Budget], *columns)
            if r.project_id in in_scope
        ]

    def costs(self, in_scope: set[str]) -> list[CostRow]:
        columns = ("project_id", "entry_date", "amount", "currency", "category", "identity_id")
        columns += ("vendor", "description")
        return [
            CostRow(
                project_id=r.project_id,
                entry_date=r.entry_date,
                amount=Decimal(r.amount),
                currency=r.currency,
                category=r.category,
                person_id=self.person_of(r.identity_id),
                vendor=r.vendor,
                description=r.description,
            )
            for r in self._rows(ENTITY_TABLES[CostEntry], *columns)
            if r.project_id in in_scope
        ]

    def status_updates(self, in_scope: set[str]) -> list[StatusRow]:
        columns = ("project_id", "posted_at", "rag", "title", "author_identity_id", "text")
        author = self.person_of
        rows = [
            StatusRow(
                r.project_id, r.posted_at, r.rag, r.title, author(r.author_identity_id), r.text
            )
            for r in self._rows(ENTITY_TABLES[StatusUpdate], *columns)
            if r.project_id in in_scope
        ]
        rows.sort(key=lambda s: (s.project_id, s.posted_at))
        return rows

    def leave(self, in_scope: set[str]) -> list[LeaveRow]:
        """Everyone's leave: it is a person's, not a project's, so ``in_scope`` does not narrow
        it (the roster decides whose leave matters)."""
        columns = ("identity_id", "start_date", "end_date", "hours_per_day", "kind")
        return [
            LeaveRow(self.person_of(r.identity_id) or r.identity_id, *r[1:])
            for r in self._rows(ENTITY_TABLES[Leave], *columns)
        ]

    def raid_items(self, in_scope: set[str]) -> list[RaidRow]:
        """The RAID items of projects in scope, and those naming no project (portfolio-wide:
        they belong in every view of the portfolio), by score (highest first), then title."""
        columns = (
            "id", "project_id", "kind", "title", "status", "owner_identity_id", "raised_on",
            "due_date", "closed_on", "probability", "impact", "score", "mitigation",
            "resolution", "source_url",
        )  # fmt: skip
        rows = [
            RaidRow(*r[:5], self.person_of(r.owner_identity_id), *r[6:])
            for r in self._rows(ENTITY_TABLES[RaidItem], *columns)
            if r.project_id is None or r.project_id in in_scope
        ]
        rows.sort(key=lambda r: (-(r.score or 0), r.title, r.id))
        return rows

    def requests(self, filters: Filters) -> list[RequestRow]:
        """The requests of the sources in scope, each with the project it became looked up."""
        columns = (
            "id", "source", "title", "stage", "requester_identity_id", "sponsor_identity_id",
            "submitted_at", "estimated_cost", "estimated_benefit", "currency", "effort_hours",
            "target_start", "target_end", "criteria", "risk", "project_ref", "project_id",
            "description", "source_url", "updated_at",
        )  # fmt: skip
        rows = [
            r
            for r in self._tracked_rows(ENTITY_TABLES[Request], *columns)
            if not filters.sources or r.source in filters.sources
        ]
        if not rows:
            return []
        projects = ENTITY_TABLES[Project]
        query = select(projects.c.id, projects.c.source_id, projects.c.name, projects.c.deleted_at)
        every = self._connection.execute(query).all()
        known = {p.id: p for p in every}
        live_by_key: dict[str, set[str]] = defaultdict(set)
        for p in every:
            if p.deleted_at is None:
                live_by_key[p.source_id].add(p.id)
                live_by_key[" ".join(p.name.split()).casefold()].add(p.id)
        out = []
        person = self._person
        for r in rows:
            # by position: a Row's attribute lookup by name costs more than building the row
            (
                row_id, source, title, stage, requester, sponsor, submitted_at, cost, benefit,
                currency, effort, target_start, target_end, criteria, risk, project_ref,
                project_id, description, source_url, updated_at,
            ) = r  # fmt: skip
            state, name = None, None
            if project_id is None and project_ref:
                ref = project_ref.strip()
                found = live_by_key.get(ref) or live_by_key.get(" ".join(ref.split()).casefold())
                if not found:
                    state = "missing"
                elif len(found) > 1:
                    state = "ambiguous"
                else:
                    project_id = next(iter(found))
            if project_id is not None:
                project = known.get(project_id)
                if project is None:
                    state, project_id = "missing", None
                else:
                    state = "live" if project.deleted_at is None else "deleted"
                    name = project.name
            out.append(
                RequestRow(
                    row_id,
                    source,
                    title,
                    stage,
                    None if requester is None else person.get(requester, requester),
                    None if sponsor is None else person.get(sponsor, sponsor),
                    submitted_at,
                    cost,
                    benefit,
                    currency,
                    dict(effort or {}),
                    target_start,
                    target_end,
                    dict(criteria or {}),
                    risk,
                    project_ref,
                    project_id,
                    state,
                    name,
                    description,
                    source_url,
                    updated_at,
                )
            )
        far = datetime.max.replace(tzinfo=UTC)
        out.sort(key=lambda q: (q.submitted_at or far, q.title, q.id))
        return out

    def request_history(
        self, requests: Sequence[RequestRow], until: datetime
    ) -> dict[str, tuple[RequestVersion, ...]]:
        """The field history of ``requests`` before ``until``, oldest first, deletions left
        out (a request deleted and revived carries on)."""
        found: dict[str, list[RequestVersion]] = defaultdict(list)
        for record_id, valid_from, fields in self._versions(
            "request", [r.id for r in requests], until
        ):
            found[record_id].append(RequestVersion(valid_from, fields))
        return {request_id: tuple(versions) for request_id, versions in found.items()}

    def _versions(
        self, entity: str, ids: Sequence[str], until: datetime
    ) -> Iterator[tuple[str, datetime, dict[str, Any]]]:
        """The live versions (deletions left out: a record deleted and revived carries on) of
        ``entity``'s records ``ids`` valid before ``until``, each record's oldest first, read
        in pages of ids: (record id, valid from, fields)."""
        h = record_history.c
        for start in range(0, len(ids), _HISTORY_CHUNK):
            query = (
                select(h.record_id, h.valid_from, h.fields)
                .where(
                    h.entity == entity,
                    h.record_id.in_(ids[start : start + _HISTORY_CHUNK]),
                    h.valid_from < until,
                    h.deleted.is_(False),
                )
                .order_by(h.record_id, h.valid_from, h.id)
            )
            for record_id, valid_from, fields in self._connection.execute(query).all():
                if isinstance(fields, dict):
                    yield record_id, valid_from, fields

    def baselines(self, in_scope: set[str], until: datetime) -> dict[str, BaselineRow]:
        """Each project's baseline in effect before ``until``: the active one if it was set by
        then, else the latest set by then (see ``store.baselines.baselines_in_effect``)."""
        return {
            project_id: BaselineRow(
                project_id=project_id,
                name=b.name,
                set_at=b.set_at,
                set_by=b.set_by,
                start_date=b.plan.start_date,
                finish_date=b.plan.finish_date,
                budget_amount=b.plan.budget_amount,
                budget_measure=b.plan.budget_measure,
                budget_currency=b.plan.budget_currency,
                tasks=b.plan.tasks,
            )
            for project_id, b in baselines_in_effect(self._connection, in_scope, until).items()
        }

    def milestone_history(
        self, tasks: Sequence[TaskRow], until: datetime
    ) -> dict[str, tuple[MilestoneVersion, ...]]:
        """The history of the milestones among ``tasks`` (read after them: the ``tasks`` part
        must be loaded too) before ``until``, in pages of ids; deletions are left out (a
        deleted milestone forecasts nothing, and a revived one carries on)."""
        ids = [t.id for t in tasks if t.is_milestone]
        found: dict[str, list[MilestoneVersion]] = defaultdict(list)
        for record_id, valid_from, fields in self._versions("task", ids, until):
            try:
                due = as_date(fields.get("due_date"))
                completed = as_datetime(fields.get("completed_at"))
            except (TypeError, ValueError):  # a hand-seeded version: not a date
                continue
            found[record_id].append(MilestoneVersion(valid_from, due, completed))
        return {task_id: tuple(versions) for task_id, versions in found.items()}

    def people(self, dataset: Dataset, sources: set[str]) -> dict[str, PersonRow]:
        """Everyone with an identity in the scope's sources, and anyone its rows name."""
        named: set[str] = {p.owner_id for p in dataset.projects if p.owner_id}
        named.update(a for t in dataset.tasks for a in t.assignee_ids)
        named.update(t.person_id for t in dataset.time_entries)
        named.update(a.person_id for a in dataset.allocations)
        named.update(c.person_id for c in dataset.costs if c.person_id)
        named.update(s.author_id for s in dataset.status_updates if s.author_id)
        named.update(r.owner_id for r in dataset.raid_items if r.owner_id)
        named.update(p for r in dataset.requests for p in (r.requester_id, r.sponsor_id) if p)
        named.update(
            self.person_of(i.id) or i.id for i in self._identities.values() if i.source in sources
        )
        people: dict[str, PersonRow] = {}
        rows = self._rows(ENTITY_TABLES[Person], "id", "name", "email", "active")
        for row in rows:
            if row.id in named:
                people[row.id] = PersonRow(row.id, row.name, row.email, bool(row.active))
        for identity_id in named - people.keys():
            identity = self._identities.get(identity_id)
            if identity is not None:  # an identity identity resolution has not linked yet
                people[identity_id] = PersonRow(identity_id, identity.name, identity.email)
        return people
