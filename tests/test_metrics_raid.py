"""RAID metrics over a RAID log built by hand; every expected figure is worked out in the
comments from the rows typed in here."""

from __future__ import annotations

from datetime import date

from pmosync.reports.dataset import RaidRow
from pmosync.reports.metrics.raid import (
    change_request_outcome,
    change_requests,
    counts_by_kind,
    decisions_awaited,
    heat_map,
    high_risks,
    known_by,
    new_top_risks,
    open_of_kind,
    overdue_issues,
    raised_between,
    top_risks,
)

AS_OF = date(2026, 11, 23)  # a Monday
D = date


def item(id_: str, kind: str, status: str = "open", **fields) -> RaidRow:
    return RaidRow(id=id_, project_id="p1", kind=kind, title=id_, status=status, **fields)


RISKS = [
    item("r1", "risk", probability=5, impact=4, score=20, due_date=D(2026, 12, 1),
         raised_on=D(2026, 11, 17)),
    item("r2", "risk", "in_progress", probability=3, impact=5, score=15,
         due_date=D(2026, 11, 30), raised_on=D(2026, 11, 23)),
    item("r3", "risk", probability=4, impact=4, score=16, raised_on=D(2026, 11, 16)),
    item("r4", "risk", probability=2, impact=2, score=4, due_date=D(2026, 11, 25),
         raised_on=D(2026, 11, 18)),
    item("r5", "risk", probability=5, impact=4, score=20, due_date=D(2026, 11, 28),
         raised_on=D(2026, 11, 20)),
    item("r6", "risk", "closed", probability=5, impact=5, score=25, raised_on=D(2026, 11, 19)),
    item("r7", "risk"),  # no rating, no score
    item("r8", "risk", score=12, raised_on=D(2026, 11, 21)),  # the source's score, no ratings
]  # fmt: skip
ISSUES = [
    item("i1", "issue", due_date=D(2026, 11, 13)),  # a Friday
    item("i2", "issue", "in_progress", due_date=D(2026, 11, 22)),
    item("i3", "issue", due_date=AS_OF),  # due today: not overdue yet
    item("i4", "issue", "closed", due_date=D(2026, 11, 1)),
    item("i5", "issue"),  # no due date
    item("i6", "issue", due_date=D(2026, 10, 31)),
]
DECISIONS = [
    item("d1", "decision", raised_on=D(2026, 11, 1), due_date=D(2026, 11, 20)),
    item("d2", "decision", raised_on=D(2026, 11, 16), due_date=D(2026, 11, 30)),
    item("d3", "decision", raised_on=D(2026, 11, 10), due_date=D(2026, 12, 1)),
    item("d4", "decision", "in_progress"),
    item("d5", "decision", "closed", raised_on=D(2026, 11, 1), due_date=D(2026, 11, 2)),
    item("d6", "decision", raised_on=D(2026, 10, 1)),
]
CHANGES = [
    item("c1", "change_request"),
    item("c2", "change_request", "in_progress"),
    item("c3", "change_request", "closed", resolution="Approved by the board on 2026-11-10"),
    item("c4", "change_request", "closed", resolution="rejected: out of budget"),
    item("c5", "change_request", "closed", resolution="Withdrawn by the requester"),
    item("c6", "change_request", "closed"),
    item("c7", "change_request", "closed", resolution="  APPROVED."),
    item("c8", "change_request", "closed", resolution="Not approved"),  # first word: "not"
]
ASSUMPTIONS = [
    item("a1", "assumption", score=6, due_date=D(2026, 12, 15)),
    item("a2", "assumption", "closed"),
]
LOG = RISKS + ISSUES + DECISIONS + CHANGES + ASSUMPTIONS


def ids(rows) -> list[str]:
    return [r.id for r in rows]


def test_top_risks_are_open_risks_by_score_then_due_date_unscored_last():
    # open risks: r1 20 (due 12-01), r2 15, r3 16 (no due), r4 4, r5 20 (due 11-28), r7 none,
    # r8 12; r6 is closed. 20s tie: r5 is due first.
    assert ids(top_risks(LOG, None)) == ["r5", "r1", "r3", "r2", "r8", "r4", "r7"]
    assert ids(top_risks(LOG, 3)) == ["r5", "r1", "r3"]
    assert ids(high_risks(LOG)) == ["r5", "r1", "r3", "r2"]  # score >= 15
    assert ids(high_risks(LOG, 10)) == ["r5", "r1", "r3", "r2", "r8"]


def test_heat_map_counts_open_rated_risks_and_the_unrated_ones():
    matrix = heat_map(LOG)
    # open and rated: r1 (5,4), r5 (5,4), r3 (4,4), r2 (3,5), r4 (2,2); r6 is closed;
    # r7 and r8 lack a rating (r8 has a score of its own, but no place on the grid)
    assert matrix.counts == {(5, 4): 2, (4, 4): 1, (3, 5): 1, (2, 2): 1}
    assert matrix.unrated == 2
    assert matrix.rated == 5
    assert matrix.grid() == (
        (0, 0, 0, 2, 0),  # probability 5; impact 1..5 left to right
        (0, 0, 0, 1, 0),  # 4
        (0, 0, 0, 0, 1),  # 3
        (0, 1, 0, 0, 0),  # 2
        (0, 0, 0, 0, 0),  # 1
    )


def test_a_rating_off_the_scale_is_unrated_not_off_the_grid():
    odd = [item("x", "risk", probability=7, impact=3), item("y", "risk", probability=0, impact=2)]
    matrix = heat_map(odd)
    assert (matrix.counts, matrix.unrated) == ({}, 2)


def test_overdue_issues_count_calendar_days_most_overdue_first():
    overdue = overdue_issues(LOG, AS_OF)
    # i6: 2026-10-31 -> 11-23 = 23 days; i1: 11-13 -> 11-23 = 10 calendar days (6 working
    # days: calendar days it is); i2: 11-22 -> 11-23 = 1. i3 is due today, i4 closed, i5 undated.
    assert [(o.item.id, o.days) for o in overdue] == [("i6", 23), ("i1", 10), ("i2", 1)]


def test_decisions_awaited_with_age_due_in_and_state():
    awaited = decisions_awaited(LOG, AS_OF, warning_days=7)
    got = [(a.item.id, a.age_days, a.due_in_days, a.state) for a in awaited]
    assert got == [
        ("d1", 22, -3, "overdue"),  # raised 11-01 (22 days), due 11-20 (3 days ago)
        ("d2", 7, 7, "due soon"),  # due 11-30: 7 days, within the 7 (inclusive)
        ("d3", 13, 8, None),  # due 12-01: 8 days out
        ("d6", 53, None, None),  # undated: oldest first; 10-01 -> 11-23 = 30 + 23 days
        ("d4", None, None, None),  # no raised date, no due date: last
    ]
    # a warning window of 8 days takes in d3 too
    assert [a.state for a in decisions_awaited(LOG, AS_OF, 8)][:3] == [
        "overdue",
        "due soon",
        "due soon",
    ]


def test_items_and_top_risks_raised_in_a_period():
    week = (D(2026, 11, 17), AS_OF)  # both days included
    # raised 11-17 r1, 11-18 r4, 11-19 r6, 11-20 r5, 11-21 r8, 11-23 r2; r3 is 11-16
    assert ids(raised_between(LOG, *week)) == ["r1", "r4", "r6", "r5", "r8", "r2"]
    # open risks of those scoring 15 or more: r1 20, r5 20, r2 15 (r6 closed, r8 12, r4 4)
    assert ids(new_top_risks(LOG, *week)) == ["r5", "r1", "r2"]
    assert ids(new_top_risks(LOG, *week, threshold=20)) == ["r5", "r1"]


def test_known_by_hides_items_raised_after_the_report_day_not_undated_ones():
    later = item("late", "risk", raised_on=D(2026, 11, 24))
    assert ids(known_by([later, RISKS[0], RISKS[6]], AS_OF)) == ["r1", "r7"]


def test_counts_by_kind_and_status_with_zeros():
    counts = counts_by_kind(LOG)
    assert counts["risk"] == {"open": 6, "in_progress": 1, "closed": 1}  # r1 r3 r4 r5 r7 r8
    assert counts["issue"] == {"open": 4, "in_progress": 1, "closed": 1}
    assert counts["decision"] == {"open": 4, "in_progress": 1, "closed": 1}
    assert counts["change_request"] == {"open": 1, "in_progress": 1, "closed": 6}
    assert counts["assumption"] == {"open": 1, "in_progress": 0, "closed": 1}
    assert counts_by_kind([])["risk"] == {"open": 0, "in_progress": 0, "closed": 0}


def test_change_request_outcomes_from_status_and_the_resolutions_first_word():
    outcomes = {c.id: change_request_outcome(c) for c in CHANGES}
    assert outcomes == {
        "c1": "open",
        "c2": "open",
        "c3": "approved",
        "c4": "rejected",
        "c5": "closed",
        "c6": "closed",
        "c7": "approved",
        "c8": "closed",  # "Not approved" does not start with an outcome word
    }
    assert change_requests(LOG) == {"open": 2, "approved": 2, "rejected": 1, "closed": 3}


def test_open_assumptions_by_score():
    assert ids(open_of_kind(LOG, "assumption")) == ["a1"]
