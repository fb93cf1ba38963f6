"""A Planner premium plan through the mapping into earned value, against figures by hand.

Dataverse keeps a summary task's effort and progress as the ROLL-UP of its subtasks: the
summary "Build" below carries 40 h at 12.5 %, which are its children's 10 h at 50 % and 30 h
at 0 %. Counted beside its children it would double the plan (80 h, 10 h earned); the mapping
gives a summary no estimate and links each child to it, so the metrics count every hour once,
at the leaves. The milestone (zero duration) is no work at all.

The connector's zone is Europe/Paris: the leaves run Monday 2 to Friday 6 March 2026 and
Monday 9 to Friday 13 March, 08:00-17:00 local (07:00Z-16:00Z)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from pmosync.canonical.types import Task
from pmosync.config.models import Resources
from pmosync.mapping.dataverse import PremiumMapper
from pmosync.reports.dataset import TaskRow
from pmosync.reports.metrics.earned_value import earned_value
from pmosync.reports.metrics.progress import parent_ids, project_progress, work_tasks
from pmosync.reports.metrics.throughput import throughput

SOURCE = "premium-ops"
PROJECT = "6f1c2a5e-3b7d-ef11-a670-000d3a4b2c01"
MAPPER = PremiumMapper(
    SOURCE, environment="https://contoso.crm4.dynamics.com", timezone="Europe/Paris"
)
AS_OF = date(2026, 3, 6)  # the Friday the first leaf is due


def _row(task_id, subject, start, end, effort, progress, *, parent=None, summary=False,
         duration=5.0):  # fmt: skip
    return {
        "@odata.etag": 'W/"1000400"',
        "msdyn_projecttaskid": task_id,
        "msdyn_subject": subject,
        "_msdyn_project_value": PROJECT,
        "_msdyn_projectbucket_value": None,
        "_msdyn_parenttask_value": parent,
        "msdyn_outlinelevel": 2 if parent else 1,
        "msdyn_summary": summary,
        "msdyn_ismilestone": False,
        "msdyn_scheduledstart": start,
        "msdyn_scheduledend": end,
        "msdyn_duration": duration,
        "msdyn_effort": effort,
        "msdyn_progress": progress,
        "msdyn_priority": 5,
        "predecessors": [],
    }


PLAN = [
    # the summary: 40 h = 10 + 30, progress (10 x 0.5 + 30 x 0) / 40 = 0.125, 2..13 March
    _row("S", "Build", "2026-03-02T07:00:00Z", "2026-03-13T16:00:00Z", 40.0, 0.125,
         summary=True, duration=10.0),
    _row("A", "Frame", "2026-03-02T07:00:00Z", "2026-03-06T16:00:00Z", 10.0, 0.5, parent="S"),
    _row("B", "Roof", "2026-03-09T07:00:00Z", "2026-03-13T16:00:00Z", 30.0, 0.0, parent="S"),
    _row("M", "Handover", "2026-03-13T16:00:00Z", "2026-03-13T16:00:00Z", 0.0, 0.0,
         duration=0.0),
]  # fmt: skip


def _task_rows(plan: list[dict] = PLAN) -> list[TaskRow]:
    """The mapped tasks as the report's dataset holds them."""
    tasks = [r for raw in plan for r in MAPPER.map("tasks", raw).records if isinstance(r, Task)]
    return [TaskRow(**t.model_dump(include=set(TaskRow._fields))) for t in tasks]


def test_the_mapped_plan_counts_each_hour_once():
    rows = {row.name: row for row in _task_rows()}
    assert rows["Build"].estimate_hours is None  # the roll-up is not an estimate
    assert (rows["Frame"].estimate_hours, rows["Roof"].estimate_hours) == (10.0, 30.0)
    assert rows["Handover"].is_milestone and not rows["Build"].is_milestone
    # even a reader that knows nothing of the hierarchy sums 10 + 30 (+ 0) = 40 h, not 80
    assert sum(r.estimate_hours or 0.0 for r in rows.values()) == 40.0
    work = work_tasks(rows.values(), parent_ids(rows.values()))
    assert sorted(t.name for t in work) == ["Frame", "Roof"]  # no summary, no milestone


def test_earned_value_of_a_premium_plan_counts_the_leaves_not_the_summary():
    tasks = _task_rows()
    progress = project_progress(tasks, parent_ids(tasks), AS_OF, 7)
    # work: Frame and Roof; none done
    assert (progress.work_tasks, progress.done_tasks, progress.pct_count) == (2, 0, 0.0)
    # earned = 10 h x 50 % + 30 h x 0 % = 5 h of 10 + 30 = 40 h (not 10 h of 80 h)
    assert progress.estimate_hours == pytest.approx(40.0)
    assert progress.earned_hours == pytest.approx(5.0)
    assert progress.pct_effort == pytest.approx(12.5)  # 5 / 40
    assert progress.imputed_hours == 0.0  # every leaf has its estimate

    ev = earned_value(progress, [], [], [], AS_OF, Resources(), {})
    # no budget: BAC is the sum of the leaves' estimates, 40 h
    assert (ev.basis, ev.bac_source, ev.bac) == ("hours", "estimates", pytest.approx(40.0))
    # EV = 40 h x 12.5 % = 5 h; PV on Friday 6 March: Frame (10 h) is all planned by its due
    # day and Roof (from Monday 9) not begun: 10 h = 25 % of 40 h
    assert ev.ev == pytest.approx(5.0)
    assert ev.pv == pytest.approx(10.0)
    assert ev.sv == pytest.approx(-5.0)  # 5 - 10
    assert ev.spi == pytest.approx(0.5)  # 5 / 10
    # the milestone, due 13 March in Paris, is the next one and is no work
    assert progress.milestones.next is not None
    assert (progress.milestones.next.name, progress.milestones.next.due_date) == (
        "Handover",
        date(2026, 3, 13),
    )


def test_a_done_premium_task_counts_as_completed_in_the_week_of_its_actual_end():
    # Frame done, its actual end Sunday 8 March 23:30Z = Monday 9 March 00:30 in Paris;
    # Roof at 50 % with a stale actual end (it was done, then reopened): not completed
    actuals = {
        "A": {"msdyn_progress": 1.0, "msdyn_actualend": "2026-03-08T23:30:00Z"},
        "B": {"msdyn_progress": 0.5, "msdyn_actualend": "2026-03-10T15:00:00Z"},
    }
    plan = [{**raw, **actuals.get(raw["msdyn_projecttaskid"], {})} for raw in PLAN]
    tasks = _task_rows(plan)
    work = work_tasks(tasks, parent_ids(tasks))  # Frame and Roof (no summary, no milestone)
    weeks = [date(2026, 3, 2), date(2026, 3, 9)]
    rows = throughput(work, weeks, ZoneInfo("Europe/Paris"))
    # week of 2 March: Frame planned (due Fri 6), none completed (its Paris day is Mon 9);
    # week of 9 March: Roof planned (due Fri 13), Frame completed
    assert [(r.week, r.completed, r.planned) for r in rows] == [
        (date(2026, 3, 2), 0, 1),
        (date(2026, 3, 9), 1, 1),
    ]
