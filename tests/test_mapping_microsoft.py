"""Planner records (as Graph sends them) -> canonical records, worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pmosync.canonical.types import (
    Assignment,
    PersonIdentity,
    Phase,
    Portfolio,
    Project,
    StatusUpdate,
    Task,
)
from pmosync.connectors.base import Reconcile
from pmosync.mapping.microsoft import PlannerMapper
from pmosync.mapping.result import MappingError

SOURCE = "planner-ops"
MAPPER = PlannerMapper(SOURCE, group_as_portfolio=True, milestone_category="Milestone")


def _task(**fields):
    task = {
        "@odata.etag": 'W/"JzEtVGFzayAgQEBAQEBAQEBAQEBAQEBAWCc="',
        "id": "pbT5K2OVkkO1M7r5bfsJ6JgAGD5m",
        "planId": "xqQg5FS2LkCp935s-FIFm2QAFkHM",
        "bucketId": "hsOf2dhOJkqyYYZEtdzDe2QAIUCR",
        "title": "Order the racks",
        "percentComplete": 50,
        "priority": 3,
        "startDateTime": "2026-11-02T00:00:00Z",
        "dueDateTime": "2026-11-20T17:00:00Z",
        "createdDateTime": "2026-10-30T09:15:00.123Z",
        "completedDateTime": None,
        "appliedCategories": {"category2": True, "category7": True, "category4": False},
        "assignments": {
            "a1b2c3d4-0000-4000-8000-000000000001": {
                "@odata.type": "#microsoft.graph.plannerAssignment",
                "assignedDateTime": "2026-10-30T09:15:00Z",
                "orderHint": "8585",
            },
            "a1b2c3d4-0000-4000-8000-000000000002": {
                "@odata.type": "#microsoft.graph.plannerAssignment",
                "assignedDateTime": "2026-10-30T09:16:00Z",
                "orderHint": "8586",
            },
        },
    }
    task.update(fields)
    return {
        "task": task,
        "details": None,
        "categoryDescriptions": {"category1": "Customer", "category2": "Milestone",
                                 "category4": "Risk", "category7": None},
    }  # fmt: skip


def test_a_task_maps_status_priority_dates_tags_and_every_assignee():
    mapped = MAPPER.map("tasks", _task())
    task = next(r for r in mapped.records if isinstance(r, Task))
    assert task.source_id == "pbT5K2OVkkO1M7r5bfsJ6JgAGD5m"
    assert task.project_id == Project.ref(SOURCE, "xqQg5FS2LkCp935s-FIFm2QAFkHM")
    assert task.phase_id == Phase.ref(SOURCE, "hsOf2dhOJkqyYYZEtdzDe2QAIUCR")
    assert (task.status, task.percent_complete, task.priority) == ("in_progress", 50.0, "high")
    assert (task.start_date, task.due_date) == (date(2026, 11, 2), date(2026, 11, 20))
    assert task.created_at == datetime(2026, 10, 30, 9, 15, 0, 123000, tzinfo=UTC)
    # category2 is labelled Milestone; category7 is applied but unlabelled; category4 is off
    assert task.tags == ["Milestone", "category7"]
    assert task.is_milestone
    assert task.source_url.endswith("/plan/xqQg5FS2LkCp935s-FIFm2QAFkHM/view/board/task/"
                                    "pbT5K2OVkkO1M7r5bfsJ6JgAGD5m")  # fmt: skip
    assignments = [r for r in mapped.records if isinstance(r, Assignment)]
    assert [a.source_id for a in assignments] == [
        "pbT5K2OVkkO1M7r5bfsJ6JgAGD5m:a1b2c3d4-0000-4000-8000-000000000001",
        "pbT5K2OVkkO1M7r5bfsJ6JgAGD5m:a1b2c3d4-0000-4000-8000-000000000002",
    ]
    assert assignments[0].identity_id == PersonIdentity.ref(
        SOURCE, "a1b2c3d4-0000-4000-8000-000000000001"
    )
    assert all(a.task_id == task.id for a in assignments)


@pytest.mark.parametrize(
    ("percent", "status"), [(0, "not_started"), (1, "in_progress"), (99, "in_progress"),
                            (100, "done")],
)  # fmt: skip
def test_percent_complete_bands(percent, status):
    task = MAPPER.map("tasks", _task(percentComplete=percent)).records[0]
    assert task.status == status


@pytest.mark.parametrize(
    ("priority", "canonical"),
    [(0, "urgent"), (1, "urgent"), (2, "high"), (4, "high"), (5, "medium"), (7, "medium"),
     (8, "low"), (10, "low")],
)  # fmt: skip
def test_priority_bands_follow_the_planner_ui(priority, canonical):
    assert MAPPER.map("tasks", _task(priority=priority)).records[0].priority == canonical


@pytest.mark.parametrize("priority", [11, -1, "high", 2.5, True])
def test_a_priority_outside_the_scale_is_unknown_not_a_quarantine(priority):
    assert MAPPER.map("tasks", _task(priority=priority)).records[0].priority == "unknown"


def test_the_priority_vocabulary_remaps_planner_numbers():
    remapped = PlannerMapper(
        "planner-ops", milestone_category=None, priority_vocabulary={"3": "medium", "9": "urgent"}
    )
    got = [remapped.map("tasks", _task(priority=n)).records[0].priority for n in (1, 3, 4, 9)]
    assert got == ["urgent", "medium", "high", "urgent"]


def test_details_give_the_description_and_a_task_without_bucket_has_no_phase():
    raw = _task(bucketId=None)
    raw["details"] = {"description": "Two 42U racks, delivered to DC2.", "checklist": {}}
    task = MAPPER.map("tasks", raw).records[0]
    assert task.description == "Two 42U racks, delivered to DC2."
    assert task.phase_id is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"percentComplete": 150}, "percentComplete is not a whole number from 0 to 100"),
        ({"dueDateTime": "next week"}, "dueDateTime is not a timestamp"),
        ({"id": None}, "record has no id"),
        ({"assignments": ["someone"]}, "assignments is not an object"),
    ],
)
def test_malformed_tasks_say_which_field_is_wrong(change, message):
    with pytest.raises(MappingError, match=message):
        MAPPER.map("tasks", _task(**change))


def test_a_plan_is_a_project_in_its_groups_portfolio_and_users_keep_their_email():
    plan = {
        "id": "xqQg5FS2LkCp935s-FIFm2QAFkHM",
        "title": "Data centre move",
        "createdDateTime": "2026-01-05T08:00:00Z",
        "createdBy": {"user": {"id": "a1b2c3d4-0000-4000-8000-000000000001"}},
        "details": {"categoryDescriptions": {}},
        "group": {"id": "6f2c1f0e-1111-4c2e-9a57-0e3f5a1b2c3d", "displayName": "Operations"},
    }
    project, item = MAPPER.map("plans", plan).records
    assert (project.name, project.team) == ("Data centre move", "Operations")
    assert project.owner_identity_id == PersonIdentity.ref(
        SOURCE, "a1b2c3d4-0000-4000-8000-000000000001"
    )
    assert item.portfolio_id == Portfolio.ref(SOURCE, "6f2c1f0e-1111-4c2e-9a57-0e3f5a1b2c3d")
    assert item.project_id == project.id
    no_portfolio = PlannerMapper(SOURCE, group_as_portfolio=False, milestone_category=None)
    assert [type(r) for r in no_portfolio.map("plans", plan).records] == [Project]
    user = MAPPER.map(
        "users",
        {"id": "u1", "displayName": "Aisha Khan", "mail": None,
         "userPrincipalName": "Aisha.Khan@Contoso.example"},
    ).records[0]  # fmt: skip
    assert user.email == "aisha.khan@contoso.example"
    guest = MAPPER.map(
        "users",
        {"id": "u2", "displayName": "Guest", "mail": None,
         "userPrincipalName": "guest_fabrikam.com#EXT#@contoso.onmicrosoft.com"},
    ).records[0]  # fmt: skip
    assert guest.email == "guest@fabrikam.com"  # the address inside a guest's sign-in name


@pytest.mark.parametrize(
    ("mail", "upn", "email"),
    [
        # A guest with mail: the external address Graph keeps in mail.
        ("Ana.Ortiz@Fabrikam.example", "ana.ortiz_fabrikam.example#EXT#@contoso.onmicrosoft.com",
         "ana.ortiz@fabrikam.example"),
        # Without mail: the last "_" before #EXT# was the "@" (a domain has no "_").
        (None, "wei_li_northwind.example#EXT#@contoso.onmicrosoft.com", "wei_li@northwind.example"),
        ("", "jo_b_fabrikam.co.uk#EXT#@contoso.onmicrosoft.com", "jo_b@fabrikam.co.uk"),
        # A member without a mailbox: the sign-in name.
        (None, "planner.robot@contoso.example", "planner.robot@contoso.example"),
        # Nothing that reads as an address: no email rather than a wrong one.
        (None, "nobody#EXT#@contoso.onmicrosoft.com", None),
        (None, "robot", None),
    ],
)  # fmt: skip
def test_people_are_known_by_mail_else_a_guests_own_address_else_the_sign_in_name(mail, upn, email):
    raw = {"id": "u3", "displayName": "Someone", "mail": mail, "userPrincipalName": upn}
    assert MAPPER.map("users", raw).records[0].email == email


@pytest.mark.parametrize(
    ("zone", "stored", "day"),
    [
        # 24 Nov picked in Paris (CET, UTC+1) is stored as 23:00 UTC the day before.
        ("Europe/Paris", "2026-11-23T23:00:00Z", date(2026, 11, 24)),
        # 1 Jul picked in Paris (CEST, UTC+2): 22:00 UTC the day before.
        ("Europe/Paris", "2026-06-30T22:00:00Z", date(2026, 7, 1)),
        # The same instant read in UTC (the default) is the 23rd.
        ("UTC", "2026-11-23T23:00:00Z", date(2026, 11, 23)),
        # West of UTC, midnight is after UTC midnight: 24 Nov in New York (UTC-5) is 05:00 UTC.
        ("America/New_York", "2026-11-24T05:00:00Z", date(2026, 11, 24)),
        # Auckland (NZDT, UTC+13) is a whole day ahead: its 1 Jan is 11:00 UTC on 31 Dec.
        ("Pacific/Auckland", "2026-12-31T11:00:00Z", date(2027, 1, 1)),
    ],
)
def test_planner_dates_are_read_in_the_connectors_time_zone(zone, stored, day):
    mapper = PlannerMapper(SOURCE, milestone_category=None, timezone=zone)
    raw = _task(startDateTime=stored, dueDateTime=stored)
    task = mapper.map("tasks", raw).records[0]
    assert (task.start_date, task.due_date) == (day, day)


def test_a_gone_plan_retires_its_buckets_tasks_assignments_and_membership():
    (scope,) = MAPPER.scopes(Reconcile("plans", None, frozenset({"keep"})))
    assert scope.model is Project and scope.present == {"keep"}
    retired = {getattr(d, "model", None) or d[0] for d in scope.dependents}
    assert {Phase, Task}.issubset(retired)
    task_scope = next(d for d in scope.dependents if getattr(d, "model", None) is Task)
    assert task_scope.dependents == ((Assignment, "task_id"),)


# --- a plan's RAG from its rag source (Planner has no status updates) -------------------------


def _plan_with(status_tasks, labels=None):
    return {
        "id": "plan-1",
        "title": "Data centre move",
        "details": {"categoryDescriptions": labels or {}},
        "statusTasks": status_tasks,
    }


@pytest.mark.parametrize(
    ("kind", "name", "title", "rag"),
    [
        ("task", "Status", "Status: At risk", "amber"),
        ("task", "Status", "status -  off track - vendor late", "red"),  # case, spacing, rest
        ("task", "Status", "Status – Green", "green"),  # an en dash, a colour word
        ("bucket", "Status", "On hold: waiting for budget", "blue"),
        ("bucket", "Status", "Complete", "complete"),
        ("task", "Status", "Status: wobbly", None),  # not in the vocabulary: no RAG
    ],
)
def test_a_status_titles_leading_word_is_the_rag(kind, name, title, rag):
    mapper = PlannerMapper(SOURCE, milestone_category=None, rag_source=kind, rag_source_name=name)
    [project, *_] = mapper.map("plans", _plan_with([{"id": "t1", "title": title}])).records
    assert project.rag == rag


def test_the_most_severe_applied_rag_label_counts_and_a_plan_without_a_status_task_has_none():
    mapper = PlannerMapper(
        SOURCE, milestone_category=None, rag_source="label", rag_source_name="Status",
        rag_vocabulary={"Needs help": "red"},
    )  # fmt: skip
    labels = {"category1": "On track", "category2": "At risk", "category3": "Needs help"}
    task = {"id": "t1", "title": "Status", "appliedCategories": {"category1": True,
                                                                 "category2": True}}  # fmt: skip
    assert mapper.map("plans", _plan_with([task], labels)).records[0].rag == "amber"
    task["appliedCategories"] = {"category1": True, "category3": True}  # the team's own word
    assert mapper.map("plans", _plan_with([task], labels)).records[0].rag == "red"
    task["appliedCategories"] = {"category1": False}  # Graph's way of saying "removed"
    assert mapper.map("plans", _plan_with([task], labels)).records[0].rag is None
    assert mapper.map("plans", _plan_with([], labels)).records[0].rag is None


def _item(item_id="7", **fields):
    return {
        "item": {
            "id": item_id,
            "lastModifiedDateTime": "2026-11-30T16:45:00Z",
            "lastModifiedBy": {"user": {"id": "u-pm", "email": "pm@contoso.example"}},
            "fields": {"Project": "Data centre move", "RAG": "At risk", "Comment": " Late ",
                       **fields},
        },
        "list": "Project health",
        "listId": "L1",
        "planIds": ["plan-1"],
    }  # fmt: skip


LIST_MAPPER = PlannerMapper(
    SOURCE,
    milestone_category=None,
    rag_source="list",
    rag_source_name="Project health",
    status_columns={"project": "Project", "rag": "RAG", "text": "Comment"},
)


def test_a_status_list_item_is_a_status_update_dated_by_its_last_change():
    [update] = LIST_MAPPER.map("status_items", _item()).records
    assert isinstance(update, StatusUpdate)
    assert update.source_id == "L1:7"
    assert update.project_id == Project.ref(SOURCE, "plan-1")
    assert update.posted_at == datetime(2026, 11, 30, 16, 45, tzinfo=UTC)
    assert (update.rag, update.text) == ("amber", "Late")
    assert update.author_identity_id == PersonIdentity.ref(SOURCE, "u-pm")
    [empty] = LIST_MAPPER.map("status_items", _item(RAG=None)).records
    assert empty.rag is None  # saved without a colour: an update all the same
    assert LIST_MAPPER.record_key(_item()) == "L1:7"


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({**_item(), "planIds": []},
         "list 'Project health' item 7: Project 'Data centre move' is no plan this connector "
         "syncs"),
        ({**_item(), "planIds": ["a", "b"]},
         "list 'Project health' item 7: Project 'Data centre move' names 2 plans; rename one of "
         "them"),
        (_item(Project="  "), "list 'Project health' item 7: Project is empty (name the plan)"),
    ],
)  # fmt: skip
def test_a_status_item_naming_no_single_plan_is_refused_with_its_item(record, reason):
    with pytest.raises(MappingError) as caught:
        LIST_MAPPER.map("status_items", record)
    assert str(caught.value) == reason
