"""Planner end to end: msgraph-sdk against the Graph sandbox over loopback HTTP, into a real
store, compared with the sandbox tenant's own data."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from graph_env import (
    PLANNER,
    live_rows,
    planner_differences,
    planner_yaml,
    write_config,
)

from pmosync.canonical.types import Assignment, PersonIdentity, Project, Task
from pmosync.config import load_config
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.tenant import TenantSize, generate_tenant
from pmosync.store import Store
from pmosync.sync.run import run_sync
from pmosync.sync.sources import probe_source

SMALL = TenantSize(groups=2, plans=4, tasks=260, people=8, timesheet_weeks=1)
"""Plans of ~65 tasks: several server pages at a page size of 20."""


@pytest.fixture
def tenant():
    return generate_tenant(seed=7, size=SMALL)


@pytest.fixture
def sandbox(tenant):
    with GraphSandbox(tenant, page_size=20) as running:
        yield running


def _groups(tenant):
    return sorted(tenant.groups)


def _sync(tmp_path, sandbox, *, full=False, extra="", store_url=None, groups=None):
    groups = groups or _groups(sandbox.tenant)
    path, config = write_config(
        tmp_path, sandbox, planner_yaml(sandbox, groups, extra=extra), store=store_url
    )
    store = Store.open(config.store, base_dir=path.parent)
    try:
        results = run_sync(config, store, full=full).connectors
    except BaseException:
        store.close()
        raise
    return store, results


def _streams(results):
    return {stream.name: stream for result in results for stream in result.streams}


def test_a_full_sync_holds_exactly_the_tenants_plans(tmp_path, tenant, sandbox, store_url):
    store, results = _sync(tmp_path, sandbox, store_url=store_url)
    with store:
        assert not results[0].failed, results[0]
        assert planner_differences(store, tenant, _groups(tenant)) == []
        identities = live_rows(store, PersonIdentity)
        assigned = {u for t in tenant.tasks.values() for u in t.assignee_ids}
        assert assigned <= set(identities)
        for user_id in assigned:
            assert identities[user_id]["email"] == tenant.users[user_id].mail.lower()


def test_an_incremental_sync_remaps_only_changed_tasks(tmp_path, tenant, sandbox):
    store, _ = _sync(tmp_path, sandbox)
    store.close()
    versions = {t.id: t.version for t in tenant.tasks.values()}
    # Without task_details only edits that move the task's etag matter (the churn also makes
    # details-only edits: tests/test_planner_details.py follows those).
    touched = [
        t for t in tenant.mutate_fraction(0.05, seed=3) if tenant.tasks[t].version > versions[t]
    ]
    plan = next(iter(tenant.plans))
    added = tenant.add_task(plan, "Brand new task", percent_complete=100)
    gone = next(t for t in tenant.tasks if t not in touched and t != added)
    tenant.delete_task(gone)
    sandbox.reset_stats()
    store, results = _sync(tmp_path, sandbox)
    with store:
        assert planner_differences(store, tenant, _groups(tenant)) == []
        tasks = _streams(results)["tasks"].counts
        # only new and changed tasks reach mapping (each a Task and one Assignment per
        # assignee); unchanged tasks are not even compared with the store
        remapped = set(touched) | {added}
        written = sum(1 + len(tenant.tasks[t].assignee_ids) for t in remapped)
        assert tasks.inserted + tasks.updated + tasks.unchanged == written
        assert live_rows(store, Task).get(gone) is None


def test_task_details_come_in_batches_of_twenty(tmp_path, tenant, sandbox):
    store, results = _sync(tmp_path, sandbox, extra="    task_details: true\n")
    with store:
        assert not results[0].failed, results[0]
        described = {t.id: t.description for t in tenant.tasks.values() if t.description}
        assert described, "the generated tenant has task descriptions"
        rows = live_rows(store, Task)
        assert {k: rows[k]["description"] for k in described} == described
    stats = sandbox.stats()
    assert stats["by_endpoint"].get("GET /planner/tasks/{task}/details", 0) == 0
    assert stats["batch_items"] >= len(tenant.tasks)
    assert (
        stats["by_endpoint"]["POST /$batch"] <= len(tenant.tasks) // 20 + 2 * len(tenant.plans) + 4
    )


def test_throttled_batch_items_are_retried_alone(tmp_path, tenant, sandbox):
    sandbox.throttle_next(5, retry_after_s=1, path_contains="/details")
    store, results = _sync(tmp_path, sandbox, extra="    task_details: true\n")
    with store:
        assert not results[0].failed, results[0]
        rows = live_rows(store, Task)
        assert all(
            rows[t.id]["description"] == (t.description or None) for t in tenant.tasks.values()
        )


def test_a_plan_deleted_upstream_takes_its_tasks_and_assignments(tmp_path, tenant, sandbox):
    store, _ = _sync(tmp_path, sandbox)
    store.close()
    plan = next(p for p in tenant.plans.values() if tenant.plan_tasks(p.id))
    doomed = {t.id for t in tenant.plan_tasks(plan.id)}
    doomed_assignments = {f"{t.id}:{u}" for t in tenant.plan_tasks(plan.id) for u in t.assignee_ids}
    tenant.delete_plan(plan.id)
    store, results = _sync(tmp_path, sandbox)
    with store:
        assert not results[0].failed, results[0]
        assert plan.id not in live_rows(store, Project)
        assert not doomed & set(live_rows(store, Task))
        assert not doomed_assignments & set(live_rows(store, Assignment))
        assert planner_differences(store, tenant, _groups(tenant)) == []


def test_a_group_the_app_cannot_read_is_skipped_and_retires_nothing(tmp_path, tenant, sandbox):
    store, _ = _sync(tmp_path, sandbox)
    store.close()
    before = set(live_rows(Store.open(f"sqlite:///{tmp_path / 'pmosync.db'}"), Project))
    groups = _groups(tenant) + ["00000000-0000-4000-8000-00000000dead"]
    store, results = _sync(tmp_path, sandbox, groups=groups)
    with store:
        assert not results[0].failed
        assert any("00000000-0000-4000-8000-00000000dead" in w for w in results[0].warnings)
        assert set(live_rows(store, Project)) == before


def test_faults_and_throttling_still_end_at_the_ground_truth(tmp_path, tenant):
    with GraphSandbox(
        tenant, page_size=20, error_rate=0.08, requests_per_minute=400, rate_window_s=2,
        fault_seed=5,
    ) as sandbox:  # fmt: skip
        store, results = _sync(tmp_path, sandbox, extra="    task_details: true\n")
        statuses = sandbox.stats()["by_status"]
    with store:
        assert not results[0].failed, results[0]
        assert planner_differences(store, tenant, _groups(tenant)) == []
    assert statuses.get("429", 0) + statuses.get("503", 0) + statuses.get("504", 0) > 0


def test_a_revoked_token_ends_the_connector_with_one_line(tmp_path, tenant, sandbox):
    sandbox.revoke(sandbox.token)
    store, results = _sync(tmp_path, sandbox)
    with store:
        assert results[0].failed
        assert "refused the credentials" in results[0].error
        assert sandbox.token not in results[0].error


def test_check_names_each_missing_permission(tmp_path, tenant, sandbox):
    sandbox.add_token("tasks-only", {"Tasks.Read.All"})
    _, config = write_config(
        tmp_path, sandbox, planner_yaml(sandbox, _groups(tenant)), token="tasks-only"
    )
    lines = probe_source(PLANNER, config.connectors[PLANNER])
    text = "\n".join(f"{r.level} {r.message}" for r in lines)
    assert "ok Tasks.Read.All" in text
    assert "error missing permission Group.Read.All" in text
    assert "error missing permission User.Read.All" in text


def test_one_event_loop_per_run_and_no_closed_loop_errors(tmp_path, sandbox, caplog):
    store, results = _sync(tmp_path, sandbox)
    store.close()
    assert "Event loop is closed" not in caplog.text
    assert not results[0].failed


def test_check_after_a_refused_sign_in_says_each_permission_was_not_probed(
    tmp_path, tenant, sandbox
):
    sandbox.revoke(sandbox.token)
    _, config = write_config(tmp_path, sandbox, planner_yaml(sandbox, _groups(tenant)))
    lines = probe_source(PLANNER, config.connectors[PLANNER])
    assert lines[0].level == "error" and "refused the credentials" in lines[0].message
    assert [(r.level, r.message.split(":")[0]) for r in lines[1:]] == [
        ("warning", "Tasks.Read.All"),
        ("warning", "User.Read.All"),
    ]
    assert all("not probed" in r.message for r in lines[1:])


def test_a_due_date_set_east_of_utc_lands_on_its_day(tmp_path, tenant, sandbox):
    """A due date of 10 December picked in Berlin (CET, UTC+1) is stored by Planner as the
    instant 2026-12-09T23:00:00Z; with organisation.timezone Europe/Berlin and no timezone of
    its own, the Planner connector reads it as the 10th (the UTC date would be the 9th)."""
    plan = next(iter(tenant.plans))
    due = datetime(2026, 12, 9, 23, 0, tzinfo=UTC)
    task = tenant.add_task(plan, "Submit the audit pack", due_at=due, start_at=due)
    path, config = write_config(tmp_path, sandbox, planner_yaml(sandbox, _groups(tenant)))
    path.write_text(
        "organisation: {timezone: Europe/Berlin}\n" + path.read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    config = load_config(path, environ={"GRAPH_TOKEN": sandbox.token})
    with Store.open(config.store, base_dir=path.parent) as store:
        assert not run_sync(config, store).connectors[0].failed
        row = live_rows(store, Task)[task]
        assert (row["due_date"], row["start_date"]) == (date(2026, 12, 10), date(2026, 12, 10))
