"""Planner write-back end to end: a Planner sync of the Graph sandbox into SQLite, then
``run_writeback`` writing the PMO's label and status task back over msgraph-sdk, with the
sandbox's own If-Match, 412/409 and Prefer handling. Ground truth is the sandbox tenant (what a
person opening the plan would see) and a RAG worked out by hand: one plan is made red on
purpose (all its work open and due 20 days before the report date, which the past-finish rule
judges red whatever else fires)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from graph_env import PLANNER, planner_yaml, write_config

from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.tenant import generate_tenant
from pmosync.store import Store
from pmosync.store.write_ledger import CONFLICT, WRITTEN, WriteItem, value_hash, write_key
from pmosync.sync.run import run_sync
from pmosync.writeback.changes import ADOPT, STATUS_NOTE, STATUS_TASK, WRITE
from pmosync.writeback.changes import CONFLICT as CONFLICTED
from pmosync.writeback.planner import PlannerTarget
from pmosync.writeback.run import run_writeback

READ_ROLES = {"Tasks.Read.All", "Group.Read.All", "User.Read.All"}
LATE_DAYS = 20


@pytest.fixture
def tenant():
    return generate_tenant(seed=11, size="XS")


@pytest.fixture
def sandbox(tenant):
    with GraphSandbox(tenant, page_size=20) as running:
        yield running


@pytest.fixture
def red_plan(tenant):
    """A plan made red by hand: every task open, due ``LATE_DAYS`` before the tenant's today."""
    plan_id = sorted(tenant.plans)[0]
    due = datetime.combine(tenant.today - timedelta(days=LATE_DAYS), time(), UTC)
    for task in tenant.plan_tasks(plan_id):
        tenant.edit_task(task.id, percent_complete=0, start_at=due - timedelta(days=30), due_at=due)
    return plan_id


def _writeback(label: str = "PMO: {rag}", title: str = "PMO status: {rag}") -> str:
    return (
        "    writeback:\n"
        "      report: pmo\n"
        f"      label: {{text: '{label}'}}\n"
        f"      status_task: {{bucket: PMO, title: '{title}'}}\n"
    )


def _config(tmp_path, sandbox, *, token=None, **templates):
    groups = sorted(sandbox.tenant.groups)
    connectors = planner_yaml(sandbox, groups, extra=_writeback(**templates))
    reports = "reports:\n  pmo:\n    kind: portfolio_status\n    formats: [json]\n"
    path, config = write_config(tmp_path, sandbox, connectors + reports, token=token)
    return path, config


def _synced(tmp_path, sandbox, *, token=None):
    path, config = _config(tmp_path, sandbox, token=token)
    store = Store.open(config.store, base_dir=path.parent)
    results = run_sync(config, store).connectors
    assert all(r.error is None for r in results), [r.error for r in results]
    return config, store


def _again(tmp_path, sandbox, **templates):
    """The same store with other templates (a new wanted value, no new data)."""
    return _config(tmp_path, sandbox, **templates)[1]


def _apply(config, store, tenant):
    outcome = run_writeback(config, store, apply=True, today=tenant.today)
    [result] = outcome.results
    assert result.error is None, result.error
    return result


def _pmo_tasks(tenant, plan_id):
    buckets = [b for b in tenant.plan_buckets(plan_id) if b.name == "PMO"]
    return buckets, [t for b in buckets for t in tenant.bucket_tasks(b.id)]


def _entry(store, plan_id, field):
    return store.writes.entries(PLANNER)[write_key(PLANNER, plan_id, field)]


def _changes(result, plan_id):
    return {c.field: c for c in result.changes if c.item_id == plan_id}


def test_first_write_creates_bucket_and_task_names_the_label_as_worked_by_hand(
    tmp_path, tenant, sandbox, red_plan
):
    config, store = _synced(tmp_path, sandbox)
    result = _apply(config, store, tenant)

    plan = tenant.plans[red_plan]
    assert plan.category_descriptions["category25"] == "PMO: Red"
    buckets, tasks = _pmo_tasks(tenant, red_plan)
    assert len(buckets) == 1 and len(tasks) == 1
    [task] = tasks
    assert task.title == "PMO status: Red"
    assert task.applied_categories == ["category25"]
    assert task.description.startswith("Computed RAG: Red, by the PMO's rules (report 'pmo').")
    assert f"{LATE_DAYS} days past its" in task.description
    # every plan in the report got its own bucket, task and label, one each
    for plan_id in tenant.plans:
        buckets, tasks = _pmo_tasks(tenant, plan_id)
        assert len(buckets) == 1 and len(tasks) == 1, plan_id
        assert tenant.plans[plan_id].category_descriptions["category25"].startswith("PMO: ")
    # the ledger keeps the task's and its details' etags apart, both naming the task
    task_row, note_row = _entry(store, red_plan, STATUS_TASK), _entry(store, red_plan, STATUS_NOTE)
    assert task_row.state == note_row.state == WRITTEN
    assert task_row.ref == note_row.ref == task.id
    assert task_row.etag and note_row.etag and task_row.etag != note_row.etag
    assert all(c.action == WRITE for c in result.changes)

    # a second run with nothing new writes nothing and asks nothing
    again = _apply(config, store, tenant)
    assert again.changes == [] and again.requests == 0
    store.close()


def test_a_sync_after_the_write_back_reads_none_of_it_back(tmp_path, tenant, sandbox, red_plan):
    """The owned bucket's task and label are pmosync's, not the team's work: the next sync and
    write-back find nothing to change (the red plan's open work count is as it was)."""
    config, store = _synced(tmp_path, sandbox)
    _apply(config, store, tenant)
    assert all(r.error is None for r in run_sync(config, store).connectors)
    again = _apply(config, store, tenant)
    assert again.changes == [] and again.requests == 0
    store.close()


def test_a_second_write_with_the_ledger_etag_is_one_request_each(
    tmp_path, tenant, sandbox, red_plan
):
    config, store = _synced(tmp_path, sandbox)
    _apply(config, store, tenant)
    renamed = _again(tmp_path, sandbox, label="PMO RAG: {rag}", title="PMO says: {rag}")
    result = _apply(renamed, store, tenant)

    written = [c for c in result.changes if c.action == WRITE]
    assert len(written) == 2 * len(tenant.plans)  # a label and a title per plan
    assert result.requests == len(written)
    assert tenant.plans[red_plan].category_descriptions["category25"] == "PMO RAG: Red"
    [task] = _pmo_tasks(tenant, red_plan)[1]
    assert task.title == "PMO says: Red"
    store.close()


def test_a_human_edit_of_the_task_title_is_a_conflict_and_kept(tmp_path, tenant, sandbox, red_plan):
    config, store = _synced(tmp_path, sandbox)
    _apply(config, store, tenant)
    [task] = _pmo_tasks(tenant, red_plan)[1]
    tenant.edit_task(task.id, title="All fine, says the team")
    before = _entry(store, red_plan, STATUS_TASK).etag

    result = _apply(_again(tmp_path, sandbox, title="PMO says: {rag}"), store, tenant)

    change = _changes(result, red_plan)[STATUS_TASK]
    assert change.action == CONFLICTED
    assert "'All fine, says the team'" in change.note
    assert tenant.tasks[task.id].title == "All fine, says the team"
    row = _entry(store, red_plan, STATUS_TASK)
    assert row.state == CONFLICT and row.value == "PMO status: Red"
    assert row.etag and row.etag != before  # the etag read after the 412, for the next try
    store.close()


def test_an_etag_moved_by_an_edit_of_another_property_is_re_read_and_written(
    tmp_path, tenant, sandbox, red_plan
):
    config, store = _synced(tmp_path, sandbox)
    _apply(config, store, tenant)
    [task] = _pmo_tasks(tenant, red_plan)[1]
    tenant.edit_task(task.id, priority=1)  # a human marks it urgent: the title is untouched
    tenant.label_categories(red_plan, {"category3": "Blocked by legal"})  # another label

    result = _apply(_again(tmp_path, sandbox, label="PMO RAG: {rag}", title="PMO says: {rag}"),
                    store, tenant)  # fmt: skip

    changes = _changes(result, red_plan)
    assert changes[STATUS_TASK].action == WRITE and changes["label"].action == WRITE
    assert tenant.tasks[task.id].title == "PMO says: Red"
    assert tenant.tasks[task.id].priority == 1
    labels = tenant.plans[red_plan].category_descriptions
    assert labels["category25"] == "PMO RAG: Red" and labels["category3"] == "Blocked by legal"
    assert _entry(store, red_plan, STATUS_TASK).state == WRITTEN
    # each of the two: the refused PATCH, the re-read, the PATCH with the new etag
    assert result.requests == 2 * 3 + 2 * (len(tenant.plans) - 1)
    store.close()


def test_a_409_is_re_read_and_written_again(tmp_path, tenant, sandbox, red_plan):
    config, store = _synced(tmp_path, sandbox)
    _apply(config, store, tenant)
    [task] = _pmo_tasks(tenant, red_plan)[1]
    sandbox.conflict_next(task.id)

    result = _apply(_again(tmp_path, sandbox, title="PMO says: {rag}"), store, tenant)

    assert _changes(result, red_plan)[STATUS_TASK].action == WRITE
    assert tenant.tasks[task.id].title == "PMO says: Red"
    assert result.requests == 3 + (len(tenant.plans) - 1)
    store.close()


@pytest.mark.parametrize("retry_after", [1, None])
def test_a_throttled_patch_is_sent_again(tmp_path, tenant, sandbox, red_plan, retry_after):
    config, store = _synced(tmp_path, sandbox)
    _apply(config, store, tenant)
    [task] = _pmo_tasks(tenant, red_plan)[1]
    sandbox.fail_next(1, 429, retry_after_s=retry_after, path_contains=f"/tasks/{task.id}")

    result = _apply(_again(tmp_path, sandbox, title="PMO says: {rag}"), store, tenant)

    assert tenant.tasks[task.id].title == "PMO says: Red"
    assert _changes(result, red_plan)[STATUS_TASK].action == WRITE
    assert result.requests == len(tenant.plans) + 1  # one PATCH per plan, one sent twice
    store.close()


def test_without_tasks_readwrite_all_the_write_and_the_probe_name_it(tmp_path, tenant, sandbox):
    sandbox.add_token("reader-only", READ_ROLES)
    config, store = _synced(tmp_path, sandbox, token="reader-only")
    target = PlannerTarget(config, PLANNER, config.connectors[PLANNER])
    try:
        [line] = target.probe()
    finally:
        target.close()
    assert "Tasks.ReadWrite.All" in line

    result = _apply(config, store, tenant)
    assert result.changes and all(c.action == "skip" for c in result.changes)
    for change in result.changes:  # the note waits for a task, which the 403 kept from being
        wanted = "no PMO status task" if change.field == STATUS_NOTE else "Tasks.ReadWrite.All"
        assert wanted in change.note, change
    assert all(not _pmo_tasks(tenant, p)[0] for p in tenant.plans)  # nothing was made

    full = PlannerTarget(_again(tmp_path, sandbox), PLANNER, config.connectors[PLANNER])
    try:
        assert full.probe() == []
    finally:
        full.close()
    store.close()


def test_a_task_posted_before_a_crash_is_adopted_not_doubled(tmp_path, tenant, sandbox, red_plan):
    config, store = _synced(tmp_path, sandbox)
    # The killed run had committed its pending row and its POST had landed; the answer never
    # reached the ledger. The tenant holds the task it made, in the bucket it made.
    bucket = tenant.add_bucket(red_plan, "PMO")
    posted = tenant.add_task(
        red_plan, "PMO status: Red", bucket_id=bucket, applied_categories=["category25"]
    )
    key = write_key(PLANNER, red_plan, STATUS_TASK)
    item = WriteItem(key, PLANNER, "plan", red_plan, STATUS_TASK)
    store.writes.intend(item, "PMO status: Red", value_hash("PMO status: Red"))

    result = _apply(config, store, tenant)

    buckets, tasks = _pmo_tasks(tenant, red_plan)
    assert [b.id for b in buckets] == [bucket] and [t.id for t in tasks] == [posted]
    row = _entry(store, red_plan, STATUS_TASK)
    assert row.state == WRITTEN and row.ref == posted
    assert row.etag  # the task's etag as confirmed
    assert STATUS_TASK not in _changes(result, red_plan)  # nothing more to write there
    assert tenant.tasks[posted].description.startswith("Computed RAG: Red")
    store.close()


def test_a_first_write_adopts_a_label_already_showing_the_value(
    tmp_path, tenant, sandbox, red_plan
):
    tenant.label_categories(red_plan, {"category25": "PMO: Red"})
    config, store = _synced(tmp_path, sandbox)
    result = _apply(config, store, tenant)
    assert _changes(result, red_plan)["label"].action == ADOPT
    assert _entry(store, red_plan, "label").etag
    store.close()


def test_the_probe_names_a_group_out_of_reach_and_writes_nothing(tmp_path, tenant, sandbox):
    groups = [*sorted(tenant.groups), "00000000-0000-0000-0000-00000000dead"]
    reports = "reports:\n  pmo:\n    kind: portfolio_status\n    formats: [json]\n"
    connectors = planner_yaml(sandbox, groups, extra=_writeback())
    config = write_config(tmp_path, sandbox, connectors + reports)[1]
    before = {p: (plan.details_version, dict(plan.category_descriptions))
              for p, plan in tenant.plans.items()}  # fmt: skip
    target = PlannerTarget(config, PLANNER, config.connectors[PLANNER])
    try:
        [line] = target.probe()
    finally:
        target.close()
    assert line.startswith(f"{PLANNER}: the plans of group 00000000-0000-0000-0000-00000000dead")
    assert "404" in line
    after = {p: (plan.details_version, dict(plan.category_descriptions))
             for p, plan in tenant.plans.items()}  # fmt: skip
    assert after == before


def test_a_status_task_a_human_deleted_is_made_again_once(tmp_path, tenant, sandbox, red_plan):
    config, store = _synced(tmp_path, sandbox)
    _apply(config, store, tenant)
    [task] = _pmo_tasks(tenant, red_plan)[1]
    tenant.delete_task(task.id)

    result = _apply(_again(tmp_path, sandbox, title="PMO says: {rag}"), store, tenant)

    assert _changes(result, red_plan)[STATUS_TASK].action == WRITE
    [made] = _pmo_tasks(tenant, red_plan)[1]
    assert made.id != task.id and made.title == "PMO says: Red"
    assert _entry(store, red_plan, STATUS_TASK).ref == made.id
    store.close()
