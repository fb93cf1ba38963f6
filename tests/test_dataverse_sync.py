"""Planner premium end to end: the connector against the Dataverse sandbox over loopback HTTP,
through the real engine into a real store, compared with the sandbox environment's own rows
(tests/dataverse_env.py writes the expected values out by hand from those rows)."""

from __future__ import annotations

from datetime import date

import pytest
from cli import run_pmosync
from dataverse_env import (
    PREMIUM,
    all_rows,
    differences,
    environ,
    expected,
    live_rows,
    premium_yaml,
    write_config,
)

from pmosync.canonical.types import (
    Allocation,
    Assignment,
    PersonIdentity,
    Phase,
    Project,
    Task,
)
from pmosync.config import load_config
from pmosync.sandbox.dataverse import DataverseSandbox
from pmosync.sandbox.dataverse.churn import (
    churn,
    delete_project,
    delete_task,
    move_task,
    set_project_state,
)
from pmosync.sandbox.dataverse.generate import EnvironmentSize, generate_environment
from pmosync.store import Store
from pmosync.sync.run import run_sync

TODAY = date(2026, 3, 2)
SIZE = EnvironmentSize(projects=4, tasks=160, people=8)
"""Plans of ~40 tasks: several pages of tasks at a page size of 25."""
PAGE = 25


@pytest.fixture
def env():
    return generate_environment(11, SIZE, TODAY)


@pytest.fixture
def sandbox(env):
    with DataverseSandbox(env) as running:
        yield running


def _sync(tmp_path, sandbox, *, full=False, store_url=None, extra=""):
    path, config = write_config(
        tmp_path, sandbox, premium_yaml(sandbox, page_size=PAGE, extra=extra), store=store_url
    )
    store = Store.open(config.store, base_dir=path.parent)
    try:
        result = run_sync(config, store, full=full).connectors[0]
    except BaseException:
        store.close()
        raise
    return store, result


def _streams(result):
    return {stream.name: stream for stream in result.streams}


def _resync(tmp_path, sandbox, **options):
    store, result = _sync(tmp_path, sandbox, **options)
    store.close()
    assert not result.failed, result
    return result


def test_a_full_sync_holds_exactly_the_environments_plans(tmp_path, env, sandbox, store_url):
    store, result = _sync(tmp_path, sandbox, store_url=store_url)
    with store:
        assert not result.failed, result
        assert differences(store, env) == []
        # the shapes the ground truth must cover, so the comparison above is not vacuous
        tasks = live_rows(store, Task)
        assert any(t["parent_id"] for t in tasks.values()), "subtasks"
        assert any(t["is_milestone"] for t in tasks.values()), "milestones"
        assert any(t["dependency_ids"] for t in tasks.values()), "dependencies"
        summaries = [t for t in env.table_rows("msdyn_projecttask") if t["msdyn_summary"]]
        assert summaries and all(
            tasks[s["msdyn_projecttaskid"]]["estimate_hours"] is None for s in summaries
        ), "a summary task's effort is its children's, never counted twice"
        assert len(live_rows(store, Allocation)) == len(env.table_rows("msdyn_resourceassignment"))


def test_an_incremental_sync_after_churn_reads_only_the_changes(
    tmp_path, env, sandbox, store_url
):
    _resync(tmp_path, sandbox, store_url=store_url)
    full = sandbox.stats()
    sandbox.reset_stats()
    report = churn(env, seed=3, fraction=0.05)
    assert report.edited and report.added and report.deleted and report.moved
    first, second = (p["msdyn_projectid"] for p in env.table_rows("msdyn_project")[:2])
    set_project_state(env, first, active=False)  # statecode 1: archived
    store, result = _sync(tmp_path, sandbox, store_url=store_url)
    with store:
        assert not result.failed, result
        assert differences(store, env) == []
        projects = live_rows(store, Project)
        assert projects[first]["status"] == "archived"
        assert projects[second]["status"] == "active"
        tombstoned = all_rows(store, Task)
        assert all(tombstoned[t]["deleted_at"] is not None for t in report.deleted)
    incremental = sandbox.stats()
    # change tracking: the tasks are read by delta token (or by id, for a successor whose
    # dependencies changed), never listed in full again; far fewer requests and rows overall
    assert incremental["delta_listings"] > 0
    log = sandbox.requests_log
    task_reads = [r["query"] for r in log if r["path"].endswith("/msdyn_projecttasks")]
    assert task_reads and all("deltatoken" in q or "filter" in q for q in task_reads), task_reads
    assert incremental["total"] < full["total"] / 2, (incremental, full)
    assert incremental["rows"] < full["rows"] / 2, (incremental, full)


def test_an_expired_delta_token_rereads_in_full_and_tombstones_what_is_gone(
    tmp_path, env, sandbox
):
    _resync(tmp_path, sandbox)
    task = next(t for t in env.table_rows("msdyn_projecttask") if not t["msdyn_summary"])
    gone = {d.id for d in delete_task(env, task["msdyn_projecttaskid"]) if d.table.endswith("task")}
    sandbox.expire_delta_tokens()  # the deletion log is forgotten with the tokens
    sandbox.reset_stats()
    store, result = _sync(tmp_path, sandbox)
    with store:
        assert not result.failed, result
        assert differences(store, env) == []
        rows = all_rows(store, Task)
        assert gone and all(rows[t]["deleted_at"] is not None for t in gone)
    stats = sandbox.stats()
    assert stats["by_status"].get("400", 0) >= 1, "the expired token was tried"
    assert stats["full_listings"] >= 1, "then the table was read in full"


def test_a_429_storm_still_ends_at_the_ground_truth(tmp_path, env, sandbox):
    # six 429s with Retry-After: 1 s on the task reads (6 s waited), then two without
    # Retry-After on the assignment reads: the policy backs off 1-2 s then 2-4 s
    sandbox.throttle_next(6, retry_after_s=1, path_contains="msdyn_projecttasks")
    sandbox.throttle_next(2, path_contains="msdyn_resourceassignments", missing_retry_after=True)
    store, result = _sync(tmp_path, sandbox)
    with store:
        assert not result.failed, result
        assert differences(store, env) == []
    assert sandbox.stats()["by_status"].get("429") == 8


def test_a_missing_privilege_fails_that_stream_only_and_check_names_it(tmp_path, env, sandbox):
    sandbox.revoke("msdyn_resourceassignment")
    store, result = _sync(tmp_path, sandbox)
    with store:
        streams = _streams(result)
        failed = streams["assignments"]
        assert failed.status == "failed"
        assert "prvReadmsdyn_resourceassignment" in failed.error
        assert "\n" not in failed.error and sandbox.token not in failed.error
        assert [s.name for s in result.streams if s.status == "failed"] == ["assignments"]
        problems = differences(store, env)
        others = [p for p in problems if p.split()[0] in ("project", "phase", "task")]
        assert others == []
        assert live_rows(store, Assignment) == {}
    path, _ = write_config(tmp_path, sandbox)
    checked = run_pmosync("check", "-c", path, env=environ(sandbox))
    assert checked.returncode == 1, checked.stdout + checked.stderr
    privilege = "prvReadmsdyn_resourceassignment"
    said = [line for line in checked.stderr.splitlines() if privilege in line]
    assert len(said) == 1 and PREMIUM in said[0], checked.stderr


def test_a_task_moved_to_another_bucket_changes_phase(tmp_path, env, sandbox):
    _resync(tmp_path, sandbox)
    task = next(
        t for t in env.table_rows("msdyn_projecttask")
        if t["_msdyn_projectbucket_value"] and not t["msdyn_summary"]
    )  # fmt: skip
    bucket = next(
        b["msdyn_projectbucketid"] for b in env.table_rows("msdyn_projectbucket")
        if b["_msdyn_project_value"] == task["_msdyn_project_value"]
        and b["msdyn_projectbucketid"] != task["_msdyn_projectbucket_value"]
    )  # fmt: skip
    move_task(env, task["msdyn_projecttaskid"], bucket)
    store, result = _sync(tmp_path, sandbox)
    with store:
        assert not result.failed, result
        row = live_rows(store, Task)[task["msdyn_projecttaskid"]]
        assert row["phase_id"] == Phase.ref(PREMIUM, bucket)
        assert differences(store, env) == []


def test_a_deleted_project_takes_its_phases_tasks_and_assignments(tmp_path, env, sandbox):
    _resync(tmp_path, sandbox)
    project = env.table_rows("msdyn_project")[-1]["msdyn_projectid"]
    tasks = {t["msdyn_projecttaskid"] for t in env.find("msdyn_projecttask",
                                                       _msdyn_project_value=project)}
    buckets = {b["msdyn_projectbucketid"] for b in env.find("msdyn_projectbucket",
                                                          _msdyn_project_value=project)}
    assignments = {a["msdyn_resourceassignmentid"] for a in env.find(
        "msdyn_resourceassignment", _msdyn_projectid_value=project)}  # fmt: skip
    assert tasks and buckets and assignments
    known = set(expected(env)[PersonIdentity])
    delete_project(env, project)
    retired = known - set(expected(env)[PersonIdentity])  # people only that plan named
    assert retired
    store, result = _sync(tmp_path, sandbox)
    with store:
        assert not result.failed, result
        for model, ids in ((Project, {project}), (Phase, buckets), (Task, tasks),
                           (Assignment, assignments), (Allocation, assignments),
                           (PersonIdentity, retired)):  # fmt: skip
            rows = all_rows(store, model)
            assert all(rows[i]["deleted_at"] is not None for i in ids), model.entity
        assert differences(store, env) == []


def test_a_premium_assignee_is_the_same_person_as_in_basic_planner(tmp_path):
    """The environment is generated for a Graph tenant's people: a system user's
    azureactivedirectoryobjectid is the Graph user id and its email the user's mail, so each
    human both tools know is one Person."""
    from graph_env import PLANNER, planner_yaml

    from pmosync.sandbox.graph import GraphSandbox
    from pmosync.sandbox.tenant import TenantSize, generate_tenant

    tenant = generate_tenant(seed=5, size=TenantSize(groups=1, plans=2, tasks=60, people=8,
                                                     timesheet_weeks=1))  # fmt: skip
    env = generate_environment(13, SIZE, TODAY, tenant=tenant)
    with GraphSandbox(tenant, page_size=50) as graph, DataverseSandbox(env) as premium:
        path = tmp_path / "pmosync.yaml"
        path.write_text(
            "store: sqlite:///pmosync.db\nconnectors:\n"
            + planner_yaml(graph, sorted(tenant.groups)) + premium_yaml(premium),
            encoding="utf-8",
        )
        config = load_config(
            path, environ={"GRAPH_TOKEN": graph.token, "DATAVERSE_TOKEN": premium.token}
        )
        with Store.open(config.store, base_dir=tmp_path) as store:
            results = run_sync(config, store).connectors
            assert not any(r.failed for r in results), results
            assert differences(store, env) == []
            basic = live_rows(store, PersonIdentity, PLANNER)
            plans = live_rows(store, PersonIdentity)
    shared = set(basic) & set(plans)
    # ground truth: Graph users assigned in basic Planner and referenced by a premium plan
    assigned = {u for t in tenant.tasks.values() for u in t.assignee_ids}
    assert shared == assigned & set(plans) and len(shared) >= 2, (basic.keys(), plans.keys())
    for user_id in shared:
        mail = tenant.users[user_id].mail.lower()
        assert plans[user_id]["email"] == basic[user_id]["email"] == mail
        assert plans[user_id]["person_id"] is not None
        assert plans[user_id]["person_id"] == basic[user_id]["person_id"]


def test_the_cli_syncs_the_plans_in_scope_as_days_of_the_time_zone(tmp_path, env, sandbox):
    """``projects:`` by name (case and spacing ignored: the third plan has the first's name, so
    both) and by id; a finish of 23:00 UTC on 9 December is 10 December in Berlin (UTC+1)."""
    projects = env.table_rows("msdyn_project")
    subjects = [p["msdyn_subject"] for p in projects]
    twins = [p for p in projects if subjects.count(p["msdyn_subject"]) == 2]
    second, fourth = (p for p in projects if p not in twins)
    name = "  " + "  ".join(twins[0]["msdyn_subject"].upper().split())
    scope = [name, second["msdyn_projectid"]]
    task = next(
        t for t in env.table_rows("msdyn_projecttask")
        if t["_msdyn_project_value"] == second["msdyn_projectid"] and not t["msdyn_summary"]
    )  # fmt: skip
    env.upsert("msdyn_projecttask", {"msdyn_projecttaskid": task["msdyn_projecttaskid"],
                                     "msdyn_scheduledend": "2026-12-09T23:00:00Z"})  # fmt: skip
    listed = ", ".join(f'"{s}"' for s in scope)
    path, _ = write_config(
        tmp_path,
        sandbox,
        premium_yaml(sandbox, page_size=PAGE, extra=f"    projects: [{listed}]\n"),
        head="organisation: {timezone: Europe/Berlin}\n",
    )
    synced = run_pmosync("sync", "-c", path, env=environ(sandbox), cwd=tmp_path)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    with Store.open(f"sqlite:///{tmp_path / 'pmosync.db'}") as store:
        assert differences(store, env, timezone="Europe/Berlin", scope=scope) == []
        projects = live_rows(store, Project)
        assert set(projects) == {p["msdyn_projectid"] for p in (*twins, second)}
        assert live_rows(store, Task)[task["msdyn_projecttaskid"]]["due_date"] == date(2026, 12, 10)
        assert fourth["msdyn_projectid"] not in projects


def test_server_errors_and_dropped_connections_are_retried(tmp_path, env, sandbox):
    sandbox.fail_next(2, 503, retry_after_s=1, path_contains="msdyn_projecttasks")
    sandbox.drop_next(2)
    store, result = _sync(tmp_path, sandbox)
    with store:
        assert not result.failed, result
        assert differences(store, env) == []
    statuses = sandbox.stats()["by_status"]
    assert statuses.get("503") == 2 and statuses.get("dropped") == 2, statuses


def test_a_refused_token_or_an_app_user_outside_the_environment_ends_in_one_line(
    tmp_path, env, sandbox
):
    sandbox.add_token("outsider-token", member=False)
    _, config = write_config(tmp_path, sandbox, token="outsider-token")
    with Store.open(config.store, base_dir=tmp_path) as store:
        outsider = run_sync(config, store).connectors[0]
    sandbox.revoke_token(sandbox.token)
    store, refused = _sync(tmp_path, sandbox)
    store.close()
    for result, token in ((outsider, "outsider-token"), (refused, sandbox.token)):
        assert result.failed
        said = [result.error] + [s.error for s in result.streams if s.error]
        said = [line for line in said if line]
        assert said and all("\n" not in line and token not in line for line in said), said
    assert "not a member of the environment" in (outsider.error or "")
    assert "refused the credentials" in (refused.error or "")


class _StopAfterTasks:
    """Sets ``stop`` once the tasks stream has committed ``pages`` pages."""

    def __init__(self, stop, pages: int) -> None:
        self.stop, self.pages, self.written = stop, pages, 0

    def stream_started(self, connector, stream) -> None: ...

    def page_written(self, connector, stream, records, counts) -> None:
        if stream == "tasks":
            self.written += 1
            if self.written >= self.pages:
                self.stop.set()

    def stream_finished(self, connector, result) -> None: ...


def test_a_sync_stopped_mid_listing_resumes_to_the_ground_truth(tmp_path, env, sandbox):
    import threading

    path, config = write_config(tmp_path, sandbox, premium_yaml(sandbox, page_size=PAGE))
    stop = threading.Event()
    observer = _StopAfterTasks(stop, pages=2)
    with Store.open(config.store, base_dir=path.parent) as store:
        run_sync(config, store, stop=stop, observer=observer)
        assert stop.is_set() and observer.written == 2
        assert 0 < len(live_rows(store, Task)) < len(env.table_rows("msdyn_projecttask"))
        churn(env, seed=4, fraction=0.05)  # the plans move on between the two runs
        result = run_sync(config, store).connectors[0]
        assert not result.failed, result
        assert differences(store, env) == []
