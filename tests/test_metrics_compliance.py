"""Timesheet compliance per person per complete week, against statuses worked out by hand.

Calendar (November 2026): as_of Wednesday 25th; with weeks=2 the complete weeks are W46
(Mon 9th .. Sun 15th) and W47 (Mon 16th .. Sun 22nd); W48 (from Mon 23rd) is in progress.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pmosync.config.models import Resources
from pmosync.config.organisation import CalendarSettings, PublicHolidays
from pmosync.config.reports import ComplianceRules, ReportRules
from pmosync.reports.dataset import Dataset, LeaveRow, PersonRow, TimeRow
from pmosync.reports.kinds import ReportContext, builder
from pmosync.reports.metrics.calendar import PLAIN, calendar_for
from pmosync.reports.metrics.compliance import (
    compliance,
    overall_rate,
    status_of,
    tolerance_minutes,
)

AS_OF = date(2026, 11, 25)
W46 = date(2026, 11, 9)
W47 = date(2026, 11, 16)
# No tolerance here: these tests hold the exact boundaries; the tolerance has its own below.
RULES = ReportRules(weeks=2, over_logged_pct=120, compliance=ComplianceRules(tolerance_hours=0))
RESOURCES = Resources(weekly_capacity_hours=40, capacity={"eve@example.com": 50})


def nov(day: int) -> date:
    return date(2026, 11, day)


def time(person: str, day: date, minutes: int, project: str = "p1") -> TimeRow:
    return TimeRow(person_id=person, project_id=project, entry_date=day, minutes=minutes)


def dataset() -> Dataset:
    return Dataset(
        as_of=AS_OF,
        people={
            "eve": PersonRow("eve", "Eve", "eve@example.com"),  # contract 50 h (override)
            "fay": PersonRow("fay", "Fay", "fay@example.com"),  # contract 40 h (default)
            "gus": PersonRow("gus", "Gus", "gus@example.com"),
            "hal": PersonRow("hal", "Hal", "hal@example.com", active=False),
        },
        time_entries=[
            # Eve W46: 3600 min = 60 h = 120 % of 50 h, exactly the limit -> ok.
            time("eve", nov(10), 3600),
            # Eve W47: 3603 min = 60.05 h = 120.1 % of 50 h -> over.
            time("eve", nov(17), 3000),
            time("eve", nov(18), 603),
            # Fay W46: 1200 + 1200 = 2400 min = 40 h, exactly the contract, two projects -> ok.
            time("fay", nov(9), 1200),
            time("fay", nov(15), 1200, "p2"),
            # Fay W47: 2399 min, one minute short -> under.
            time("fay", nov(22), 2399),
            time("fay", nov(8), 600),  # before the window: ignored
            # Gus logs only in the week in progress: both judged weeks are missing.
            time("gus", nov(23), 2400),
            time("hal", nov(10), 60),  # inactive: not on the roster
        ],
    )


def test_statuses_per_person_week():
    result = compliance(dataset(), RULES, RESOURCES)
    assert result.weeks == [W46, W47]
    assert [(r.person.id, r.week, r.contract, r.status) for r in result.rows] == [
        ("eve", W46, 50, "ok"),
        ("eve", W47, 50, "over"),
        ("fay", W46, 40, "ok"),
        ("fay", W47, 40, "under"),
        ("gus", W46, 40, "missing"),
        ("gus", W47, 40, "missing"),
    ]
    eve_w47 = result.rows[1]
    assert eve_w47.logged == pytest.approx(60.05)  # 3603 / 60
    assert eve_w47.logged_pct == pytest.approx(120.1)  # 60.05 / 50


def test_weekly_and_overall_rates():
    result = compliance(dataset(), RULES, RESOURCES)
    w46, w47 = result.by_week
    # W46: Eve ok, Fay ok, Gus missing -> 2 of 3 = 66.67 %.
    assert (w46.week, w46.people) == (W46, 3)
    assert w46.counts == {"missing": 1, "under": 0, "ok": 2, "over": 0, "on_leave": 0}
    assert w46.rate_pct == pytest.approx(200 / 3)
    # W47: Eve over, Fay under, Gus missing -> 0 of 3.
    assert w47.counts == {"missing": 1, "under": 1, "ok": 0, "over": 1, "on_leave": 0}
    assert w47.rate_pct == 0
    # 2 ok person-weeks of 6.
    assert overall_rate(result) == pytest.approx(100 / 3)


def test_a_looser_over_limit_changes_the_verdict():
    # At 125 %, Eve's 120.1 % week is ok.
    result = compliance(dataset(), ReportRules(weeks=2, over_logged_pct=125), RESOURCES)
    assert [r.status for r in result.rows if r.person.id == "eve"] == ["ok", "ok"]


def test_status_boundaries_in_whole_minutes():
    # 37.5 h contract = 2250 min; 120 % of it = 2700 min.
    assert status_of(0, 37.5, 120) == "missing"
    assert status_of(1, 37.5, 120) == "under"
    assert status_of(2249, 37.5, 120) == "under"
    assert status_of(2250, 37.5, 120) == "ok"
    assert status_of(2700, 37.5, 120) == "ok"
    assert status_of(2701, 37.5, 120) == "over"
    # 8.3 h x 60 = 498 min exactly, though 8.3 * 60 is 498.00000000000006 in floating point.
    assert status_of(498, 8.3, 120) == "ok"
    assert status_of(497, 8.3, 120) == "under"
    # A zero-hour contract: anything logged is over, nothing logged is missing.
    assert status_of(0, 0, 120) == "missing"
    assert status_of(30, 0, 120) == "over"


def test_a_sunday_report_judges_the_week_it_ends():
    # as_of Sunday 22nd: W47 has ended, so it is judged, with the 40 h logged that Sunday.
    result = compliance(
        Dataset(
            as_of=nov(22),
            people={"fay": PersonRow("fay", "Fay", "fay@example.com")},
            time_entries=[time("fay", nov(22), 2400)],
        ),
        RULES,
        RESOURCES,
    )
    assert [(r.week, r.status) for r in result.rows] == [(W46, "missing"), (W47, "ok")]


def test_nobody_on_the_roster_leaves_rates_undefined():
    result = compliance(Dataset(as_of=AS_OF), RULES, RESOURCES)
    assert [w.rate_pct for w in result.by_week] == [None, None]
    assert overall_rate(result) is None


# --- approvals, tolerance, holidays and leave ---------------------------------------------------
#
# December 2026, as_of Wednesday 30th, weeks=2: W51 (Mon 14th .. Sun 20th) and W52 (Mon 21st ..
# Sun 27th). German public holidays: Friday 25th (Christmas Day) is a weekday, Saturday 26th is
# the weekend anyway. Everyone's contract is 40 h over Monday-Friday: 8 h a day, so W52 expects
# 32 h of anyone not on leave. Default rules: submitted and approved time counts, 0.5 h (30 min)
# tolerance, over at 120 %.

GERMANY = calendar_for(CalendarSettings(holidays=PublicHolidays(country="DE")), 2026, 2026)
W51, W52 = date(2026, 12, 14), date(2026, 12, 21)


def dec(day: int) -> date:
    return date(2026, 12, day)


def entry(person: str, day: int, minutes: int, approval: str | None) -> TimeRow:
    return TimeRow(person, "p1", dec(day), minutes, approval=approval)


def december() -> Dataset:
    return Dataset(
        as_of=dec(30),
        people={
            p: PersonRow(p, p.title(), f"{p}@example.com")
            for p in ("ivy", "jon", "kim", "lou", "max")
        },
        time_entries=[
            # Ivy W51: 2385 min = 39.75 h of 40, 15 min short, inside 30 min: ok.
            entry("ivy", 14, 2385, "approved"),
            # Ivy W52: 1920 min = 32 h submitted = the 32 h Christmas week expects: ok.
            entry("ivy", 21, 1920, "submitted"),
            # Jon W51: 24 h approved counts; 16 h still in draft do not: 24 h of 40 -> under.
            entry("jon", 14, 1440, "approved"),
            entry("jon", 15, 960, "draft"),
            # Jon W52: 32 h all rejected: nothing counts -> missing (32 h not counted).
            entry("jon", 21, 1920, "rejected"),
            # Kim W52: 16 h from a tool without approvals (always counts) = expected: ok.
            entry("kim", 23, 960, None),
            # Lou W51: 28 h = 40 less 12 h of part-day leave: ok.
            entry("lou", 14, 1680, "approved"),
            # Lou W52: 40 h, 125 % of the 32 h expected (120 % = 38.4 h): over.
            entry("lou", 21, 2400, "approved"),
            # Max W51: 40 h: ok; W52 all on leave or holiday.
            entry("max", 14, 2400, "approved"),
        ],
        leave=[
            # Kim: all of W51 on leave (5 days x 8 h); W52 Mon 21 and Tue 22 (16 h): 32 - 16 = 16.
            LeaveRow("kim", dec(14), dec(18)),
            LeaveRow("kim", dec(21), dec(22), kind="annual"),
            # Lou: 4 h a day Mon 14 .. Wed 16 = 12 h: W51 expects 40 - 12 = 28 h.
            LeaveRow("lou", dec(14), dec(16), hours_per_day=4),
            # Max: 21 Dec .. 1 Jan. In W52 the working days are 21-24 (32 h of leave) and the
            # 25th is a holiday (8 h): nothing is expected, so the week is "on leave".
            LeaveRow("max", dec(21), date(2027, 1, 1)),
        ],
    )


def test_holidays_leave_approvals_and_tolerance():
    result = compliance(december(), ReportRules(weeks=2), Resources(), GERMANY)
    assert result.weeks == [W51, W52]
    got = [
        (r.person.id, r.week, r.expected, r.holiday_hours, r.leave_hours, r.logged, r.uncounted)
        + (r.status,)
        for r in result.rows
    ]
    assert got == [
        ("ivy", W51, 40, 0, 0, 39.75, 0, "ok"),
        ("ivy", W52, 32, 8, 0, 32, 0, "ok"),
        ("jon", W51, 40, 0, 0, 24, 16, "under"),
        ("jon", W52, 32, 8, 0, 0, 32, "missing"),
        ("kim", W51, 0, 0, 40, 0, 0, "on_leave"),
        ("kim", W52, 16, 8, 16, 16, 0, "ok"),
        ("lou", W51, 28, 0, 12, 28, 0, "ok"),
        ("lou", W52, 32, 8, 0, 40, 0, "over"),
        ("max", W51, 40, 0, 0, 40, 0, "ok"),
        ("max", W52, 0, 8, 32, 0, 0, "on_leave"),
    ]
    assert result.rows[7].logged_pct == pytest.approx(125)  # Lou W52: 40 / 32
    w51, w52 = result.by_week
    # W51: Ivy, Lou, Max ok, Jon under, Kim on leave: 3 of the 4 judged = 75 %.
    assert w51.counts == {"missing": 0, "under": 1, "ok": 3, "over": 0, "on_leave": 1}
    assert w51.rate_pct == pytest.approx(75)
    # W52: Ivy, Kim ok; Jon missing; Lou over; Max on leave: 2 of 4 = 50 %.
    assert w52.rate_pct == pytest.approx(50)
    # 5 compliant of the 8 person-weeks judged (10 less 2 on leave).
    assert overall_rate(result) == pytest.approx(62.5)


def test_without_the_calendar_and_leave_the_same_weeks_read_short():
    # The PLAIN calendar and no leave: 40 h expected every week. Ivy's 32 h Christmas week is
    # short, Kim's leave week is missing, Lou's 28 h week is short.
    dataset = december()
    dataset.leave = []
    result = compliance(dataset, ReportRules(weeks=2), Resources(), PLAIN)
    status = {(r.person.id, r.week): r.status for r in result.rows}
    assert (status["ivy", W52], status["kim", W51], status["lou", W51]) == (
        "under",
        "missing",
        "under",
    )


def test_over_can_be_compliant_and_approvals_are_configurable():
    rules = ReportRules(
        weeks=2,
        compliance=ComplianceRules(count_approvals=["approved"], over_is_compliant=True),
    )
    result = compliance(december(), rules, Resources(), GERMANY)
    status = {(r.person.id, r.week): (r.status, r.compliant) for r in result.rows}
    # Only approved time counts now: Ivy's submitted 32 h in W52 is not counted -> missing.
    assert status["ivy", W52] == ("missing", False)
    # Kim's entry has no approval state (its tool has none): it still counts.
    assert status["kim", W52] == ("ok", True)
    # Lou's over week is still shown as over, but compliant.
    assert status["lou", W52] == ("over", True)
    # W52: Kim and Lou compliant of 4 judged = 50 %.
    assert result.by_week[1].rate_pct == pytest.approx(50)


def test_tolerance_in_hours_or_percent_whichever_is_larger():
    # 40 h = 2400 min. 0.5 h tolerance = 30 min: 2370 ok, 2369 under.
    half_hour = ComplianceRules(tolerance_hours=0.5)
    assert tolerance_minutes(2400, half_hour) == 30
    assert status_of(2370, 40, 120, tolerance_minutes(2400, half_hour)) == "ok"
    assert status_of(2369, 40, 120, tolerance_minutes(2400, half_hour)) == "under"
    # 5 % of 2400 min = 120 min beats 30 min: 2280 ok, 2279 under.
    five_pct = ComplianceRules(tolerance_hours=0.5, tolerance_pct=5)
    assert tolerance_minutes(2400, five_pct) == 120
    assert status_of(2280, 40, 120, 120) == "ok"
    assert status_of(2279, 40, 120, 120) == "under"
    # A week with nothing expected is on leave, whatever it holds.
    assert status_of(0, 0, 120, on_leave=True) == "on_leave"


def test_the_report_shows_expected_hours_and_leaves_weeks_on_leave_unchased():
    context = ReportContext(
        name="timesheets",
        kind="timesheet_compliance",
        title="Timesheets",
        generated_at=datetime(2026, 12, 30, 7, 0, tzinfo=UTC),
        rules=ReportRules(weeks=2),
        calendar=GERMANY,
    )
    doc = builder("timesheet_compliance")(december(), context)
    chase = doc.section("non_compliant").rows
    # Newest week first: Jon W52 (missing, his 32 h rejected), Lou W52 (over), Jon W51 (under).
    # Kim's and Max's weeks on leave are not chased.
    assert [
        (r["person"], r["week"], r["holiday_hours"], r["leave_hours"], r["expected"])
        + (r["logged"], r["uncounted"], r["status"])
        for r in chase
    ] == [
        ("Jon", "2026-W52", 8, 0, 32, 0, 32, "missing"),
        ("Lou", "2026-W52", 8, 0, 32, 40, 0, "over"),
        ("Jon", "2026-W51", 0, 0, 40, 24, 16, "under"),
    ]
    figures = {f.key: f.value for f in doc.figures}
    assert (figures["on_leave"], figures["non_compliant"], figures["compliance_pct"]) == (
        2,
        3,
        pytest.approx(62.5),
    )
    weeks = doc.section("weeks").rows
    assert [(w["on_leave"], w["compliance_pct"]) for w in weeks] == [(1, 75.0), (1, 50.0)]
