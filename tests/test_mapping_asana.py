"""Asana records in the API's own shapes become the canonical records a PMO report needs.

Every raw dict below is written by hand in the shape Asana returns for the connector's
opt_fields (see the spec in ../shared/specs/asana_oas.yaml); every expected value is worked out
by hand from it, never computed by the mapper's own helpers.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from asana_spec import asana_spec_path

from pmosync.canonical import (
    Allocation,
    Assignment,
    Budget,
    PersonIdentity,
    Phase,
    Portfolio,
    PortfolioItem,
    Project,
    StatusUpdate,
    Task,
    TimeEntry,
)
from pmosync.mapping import Mapped, MappingError, Tombstone
from pmosync.mapping.asana import AsanaMapper
from pmosync.mapping.asana.custom_fields import KNOWN_TYPES

SOURCE = "asana-eng"

ALICE = {"gid": "1100", "resource_type": "user", "name": "Alice Ng", "email": "alice@x.org"}
BOB = {"gid": "1101", "resource_type": "user", "name": "Bob Roy"}


def ident(gid: str) -> str:
    return PersonIdentity.ref(SOURCE, gid)


def mapper(**fields: str) -> AsanaMapper:
    return AsanaMapper(SOURCE, fields=fields)


def only(result: Mapped):
    assert result.tombstones == []
    assert len(result.records) == 1
    return result.records[0]


# --- custom field shapes, as GET /projects and /tasks return them ---------------------------


def enum_field(gid: str, name: str, option: str | None) -> dict:
    value = {"gid": f"{gid}9", "resource_type": "enum_option", "name": option} if option else None
    return {
        "gid": gid,
        "resource_type": "custom_field",
        "name": name,
        "type": "enum",
        "resource_subtype": "enum",
        "enum_value": value,
        "display_value": option,
    }


def number_field(gid: str, name: str, value: float | None, **extra) -> dict:
    return {
        "gid": gid,
        "resource_type": "custom_field",
        "name": name,
        "type": "number",
        "resource_subtype": "number",
        "number_value": value,
        "precision": 0,
        "display_value": None if value is None else str(value),
        **extra,
    }


def date_field(gid: str, name: str, day: str | None) -> dict:
    return {
        "gid": gid,
        "resource_type": "custom_field",
        "name": name,
        "type": "date",
        "resource_subtype": "date",
        "date_value": {"date": day, "date_time": None} if day else None,
        "display_value": day,
    }


# --- users, portfolios, portfolio items -------------------------------------------------------


def test_user_becomes_a_person_identity_with_its_email_lower_cased():
    raw = {"gid": "1100", "name": "Alice Ng", "email": "Alice@X.org", "resource_type": "user"}
    identity = only(mapper().map("users", raw))
    assert identity == PersonIdentity(
        source=SOURCE, source_id="1100", name="Alice Ng", email="alice@x.org"
    )
    assert identity.id == ident("1100")


def test_portfolio_with_owner_and_link():
    raw = {
        "gid": "1200000000000099",
        "name": "Engineering",
        "owner": ALICE,
        "permalink_url": "https://app.asana.com/0/portfolio/1200000000000099/list",
        "created_at": "2025-11-03T08:00:00.000Z",
        "archived": False,
    }
    portfolio = only(mapper().map("portfolios", raw))
    assert portfolio == Portfolio(
        source=SOURCE,
        source_id="1200000000000099",
        name="Engineering",
        owner_identity_id=ident("1100"),
        source_url="https://app.asana.com/0/portfolio/1200000000000099/list",
    )
    assert portfolio.updated_at is None


def test_portfolio_item_joins_portfolio_and_project():
    raw = {"gid": "1300", "name": "Website", "resource_type": "project", "_portfolio": "1299"}
    item = only(mapper().map("portfolio_items", raw))
    assert isinstance(item, PortfolioItem)
    assert item.source_id == "1299:1300"
    assert item.portfolio_id == Portfolio.ref(SOURCE, "1299")
    assert item.project_id == Project.ref(SOURCE, "1300")


def test_portfolio_item_without_its_portfolio_context_is_refused():
    with pytest.raises(MappingError, match="_portfolio"):
        mapper().map("portfolio_items", {"gid": "1300", "name": "Website"})


# --- projects ---------------------------------------------------------------------------------


def project_raw(**changes) -> dict:
    raw = {
        "gid": "1300",
        "name": "Website relaunch",
        "owner": ALICE,
        "team": {"gid": "77", "name": "Web"},
        "start_on": "2026-01-05",
        "due_on": "2026-06-30",
        "due_date": "2026-06-30",
        "completed": False,
        "completed_at": None,
        "archived": False,
        "created_at": "2025-12-01T09:15:00.000Z",
        "modified_at": "2026-02-10T16:45:30.250Z",
        "permalink_url": "https://app.asana.com/0/1300/list",
        "current_status_update": {
            "gid": "1390",
            "resource_type": "status_update",
            "status_type": "at_risk",
            "created_at": "2026-02-09T10:00:00.000Z",
            "title": "Week 6",
        },
        "custom_fields": [],
    }
    raw.update(changes)
    return raw


def test_project_fields():
    project = only(mapper().map("projects", project_raw()))
    assert project == Project(
        source=SOURCE,
        source_id="1300",
        name="Website relaunch",
        owner_identity_id=ident("1100"),
        team="Web",
        status="active",
        rag="amber",
        start_date=date(2026, 1, 5),
        due_date=date(2026, 6, 30),
        created_at=datetime(2025, 12, 1, 9, 15, tzinfo=UTC),
        updated_at=datetime(2026, 2, 10, 16, 45, 30, 250000, tzinfo=UTC),
        source_url="https://app.asana.com/0/1300/list",
    )


def test_project_due_date_falls_back_to_the_deprecated_due_date():
    project = only(mapper().map("projects", project_raw(due_on=None, due_date="2026-07-01")))
    assert project.due_date == date(2026, 7, 1)


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"archived": True, "completed": True}, "archived"),
        ({"completed": True, "completed_at": "2026-06-29T17:00:00.000Z"}, "completed"),
        ({"current_status_update": {"gid": "1", "status_type": "on_hold"}}, "on_hold"),
        ({"current_status_update": None}, "active"),
    ],
)
def test_project_status(changes: dict, status: str):
    assert only(mapper().map("projects", project_raw(**changes))).status == status


@pytest.mark.parametrize(
    ("status_type", "rag"),
    [
        ("on_track", "green"),
        ("at_risk", "amber"),
        ("off_track", "red"),
        ("on_hold", "blue"),
        ("complete", "complete"),
        ("achieved", "complete"),
        ("partial", "amber"),
        ("missed", "red"),
        ("dropped", "blue"),
    ],
)
def test_project_rag_from_the_latest_status_update(status_type: str, rag: str):
    raw = project_raw(current_status_update={"gid": "1390", "status_type": status_type})
    assert only(mapper().map("projects", raw)).rag == rag


def test_project_without_status_update_or_health_field_has_no_rag():
    assert only(mapper().map("projects", project_raw(current_status_update=None))).rag is None


def test_health_field_wins_over_the_status_update():
    raw = project_raw(custom_fields=[enum_field("500", "Health", "Off track")])  # status: at_risk
    assert only(mapper(rag="Health").map("projects", raw)).rag == "red"


def test_health_field_found_by_gid_and_by_name_whatever_the_case_and_spaces():
    raw = project_raw(custom_fields=[enum_field("500", "Project Health", "green")])
    assert only(mapper(rag="500").map("projects", raw)).rag == "green"
    assert only(mapper(rag="  project   health ").map("projects", raw)).rag == "green"


def test_empty_or_absent_health_field_falls_back_to_the_status_update():
    empty = project_raw(custom_fields=[enum_field("500", "Health", None)])
    assert only(mapper(rag="Health").map("projects", empty)).rag == "amber"
    assert only(mapper(rag="Health").map("projects", project_raw())).rag == "amber"


def test_rag_vocabulary_adds_and_overrides_option_names():
    vocabulary = {"Watch": "amber", "GREEN": "blue"}
    mapping = AsanaMapper(SOURCE, fields={"rag": "Health"}, rag_vocabulary=vocabulary)
    watch = project_raw(custom_fields=[enum_field("500", "Health", "watch")])
    green = project_raw(custom_fields=[enum_field("500", "Health", "Green")])
    on_track = project_raw(custom_fields=[enum_field("500", "Health", "On Track")])
    assert only(mapping.map("projects", watch)).rag == "amber"
    assert only(mapping.map("projects", green)).rag == "blue"
    assert only(mapping.map("projects", on_track)).rag == "green"  # default still there


def test_unknown_health_option_names_option_field_and_the_fix():
    raw = project_raw(custom_fields=[enum_field("500", "Health", "Wobbly")])
    with pytest.raises(MappingError) as caught:
        mapper(rag="Health").map("projects", raw)
    message = str(caught.value)
    assert "'Wobbly'" in message and "'Health'" in message and "rag_vocabulary" in message


def test_rag_vocabulary_must_map_to_rag_values():
    with pytest.raises(ValueError, match="purple"):
        AsanaMapper(SOURCE, rag_vocabulary={"Wobbly": "purple"})


def test_budget_from_a_currency_custom_field():
    field = number_field("600", "Budget", 125000.5, currency_code="EUR", format="currency")
    result = mapper(budget="Budget").map("projects", project_raw(custom_fields=[field]))
    project, budget = result.records
    assert budget == Budget(
        source=SOURCE,
        source_id="1300:custom_field",
        project_id=project.id,
        amount=Decimal("125000.5"),
        measure="money",
        currency="EUR",
        origin="custom_field",  # so reports never add it to the native budget (issue 16)
    )
    assert result.tombstones == []


def test_budget_field_without_currency_asks_for_a_currency_format():
    field = number_field("600", "Budget", 1000, currency_code=None)
    with pytest.raises(MappingError, match="budget field 'Budget' has no currency"):
        mapper(budget="600").map("projects", project_raw(custom_fields=[field]))


def test_emptied_budget_field_retires_the_budget():
    field = number_field("600", "Budget", None, currency_code="EUR")
    result = mapper(budget="Budget").map("projects", project_raw(custom_fields=[field]))
    assert [r.entity for r in result.records] == ["project"]
    assert result.tombstones == [Tombstone("budget", "1300:custom_field")]


def test_no_budget_field_configured_means_no_budget_and_no_tombstone():
    field = number_field("600", "Budget", 1000, currency_code="EUR")
    result = mapper().map("projects", project_raw(custom_fields=[field]))
    assert [r.entity for r in result.records] == ["project"]
    assert result.tombstones == []


# --- custom fields in general -----------------------------------------------------------------


def test_known_custom_field_types_are_the_specs():
    yaml = pytest.importorskip("yaml")
    schemas = yaml.safe_load(asana_spec_path().read_text())["components"]["schemas"]
    compact = schemas["CustomFieldCompact"]["properties"]["type"]["enum"]
    subtypes = schemas["CustomFieldResponse"]["allOf"][1]["properties"]["resource_subtype"]
    assert KNOWN_TYPES == set(compact) == set(subtypes["enum"])


def test_a_custom_field_of_unknown_type_quarantines_the_record_even_when_unconfigured():
    odd = {"gid": "700", "name": "Score", "type": "rating", "resource_subtype": "rating"}
    with pytest.raises(MappingError, match=r"custom field 'Score' has type 'rating'"):
        mapper().map("projects", project_raw(custom_fields=[odd]))
    with pytest.raises(MappingError, match="'rating'"):
        mapper().map("tasks", task_raw(custom_fields=[odd]))


def test_type_and_resource_subtype_are_both_checked():
    odd = {"gid": "700", "name": "Score", "type": "number", "resource_subtype": "formula"}
    with pytest.raises(MappingError, match="'formula'"):
        mapper().map("projects", project_raw(custom_fields=[odd]))


def test_two_fields_of_the_configured_name_ask_for_a_gid():
    fields = [enum_field("500", "Priority", "High"), enum_field("501", "priority", "Low")]
    with pytest.raises(MappingError, match="name the field by gid"):
        mapper(priority="Priority").map("tasks", task_raw(custom_fields=fields))
    task = mapper(priority="501").map("tasks", task_raw(custom_fields=fields)).records[0]
    assert task.priority == "low"


def test_a_field_of_the_wrong_kind_says_what_it_must_be():
    field = number_field("800", "Priority", 3)
    with pytest.raises(MappingError, match="priority field 'Priority' is a number field"):
        mapper(priority="Priority").map("tasks", task_raw(custom_fields=[field]))


# --- sections ---------------------------------------------------------------------------------


def test_section_becomes_a_phase_at_its_position():
    raw = {
        "gid": "1400",
        "name": "Design",
        "created_at": "2025-12-01T09:20:00.000Z",
        "_project": "1300",
        "_position": 2,
    }
    assert only(mapper().map("sections", raw)) == Phase(
        source=SOURCE,
        source_id="1400",
        project_id=Project.ref(SOURCE, "1300"),
        name="Design",
        position=2,
    )


# --- tasks ------------------------------------------------------------------------------------


def task_raw(**changes) -> dict:
    raw = {
        "gid": "1500",
        "name": "Draft sitemap",
        "resource_subtype": "default_task",
        "completed": False,
        "completed_at": None,
        "created_at": "2026-01-06T08:00:00.000Z",
        "modified_at": "2026-01-20T12:30:00.000Z",
        "start_on": "2026-01-12",
        "due_on": "2026-01-16",
        "due_at": None,
        "assignee": BOB,
        "parent": None,
        "memberships": [
            {"project": {"gid": "1999"}, "section": {"gid": "1998"}},
            {"project": {"gid": "1300"}, "section": {"gid": "1400"}},
        ],
        "dependencies": [],
        "num_subtasks": 0,
        "tags": [],
        "permalink_url": "https://app.asana.com/0/1300/1500",
        "custom_fields": [],
        "_project": "1300",
    }
    raw.update(changes)
    return raw


def test_task_and_its_assignment():
    result = mapper().map("tasks", task_raw())
    task, assignment = result.records
    assert task == Task(
        source=SOURCE,
        source_id="1500",
        project_id=Project.ref(SOURCE, "1300"),
        phase_id=Phase.ref(SOURCE, "1400"),  # the section in the synced project, not 1998
        name="Draft sitemap",
        status="not_started",
        start_date=date(2026, 1, 12),
        due_date=date(2026, 1, 16),
        created_at=datetime(2026, 1, 6, 8, 0, tzinfo=UTC),
        updated_at=datetime(2026, 1, 20, 12, 30, tzinfo=UTC),
        source_url="https://app.asana.com/0/1300/1500",
    )
    assert assignment == Assignment(
        source=SOURCE, source_id="1500", task_id=Task.ref(SOURCE, "1500"), identity_id=ident("1101")
    )
    assert result.tombstones == []


def test_unassigned_task_retires_its_assignment():
    result = mapper().map("tasks", task_raw(assignee=None))
    assert [r.entity for r in result.records] == ["task"]
    assert result.tombstones == [Tombstone("assignment", "1500")]


def test_milestone_subtask_with_dependencies_tags_and_a_due_time():
    raw = task_raw(
        resource_subtype="milestone",
        parent={"gid": "1501", "resource_type": "task"},
        memberships=[],
        dependencies=[{"gid": "1502"}, {"gid": "1503"}],
        tags=[{"gid": "91", "name": "launch"}, {"gid": "92", "name": "client"}],
        due_on=None,
        due_at="2026-03-31T23:30:00.000Z",
        start_on=None,
    )
    task = mapper().map("tasks", raw).records[0]
    assert task.is_milestone is True
    assert task.parent_id == Task.ref(SOURCE, "1501")
    assert task.phase_id is None
    assert task.dependency_ids == [Task.ref(SOURCE, "1502"), Task.ref(SOURCE, "1503")]
    assert task.tags == ["launch", "client"]
    assert task.due_date == date(2026, 3, 31)


def test_completed_task_is_done():
    raw = task_raw(completed=True, completed_at="2026-01-15T17:05:00.000Z")
    task = mapper().map("tasks", raw).records[0]
    assert task.status == "done"
    assert task.completed_at == datetime(2026, 1, 15, 17, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("field", "percent", "status"),
    [
        # Asana's percentage format stores 50 % as 0.5; the format says so ...
        (
            number_field("900", "Progress", 0.5, format="percentage", precision=0),
            50.0,
            "in_progress",
        ),
        # ... and without format in opt_fields, the display value does.
        (number_field("900", "Progress", 0.07, display_value="7%"), 7.0, "in_progress"),
        # A plain number field is already 0..100.
        (number_field("900", "Progress", 40, format="none"), 40.0, "in_progress"),
        (number_field("900", "Progress", 0, format="percentage"), 0.0, "not_started"),
        (number_field("900", "Progress", None), None, "not_started"),
    ],
)
def test_percent_complete(field: dict, percent: float | None, status: str):
    task = mapper(percent_complete="Progress").map("tasks", task_raw(custom_fields=[field]))
    assert task.records[0].percent_complete == percent
    assert task.records[0].status == status


@pytest.mark.parametrize(
    ("option", "priority"),
    [
        ("Low", "low"),
        ("MEDIUM", "medium"),
        ("high", "high"),
        ("Urgent", "urgent"),
        ("Critical", "urgent"),
        (None, None),
    ],
)
def test_priority(option: str | None, priority: str | None):
    raw = task_raw(custom_fields=[enum_field("950", "Priority", option)])
    assert mapper(priority="Priority").map("tasks", raw).records[0].priority == priority


def test_an_unknown_priority_keeps_the_task_as_unknown_and_warns_once(caplog):
    raw = task_raw(custom_fields=[enum_field("950", "Priority", "Someday")])
    tasks = mapper(priority="Priority")
    with caplog.at_level("WARNING", logger="pmosync.mapping.priority"):
        first = tasks.map("tasks", raw).records[0]
        second = tasks.map("tasks", {**raw, "gid": "4243"}).records[0]
    assert (first.priority, second.priority) == ("unknown", "unknown")
    assert [r.getMessage() for r in caplog.records] == [
        f"{SOURCE}: priority 'Someday' of the priority field 'Priority' is not in the priority "
        "vocabulary; its tasks get the priority 'unknown' (map it under priority_vocabulary to "
        "one of low, medium, high, urgent)"
    ]


def test_the_priority_vocabulary_adds_and_overrides_options():
    vocabulary = {"Someday": "low", "  critical ": "high"}
    tasks = AsanaMapper(SOURCE, fields={"priority": "Priority"}, priority_vocabulary=vocabulary)
    for option, priority in [("someday", "low"), ("Critical", "high"), ("Urgent", "urgent")]:
        raw = task_raw(custom_fields=[enum_field("950", "Priority", option)])
        assert tasks.map("tasks", raw).records[0].priority == priority, option
    with pytest.raises(ValueError, match="maps 'P0' to 'asap', not one of low, medium"):
        AsanaMapper(SOURCE, priority_vocabulary={"P0": "asap"})


def test_estimate_in_hours_and_from_a_duration_field_in_minutes():
    hours = number_field("960", "Estimate (h)", 6.5)
    minutes = number_field("961", "Estimated time", 90, format="duration")
    raw = task_raw(custom_fields=[hours, minutes])
    assert mapper(estimate_hours="Estimate (h)").map("tasks", raw).records[0].estimate_hours == 6.5
    assert mapper(estimate_hours="961").map("tasks", raw).records[0].estimate_hours == 1.5


def test_start_date_from_a_custom_date_field_when_asana_has_none():
    raw = task_raw(start_on=None, custom_fields=[date_field("970", "Kick-off", "2026-01-09")])
    assert mapper(start_date="Kick-off").map("tasks", raw).records[0].start_date == date(2026, 1, 9)
    raw["start_on"] = "2026-01-12"
    assert mapper(start_date="Kick-off").map("tasks", raw).records[0].start_date == date(
        2026, 1, 12
    )


def test_task_without_project_context_is_refused():
    raw = task_raw()
    del raw["_project"]
    with pytest.raises(MappingError, match="_project"):
        mapper().map("tasks", raw)


# --- time entries -----------------------------------------------------------------------------


def time_entry_raw(**changes) -> dict:
    raw = {
        "gid": "1600",
        "resource_type": "time_tracking_entry",
        "duration_minutes": 90,
        "entered_on": "2026-01-14",
        "attributable_to": {"gid": "1300", "resource_type": "project", "name": "Website"},
        "created_by": ALICE,
        "task": {"gid": "1500", "resource_type": "task", "name": "Draft sitemap"},
        "created_at": "2026-01-14T18:00:00.000Z",
        "approval_status": "SUBMITTED",
        "billable_status": "billable",
        "description": "Workshop",
    }
    raw.update(changes)
    return raw


def test_time_entry():
    assert only(mapper().map("time_entries", time_entry_raw())) == TimeEntry(
        source=SOURCE,
        source_id="1600",
        identity_id=ident("1100"),
        project_id=Project.ref(SOURCE, "1300"),
        task_id=Task.ref(SOURCE, "1500"),
        entry_date=date(2026, 1, 14),
        minutes=90,
        billable=True,
        approval="submitted",
        description="Workshop",
    )


@pytest.mark.parametrize(
    ("billable_status", "billable"),
    [("billable", True), ("nonBillable", False), ("notApplicable", None), (None, None)],
)
def test_time_entry_billable(billable_status: str | None, billable: bool | None):
    raw = time_entry_raw(billable_status=billable_status)
    assert only(mapper().map("time_entries", raw)).billable is billable


@pytest.mark.parametrize(
    ("approval_status", "approval"),
    [
        ("DRAFT", "draft"),
        ("SUBMITTED", "submitted"),
        ("APPROVED", "approved"),
        ("REJECTED", "rejected"),
        (None, None),
    ],
)
def test_time_entry_approval(approval_status: str | None, approval: str | None):
    raw = time_entry_raw(approval_status=approval_status)
    assert only(mapper().map("time_entries", raw)).approval == approval


def test_time_entry_without_task_or_project():
    assert only(mapper().map("time_entries", time_entry_raw(task=None))).task_id is None
    with pytest.raises(MappingError, match="time entry is not attributable to a project"):
        mapper().map("time_entries", time_entry_raw(attributable_to=None))


def test_time_entry_with_an_unknown_approval_status_is_refused():
    with pytest.raises(MappingError, match="'PENDING'"):
        mapper().map("time_entries", time_entry_raw(approval_status="PENDING"))


# --- status updates ---------------------------------------------------------------------------


def status_update_raw(**changes) -> dict:
    raw = {
        "gid": "1700",
        "resource_type": "status_update",
        "resource_subtype": "project_status_update",
        "title": "Week 6",
        "text": "Vendor late; launch at risk.",
        "status_type": "off_track",
        "author": BOB,
        "created_by": {"gid": "1100"},
        "created_at": "2026-02-09T10:00:00.000Z",
        "modified_at": "2026-02-09T10:05:00+01:00",
        "parent": {"gid": "1300", "resource_type": "project", "name": "Website"},
    }
    raw.update(changes)
    return raw


def test_status_update():
    assert only(mapper().map("status_updates", status_update_raw())) == StatusUpdate(
        source=SOURCE,
        source_id="1700",
        project_id=Project.ref(SOURCE, "1300"),
        posted_at=datetime(2026, 2, 9, 10, 0, tzinfo=UTC),
        rag="red",
        title="Week 6",
        text="Vendor late; launch at risk.",
        author_identity_id=ident("1101"),
        updated_at=datetime(2026, 2, 9, 9, 5, tzinfo=UTC),
    )


def test_status_update_author_falls_back_to_its_creator():
    update = only(mapper().map("status_updates", status_update_raw(author=None)))
    assert update.author_identity_id == ident("1100")


def test_status_update_of_a_portfolio_is_refused():
    raw = status_update_raw(resource_subtype="portfolio_status_update")
    with pytest.raises(MappingError, match="portfolio_status_update"):
        mapper().map("status_updates", raw)


# --- allocations ------------------------------------------------------------------------------


def allocation_raw(**changes) -> dict:
    raw = {
        "gid": "1800",
        "resource_type": "allocation",
        "start_date": "2026-02-02",
        "end_date": "2026-02-27",
        "effort": {"type": "hours", "value": 60},
        "assignee": ALICE,
        "parent": {"gid": "1300", "resource_type": "project", "name": "Website"},
        "resource_subtype": "project_allocation",
    }
    raw.update(changes)
    return raw


def test_allocation_in_hours():
    assert only(mapper().map("allocations", allocation_raw())) == Allocation(
        source=SOURCE,
        source_id="1800",
        identity_id=ident("1100"),
        project_id=Project.ref(SOURCE, "1300"),
        start_date=date(2026, 2, 2),
        end_date=date(2026, 2, 27),
        hours=60,
    )


def test_allocation_in_percent_and_without_effort():
    percent = only(
        mapper().map("allocations", allocation_raw(effort={"type": "percent", "value": 50}))
    )
    assert (percent.hours, percent.percent) == (None, 50)
    none = only(mapper().map("allocations", allocation_raw(effort=None)))
    assert (none.hours, none.percent) == (None, None)


def test_allocation_without_assignee_is_refused():
    with pytest.raises(MappingError, match="allocation has no assignee"):
        mapper().map("allocations", allocation_raw(assignee=None))


def test_allocation_ending_before_it_starts_is_one_line():
    with pytest.raises(MappingError) as caught:
        mapper().map("allocations", allocation_raw(end_date="2026-01-30"))
    assert str(caught.value) == (
        "invalid allocation: allocation ends (2026-01-30) before it starts (2026-02-02)"
    )


# --- budgets ----------------------------------------------------------------------------------


def budget_raw(**changes) -> dict:
    raw = {
        "gid": "1900",
        "resource_type": "budget",
        "budget_type": "cost",
        "total": {"enabled": True, "value": 48000, "units": "USD"},
        "estimate": {"enabled": False, "source": "none", "value": None, "units": None},
        "actual": {"value": 1250.5, "units": "USD"},
        "parent": {"gid": "1300", "resource_type": "project", "name": "Website"},
    }
    raw.update(changes)
    return raw


def test_cost_budget_is_money_in_the_domain_currency():
    assert only(mapper().map("budgets", budget_raw())) == Budget(
        source=SOURCE,
        source_id="1900",
        project_id=Project.ref(SOURCE, "1300"),
        amount=Decimal("48000"),
        measure="money",
        currency="USD",
        origin="budget_api",
        actual=Decimal("1250.5"),  # Asana's logged time x resource rates, in the money
    )


def test_time_budget_is_hours_from_minutes():
    raw = budget_raw(
        budget_type="time",
        total={"enabled": True, "value": 6090, "units": "minutes"},
        actual={"value": 750, "units": "minutes"},
    )
    budget = only(mapper().map("budgets", raw))
    assert (budget.measure, budget.amount, budget.currency) == ("hours", Decimal("101.5"), None)
    # 6090 min / 60 = 101.5 h; the actual 750 min / 60 = 12.5 h
    assert (budget.origin, budget.actual) == ("budget_api", Decimal("12.5"))


def test_budget_actual_absent_or_in_another_currency_is_none():
    no_actual = budget_raw()
    del no_actual["actual"]
    assert only(mapper().map("budgets", no_actual)).actual is None
    other = budget_raw(actual={"value": 900, "units": "EUR"})  # total in USD: not comparable
    assert only(mapper().map("budgets", other)).actual is None
    bad = budget_raw(actual={"value": "lots", "units": "USD"})
    with pytest.raises(MappingError, match="budget actual.value is not a number: 'lots'"):
        mapper().map("budgets", bad)


def test_custom_field_budget_and_native_budget_are_two_origins_of_one_project():
    """The doubled-budget case of issue 16, at the mapping end: both records name the same
    project and say which statement they are, so reports can pick one instead of adding."""
    field = number_field("600", "Budget", 120000, currency_code="EUR", format="currency")
    asana = mapper(budget="Budget")
    _, from_field = asana.map("projects", project_raw(custom_fields=[field])).records
    native = only(
        asana.map(
            "budgets",
            budget_raw(total={"enabled": True, "value": 100000, "units": "EUR"}, actual=None),
        )
    )
    assert from_field.project_id == native.project_id == Project.ref(SOURCE, "1300")
    assert (from_field.origin, native.origin) == ("custom_field", "budget_api")
    assert from_field.source_id != native.source_id


def test_budget_with_its_total_switched_off_is_retired():
    raw = budget_raw(total={"enabled": False, "value": None, "units": None})
    assert mapper().map("budgets", raw) == Mapped([], [Tombstone("budget", "1900")])


def test_cost_budget_without_units_is_refused():
    raw = budget_raw(total={"enabled": True, "value": 100, "units": None})
    with pytest.raises(MappingError, match="no currency"):
        mapper().map("budgets", raw)


# --- what every stream shares -----------------------------------------------------------------

SAMPLES = {
    "users": lambda: {"gid": "1100", "name": "Alice"},
    "portfolios": lambda: {"gid": "1299", "name": "Eng"},
    "portfolio_items": lambda: {"gid": "1300", "name": "Web", "_portfolio": "1299"},
    "projects": project_raw,
    "sections": lambda: {"gid": "1400", "name": "Design", "_project": "1300", "_position": 0},
    "tasks": task_raw,
    "time_entries": time_entry_raw,
    "status_updates": status_update_raw,
    "allocations": allocation_raw,
    "budgets": budget_raw,
}


def test_every_stream_has_a_sample():
    assert AsanaMapper.streams == set(SAMPLES)


@pytest.mark.parametrize("stream", sorted(SAMPLES))
def test_record_without_gid_is_refused_whatever_else_it_lacks(stream: str):
    raw = SAMPLES[stream]()
    del raw["gid"]
    for key in [k for k in raw if k.startswith("_")]:
        del raw[key]
    with pytest.raises(MappingError, match="^record has no gid$"):
        mapper().map(stream, raw)


@pytest.mark.parametrize("stream", sorted(SAMPLES))
def test_mapping_is_deterministic(stream: str):
    assert mapper().map(stream, SAMPLES[stream]()) == mapper().map(stream, SAMPLES[stream]())


@pytest.mark.parametrize(
    "created_at",
    ["2026-01-02T03:04:05.678Z", "2026-01-02T05:04:05.678+02:00", "2026-01-02T03:04:05.678"],
)
def test_timestamps_with_z_with_offset_and_naive_are_utc(created_at: str):
    task = mapper().map("tasks", task_raw(created_at=created_at)).records[0]
    assert task.created_at == datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def test_bad_timestamp_and_bad_date_name_field_and_value():
    with pytest.raises(MappingError, match=r"^modified_at is not a timestamp: 'yesterday'$"):
        mapper().map("tasks", task_raw(modified_at="yesterday"))
    with pytest.raises(MappingError, match=r"^due_on is not a date: '2026-02-30'$"):
        mapper().map("tasks", task_raw(due_on="2026-02-30"))


def test_canonical_validation_errors_become_one_line():
    with pytest.raises(MappingError) as caught:
        mapper().map("time_entries", time_entry_raw(duration_minutes=-5, entered_on=None))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("invalid time_entry: ")
    assert "entry_date: Input should be a valid date" in message
    assert "minutes: Input should be greater than or equal to 0" in message

    field = number_field("900", "Progress", 150)
    with pytest.raises(MappingError, match=r"^invalid task: percent_complete: .*100$"):
        mapper(percent_complete="Progress").map("tasks", task_raw(custom_fields=[field]))


def test_record_key_is_the_gid_else_a_stable_digest():
    assert mapper().record_key({"gid": "1500", "name": "x"}) == "1500"
    one = mapper().record_key({"name": "x", "due_on": "2026-01-01"})
    assert one == mapper().record_key({"due_on": "2026-01-01", "name": "x"})
    assert one != mapper().record_key({"name": "y", "due_on": "2026-01-01"})
    assert one.startswith("sha256:") and len(one) == len("sha256:") + 16


def test_unknown_stream_is_a_bug_and_a_non_object_a_bad_record():
    with pytest.raises(ValueError, match="unknown Asana stream 'goals'") as caught:
        mapper().map("goals", {"gid": "1"})
    assert not isinstance(caught.value, MappingError)
    with pytest.raises(MappingError, match="not a JSON object"):
        mapper().map("tasks", ["1500"])  # type: ignore[arg-type]


def test_mapping_imports_no_sandbox_and_no_connector_code():
    """Mapping knows the canonical model and the page vocabulary of ``pmosync.contracts``
    (DESIGN: imports follow the data flow), never an emulator and no connector module."""
    code = (
        "import sys, pmosync.mapping.asana; "
        "print(sorted(m for m in sys.modules if m.startswith(('pmosync.connectors', "
        "'pmosync.sandbox'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
