"""Project progress: % complete, milestones, and schedule variance in days (earned schedule).

Only leaf tasks count: a parent task summarises its subtasks, so counting both would count the
work twice. Milestones are checkpoints, not work: they are left out of % complete and of effort
and reported on their own (next, overdue, completed this period).

The planned curve lives here because two figures read it: earned value takes the planned % at
``as_of``, and earned schedule asks on which day the plan reached today's earned %.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from pmosync.reports.dataset import TaskRow

TOLERANCE = 1e-9
"""Summed float fractions: a plan that reaches 100 % must not stop at 99.9999999 %."""


@dataclass(frozen=True, slots=True)
class PlannedTask:
    """A work task as the plan sees it: its weight, its planned days and how far it is."""

    weight: float
    start: date
    due: date
    completion: float
    completed_on: date | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    """Planned and earned % (0..100) at ``as_of`` and the earned-schedule variance in days.

    All None when no work task has a due date (or all weigh 0): there is no plan to measure.
    """

    planned_pct: float | None
    earned_pct: float | None
    start: date | None
    sv_days: float | None


@dataclass(frozen=True, slots=True)
class Milestones:
    """The next open milestone, the overdue ones (oldest due first) and those done this period."""

    next: TaskRow | None
    overdue: tuple[TaskRow, ...]
    completed: tuple[TaskRow, ...]


@dataclass(frozen=True, slots=True)
class Progress:
    """One project's progress. ``estimate_hours``/``earned_hours`` are kept so a portfolio can
    weigh its projects' % complete by effort."""

    work_tasks: int
    done_tasks: int
    pct_count: float | None
    pct_effort: float | None
    has_estimates: bool
    estimate_hours: float
    earned_hours: float
    milestones: Milestones
    schedule: Schedule


def parent_ids(tasks: Iterable[TaskRow]) -> set[str]:
    """Ids of tasks that are some task's parent, over the whole dataset (a subtask may live in
    another project than its parent)."""
    return {task.parent_id for task in tasks if task.parent_id is not None}


def work_tasks(tasks: Iterable[TaskRow], parents: set[str]) -> list[TaskRow]:
    """Leaf tasks that are not milestones: the work that % complete and effort count."""
    return [t for t in tasks if not t.is_milestone and t.id not in parents]


def completion(task: TaskRow) -> float:
    """1 when done, else percent complete as a fraction (kept within 0..1), else 0."""
    if task.status == "done":
        return 1.0
    if task.percent_complete is None:
        return 0.0
    return min(max(task.percent_complete / 100.0, 0.0), 1.0)


def estimate(task: TaskRow) -> float | None:
    """The task's estimate in hours; a negative one (bad data) counts as 0."""
    return None if task.estimate_hours is None else max(task.estimate_hours, 0.0)


def percent_by_count(work: Sequence[TaskRow]) -> float | None:
    """Done work tasks out of all work tasks, in percent; None when there are none."""
    if not work:
        return None
    done = sum(1 for t in work if t.status == "done")
    return done / len(work) * 100.0


def effort(work: Iterable[TaskRow]) -> tuple[float, float, bool]:
    """(earned hours, estimated hours, any estimate): sums of estimate x completion and of
    estimate over the work tasks that have an estimate."""
    earned = total = 0.0
    any_estimate = False
    for task in work:
        hours = estimate(task)
        if hours is not None:
            any_estimate = True
            total += hours
            earned += hours * completion(task)
    return earned, total, any_estimate


def period_start(as_of: date, period_days: int) -> date:
    """First day of "this period": ``period_days`` days ending with ``as_of``."""
    return as_of - timedelta(days=period_days - 1)


def milestones(tasks: Iterable[TaskRow], as_of: date, since: date) -> Milestones:
    """Next, overdue and recently completed milestones among ``tasks`` (others are ignored)."""
    upcoming: list[TaskRow] = []
    overdue: list[TaskRow] = []
    completed: list[TaskRow] = []
    for task in tasks:
        if not task.is_milestone:
            continue
        if task.status == "done":
            if task.completed_at is not None and since <= task.completed_at.date() <= as_of:
                completed.append(task)
        elif task.due_date is not None:
            (overdue if task.due_date < as_of else upcoming).append(task)
    upcoming.sort(key=_due_order)
    overdue.sort(key=_due_order)
    completed.sort(key=lambda t: (t.completed_at.date(), t.name.casefold(), t.id))
    return Milestones(upcoming[0] if upcoming else None, tuple(overdue), tuple(completed))


def _due_order(task: TaskRow) -> tuple[date | None, str, str]:
    return (task.due_date, task.name.casefold(), task.id)


def planned_tasks(work: Sequence[TaskRow]) -> list[PlannedTask]:
    """The work tasks the plan can place: those with a due date, weighted by estimate (or 1 each
    when no work task of the project has an estimate)."""
    by_count = all(t.estimate_hours is None for t in work)
    planned: list[PlannedTask] = []
    for task in work:
        if task.due_date is None:
            continue
        weight = 1.0 if by_count else (estimate(task) or 0.0)
        completed_on = task.completed_at.date() if task.completed_at is not None else None
        planned.append(
            PlannedTask(
                weight,
                planned_start(task, task.due_date),
                task.due_date,
                completion(task),
                completed_on,
            )
        )
    return planned


def planned_start(task: TaskRow, due: date) -> date:
    """Start date, else the creation date when not after ``due``, else ``due``. A start after
    the due date (bad data) is taken as the due date."""
    if task.start_date is not None:
        return min(task.start_date, due)
    if task.created_at is not None and task.created_at.date() <= due:
        return task.created_at.date()
    return due


def planned_fraction(task: PlannedTask, day: date) -> float:
    """How much of ``task`` the plan has done by the end of ``day``: spread evenly over its
    calendar days, start and due included."""
    if day >= task.due:
        return 1.0
    if day < task.start:
        return 0.0
    return ((day - task.start).days + 1) / ((task.due - task.start).days + 1)


def schedule(work: Sequence[TaskRow], as_of: date) -> Schedule:
    """Planned and earned % at ``as_of`` and the schedule variance in days."""
    planned = planned_tasks(work)
    total = sum(t.weight for t in planned)
    if total <= 0:
        return Schedule(None, None, None, None)
    planned_frac = sum(t.weight * planned_fraction(t, as_of) for t in planned) / total
    earned_frac = sum(t.weight * t.completion for t in planned) / total
    start = min(t.start for t in planned)
    sv_days = earned_schedule(planned, start, total, earned_frac) - actual_time(
        planned, start, as_of, earned_frac
    )
    return Schedule(planned_frac * 100.0, earned_frac * 100.0, start, sv_days)


def day_number(start: date, day: date) -> int:
    """Day count of ``day`` on a plan starting ``start``: the start day is day 1 (its end)."""
    return (day - start).days + 1


def planned_curve(planned: Sequence[PlannedTask], start: date, total: float) -> list[float]:
    """Planned fraction at the end of each plan day: index 0 is before the start (0), index k
    the end of day k. A difference array keeps this linear in tasks plus days."""
    days = max(day_number(start, t.due) for t in planned)
    steps = [0.0] * (days + 2)
    for task in planned:
        per_day = task.weight / total / day_number(task.start, task.due)
        steps[day_number(start, task.start)] += per_day
        steps[day_number(start, task.due) + 1] -= per_day
    curve = [0.0]
    rate = 0.0
    for k in range(1, days + 1):
        rate += steps[k]
        curve.append(curve[-1] + rate)
    return curve


def earned_schedule(
    planned: Sequence[PlannedTask], start: date, total: float, earned: float
) -> float:
    """ES: the day count at which the planned curve reaches ``earned`` (a fraction), linearly
    interpolated between the ends of whole days."""
    curve = planned_curve(planned, start, total)
    if earned <= TOLERANCE:
        return 0.0
    for k in range(1, len(curve)):
        if curve[k] >= earned - TOLERANCE:
            step = curve[k] - curve[k - 1]
            share = (earned - curve[k - 1]) / step if step > 0 else 1.0
            return k - 1 + min(max(share, 0.0), 1.0)
    return float(len(curve) - 1)


def actual_time(planned: Sequence[PlannedTask], start: date, as_of: date, earned: float) -> float:
    """AT: days from the plan's start to ``as_of`` (0 before the start). When all the work is
    done, the clock stops at the last completion: a project finished early must not drift
    "behind schedule" with every later report."""
    end = as_of
    if earned >= 1.0 - TOLERANCE:
        finished = [t.completed_on for t in planned if t.completed_on is not None]
        if len(finished) == len(planned):
            end = min(max(finished), as_of)
    return float(max(day_number(start, end), 0))


def project_progress(
    tasks: Sequence[TaskRow], parents: set[str], as_of: date, period_days: int
) -> Progress:
    """Everything about one project's progress from its tasks (all of them, milestones and
    parents included; ``parents`` from ``parent_ids`` over the dataset)."""
    work = work_tasks(tasks, parents)
    earned, total, any_estimate = effort(work)
    return Progress(
        work_tasks=len(work),
        done_tasks=sum(1 for t in work if t.status == "done"),
        pct_count=percent_by_count(work),
        pct_effort=earned / total * 100.0 if total > 0 else None,
        has_estimates=any_estimate,
        estimate_hours=total,
        earned_hours=earned,
        milestones=milestones(tasks, as_of, period_start(as_of, period_days)),
        schedule=schedule(work, as_of),
    )
