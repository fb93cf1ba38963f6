"""Progress metrics against figures worked out by hand: % complete by count and by effort,
milestones, the planned curve over working days and the earned-schedule variance in days.

March 2026 for reading the dates: Sunday 1, Monday 2 .. Friday 6, Monday 9 .. Friday 13,
Monday 16 .. Friday 20. Saturday and Sunday are off unless a test says otherwise."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from pmosync.reports.dataset import TaskRow
from pmosync.reports.metrics.calendar import WorkingCalendar
from pmosync.reports.metrics.progress import (
    milestones,
    parent_ids,
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
        task("t3"),  # no estimate: weighs the mean estimate of the others
        task("t4", estimate_hours=20, percent_complete=25),
        task("m1", is_milestone=True, estimate_hours=5, status="done"),  # never work
    ]
    result = progress_of(tasks, date(2026, 3, 16))
    # work tasks: s1, s2, t3, t4 (4); done: s1 -> 1/4 = 25 %
    assert (result.work_tasks, result.done_tasks) == (4, 1)
    assert result.pct_count == pytest.approx(25.0)
    # t3's default weight: mean of s1, s2, t4 = (10 + 30 + 20) / 3 = 20 h (parent and
    # milestone estimates are not work). Effort: s1 10 x 1 (done beats its 30 %) + s2 30 x 0.5
    # + t3 20 x 0 + t4 20 x 0.25 = 10 + 15 + 0 + 5 = 30 over 10 + 30 + 20 + 20 = 80 -> 37.5 %
    assert (result.earned_hours, result.estimate_hours) == pytest.approx((30.0, 80.0))
    assert result.imputed_hours == pytest.approx(20.0)
    assert result.pct_effort == pytest.approx(37.5)
    assert result.has_estimates is True


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


def test_not_a_number_is_no_figure():
    # NaN estimate: no estimate (weighs the mean of the others, 10 h); NaN percent: 0 done
    result = progress_of(
        [
            task("a", estimate_hours=10, status="done"),
            task("b", estimate_hours=float("nan"), percent_complete=float("nan")),
        ],
        date(2026, 3, 1),
    )
    # (10 x 1 + 10 x 0) / 20 = 50 %
    assert result.pct_effort == pytest.approx(50.0)
    assert result.imputed_hours == pytest.approx(10.0)


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


def test_milestone_done_in_the_period_is_read_in_the_calendars_zone():
    from datetime import timedelta, timezone

    berlin = WorkingCalendar(zone=timezone(timedelta(hours=1)))
    late_evening = task(
        "m", is_milestone=True, status="done", completed_at=datetime(2026, 3, 9, 23, 30)
    )
    # 23:30 UTC on Monday 03-09 is 00:30 on Tuesday 03-10 at UTC+1: inside a period starting
    # 03-10, outside it in UTC
    assert milestones([late_evening], date(2026, 3, 16), date(2026, 3, 10), None, berlin).completed
    assert milestones([late_evening], date(2026, 3, 16), date(2026, 3, 10)).completed == ()


def test_ten_hour_task_over_ten_working_days():
    # Monday 03-02 .. Friday 03-13: ten working days, 1 h of plan each
    work = [
        task(
            "a",
            estimate_hours=10,
            start_date=date(2026, 3, 2),
            due_date=date(2026, 3, 13),
            percent_complete=40,
        )
    ]
    result = schedule(work, date(2026, 3, 9))  # Monday: working day 6
    # planned 6/10 = 60 %, earned 40 %
    assert result.planned_pct == pytest.approx(60.0)
    assert result.earned_pct == pytest.approx(40.0)
    # the plan reached 40 % at the end of working day 4: ES 4, AT 6 -> 2 days behind
    assert result.sv_days == pytest.approx(-2.0)
    assert result.start == date(2026, 3, 2)
    assert result.spi_t == pytest.approx(4 / 6)
    # IEAC(t) = PD / SPI(t) = 10 / (4/6) = 15 working days -> Friday 03-20, 5 after 03-13
    assert (result.pd_days, result.ieac_days) == (10, pytest.approx(15.0))
    assert result.forecast_finish == date(2026, 3, 20)
    assert (result.finish_date, result.forecast_slip_days) == (date(2026, 3, 13), 5)
    assert result.baselined is False


def test_a_weekend_plans_nothing_and_costs_no_time():
    work = [
        task(
            "a",
            estimate_hours=10,
            start_date=date(2026, 3, 2),
            due_date=date(2026, 3, 13),
            percent_complete=50,
        )
    ]
    friday = schedule(work, date(2026, 3, 6))
    sunday = schedule(work, date(2026, 3, 8))
    # both: 5 working days of 10 planned = 50 %, earned 50 %, AT 5, ES 5 -> on plan
    for result in (friday, sunday):
        assert result.planned_pct == pytest.approx(50.0)
        assert result.sv_days == pytest.approx(0.0)
        assert result.at_days == 5.0
    # counted in calendar days the Sunday would be day 7 of 12 (58.3 % planned, 2 days behind)


def test_holidays_are_not_working_days():
    holiday = WorkingCalendar(holidays=frozenset({date(2026, 3, 4)}))  # a Wednesday off
    work = [task("a", start_date=date(2026, 3, 2), due_date=date(2026, 3, 6))]
    # 4 working days (Mon, Tue, Thu, Fri); by Thursday 3 of them -> 75 % (not 4/5 = 80 %)
    result = schedule(work, date(2026, 3, 5), calendar=holiday)
    assert result.planned_pct == pytest.approx(75.0)


def test_a_task_planned_over_a_weekend_is_planned_on_the_next_working_day():
    work = [
        task("w", estimate_hours=4, start_date=date(2026, 3, 7), due_date=date(2026, 3, 8)),
        task("f", estimate_hours=4, start_date=date(2026, 3, 2), due_date=date(2026, 3, 6)),
    ]
    # Saturday-Sunday holds no working day: "w" plans its 4 h on Monday 03-09
    sunday = schedule(work, date(2026, 3, 8))
    assert sunday.planned_pct == pytest.approx(50.0)  # "f" only: 4 of 8
    monday = schedule(work, date(2026, 3, 9))
    assert monday.planned_pct == pytest.approx(100.0)
    assert monday.planned_finish == date(2026, 3, 9)


def test_planned_start_rules_default_weight_and_undated_work():
    as_of = date(2026, 3, 11)  # Wednesday
    work = [
        # 10 h, 03-02 .. 03-06 (5 working days), done
        task(
            "a",
            estimate_hours=10,
            start_date=date(2026, 3, 2),
            due_date=date(2026, 3, 6),
            status="done",
        ),
        # 30 h, no start: created 03-09 -> 03-09 .. 03-13 (5 working days), 20 % done
        task(
            "b",
            estimate_hours=30,
            created_at=datetime(2026, 3, 9, 10, 0),
            due_date=date(2026, 3, 13),
            percent_complete=20,
        ),
        # 50 h, no due date: keeps its weight, planned on the plan's finish (03-13), 10 % done
        task("c", estimate_hours=50, percent_complete=10),
        # no estimate while others have one: weighs the mean (10 + 30 + 50) / 3 = 30 h;
        # created after its due date -> a one-day task on its due date, Thursday 03-05
        task("d", due_date=date(2026, 3, 5), created_at=datetime(2026, 3, 7)),
    ]
    result = schedule(work, as_of)
    assert (result.default_weight_hours, result.unestimated_tasks) == (30.0, 1)
    assert result.undated_tasks == 1
    # W = 10 + 30 + 50 + 30 = 120. By 03-11 (working day 8): a 10 + d 30 + b 30 x 3/5 = 58
    # -> 58/120; c is planned on 03-13, not yet
    assert result.planned_pct == pytest.approx(58 / 120 * 100)
    # earned: a 10 + b 30 x 0.2 + c 50 x 0.1 + d 0 = 10 + 6 + 5 = 21 -> 21/120 = 17.5 %
    assert result.earned_pct == pytest.approx(17.5)
    # curve: a 2 h a day on days 1-5, d 30 h on day 4, b 6 h a day on days 6-10, c 50 h on
    # day 10. Hours by day: C(1) = 2, C(2) = 4, C(3) = 6, C(4) = 38 -> 21 h lies in day 4:
    # ES = 3 + (21 - 6) / (38 - 6) = 3 + 15/32; AT = 8
    assert result.sv_days == pytest.approx(3 + 15 / 32 - 8)


def test_project_due_date_is_the_finish_of_undated_work():
    work = [
        task("a", start_date=date(2026, 3, 2), due_date=date(2026, 3, 6), status="done"),
        task("b"),  # undated: planned on the project's due date, Friday 03-13
    ]
    result = schedule(work, date(2026, 3, 12), project_due=date(2026, 3, 13))
    # count weights 1 + 1: by Thursday 03-12 only "a" is planned -> 50 %; earned 50 %
    assert result.planned_pct == pytest.approx(50.0)
    assert result.earned_pct == pytest.approx(50.0)
    assert result.finish_date == date(2026, 3, 13)
    assert schedule(work, date(2026, 3, 13), project_due=date(2026, 3, 13)).planned_pct == 100.0


def test_count_weights_when_no_estimates_and_ahead_of_plan():
    as_of = date(2026, 3, 3)  # Tuesday: working day 2
    work = [
        task("a", start_date=date(2026, 3, 2), due_date=date(2026, 3, 5), status="done"),
        task("b", start_date=date(2026, 3, 2), due_date=date(2026, 3, 13)),
    ]
    result = schedule(work, as_of)
    # a: 4 working days, b: 10. Weights 1 each: planned (2/4 + 2/10) / 2 = 0.35; earned 0.5
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
            start_date=date(2026, 3, 2),
            due_date=date(2026, 3, 13),
            status="done",
            completed_at=datetime(2026, 3, 6, 16, 0),
        )
    ]
    result = schedule(work, date(2026, 3, 27))
    # ES = 10 (the plan reaches 100 % on working day 10); the clock stopped at the last
    # completion, Friday 03-06 = day 5: SV = 10 - 5 = +5, not 10 - 20 = -10
    assert result.sv_days == pytest.approx(5.0)
    # forecast = the real finish: IEAC(t) = 10 / (10/5) = 5 -> 03-06, 5 days before 03-13
    assert (result.forecast_finish, result.forecast_slip_days) == (date(2026, 3, 6), -5)


def test_before_the_plan_starts_nothing_is_late():
    work = [task("a", start_date=date(2026, 4, 1), due_date=date(2026, 4, 10))]
    result = schedule(work, date(2026, 3, 20))
    # nothing planned, nothing earned, no time elapsed (SPI(t) undefined)
    assert (result.planned_pct, result.earned_pct, result.sv_days) == (0.0, 0.0, 0.0)
    assert result.spi_t is None


def test_no_due_dates_means_no_plan_but_work_still_earns():
    result = schedule(
        [task("a", estimate_hours=5, status="done"), task("b", estimate_hours=3)],
        date(2026, 3, 1),
    )
    # no date anywhere: nothing can be planned; earned 5 of 8 = 62.5 %
    assert (result.planned_pct, result.start, result.sv_days) == (None, None, None)
    assert result.earned_pct == pytest.approx(62.5)
