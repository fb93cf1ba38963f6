"""Governance findings per check, each switched on and off, against findings listed by hand.

as_of is Wednesday 25 November 2026; status updates are due every 14 days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from pmosync.config.reports import GOVERNANCE_CHECKS, GovernanceRules
from pmosync.reports.dataset import BudgetRow, Dataset, ProjectRow, StatusRow, TaskRow
from pmosync.reports.metrics.governance import Finding, governance_findings, governed_projects

AS_OF = date(2026, 11, 25)
APOLLO_URL = "https://app.asana.com/0/1"
T1_URL = "https://app.asana.com/0/1/11"


def posted(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 30, tzinfo=UTC)


def task(tid: str, name: str, **fields) -> TaskRow:
    return TaskRow(id=tid, project_id="apollo", name=name, **fields)


def dataset() -> Dataset:
    governed = {"owner_id": "ann", "start_date": date(2026, 1, 5), "due_date": date(2027, 3, 1)}
    return Dataset(
        as_of=AS_OF,
        projects=[
            # Apollo lacks everything a project can lack.
            ProjectRow("apollo", "asana", "Apollo", APOLLO_URL, due_date=date(2027, 1, 1)),
            # Borealis is in order; its update is exactly 14 days old (11th): still in time.
            ProjectRow("borealis", "asana", "Borealis", **governed),
            # Completed and archived projects are exempt however bare.
            ProjectRow("cassini", "asana", "Cassini", status="completed"),
            ProjectRow("delta", "asana", "Delta", status="archived"),
            # Echo is on hold (not exempt): no dates; its update is 15 days old (10th).
            ProjectRow("echo", "planner", "Echo", owner_id="bob", status="on_hold"),
            # Foxtrot never posted a status update.
            ProjectRow("foxtrot", "planner", "Foxtrot", **governed),
        ],
        budgets=[
            BudgetRow("borealis", Decimal("1000"), currency="EUR"),
            BudgetRow("echo", Decimal("200"), measure="hours"),
            BudgetRow("foxtrot", Decimal("1"), currency="EUR"),
        ],
        status_updates=[
            StatusRow("apollo", posted(date(2026, 10, 1))),
            StatusRow("apollo", posted(date(2026, 12, 1))),  # after as_of: did not exist yet
            StatusRow("borealis", posted(date(2026, 11, 2))),
            StatusRow("borealis", posted(date(2026, 11, 11))),
            StatusRow("echo", posted(date(2026, 11, 10))),
        ],
        tasks=[
            task("t1", "Write spec", source_url=T1_URL, due_date=date(2026, 11, 20)),
            task("t2", "Assigned late", due_date=date(2026, 11, 2), assignee_ids=("ann",)),
            task("t3", "Done late", status="done", due_date=date(2026, 11, 2)),
            task("t4", "Due today", due_date=AS_OF),
            task("t5", "No due date"),
            task("t6", "Started late", status="in_progress", due_date=date(2026, 10, 26)),
            task("m1", "Go live", is_milestone=True),
            task("m2", "Kick-off", is_milestone=True, due_date=date(2026, 12, 1)),
            task("m3", "Sign-off", is_milestone=True, status="done"),
            task("m4", "Late gate", is_milestone=True, due_date=date(2026, 11, 1)),
            TaskRow("c1", "cassini", "Bare", due_date=date(2026, 1, 1)),
            TaskRow("c2", "cassini", "Bare milestone", is_milestone=True),
        ],
    )


def finding(
    rule: str,
    project: str,
    detail: str,
    item: str = "",
    url: str | None = None,
    task_id: str | None = None,
):
    return Finding(rule, project.lower(), project, item, detail, url, task_id)


# Day counts: 1 October to 25 November = 30 (rest of October) + 25 = 55 days;
# 10 November to 25 November = 15 days (one over 14); 20 November -> 5 days overdue;
# 26 October -> 30 days overdue.
EXPECTED = [
    finding("owner", "Apollo", "project has no owner", url=APOLLO_URL),
    finding("dates", "Apollo", "no start date", url=APOLLO_URL),
    finding("budget", "Apollo", "project has no budget", url=APOLLO_URL),
    finding(
        "status_update", "Apollo", "no status update since 2026-10-01 (55 days)", url=APOLLO_URL
    ),
    finding(
        "unassigned_overdue",
        "Apollo",
        "due 2026-10-26 (30 days overdue), no assignee",
        "Started late",
        APOLLO_URL,  # the task has no link of its own: the project's
        "t6",
    ),
    finding(
        "unassigned_overdue",
        "Apollo",
        "due 2026-11-20 (5 days overdue), no assignee",
        "Write spec",
        T1_URL,
        "t1",
    ),
    finding(
        "undated_milestones", "Apollo", "milestone has no due date", "Go live", APOLLO_URL, "m1"
    ),
    finding("dates", "Echo", "no start or due date"),
    finding("status_update", "Echo", "no status update since 2026-11-10 (15 days)"),
    finding("status_update", "Foxtrot", "no status update posted"),
]


def test_all_checks_find_exactly_the_listed_gaps():
    assert governance_findings(dataset(), GovernanceRules()) == EXPECTED


@pytest.mark.parametrize("check", GOVERNANCE_CHECKS)
def test_each_check_runs_only_when_switched_on(check):
    only = governance_findings(dataset(), GovernanceRules(checks=[check]))
    assert only == [f for f in EXPECTED if f.rule == check]
    assert only  # the dataset gives every check something to find
    others = [c for c in GOVERNANCE_CHECKS if c != check]
    without = governance_findings(dataset(), GovernanceRules(checks=others))
    assert without == [f for f in EXPECTED if f.rule != check]


def test_no_checks_no_findings():
    assert governance_findings(dataset(), GovernanceRules(checks=[])) == []


def test_completed_and_archived_projects_are_exempt():
    assert [p.id for p in governed_projects(dataset())] == [
        "apollo",
        "borealis",
        "echo",
        "foxtrot",
    ]
    assert {f.project_id for f in governance_findings(dataset(), GovernanceRules())}.isdisjoint(
        {"cassini", "delta"}
    )


def test_status_update_window_follows_the_rules():
    # With 15 days allowed, Echo's 15-day-old update is in time; Apollo's 55-day one is not.
    findings = governance_findings(
        dataset(), GovernanceRules(checks=["status_update"], status_update_days=15)
    )
    assert [f.project for f in findings] == ["Apollo", "Foxtrot"]


def test_an_update_after_as_of_does_not_count():
    # Rerun the same data as of 2 December: Apollo's 1 December update is then 1 day old;
    # Borealis's of 11 November is 21 days old.
    later = dataset()
    later.as_of = date(2026, 12, 2)
    findings = governance_findings(later, GovernanceRules(checks=["status_update"]))
    assert [(f.project, f.detail) for f in findings] == [
        ("Borealis", "no status update since 2026-11-11 (21 days)"),
        ("Echo", "no status update since 2026-11-10 (22 days)"),
        ("Foxtrot", "no status update posted"),
    ]


def test_no_status_update_is_asked_of_a_project_whose_tool_has_none():
    # Foxtrot never posted one; as a premium plan (or a Planner plan without a status source)
    # its team could not have. Apollo (1 October, 55 days) and Echo (15 days) are still late.
    data = dataset()
    data.projects = [
        p._replace(has_status_updates=False) if p.id == "foxtrot" else p for p in data.projects
    ]
    findings = governance_findings(data, GovernanceRules(checks=["status_update"]))
    assert [(f.project, f.detail) for f in findings] == [
        ("Apollo", "no status update since 2026-10-01 (55 days)"),
        ("Echo", "no status update since 2026-11-10 (15 days)"),
    ]
