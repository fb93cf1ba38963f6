"""Write-back at the tools' limits, through a whole ``run_writeback``: Planner's 412 when a
human edited an owned value since pmosync wrote it, and a 429 storm with Retry-After on writes.

The targets' own tests cover each call; here the run decides: a 412 caused by a human's edit
ends as a ``conflict`` row with the human's value still in the tool (and stays so on the next
run, never overwritten blind), and a storm of 429s ends with every write made exactly once.
Ground truth is the sandboxes' own data and request logs.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from writeback_env import (
    CATEGORY,
    PLANNER,
    Boxes,
    field_values,
    load,
    marked_updates,
    open_store,
    planner_owned,
    start_boxes,
    successful_writes,
    write_config,
)

from pmosync.store.write_ledger import CONFLICT, WRITTEN
from pmosync.sync.run import run_sync
from pmosync.writeback.run import run_writeback

HUMAN_TITLE = "Status: fine, says the team"
HUMAN_LABEL = "Team: all good"


@pytest.fixture
def boxes():
    running = start_boxes(seed=1)
    yield running
    running.stop()


def _synced(tmp_path, boxes: Boxes):
    config = load(write_config(tmp_path, boxes), boxes)
    store = open_store(config)
    assert not run_sync(config, store).failed
    return config, store


def _apply(config, store, day):
    outcome = run_writeback(config, store, apply=True, today=day)
    assert outcome.status == "succeeded", outcome.error
    return outcome


def test_a_412_from_a_humans_edit_ends_as_a_conflict_and_the_human_keeps_it(tmp_path, boxes):
    config, store = _synced(tmp_path, boxes)
    _apply(config, store, boxes.today)
    titles = {p.id: p.title for p in boxes.tenant.plans.values()}
    green = sorted(
        (titles[plan_id], plan_id)
        for plan_id, owned in planner_owned(boxes.tenant).items()
        if owned.label == "PMO: Green"
    )
    assert len(green) >= 2, "seed 1 has two green plans that go amber or red a month later"
    (_, human), (_, control) = green[:2]
    task_id = planner_owned(boxes.tenant)[human].tasks[0][0]
    boxes.tenant.edit_task(task_id, title=HUMAN_TITLE)  # each edit moves the etag pmosync has
    boxes.tenant.label_categories(human, {CATEGORY: HUMAN_LABEL})

    later = boxes.today + timedelta(days=30)  # the plans' work is a month later by then
    boxes.reset_stats()
    _apply(config, store, later)
    assert boxes.graph.stats()["by_status"].get("412", 0) >= 2  # the title and the label
    shown = planner_owned(boxes.tenant)
    assert (shown[human].label, shown[human].tasks[0][1]) == (HUMAN_LABEL, HUMAN_TITLE)
    assert shown[control].label != "PMO: Green"  # pmosync did write where nobody edited
    assert shown[control].tasks[0][1] != "PMO status: Green"
    rows = {(r.field, r.item_id): r for r in store.writes.entries(PLANNER).values()}
    for field in ("label", "status_task"):
        assert rows[field, human].state == CONFLICT
        assert rows[field, human].value in ("PMO: Green", "PMO status: Green")  # pmosync's last
        assert rows[field, control].state == WRITTEN

    boxes.reset_stats()  # the next run: the conflict is checked again, never written over
    _apply(config, store, later)
    assert not [w for w in successful_writes(boxes) if human in w[2] or task_id in w[2]]
    shown = planner_owned(boxes.tenant)
    assert (shown[human].label, shown[human].tasks[0][1]) == (HUMAN_LABEL, HUMAN_TITLE)
    rows = {(r.field, r.item_id): r for r in store.writes.entries(PLANNER).values()}
    assert {rows[f, human].state for f in ("label", "status_task")} == {CONFLICT}
    store.close()


def test_a_429_storm_on_writes_ends_with_every_write_made_once(tmp_path, boxes):
    config, store = _synced(tmp_path, boxes)
    boxes.reset_stats()
    boxes.asana.fail_next(4, 429, retry_after_s=1, path_contains="/status_updates")
    boxes.graph.fail_next(4, 429, retry_after_s=1, path_contains="/planner/")
    _apply(config, store, boxes.today)
    assert boxes.asana.stats()["by_status"].get("429") == 4
    assert boxes.graph.stats()["by_status"].get("429") == 4
    projects, plans = sorted(boxes.org.projects), len(boxes.tenant.plans)
    assert {gid: len(posted) for gid, posted in marked_updates(boxes.org).items()} == {
        gid: 1 for gid in projects
    }
    assert all(value is not None for value in field_values(boxes.org, boxes.field_gid).values())
    for owned in planner_owned(boxes.tenant).values():
        assert (len(owned.buckets), len(owned.tasks)) == (1, 1) and owned.label
    made = [
        (tool, method, path.split("/")[-1]) for tool, method, path, _ in successful_writes(boxes)
    ]
    assert made.count(("asana", "POST", "status_updates")) == len(projects)
    assert sum(1 for m in made if m[:2] == ("asana", "PUT")) == len(projects)
    assert made.count(("graph", "POST", "buckets")) == plans
    assert made.count(("graph", "POST", "tasks")) == plans
    assert made.count(("graph", "PATCH", "details")) == 2 * plans  # the label, the description
    assert {r.state for r in store.writes.entries().values()} == {WRITTEN}
    store.close()
