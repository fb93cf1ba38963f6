"""Utilisation per person per complete week, against figures worked out by hand.

Calendar used throughout (November 2026): as_of Wednesday 25th; with weeks=2 the complete weeks
are W46 (Mon 9th .. Sun 15th) and W47 (Mon 16th .. Sun 22nd); W48 (23rd ..) is in progress.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pmosync.config.models import Resources
from pmosync.config.organisation import CalendarSettings, PublicHolidays
from pmosync.config.reports import ReportRules
from pmosync.reports.dataset import (
    AllocationRow,
    Dataset,
    LeaveRow,
    PersonRow,
    TaskRow,
    TimeRow,
)
from pmosync.reports.kinds import ReportContext, builder
from pmosync.reports.metrics.calendar import PLAIN as PLAIN_CAL
from pmosync.reports.metrics.calendar import calendar_for
from pmosync.reports.metrics.capacity import leave_hours, week_hours
from pmosync.reports.metrics.forward_load import (
    forward_load,
    forward_weeks,
    open_estimates,
    spread_estimate,
)
from pmosync.reports.metrics.utilisation import (
    allocated_hours,
    by_person,
    by_week,
    totals,
    utilisation,
)

AS_OF = date(2026, 11, 25)
W46 = date(2026, 11, 9)
W47 = date(2026, 11, 16)
RULES = ReportRules(weeks=2, under_use_pct=60)
RESOURCES = Resources(weekly_capacity_hours=40, capacity={"ana@example.com": 30})


def nov(day: int) -> date:
    return date(2026, 11, day)


def time(person: str, day: date, minutes: int) -> TimeRow:
    return TimeRow(person_id=person, project_id="p1", entry_date=day, minutes=minutes)


def people() -> dict[str, PersonRow]:
    return {
        "ana": PersonRow("ana", "Ana", "Ana@Example.com"),  # capacity override 30 h
        "ben": PersonRow("ben", "Ben", "ben@example.com"),  # default 40 h
        "cid": PersonRow("cid", "Cid", "cid@example.com", active=False),
        "dee": PersonRow("dee", "Dee", "dee@example.com"),  # no time, no allocation
    }


def dataset() -> Dataset:
    return Dataset(
        as_of=AS_OF,
        people=people(),
        allocations=[
            # 60 h over Thu 12th .. Wed 18th: working days 12, 13, 16, 17, 18 = 5.
            # W46 overlap 12-13 = 2 days -> 60 x 2/5 = 24 h; W47 overlap 16-18 = 3 -> 36 h.
            AllocationRow("ana", "p1", nov(12), nov(18), hours=60),
            # 20 % of 30 h over all of November: every full week 0.2 x 30 x 5/5 = 6 h.
            AllocationRow("ana", "p2", nov(1), nov(30), percent=20),
            # 50 % of 40 h from Wed 18th: W47 overlap 18, 19, 20 = 3 days -> 0.5 x 40 x 3/5 = 12.
            AllocationRow("ben", "p1", nov(18), nov(30), percent=50),
            AllocationRow("cid", "p1", nov(1), nov(30), hours=500),  # inactive: never shown
        ],
        time_entries=[
            time("ana", nov(10), 600),  # W46 10 h
            time("ana", nov(14), 120),  # W46 Saturday 2 h -> W46 12 h
            time("ana", nov(16), 1080),  # W47 18 h
            time("ana", nov(8), 600),  # Sunday before the window: ignored
            time("ana", nov(23), 600),  # the week in progress: ignored
            time("ben", nov(9), 1200),
            time("ben", nov(13), 1200),  # W46 2400 min = 40 h
            time("ben", nov(20), 1500),  # W47 25 h
            time("cid", nov(10), 2400),  # inactive: ignored
        ],
    )


def test_person_weeks_match_the_hand_figures():
    result = utilisation(dataset(), RULES, RESOURCES)
    assert result.weeks == [W46, W47]
    assert [p.id for p in result.people] == ["ana", "ben", "dee"]  # Cid is inactive
    got = [
        (r.person.id, r.week, r.capacity, r.allocated, r.logged, r.utilisation_pct)
        + (r.allocation_pct, r.over_allocated, r.under_used)
        for r in result.rows
    ]
    assert got == [
        # Ana W46: allocated 24 + 6 = 30 of 30 -> 100 %, exactly at capacity: not over.
        # Logged 10 + 2 = 12 h of 30 -> 40 % < 60 %: under-used.
        ("ana", W46, 30, pytest.approx(30), 12, pytest.approx(40), pytest.approx(100), False, True),
        # Ana W47: allocated 36 + 6 = 42 of 30 -> 140 %: over. Logged 18 of 30 -> 60 %, exactly
        # the threshold: not under-used.
        ("ana", W47, 30, pytest.approx(42), 18, pytest.approx(60), pytest.approx(140), True, False),
        # Ben W46: nothing allocated; 40 h logged of 40 -> 100 %.
        ("ben", W46, 40, 0, 40, pytest.approx(100), 0, False, False),
        # Ben W47: 12 h allocated -> 30 %; 25 h logged -> 62.5 %.
        (
            "ben",
            W47,
            40,
            pytest.approx(12),
            25,
            pytest.approx(62.5),
            pytest.approx(30),
            False,
            False,
        ),
        # Dee: no time at all -> 0 % both weeks, under-used.
        ("dee", W46, 40, 0, 0, 0, 0, False, True),
        ("dee", W47, 40, 0, 0, 0, 0, False, True),
    ]


def test_person_and_week_totals_weigh_by_capacity():
    result = utilisation(dataset(), RULES, RESOURCES)
    ana = dict((p.id, t) for p, t in by_person(result))["ana"]
    # Ana over two weeks: capacity 60, allocated 30 + 42 = 72, logged 12 + 18 = 30.
    assert (ana.capacity, ana.allocated, ana.logged) == (60, pytest.approx(72), 30)
    assert ana.utilisation_pct == pytest.approx(50)  # 30 / 60
    assert ana.allocation_pct == pytest.approx(120)  # 72 / 60
    assert (ana.over_allocated, ana.under_used) == (1, 1)
    weeks = dict(by_week(result))
    # W46: capacity 30 + 40 + 40 = 110; logged 12 + 40 + 0 = 52 -> 47.27 %; allocated 30 -> 27.27 %
    assert weeks[W46].capacity == 110
    assert weeks[W46].utilisation_pct == pytest.approx(52 / 110 * 100)
    assert weeks[W46].allocation_pct == pytest.approx(30 / 110 * 100)
    # W47: logged 18 + 25 = 43; allocated 42 + 12 = 54.
    assert weeks[W47].utilisation_pct == pytest.approx(43 / 110 * 100)
    assert weeks[W47].allocation_pct == pytest.approx(54 / 110 * 100)
    overall = totals(result.rows)
    # 220 h capacity, 95 h logged, 84 h allocated; 1 over-allocated, 3 under-used person-weeks.
    assert overall.utilisation_pct == pytest.approx(95 / 220 * 100)
    assert overall.allocation_pct == pytest.approx(84 / 220 * 100)
    assert (overall.over_allocated, overall.under_used) == (1, 3)


def test_capacity_comes_from_resources_case_insensitively():
    # Ana's source email is mixed case; the configured key is lower case: 30 h, not 40.
    result = utilisation(dataset(), RULES, RESOURCES)
    assert {r.person.id: r.capacity for r in result.rows} == {"ana": 30, "ben": 40, "dee": 40}
    default_50 = Resources(weekly_capacity_hours=50)
    result = utilisation(dataset(), RULES, default_50)
    assert {r.person.id: r.capacity for r in result.rows} == {"ana": 50, "ben": 50, "dee": 50}


def test_hours_allocation_prorates_by_working_days():
    # 30 h over Fri 13th .. Tue 24th: working days 13, 16-20, 23, 24 = 8 -> 3.75 h per day.
    allocation = AllocationRow("x", "p", nov(13), nov(24), hours=30)
    assert allocated_hours(allocation, W46, 40) == pytest.approx(3.75)  # 1 day
    assert allocated_hours(allocation, W47, 40) == pytest.approx(18.75)  # 5 days
    assert allocated_hours(allocation, nov(23), 40) == pytest.approx(7.5)  # 2 days
    assert allocated_hours(allocation, nov(2), 40) == 0  # no overlap


def test_percent_allocation_prorates_by_working_days_of_overlap():
    # 25 % of 36 h = 9 h a full week; from Thu 12th: 2 working days in W46 -> 9 x 2/5 = 3.6 h.
    allocation = AllocationRow("x", "p", nov(12), nov(30), percent=25)
    assert allocated_hours(allocation, W46, 36) == pytest.approx(3.6)
    assert allocated_hours(allocation, W47, 36) == pytest.approx(9)


def test_odd_allocations_book_what_they_can_and_never_crash():
    # Weekend only: no working days, so 10 h spread over 2 calendar days, both in W46.
    assert allocated_hours(AllocationRow("x", "p", nov(14), nov(15), hours=10), W46, 40) == 10
    # Ending before it starts, or with neither hours nor percent: nothing.
    assert allocated_hours(AllocationRow("x", "p", nov(13), nov(9), hours=10), W46, 40) == 0
    assert allocated_hours(AllocationRow("x", "p", nov(9), nov(13)), W46, 40) == 0
    # Hours win over percent when a source sets both: 10 h over 5 working days, all in W46.
    both = AllocationRow("x", "p", nov(9), nov(13), hours=10, percent=100)
    assert allocated_hours(both, W46, 40) == 10


def test_zero_capacity_leaves_percentages_undefined():
    resources = Resources(capacity={"ben@example.com": 0})
    rows = [r for r in utilisation(dataset(), RULES, resources).rows if r.person.id == "ben"]
    assert [(r.utilisation_pct, r.allocation_pct, r.over_allocated) for r in rows] == [
        (None, None, False),
        (None, None, False),
    ]


def test_no_people_and_no_rows_give_empty_results():
    result = utilisation(Dataset(as_of=AS_OF), RULES, RESOURCES)
    assert result.rows == [] and result.people == []
    assert totals(result.rows).utilisation_pct is None
    assert [w for w, t in by_week(result) if t.utilisation_pct is not None] == []


# --- public holidays and leave -------------------------------------------------------------------
#
# December 2026, as_of Wednesday 30th, weeks=2: W51 (Mon 14th .. Sun 20th) and W52 (Mon 21st ..
# Sun 27th). German calendar: Friday 25th is Christmas Day (Saturday 26th is the weekend anyway),
# so W52 has 4 working days. 40 h contracts: 8 h a day, so W52 holds 32 h before leave.

GERMANY = calendar_for(CalendarSettings(holidays=PublicHolidays(country="DE")), 2026, 2027)
W51, W52 = date(2026, 12, 14), date(2026, 12, 21)


def dec(day: int) -> date:
    return date(2026, 12, day)


def december() -> Dataset:
    return Dataset(
        as_of=dec(30),
        people={p: PersonRow(p, p.title(), f"{p}@example.com") for p in ("ivy", "jon", "kim")},
        allocations=[
            # 56 h over Mon 21 .. Wed 30: working days 21, 22, 23, 24, 28, 29, 30 = 7 (25th a
            # holiday) -> 8 h a day; W52 overlap 21-24 = 4 days = 32 h.
            AllocationRow("ivy", "p1", dec(21), dec(30), hours=56),
            # 50 % over W51 and W52. W51: 0.5 x 5 days x 8 h = 20 h. W52: 4 working days less
            # Jon's day of leave = 3 days = 24 h -> 12 h.
            AllocationRow("jon", "p1", dec(14), dec(27), percent=50),
            # 20 h in Kim's week of leave: booked while away -> over-allocated.
            AllocationRow("kim", "p1", dec(14), dec(18), hours=20),
        ],
        time_entries=[TimeRow("ivy", "p1", dec(22), 1440)],  # Ivy W52: 24 h
        leave=[
            LeaveRow("jon", dec(22), dec(22)),  # Tue 22: a whole day, 8 h
            LeaveRow("kim", dec(14), dec(18), kind="annual"),  # all of W51: 40 h
        ],
    )


def test_capacity_is_the_contract_less_holidays_and_leave():
    result = utilisation(december(), ReportRules(weeks=2), Resources(), GERMANY)
    got = [
        (r.person.id, r.week, r.holiday_hours, r.leave_hours, r.capacity, r.allocated)
        + (r.allocation_pct, r.over_allocated)
        for r in result.rows
    ]
    assert got == [
        ("ivy", W51, 0, 0, 40, 0, 0, False),
        # 32 h booked of 32 h: exactly full, not over.
        ("ivy", W52, 8, 0, 32, pytest.approx(32), pytest.approx(100), False),
        ("jon", W51, 0, 0, 40, pytest.approx(20), pytest.approx(50), False),
        # 40 - 8 (Christmas) - 8 (leave) = 24 h; 12 h booked = 50 %.
        ("jon", W52, 8, 8, 24, pytest.approx(12), pytest.approx(50), False),
        # All of W51 on leave: capacity 0, 20 h booked -> over-allocated, % undefined.
        ("kim", W51, 0, 40, 0, pytest.approx(20), None, True),
        ("kim", W52, 8, 0, 32, 0, 0, False),
    ]
    ivy_w52 = result.rows[1]
    assert ivy_w52.utilisation_pct == pytest.approx(75)  # 24 h of 32
    # Kim's week of leave is not "under-used" (nothing to use); Ivy's W51 with 0 h is.
    assert [(r.person.id, r.week) for r in result.rows if r.under_used] == [
        ("ivy", W51),
        ("jon", W51),
        ("jon", W52),
        ("kim", W52),
    ]
    total = totals(result.rows)
    # Holidays: 3 people x 8 h in W52 = 24 h; leave 8 + 40 = 48 h; capacity 240 - 72 = 168.
    assert (total.holiday_hours, total.leave_hours, total.capacity) == (24, 48, 168)


def test_without_the_calendar_the_christmas_week_has_five_days():
    # PLAIN: 56 h over 8 working days (21-24, 25, 28-30) = 7 h a day; W52 has 5 -> 35 h of 40.
    allocation = AllocationRow("ivy", "p1", dec(21), dec(30), hours=56)
    assert allocated_hours(allocation, W52, 40) == pytest.approx(35)
    assert allocated_hours(allocation, W52, 40, GERMANY) == pytest.approx(32)


def test_leave_hours_cap_at_a_day_and_skip_days_off():
    daily = 8.0
    rows = [
        LeaveRow("x", dec(21), dec(21)),  # Mon 21 whole day: 8 h
        LeaveRow("x", dec(21), dec(22), hours_per_day=4),  # Mon 21 (day already full), Tue 4 h
        LeaveRow("x", dec(24), dec(27), hours_per_day=10),  # Thu 24: 10 h capped at 8; 25-27 off
    ]
    # Mon 8 + Tue 4 + Thu 8 = 20 h.
    assert leave_hours(rows, W52, dec(27), daily, GERMANY) == 20
    # The same week as the WeekHours of a 40 h contract: 8 h holiday, 20 h leave, 12 h left.
    hours = week_hours(40, W52, rows, GERMANY)
    assert (hours.holiday_hours, hours.leave_hours, hours.available) == (8, 20, 12)
    assert not hours.on_leave


def test_the_report_shows_holiday_and_leave_hours_beside_capacity():
    context = ReportContext(
        name="utilisation",
        kind="resource_utilisation",
        title="Utilisation",
        generated_at=datetime(2026, 12, 30, 7, 0, tzinfo=UTC),
        rules=ReportRules(weeks=2),
        calendar=GERMANY,
    )
    doc = builder("resource_utilisation")(december(), context)
    # Jon over W51 and W52: holidays 8 h, leave 8 h, capacity 40 + 24 = 64 h, allocated 32 h.
    jon = next(r for r in doc.section("people").rows if r["person"] == "Jon")
    assert (jon["holiday_hours"], jon["leave_hours"], jon["capacity"], jon["allocated"]) == (
        8,
        8,
        64,
        pytest.approx(32),
    )
    weeks = {w["week"]: w for w in doc.section("weeks").rows}
    # 3 people x 8 h of Christmas in W52; 40 h (Kim) of leave in W51, 8 h (Jon) in W52.
    assert [(w["holiday_hours"], w["leave_hours"]) for w in weeks.values()] == [(0, 40), (24, 8)]


# --- the forward view ----------------------------------------------------------------------------
#
# As of Wednesday 25 November 2026: the week in progress W48 (Mon 23rd) is the first forward
# week, then W49 (Mon 30th). Tomorrow is Thursday 26th.


def test_forward_weeks_start_with_the_week_in_progress():
    assert forward_weeks(AS_OF, 2) == [nov(23), nov(30)]
    # On a Sunday the week has ended: the forward view starts the next Monday.
    assert forward_weeks(nov(22), 1) == [nov(23)]
    assert forward_weeks(AS_OF, 0) == []


def test_open_estimates_spread_from_tomorrow_to_the_due_date():
    weeks = [nov(23), nov(30)]
    # Started Mon 16th, due Tue 1 Dec: from tomorrow Thu 26th: 26, 27, 30, 1 = 4 working days;
    # 10 h of 40 done (25 %): 30 h left -> 7.5 h a day: W48 2 days = 15 h, W49 2 days = 15 h.
    late_start = TaskRow(
        "a", "p1", "A", start_date=nov(16), due_date=date(2026, 12, 1), percent_complete=25,
        estimate_hours=40, assignee_ids=("ana",),
    )  # fmt: skip
    [(task, left)] = open_estimates([late_start])
    assert left == 30
    assert spread_estimate(task, left, AS_OF, weeks, PLAIN_CAL) == {nov(23): 15, nov(30): 15}
    # Overdue (due Mon 23rd, before tomorrow) and undated: all of it in the first forward week.
    overdue = late_start._replace(id="b", due_date=nov(23))
    assert spread_estimate(overdue, 30, AS_OF, weeks, PLAIN_CAL) == {nov(23): 30}
    undated = late_start._replace(id="c", due_date=None, start_date=None)
    assert spread_estimate(undated, 30, AS_OF, weeks, PLAIN_CAL) == {nov(23): 30}
    # Due beyond the window: only the window's share (26, 27 | 30 .. 4 | 7 .. 11 = 12 days).
    far = late_start._replace(id="d", due_date=date(2026, 12, 11))
    assert spread_estimate(far, 12, AS_OF, weeks, PLAIN_CAL) == {nov(23): 2, nov(30): 5}


def test_only_open_assigned_leaf_estimates_are_load():
    def task(id: str, **fields) -> TaskRow:
        return TaskRow(id, "p1", id, **{"estimate_hours": 8, "assignee_ids": ("ana",), **fields})

    tasks = [
        task("parent"),  # its open subtask carries an estimate: the subtask counts, not it
        task("child", parent_id="parent"),
        task("done", status="done"),
        task("milestone", is_milestone=True),
        task("nobody", assignee_ids=()),
        task("no_estimate", estimate_hours=None),
        task("finished_by_percent", percent_complete=100),  # nothing left
        task("over_reported", percent_complete=140),  # capped at 100 %: nothing left
    ]
    assert [(t.id, left) for t, left in open_estimates(tasks)] == [("child", 8)]


def test_allocation_and_estimates_on_one_project_count_the_larger_once():
    data = Dataset(
        as_of=nov(22),  # Sunday: W48 (23 .. 29) is the first forward week
        people={"ana": PersonRow("ana", "Ana", "ana@example.com")},  # 30 h (RESOURCES)
        allocations=[AllocationRow("ana", "p1", nov(23), nov(27), hours=10)],  # W48 10 h
        tasks=[
            # p1: 15 h due Fri 27th: all 5 days of W48 -> larger than the 10 h allocation.
            TaskRow("t1", "p1", "x", due_date=nov(27), estimate_hours=15, assignee_ids=("ana",)),
            # p2: 6 h shared by Ana and someone outside the roster: Ana carries 3 h.
            TaskRow(
                "t2", "p2", "y", due_date=nov(27), estimate_hours=6, assignee_ids=("ana", "zed")
            ),
        ],
    )
    [week] = forward_load(data, 1, RESOURCES).rows
    # p1 max(10, 15) = 15; p2 max(0, 3) = 3 -> 18 h of 30 = 60 %.
    assert (week.allocated, week.estimated, week.planned) == (10, 18, 18)
    assert week.planned_pct == pytest.approx(60)
    assert not week.over_capacity
