"""The rows a report reads, loaded once from the store into small immutable records.

Metrics are pure functions over a ``Dataset``: tests build one by hand and check figures worked
out on paper; a report run loads one from the store with its filters applied. Only live rows
(no tombstones) and only the columns metrics use are read, so a large store stays cheap.

People: every row that names a person carries ``person_id`` — the resolved person when identity
resolution linked the identity, else the identity's own id — so one human's time in Asana and in
a timesheet workbook counts once, and an unresolved identity still counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class ProjectRow:
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


@dataclass(frozen=True, slots=True)
class PortfolioRow:
    id: str
    source: str
    name: str
    source_url: str | None = None


@dataclass(frozen=True, slots=True)
class TaskRow:
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


@dataclass(frozen=True, slots=True)
class TimeRow:
    person_id: str
    project_id: str
    entry_date: date
    minutes: int
    task_id: str | None = None


@dataclass(frozen=True, slots=True)
class AllocationRow:
    person_id: str
    project_id: str
    start_date: date
    end_date: date
    hours: float | None = None  # total hours over start..end
    percent: float | None = None  # percent of weekly capacity over start..end


@dataclass(frozen=True, slots=True)
class BudgetRow:
    project_id: str
    amount: Decimal
    measure: str = "money"  # money | hours
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class CostRow:
    project_id: str
    entry_date: date
    amount: Decimal
    currency: str
    category: str  # expense | invoice | labour
    person_id: str | None = None
    vendor: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class StatusRow:
    project_id: str
    posted_at: datetime
    rag: str | None = None
    title: str | None = None
    author_id: str | None = None


@dataclass(frozen=True, slots=True)
class PersonRow:
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
    people: dict[str, PersonRow] = field(default_factory=dict)
    """Everyone in scope by person_id: people with an identity in a filtered source, or named
    by a row above. The roster for timesheet compliance."""
