"""Milestone trend analysis (MTA) and baseline vs forecast, per milestone.

MTA plots each milestone's *forecast* date at each report date: a line that climbs is a
milestone slipping report after report, which no single report shows. The forecast of a
milestone at a report date is its completion day (in the organisation's zone) once it was done
by then, else its due date, as the store's field history had them at the end of that day
(``Dataset.milestone_history``): so the first report already shows how a milestone moved since
the history began. At ``as_of`` itself it is read from the report's own tasks. A report date
before a milestone's first version has no forecast (a gap, never a guess).

Report dates: the ``as_of`` of the report's earlier runs (its snapshots), the same weekday of
each of the ``weeks`` weeks before ``as_of``, and ``as_of``.

Baseline vs forecast: the baseline date is the milestone's date in the project's baseline
(``Dataset.baselines``); the slip is the working days (organisation's calendar) from the
baseline date to today's forecast, negative when earlier. Status, the first that holds:

- **done**: completed;
- **overdue**: open and its baseline date (without one, its due date) is before ``as_of``, as
  the milestones table judges it: moving a milestone later does not make it on time;
- **no date**: open without a due date;
- **slipping**: its forecast is later than its baseline date, or, without a baseline, later
  than its first forecast in the series (it moved out since the window began);
- **on track**: otherwise.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pmosync.reports.dataset import BaselineRow, MilestoneVersion, TaskRow, end_of_day
from pmosync.reports.metrics.calendar import PLAIN, WorkingCalendar
from pmosync.reports.metrics.plan import WorkingDays, signed_working_days

DEFAULT_WEEKS = 12
"""``rules.mta_weeks`` when none is given: a quarter of weekly report dates."""

STATUSES = ("overdue", "slipping", "no date", "on track", "done")
"""Every status, in the order a table lists them: the ones needing attention first."""


@dataclass(frozen=True, slots=True)
class MilestoneTrend:
    """One milestone: its baseline date, today's forecast, the slip between them in working
    days (None without both), how far the forecast moved since its first known one (working
    days; None with fewer than one earlier forecast), its status, and its forecast at each
    of ``MilestoneTrends.dates`` (None where unknown)."""

    task_id: str
    project_id: str
    name: str
    url: str | None
    baseline: date | None
    forecast: date | None
    done: bool
    slip_days: int | None
    moved_days: int | None
    status: str
    series: tuple[date | None, ...]


@dataclass(frozen=True, slots=True)
class MilestoneTrends:
    """The report dates (oldest first, ``as_of`` last) and each milestone's trend, the ones
    needing attention first (see ``STATUSES``), then by slip (largest first)."""

    dates: tuple[date, ...]
    milestones: tuple[MilestoneTrend, ...]


def report_dates(as_of: date, earlier: Iterable[date] = (), weeks: int = DEFAULT_WEEKS) -> tuple:
    """``as_of``, the ``weeks`` weekly dates before it and the ``earlier`` report dates
    (those before ``as_of``), oldest first, each once."""
    points = {as_of - timedelta(weeks=k) for k in range(1, weeks + 1)}
    points.update(day for day in earlier if day < as_of)
    points.add(as_of)
    return tuple(sorted(points))


class _History:
    """One milestone's forecasts by version, searchable by instant."""

    __slots__ = ("_forecasts", "_starts")

    def __init__(self, versions: Sequence[MilestoneVersion], calendar: WorkingCalendar) -> None:
        ordered = sorted(versions, key=lambda v: v.valid_from)
        self._starts = [v.valid_from for v in ordered]
        self._forecasts = [
            v.due_date if v.completed_at is None else calendar.day_of(v.completed_at)
            for v in ordered
        ]

    def forecast(self, end: datetime) -> date | None:
        """The forecast of the latest version valid before ``end``; None before the first."""
        found = bisect_left(self._starts, end)
        return self._forecasts[found - 1] if found else None


def forecast_now(task: TaskRow, calendar: WorkingCalendar = PLAIN) -> date | None:
    """Today's forecast: the completion day once done, else the due date."""
    if task.status == "done" and task.completed_at is not None:
        return calendar.day_of(task.completed_at)
    return task.due_date


def baseline_dates(baselines: Mapping[str, BaselineRow]) -> dict[str, date]:
    """Each baselined milestone's date in its project's baseline, by task id."""
    return {
        item.task_id: item.due_date
        for baseline in baselines.values()
        for item in baseline.tasks
        if item.kind == "milestone" and item.due_date is not None
    }


def milestone_trends(
    tasks: Iterable[TaskRow],
    history: Mapping[str, Sequence[MilestoneVersion]],
    baselines: Mapping[str, BaselineRow],
    dates: Sequence[date],
    as_of: date,
    calendar: WorkingCalendar = PLAIN,
) -> MilestoneTrends:
    """The trend of every milestone among ``tasks`` over ``dates`` (``report_dates``; a date
    after ``as_of`` is dropped, ``as_of`` is added when missing)."""
    points = tuple(sorted({day for day in dates if day < as_of} | {as_of}))
    ends = [end_of_day(day, calendar.zone) for day in points[:-1]]
    planned = baseline_dates(baselines)
    days = WorkingDays(calendar)
    found = []
    for task in tasks:
        if not task.is_milestone:
            continue
        versions = history.get(task.id)
        past: list[date | None]
        if versions:
            searchable = _History(versions, calendar)
            past = [searchable.forecast(end) for end in ends]
        else:
            past = [None] * len(ends)
        now = forecast_now(task, calendar)
        series = (*past, now)
        found.append(_trend(task, planned.get(task.id), now, series, as_of, days))
    found.sort(key=_order)
    return MilestoneTrends(points, tuple(found))


def _trend(
    task: TaskRow,
    baseline: date | None,
    now: date | None,
    series: tuple[date | None, ...],
    as_of: date,
    days: WorkingDays,
) -> MilestoneTrend:
    done = task.status == "done"
    first = next((day for day in series[:-1] if day is not None), None)
    slip = None if baseline is None or now is None else signed_working_days(days, baseline, now)
    moved = None if first is None or now is None else signed_working_days(days, first, now)
    judged = baseline if baseline is not None else task.due_date
    reference = baseline if baseline is not None else first
    if done:
        status = "done"
    elif judged is not None and judged < as_of:
        status = "overdue"
    elif now is None:
        status = "no date"
    elif reference is not None and now > reference:
        status = "slipping"
    else:
        status = "on track"
    return MilestoneTrend(
        task.id,
        task.project_id,
        task.name,
        task.source_url,
        baseline,
        now,
        done,
        slip,
        moved,
        status,
        series,
    )


def _order(trend: MilestoneTrend) -> tuple:
    slip = trend.slip_days if trend.slip_days is not None else trend.moved_days
    return (
        STATUSES.index(trend.status),
        -(slip or 0),
        trend.forecast or date.max,
        trend.name.casefold(),
        trend.task_id,
    )


def most_slipped(milestones: Iterable[MilestoneTrend], count: int) -> list[MilestoneTrend]:
    """The ``count`` milestones that slipped most (working days vs baseline, else moved since
    their first forecast), of those with a forecast at two report dates or more: the lines
    an MTA chart draws. Ties: the sooner forecast first."""
    drawn = [m for m in milestones if sum(1 for day in m.series if day is not None) >= 2]
    drawn.sort(
        key=lambda m: (
            -(m.slip_days if m.slip_days is not None else (m.moved_days or 0)),
            m.forecast or date.max,
            m.name.casefold(),
            m.task_id,
        )
    )
    return drawn[:count]
