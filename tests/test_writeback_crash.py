"""A write-back killed (SIGKILL) mid-apply, then run again: every status update is posted
exactly once per project and period, every Planner plan has one PMO bucket and one status task,
and the ledger ends with every row ``written``.

The sandboxes run in this process and the apply in a child process, so the kill takes the
writer down and leaves the tools running, as a crashed pmosync would. Two instants are tried:
while requests are in flight (the sandbox slowed by its latency fault: the server still does
what the dead client asked), and after the sandbox has made the write but before its answer
left (``hold_replies``). Ground truth is the sandboxes' own data, never pmosync's ledger.
"""

from __future__ import annotations

import time

import pytest
from writeback_env import (
    ASANA,
    PLANNER,
    Boxes,
    field_values,
    load,
    marked_updates,
    open_store,
    planner_owned,
    run_apply,
    start_apply,
    start_boxes,
    successful_writes,
    write_config,
)

from pmosync.store.write_ledger import PENDING, WRITTEN
from pmosync.sync.run import run_sync

pytestmark = pytest.mark.slow  # a long suite: `make test-slow` (CI runs it)

WAIT_S = 60


@pytest.fixture
def boxes():
    running = start_boxes(seed=7)
    yield running
    running.stop()


def _synced(tmp_path, boxes: Boxes):
    path = write_config(tmp_path, boxes)
    config = load(path, boxes)
    with open_store(config) as store:
        assert not run_sync(config, store).failed
    return path, config


def _states(config) -> dict[str, list[str]]:
    """State -> "connector field item" of every ledger row."""
    with open_store(config) as store:
        rows = store.writes.entries().values()
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row.state, []).append(f"{row.connector} {row.field} {row.item_id}")
    return found


def _wait_for(predicate, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _pending(config) -> bool:
    return bool(_states(config).get(PENDING))


def _assert_settled(path, config, boxes: Boxes) -> None:
    """The rerun's end state, judged from the sandboxes: one update per project (all of the
    workspace's projects are in the report; archived ones are left alone), the owned field set
    on each, one PMO bucket and one status task per plan; the ledger all written; a third
    apply sends nothing."""
    rerun = run_apply(path, boxes, boxes.today)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    live = {gid for gid, project in boxes.org.projects.items() if not project.archived}
    assert live and len(live) < len(boxes.org.projects)  # the org has archived ones: skipped
    updates = marked_updates(boxes.org)
    assert {gid: len(posted) for gid, posted in updates.items()} == {gid: 1 for gid in live}
    values = field_values(boxes.org, boxes.field_gid)
    assert {gid for gid, value in values.items() if value is not None} == live
    for plan_id, owned in planner_owned(boxes.tenant).items():
        assert (len(owned.buckets), len(owned.tasks)) == (1, 1), plan_id
        assert owned.label is not None and owned.tasks[0][1].startswith("PMO status: ")
    states = _states(config)
    assert set(states) == {WRITTEN}, states
    projects, plans = len(live), len(boxes.tenant.plans)
    assert sum(1 for row in states[WRITTEN] if row.startswith(ASANA)) == 2 * projects
    assert sum(1 for row in states[WRITTEN] if row.startswith(PLANNER)) == 3 * plans
    boxes.reset_stats()
    again = run_apply(path, boxes, boxes.today)
    assert again.returncode == 0, again.stdout + again.stderr
    assert successful_writes(boxes) == []


def test_killed_while_writes_are_in_flight(tmp_path, boxes):
    path, config = _synced(tmp_path, boxes)
    boxes.asana.set_faults(latency_s=1.0)
    boxes.graph.set_faults(latency_s=1.0)
    child = start_apply(path, boxes, boxes.today)
    try:
        _wait_for(lambda: _pending(config), "a write to be recorded pending")
        time.sleep(0.3)  # its request is now inside the sandbox's second of latency
    finally:
        child.kill()
        child.wait(timeout=WAIT_S)
    boxes.asana.set_faults(latency_s=0.0)
    boxes.graph.set_faults(latency_s=0.0)
    time.sleep(1.5)  # the sandbox finishes what the dead client asked
    pending = _states(config)[PENDING]
    landed = {gid for gid, posted in marked_updates(boxes.org).items() if posted}
    assert any(row.split()[-1] in landed for row in pending if " status_update " in row), (
        "the kill should leave a status update made in the tool but pending in the ledger"
    )
    _assert_settled(path, config, boxes)


@pytest.mark.parametrize(
    ("tool", "method", "path_part"),
    [
        ("asana", "POST", "/status_updates"),  # a status update made, its gid never heard
        ("graph", "POST", "/planner/tasks"),  # the PMO status task made, its id never heard
        ("graph", "PATCH", "/details"),  # a label named, its new etag never heard
    ],
)
def test_killed_after_the_tool_made_the_write_but_before_it_answered(
    tmp_path, boxes, tool, method, path_part
):
    path, config = _synced(tmp_path, boxes)
    box = boxes.asana if tool == "asana" else boxes.graph
    before = len(box.requests)
    box.hold_replies(path_part, seconds=5, method=method)
    child = start_apply(path, boxes, boxes.today)
    try:
        assert box.reply_held.wait(WAIT_S), "the apply never made the held write"
    finally:
        child.kill()
        child.wait(timeout=WAIT_S)
    made = [r for r in list(box.requests)[before:] if r[0] == method and path_part in r[1]]
    assert len(made) == 1 and made[0][3] in (200, 201)
    assert _states(config).get(PENDING), "the held write's row is pending"
    if path_part == "/status_updates":
        assert sum(len(p) for p in marked_updates(boxes.org).values()) == 1
    if path_part == "/planner/tasks":
        assert sum(len(p.tasks) for p in planner_owned(boxes.tenant).values()) == 1
    _assert_settled(path, config, boxes)
