"""What is left for new projects over the horizon: hours by role and month, and money.

People: each person ``resources.roles`` names (by email) counts for their role. A month's
capacity is their weekly contract (``resources.capacity``, else ``weekly_capacity_hours``)
over the calendar's working days per week, times the working days of the month from the
report date on (public holidays and closure days out), less their leave those days
(``metrics.capacity``). Their allocations to current projects overlapping the month are booked
as utilisation books them (``metrics.utilisation.allocated_between``: hours spread over the
allocation's working days, a percent as that share of their hours). What is left of a role in
a month is its people's capacity less their allocations, never below 0.

Money: ``intake.capacity.funding`` less what current projects still have to spend when
``commitments`` is ``remaining_budgets``: for each active or on-hold project, its budget in
the pipeline's currency (``canonical.budgets.current_budget``, by precedence) less its actual
cost to date (``metrics.actual_cost.money_actual``), never below 0. A project whose remaining
budget cannot be told (no money budget, a budget in another currency) adds nothing and is
named in the notes; one whose actual cost is partial counts what is known and is named too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from pmosync.canonical.budgets import currency_code, current_budget, money
from pmosync.config.intake import Intake
from pmosync.config.models import Resources
from pmosync.reports.dataset import Dataset, PersonRow, ProjectRow
from pmosync.reports.metrics.actual_cost import RateBook, money_actual
from pmosync.reports.metrics.calendar import WorkingCalendar
from pmosync.reports.metrics.capacity import daily_hours, leave_by_person, leave_hours
from pmosync.reports.metrics.intake import Capacity
from pmosync.reports.metrics.utilisation import allocated_between, allocations_by_person

COMMITTED_STATUSES = frozenset({"active", "on_hold"})
"""Projects whose remaining budget is committed money: under way or paused, not finished."""


@lru_cache(maxsize=1024)
def role_key(role: str) -> str:
    """Roles compare in any case and spacing ("senior  Consultant" is "Senior consultant")."""
    return " ".join(role.split()).casefold()


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, count: int) -> date:
    """The first day of the month ``count`` months after ``day``'s."""
    index = day.year * 12 + day.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_label(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@lru_cache(maxsize=1024)
def month_span(label: str) -> tuple[date, date]:
    """The first and last day of the month "YYYY-MM"."""
    first = date(int(label[:4]), int(label[5:7]), 1)
    return first, add_months(first, 1) - timedelta(days=1)


def horizon(as_of: date, months: int) -> tuple[str, ...]:
    """``months`` months, "YYYY-MM", from ``as_of``'s month on."""
    return tuple(month_label(add_months(as_of, n)) for n in range(months))


def _people_by_role(
    dataset: Dataset, resources: Resources
) -> tuple[dict[str, list[PersonRow]], dict[str, str], list[str]]:
    """Active people of ``dataset`` by role (as resources.roles spells it first), and the
    roles' spelling by key, and the configured emails no one in scope has."""
    by_email = {p.email.casefold(): p for p in dataset.people.values() if p.email and p.active}
    spelling: dict[str, str] = {}
    people: dict[str, list[PersonRow]] = defaultdict(list)
    unknown = []
    for email, role in resources.roles.items():
        key = role_key(role)
        name = spelling.setdefault(key, " ".join(role.split()))
        person = by_email.get(email.casefold())
        if person is None:
            unknown.append(email)
            continue
        people[name].append(person)
    return people, spelling, unknown


def _hours(
    dataset: Dataset, resources: Resources, months: Sequence[str], calendar: WorkingCalendar
) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], float], list[str]]:
    people, spelling, unknown = _people_by_role(dataset, resources)
    leave = leave_by_person(dataset.leave)
    allocations = allocations_by_person(dataset.allocations)
    capacity: dict[tuple[str, str], float] = {}
    allocated: dict[tuple[str, str], float] = {}
    for role in spelling.values():
        for label in months:
            first, last = month_span(label)
            first = max(first, dataset.as_of)
            total_capacity = total_allocated = 0.0
            for person in people.get(role, ()):
                contract = resources.capacity_of(person.email.lower() if person.email else None)
                daily = daily_hours(contract, calendar)
                own_leave = leave.get(person.id, [])
                worked = daily * calendar.working_days(first, last)
                off = leave_hours(own_leave, first, last, daily, calendar)
                total_capacity += max(0.0, worked - off)
                total_allocated += sum(
                    allocated_between(a, first, last, contract, calendar, own_leave)
                    for a in allocations.get(person.id, ())
                )
            capacity[(role, label)] = total_capacity
            allocated[(role, label)] = total_allocated
    notes = []
    empty = [role for role in spelling.values() if not people.get(role)]
    if empty:
        notes.append(f"no one in scope has the role {', '.join(empty)}: no hours for it")
    if unknown:
        count = len(unknown)
        notes.append(
            f"{count} {'person' if count == 1 else 'people'} in resources.roles not in scope "
            f"({', '.join(sorted(unknown))}): not counted"
        )
    return capacity, allocated, notes


def _names(projects: Sequence[ProjectRow]) -> str:
    return ", ".join(sorted(p.name for p in projects))


def committed_money(
    dataset: Dataset, resources: Resources, currency: str
) -> tuple[Decimal, list[str]]:
    """What active and on-hold projects still have to spend in ``currency``: their budget
    less their actual cost to date, each never below 0; notes name what could not count."""
    budgets = defaultdict(list)
    for row in dataset.budgets:
        budgets[row.project_id].append(row)
    costs = defaultdict(list)
    for cost in dataset.costs:
        costs[cost.project_id].append(cost)
    entries = defaultdict(list)
    for entry in dataset.time_entries:
        entries[entry.project_id].append(entry)
    total = Decimal(0)
    no_budget: list[ProjectRow] = []
    other: list[ProjectRow] = []
    partial: list[ProjectRow] = []
    for project in dataset.projects:
        if project.status not in COMMITTED_STATUSES:
            continue
        budget = current_budget(budgets.get(project.id, []), resources.budget_precedence)
        if budget is None or budget.measure != "money":
            no_budget.append(project)
            continue
        if currency_code(budget.currency) != currency:
            other.append(project)
            continue
        rates = RateBook(resources, project, dataset.people)
        actual = money_actual(
            currency,
            budgets[project.id],
            costs.get(project.id, []),
            entries.get(project.id, []),
            dataset.as_of,
            rates,
        )
        if actual.partial:
            partial.append(project)
        left = Decimal(str(budget.amount)) - Decimal(str(actual.ac))
        total += max(Decimal(0), left).quantize(Decimal("0.01"))
    notes = []
    if no_budget:
        notes.append(
            f"{_count(no_budget)} without a money budget ({_names(no_budget)}): "
            "nothing counted as committed for them"
        )
    if other:
        notes.append(
            f"{_count(other)} budgeted in another currency than {currency} "
            f"({_names(other)}): not converted, nothing counted as committed for them"
        )
    if partial:
        notes.append(
            f"{_count(partial)} with a partial actual cost ({_names(partial)}): their "
            "remaining budget counts the known cost only, so it may be overstated"
        )
    return total, notes


def _count(projects: Sequence[ProjectRow]) -> str:
    return f"{len(projects)} active or on-hold project{'' if len(projects) == 1 else 's'}"


def capacity_left(
    dataset: Dataset, resources: Resources, intake: Intake, calendar: WorkingCalendar
) -> Capacity:
    """Hours left by role and month over ``intake.capacity.horizon_months`` from the report
    month, and funding left in ``intake.currency`` (see the module docstring)."""
    settings = intake.capacity
    months = horizon(dataset.as_of, settings.horizon_months)
    capacity, allocated, notes = _hours(dataset, resources, months, calendar)
    left = {key: max(0.0, capacity[key] - allocated.get(key, 0.0)) for key in capacity}
    funding = settings.funding
    committed: Decimal | None = None
    remaining: Decimal | None = None
    if funding is not None:
        currency = currency_code(intake.currency) or ""
        remaining = funding
        if settings.commitments == "remaining_budgets":
            committed, money_notes = committed_money(dataset, resources, currency)
            notes.extend(money_notes)
            remaining = funding - committed
            if remaining < 0:
                notes.append(
                    f"current projects' remaining budgets exceed funding by "
                    f"{money(-remaining, currency)}: no money left for new projects"
                )
                remaining = Decimal(0)
    return Capacity(
        months=months,
        hours=left,
        capacity_hours=capacity,
        allocated_hours=allocated,
        money=remaining,
        funding=funding,
        committed=committed,
        notes=tuple(notes),
    )
