"""Timesheet compliance per person per complete week, against statuses worked out by hand.

Calendar (November 2026): as_of Wednesday 25th; with weeks=2 the complete weeks are W46
(Mon 9th .. Sun 15th) and W47 (Mon 16th .. Sun 22nd); W48 (from Mon 23rd) is in progress.
"""

from __future__ import annotations

from datetime import date

import pytest

from pmosync.config.models import Resources
from pmosync.config.reports import ReportRules
from pmosync.reports.dataset import Dataset, PersonRow, TimeRow
from pmosync.reports.metrics.compliance import compliance, overall_rate, status_of

AS_OF = date(2026, 11, 25)
W46 = date(2026, 11, 9)
W47 = date(2026, 11, 16)
RULES = ReportRules(weeks=2, over_logged_pct=120)
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
    assert w46.counts == {"missing": 1, "under": 0, "ok": 2, "over": 0}
    assert w46.rate_pct == pytest.approx(200 / 3)
    # W47: Eve over, Fay under, Gus missing -> 0 of 3.
    assert w47.counts == {"missing": 1, "under": 1, "ok": 0, "over": 1}
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
