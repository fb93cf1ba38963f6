"""Earned schedule and the baseline-driven plan, against figures worked out by hand.

March 2026 for reading the dates: Sunday 1, Monday 2 .. Friday 6, Monday 9 .. Friday 13,
Monday 16 .. Friday 20. Days are working days (Saturday and Sunday off) unless a test says.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from pmosync.config.models import Resources
from pmosync.config.reports import ReportRules
from pmosync.reports.dataset import BaselineRow, BaselineTaskRow, Dataset, ProjectRow, TaskRow
from pmosync.reports.metrics.calendar import WorkingCalendar
from pmosync.reports.metrics.plan import WorkingDays
from pmosync.reports.metrics.portfolio import project_metrics
from pmosync.reports.metrics.progress import parent_ids, project_progress
from pmosync.reports.metrics.schedule import earned_schedule, planned_duration, time_indicators

# -- the textbook example -------------------------------------------------------------------

TEXTBOOK_PV = [5.0, 10.0, 25.0, 55.0, 85.0, 120.0, 130.0, 140.0, 150.0, 150.0, 150.0]
TEXTBOOK_EV = [3.33, 6.67, 10.0, 22.5, 70.0, 82.5, 90.0, 120.0, 130.0, 140.0, 150.0]


def test_textbook_earned_schedule_example():
    """The weekly example of M. Vanhoucke, "Earned Value Management: Forecasting time", PM
    Knowledge Center (http://www.pmknowledgecenter.com/dynamic_scheduling/control/
    earned-value-management-forecasting-time), the project data table the article's duration
    forecasts are illustrated on: BAC 150 planned over 9 weeks, finished in week 11. It gives
    cumulative PV and EV for weeks W1..W11 and ES for W1..W6 as 0.67, 1.33, 2.00, 2.83, 4.50,
    4.92 (the rows reproduced here); the later weeks and the time indicators are worked below
    with Lipke's formulas."""
    # PV reaches BAC = 150 in week 9 and stays there: PD = 9 weeks
    assert planned_duration(TEXTBOOK_PV) == 9
    published = [0.67, 1.33, 2.00, 2.83, 4.50, 4.92]
    for week, es in enumerate(published, start=1):
        assert earned_schedule(TEXTBOOK_PV, TEXTBOOK_EV[week - 1]) == pytest.approx(es, abs=0.005)
    # the same by hand, exactly: ES = C + (EV - PV_C) / (PV_C+1 - PV_C)
    by_hand = {
        1: 0 + 3.33 / 5,  # 0.666
        2: 1 + (6.67 - 5) / (10 - 5),  # 1.334
        4: 2 + (22.5 - 10) / (25 - 10),  # 2.8333
        5: 4 + (70 - 55) / (85 - 55),  # 4.5
        6: 4 + (82.5 - 55) / (85 - 55),  # 4.9167
        7: 5 + (90 - 85) / (120 - 85),  # 5.1429
        8: 6.0,  # EV 120 = PV week 6 exactly, below week 7's 130
        9: 7.0,  # 130 = PV week 7
        10: 8.0,  # 140 = PV week 8
        11: 9.0,  # EV = BAC: ES = PD, never beyond
    }
    for week, es in by_hand.items():
        assert earned_schedule(TEXTBOOK_PV, TEXTBOOK_EV[week - 1]) == pytest.approx(es)


def test_textbook_time_indicators_see_the_late_finish_that_spi_hides():
    # week 11: EV = PV = 150, so SV = 0 and SPI = 150 / 150 = 1 -- "on schedule" in money.
    assert TEXTBOOK_EV[10] - TEXTBOOK_PV[10] == 0
    late = time_indicators(TEXTBOOK_PV, TEXTBOOK_EV[10], at=11)
    # in time: ES 9, AT 11 -> SV(t) = -2 weeks, SPI(t) = 9 / 11, IEAC(t) = 9 / (9/11) = 11
    assert (late.es, late.at, late.pd) == (9.0, 11, 9)
    assert late.sv_t == pytest.approx(-2.0)
    assert late.spi_t == pytest.approx(9 / 11)
    assert late.ieac_t == pytest.approx(11.0)
    # week 5: ES 4.5, SPI(t) = 4.5 / 5 = 0.9, IEAC(t) = 9 / 0.9 = 10 weeks
    week5 = time_indicators(TEXTBOOK_PV, TEXTBOOK_EV[4], at=5)
    assert week5.spi_t == pytest.approx(0.9)
    assert week5.ieac_t == pytest.approx(10.0)
    assert week5.sv_t == pytest.approx(-0.5)
    # nothing elapsed: SPI(t) and IEAC(t) undefined, not 0 and not a division error
    start = time_indicators(TEXTBOOK_PV, 0.0, at=0)
    assert (start.es, start.spi_t, start.ieac_t) == (0.0, None, None)


def test_flat_stretch_of_the_plan_counts_to_its_end():
    # PV 10, 10, 10, 20: an EV of 10 was planned by the end of period 3 (C = 3), ES = 3
    assert earned_schedule([10.0, 10.0, 10.0, 20.0], 10.0) == pytest.approx(3.0)
    # 15: 3 + (15 - 10) / (20 - 10) = 3.5
    assert earned_schedule([10.0, 10.0, 10.0, 20.0], 15.0) == pytest.approx(3.5)
    assert planned_duration([]) == 0
    assert earned_schedule([], 5.0) == 0.0


# -- working days ---------------------------------------------------------------------------


def test_working_days_count_and_nth_with_a_holiday():
    days = WorkingDays(WorkingCalendar(holidays=frozenset({date(2026, 3, 11)})))
    # Mon 03-02 .. Fri 03-13 is 10 weekdays, less Wednesday 03-11: 9
    assert days.count(date(2026, 3, 2), date(2026, 3, 13)) == 9
    assert days.count(date(2026, 3, 7), date(2026, 3, 8)) == 0  # a weekend
    # the 9th working day from 03-02 is 03-13 (03-11 skipped); the 10th is Monday 03-16
    assert days.nth(date(2026, 3, 2), 9) == date(2026, 3, 13)
    assert days.nth(date(2026, 3, 2), 10) == date(2026, 3, 16)
    # a weekend of all seven days (bad settings) reads as no weekend, never a hang
    every_day = WorkingDays(WorkingCalendar(weekend=frozenset(range(7))))
    assert every_day.count(date(2026, 3, 1), date(2026, 3, 7)) == 7


# -- the baseline -------------------------------------------------------------------------

BASELINE = BaselineRow(
    project_id="p",
    name="Initial",
    set_at=datetime(2026, 3, 1, 8, 0),
    set_by="first_sync",
    start_date=date(2026, 3, 2),
    finish_date=date(2026, 3, 13),
    tasks=(
        BaselineTaskRow("a", "Design", "work", date(2026, 3, 2), date(2026, 3, 6), 10),
        BaselineTaskRow("x", "Survey", "work", date(2026, 3, 2), date(2026, 3, 6), 20),
        BaselineTaskRow("b", "Build", "work", date(2026, 3, 9), date(2026, 3, 13), 30),
        BaselineTaskRow("c", "Docs", "work"),  # undated, unestimated
        BaselineTaskRow("m", "Go-live", "milestone", None, date(2026, 3, 13)),
    ),
)


def task(tid: str, **fields) -> TaskRow:
    fields.setdefault("project_id", "p")
    return TaskRow(id=tid, name=fields.pop("name", tid), **fields)


# Today: "a" done on Friday 03-06; "b" re-planned a week later, not started; "c" still undated;
# "x" deleted; "d" added after the baseline; the milestone moved from 03-13 to 03-20.
TODAY = [
    task(
        "a",
        estimate_hours=10,
        start_date=date(2026, 3, 2),
        due_date=date(2026, 3, 6),
        status="done",
        completed_at=datetime(2026, 3, 6, 15, 0),
    ),
    task("b", estimate_hours=30, start_date=date(2026, 3, 16), due_date=date(2026, 3, 20)),
    task("c"),
    task("d", estimate_hours=8, due_date=date(2026, 3, 20)),
    task("m", is_milestone=True, due_date=date(2026, 3, 20)),
]


def progress_of(as_of: date, baseline: BaselineRow | None):
    return project_progress(TODAY, parent_ids(TODAY), as_of, 7, baseline=baseline)


def test_baseline_measures_what_a_replan_would_erase():
    as_of = date(2026, 3, 11)  # Wednesday: working day 8 from Monday 03-02
    result = progress_of(as_of, BASELINE).schedule
    assert (result.baselined, result.baseline_name) == (True, "Initial")
    assert result.baseline_set_at == datetime(2026, 3, 1, 8, 0)
    # baseline weights: a 10, x 20, b 30, c the mean of the estimates (10 + 20 + 30) / 3 = 20
    # -> total 80; c is undated: planned on the baseline finish, Friday 03-13 (day 10)
    assert (result.basis, result.default_weight_hours) == ("effort", 20.0)
    assert result.planned_hours == 80.0
    assert (result.undated_tasks, result.unestimated_tasks) == (1, 1)
    # curve: days 1-5 a + x = (10 + 20) / 80 / 5 = 0.075 a day -> C(5) = 0.375
    #        days 6-10 b = 30 / 80 / 5 = 0.075 a day -> C(8) = 0.6; day 10 adds c's 0.25 -> 1
    assert result.planned_pct == pytest.approx(60.0)
    # earned: a done (10 of 80); x deleted earns nothing; b and c nothing -> 12.5 %
    assert result.earned_pct == pytest.approx(12.5)
    # ES: C(1) = 0.075 <= 0.125 < C(2) = 0.15 -> 1 + (0.125 - 0.075) / 0.075 = 5/3
    assert result.es_days == pytest.approx(5 / 3)
    assert result.at_days == 8.0
    assert result.sv_days == pytest.approx(5 / 3 - 8)
    assert result.spi_t == pytest.approx(5 / 24)  # (5/3) / 8
    # PD = 10 working days (03-13); IEAC(t) = 10 / (5/24) = 48 working days from 03-02:
    # 45 in nine full weeks (to Friday 05-01), 46-48 = Monday 05-04 .. Wednesday 05-06
    assert result.pd_days == 10
    assert result.planned_finish == date(2026, 3, 13)
    assert result.ieac_days == pytest.approx(48.0)
    assert result.forecast_finish == date(2026, 5, 6)
    assert result.finish_date == date(2026, 3, 13)
    assert result.forecast_slip_days == 48 - 10  # working days 11..48 after the finish
    # "d" was added after the baseline: 8 h of unbaselined work; "x" is removed work
    assert (result.unbaselined_tasks, result.unbaselined_hours) == (1, 8.0)
    assert result.removed_tasks == 1


def test_without_a_baseline_todays_replan_hides_the_lateness():
    result = progress_of(date(2026, 3, 11), None).schedule
    assert (result.baselined, result.baseline_name) == (False, None)
    # today's weights: a 10, b 30, d 8, c the mean (10 + 30 + 8) / 3 = 16 -> total 64.
    # By 03-11 only "a" is planned (b moved to 03-16..20): planned = earned = 10/64
    assert result.default_weight_hours == pytest.approx(16.0)
    assert result.planned_hours == pytest.approx(64.0)
    assert result.planned_pct == pytest.approx(1000 / 64)
    assert result.earned_pct == pytest.approx(1000 / 64)
    # the plan is flat on days 6-10 at 10/64: EV reached PV of day 10 -> ES 10, AT 8: "ahead"
    assert result.sv_days == pytest.approx(2.0)
    assert (result.unbaselined_tasks, result.removed_tasks) == (0, 0)


def test_milestones_slip_and_fall_overdue_against_the_baseline():
    as_of = date(2026, 3, 16)  # past the baseline's 03-13, before today's 03-20
    baselined = progress_of(as_of, BASELINE)
    assert [t.id for t in baselined.milestones.overdue] == ["m"]
    (slip,) = baselined.milestone_slips
    assert (slip.task_id, slip.baseline_due, slip.date) == (
        "m",
        date(2026, 3, 13),
        date(2026, 3, 20),
    )
    assert (slip.slip_days, slip.done, slip.deleted) == (7, False, False)  # 03-13 -> 03-20
    # without a baseline the moved milestone is simply upcoming
    plain = progress_of(as_of, None)
    assert plain.milestones.overdue == ()
    assert plain.milestones.next is not None and plain.milestones.next.id == "m"
    assert plain.milestone_slips == ()


def test_a_finished_baselined_project_forecasts_its_real_finish():
    done = [
        task("a", status="done", completed_at=datetime(2026, 3, 6, 9, 0)),
        task("x", status="done", completed_at=datetime(2026, 3, 6, 9, 0)),
        task("b", status="done", completed_at=datetime(2026, 3, 17, 9, 0)),
        task("c", status="done", completed_at=datetime(2026, 3, 18, 9, 0)),
    ]
    result = project_progress(done, set(), date(2026, 4, 30), 7, baseline=BASELINE).schedule
    # all earned: ES = PD = 10; the clock stopped at the last completion, Wednesday 03-18 =
    # working day 13 -> SPI(t) = 10/13, IEAC(t) = 10 / (10/13) = 13 -> forecast = 03-18
    assert result.earned_pct == pytest.approx(100.0)
    assert (result.es_days, result.at_days) == (10.0, 13.0)
    assert result.spi_t == pytest.approx(10 / 13)
    assert result.forecast_finish == date(2026, 3, 18)
    assert result.forecast_slip_days == 3  # Monday 16, Tuesday 17, Wednesday 18


def test_project_metrics_measure_against_the_datasets_baseline():
    # the project's due date moved to 04-30 in the re-plan; its baseline still says 03-13
    project = ProjectRow("p", "asana", "Apollo", due_date=date(2026, 4, 30))
    data = Dataset(
        as_of=date(2026, 3, 16),
        projects=[project],
        tasks=TODAY,
        baselines={"p": BASELINE},
    )
    (metrics,) = project_metrics(data, ReportRules(), Resources())
    schedule = metrics.progress.schedule
    assert (schedule.baselined, schedule.finish_date) == (True, date(2026, 3, 13))
    # Monday 03-16 is working day 11, past PD 10: planned 100 %, earned 12.5 % (as above);
    # ES 5/3, AT 11 -> SPI(t) = 5/33 = 0.15
    assert schedule.planned_pct == 100.0
    assert schedule.spi_t == pytest.approx(5 / 33)
    # open work: b, c and d (a is done) -> 3 days past the baseline finish with 3 open tasks;
    # slip (100 - 12.5) / 100 = 87.5 %; the milestone is overdue against its baseline 03-13
    assert metrics.rag.computed == "red"
    assert metrics.rag.reasons[:4] == (
        "3 days past its baseline finish (2026-03-13) with 3 open work tasks",
        "SPI(t) 0.15 below 0.80",
        "schedule slip 87.5% at or above 25%",
        "1 overdue milestone (amber from 1)",
    )
