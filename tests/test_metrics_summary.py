"""What changed between two reports (``metrics.summary``), worked by hand on plain values."""

from __future__ import annotations

from datetime import date

from pmosync.reports.metrics.calendar import PLAIN, WorkingCalendar
from pmosync.reports.metrics.summary import (
    RECOVERED,
    TURNED_RED,
    RagChange,
    Slip,
    change,
    milestone_slips,
    rag_changes,
    slip_days,
    value_at,
)


def d(month: int, day: int) -> date:
    return date(2026, month, day)


def test_turned_red_and_recovered():
    before = {"a": "green", "b": "amber", "c": "red", "d": "amber", "e": "red", "f": "blue"}
    now = {
        "a": "red",  # green -> red: turned red
        "b": "red",  # amber -> red: turned red
        "c": "green",  # red -> green: recovered
        "d": "green",  # amber -> green: recovered
        "e": "amber",  # red -> amber: better, but not recovered
        "f": "green",  # blue (on hold) -> green: not a recovery
        "g": "red",  # unknown before: nothing claimed
    }
    assert rag_changes(before, now) == [
        RagChange("a", "green", "red", TURNED_RED),
        RagChange("b", "amber", "red", TURNED_RED),
        RagChange("c", "red", "green", RECOVERED),
        RagChange("d", "amber", "green", RECOVERED),
    ]
    assert rag_changes({"a": "red"}, {"a": "red"}) == []


def test_rag_changes_of_an_old_or_odd_snapshot_are_none():
    assert rag_changes(None, {"a": "red"}) == []
    assert rag_changes(["a"], {"a": "red"}) == []  # type: ignore[arg-type]
    assert rag_changes({"a": 3}, {"a": "red"}) == []


def test_milestone_slips_against_the_previous_report_then_the_baseline():
    before = {"m1": "2026-03-17", "m2": "2026-03-20", "m3": "2026-03-20", "m4": "bad"}
    now = {
        # Tuesday 03-17 -> Friday 03-20: 03-18, 03-19, 03-20 = 3 working days
        "m1": d(3, 20),
        # pulled in: no slip
        "m2": d(3, 18),
        # Friday 03-20 -> Sunday 03-22: no working day added, no slip
        "m3": d(3, 22),
        # an odd date before, and a baseline of Friday 03-13 -> Monday 03-16: 1 working day
        "m4": d(3, 16),
        # not in the previous report: its baseline, Monday 03-02 -> Monday 03-16: 10
        "m5": d(3, 16),
        # neither in the previous report nor baselined: nothing to compare with
        "m6": d(4, 1),
    }
    baseline = {"m4": d(3, 13), "m5": d(3, 2), "m1": d(1, 1)}
    assert milestone_slips(before, now, baseline) == [
        Slip("m5", d(3, 2), d(3, 16), 10, "baseline"),
        Slip("m1", d(3, 17), d(3, 20), 3, "previous report"),
        Slip("m4", d(3, 13), d(3, 16), 1, "baseline"),
    ]


def test_a_slip_counts_working_days_of_the_calendar_and_a_threshold():
    # Thursday 04-02 -> Tuesday 04-07 with Good Friday 04-03 and Easter Monday 04-06 off:
    # only Tuesday 04-07 is a working day in between
    easter = WorkingCalendar(holidays=frozenset({d(4, 3), d(4, 6)}))
    assert milestone_slips({"m": "2026-04-02"}, {"m": d(4, 7)}, {}, easter) == [
        Slip("m", d(4, 2), d(4, 7), 1, "previous report")
    ]
    # the plain calendar counts Friday, Monday and Tuesday: 3
    assert milestone_slips({"m": "2026-04-02"}, {"m": d(4, 7)}, {}, PLAIN)[0].working_days == 3
    assert milestone_slips({"m": "2026-04-02"}, {"m": d(4, 7)}, {}, easter, threshold=2) == []


def test_slip_days_signed():
    assert slip_days(d(3, 20), d(3, 17)) == 3
    assert slip_days(d(3, 17), d(3, 20)) == -3
    assert slip_days(d(3, 22), d(3, 20)) == 0  # Friday -> Sunday
    assert slip_days(None, d(3, 20)) is None and slip_days(d(3, 20), None) is None


def test_change_of_a_figure():
    trend = {"projects": 4, "rag_computed": {"red": 1}, "flag": True, "pct": None}
    assert change(6, trend, "projects") == 2
    assert change(0, trend, "rag_computed", "red") == -1
    assert change(3, None, "projects") is None  # first run
    assert change(3, trend, "missing") is None  # an older snapshot without the figure
    assert change(None, trend, "projects") is None  # undefined now
    assert change(1, trend, "flag") is None and change(1.0, trend, "pct") is None
    assert value_at(trend, "rag_computed", "red", "deeper") is None
