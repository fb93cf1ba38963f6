"""Planned load for the weeks ahead: allocations and the open estimates of assigned tasks.

Logged time says what happened; a PMO staffing next month needs what is coming. The planned
hours of a person in a forward week come from two places a tool states, and this module says
exactly how each counts (docs/reports.md "Capacity heat map" repeats it):

- **Allocations**: as ``metrics.utilisation.allocated_hours`` books them (hours spread over the
  allocation's working days, or a percent of the person's working hours less their leave).
- **Open task estimates**: a task not done, not a milestone, with ``estimate_hours`` and at
  least one assignee. What is left of it is the estimate less ``percent_complete`` of it (when
  the tool states one), shared equally by its assignees and spread evenly over the working days
  from the later of tomorrow (``as_of`` + 1) and its start date, to its due date. An estimate
  with no due date, or due on or before ``as_of`` (overdue), cannot be spread: all of it loads
  the first forward week, the work being due now. A parent whose open subtasks carry estimates
  is left out (its subtasks are its breakdown: counting both would count the work twice).
- **No double counting**: when a person has both an allocation and task estimates on the same
  project in the same week, the larger of the two counts for that project and week (the
  allocation is the booking; estimates of the same work refine it, never add to it).

Capacity is the same as for past weeks (``metrics.capacity``: the contract less public holidays
and the person's leave, future leave included). The forward weeks are the ``count`` weeks after
the last complete week: the week in progress first (unless ``as_of`` is its Sunday).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from pmosync.config.models import Resources
from pmosync.reports.dataset import Dataset, PersonRow, TaskRow
from pmosync.reports.metrics.calendar import PLAIN, WorkingCalendar
from pmosync.reports.metrics.capacity import leave_by_person, week_hours
from pmosync.reports.metrics.utilisation import (
    WEEK,
    active_people,
    allocated_hours,
    allocations_by_person,
    capacity_of,
    exceeds,
    percent,
)
from pmosync.reports.metrics.weeks import complete_weeks


@dataclass(frozen=True, slots=True)
class ForwardWeek:
    """One person's forward week: ``planned`` is per project the larger of ``allocated`` and
    ``estimated`` hours there, summed; ``planned_pct`` is of ``capacity`` (None when 0)."""

    person: PersonRow
    week: date  # the Monday
    capacity: float
    allocated: float
    estimated: float
    planned: float
    planned_pct: float | None
    contract: float = 0.0
    holiday_hours: float = 0.0
    leave_hours: float = 0.0

    @property
    def over_capacity(self) -> bool:
        return exceeds(self.planned, self.capacity)


@dataclass(frozen=True, slots=True)
class ForwardLoad:
    """The forward weeks (Mondays, soonest first) and one row per person-week (roster order,
    weeks soonest first); ``by_project`` is planned hours per (person id, project id)."""

    weeks: list[date]
    rows: list[ForwardWeek]
    by_project: dict[tuple[str, str], float]


def forward_weeks(as_of: date, count: int) -> list[date]:
    """The Mondays of the ``count`` weeks after the last complete week as of ``as_of``."""
    last_complete = complete_weeks(as_of, 1)[0]
    return [last_complete + timedelta(weeks=n) for n in range(1, count + 1)]


def remaining_hours(task: TaskRow) -> float:
    """What is left of an open task's estimate: less its ``percent_complete`` when stated."""
    estimate = task.estimate_hours or 0.0
    if task.percent_complete is None:
        return max(0.0, estimate)
    done = min(100.0, max(0.0, task.percent_complete))
    return max(0.0, estimate * (100.0 - done) / 100.0)


def open_estimates(tasks: Iterable[TaskRow]) -> list[tuple[TaskRow, float]]:
    """(task, hours left) of each open, assigned, estimated task that is not a milestone and
    not the parent of another such task."""
    candidates = [
        t
        for t in tasks
        if t.status != "done"
        and not t.is_milestone
        and t.assignee_ids
        and t.estimate_hours is not None
        and t.estimate_hours > 0
    ]
    parents = {t.parent_id for t in candidates if t.parent_id}
    out = []
    for task in candidates:
        if task.id in parents:
            continue
        left = remaining_hours(task)
        if left > 0:
            out.append((task, left))
    return out


def spread_estimate(
    task: TaskRow, hours: float, as_of: date, weeks: list[date], calendar: WorkingCalendar
) -> dict[date, float]:
    """``hours`` of ``task`` per forward week (see the module docstring for the rule)."""
    if not weeks:
        return {}
    tomorrow = as_of + timedelta(days=1)
    due = task.due_date
    if due is None or due < tomorrow:
        return {weeks[0]: hours}
    start = max(tomorrow, task.start_date) if task.start_date is not None else tomorrow
    if start > due:  # a start after the due date: the dates are wrong, the due date wins
        start = tomorrow
    total = calendar.working_days(start, due)
    spread: dict[date, float] = {}
    for monday in weeks:
        first, last = max(start, monday), min(due, monday + WEEK)
        if last < first:
            continue
        if total:
            share = calendar.working_days(first, last) / total
        else:  # due on a day off with no working day before it: calendar days, not lost
            share = ((last - first).days + 1) / ((due - start).days + 1)
        if share:
            spread[monday] = hours * share
    return spread


def forward_load(
    dataset: Dataset,
    count: int,
    resources: Resources,
    calendar: WorkingCalendar = PLAIN,
) -> ForwardLoad:
    """Every active person's planned load in the ``count`` weeks after the last complete one."""
    weeks = forward_weeks(dataset.as_of, count)
    people = active_people(dataset)
    roster = {p.id for p in people}
    leave = leave_by_person(dataset.leave)
    # (person, project, week) -> hours, from each source.
    estimated: dict[tuple[str, str, date], float] = defaultdict(float)
    for task, left in open_estimates(dataset.tasks):
        assignees = [a for a in task.assignee_ids if a in roster]
        if not assignees:
            continue
        share = left / len(task.assignee_ids)
        for monday, hours in spread_estimate(task, share, dataset.as_of, weeks, calendar).items():
            for person_id in assignees:
                estimated[(person_id, task.project_id, monday)] += hours
    allocations = allocations_by_person(dataset.allocations)
    estimated_projects: dict[tuple[str, date], set[str]] = defaultdict(set)
    for person_id, project_id, monday in estimated:
        estimated_projects[(person_id, monday)].add(project_id)
    rows: list[ForwardWeek] = []
    by_project: dict[tuple[str, str], float] = defaultdict(float)
    for person in people:
        contract = capacity_of(resources, person)
        own_leave = leave.get(person.id, [])
        for monday in weeks:
            booked: dict[str, float] = defaultdict(float)
            for allocation in allocations.get(person.id, ()):
                hours = allocated_hours(allocation, monday, contract, calendar, own_leave)
                if hours:
                    booked[allocation.project_id] += hours
            projects = set(booked) | estimated_projects.get((person.id, monday), set())
            planned = 0.0
            for project_id in projects:
                load = max(booked.get(project_id, 0.0), estimated[(person.id, project_id, monday)])
                by_project[(person.id, project_id)] += load
                planned += load
            week = week_hours(contract, monday, own_leave, calendar)
            estimate_sum = sum(
                estimated[(person.id, p, monday)]
                for p in estimated_projects.get((person.id, monday), ())
            )
            rows.append(
                ForwardWeek(
                    person=person,
                    week=monday,
                    capacity=week.available,
                    allocated=sum(booked.values()),
                    estimated=estimate_sum,
                    planned=planned,
                    planned_pct=percent(planned, week.available),
                    contract=week.contract,
                    holiday_hours=week.holiday_hours,
                    leave_hours=week.leave_hours,
                )
            )
    return ForwardLoad(weeks=weeks, rows=rows, by_project=dict(by_project))
