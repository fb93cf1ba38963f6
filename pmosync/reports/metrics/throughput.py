"""Delivery rate and spending: work tasks completed per week against those planned for it, and
expenses and invoices per project and category.

Throughput shows whether the teams finish what their plans say falls due each week, a trend no
single status update states. Cost totals are kept per currency: they are never converted, so a
sum in one currency is always a real sum.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, tzinfo
from decimal import Decimal

from pmosync.reports.dataset import CostRow, TaskRow
from pmosync.reports.metrics.calendar import local_day
from pmosync.reports.metrics.progress import period_start
from pmosync.reports.metrics.weeks import week_label, week_start


@dataclass(frozen=True, slots=True)
class WeekThroughput:
    """One ISO week: work tasks completed in it and work tasks due in it."""

    week: date  # the Monday
    label: str
    completed: int
    planned: int


@dataclass(frozen=True, slots=True)
class CostSummary:
    """One project's costs of one category in one currency: this period and to date."""

    project_id: str
    category: str
    currency: str
    period_total: Decimal
    period_entries: int
    to_date_total: Decimal
    to_date_entries: int


def throughput(
    work: Iterable[TaskRow], weeks: Sequence[date], zone: tzinfo = UTC
) -> list[WeekThroughput]:
    """Completed and planned work tasks per week of ``weeks`` (Mondays), in their order; a
    completion counts in the week of its day in ``zone``."""
    completed = dict.fromkeys(weeks, 0)
    planned = dict.fromkeys(weeks, 0)
    for task in work:
        if task.completed_at is not None:
            monday = week_start(local_day(task.completed_at, zone))
            if monday in completed:
                completed[monday] += 1
        if task.due_date is not None:
            monday = week_start(task.due_date)
            if monday in planned:
                planned[monday] += 1
    return [WeekThroughput(m, week_label(m), completed[m], planned[m]) for m in weeks]


def cost_summary(costs: Iterable[CostRow], as_of: date, period_days: int) -> list[CostSummary]:
    """Totals per (project, category, currency) of entries dated on or before ``as_of``, and of
    those in the period; ordered by project id, category, currency."""
    since = period_start(as_of, period_days)
    totals: dict[tuple[str, str, str], list] = defaultdict(lambda: [Decimal(0), 0, Decimal(0), 0])
    for cost in costs:
        if cost.entry_date > as_of:
            continue
        key = (cost.project_id, cost.category, (cost.currency or "").strip().upper())
        entry = totals[key]
        entry[2] += cost.amount
        entry[3] += 1
        if cost.entry_date >= since:
            entry[0] += cost.amount
            entry[1] += 1
    return [CostSummary(*key, *totals[key]) for key in sorted(totals)]
