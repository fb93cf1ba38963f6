"""The Planner premium connector (``PremiumSource``) against the Dataverse emulator over real
loopback HTTP: streams, pages, records, checkpoints and request counts, not the store (the
end-to-end tests write through the engine).

Ground truth is the emulator's own ``Environment`` rows, turned into what the connector must
hand over by the rules of the raw record contract written out here by hand: a person's key is
the system user's ``azureactivedirectoryobjectid``, else ``systemuser:<id>``, else
``resource:<bookableresourceid>``; a task's predecessors are the predecessor ids of the
dependencies whose successor it is; full reads end with complete-listing reconciles.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import unquote

import pytest

from pmosync.config.connectors import PlannerPremiumConnector
from pmosync.connectors.base import Page, Reconcile
from pmosync.connectors.dataverse.errors import NotInEnvironment
from pmosync.connectors.dataverse.source import PremiumSource
from pmosync.connectors.errors import AuthenticationError, PermissionDenied
from pmosync.connectors.paging import StopRequested
from pmosync.connectors.retry import RetryPolicy
from pmosync.sandbox.dataverse.environment import TABLES, Environment
from pmosync.sandbox.dataverse.generate import generate_environment
from pmosync.sandbox.dataverse.server import DataverseSandbox

TODAY = date(2026, 3, 2)
PAGE = 10
FAST = RetryPolicy(throttle_base_s=0.05, backoff_base_s=0.01, backoff_cap_s=0.05)
"""Waits of a few hundredths of a second where the server sends no Retry-After."""
SETS = {
    "msdyn_project": "msdyn_projects",
    "msdyn_projectbucket": "msdyn_projectbuckets",
    "msdyn_projecttask": "msdyn_projecttasks",
    "msdyn_projecttaskdependency": "msdyn_projecttaskdependencies",
    "msdyn_resourceassignment": "msdyn_resourceassignments",
    "msdyn_projectteam": "msdyn_projectteams",
}


@pytest.fixture
def env() -> Environment:
    # XS: 3 projects, 90 tasks, 6 people, and the quirks (a guest manager, a project without
    # one, a third project named like the first, generic and contact resources)
    return generate_environment(7, "XS", TODAY)


@pytest.fixture
def sandbox(env: Environment) -> Iterator[DataverseSandbox]:
    with DataverseSandbox(env) as fresh:
        yield fresh


def source(sandbox: DataverseSandbox, policy: RetryPolicy = FAST, **extra: Any) -> PremiumSource:
    config = PlannerPremiumConnector.model_validate(
        {
            "type": "planner_premium",
            "environment": sandbox.environment_url,
            "token": extra.pop("token", sandbox.token),
            "page_size": PAGE,
            **extra,
        }
    )
    return PremiumSource("premium", config, policy=policy)


class Run:
    """What one sync handed over: pages per stream and the checkpoints they ended with."""

    def __init__(self) -> None:
        self.pages: dict[str, list[Page]] = defaultdict(list)
        self.states: dict[str, Any] = {}
        self.requests = 0
        self.warnings: list[str] = []

    def records(self, kind: str) -> list[dict[str, Any]]:
        return [r for pages in self.pages.values() for p in pages if p.kind == kind
                for r in p.records]  # fmt: skip

    def deleted(self, kind: str) -> list[str]:
        return [d for pages in self.pages.values() for p in pages if p.kind == kind
                for d in p.deleted]  # fmt: skip

    def reconciles(self) -> list[Reconcile]:
        return [r for pages in self.pages.values() for p in pages for r in p.reconcile]


def sync(src: PremiumSource, states: dict[str, Any] | None = None, full: bool = False) -> Run:
    run = Run()
    try:
        for stream in src.streams():
            for page in stream.pages((states or {}).get(stream.name), full=full):
                run.pages[stream.name].append(page)
                run.requests += page.requests
                if page.state is not None:
                    run.states[stream.name] = page.state
        run.requests += src.take_requests()
        run.warnings = src.warnings()
    finally:
        src.close()
    return run


# -- the ground truth ------------------------------------------------------------------------


def person_keys(env: Environment) -> tuple[dict[str, str], dict[str, str]]:
    """systemuserid -> person key, bookableresourceid -> person key (the contract's rules)."""
    users = {}
    for user in env.table_rows("systemuser"):
        users[user["systemuserid"]] = (
            user["azureactivedirectoryobjectid"] or f"systemuser:{user['systemuserid']}"
        )
    resources = {}
    for resource in env.table_rows("bookableresource"):
        user = resource["_userid_value"]
        rid = resource["bookableresourceid"]
        resources[rid] = users[user] if user else f"resource:{rid}"
    return users, resources


def predecessors(env: Environment) -> dict[str, list[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for dep in env.table_rows("msdyn_projecttaskdependency"):
        found[dep["_msdyn_successortask_value"]].add(dep["_msdyn_predecessortask_value"])
    return {task: sorted(before) for task, before in found.items()}


def referenced(env: Environment) -> set[str]:
    """Every person a plan names: its manager, its team members, its assignees."""
    users, resources = person_keys(env)
    found = {users[p["_msdyn_projectmanager_value"]] for p in env.table_rows("msdyn_project")
             if p["_msdyn_projectmanager_value"]}  # fmt: skip
    found |= {resources[m["_msdyn_bookableresourceid_value"]]
              for m in env.table_rows("msdyn_projectteam")}  # fmt: skip
    found |= {resources[a["_msdyn_bookableresourceid_value"]]
              for a in env.table_rows("msdyn_resourceassignment")}  # fmt: skip
    return found


def ids(env: Environment, table: str) -> set[str]:
    return {row[TABLES[table].key] for row in env.table_rows(table)}


def by_id(records: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    counted = Counter(r[key] for r in records)
    twice = [i for i, n in counted.items() if n > 1]
    assert not twice, f"records handed over more than once: {twice}"
    return {r[key]: r for r in records}


# -- full read -------------------------------------------------------------------------------


def test_a_full_read_hands_over_every_row_once_with_its_people_and_reconciles(sandbox, env):
    run = sync(source(sandbox))
    users, resources = person_keys(env)

    projects = by_id(run.records("projects"), "msdyn_projectid")
    assert set(projects) == ids(env, "msdyn_project")
    for row in env.table_rows("msdyn_project"):
        manager = row["_msdyn_projectmanager_value"]
        assert projects[row["msdyn_projectid"]]["manager"] == (users[manager] if manager else None)
        assert projects[row["msdyn_projectid"]]["msdyn_subject"] == row["msdyn_subject"]
    assert set(by_id(run.records("buckets"), "msdyn_projectbucketid")) == ids(
        env, "msdyn_projectbucket"
    )
    tasks = by_id(run.records("tasks"), "msdyn_projecttaskid")
    assert set(tasks) == ids(env, "msdyn_projecttask")
    before = predecessors(env)
    assert before, "the generated environment has dependencies"
    for task_id, task in tasks.items():
        assert task["predecessors"] == before.get(task_id, [])
        assert "@odata.etag" in task
    assignments = by_id(run.records("assignments"), "msdyn_resourceassignmentid")
    assert set(assignments) == ids(env, "msdyn_resourceassignment")
    for row in env.table_rows("msdyn_resourceassignment"):
        wanted = resources[row["_msdyn_bookableresourceid_value"]]
        assert assignments[row["msdyn_resourceassignmentid"]]["person"] == wanted

    # people: every manager, team member and assignee
    # a person is handed over again only when a later lookup knows more (a manager who is
    # also an assignee: the second record adds the bookable resource); the last one counts
    people = {p["key"]: p for p in run.records("people")}
    assert set(people) == referenced(env)
    assert len(run.records("people")) <= 2 * len(people)
    for row in env.table_rows("msdyn_resourceassignment"):
        resource = row["_msdyn_bookableresourceid_value"]
        assert people[resources[resource]]["bookableresourceid"] == resource
    generic = [k for k in people if k.startswith("resource:")]
    assert generic, "the quirks' generic and contact resources are people too"
    for key in generic:
        resource = env.get("bookableresource", key.removeprefix("resource:"))
        assert people[key]["name"] == resource["name"]
        assert people[key]["email"] == resource["msdyn_primaryemail"]
        assert people[key]["objectId"] is None

    # complete listings: every project, and each project's buckets and tasks, and assignments
    reconciles = {(r.kind, r.parent): r.present for r in run.reconciles()}
    assert reconciles[("projects", None)] == ids(env, "msdyn_project")
    for project in ids(env, "msdyn_project"):
        assert reconciles[("buckets", project)] == {
            b["msdyn_projectbucketid"] for b in env.find("msdyn_projectbucket",
                                                         _msdyn_project_value=project)
        }  # fmt: skip
        assert reconciles[("tasks", project)] == {
            t["msdyn_projecttaskid"] for t in env.find("msdyn_projecttask",
                                                       _msdyn_project_value=project)
        }  # fmt: skip
    assert reconciles[("assignments", None)] == ids(env, "msdyn_resourceassignment")
    assert reconciles[("people", None)] == referenced(env)
    assert run.warnings == []


def test_a_full_read_costs_the_paging_minimum_one_entity_definitions_and_few_lookups(
    sandbox, env
):
    run = sync(source(sandbox))
    stats = sandbox.stats()
    assert run.requests == stats["total"], "every request is counted on some page"
    for table, entity_set in SETS.items():
        rows = len(env.table_rows(table))
        # one request per page of PAGE rows; an empty table still takes one request
        assert stats["by_entity_set"][entity_set] == max(1, math.ceil(rows / PAGE)), table
    assert stats["by_endpoint"]["GET EntityDefinitions"] == 1
    lookups = [e for e in sandbox.requests_log
               if e["path"].endswith(("/systemusers", "/bookableresources"))]  # fmt: skip
    looked_up = Counter(
        part.strip("'") for e in lookups
        for part in unquote(e["query"]).split("PropertyValues=[")[1].split("]")[0].split(",")
    )  # fmt: skip
    assert looked_up and max(looked_up.values()) == 1, "each person is looked up once a run"
    other = stats["total"] - sum(stats["by_entity_set"][s] for s in SETS.values())
    assert other == 1 + len(lookups)  # EntityDefinitions + the lookups, nothing else


# -- incremental reads -----------------------------------------------------------------------


def test_a_delta_read_hands_over_only_what_changed_and_the_deleted_ids(sandbox, env):
    first = sync(source(sandbox))
    tasks = env.table_rows("msdyn_projecttask")
    leaves = [t for t in tasks if not t["msdyn_summary"]]
    deps = env.table_rows("msdyn_projecttaskdependency")
    # a leaf that is some task's predecessor: deleting it changes its successors' predecessors
    doomed = next(t for t in leaves
                  if any(d["_msdyn_predecessortask_value"] == t["msdyn_projecttaskid"]
                         for d in deps))  # fmt: skip
    doomed_id = doomed["msdyn_projecttaskid"]
    orphaned = {d["_msdyn_successortask_value"] for d in deps
                if d["_msdyn_predecessortask_value"] == doomed_id}  # fmt: skip
    edited = next(t for t in leaves if t["msdyn_projecttaskid"] != doomed_id
                  and t["msdyn_projecttaskid"] not in orphaned)  # fmt: skip
    # a new dependency: two leaves of one project not yet linked
    project = edited["_msdyn_project_value"]
    pair = [t["msdyn_projecttaskid"] for t in leaves if t["_msdyn_project_value"] == project
            and t["msdyn_projecttaskid"] not in (doomed_id, edited["msdyn_projecttaskid"])]
    predecessor, successor = pair[0], pair[-1]
    assert successor not in orphaned
    bucket = env.table_rows("msdyn_projectbucket")[0]

    env.upsert("msdyn_projecttask", {"msdyn_projecttaskid": edited["msdyn_projecttaskid"],
                                     "msdyn_subject": "Renamed"})  # fmt: skip
    env.upsert("msdyn_projecttaskdependency", {
        "msdyn_projecttaskdependencyid": env.guid(), "_msdyn_project_value": project,
        "_msdyn_predecessortask_value": predecessor, "_msdyn_successortask_value": successor,
        "msdyn_projecttaskdependencylinktype": 1,
    })  # fmt: skip
    env.upsert("msdyn_projectbucket", {"msdyn_projectbucketid": bucket["msdyn_projectbucketid"],
                                       "msdyn_name": "Later"})  # fmt: skip
    gone = env.delete("msdyn_projecttask", doomed_id)
    # a new team member (the team table has no change tracking: read by modifiedon)
    newcomer = env.guid()
    env.upsert("bookableresource", {"bookableresourceid": newcomer, "name": "Tester (agency)",
                                    "resourcetype": 1})  # fmt: skip
    env.upsert("msdyn_projectteam", {"msdyn_projectteamid": env.guid(), "msdyn_name": "Tester",
                                     "_msdyn_project_value": project,
                                     "_msdyn_bookableresourceid_value": newcomer})  # fmt: skip
    gone_assignments = {d.id for d in gone if d.table == "msdyn_resourceassignment"}

    sandbox.reset_stats()
    second = sync(source(sandbox), first.states)
    changed = by_id(second.records("tasks"), "msdyn_projecttaskid")
    assert set(changed) == {edited["msdyn_projecttaskid"], successor} | orphaned
    assert changed[edited["msdyn_projecttaskid"]]["msdyn_subject"] == "Renamed"
    now = predecessors(env)
    for task_id, task in changed.items():
        assert task["predecessors"] == now.get(task_id, [])
    assert predecessor in changed[successor]["predecessors"]
    assert second.deleted("tasks") == [doomed_id]
    assert [b["msdyn_name"] for b in second.records("buckets")] == ["Later"]
    assert second.records("projects") == [] and second.records("assignments") == []
    assert set(second.deleted("assignments")) == gone_assignments
    # the only complete listing of a delta sync: the people the plans still name
    assert [(r.kind, r.present) for r in second.reconciles()] == [("people", referenced(env))]
    assert [(p["key"], p["name"], p["resourcetype"]) for p in second.records("people")] == [
        (f"resource:{newcomer}", "Tester (agency)", 1)
    ]
    # one delta request per tracked table; the tasks whose dependencies alone changed in one
    # lookup; the managers and team members listed by reference columns (one page each at
    # 5000 rows a page); the team read by modifiedon (its expand names the newcomer: no lookup;
    # the rows read at the last second come again, so one page or more)
    stats = sandbox.stats()
    assert stats["delta_listings"] == 5
    assert stats["by_endpoint"]["GET EntityDefinitions"] == 1
    per_set = stats["by_entity_set"]
    assert per_set["msdyn_projects"] == 2 and per_set["msdyn_projecttasks"] == 2
    for entity_set in ("msdyn_projectbuckets", "msdyn_projecttaskdependencies",
                       "msdyn_resourceassignments"):  # fmt: skip
        assert per_set[entity_set] == 1, entity_set
    assert per_set["msdyn_projectteams"] >= 2
    assert "systemusers" not in per_set and "bookableresources" not in per_set
    assert stats["total"] == sum(per_set.values()) + 1 == second.requests

    # and a third sync with nothing changed hands over nothing
    third = sync(source(sandbox), second.states)
    assert all(not p.records and not p.deleted for pages in third.pages.values() for p in pages)


def test_a_person_no_plan_names_any_more_is_left_out_of_the_people_listing(sandbox, env):
    first = sync(source(sandbox))
    # a new generic resource, on one team only; then taken off it again
    project = env.table_rows("msdyn_project")[0]["msdyn_projectid"]
    temp = env.guid()
    env.upsert("bookableresource", {"bookableresourceid": temp, "name": "Temp",
                                    "resourcetype": 1})  # fmt: skip
    member = env.guid()
    env.upsert("msdyn_projectteam", {"msdyn_projectteamid": member, "msdyn_name": "Temp",
                                     "_msdyn_project_value": project,
                                     "_msdyn_bookableresourceid_value": temp})  # fmt: skip
    second = sync(source(sandbox), first.states)
    [listed] = [r for r in second.reconciles() if r.kind == "people"]
    assert f"resource:{temp}" in listed.present and listed.present == referenced(env)
    env.delete("msdyn_projectteam", member)  # no change tracking: only a listing sees this
    third = sync(source(sandbox), second.states)
    [listed] = [r for r in third.reconciles() if r.kind == "people"]
    assert f"resource:{temp}" not in listed.present and listed.present == referenced(env)


def test_an_expired_token_reads_the_table_in_full_again_with_reconciles(sandbox, env):
    first = sync(source(sandbox))
    doomed = next(t for t in env.table_rows("msdyn_projecttask") if not t["msdyn_summary"])
    env.delete("msdyn_projecttask", doomed["msdyn_projecttaskid"])
    sandbox.expire_delta_tokens()  # the deletion log is gone with the tokens

    second = sync(source(sandbox), first.states)
    assert any("change-tracking token expired" in w and "msdyn_projecttask:" in w
               for w in second.warnings), second.warnings  # fmt: skip
    tasks = by_id(second.records("tasks"), "msdyn_projecttaskid")
    assert set(tasks) == ids(env, "msdyn_projecttask")
    project = doomed["_msdyn_project_value"]
    reconciles = {(r.kind, r.parent): r.present for r in second.reconciles()}
    assert doomed["msdyn_projecttaskid"] not in reconciles[("tasks", project)]
    assert reconciles[("tasks", project)] == {
        t["msdyn_projecttaskid"] for t in env.find("msdyn_projecttask",
                                                   _msdyn_project_value=project)
    }  # fmt: skip
    # the fresh tokens work: the next sync is a delta again, with nothing to hand over
    third = sync(source(sandbox), second.states)
    assert third.records("tasks") == [] and third.warnings == []


# -- throttling, stops, refusals -------------------------------------------------------------


@pytest.mark.parametrize("missing_retry_after", [False, True])
def test_a_429_storm_is_waited_out_and_every_attempt_counted(sandbox, env, missing_retry_after):
    sandbox.throttle_next(3, retry_after_s=1, missing_retry_after=missing_retry_after)
    started = time.monotonic()
    run = sync(source(sandbox))
    assert set(by_id(run.records("tasks"), "msdyn_projecttaskid")) == ids(env, "msdyn_projecttask")
    stats = sandbox.stats()
    assert stats["throttled"] == 3
    assert run.requests == stats["total"]
    if not missing_retry_after:  # three 429s asking for 1 s each: at least 3 s of waiting
        assert time.monotonic() - started >= 3


def test_server_errors_and_dropped_connections_are_retried_and_counted(sandbox, env):
    sandbox.fail_next(2, 503)
    sandbox.drop_next(1)
    run = sync(source(sandbox))
    assert set(by_id(run.records("tasks"), "msdyn_projecttaskid")) == ids(env, "msdyn_projecttask")
    assert sandbox.stats()["by_status"].get("503") == 2
    assert run.requests == sandbox.stats()["total"]  # the emulator counts the drop too


def test_checkpoints_follow_the_environment_to_a_new_address(sandbox, env):
    """Delta links are kept relative to the Web API root: the same environment served on
    another port (a restarted sandbox) goes on from them, with no full read."""
    first = sync(source(sandbox))
    task = env.table_rows("msdyn_projecttask")[0]["msdyn_projecttaskid"]
    env.upsert("msdyn_projecttask", {"msdyn_projecttaskid": task, "msdyn_subject": "Moved"})
    with DataverseSandbox(env) as moved:
        assert moved.environment_url != sandbox.environment_url
        second = sync(source(moved), first.states)
        assert [t["msdyn_projecttaskid"] for t in second.records("tasks")] == [task]
        assert moved.stats()["delta_listings"] == 5  # every change-tracked table


def test_a_stop_ends_a_retry_after_wait_at_once(sandbox):
    stop = threading.Event()
    sandbox.throttle_next(1, retry_after_s=60)
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    with pytest.raises(StopRequested):
        sync(source(sandbox, FAST.for_run(stop)))
    assert time.monotonic() - started < 5


def test_a_missing_table_privilege_is_one_line_naming_it_and_the_other_streams_go_on(sandbox):
    sandbox.revoke("msdyn_projecttask")
    src = source(sandbox)
    names = []
    try:
        for stream in src.streams():
            try:
                for _ in stream.pages(None, full=False):
                    pass
                names.append(stream.name)
            except PermissionDenied as error:
                message = str(error)
                assert "\n" not in message
                assert (
                    "missing privilege prvReadmsdyn_projecttask (Read on table "
                    "msdyn_projecttask): add it to the application user's security role"
                ) in message
                assert sandbox.token not in message
    finally:
        src.close()
    assert names == ["projects", "buckets", "assignments", "people"]


def test_check_signs_in_probes_each_table_the_scope_and_change_tracking(sandbox, env):
    first = env.table_rows("msdyn_project")
    names = Counter(p["msdyn_subject"] for p in first)
    twice = next(name for name, n in names.items() if n == 2)  # the quirk: a shared name
    lines = source(sandbox, projects=[f"  {twice.upper()} ", "No Such Plan"]).check()
    levels = [(r.level, r.message) for r in lines]
    assert levels[0] == ("ok", f"signed in to {sandbox.environment_url}")
    assert ("ok", "msdyn_projecttask: readable") in levels
    assert ("ok", "projects: 2 premium plan(s) in scope") in levels
    assert ("warning", "projects: no premium plan is named or has the id 'No Such Plan'") in levels
    assert any(level == "warning" and "2 premium plans are named" in text
               for level, text in levels)  # fmt: skip
    assert ("warning", "msdyn_projectteam: change tracking is off: read by modifiedon; "
            "removals found by listing its key columns in full each run") in levels  # fmt: skip
    assert not [line for line in lines if line.level == "error"]

    sandbox.revoke("msdyn_resourceassignment")
    lines = source(sandbox).check()
    errors = [r.message for r in lines if r.level == "error"]
    assert len(errors) == 1 and "prvReadmsdyn_resourceassignment" in errors[0]


def test_check_stops_after_a_refused_sign_in(sandbox):
    sandbox.add_token("outsider-token", member=False)
    lines = source(sandbox, token="outsider-token").check()
    assert [r.level for r in lines] == ["error", "warning"]
    assert "not a member of the environment" in lines[0].message
    assert "outsider-token" not in lines[0].message

    lines = source(sandbox, token="revoked-token").check()
    assert lines[0].level == "error" and "Dataverse refused the credentials" in lines[0].message
    src = source(sandbox, token="revoked-token")
    with pytest.raises(AuthenticationError) as refused:
        sync(src)
    assert refused.value.fatal_for_connector and not isinstance(refused.value, NotInEnvironment)


# -- scope -----------------------------------------------------------------------------------


def test_the_scope_drops_other_projects_and_a_project_added_later_is_read_by_project(
    sandbox, env
):
    projects = env.table_rows("msdyn_project")
    chosen = projects[0]
    first = sync(source(sandbox, projects=[chosen["msdyn_projectid"]]))
    assert [p["msdyn_projectid"] for p in first.records("projects")] == [chosen["msdyn_projectid"]]
    scope = {chosen["msdyn_projectid"]}
    assert {t["_msdyn_project_value"] for t in first.records("tasks")} == scope
    assert {a["_msdyn_projectid_value"] for a in first.records("assignments")} == scope

    # projects: now names a second plan; nothing changed upstream
    added = projects[1]
    second = sync(
        source(sandbox, projects=[chosen["msdyn_projectid"], added["msdyn_projectid"]]),
        first.states,
    )
    assert [p["msdyn_projectid"] for p in second.records("projects")] == [added["msdyn_projectid"]]
    rows = env.find("msdyn_projecttask", _msdyn_project_value=added["msdyn_projectid"])
    added_tasks = {t["msdyn_projecttaskid"] for t in rows}
    assert set(by_id(second.records("tasks"), "msdyn_projecttaskid")) == added_tasks
    reconciles = {(r.kind, r.parent): r.present for r in second.reconciles()}
    assert reconciles[("tasks", added["msdyn_projectid"])] == added_tasks
    assert ("tasks", chosen["msdyn_projectid"]) not in reconciles


# -- sign-in ---------------------------------------------------------------------------------


def test_a_missing_certificate_is_one_line_before_any_request(sandbox, tmp_path):
    """azure-identity reads the certificate when the credential is made: a wrong path is the
    connector's one-line error (``probe_source`` and the engine show it), not a crash."""
    missing = tmp_path / "missing.pem"
    config = PlannerPremiumConnector.model_validate({
        "type": "planner_premium", "environment": sandbox.environment_url,
        "tenant_id": "00000000-0000-0000-0000-000000000001",
        "client_id": "00000000-0000-0000-0000-000000000002", "certificate_path": str(missing),
    })  # fmt: skip
    with pytest.raises(AuthenticationError) as refused:
        PremiumSource("premium", config)
    assert str(refused.value).startswith(f"certificate_path {missing}: cannot read it")
    assert "\n" not in str(refused.value) and sandbox.stats()["total"] == 0
