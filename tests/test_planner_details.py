"""Edits that touch only a Planner task's details (its description, its checklist) reach an
incremental sync: Graph moves the details' etag and leaves the task's alone, so a sync that
compared task etags only would keep the old description until ``--full``.

msgraph-sdk against the Graph sandbox over loopback HTTP into a real SQLite store; the expected
descriptions are the ones the test writes into the sandbox tenant.
"""

from __future__ import annotations

import math
from collections import Counter

import pytest
from graph_env import live_rows, planner_yaml, write_config

from pmosync.canonical.types import Task
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.tenant import ChecklistItem, TenantSize, generate_tenant
from pmosync.store import Store
from pmosync.sync.run import run_sync

SIZE = TenantSize(groups=1, plans=2, tasks=50, people=5, timesheet_weeks=1)
DETAILS = "    task_details: true\n    details_refresh_hours: 0\n"


@pytest.fixture
def sandbox():
    with GraphSandbox(generate_tenant(seed=11, size=SIZE), page_size=20) as running:
        yield running


def _sync(tmp_path, sandbox, extra=DETAILS):
    path, config = write_config(
        tmp_path, sandbox, planner_yaml(sandbox, sorted(sandbox.tenant.groups), extra=extra)
    )
    with Store.open(config.store, base_dir=path.parent) as store:
        [result] = run_sync(config, store).connectors
        assert not result.failed, result
        tasks = next(s for s in result.streams if s.name == "tasks").counts
        return live_rows(store, Task), tasks


def test_an_edit_of_only_the_details_reaches_the_next_incremental_sync(tmp_path, sandbox):
    tenant = sandbox.tenant
    rows, _ = _sync(tmp_path, sandbox)
    described = next(t for t in tenant.tasks.values() if t.description and t.checklist)
    assert rows[described.id]["description"] == described.description
    task_etag = described.version
    tenant.edit_task(described.id, description="Scope agreed with finance on Monday.")
    listed = next(t for t in tenant.tasks.values() if t.checklist and t.id != described.id)
    listed_etag = listed.version
    first = listed.checklist[0]
    renamed = ChecklistItem(first.id, first.title + " and sign-off", first.is_checked)
    tenant.edit_task(listed.id, checklist=[renamed, *listed.checklist[1:]])
    # The hostile part: what the task resource shows did not change, nor did its etag.
    assert (described.version, listed.version) == (task_etag, listed_etag)
    rows, counts = _sync(tmp_path, sandbox)
    assert rows[described.id]["description"] == "Scope agreed with finance on Monday."
    # Exactly the two edited tasks were mapped again (a Task and one Assignment per assignee).
    written = sum(1 + len(t.assignee_ids) for t in (described, listed))
    assert counts.inserted + counts.updated + counts.unchanged == written


def test_the_churn_edits_details_and_a_sync_follows_them(tmp_path, sandbox):
    tenant = sandbox.tenant
    _sync(tmp_path, sandbox)
    before = {t.id: (t.version, t.details_version) for t in tenant.tasks.values()}
    touched = tenant.mutate_fraction(0.5, seed=4)
    details_only = [
        t
        for t in touched
        if tenant.tasks[t].version == before[t][0]
        and tenant.tasks[t].details_version > before[t][1]
    ]
    assert details_only, "the churn made no details-only edit at this seed"
    rows, _ = _sync(tmp_path, sandbox)
    for task_id in touched:
        assert rows[task_id]["description"] == (tenant.tasks[task_id].description or None)


def _batches(sandbox) -> int:
    """$batch requests the sandbox served since its stats were reset."""
    return sandbox.stats()["by_endpoint"].get("POST /$batch", 0)


def test_between_sweeps_only_changed_tasks_details_are_read(tmp_path, sandbox):
    """With a daily sweep (the default), an incremental sync reads the details of the tasks
    whose own etag moved and no others: a renamed task brings its new description along, a
    description-only edit waits for the next sweep, which a refresh of 0 hours makes now."""
    tenant = sandbox.tenant
    daily = "    task_details: true\n"
    _sync(tmp_path, sandbox, extra=daily)  # the first sync sweeps
    renamed, quiet = [t for t in tenant.tasks.values() if t.description][:2]
    tenant.edit_task(renamed.id, title="Renamed", description="New scope, new title.")
    tenant.edit_task(quiet.id, description="Only the description changed.")
    sandbox.reset_stats()
    rows, _ = _sync(tmp_path, sandbox, extra=daily)
    assert rows[renamed.id]["description"] == "New scope, new title."
    assert rows[quiet.id]["description"] != "Only the description changed."
    # One $batch of the plans' details (labels) and one of the renamed task's details: no other
    # task's details are read.
    assert _batches(sandbox) == 2
    sandbox.reset_stats()
    rows, _ = _sync(tmp_path, sandbox, extra=DETAILS)  # details_refresh_hours: 0 sweeps now
    assert rows[quiet.id]["description"] == "Only the description changed."
    # The plans' details, then every task's: 20 per $batch, per plan.
    per_plan = Counter(t.plan_id for t in tenant.tasks.values())
    assert _batches(sandbox) == 1 + sum(math.ceil(n / 20) for n in per_plan.values())
