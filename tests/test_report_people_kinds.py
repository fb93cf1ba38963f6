"""The utilisation, timesheet compliance and governance reports as documents.

Each builder gets a hand-built Dataset and its figures, rows and chart series are checked against
values worked out by hand, at full precision (the document is not rounded: renderers round).
Calendar: as_of Wednesday 25 November 2026; weeks=2 judges W46 (9th-15th) and W47 (16th-22nd).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from pmosync.config.models import Resources
from pmosync.config.reports import GovernanceRules, ReportRules
from pmosync.reports.dataset import (
    AllocationRow,
    BudgetRow,
    Dataset,
    LeaveRow,
    PersonRow,
    ProjectRow,
    StatusRow,
    TaskRow,
    TimeRow,
)
from pmosync.reports.document import ReportDocument, TrendPoint
from pmosync.reports.kinds import ReportContext, builder
from pmosync.reports.metrics.calendar import WorkingCalendar

AS_OF = date(2026, 11, 25)
GENERATED = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
APOLLO_URL = "https://app.asana.com/0/1"
T1_URL = "https://app.asana.com/0/1/11"


def nov(day: int) -> date:
    return date(2026, 11, day)


def time(person: str, day: date, minutes: int) -> TimeRow:
    return TimeRow(person_id=person, project_id="p1", entry_date=day, minutes=minutes)


def context(kind: str, history=(), **fields) -> ReportContext:
    return ReportContext(
        name="weekly-people",
        kind=kind,
        title="People report",
        generated_at=GENERATED,
        filters={"teams": ["Ops"]},
        history=tuple(history),
        **fields,
    )


def figures(doc: ReportDocument) -> dict:
    return {f.key: (f.value, f.rag) for f in doc.figures}


def chart(doc: ReportDocument, key: str) -> dict:
    found = next(c for c in doc.charts if c.key == key)
    return {"kind": found.kind, "x": found.x, **{s.name: s.values for s in found.series}}


def assert_well_formed(doc: ReportDocument) -> None:
    """Slug keys, every column present in every row, and an exact JSON round trip."""
    for section in doc.sections:
        assert re.fullmatch(r"[a-z0-9_]+", section.key)
        keys = {c.key for c in section.columns} | {c.link for c in section.columns if c.link}
        assert all(keys <= set(row) for row in section.rows), section.key
    assert ReportDocument.from_json(json.loads(json.dumps(doc.to_json()))) == doc


# --- resource utilisation ---------------------------------------------------------------------


def utilisation_dataset() -> Dataset:
    return Dataset(
        as_of=AS_OF,
        people={
            "ana": PersonRow("ana", "Ana", "ana@example.com"),  # 30 h contract
            "ben": PersonRow("ben", "Ben", "ben@example.com"),  # 40 h default
            "cid": PersonRow("cid", "Cid", "cid@example.com", active=False),
        },
        allocations=[
            # 60 h over Thu 12th .. Wed 18th (5 working days): W46 2 days = 24 h, W47 3 = 36 h.
            AllocationRow("ana", "p1", nov(12), nov(18), hours=60),
            # 50 % of 40 h from Wed 18th: W47 3 working days -> 20 x 3/5 = 12 h.
            AllocationRow("ben", "p1", nov(18), nov(30), percent=50),
        ],
        time_entries=[
            time("ana", nov(10), 720),  # W46 12 h
            time("ben", nov(9), 2400),  # W46 40 h
            time("ben", nov(17), 1560),  # W47 26 h
            time("cid", nov(17), 1560),  # inactive
        ],
    )


def test_utilisation_report():
    history = [
        TrendPoint("2026-11-11", {"utilisation_pct": 70.0, "allocation_pct": 80.0}),
        TrendPoint("2026-11-18", {"utilisation_pct": 65.5}),  # an older run without allocation
    ]
    ctx = context(
        "resource_utilisation",
        history,
        rules=ReportRules(weeks=2, under_use_pct=60),
        resources=Resources(capacity={"ana@example.com": 30}),
    )
    doc = builder("resource_utilisation")(utilisation_dataset(), ctx)
    assert (doc.report, doc.kind, doc.title) == (
        "weekly-people",
        "resource_utilisation",
        "People report",
    )
    assert (doc.as_of, doc.generated_at) == ("2026-11-25", "2026-11-25T07:00:00+00:00")
    assert doc.filters == {"teams": ["Ops"]}

    # Ana W46: 24 of 30 h allocated = 80 %, 12 logged = 40 % (under 60 %: under-used).
    # Ana W47: 36 allocated = 120 % (over), 0 logged = 0 % (under-used).
    # Ben W46: 0 allocated, 40 logged = 100 %. Ben W47: 12 allocated = 30 %, 26 logged = 65 %.
    assert [
        tuple(r[k] for k in ("person", "week", "capacity", "allocated", "logged"))
        + tuple(r[k] for k in ("utilisation_pct", "allocation_pct", "over_allocated", "under_used"))
        for r in doc.section("person_weeks").rows
    ] == [
        ("Ana", "2026-W46", 30.0, 24.0, 12.0, 40.0, 80.0, False, True),
        ("Ana", "2026-W47", 30.0, 36.0, 0.0, 0.0, 120.0, True, True),
        ("Ben", "2026-W46", 40.0, 0.0, 40.0, 100.0, 0.0, False, False),
        ("Ben", "2026-W47", 40.0, 12.0, 26.0, 65.0, 30.0, False, False),
    ]
    # Ana: 60 h capacity, 60 allocated (100 %), 12 logged (20 %); 1 week over, 2 under.
    # Ben: 80 h capacity, 12 allocated (15 %), 66 logged (82.5 %).
    assert doc.section("people").rows == (
        {
            "person": "Ana",
            "email": "ana@example.com",
            "holiday_hours": 0.0,  # no holidays or leave in November (PLAIN calendar)
            "leave_hours": 0.0,
            "capacity": 60.0,
            "allocated": 60.0,
            "logged": 12.0,
            "utilisation_pct": 20.0,
            "allocation_pct": 100.0,
            "weeks_over_allocated": 1,
            "weeks_under_used": 2,
        },
        {
            "person": "Ben",
            "email": "ben@example.com",
            "holiday_hours": 0.0,
            "leave_hours": 0.0,
            "capacity": 80.0,
            "allocated": 12.0,
            "logged": 66.0,
            "utilisation_pct": 82.5,
            "allocation_pct": 15.0,
            "weeks_over_allocated": 0,
            "weeks_under_used": 0,
        },
    )
    # W46: capacity 70, allocated 24 (34.29 %), logged 52 (74.29 %).
    # W47: capacity 70, allocated 48 (68.57 %), logged 26 (37.14 %).
    weeks = doc.section("weeks").rows
    assert [(w["week"], w["utilisation_pct"], w["allocation_pct"]) for w in weeks] == [
        pytest.approx(("2026-W46", 5200 / 70, 2400 / 70)),  # full precision: renderers round
        pytest.approx(("2026-W47", 2600 / 70, 4800 / 70)),
    ]
    assert [(w["over_allocated"], w["under_used"]) for w in weeks] == [(0, 1), (1, 1)]
    # All: capacity 140, allocated 72 (51.43 %), logged 78 (55.71 %).
    # Forward (default 4 weeks, W48-W51): capacity (30 + 40) x 4 = 280 h; Ben's 50 % books
    # W48 5 days = 20 h and W49 (Mon 30 Nov only) 1 day = 4 h: 24 / 280 planned.
    assert figures(doc) == {
        "people": (2, None),
        "over_capacity": (0, None),  # Ben's 40 h of 40 is full, not over
        "over_allocated": (1, "amber"),
        "under_used": (2, "amber"),
        "utilisation_pct": pytest.approx((7800 / 140, None)),
        "allocation_pct": pytest.approx((7200 / 140, None)),
        "planned_pct": pytest.approx((2400 / 280, None)),
        "logged_hours": (78.0, None),
    }
    assert len(doc.figures) <= 8
    assert doc.trend == {
        "people": 2,
        "utilisation_pct": pytest.approx(7800 / 140),
        "allocation_pct": pytest.approx(7200 / 140),
        "logged_hours": 78.0,
        "over_allocated": 1,
        "under_used": 2,
        "over_capacity": 0,
        "planned_pct": pytest.approx(2400 / 280),
    }
    assert chart(doc, "utilisation_by_week") == {
        "kind": "bar",
        "x": ("2026-W46", "2026-W47", "2026-W48 plan", "2026-W49 plan")
        + ("2026-W50 plan", "2026-W51 plan"),
        "Utilisation %": pytest.approx((5200 / 70, 2600 / 70, None, None, None, None)),
        # Forward allocation = planned here (no task estimates): W48 20 / 70, W49 4 / 70.
        "Allocation %": pytest.approx((2400 / 70, 4800 / 70, 2000 / 70, 400 / 70, 0, 0)),
        "Planned %": pytest.approx((None, None, 2000 / 70, 400 / 70, 0, 0)),
    }
    assert chart(doc, "utilisation_trend") == {
        "kind": "line",
        "x": ("2026-11-11", "2026-11-18", "2026-11-25"),
        "Utilisation %": pytest.approx((70.0, 65.5, 7800 / 140)),
        "Allocation %": pytest.approx((80.0, None, 7200 / 140)),  # a gap, not a 0
    }
    assert doc.section("person_weeks").html_limit and doc.section("people").html_limit
    assert_well_formed(doc)


# --- timesheet compliance ---------------------------------------------------------------------


def compliance_dataset() -> Dataset:
    return Dataset(
        as_of=AS_OF,
        people={
            "eve": PersonRow("eve", "Eve", "eve@example.com"),  # 50 h contract
            "fay": PersonRow("fay", "Fay", "fay@example.com"),
            "gus": PersonRow("gus", None, "gus@example.com"),  # no name: shown by email
        },
        time_entries=[
            time("eve", nov(10), 3000),  # W46 50 h = 100 % -> ok
            time("eve", nov(17), 3606),  # W47 60.1 h = 120.2 % -> over
            time("fay", nov(11), 2400),  # W46 40 h -> ok
            time("fay", nov(18), 1200),  # W47 20 h = 50 % -> under
            time("gus", nov(24), 2400),  # the week in progress only: missing twice
        ],
    )


def test_timesheet_compliance_report():
    history = [TrendPoint("2026-11-18", {"compliance_pct": 50.0, "last_week_pct": 40.0})]
    ctx = context(
        "timesheet_compliance",
        history,
        rules=ReportRules(weeks=2, over_logged_pct=120),
        resources=Resources(capacity={"eve@example.com": 50}),
    )
    doc = builder("timesheet_compliance")(compliance_dataset(), ctx)
    assert doc.section("status").rows == (
        {"person": "Eve", "email": "eve@example.com", "contract": 50.0}
        | {"week_1": "ok", "week_2": "over"},
        {"person": "Fay", "email": "fay@example.com", "contract": 40.0}
        | {"week_1": "ok", "week_2": "under"},
        {"person": "gus@example.com", "email": "gus@example.com", "contract": 40.0}
        | {"week_1": "missing", "week_2": "missing"},
    )
    assert [c.title for c in doc.section("status").columns[3:]] == ["2026-W46", "2026-W47"]
    # W46: 2 of 3 ok = 66.67 %; W47: none ok.
    assert [
        (w["week"], w["ok"], w["under"], w["over"], w["missing"], w["compliance_pct"])
        for w in doc.section("weeks").rows
    ] == [pytest.approx(("2026-W46", 2, 0, 0, 1, 200 / 3)), ("2026-W47", 0, 1, 1, 1, 0.0)]
    # Newest week first, then by person.
    assert [
        (r["person"], r["week"], r["logged"], r["logged_pct"], r["status"])
        for r in doc.section("non_compliant").rows
    ] == [
        pytest.approx(("Eve", "2026-W47", 60.1, 120.2, "over")),
        ("Fay", "2026-W47", 20.0, 50.0, "under"),
        ("gus@example.com", "2026-W47", 0.0, 0.0, "missing"),
        ("gus@example.com", "2026-W46", 0.0, 0.0, "missing"),
    ]
    # 2 ok person-weeks of 6 = 33.3 %.
    assert figures(doc) == {
        "people": (3, None),
        "on_leave": (0, None),  # nobody's week is all holidays and leave
        "non_compliant": (4, "amber"),
        "missing": (2, "red"),
        "under": (1, "amber"),
        "over": (1, "amber"),
        "last_week_pct": (0.0, None),
        "compliance_pct": pytest.approx((100 / 3, None)),
    }
    assert doc.trend == {
        "people": 3,
        "compliance_pct": pytest.approx(100 / 3),  # the JSON keeps 1/3; renderers show 33.3
        "last_week_pct": 0.0,
        "missing": 2,
        "under": 1,
        "ok": 2,
        "over": 1,
        "on_leave": 0,
    }
    assert chart(doc, "compliance_by_week") == {
        "kind": "bar",
        "x": ("2026-W46", "2026-W47"),
        "Compliance %": pytest.approx((200 / 3, 0.0)),
    }
    assert chart(doc, "status_by_week") == {
        "kind": "stacked_bar",
        "x": ("2026-W46", "2026-W47"),
        "ok": (2.0, 0.0),
        "under": (0.0, 1.0),
        "over": (0.0, 1.0),
        "missing": (1.0, 1.0),
        "on_leave": (0.0, 0.0),
    }
    assert chart(doc, "compliance_trend") == {
        "kind": "line",
        "x": ("2026-11-18", "2026-11-25"),
        "Compliance %": pytest.approx((50.0, 100 / 3)),
        "Last week %": (40.0, 0.0),
    }
    assert doc.section("non_compliant").html_limit and doc.section("status").html_limit
    assert_well_formed(doc)


# --- governance -------------------------------------------------------------------------------


def governance_dataset() -> Dataset:
    dates = {"start_date": date(2026, 1, 5), "due_date": date(2027, 3, 1)}
    return Dataset(
        as_of=AS_OF,
        projects=[
            # No owner, no budget (budget check is off), one overdue unassigned task.
            ProjectRow("apollo", "asana", "Apollo", APOLLO_URL, **dates),
            ProjectRow("borealis", "asana", "Borealis", owner_id="ann", **dates),
            ProjectRow("cassini", "asana", "Cassini", status="completed"),  # exempt
            ProjectRow("echo", "planner", "Echo", owner_id="bob", **dates),  # no update ever
        ],
        budgets=[BudgetRow("borealis", Decimal("10"), currency="EUR")],
        status_updates=[
            StatusRow("apollo", datetime(2026, 11, 20, tzinfo=UTC)),
            StatusRow("borealis", datetime(2026, 11, 20, tzinfo=UTC)),
        ],
        tasks=[
            TaskRow("t1", "apollo", "Write spec", T1_URL, due_date=nov(20)),
            TaskRow("t2", "apollo", "Review", due_date=nov(20), assignee_ids=("ann",)),
        ],
    )


def test_governance_report():
    checks = ["owner", "dates", "status_update", "unassigned_overdue", "undated_milestones"]
    history = [TrendPoint("2026-11-18", {"findings": 5, "projects_with_findings": 3})]
    ctx = context(
        "governance", history, rules=ReportRules(governance=GovernanceRules(checks=checks))
    )
    doc = builder("governance")(governance_dataset(), ctx)
    assert doc.section("findings").rows == (
        {
            "check": "No owner",
            "rule": "owner",
            "project": "Apollo",
            "project_url": APOLLO_URL,
            "item": "",
            "url": None,  # about the project: its link is in project_url, not the item's
            "detail": "project has no owner",
        },
        {
            "check": "Overdue task without assignee",
            "rule": "unassigned_overdue",
            "project": "Apollo",
            "project_url": APOLLO_URL,
            "item": "Write spec",
            "url": T1_URL,
            "detail": "due 2026-11-20 (5 days overdue), no assignee",
        },
        {
            "check": "No recent status update",
            "rule": "status_update",
            "project": "Echo",
            "project_url": None,
            "item": "",
            "url": None,
            "detail": "no status update posted",
        },
    )
    assert doc.section("findings").note == "Checks switched off: no budget."
    assert [(r["rule"], r["findings"], r["projects"]) for r in doc.section("by_rule").rows] == [
        ("owner", 1, 1),
        ("dates", 0, 0),
        ("status_update", 1, 1),
        ("unassigned_overdue", 1, 1),
        ("undated_milestones", 0, 0),
    ]
    assert doc.section("by_project").rows == (
        {
            "project": "Apollo",
            "url": APOLLO_URL,
            "status": "active",
            "findings": 2,
            "owner": 1,
            "dates": 0,
            "status_update": 0,
            "unassigned_overdue": 1,
            "undated_milestones": 0,
        },
        {
            "project": "Echo",
            "url": None,
            "status": "active",
            "findings": 1,
            "owner": 0,
            "dates": 0,
            "status_update": 1,
            "unassigned_overdue": 0,
            "undated_milestones": 0,
        },
    )
    assert figures(doc) == {
        "findings": (3, "amber"),
        "projects_with_findings": (2, "amber"),
        "projects_checked": (3, None),  # Apollo, Borealis, Echo
        "projects_exempt": (1, None),  # Cassini
    }
    assert doc.trend == {
        "findings": 3,
        "projects_with_findings": 2,
        "projects_checked": 3,
        "by_rule": {
            "owner": 1,
            "dates": 0,
            "status_update": 1,
            "unassigned_overdue": 1,
            "undated_milestones": 0,
        },
    }
    assert chart(doc, "findings_by_rule") == {
        "kind": "bar",
        "x": (
            "No owner",
            "Missing start or due date",
            "No recent status update",
            "Overdue task without assignee",
            "Milestone without due date",
        ),
        "Findings": (1.0, 0.0, 1.0, 1.0, 0.0),
    }
    assert chart(doc, "findings_trend") == {
        "kind": "line",
        "x": ("2026-11-18", "2026-11-25"),
        "Findings": (5.0, 3.0),
        "Projects with findings": (3.0, 2.0),
    }
    assert doc.section("findings").html_limit and doc.section("by_project").html_limit
    assert_well_formed(doc)


@pytest.mark.parametrize("kind", ["resource_utilisation", "timesheet_compliance", "governance"])
def test_an_empty_dataset_gives_an_empty_report_not_an_error(kind):
    doc = builder(kind)(Dataset(as_of=AS_OF), context(kind))
    assert all(not s.rows for s in doc.sections if s.key not in {"weeks", "by_rule"})
    assert_well_formed(doc)
    if kind == "timesheet_compliance":
        # Nobody to judge: the rate is undefined, not 0 % and not 100 %.
        assert figures(doc)["compliance_pct"] == (None, None)


def test_governance_xlsx_never_shows_an_address_for_an_empty_name():
    import io

    import openpyxl

    from pmosync.reports.render import render_files

    task_url = "https://app.asana.com/0/1/12"
    dataset = Dataset(
        as_of=AS_OF,
        projects=[ProjectRow("apollo", "asana", "Apollo", APOLLO_URL)],  # no owner, no dates
        tasks=[TaskRow("t9", "apollo", "", task_url, due_date=nov(20))],  # overdue, no name
    )
    rules = ReportRules(governance=GovernanceRules(checks=["owner", "unassigned_overdue"]))
    doc = builder("governance")(dataset, context("governance", rules=rules))
    (xlsx,) = render_files(doc, ["xlsx"])
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["Findings"]
    header = [c.value for c in sheet[1]]
    assert header == ["Project", "Project URL", "Check", "Task or milestone",
                      "Task or milestone URL", "Detail", "Rule"]  # fmt: skip
    rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]
    owner, task = rows
    # by hand: the owner finding is about the project: no task name, no task link; the
    # project's address is in "Project URL" and on the project's name, never in the task cell
    assert (owner["Check"].value, owner["Task or milestone"].value) == ("No owner", None)
    assert owner["Task or milestone"].hyperlink is None
    assert owner["Task or milestone URL"].value is None
    assert owner["Project"].hyperlink.target == APOLLO_URL
    assert owner["Project URL"].value == APOLLO_URL
    # the overdue task has an empty name: it reads "(no name)", linked to the task's own page
    assert task["Task or milestone"].value == "(no name)"
    assert task["Task or milestone"].hyperlink.target == task_url
    assert task["Task or milestone URL"].value == task_url


# --- the capacity heat map ----------------------------------------------------------------------
#
# As of Sunday 22 November 2026 (W47 has just ended). rules.weeks=3: past W45 (Mon 2 .. Sun 8),
# W46 (9 .. 15), W47 (16 .. 22); forward_weeks=2: W48 (23 .. 29), W49 (Mon 30 Nov .. Sun 6 Dec).
# Thursday 19 November is a closure day (a holiday); Ben takes Tuesday 10 November off.
# Ana: 40 h contract (8 h a day), role Developer. Ben: 30 h (6 h a day), no role configured.
# Projects: p1 team Web, p2 team Data.


def heat_dataset() -> Dataset:
    def logged(person: str, project: str, day: date, hours: float) -> TimeRow:
        return TimeRow(person, project, day, round(hours * 60))

    return Dataset(
        as_of=nov(22),
        projects=[
            ProjectRow("p1", "asana", "Website", team="Web"),
            ProjectRow("p2", "asana", "Warehouse", team="Data"),
        ],
        people={
            "ana": PersonRow("ana", "Ana", "ana@example.com"),
            "ben": PersonRow("ben", "Ben", "ben@example.com"),
        },
        time_entries=[
            logged("ana", "p1", nov(3), 60),  # W45 60 h
            logged("ana", "p1", nov(10), 40),  # W46 40 h
            logged("ana", "p1", nov(17), 16),  # W47 16 h
            logged("ben", "p2", nov(4), 15),  # W45 15 h (on Data)
            logged("ben", "p1", nov(11), 24),  # W46 24 h
            logged("ben", "p1", nov(18), 25.2),  # W47 25.2 h
        ],
        leave=[LeaveRow("ben", nov(10), nov(10))],
        allocations=[
            # 50 % of Ana's 8 h days, Mon 23 Nov .. Fri 4 Dec: 5 days a week x 4 h = 20 h a week.
            AllocationRow("ana", "p1", nov(23), date(2026, 12, 4), percent=50),
        ],
        tasks=[
            # 60 h, 20 % done: 48 h left, Wed 25 Nov .. Wed 2 Dec = 6 working days (25, 26, 27,
            # 30, 1, 2) -> 8 h a day: W48 3 days = 24 h, W49 3 days = 24 h.
            TaskRow(
                "t1", "p1", "Build checkout", status="in_progress",
                start_date=nov(25), due_date=date(2026, 12, 2),
                percent_complete=20, estimate_hours=60, assignee_ids=("ana",),
            ),
            # Undated, open, 6 h: loads the first forward week, W48.
            TaskRow("t2", "p2", "Fix loader", estimate_hours=6, assignee_ids=("ben",)),
            # Done: its estimate is not load.
            TaskRow(
                "t3", "p1", "Old work", status="done", due_date=nov(27), estimate_hours=99,
                assignee_ids=("ana",),
            ),
        ],
    )  # fmt: skip


def heat_context(**rules) -> ReportContext:
    return context(
        "resource_utilisation",
        rules=ReportRules(**{"weeks": 3, "forward_weeks": 2, **rules}),
        resources=Resources(capacity={"ben@example.com": 30}, roles={"ana@example.com": "Dev"}),
        calendar=WorkingCalendar(holidays=frozenset({nov(19)})),
    )


def test_the_heat_map_grid_matches_the_hand_figures():
    doc = builder("resource_utilisation")(heat_dataset(), heat_context())
    section = doc.section("heat_map")
    weeks = [c for c in section.columns if c.key.startswith("week_")]
    assert [c.title for c in weeks] == [
        "2026-W45", "2026-W46", "2026-W47", "2026-W48 plan", "2026-W49 plan"
    ]  # fmt: skip
    assert {c.shade for c in weeks} == {"utilisation"} and not any(c.detail for c in weeks)
    grid = {r["person"]: [r[c.key] for c in weeks] for r in section.rows}
    assert grid == {
        # Ana: W45 60 / 40 = 150 %; W46 40 / 40 = 100 %; W47 16 / (40 - 8 holiday) = 50 %;
        # W48: p1 allocation 20 h, p1 estimate 24 h -> the larger, 24 h / 40 = 60 %; W49 same.
        "Ana": pytest.approx([150, 100, 50, 60, 60]),
        # Ben: W45 15 / 30 = 50 %; W46 24 / (30 - 6 leave) = 100 %; W47 25.2 / (30 - 6
        # holiday) = 105 %; W48 the undated 6 h / 30 = 20 %; W49 nothing, 0 %.
        "Ben": pytest.approx([50, 100, 105, 20, 0]),
    }
    # Logged above capacity, newest week first, with the band word of the shading.
    assert [
        (r["person"], r["week"], r["logged"], r["capacity"], r["utilisation_pct"], r["band"])
        for r in doc.section("over_capacity").rows
    ] == [
        ("Ben", "2026-W47", pytest.approx(25.2), 24, pytest.approx(105), "over capacity"),
        ("Ana", "2026-W45", 60, 40, 150, "overloaded"),
    ]
    assert {f.key: f.value for f in doc.figures}["over_capacity"] == 2
    # Planned per person-week, in the files: Ana W48 allocation 20, estimates 24, planned 24.
    forward = doc.section("forward_weeks")
    assert forward.detail
    assert [(r["person"], r["week"], r["allocated"], r["estimated"], r["planned"]) for r in
            forward.rows] == [
        ("Ana", "2026-W48", pytest.approx(20), pytest.approx(24), pytest.approx(24)),
        ("Ana", "2026-W49", pytest.approx(20), pytest.approx(24), pytest.approx(24)),
        ("Ben", "2026-W48", 0, pytest.approx(6), pytest.approx(6)),
        ("Ben", "2026-W49", 0, 0, 0),
    ]  # fmt: skip
    assert_well_formed(doc)


def test_team_and_role_roll_ups_weigh_by_hours():
    doc = builder("resource_utilisation")(heat_dataset(), heat_context())
    keys = [f"week_{i}" for i in range(1, 6)]
    # Ben: Web (p1) 24 + 25.2 = 49.2 h against Data (p2) 15 logged + 6 planned = 21 h -> Web.
    # Ana: all on p1 -> Web. Web sums both: capacity W45 40 + 30 = 70, W46 40 + 24 = 64,
    # W47 32 + 24 = 56, W48 and W49 40 + 30 = 70.
    teams = {r["team"]: (r["people"], [r[k] for k in keys]) for r in doc.section("team_weeks").rows}
    assert teams == {
        "Web": (
            2,
            pytest.approx([75 / 70 * 100, 64 / 64 * 100, 41.2 / 56 * 100, 30 / 70 * 100,
                           24 / 70 * 100]),
        )
    }  # fmt: skip
    # Roles: Ana is "Dev"; Ben is not in resources.roles.
    roles = {r["role"]: [r[k] for k in keys] for r in doc.section("role_weeks").rows}
    assert roles == {
        "Dev": pytest.approx([150, 100, 50, 60, 60]),
        "No role": pytest.approx([50, 100, 105, 20, 0]),
    }


def test_html_shows_at_most_eight_columns_and_empty_parts_say_so():
    doc = builder("resource_utilisation")(heat_dataset(), heat_context(weeks=6))
    for section in doc.sections:
        if not section.detail:
            assert len([c for c in section.columns if not c.detail]) <= 8, section.key
    heat = doc.section("heat_map")
    # 6 past + 2 forward = 8 weeks: the 2 forward and the 5 newest past shown, W42 in the files.
    shown = [c.title for c in heat.columns if not c.detail]
    assert shown == ["Person", "2026-W43", "2026-W44", "2026-W45", "2026-W46", "2026-W47"] + [
        "2026-W48 plan",
        "2026-W49 plan",
    ]
    empty = builder("resource_utilisation")(Dataset(as_of=nov(22)), heat_context())
    assert empty.section("over_capacity").rows == () and empty.section("over_capacity").empty
    assert empty.section("heat_map").empty
