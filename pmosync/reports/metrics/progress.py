"""Project progress: % complete, milestones, and the schedule measured by earned schedule.

Only leaf tasks count: a parent task summarises its subtasks, so counting both would count the
work twice. Milestones are checkpoints, not work: they are left out of % complete and of effort
and reported on their own (next, overdue, completed this period, slippage from the baseline).

The schedule lives here because two figures read it: earned value takes the planned and earned
% at ``as_of`` (PV = BAC × planned %, EV = BAC × earned %), and the computed RAG reads the
earned-schedule indicators. Which plan, which weights and which days: see ``plan``; the
earned-schedule arithmetic: see ``schedule``. Time is counted in **working days** of the
organisation's calendar, so a weekend neither accrues planned value nor makes a project late.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pmosync.reports.dataset import BaselineRow, ProjectRow, TaskRow
from pmosync.reports.metrics.calendar import PLAIN, WorkingCalendar
from pmosync.reports.metrics.plan import (
    Plan,
    WorkingDays,
    baseline_plan,
    completion,
    current_plan,
    estimate,
    fraction_at,
    planned_curve,
    signed_working_days,
    weights,
)
from pmosync.reports.metrics.schedule import TOLERANCE, time_indicators

LONGEST_FORECAST_DAYS = 366 * 100
"""A forecast finish further than a century of working days away (SPI(t) near 0) is no date."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """Planned and earned % (0..100) at ``as_of`` and the earned-schedule figures, in working
    days from the plan's ``start``.

    ``earned_pct`` is defined whenever some work weighs something; ``planned_pct`` and the
    time figures need a plan, i.e. some dated work (else they are None). ``sv_days`` is
    SV(t) = ES − AT (negative = behind). ``baselined`` says whether the active baseline or
    today's plan was the measure; a report without a baseline says so."""

    planned_pct: float | None
    earned_pct: float | None
    start: date | None
    sv_days: float | None
    es_days: float | None = None
    at_days: float | None = None
    pd_days: int | None = None
    spi_t: float | None = None
    ieac_days: float | None = None
    planned_finish: date | None = None
    """The working day on which the plan reaches 100 % (PD)."""
    forecast_finish: date | None = None
    """The plan's start + IEAC(t) working days (the last completion once all work is done)."""
    finish_date: date | None = None
    """What "late" is judged against: the baseline's finish, else the project's due date,
    else the plan's finish."""
    finish_kind: str | None = None
    """What ``finish_date`` is: ``baseline finish``, ``due date`` or ``planned finish``."""
    forecast_slip_days: int | None = None
    """Working days the forecast finish is after ``finish_date`` (negative: before it)."""
    baselined: bool = False
    baseline_name: str | None = None
    baseline_set_at: datetime | None = None
    unbaselined_tasks: int = 0
    unbaselined_hours: float = 0.0
    removed_tasks: int = 0
    undated_tasks: int = 0
    unestimated_tasks: int = 0
    default_weight_hours: float | None = None
    basis: str | None = None
    """``effort`` (weights are estimates) or ``count`` (every task weighs 1)."""
    planned_hours: float | None = None
    """The plan's weight in hours on the effort basis (the baseline's estimates with a baseline,
    default weights included): what an hours BAC without a budget is measured in."""
    curve: Sequence[float] = ()
    """The cumulative planned fraction at the end of each working day from ``start``
    (``plan.planned_curve``): what the S-curves read PV from at other days than as_of."""


@dataclass(frozen=True, slots=True)
class Milestones:
    """The next open milestone, the overdue ones (oldest due first) and those done this period."""

    next: TaskRow | None
    overdue: tuple[TaskRow, ...]
    completed: tuple[TaskRow, ...]


@dataclass(frozen=True, slots=True)
class MilestoneSlip:
    """A baselined milestone against its baseline date. ``date`` is its completion day when
    done, else today's due date; ``slip_days`` the calendar days it is later than the
    baseline (negative: earlier), None when either date is missing or it was deleted."""

    task_id: str
    name: str
    baseline_due: date | None
    date: date | None
    done: bool
    deleted: bool
    slip_days: int | None


@dataclass(frozen=True, slots=True)
class Progress:
    """One project's progress. ``estimate_hours``/``earned_hours`` are kept so a portfolio can
    weigh its projects' % complete by effort; both include the default weight given to
    unestimated work tasks (``imputed_hours`` of it)."""

    work_tasks: int
    done_tasks: int
    pct_count: float | None
    pct_effort: float | None
    has_estimates: bool
    estimate_hours: float
    earned_hours: float
    milestones: Milestones
    schedule: Schedule
    imputed_hours: float = 0.0
    milestone_slips: tuple[MilestoneSlip, ...] = ()
    plan: Plan | None = None
    """The plan the schedule was measured against (the S-curves phase EV over it)."""


def parent_ids(tasks: Iterable[TaskRow]) -> set[str]:
    """Ids of tasks that are some task's parent, over the whole dataset (a subtask may live in
    another project than its parent)."""
    return {task.parent_id for task in tasks if task.parent_id is not None}


def work_tasks(tasks: Iterable[TaskRow], parents: set[str]) -> list[TaskRow]:
    """Leaf tasks that are not milestones: the work that % complete and effort count."""
    return [t for t in tasks if not t.is_milestone and t.id not in parents]


def percent_by_count(work: Sequence[TaskRow]) -> float | None:
    """Done work tasks out of all work tasks, in percent; None when there are none."""
    if not work:
        return None
    done = sum(1 for t in work if t.status == "done")
    return done / len(work) * 100.0


def effort(work: Sequence[TaskRow]) -> tuple[float, float, bool, float]:
    """(earned hours, estimated hours, any estimate, imputed hours): estimate × completion and
    estimates summed over the work tasks, an unestimated task weighing the mean estimate of the
    others (``plan.weights``); all 0 when no task has an estimate."""
    weighed, basis, default = weights([t.estimate_hours for t in work])
    if basis == "count":
        return 0.0, 0.0, False, 0.0
    earned = sum(w * completion(t) for t, w in zip(work, weighed, strict=True))
    imputed = (default or 0.0) * sum(1 for t in work if estimate(t.estimate_hours) is None)
    return earned, sum(weighed), True, imputed


def period_start(as_of: date, period_days: int) -> date:
    """First day of "this period": ``period_days`` days ending with ``as_of``."""
    return as_of - timedelta(days=period_days - 1)


def milestones(
    tasks: Iterable[TaskRow],
    as_of: date,
    since: date,
    baseline_due: Mapping[str, date] | None = None,
    calendar: WorkingCalendar = PLAIN,
) -> Milestones:
    """Next, overdue and recently completed milestones among ``tasks`` (others are ignored).
    A baselined milestone is overdue once its *baseline* date has passed: moving it later does
    not make it on time. ``next`` follows today's dates."""
    planned = baseline_due or {}
    upcoming: list[TaskRow] = []
    overdue: list[TaskRow] = []
    completed: list[TaskRow] = []
    for task in tasks:
        if not task.is_milestone:
            continue
        if task.status == "done":
            done_on = calendar.day_of(task.completed_at) if task.completed_at else None
            if done_on is not None and since <= done_on <= as_of:
                completed.append(task)
            continue
        judged = planned.get(task.id, task.due_date)
        if judged is not None and judged < as_of:
            overdue.append(task)
        elif task.due_date is not None:
            upcoming.append(task)
    upcoming.sort(key=_due_order)
    overdue.sort(key=lambda t: (planned.get(t.id, t.due_date), t.name.casefold(), t.id))
    completed.sort(key=lambda t: (calendar.day_of(t.completed_at), t.name.casefold(), t.id))
    return Milestones(upcoming[0] if upcoming else None, tuple(overdue), tuple(completed))


def _due_order(task: TaskRow) -> tuple[date | None, str, str]:
    return (task.due_date, task.name.casefold(), task.id)


def milestone_slips(
    baseline: BaselineRow, tasks: Mapping[str, TaskRow], calendar: WorkingCalendar = PLAIN
) -> tuple[MilestoneSlip, ...]:
    """Each baselined milestone against today's (by baseline date, then name)."""
    slips = []
    for item in baseline.tasks:
        if item.kind != "milestone":
            continue
        today = tasks.get(item.task_id)
        done = today is not None and today.status == "done"
        if today is None:
            current = None
        elif done and today.completed_at is not None:
            current = calendar.day_of(today.completed_at)
        else:
            current = today.due_date
        slip = (
            (current - item.due_date).days
            if current is not None and item.due_date is not None
            else None
        )
        slips.append(
            MilestoneSlip(
                item.task_id, item.name, item.due_date, current, done, today is None, slip
            )
        )
    slips.sort(key=lambda s: (s.baseline_due or date.max, s.name.casefold(), s.task_id))
    return tuple(slips)


def schedule(
    work: Sequence[TaskRow],
    as_of: date,
    *,
    calendar: WorkingCalendar = PLAIN,
    project_due: date | None = None,
) -> Schedule:
    """The schedule of today's plan (no baseline) at ``as_of``."""
    days = WorkingDays(calendar)
    plan = current_plan(work, days, project_due)
    return measure(plan, as_of, days, project_due)


def measure(plan: Plan, as_of: date, days: WorkingDays, project_due: date | None) -> Schedule:
    """Planned and earned % at ``as_of`` and the earned-schedule figures of ``plan``."""
    total = sum(t.weight for t in plan.tasks)
    about = _about(plan)
    if total <= 0:
        return Schedule(None, None, None, None, **about)
    earned = sum(t.weight * t.completion for t in plan.tasks) / total
    if plan.finish is None:
        return Schedule(None, earned * 100.0, None, None, **about)
    start, curve = planned_curve(plan, days, total)
    planned = fraction_at(curve, days.count(start, as_of))
    figures = time_indicators(curve, earned, _actual_time(plan, days, start, as_of, earned))
    planned_finish = days.nth(start, figures.pd)
    forecast = None
    if figures.ieac_t is not None and figures.ieac_t <= LONGEST_FORECAST_DAYS:
        forecast = days.nth(start, math.ceil(figures.ieac_t - TOLERANCE))
    if plan.baseline is not None:
        finish, finish_kind = plan.baseline.finish_date or planned_finish, "baseline finish"
    elif project_due is not None:
        finish, finish_kind = project_due, "due date"
    else:
        finish, finish_kind = planned_finish, "planned finish"
    return Schedule(
        planned_pct=planned * 100.0,
        earned_pct=earned * 100.0,
        start=start,
        sv_days=figures.sv_t,
        es_days=figures.es,
        at_days=figures.at,
        pd_days=figures.pd,
        spi_t=figures.spi_t,
        ieac_days=figures.ieac_t,
        planned_finish=planned_finish,
        forecast_finish=forecast,
        finish_date=finish,
        finish_kind=finish_kind,
        forecast_slip_days=(
            None if forecast is None else signed_working_days(days, finish, forecast)
        ),
        curve=curve,
        **about,
    )


def _about(plan: Plan) -> dict:
    """The plan's provenance and the rules it applied, for the report to say."""
    baseline = plan.baseline
    return {
        "baselined": baseline is not None,
        "baseline_name": baseline.name if baseline is not None else None,
        "baseline_set_at": baseline.set_at if baseline is not None else None,
        "unbaselined_tasks": plan.unbaselined,
        "unbaselined_hours": plan.unbaselined_hours,
        "removed_tasks": plan.removed,
        "undated_tasks": plan.undated,
        "unestimated_tasks": plan.unestimated,
        "default_weight_hours": plan.default_weight,
        "basis": plan.basis,
        "planned_hours": sum(t.weight for t in plan.tasks) if plan.basis == "effort" else None,
    }


def _actual_time(plan: Plan, days: WorkingDays, start: date, as_of: date, earned: float) -> float:
    """AT: working days from the plan's start to ``as_of`` (0 before the start). When all the
    work is done, the clock stops at the last completion: a project finished early must not
    drift "behind schedule" with every later report."""
    end = as_of
    if earned >= 1.0 - TOLERANCE:
        finished = [t.completed_on for t in plan.tasks if t.completed_on is not None]
        if finished and len(finished) == len(plan.tasks):
            end = min(max(finished), as_of)
    return float(days.count(start, end))


def project_progress(
    tasks: Sequence[TaskRow],
    parents: set[str],
    as_of: date,
    period_days: int,
    calendar: WorkingCalendar = PLAIN,
    *,
    baseline: BaselineRow | None = None,
    project: ProjectRow | None = None,
) -> Progress:
    """Everything about one project's progress from its tasks (all of them, milestones and
    parents included; ``parents`` from ``parent_ids`` over the dataset), measured against
    ``baseline`` (its active baseline) when given, else against today's plan."""
    work = work_tasks(tasks, parents)
    earned, total, any_estimate, imputed = effort(work)
    days = WorkingDays(calendar)
    project_due = project.due_date if project is not None else None
    by_id = {t.id: t for t in tasks}
    if baseline is not None:
        plan = baseline_plan(baseline, by_id, work, days)
        slips = milestone_slips(baseline, by_id, calendar)
        baseline_due = {
            t.task_id: t.due_date
            for t in baseline.tasks
            if t.kind == "milestone" and t.due_date is not None
        }
    else:
        plan = current_plan(work, days, project_due)
        slips = ()
        baseline_due = {}
    return Progress(
        work_tasks=len(work),
        done_tasks=sum(1 for t in work if t.status == "done"),
        pct_count=percent_by_count(work),
        pct_effort=earned / total * 100.0 if total > 0 else None,
        has_estimates=any_estimate,
        estimate_hours=total,
        earned_hours=earned,
        milestones=milestones(
            tasks, as_of, period_start(as_of, period_days), baseline_due, calendar
        ),
        schedule=measure(plan, as_of, days, project_due),
        imputed_hours=imputed,
        milestone_slips=slips,
        plan=plan,
    )
