"""The plan a project's schedule is measured against: which work it holds, what each piece
weighs, and on which working days its value is planned.

Two sources, one rule set:

- the project's **active baseline** when it has one (the plan frozen when it was set): its work
  tasks, dates and estimates. Completion comes from today's task of the same id. Work added
  since earns nothing against it (it is *unbaselined work*, counted apart until the baseline is
  set again); a baselined task deleted since stays planned and earns nothing (*removed work*),
  because descoping is a baseline change, not a way to look on time;
- else **today's plan**: the work tasks as they stand, which a re-plan rewrites.

Weights (one rule, PMI's "every piece of scope carries budget"): a work task weighs its
estimate in hours; when the plan has estimates, a task without one weighs the mean estimate of
those that have one (the *default weight*); when none has an estimate, every task weighs 1.

Dates: a task is planned from its start (else its creation date, else its due date) to its due
date, spread evenly over the working days between. An undated task keeps its weight and is
planned on the plan's finish (the latest of the finish date and the tasks' due dates): the plan
promises it by the end, not before. A task whose whole span is non-working days is planned on
the next working day.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal, NamedTuple

from pmosync.reports.dataset import BaselineRow, TaskRow
from pmosync.reports.metrics.calendar import WorkingCalendar

Basis = Literal["effort", "count"]


def completion(task: TaskRow) -> float:
    """1 when done, else percent complete as a fraction (kept within 0..1), else 0 (also for a
    value that is no number at all, NaN from a sheet)."""
    if task.status == "done":
        return 1.0
    if task.percent_complete is None or not math.isfinite(task.percent_complete):
        return 0.0
    return min(max(task.percent_complete / 100.0, 0.0), 1.0)


def estimate(hours: float | None) -> float | None:
    """An estimate in hours; a negative one (bad data) counts as 0, a non-number (NaN,
    infinity) as no estimate."""
    if hours is None or not math.isfinite(hours):
        return None
    return max(hours, 0.0)


class WorkingDays:
    """Finds working days for a plan (the next or previous one, the n-th from a start) on the
    organisation's calendar, which counts them.

    A calendar whose weekend is the whole week (bad settings) would have no working day at
    all; it is read as having no weekend rather than looping for ever."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        if len(calendar.weekend) >= 7:
            calendar = replace(calendar, weekend=frozenset())
        self.calendar = calendar

    def day_of(self, instant: datetime | None) -> date | None:
        """The day of ``instant`` in the organisation's time zone."""
        return None if instant is None else self.calendar.day_of(instant)

    def is_working(self, day: date) -> bool:
        return self.calendar.is_working_day(day)

    def count(self, start: date, end: date) -> int:
        """Working days from ``start`` to ``end``, both included (0 when end < start)."""
        return self.calendar.working_days(start, end)

    def on_or_after(self, day: date) -> date:
        while not self.is_working(day):
            day += timedelta(days=1)
        return day

    def on_or_before(self, day: date) -> date:
        while not self.is_working(day):
            day -= timedelta(days=1)
        return day

    def nth(self, start: date, n: int) -> date:
        """The ``n``-th working day counting from ``start`` (a working day, number 1)."""
        if n <= 1:
            return start
        day = start + timedelta(days=(n - 1) // self.calendar.week_length * 7)
        counted = self.count(start, day)
        while counted < n:
            # each calendar day adds at most one working day: jumping by the shortfall never
            # overshoots, and it lands on the n-th working day itself
            step = n - counted
            counted += self.count(day + timedelta(days=1), day + timedelta(days=step))
            day += timedelta(days=step)
        return day


def signed_working_days(days: WorkingDays, reference: date, day: date) -> int:
    """Working days after ``reference`` up to ``day`` (negative when ``day`` is before it):
    a date moved from a Friday to the next Monday slipped 1 working day."""
    if day >= reference:
        return days.count(reference + timedelta(days=1), day)
    return -days.count(day + timedelta(days=1), reference)


class PlannedTask(NamedTuple):
    """A piece of planned work: its weight, its working-day span (None while nothing in the
    plan is dated) and how far it is today. A named tuple: a report builds one per task."""

    task_id: str
    weight: float
    first: date | None
    last: date | None
    completion: float
    completed_on: date | None = None
    dated: bool = True


@dataclass(frozen=True, slots=True)
class Plan:
    """What a project's schedule is measured against, and what the rules did to get there."""

    tasks: tuple[PlannedTask, ...]
    basis: Basis
    default_weight: float | None
    """Hours given to each unestimated work task (effort basis with some estimates missing)."""
    unestimated: int
    undated: int
    finish: date | None
    """The plan's last day: where undated work is planned. None when nothing is dated."""
    baseline: BaselineRow | None = None
    unbaselined: int = 0
    """Work tasks of today that the baseline does not hold: they earn nothing against it."""
    unbaselined_hours: float = 0.0
    removed: int = 0
    """Baselined work tasks no longer in the project: still planned, earning nothing."""


def weights(estimates: Sequence[float | None]) -> tuple[list[float], Basis, float | None]:
    """(weight of each task, basis, default weight): estimates when some task has one (the
    mean of them for the others), else 1 each."""
    hours = [estimate(e) for e in estimates]
    known = [h for h in hours if h is not None]
    if not known:
        return [1.0] * len(estimates), "count", None
    default = sum(known) / len(known)
    weighed = [default if h is None else h for h in hours]
    missing = len(estimates) - len(known)
    return weighed, "effort", default if missing else None


def plan_finish(dues: Iterable[date | None], declared: date | None) -> date | None:
    """The latest of the declared finish and the due dates; None when there is none."""
    days = [d for d in dues if d is not None]
    if declared is not None:
        days.append(declared)
    return max(days) if days else None


def span_start(start: date | None, created: date | None, due: date) -> date:
    """Start date, else the creation date when not after ``due``, else ``due``. A start after
    the due date (bad data) is taken as the due date."""
    if start is not None:
        return min(start, due)
    if created is not None and created <= due:
        return created
    return due


def working_span(days: WorkingDays, start: date, due: date) -> tuple[date, date]:
    """The first and last working day of start..due; the next working day on both ends when
    the span holds none (a task planned over a weekend)."""
    first = days.on_or_after(start)
    last = days.on_or_before(due)
    return (first, first) if last < first else (first, last)


def _place(
    days: WorkingDays,
    task_id: str,
    weight: float,
    start: date | None,
    created: datetime | None,
    due: date | None,
    finish: date | None,
    progress: tuple[float, date | None],
) -> PlannedTask:
    dated = due is not None
    end = due if due is not None else finish
    if end is None:
        return PlannedTask(task_id, weight, None, None, *progress, dated=False)
    # The creation instant's day in the organisation's zone, not its UTC date.
    begin = span_start(start, days.day_of(created), end) if dated else end
    first, last = working_span(days, begin, end)
    return PlannedTask(task_id, weight, first, last, *progress, dated=dated)


def current_plan(
    work: Sequence[TaskRow], days: WorkingDays, project_due: date | None = None
) -> Plan:
    """Today's plan from the project's work tasks (``project_due`` joins the finish)."""
    weighed, basis, default = weights([t.estimate_hours for t in work])
    finish = plan_finish((t.due_date for t in work), project_due) if work else None
    tasks = tuple(
        _place(
            days,
            task.id,
            weight,
            task.start_date,
            task.created_at,
            task.due_date,
            finish,
            (completion(task), days.day_of(task.completed_at)),
        )
        for task, weight in zip(work, weighed, strict=True)
    )
    return Plan(
        tasks=tasks,
        basis=basis,
        default_weight=default,
        unestimated=sum(1 for t in work if estimate(t.estimate_hours) is None)
        if basis == "effort"
        else 0,
        undated=sum(1 for t in work if t.due_date is None),
        finish=finish,
    )


def baseline_plan(
    baseline: BaselineRow,
    tasks: Mapping[str, TaskRow],
    work: Sequence[TaskRow],
    days: WorkingDays,
) -> Plan:
    """The baseline's plan, each task's completion read from today's task of the same id
    (``tasks``: the project's tasks by id; ``work``: today's work tasks)."""
    planned = [t for t in baseline.tasks if t.kind != "milestone"]
    weighed, basis, default = weights([t.estimate_hours for t in planned])
    finish = plan_finish((t.due_date for t in planned), baseline.finish_date)
    placed = []
    removed = 0
    for item, weight in zip(planned, weighed, strict=True):
        today = tasks.get(item.task_id)
        if today is None:
            removed += 1
        progress = (
            (0.0, None) if today is None else (completion(today), days.day_of(today.completed_at))
        )
        created = today.created_at if today is not None else None
        placed.append(
            _place(
                days,
                item.task_id,
                weight,
                item.start_date,
                created,
                item.due_date,
                finish,
                progress,
            )
        )
    held = {t.task_id for t in baseline.tasks}
    added = [t for t in work if t.id not in held]
    return Plan(
        tasks=tuple(placed),
        basis=basis,
        default_weight=default,
        unestimated=sum(1 for t in planned if estimate(t.estimate_hours) is None)
        if basis == "effort"
        else 0,
        undated=sum(1 for t in planned if t.due_date is None),
        finish=finish,
        baseline=baseline,
        unbaselined=len(added),
        unbaselined_hours=sum(estimate(t.estimate_hours) or 0.0 for t in added),
        removed=removed,
    )


def planned_curve(plan: Plan, days: WorkingDays, total: float) -> tuple[date, list[float]]:
    """(plan start, cumulative planned fraction at the end of each working day from it): the
    start is the first working day of the earliest task that weighs something. A difference
    array keeps this linear in tasks plus days."""
    placed = [t for t in plan.tasks if t.weight > 0 and t.first is not None and t.last is not None]
    start = min(t.first for t in placed if t.first is not None)
    spans = [
        (task.weight, days.count(start, task.first), days.count(start, task.last))
        for task in placed
        if task.first is not None and task.last is not None
    ]
    length = max(end for _, _, end in spans)
    steps = [0.0] * (length + 2)
    for weight, begin, end in spans:
        per_day = weight / total / (end - begin + 1)
        steps[begin] += per_day
        steps[end + 1] -= per_day
    curve: list[float] = []
    rate = cumulative = 0.0
    for day in range(1, length + 1):
        rate += steps[day]
        cumulative += rate
        curve.append(cumulative)
    return start, curve


def fraction_at(curve: Sequence[float], elapsed: int) -> float:
    """The planned fraction of ``planned_curve``'s ``curve`` at the end of working day
    ``elapsed`` from its start: 0 before it, exactly 1 from its last day on (not 0.99999999)."""
    return 1.0 if elapsed >= len(curve) else (curve[elapsed - 1] if elapsed > 0 else 0.0)
