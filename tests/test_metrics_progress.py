"""Progress metrics against figures worked out by hand: % complete by count and by effort,
milestones, the planned curve and the earned-schedule variance in days."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from pmosync.reports.dataset import TaskRow
from pmosync.reports.metrics.progress import (
    milestones,
    parent_ids,
    planned_fraction,
    planned_tasks,
    project_progress,
    schedule,
    work_tasks,
)


def task(tid: str, **fields) -> TaskRow:
    fields.setdefault("project_id", "p1")
    return TaskRow(id=tid, name=fields.pop("name", tid), **fields)


def progress_of(tasks: list[TaskRow], as_of: date, period_days: int = 7):
    return project_progress(tasks, parent_ids(tasks), as_of, period_days)


def test_only_leaf_work_tasks_count_and_effort_weighs_by_estimate():
    tasks = [
        task("build", estimate_hours=100),  # parent: its subtasks count instead
        task("s1", parent_id="build", estimate_hours=10, status="done", percent_complete=30),
        task("s2", parent_id="build", estimate_hours=30, status="in_progress", percent_complete=50),
        task("t3"),  # no estimate: counts by number, not by effort
        task("t4", estimate_hours=20, percent_complete=25),
        task("m1", is_milestone=True, estimate_hours=5, status="done"),  # never work
    ]
    result = progress_of(tasks, date(2026, 3, 16))
    # work tasks: s1, s2, t3, t4 (4); done: s1 -> 1/4 = 25 %
    assert (result.work_tasks, result.done_tasks) == (4, 1)
    assert result.pct_count == pytest.approx(25.0)
    # effort: s1 10 x 1 (done beats its 30 %) + s2 30 x 0.5 + t4 20 x 0.25 = 10 + 15 + 5 = 30
    # over 10 + 30 + 20 = 60 estimated hours -> 50 %; parent's 100 h and the milestone's 5 h out
    assert (result.earned_hours, result.estimate_hours) == pytest.approx((30.0, 60.0))
    assert result.pct_effort == pytest.approx(50.0)


def test_no_estimates_leaves_effort_undefined_and_no_work_leaves_both():
    counted = progress_of(
        [task("a", status="done"), task("b"), task("c", percent_complete=80)], date(2026, 3, 1)
    )
    assert counted.pct_count == pytest.approx(100 / 3)  # 1 done of 3
    assert counted.pct_effort is None
    assert counted.has_estimates is False

    empty = progress_of([task("m", is_milestone=True)], date(2026, 3, 1))
    assert (empty.work_tasks, empty.pct_count, empty.pct_effort) == (0, None, None)
    assert empty.schedule.sv_days is None


def test_percent_complete_out_of_range_is_clamped():
    # 150 % counts as 1, -20 % as 0: (10 x 1 + 10 x 0) / 20 = 50 %
    result = progress_of(
        [
            task("a", estimate_hours=10, percent_complete=150),
            task("b", estimate_hours=10, percent_complete=-20),
        ],
        date(2026, 3, 1),
    )
    assert result.pct_effort == pytest.approx(50.0)


def test_a_parent_in_another_project_is_not_a_leaf():
    tasks = [
        task("parent", project_id="p1", estimate_hours=8),
        task("child", project_id="p2", parent_id="parent", estimate_hours=4),
    ]
    parents = parent_ids(tasks)
    assert [t.id for t in work_tasks([tasks[0]], parents)] == []
    assert [t.id for t in work_tasks([tasks[1]], parents)] == ["child"]


def test_milestones_next_overdue_and_completed_this_period():
    as_of = date(2026, 3, 16)  # period of 7 days: 2026-03-10 .. 2026-03-16
    tasks = [
        task("over1", is_milestone=True, due_date=date(2026, 3, 2)),
        task("over2", is_milestone=True, due_date=date(2026, 3, 12), status="in_progress"),
        task("today", is_milestone=True, due_date=as_of),  # due today: next, not overdue
        task("later", is_milestone=True, due_date=date(2026, 3, 30)),
        task("undated", is_milestone=True),
        task(
            "done_past_due",
            is_milestone=True,
            status="done",
            due_date=date(2026, 3, 1),
            completed_at=datetime(2026, 3, 10, 9, 0),  # first day of the period
        ),
        task(
            "done_before",
            is_milestone=True,
            status="done",
            completed_at=datetime(2026, 3, 9, 17, 0),
        ),
        task(
            "done_after",
            is_milestone=True,
            status="done",
            completed_at=datetime(2026, 3, 17, 8, 0),
        ),
        task("work", due_date=date(2026, 3, 1)),  # an overdue task is not a milestone
    ]
    result = milestones(tasks, as_of, date(2026, 3, 10))
    assert result.next is not None and result.next.id == "today"
    assert [t.id for t in result.overdue] == ["over1", "over2"]
    assert [t.id for t in result.completed] == ["done_past_due"]
    # milestones weigh nothing in effort
    assert progress_of(tasks, as_of).work_tasks == 1


def test_ten_hour_task_over_ten_days():
    as_of = date(2026, 3, 6)  # day 6 of 2026-03-01 .. 2026-03-10
    work = [
        task(
            "a",
            estimate_hours=10,
            start_date=date(2026, 3, 1),
            due_date=date(2026, 3, 10),
            percent_complete=40,
        )
    ]
    result = schedule(work, as_of)
    # planned 6/10 = 60 %, earned 40 %
    assert result.planned_pct == pytest.approx(60.0)
    assert result.earned_pct == pytest.approx(40.0)
    # the plan reached 40 % at the end of day 4: ES 4, AT 6 -> 2 days behind
    assert result.sv_days == pytest.approx(-2.0)
    assert result.start == date(2026, 3, 1)


def test_planned_start_rules_and_weights():
    as_of = date(2026, 3, 11)
    work = [
        # 10 h, 2026-03-01 .. 03-10 (10 days), done: planned 1 at as_of (after due), earned 1
        task(
            "a",
            estimate_hours=10,
            start_date=date(2026, 3, 1),
            due_date=date(2026, 3, 10),
            status="done",
        ),
        # 30 h, no start: created 03-06 -> 03-06 .. 03-15 (10 days); 03-11 is day 6 -> 0.6
        task(
            "b",
            estimate_hours=30,
            created_at=datetime(2026, 3, 6, 10, 0),
            due_date=date(2026, 3, 15),
            percent_complete=20,
        ),
        task("c", estimate_hours=50, percent_complete=10),  # no due date: plans nothing
        # no estimate while others have one: weight 0; created after due -> starts on due
        task("d", due_date=date(2026, 3, 5), created_at=datetime(2026, 3, 7)),
    ]
    planned = {p.due: p for p in planned_tasks(work)}
    assert planned[date(2026, 3, 15)].start == date(2026, 3, 6)
    assert planned[date(2026, 3, 5)].start == date(2026, 3, 5)
    assert planned[date(2026, 3, 5)].weight == 0.0
    assert planned_fraction(planned[date(2026, 3, 15)], as_of) == pytest.approx(0.6)
    assert planned_fraction(planned[date(2026, 3, 15)], date(2026, 3, 5)) == 0.0

    result = schedule(work, as_of)
    # W = 10 + 30 = 40; planned (10 x 1 + 30 x 0.6) / 40 = 28/40 = 70 %
    assert result.planned_pct == pytest.approx(70.0)
    # earned (10 x 1 + 30 x 0.2) / 40 = 16/40 = 40 %
    assert result.earned_pct == pytest.approx(40.0)
    # curve from 03-01: a adds 10/40/10 = 0.025 a day on days 1-10, b 30/40/10 = 0.075 on
    # days 6-15. C(5) = 0.125, C(6) = 0.225, C(7) = 0.325, C(8) = 0.425.
    # 0.4 lies between C(7) and C(8): ES = 7 + (0.4 - 0.325) / 0.1 = 7.75
    # AT = 03-01 .. 03-11 = 11 days -> SV = 7.75 - 11 = -3.25
    assert result.sv_days == pytest.approx(-3.25)


def test_count_weights_when_no_estimates_and_ahead_of_plan():
    as_of = date(2026, 3, 2)
    work = [
        task("a", start_date=date(2026, 3, 1), due_date=date(2026, 3, 4), status="done"),
        task("b", start_date=date(2026, 3, 1), due_date=date(2026, 3, 10)),
        task("c"),  # no due date: out of the plan
    ]
    result = schedule(work, as_of)
    # weights 1 each over a and b: planned (2/4 + 2/10) / 2 = 0.35; earned (1 + 0) / 2 = 0.5
    assert result.planned_pct == pytest.approx(35.0)
    assert result.earned_pct == pytest.approx(50.0)
    # a adds 0.5/4 = 0.125 a day (days 1-4), b 0.5/10 = 0.05 (days 1-10):
    # C(2) = 0.35, C(3) = 0.525 -> ES = 2 + (0.5 - 0.35) / 0.175 = 2 + 6/7; AT = 2
    assert result.sv_days == pytest.approx(6 / 7)


def test_finished_early_keeps_its_lead():
    work = [
        task(
            "a",
            estimate_hours=10,
            start_date=date(2026, 3, 1),
            due_date=date(2026, 3, 10),
            status="done",
            completed_at=datetime(2026, 3, 5, 16, 0),
        )
    ]
    result = schedule(work, date(2026, 3, 20))
    # ES = 10 (the plan reaches 100 % on day 10); the clock stopped at the last completion,
    # 03-05 = day 5: SV = 10 - 5 = +5, not 10 - 20 = -10
    assert result.sv_days == pytest.approx(5.0)


def test_before_the_plan_starts_nothing_is_late():
    work = [task("a", start_date=date(2026, 4, 1), due_date=date(2026, 4, 10))]
    result = schedule(work, date(2026, 3, 20))
    # nothing planned, nothing earned, no time elapsed
    assert (result.planned_pct, result.earned_pct, result.sv_days) == (0.0, 0.0, 0.0)


def test_no_due_dates_means_no_plan():
    result = schedule([task("a", estimate_hours=5), task("b", estimate_hours=3)], date(2026, 3, 1))
    assert (result.planned_pct, result.earned_pct, result.start, result.sv_days) == (
        None,
        None,
        None,
        None,
    )
