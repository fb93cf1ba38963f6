"""Reported and computed RAG: which update counts, each rule's threshold and reason, the worst
rule winning, fixed colours for paused and finished projects, and disagreement."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from pmosync.config.reports import RagRules
from pmosync.reports.dataset import ProjectRow, StatusRow
from pmosync.reports.metrics.rag import computed_rag, latest_update, project_rag

AS_OF = date(2026, 3, 16)
RULES = RagRules()  # slip 10/25 %, overdue milestones 1/2, CPI 0.95/0.85, stale after 14 days
PROJECT = ProjectRow(id="p", source="asana", name="Apollo", rag="amber")
FRESH = date(2026, 3, 10)  # 6 days before as_of


def update(day: date, rag: str | None, hour: int = 9) -> StatusRow:
    return StatusRow("p", datetime(day.year, day.month, day.day, hour), rag)


def compute(slip=None, overdue=0, cpi=None, last=FRESH, project=PROJECT):
    return computed_rag(project, slip, overdue, cpi, last, AS_OF, RULES)


def test_reported_is_the_latest_update_on_or_before_as_of():
    updates = [
        update(date(2026, 3, 1), "green"),
        update(date(2026, 3, 16), "red", hour=23),  # on as_of: counts
        update(date(2026, 3, 17), "green"),  # after as_of: did not exist yet
    ]
    rag = project_rag(PROJECT, updates, None, 0, None, AS_OF, RULES)
    assert rag.reported == "red"
    assert rag.last_update == date(2026, 3, 16)


def test_reported_falls_back_to_the_project_field():
    assert project_rag(PROJECT, [], None, 0, None, AS_OF, RULES).reported == "amber"
    # the latest update carries no RAG: the project's own field still says something
    no_rag = [update(date(2026, 3, 15), None)]
    assert project_rag(PROJECT, no_rag, None, 0, None, AS_OF, RULES).reported == "amber"


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
    # 2 overdue milestones -> computed red; the team says green
    rag = project_rag(PROJECT, updates, None, 2, None, AS_OF, RULES)
    assert (rag.reported, rag.computed, rag.disagrees) == ("green", "red", True)
    agree = project_rag(PROJECT, [update(FRESH, "red")], None, 2, None, AS_OF, RULES)
    assert agree.disagrees is False
    silent = ProjectRow(id="p", source="asana", name="x")  # no field, no update
    unknown = project_rag(silent, [], None, 0, None, AS_OF, RULES)
    assert (unknown.reported, unknown.computed, unknown.disagrees) == (None, "amber", False)


def test_custom_rules_move_the_thresholds():
    rules = RagRules(slip_amber_pct=5, slip_red_pct=5, status_stale_days=30)
    # 5 % slip is red when both thresholds are 5; a 20-day-old update is fresh under 30
    result = computed_rag(PROJECT, 5.0, 0, None, AS_OF - timedelta(days=20), AS_OF, rules)
    assert result == ("red", ("schedule slip 5.0% at or above 5%",))


def test_utc_update_on_as_of_counts():
    late = StatusRow("p", datetime(2026, 3, 16, 23, 59, tzinfo=UTC), "red")
    assert latest_update([late], AS_OF) is late
