"""Planner premium rows (as the Dataverse Web API returns them) -> canonical records, worked
out by hand; and what a deleted or unlisted row retires, in a real SQLite store.

The connector's time zone is Europe/Paris (UTC+1 in winter, UTC+2 from 29 March 2026): a task
scheduled 08:00-17:00 there is stored 07:00Z-16:00Z, and a day is read in Paris, not in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.canonical.types import (
    Allocation,
    Assignment,
    PersonIdentity,
    Phase,
    Project,
    Task,
)
from pmosync.contracts import Page, Reconcile
from pmosync.mapping.dataverse import PremiumMapper
from pmosync.mapping.result import MappingError, Tombstone
from pmosync.store import Store
from pmosync.sync.engine import write_page

SOURCE = "premium-ops"
ENV = "https://contoso.crm4.dynamics.com"
MAPPER = PremiumMapper(SOURCE, environment=ENV + "/", timezone="Europe/Paris")

PROJECT = "6f1c2a5e-3b7d-ef11-a670-000d3a4b2c01"
BUCKET = "9a2d4c10-3b7d-ef11-a670-000d3a4b2c02"
SUMMARY = "c1000000-3b7d-ef11-a670-000d3a4b2c10"
TASK = "c2000000-3b7d-ef11-a670-000d3a4b2c11"
ASSIGNMENT = "e5000000-3b7d-ef11-a670-000d3a4b2c20"
ALICE = "0f6f2a1b-95c4-4d8e-9a31-5b2c7d8e9f01"  # an Entra object id: the person key


def _project(**fields):
    row = {
        "@odata.etag": 'W/"1000123"',
        "msdyn_projectid": PROJECT,
        "msdyn_subject": "Warehouse move",
        "msdyn_scheduledstart": "2026-03-01T23:00:00Z",  # 00:00 on 2 March in Paris
        "msdyn_finish": "2026-06-30T15:00:00Z",  # 17:00 on 30 June in Paris (UTC+2)
        "msdyn_progress": 0.34,
        "msdyn_effort": 120.0,
        "_msdyn_projectmanager_value": "7d3e0000-3b7d-ef11-a670-000d3a4b2c99",
        "statecode": 0,
        "statuscode": 1,
        "createdon": "2026-02-20T09:15:00Z",
        "modifiedon": "2026-03-03T10:00:00Z",
        "versionnumber": 1000123,
        "manager": ALICE,
    }
    row.update(fields)
    return row


def _task(**fields):
    row = {
        "@odata.etag": 'W/"1000200"',
        "msdyn_projecttaskid": TASK,
        "msdyn_subject": "Pour the slab",
        "_msdyn_project_value": PROJECT,
        "_msdyn_projectbucket_value": BUCKET,
        "_msdyn_parenttask_value": SUMMARY,
        "msdyn_outlinelevel": 2,
        "msdyn_displaysequence": 3.0,
        "msdyn_summary": False,
        "msdyn_ismilestone": False,
        "msdyn_scheduledstart": "2026-03-02T07:00:00Z",  # Mon 08:00 in Paris
        "msdyn_scheduledend": "2026-03-06T16:00:00Z",  # Fri 17:00 in Paris
        "msdyn_duration": 5.0,
        "msdyn_effort": 40.0,
        "msdyn_effortcompleted": 5.0,
        "msdyn_effortremaining": 35.0,
        "msdyn_progress": 0.125,
        "msdyn_priority": 3,
        "msdyn_descriptionplaintext": "Béton C25/30\nsee the plan",
        "msdyn_iscritical": True,
        "statecode": 0,
        "createdon": "2026-02-21T08:00:00Z",
        "modifiedon": "2026-03-03T11:30:00Z",
        "versionnumber": 1000200,
        "predecessors": ["b0000000-0000-0000-0000-000000000002",
                         "a0000000-0000-0000-0000-000000000001"],
    }  # fmt: skip
    row.update(fields)
    return row


def _assignment(**fields):
    row = {
        "@odata.etag": 'W/"1000300"',
        "msdyn_resourceassignmentid": ASSIGNMENT,
        "msdyn_name": "Alice on Pour the slab",
        "_msdyn_projectid_value": PROJECT,
        "_msdyn_taskid_value": TASK,
        "_msdyn_bookableresourceid_value": "b7000000-3b7d-ef11-a670-000d3a4b2c30",
        "_msdyn_projectteamid_value": "d8000000-3b7d-ef11-a670-000d3a4b2c40",
        "msdyn_start": "2026-03-02T07:00:00Z",
        "msdyn_finish": "2026-03-06T16:00:00Z",
        "msdyn_effort": 24.5,
        "modifiedon": "2026-03-03T12:00:00Z",
        "person": ALICE,
    }
    row.update(fields)
    return row


def _one(mapped, model):
    (found,) = [r for r in mapped.records if isinstance(r, model)]
    return found


# --- projects and buckets -------------------------------------------------------------------


def test_a_project_reads_its_days_in_the_connectors_zone_and_its_manager_as_owner():
    project = _one(MAPPER.map("projects", _project()), Project)
    assert (project.source_id, project.name) == (PROJECT, "Warehouse move")
    # 2026-03-01T23:00Z is midnight on 2 March in Paris; the UTC date would be a day early
    assert (project.start_date, project.due_date) == (date(2026, 3, 2), date(2026, 6, 30))
    assert project.status == "active"  # 34 % done, statecode 0
    assert project.owner_identity_id == PersonIdentity.ref(SOURCE, ALICE)
    assert project.created_at == datetime(2026, 2, 20, 9, 15, tzinfo=UTC)
    assert project.updated_at == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    assert project.source_url == (
        f"{ENV}/main.aspx?etn=msdyn_project&id={PROJECT}&pagetype=entityrecord"
    )


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"msdyn_progress": 1}, "completed"),
        ({"msdyn_progress": 1, "statecode": 1}, "archived"),  # inactive wins
        ({"msdyn_progress": 0.2, "statecode": 1}, "archived"),
        ({"msdyn_progress": 0.99}, "active"),
        ({"msdyn_progress": None}, "active"),
    ],
)
def test_a_projects_status_comes_from_its_state_then_its_progress(fields, status):
    assert _one(MAPPER.map("projects", _project(**fields)), Project).status == status


def test_a_project_without_a_manager_has_no_owner():
    assert _one(MAPPER.map("projects", _project(manager=None)), Project).owner_identity_id is None


def test_a_bucket_is_a_phase_of_its_project():
    row = {"msdyn_projectbucketid": BUCKET, "msdyn_name": "Site\x00 works",
           "_msdyn_project_value": PROJECT, "@odata.etag": 'W/"1000150"'}  # fmt: skip
    phase = _one(MAPPER.map("buckets", row), Phase)
    assert (phase.source_id, phase.name) == (BUCKET, "Site works")  # the NUL is dropped
    assert phase.project_id == Project.ref(SOURCE, PROJECT)


# --- tasks ----------------------------------------------------------------------------------


def test_a_leaf_task_maps_days_percent_effort_priority_and_links():
    task = _one(MAPPER.map("tasks", _task()), Task)
    assert task.source_id == TASK and task.name == "Pour the slab"
    assert task.project_id == Project.ref(SOURCE, PROJECT)
    assert task.phase_id == Phase.ref(SOURCE, BUCKET)
    assert task.parent_id == Task.ref(SOURCE, SUMMARY)
    # 07:00Z-16:00Z is 08:00-17:00 in Paris, Monday 2 to Friday 6 March
    assert (task.start_date, task.due_date) == (date(2026, 3, 2), date(2026, 3, 6))
    assert (task.status, task.percent_complete) == ("in_progress", 12.5)  # 0.125 x 100
    assert task.estimate_hours == 40.0  # a leaf's effort is its estimate
    assert task.priority == "high"  # 3: "important" in Planner's bands 2-4
    assert not task.is_milestone
    assert task.description == "Béton C25/30\nsee the plan"
    assert task.dependency_ids == sorted([  # the refs, in one order whatever the row's
        Task.ref(SOURCE, "a0000000-0000-0000-0000-000000000001"),
        Task.ref(SOURCE, "b0000000-0000-0000-0000-000000000002"),
    ])
    listed_otherwise = _task(predecessors=list(reversed(_task()["predecessors"])))
    assert _one(MAPPER.map("tasks", listed_otherwise), Task).dependency_ids == task.dependency_ids
    assert task.created_at == datetime(2026, 2, 21, 8, 0, tzinfo=UTC)
    assert task.updated_at == datetime(2026, 3, 3, 11, 30, tzinfo=UTC)
    assert task.source_url == (
        f"{ENV}/main.aspx?etn=msdyn_projecttask&id={TASK}&pagetype=entityrecord"
    )


def test_days_follow_the_zone_across_a_clock_change_and_not_utc():
    # 22:30Z on 29 March (Paris has just moved to UTC+2) is 00:30 on 30 March there
    row = _task(msdyn_scheduledstart="2026-03-29T22:30:00Z",
                msdyn_scheduledend="2026-04-02T15:00:00Z")  # fmt: skip
    task = _one(MAPPER.map("tasks", row), Task)
    assert (task.start_date, task.due_date) == (date(2026, 3, 30), date(2026, 4, 2))
    in_utc = PremiumMapper(SOURCE, environment=ENV)  # the same row read in UTC
    assert _one(in_utc.map("tasks", row), Task).start_date == date(2026, 3, 29)


@pytest.mark.parametrize(
    ("progress", "status", "percent"),
    [
        (0, "not_started", 0.0),
        (0.001, "in_progress", 0.1),
        (1 / 3, "in_progress", 33.33),  # 33.333... rounded to 2 places
        (0.99999, "in_progress", 100.0),  # rounds to 100 but is not done
        (1, "done", 100.0),
        (None, "not_started", None),
    ],
)
def test_progress_is_a_fraction_read_as_percent_and_status(progress, status, percent):
    task = _one(MAPPER.map("tasks", _task(msdyn_progress=progress)), Task)
    assert (task.status, task.percent_complete) == (status, percent)


@pytest.mark.parametrize(
    ("progress", "actualend", "completed"),
    [
        # done: completed at its actual end, an instant (16:30Z is 17:30 in Paris: no shift)
        (1, "2026-03-06T16:30:00Z", datetime(2026, 3, 6, 16, 30, tzinfo=UTC)),
        (1.0, "2026-03-06T16:30:00.000Z", datetime(2026, 3, 6, 16, 30, tzinfo=UTC)),
        # progress fell back below 100 %: a stale actual end is no completion
        (0.75, "2026-03-06T16:30:00Z", None),
        (0, "2026-03-06T16:30:00Z", None),
        (1, None, None),  # done but Dataverse has not stamped it (yet): unknown, not invented
    ],
)
def test_a_done_task_is_completed_at_its_actual_end(progress, actualend, completed):
    row = _task(msdyn_progress=progress, msdyn_actualend=actualend)
    assert _one(MAPPER.map("tasks", row), Task).completed_at == completed


def test_a_summary_task_carries_no_estimate_its_effort_is_its_childrens():
    row = _task(msdyn_projecttaskid=SUMMARY, _msdyn_parenttask_value=None, msdyn_summary=True,
                msdyn_effort=80.0, msdyn_duration=0.0)  # fmt: skip
    task = _one(MAPPER.map("tasks", row), Task)
    assert task.estimate_hours is None and task.parent_id is None
    assert not task.is_milestone  # a summary of zero duration is still no milestone


def test_a_milestone_by_flag_or_by_zero_duration_falls_on_one_day():
    # Dataverse may keep a milestone's start at the previous working day's start
    moment = {"msdyn_scheduledstart": "2026-03-05T07:00:00Z",
              "msdyn_scheduledend": "2026-03-06T16:00:00Z", "msdyn_effort": 0.0}  # fmt: skip
    by_duration = _one(MAPPER.map("tasks", _task(msdyn_duration=0, **moment)), Task)
    by_flag = _one(MAPPER.map("tasks", _task(msdyn_ismilestone=True, **moment)), Task)
    for task in (by_duration, by_flag):
        assert task.is_milestone
        assert (task.start_date, task.due_date) == (date(2026, 3, 6), date(2026, 3, 6))
    unset = _one(MAPPER.map("tasks", _task(msdyn_duration=None)), Task)
    assert not unset.is_milestone  # no duration read is not a zero duration


@pytest.mark.parametrize(
    ("value", "priority"),
    [(0, "urgent"), (1, "urgent"), (2, "high"), (3, "high"), (4, "high"), (5, "medium"),
     (7, "medium"), (8, "low"), (9, "low"), (10, "low"), (11, "unknown"), ("3", "unknown"),
     (3.5, "unknown"), (None, None)],
)  # fmt: skip
def test_priority_follows_planners_bands(value, priority):
    mapper = PremiumMapper(SOURCE, environment=ENV)  # its own count of unknown options
    assert _one(mapper.map("tasks", _task(msdyn_priority=value)), Task).priority == priority


def test_the_priority_vocabulary_remaps_a_number():
    mapper = PremiumMapper(SOURCE, environment=ENV, priority_vocabulary={"9": "medium"})
    assert _one(mapper.map("tasks", _task(msdyn_priority=9)), Task).priority == "medium"


def test_text_keeps_every_character_but_nul():
    row = _task(msdyn_subject="Pour\x00 the slab ‮gnp.exe", msdyn_descriptionplaintext="\x00")
    task = _one(MAPPER.map("tasks", row), Task)
    assert task.name == "Pour the slab ‮gnp.exe"  # shown_text is the renderers' job
    assert task.description is None  # nothing left once the NUL is gone


# --- assignments and people -----------------------------------------------------------------


def test_an_assignment_is_an_assignment_and_an_allocation_of_its_hours():
    mapped = MAPPER.map("assignments", _assignment())
    assignment, allocation = _one(mapped, Assignment), _one(mapped, Allocation)
    assert assignment.source_id == allocation.source_id == ASSIGNMENT
    assert assignment.task_id == Task.ref(SOURCE, TASK)
    assert assignment.identity_id == allocation.identity_id == PersonIdentity.ref(SOURCE, ALICE)
    assert allocation.project_id == Project.ref(SOURCE, PROJECT)
    assert (allocation.start_date, allocation.end_date) == (date(2026, 3, 2), date(2026, 3, 6))
    assert (allocation.hours, allocation.percent) == (24.5, None)
    assert mapped.tombstones == []


def test_an_assignment_without_dates_allocates_nothing_and_retires_its_allocation():
    mapped = MAPPER.map("assignments", _assignment(msdyn_start=None))
    assert [type(r) for r in mapped.records] == [Assignment]
    assert mapped.tombstones == [Tombstone("allocation", ASSIGNMENT)]


def test_a_generic_resource_is_a_person_of_its_own_key():
    mapped = MAPPER.map("assignments", _assignment(person="resource:b7000000-0000"))
    assert _one(mapped, Assignment).identity_id == PersonIdentity.ref(
        SOURCE, "resource:b7000000-0000"
    )


def test_a_people_record_is_an_identity_keyed_by_the_person_key():
    row = {"key": ALICE, "name": "Alice Martin", "email": "Alice.Martin@Contoso.com",
           "objectId": ALICE, "systemuserid": "7d3e0000-3b7d-ef11-a670-000d3a4b2c99",
           "bookableresourceid": None, "resourcetype": 3, "disabled": False}  # fmt: skip
    person = _one(MAPPER.map("people", row), PersonIdentity)
    assert (person.source_id, person.name) == (ALICE, "Alice Martin")
    assert person.email == "alice.martin@contoso.com"
    assert person.id == PersonIdentity.ref(SOURCE, ALICE)  # what owners and assignees point at
    generic = {"key": "resource:b7", "name": "Electrician", "email": None}
    assert _one(MAPPER.map("people", generic), PersonIdentity).email is None


# --- bad rows -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stream", "row", "message"),
    [
        ("tasks", _task(msdyn_projecttaskid=None), "record has no msdyn_projecttaskid"),
        ("tasks", _task(_msdyn_project_value=""), "record has no _msdyn_project_value"),
        ("tasks", _task(msdyn_projecttaskid=12), "msdyn_projecttaskid is not an id: 12"),
        ("tasks", _task(msdyn_progress=34), "msdyn_progress is not a fraction from 0 to 1: 34"),
        ("tasks", _task(msdyn_progress=-0.1), "msdyn_progress is not a fraction from 0 to 1"),
        ("tasks", _task(msdyn_progress="0.5"), "msdyn_progress is not a number: '0.5'"),
        ("tasks", _task(msdyn_effort=-1), "msdyn_effort is negative: -1"),
        ("tasks", _task(msdyn_effort=True), "msdyn_effort is not a number: True"),
        ("tasks", _task(msdyn_subject=5), "msdyn_subject is not text: 5"),
        ("tasks", _task(msdyn_summary="yes"), "msdyn_summary is not true or false: 'yes'"),
        ("tasks", _task(msdyn_scheduledend="Friday"),
         "msdyn_scheduledend is not a timestamp: 'Friday'"),
        ("tasks", _task(predecessors="a0"), "predecessors is not a list of task ids: 'a0'"),
        ("tasks", _task(_msdyn_parenttask_value=7), "_msdyn_parenttask_value is not an id: 7"),
        ("projects", _project(msdyn_projectid=None), "record has no msdyn_projectid"),
        ("projects", _project(statecode="1"), "statecode is not a whole number: '1'"),
        ("projects", _project(msdyn_progress=34), "msdyn_progress is not a fraction"),
        ("buckets", {"msdyn_projectbucketid": BUCKET}, "record has no _msdyn_project_value"),
        ("assignments", _assignment(person=None), "record has no person"),
        ("assignments", _assignment(_msdyn_taskid_value=None), "record has no _msdyn_taskid_value"),
        ("assignments", _assignment(msdyn_effort=-2.5), "msdyn_effort is negative: -2.5"),
        ("assignments", _assignment(msdyn_finish="2026-02-27T16:00:00Z"),
         "allocation ends (2026-02-27) before it starts (2026-03-02)"),
        ("people", {"key": None, "name": "x"}, "record has no key"),
        ("people", {"key": "k", "email": ["a@b"]}, "email is not text"),
        ("tasks", ["not", "an", "object"], "record is not a JSON object: list"),
        ("tasks", _task(msdyn_progress=1, msdyn_actualend="Friday"),
         "msdyn_actualend is not a timestamp: 'Friday'"),
    ],
)  # fmt: skip
def test_a_bad_row_is_one_line_naming_its_column(stream, row, message):
    with pytest.raises(MappingError) as raised:
        MAPPER.map(stream, row)
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_an_unknown_stream_is_a_bug_not_a_bad_record():
    with pytest.raises(ValueError, match="unknown Planner premium stream 'teams'"):
        MAPPER.map("teams", {})


def test_the_record_key_is_the_rows_primary_key_else_a_digest():
    assert MAPPER.record_key(_task()) == TASK  # not its _msdyn_project_value
    assert MAPPER.record_key(_project()) == PROJECT
    assert MAPPER.record_key(_assignment()) == ASSIGNMENT  # not its _msdyn_projectid_value
    bucket = {"msdyn_projectbucketid": BUCKET, "_msdyn_project_value": PROJECT}
    assert MAPPER.record_key(bucket) == BUCKET
    assert MAPPER.record_key({"key": ALICE, "name": "Alice"}) == ALICE
    nameless = _task(msdyn_projecttaskid=None)
    digest = MAPPER.record_key(nameless)
    assert digest.startswith("sha256:") and digest == MAPPER.record_key(dict(nameless))
    assert MAPPER.record_key(_task(msdyn_projecttaskid=None, msdyn_subject="x")) != digest


# --- deletions and complete listings, in a real store ----------------------------------------

OTHER = "0e000000-0000-0000-0000-0000000000f0"  # another project, never touched


def _plan_rows():
    """Project P (bucket B; summary S over leaves L1, L2; L2 over L3) with assignments A1 on
    L1 and A3 on L3; project OTHER with task T9 and its assignment A9."""
    tasks = [
        _task(msdyn_projecttaskid="S", _msdyn_parenttask_value=None, msdyn_summary=True),
        _task(msdyn_projecttaskid="L1", _msdyn_parenttask_value="S"),
        _task(msdyn_projecttaskid="L2", _msdyn_parenttask_value="S", msdyn_summary=True),
        _task(msdyn_projecttaskid="L3", _msdyn_parenttask_value="L2"),
        _task(msdyn_projecttaskid="T9", _msdyn_project_value=OTHER, _msdyn_parenttask_value=None,
              _msdyn_projectbucket_value=None),
    ]  # fmt: skip
    assignments = [
        _assignment(msdyn_resourceassignmentid="A1", _msdyn_taskid_value="L1"),
        _assignment(msdyn_resourceassignmentid="A3", _msdyn_taskid_value="L3"),
        _assignment(msdyn_resourceassignmentid="A9", _msdyn_taskid_value="T9",
                    _msdyn_projectid_value=OTHER),
    ]  # fmt: skip
    return [
        Page("projects", [_project(), _project(msdyn_projectid=OTHER)]),
        Page("buckets", [{"msdyn_projectbucketid": BUCKET, "msdyn_name": "Site",
                          "_msdyn_project_value": PROJECT}]),  # fmt: skip
        Page("tasks", tasks),
        Page("assignments", assignments),
        Page("people", [{"key": ALICE, "name": "Alice"}]),
    ]


def _write(store: Store, *pages: Page) -> None:
    run = store.ledger.start_run("sync")
    for page in pages:
        stream = store.ledger.start_stream(run, SOURCE, page.kind)
        with store.writer(stream) as writer:
            write_page(writer, SOURCE, MAPPER, page)
        store.ledger.finish_stream(stream, "succeeded")
    store.ledger.finish_run(run, "succeeded")


def _gone(store: Store) -> set[str]:
    """``entity:source_id`` of every tombstoned record."""
    found = set()
    with store.engine.connect() as connection:
        for model in (Project, Phase, Task, Assignment, Allocation, PersonIdentity):
            table = ENTITY_TABLES[model]
            for row in connection.execute(select(table).where(table.c.deleted_at.is_not(None))):
                found.add(f"{model.entity}:{row.source_id}")
    return found


@pytest.fixture
def planned(sqlite_url):
    with Store.open(sqlite_url) as store:
        _write(store, *_plan_rows())
        assert _gone(store) == set()
        yield store


def test_a_deleted_summary_task_takes_its_subtree_and_their_assignments(planned):
    _write(planned, Page("tasks", deleted=["L2"]))
    assert _gone(planned) == {"task:L2", "task:L3", "assignment:A3", "allocation:A3"}
    _write(planned, Page("tasks", deleted=["S"]))
    assert _gone(planned) == {"task:S", "task:L1", "task:L2", "task:L3", "assignment:A1",
                              "allocation:A1", "assignment:A3", "allocation:A3"}  # fmt: skip


def test_a_deleted_project_takes_everything_under_it_and_nothing_else(planned):
    _write(planned, Page("projects", deleted=[PROJECT]))
    assert _gone(planned) == {
        f"project:{PROJECT}", f"phase:{BUCKET}", "task:S", "task:L1", "task:L2", "task:L3",
        "assignment:A1", "allocation:A1", "assignment:A3", "allocation:A3",
    }  # fmt: skip


def test_a_deleted_assignment_takes_its_allocation_and_a_deleted_bucket_its_phase(planned):
    _write(planned, Page("assignments", deleted=["A9"]), Page("buckets", deleted=[BUCKET]))
    assert _gone(planned) == {"assignment:A9", "allocation:A9", f"phase:{BUCKET}"}
    _write(planned, Page("people", deleted=[ALICE]))
    assert f"person_identity:{ALICE}" in _gone(planned)


def _listing(kind: str, parent: str | None, *present: str) -> Page:
    """A page closing a complete listing of ``kind`` under ``parent`` that held ``present``."""
    return Page(kind, reconcile=[Reconcile(kind, parent, frozenset(present))])


def test_complete_listings_retire_what_they_no_longer_hold_within_their_scope(planned):
    # P's task listing without L1 (T9 belongs to OTHER: not in this listing's scope)
    _write(planned, _listing("tasks", PROJECT, "S", "L2", "L3"))
    assert _gone(planned) == {"task:L1", "assignment:A1", "allocation:A1"}
    _write(planned, _listing("assignments", None, "A9"))  # A3 is no longer listed
    assert _gone(planned) == {"task:L1", "assignment:A1", "allocation:A1", "assignment:A3",
                              "allocation:A3"}  # fmt: skip
    _write(planned, _listing("buckets", PROJECT))
    assert f"phase:{BUCKET}" in _gone(planned)
    before = _gone(planned)
    _write(planned, _listing("projects", None, PROJECT, OTHER))
    assert _gone(planned) == before  # both projects listed: nothing more goes
    _write(planned, _listing("projects", None, OTHER))
    assert _gone(planned) == {
        f"project:{PROJECT}", f"phase:{BUCKET}", "task:S", "task:L1", "task:L2", "task:L3",
        "assignment:A1", "allocation:A1", "assignment:A3", "allocation:A3",
    }  # fmt: skip


def test_a_listing_per_project_needs_its_project():
    with pytest.raises(ValueError, match="reconciled per project"):
        MAPPER.scopes(Reconcile("tasks", None, frozenset()))
