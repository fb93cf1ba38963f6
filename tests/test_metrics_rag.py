"""Reported and computed RAG: which update counts, each rule's threshold and reason, the worst
rule winning, fixed colours for paused and finished projects, and disagreement; and the
schedule rules end to end: past the finish with open work, SPI(t), slip without a budget."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from pmosync.config.models import Resources
from pmosync.config.reports import RagRules, ReportRules
from pmosync.reports.dataset import Dataset, ProjectRow, StatusRow, TaskRow
from pmosync.reports.metrics.portfolio import project_metrics
from pmosync.reports.metrics.progress import parent_ids, project_progress
from pmosync.reports.metrics.rag import (
    Signals,
    computed_rag,
    latest_update,
    project_rag,
    signals,
    slip_pct,
)

AS_OF = date(2026, 3, 16)
RULES = RagRules()
# slip 10/25 %, SPI(t) 0.9/0.8, overdue milestones 1/2, CPI 0.95/0.85, stale after 14 days,
# past the finish with open work: red
PROJECT = ProjectRow(id="p", source="asana", name="Apollo", rag="amber")
FRESH = date(2026, 3, 10)  # 6 days before as_of


def update(day: date, rag: str | None, hour: int = 9) -> StatusRow:
    return StatusRow("p", datetime(day.year, day.month, day.day, hour), rag)


NO_WORK = project_progress([], set(), AS_OF, 7)  # no tasks: no schedule figure at all


def compute(slip=None, overdue=0, cpi=None, last=FRESH, project=PROJECT, **schedule):
    figures = Signals(slip_pct=slip, overdue_milestones=overdue, cpi=cpi, **schedule)
    return computed_rag(project, figures, last, AS_OF, RULES)


def test_reported_is_the_latest_update_on_or_before_as_of():
    updates = [
        update(date(2026, 3, 1), "green"),
        update(date(2026, 3, 16), "red", hour=23),  # on as_of: counts
        update(date(2026, 3, 17), "green"),  # after as_of: did not exist yet
    ]
    rag = project_rag(PROJECT, updates, NO_WORK, None, AS_OF, RULES)
    assert rag.reported == "red"
    assert rag.last_update == date(2026, 3, 16)


def test_reported_falls_back_to_the_project_field():
    assert project_rag(PROJECT, [], NO_WORK, None, AS_OF, RULES).reported == "amber"
    # the latest update carries no RAG: the project's own field still says something
    no_rag = [update(date(2026, 3, 15), None)]
    assert project_rag(PROJECT, no_rag, NO_WORK, None, AS_OF, RULES).reported == "amber"


def test_updates_with_and_without_time_zone_compare():
    updates = [
        StatusRow("p", datetime(2026, 3, 14, 12, 0), "green"),
        StatusRow("p", datetime(2026, 3, 14, 13, 0, tzinfo=timezone(timedelta(hours=2))), "red"),
    ]
    # 13:00+02:00 is 11:00 UTC, before the naive 12:00: green is the latest
    assert latest_update(updates, AS_OF).rag == "green"


def test_all_clear_is_green_without_reasons():
    # slip 9.9 % < 10, no overdue milestone, CPI exactly 0.95 (not below), update 6 days old
    assert compute(slip=9.9, cpi=0.95) == ("green", ())


def test_slip_thresholds():
    assert compute(slip=10.0) == ("amber", ("schedule slip 10.0% at or above 10%",))
    assert compute(slip=100 / 3) == ("red", ("schedule slip 33.3% at or above 25%",))
    assert compute(slip=-20.0) == ("green", ())  # ahead of plan


def test_overdue_milestone_thresholds():
    assert compute(overdue=1) == ("amber", ("1 overdue milestone (amber from 1)",))
    assert compute(overdue=3) == ("red", ("3 overdue milestones (red from 2)",))


def test_cpi_thresholds():
    assert compute(cpi=0.90) == ("amber", ("CPI 0.90 below 0.95",))
    assert compute(cpi=0.80) == ("red", ("CPI 0.80 below 0.85",))


def test_stale_or_missing_status_update():
    assert compute(last=AS_OF - timedelta(days=14)) == ("green", ())  # 14 days: still fresh
    assert compute(last=AS_OF - timedelta(days=15)) == (
        "amber",
        ("last status update 15 days ago (over 14)",),
    )
    assert compute(last=None) == ("amber", ("no status update",))


def test_worst_rule_wins_and_every_rule_gives_its_reason():
    colour, reasons = compute(slip=12.0, overdue=1, cpi=0.8, last=None)
    assert colour == "red"
    assert reasons == (
        "schedule slip 12.0% at or above 10%",
        "1 overdue milestone (amber from 1)",
        "CPI 0.80 below 0.85",
        "no status update",
    )


def test_paused_and_finished_projects_are_not_judged():
    for status, colour in (
        ("on_hold", "blue"),
        ("completed", "complete"),
        ("archived", "complete"),
    ):
        project = ProjectRow(id="p", source="asana", name="x", status=status)
        result = compute(slip=90.0, overdue=5, cpi=0.1, last=None, project=project)
        assert result[0] == colour
        assert len(result[1]) == 1  # one reason: the project's state


def test_disagreement_needs_both_sides():
    updates = [update(FRESH, "green")]
    # 2 overdue milestones (due 03-01 and 03-02, open on 03-16) -> computed red; team: green
    overdue = [
        TaskRow("m1", "p", "Gate 1", is_milestone=True, due_date=date(2026, 3, 1)),
        TaskRow("m2", "p", "Gate 2", is_milestone=True, due_date=date(2026, 3, 2)),
    ]
    progress = project_progress(overdue, set(), AS_OF, 7)
    rag = project_rag(PROJECT, updates, progress, None, AS_OF, RULES)
    assert (rag.reported, rag.computed, rag.disagrees) == ("green", "red", True)
    agree = project_rag(PROJECT, [update(FRESH, "red")], progress, None, AS_OF, RULES)
    assert agree.disagrees is False
    silent = ProjectRow(id="p", source="asana", name="x")  # no field, no update
    unknown = project_rag(silent, [], NO_WORK, None, AS_OF, RULES)
    assert (unknown.reported, unknown.computed, unknown.disagrees) == (None, "amber", False)


def test_custom_rules_move_the_thresholds():
    rules = RagRules(slip_amber_pct=5, slip_red_pct=5, status_stale_days=30)
    # 5 % slip is red when both thresholds are 5; a 20-day-old update is fresh under 30
    figures = Signals(slip_pct=5.0)
    result = computed_rag(PROJECT, figures, AS_OF - timedelta(days=20), AS_OF, rules)
    assert result == ("red", ("schedule slip 5.0% at or above 5%",))


def test_utc_update_on_as_of_counts():
    late = StatusRow("p", datetime(2026, 3, 16, 23, 59, tzinfo=UTC), "red")
    assert latest_update([late], AS_OF) is late


def test_spi_t_thresholds():
    assert compute(spi_t=0.9) == ("green", ())  # not below 0.90
    assert compute(spi_t=0.85) == ("amber", ("SPI(t) 0.85 below 0.90",))
    assert compute(spi_t=0.5) == ("red", ("SPI(t) 0.50 below 0.80",))
    # 0.899 is below 0.90 and must not read "0.90 below 0.90"
    assert compute(spi_t=0.899) == ("amber", ("SPI(t) 0.899 below 0.90",))
    assert compute(cpi=0.9499) == ("amber", ("CPI 0.9499 below 0.95",))


def test_past_the_finish_with_open_work_is_red_on_its_own():
    finish = date(2026, 3, 1)  # 15 days before as_of
    assert compute(finish=finish, open_work=2) == (
        "red",
        ("15 days past its baseline finish (2026-03-01) with 2 open work tasks",),
    )
    # no open work: finished late is not "late with work open"
    assert compute(finish=finish, open_work=0) == ("green", ())
    # on the finish day itself it is not past it
    assert compute(finish=AS_OF, open_work=1) == ("green", ())
    # a grace of 15 days keeps day 15 quiet
    grace = RagRules(past_finish_grace_days=15)
    figures = Signals(finish=finish, open_work=1)
    assert computed_rag(PROJECT, figures, FRESH, AS_OF, grace) == ("green", ())


def test_schedule_rules_rest_once_all_work_is_done():
    # finished late (SPI(t) 0.5) with nothing open: no schedule rule fires
    assert compute(spi_t=0.5, slip=30.0, open_work=0) == ("green", ())
    assert compute(spi_t=0.5, open_work=1) == ("red", ("SPI(t) 0.50 below 0.80",))


def test_staleness_only_where_the_tool_has_status_updates():
    planner = ProjectRow(id="p", source="planner", name="Plan", has_status_updates=False)
    # no update at all: an Asana project is amber, a Planner plan without status source is not
    assert compute(last=None, project=planner) == ("green", ())
    assert compute(last=None) == ("amber", ("no status update",))


def test_slip_is_judged_without_a_budget():
    # planned 60 %, earned 40 % -> (60 - 40) / 60 = 33.3 %; nothing planned yet -> undefined
    assert slip_pct(60.0, 40.0) == pytest.approx(100 / 3)
    assert slip_pct(0.0, 0.0) is None
    assert slip_pct(None, 50.0) is None
    # a project with neither budget nor estimates: two tasks weigh 1 each. Monday 03-02 ..
    # Friday 03-13 (10 working days) and a one-day task on Monday 03-02, both open on
    # Monday 03-09 (working day 6): planned (1 + 6/10) / 2 = 80 %, earned 0 -> slip 100 %
    tasks = [
        TaskRow("a", "p", "a", start_date=date(2026, 3, 2), due_date=date(2026, 3, 13)),
        TaskRow("b", "p", "b", start_date=date(2026, 3, 2), due_date=date(2026, 3, 2)),
    ]
    progress = project_progress(tasks, parent_ids(tasks), date(2026, 3, 9), 7)
    figures = signals(progress)
    assert figures.slip_pct == pytest.approx(100.0)
    # ES 0 over AT 6 -> SPI(t) 0
    assert figures.spi_t == 0.0
    assert (figures.finish, figures.finish_kind) == (date(2026, 3, 13), "planned finish")
    assert figures.open_work == 2


def test_late_but_green_project_is_red():
    """The issue's Juniper case: due 2026-03-02, every task planned by then, one of 20 tasks
    still open on 2026-11-27. PV = BAC, so (PV - EV) / PV = 5 % read green before."""
    project = ProjectRow(
        "p", "asana", "Juniper", due_date=date(2026, 3, 2), start_date=date(2026, 2, 23)
    )
    # 20 one-hour tasks, all Monday 02-23 .. Monday 03-02 (6 working days); 19 done on 02-27
    tasks = [
        TaskRow(
            f"t{i}",
            "p",
            f"Task {i}",
            start_date=date(2026, 2, 23),
            due_date=date(2026, 3, 2),
            estimate_hours=1,
            status="done" if i else "in_progress",
            completed_at=datetime(2026, 2, 27, 12, 0) if i else None,
        )
        for i in range(20)
    ]
    as_of = date(2026, 11, 27)
    data = Dataset(
        as_of=as_of,
        projects=[project],
        tasks=tasks,
        status_updates=[StatusRow("p", datetime(2026, 11, 26, 9, 0), "green")],
    )
    (metrics,) = project_metrics(data, ReportRules(), Resources())
    schedule = metrics.progress.schedule
    # planned 100 %, earned 19/20 = 95 %: slip (100 - 95) / 100 = 5 %, under amber's 10 %
    assert (schedule.planned_pct, schedule.earned_pct) == (100.0, pytest.approx(95.0))
    # ES: the plan rises 1/6 a day over 6 days; 0.95 -> 5 + (0.95 - 5/6) / (1/6) = 5.7.
    # AT: working days 02-23 .. 11-27: 02-23 + 280 days = Monday 11-30, so 02-23 .. 11-29 is
    # 40 full weeks = 200 working days, 11-28/29 being a weekend -> SPI(t) = 5.7 / 200
    assert schedule.es_days == pytest.approx(5.7)
    assert schedule.at_days == 200.0
    assert schedule.spi_t == pytest.approx(5.7 / 200)
    # 03-02 -> 11-27 is 270 days
    assert metrics.rag.computed == "red"
    assert metrics.rag.reasons == (
        "270 days past its due date (2026-03-02) with 1 open work task",
        "SPI(t) 0.03 below 0.80",
    )
    assert metrics.rag.disagrees is True  # the team still says green
