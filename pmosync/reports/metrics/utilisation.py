"""Resource utilisation per person per complete week: capacity, allocated, logged hours.

The PMO asks two questions of each week: was anyone booked beyond their contract (allocated
over capacity: plans that cannot all happen), and is anyone's time going unrecorded or unused
(logged well below capacity). Only complete weeks are judged (see ``complete_weeks``), and only
active people, so leavers do not show as idle. Capacity is the week's contract hours less public
holidays and the person's leave (``metrics.capacity``), so a week with Christmas in it or a
week of annual leave does not read as idle.

Time entries are grouped once by (person, week), so 100,000 entries cost one pass; allocations
are few and each touches only the weeks it overlaps.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from pmosync.config.models import Resources
from pmosync.config.reports import ReportRules
from pmosync.reports.dataset import AllocationRow, Dataset, LeaveRow, PersonRow, TimeRow
from pmosync.reports.metrics.calendar import PLAIN, WorkingCalendar
from pmosync.reports.metrics.capacity import (
    WeekHours,
    daily_hours,
    leave_by_person,
    leave_hours,
    week_hours,
)
from pmosync.reports.metrics.weeks import complete_weeks, week_start

WEEK = timedelta(days=6)
TOLERANCE = 1e-9
"""Prorated hours are floats; a booking of exactly 100 % must not read as 100.0000001 %."""


@dataclass(frozen=True, slots=True)
class PersonWeek:
    """One person's week. ``capacity`` is the contract less ``holiday_hours`` and
    ``leave_hours``; percentages are None when it is 0 (nothing to divide by)."""

    person: PersonRow
    week: date  # the Monday
    capacity: float
    allocated: float
    logged: float
    utilisation_pct: float | None
    allocation_pct: float | None
    over_allocated: bool
    under_used: bool
    contract: float = 0.0
    holiday_hours: float = 0.0
    leave_hours: float = 0.0


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums over several person-weeks (one person's window, or one week's team)."""

    capacity: float
    allocated: float
    logged: float
    utilisation_pct: float | None
    allocation_pct: float | None
    over_allocated: int  # person-weeks flagged
    under_used: int
    holiday_hours: float = 0.0
    leave_hours: float = 0.0


@dataclass(frozen=True, slots=True)
class Utilisation:
    """The window (Mondays, oldest first), the people judged, and one row per person-week
    (people in label order, weeks oldest first)."""

    weeks: list[date]
    people: list[PersonRow]
    rows: list[PersonWeek]


def active_people(dataset: Dataset) -> list[PersonRow]:
    """The roster: active people in scope, ordered by how they are shown."""
    people = (p for p in dataset.people.values() if p.active)
    return sorted(people, key=lambda p: (p.label.casefold(), p.id))


def capacity_of(resources: Resources, person: PersonRow) -> float:
    """Weekly contract hours; configured emails are lower case, so the lookup is too."""
    return resources.capacity_of(person.email.lower() if person.email else None)


def logged_minutes(
    entries: Iterable[TimeRow], weeks: list[date], people: Iterable[str]
) -> dict[tuple[str, date], int]:
    """Minutes per (person id, Monday) for entries inside the window's weeks, in one pass.

    Entries outside the window or of people outside the roster are ignored.
    """
    if not weeks:
        return {}
    first, last = weeks[0], weeks[-1] + WEEK
    roster = set(people)
    minutes: dict[tuple[str, date], int] = defaultdict(int)
    monday_of = MondayOf()
    for entry in entries:
        if first <= entry.entry_date <= last and entry.person_id in roster:
            minutes[(entry.person_id, monday_of[entry.entry_date])] += entry.minutes
    return minutes


class MondayOf(dict[date, date]):
    """``week_start`` of each day, computed once per distinct day: 100,000 entries fall on a
    few hundred days."""

    def __missing__(self, day: date) -> date:
        monday = self[day] = week_start(day)
        return monday


def allocations_by_person(allocations: Iterable[AllocationRow]) -> dict[str, list[AllocationRow]]:
    """Allocations grouped by person, so each person-week looks only at its own."""
    grouped: dict[str, list[AllocationRow]] = defaultdict(list)
    for allocation in allocations:
        grouped[allocation.person_id].append(allocation)
    return grouped


def allocated_hours(
    allocation: AllocationRow,
    monday: date,
    contract: float,
    calendar: WorkingCalendar = PLAIN,
    leave: Iterable[LeaveRow] = (),
) -> float:
    """Hours of ``allocation`` falling in the week starting ``monday``.

    By hours: the total spread evenly over the allocation's working days (weekends and public
    holidays excluded). By percent: that share of the person's hours on the working days of
    overlap, a day being ``contract`` over the calendar's week length, less their ``leave`` on
    those days (50 % of a week with a holiday books 4 days' half, not 5). An allocation set
    entirely on days off has no working days: its hours then spread over calendar days
    instead, so they are not lost. An allocation with neither hours nor percent, or ending
    before it starts, books nothing; hours win when a source sets both.
    """
    return allocated_between(allocation, monday, monday + WEEK, contract, calendar, leave)


def allocated_between(
    allocation: AllocationRow,
    first: date,
    last: date,
    contract: float,
    calendar: WorkingCalendar = PLAIN,
    leave: Iterable[LeaveRow] = (),
) -> float:
    """Hours of ``allocation`` falling from ``first`` to ``last`` (both included), booked as
    ``allocated_hours`` says: a week's, a month's (intake capacity) or any span's."""
    start = max(allocation.start_date, first)
    end = min(allocation.end_date, last)
    if end < start:
        return 0.0
    overlap = calendar.working_days(start, end)
    if allocation.hours is not None:
        total = calendar.working_days(allocation.start_date, allocation.end_date)
        if total == 0:
            overlap = (end - start).days + 1
            total = (allocation.end_date - allocation.start_date).days + 1
        return allocation.hours * overlap / total
    if allocation.percent is not None:
        daily = daily_hours(contract, calendar)
        available = daily * overlap - leave_hours(leave, start, end, daily, calendar)
        return allocation.percent * max(0.0, available) / 100
    return 0.0


def utilisation(
    dataset: Dataset,
    rules: ReportRules,
    resources: Resources,
    calendar: WorkingCalendar = PLAIN,
) -> Utilisation:
    """Every active person's complete weeks in ``rules.weeks`` up to ``dataset.as_of``, their
    capacity taking ``calendar``'s holidays and ``dataset.leave`` off their contract."""
    weeks = complete_weeks(dataset.as_of, rules.weeks)
    people = active_people(dataset)
    minutes = logged_minutes(dataset.time_entries, weeks, (p.id for p in people))
    allocations = allocations_by_person(dataset.allocations)
    leave = leave_by_person(dataset.leave)
    rows = []
    for person in people:
        contract = capacity_of(resources, person)
        own_leave = leave.get(person.id, [])
        for monday in weeks:
            hours = week_hours(contract, monday, own_leave, calendar)
            allocated = sum(
                allocated_hours(a, monday, contract, calendar, own_leave)
                for a in allocations.get(person.id, ())
            )
            logged = minutes.get((person.id, monday), 0) / 60
            rows.append(_person_week(person, monday, hours, allocated, logged, rules))
    return Utilisation(weeks=weeks, people=people, rows=rows)


def _person_week(
    person: PersonRow,
    monday: date,
    hours: WeekHours,
    allocated: float,
    logged: float,
    rules: ReportRules,
) -> PersonWeek:
    capacity = hours.available
    utilisation_pct = percent(logged, capacity)
    allocation_pct = percent(allocated, capacity)
    return PersonWeek(
        person=person,
        week=monday,
        capacity=capacity,
        allocated=allocated,
        logged=logged,
        utilisation_pct=utilisation_pct,
        allocation_pct=allocation_pct,
        # Hours booked in a week entirely off (holidays, leave) are over-allocated too.
        over_allocated=exceeds(allocated, capacity),
        under_used=capacity > 0 and logged * 100 < capacity * rules.under_use_pct * (1 - TOLERANCE),
        contract=hours.contract,
        holiday_hours=hours.holiday_hours,
        leave_hours=hours.leave_hours,
    )


def exceeds(hours: float, capacity: float) -> bool:
    """More ``hours`` than ``capacity`` beyond float noise; any hours when it is 0 (a week
    entirely off): what over-allocated, planned over capacity and logged over share."""
    return hours > capacity * (1 + TOLERANCE) + TOLERANCE


def percent(part: float, whole: float) -> float | None:
    """``part`` as a percentage of ``whole``; None (undefined) when ``whole`` is 0."""
    return part / whole * 100 if whole else None


def totals(rows: Iterable[PersonWeek]) -> Totals:
    """Sums of a group of person-weeks; its percentages are capacity-weighted (total logged over
    total capacity), so a part-timer's week weighs by its hours, not as a whole person."""
    rows = list(rows)
    capacity = sum(r.capacity for r in rows)
    allocated = sum(r.allocated for r in rows)
    logged = sum(r.logged for r in rows)
    return Totals(
        capacity=capacity,
        allocated=allocated,
        logged=logged,
        utilisation_pct=percent(logged, capacity),
        allocation_pct=percent(allocated, capacity),
        over_allocated=sum(r.over_allocated for r in rows),
        under_used=sum(r.under_used for r in rows),
        holiday_hours=sum(r.holiday_hours for r in rows),
        leave_hours=sum(r.leave_hours for r in rows),
    )


def by_person(result: Utilisation) -> list[tuple[PersonRow, Totals]]:
    """Each person's totals over the window, in roster order."""
    grouped: dict[str, list[PersonWeek]] = defaultdict(list)
    for row in result.rows:
        grouped[row.person.id].append(row)
    return [(p, totals(grouped[p.id])) for p in result.people]


def by_week(result: Utilisation) -> list[tuple[date, Totals]]:
    """The team's totals per week, oldest first."""
    grouped: dict[date, list[PersonWeek]] = defaultdict(list)
    for row in result.rows:
        grouped[row.week].append(row)
    return [(w, totals(grouped[w])) for w in result.weeks]


USUAL_WEEKS = 12
"""How far back "the projects a person usually logs to" looks, in weeks."""


def usual_projects(
    entries: Iterable[TimeRow], people: Iterable[str], last_day: date, limit: int = 3
) -> dict[str, list[str]]:
    """Per person, the project ids holding most of their logged minutes in the
    ``USUAL_WEEKS`` weeks up to ``last_day`` (at most ``limit``, most first, ties by id): what
    a timesheet reminder names, so the person knows where their time usually goes."""
    first = last_day - timedelta(weeks=USUAL_WEEKS) + timedelta(days=1)
    wanted = set(people)
    minutes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for entry in entries:
        if entry.person_id in wanted and first <= entry.entry_date <= last_day:
            minutes[entry.person_id][entry.project_id] += entry.minutes
    return {
        person: sorted(projects, key=lambda p: (-projects[p], p))[:limit]
        for person, projects in minutes.items()
    }
