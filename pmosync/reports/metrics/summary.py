"""What changed since the previous report: the executive summary's facts, from the previous
run's trend point and this run's figures. Pure functions over plain values, so each rule is
tested with hand-built points.

Definitions (docs/reports.md, "Portfolio status: executive summary", says the same):

- *Turned red*: a project whose computed RAG is red now and was another colour in the previous
  report. *Recovered*: computed green now, red or amber in the previous report. A project the
  previous report did not know (new, or an older snapshot without per-project RAGs) has no
  transition: nothing is claimed about it.
- *Slipped*: an open milestone whose due date is now at least ``SLIP_WORKING_DAYS`` working days
  later than in the previous report; a milestone the previous report did not hold (first run,
  an older snapshot, a milestone dated since) is compared with its baseline date instead, when
  it has one. Working days are those after the earlier date up to the later one (Friday to
  Monday is 1), in the organisation's calendar.
- *Change* of a count or figure: this report's value minus the previous report's; None when
  there is no previous report or it lacks the figure (an older snapshot), never 0.

The previous trend point is what ``kinds.portfolio_status.trend_point`` wrote: ``project_rag``
maps project id -> computed RAG and ``milestones`` maps milestone task id -> due date (ISO) of
the open, dated milestones. Old snapshots lack both keys; anything odd in them (a number where
a date should be) is ignored, never a crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pmosync.reports.metrics.calendar import PLAIN, WorkingCalendar
from pmosync.reports.metrics.plan import WorkingDays, signed_working_days

PROJECT_RAG = "project_rag"
"""Trend key: {project id: computed RAG} of this run."""
MILESTONES = "milestones"
"""Trend key: {milestone task id: due date ISO} of this run's open, dated milestones."""
SLIP_WORKING_DAYS = 1
"""A due date moved later by at least this many working days has slipped."""
TURNED_RED = "turned red"
RECOVERED = "recovered"


@dataclass(frozen=True, slots=True)
class RagChange:
    """A project whose computed RAG crossed a line since the previous report."""

    project_id: str
    before: str
    after: str
    kind: str
    """``turned red`` or ``recovered``."""


@dataclass(frozen=True, slots=True)
class Slip:
    """An open milestone now due ``working_days`` later than ``before``; ``against`` says what
    ``before`` is: ``previous report`` or ``baseline``."""

    task_id: str
    before: date
    after: date
    working_days: int
    against: str


def value_at(trend: Mapping[str, Any] | None, *path: str) -> float | None:
    """The number at ``path`` in a trend point, or None where it lacks one."""
    node: Any = trend
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    if isinstance(node, bool) or not isinstance(node, int | float):
        return None
    return node


def change(now: float | None, trend: Mapping[str, Any] | None, *path: str) -> float | None:
    """``now`` minus the previous report's value at ``path``; None without both."""
    before = value_at(trend, *path)
    if now is None or before is None:
        return None
    return now - before


def rag_changes(before: Mapping[str, Any] | None, now: Mapping[str, str]) -> list[RagChange]:
    """Projects that turned red or recovered (see the module docs), in ``now``'s order."""
    if not isinstance(before, Mapping):
        return []
    changes = []
    for project_id, after in now.items():
        was = before.get(project_id)
        if not isinstance(was, str) or was == after:
            continue
        if after == "red":
            changes.append(RagChange(project_id, was, after, TURNED_RED))
        elif after == "green" and was in ("red", "amber"):
            changes.append(RagChange(project_id, was, after, RECOVERED))
    return changes


def iso_day(value: Any) -> date | None:
    """The date an ISO string in a trend point names; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def milestone_slips(
    before: Mapping[str, Any] | None,
    now: Mapping[str, date],
    baseline: Mapping[str, date],
    calendar: WorkingCalendar = PLAIN,
    threshold: int = SLIP_WORKING_DAYS,
) -> list[Slip]:
    """Open milestones (``now``: task id -> due date) that slipped since the previous report's
    ``milestones`` (``before``), else against their ``baseline`` date; most slipped first."""
    known = before if isinstance(before, Mapping) else {}
    slips = []
    for task_id, due in now.items():
        was, against = iso_day(known.get(task_id)), "previous report"
        if was is None:
            was, against = baseline.get(task_id), "baseline"
        if was is None or due <= was:
            continue
        days = calendar.working_days(was + timedelta(days=1), due)
        if days >= threshold:
            slips.append(Slip(task_id, was, due, days, against))
    slips.sort(key=lambda s: (-s.working_days, s.after, s.task_id))
    return slips


def slip_days(
    due: date | None,
    before: date | None,
    calendar: WorkingCalendar = PLAIN,
) -> int | None:
    """Working days ``due`` is later than ``before`` (negative: earlier; 0 on the same day or
    a move within non-working days); None without both dates."""
    if due is None or before is None:
        return None
    return signed_working_days(WorkingDays(calendar), before, due)
