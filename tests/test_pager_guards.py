"""Servers that page forever cannot hold a sync: each misbehaving listing fails its own stream
with one line, the other streams keep their data, the run ends, and the ledger says so.

The faults are the sandboxes' own (an Asana listing stuck on one offset, an events feed whose
``has_more`` never turns false, a Graph nextLink pointing at the page just served); what the
server did is read from the sandbox's request log, what the store holds from its own data.
"""

from __future__ import annotations

import threading

import pytest
from asana_env import differences, live_rows
from asana_env import write_config as write_asana_config
from graph_env import live_rows as graph_live_rows
from graph_env import planner_yaml
from graph_env import write_config as write_graph_config
from sqlalchemy import select

from pmosync.canonical.types import Phase, Project, Task
from pmosync.connectors.paging import MAX_EVENT_PAGES, PageGuard, PagingError, StopRequested
from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.org import generate_org
from pmosync.sandbox.tenant import TenantSize, generate_tenant
from pmosync.store import Store
from pmosync.store.schema import run_streams
from pmosync.sync.run import run_sync

pytestmark = pytest.mark.slow  # a long suite: `make test-slow` (CI runs it)


def _sync(config_path, config, stop=None):
    store = Store.open(config.store, base_dir=config_path.parent)
    try:
        run = run_sync(config, store, stop=stop)
    except BaseException:
        store.close()
        raise
    return store, run


def _ledger(store, run_id):
    """(status, error, requests) of each stream of the run, from the ledger itself."""
    query = select(run_streams).where(run_streams.c.run_id == run_id)
    with store.engine.connect() as connection:
        return {r.stream: (r.status, r.error, r.requests) for r in connection.execute(query)}


def _requests_to(sandbox, fragment):
    return sum(1 for _, path, _, _ in sandbox.requests if fragment in path)


@pytest.fixture
def org():
    return generate_org(seed=11, size="XS")


def test_a_listing_stuck_on_one_offset_fails_its_stream_and_the_rest_is_kept(tmp_path, org):
    with AsanaSandbox(org) as sandbox:
        sandbox.loop_offsets("/users")
        path, config = write_asana_config(tmp_path, sandbox)
        store, run = _sync(path, config)
        # the first page, then the same offset once more: detected on its second appearance
        assert _requests_to(sandbox, "/users") == 2
        total = sandbox.stats()["total"]
    with store:
        ledger = _ledger(store, run.run_id)
        status, error, _ = ledger["users"]
        assert status == "failed"
        assert "same next_page offset twice" in error and "get_users" in error
        assert "\n" not in error
        assert {s for s, (st, _, _) in ledger.items() if st != "succeeded"} == {"users"}
        assert differences(store, org, only=(Project, Task, Phase)) == []
        assert sum(requests for _, _, requests in ledger.values()) == total
    assert run.status == "failed"


def test_an_events_feed_that_never_ends_fails_the_tasks_stream_at_its_cap(tmp_path, org):
    project = next(iter(org.projects))
    with AsanaSandbox(org) as sandbox:
        path, config = write_asana_config(tmp_path, sandbox, extra=f'    projects: ["{project}"]\n')
        store, _ = _sync(path, config)
        store.close()
        victim = next(t for t in org.tasks.values() if t.project_gid == project)
        org.edit_task(victim.gid, name="Edited before the feed broke")
        sandbox.endless_events("fresh")
        sandbox.reset_stats()
        store, run = _sync(path, config)
        events = sandbox.stats()["by_endpoint"].get("GET /events", 0)
        total = sandbox.stats()["total"]
    with store:
        ledger = _ledger(store, run.run_id)
        status, error, _ = ledger["tasks"]
        assert status == "failed"
        assert f"still more pages after {MAX_EVENT_PAGES}" in error and project in error
        assert "--full" in error
        assert events == MAX_EVENT_PAGES
        for stream in ("time_entries", "status_updates", "allocations", "budgets"):
            assert ledger[stream][0] == "succeeded", (stream, ledger[stream])
        assert "running" not in {status for status, _, _ in ledger.values()}
        assert sum(requests for _, _, requests in ledger.values()) == total
        assert live_rows(store, Task)  # the first sync's tasks are still there


def test_an_events_feed_handing_back_the_same_token_is_caught_at_once(tmp_path, org):
    with AsanaSandbox(org) as sandbox:
        path, config = write_asana_config(tmp_path, sandbox)
        store, _ = _sync(path, config)
        store.close()
        sandbox.endless_events("same")
        sandbox.reset_stats()
        store, run = _sync(path, config)
        events = sandbox.stats()["by_endpoint"].get("GET /events", 0)
    with store:
        status, error, _ = _ledger(store, run.run_id)["tasks"]
        assert status == "failed" and "same sync token twice" in error
        assert events <= 2 * len(org.projects)


def test_a_stop_request_ends_an_endless_feed_and_the_stream_is_interrupted(tmp_path, org):
    with AsanaSandbox(org) as sandbox:
        path, config = write_asana_config(tmp_path, sandbox)
        store, _ = _sync(path, config)
        store.close()
        sandbox.endless_events("fresh")
        sandbox.reset_stats()
        stop = threading.Event()

        def stop_after_fifty_events() -> None:
            while sandbox.stats()["by_endpoint"].get("GET /events", 0) < 50:
                threading.Event().wait(0.01)
            stop.set()  # what SIGTERM does in the CLI and the daemon

        watcher = threading.Thread(target=stop_after_fifty_events, daemon=True)
        watcher.start()
        store, run = _sync(path, config, stop=stop)
        watcher.join(timeout=5)
        events = sandbox.stats()["by_endpoint"].get("GET /events", 0)
    with store:
        ledger = _ledger(store, run.run_id)
        assert run.status == "interrupted"
        assert ledger["tasks"][0] == "interrupted"
        assert "running" not in {status for status, _, _ in ledger.values()}
        assert events < MAX_EVENT_PAGES  # it stopped long before the cap would have


def test_a_graph_next_link_to_itself_fails_the_planner_tasks_stream(tmp_path):
    tenant = generate_tenant(
        seed=7, size=TenantSize(groups=2, plans=3, tasks=90, people=6, timesheet_weeks=1)
    )
    with GraphSandbox(tenant, page_size=20) as sandbox:
        sandbox.loop_next_links("/tasks")
        groups = sorted(tenant.groups)
        # one plan at a time: no sibling request is cancelled half-sent, so the ledger and the
        # server's log can be compared request for request
        planner = planner_yaml(sandbox, groups, extra="    max_concurrency: 1\n")
        path, config = write_graph_config(tmp_path, sandbox, planner)
        store, run = _sync(path, config)
        task_listings = _requests_to(sandbox, "/tasks")
        total = sandbox.stats()["total"]
    with store:
        ledger = _ledger(store, run.run_id)
        status, error, _ = ledger["tasks"]
        assert status == "failed"
        assert "same @odata.nextLink twice" in error and "/tasks" in error
        assert ledger["plans"][0] == ledger["buckets"][0] == "succeeded"
        assert set(graph_live_rows(store, Project)) == set(tenant.plans)
        # each plan's listing: its first page, then the link back to it, caught on sight
        assert task_listings <= len(tenant.plans)
        assert sum(requests for _, _, requests in ledger.values()) == total


def test_the_guard_counts_pages_against_its_cap_and_honours_a_stop():
    guard = PageGuard("GET /things", max_pages=3, stop=None)
    guard.first()
    guard.follow("b")
    guard.follow("c")
    with pytest.raises(PagingError, match="still more pages after 3"):
        guard.follow("d")
    repeat = PageGuard("GET /things", stop=None)
    repeat.first("a")
    with pytest.raises(PagingError, match="same page cursor twice"):
        repeat.follow("a")
    stop = threading.Event()
    stopped = PageGuard("GET /things", stop=stop)
    stopped.first()
    stop.set()
    with pytest.raises(StopRequested):
        stopped.follow("b")


def test_tasks_of_the_failed_listing_that_were_written_stay(tmp_path, org):
    """A stuck subtask listing fails the tasks stream; the project tasks already committed
    are kept, and so is every other stream's data."""
    parent = next(t for t in org.tasks.values() if t.project_gid)
    org.create_task(None, "Check the supplier contract", parent_gid=parent.gid)
    with AsanaSandbox(org) as sandbox:
        sandbox.loop_offsets("/subtasks")
        path, config = write_asana_config(tmp_path, sandbox)
        store, run = _sync(path, config)
    with store:
        status, error, _ = _ledger(store, run.run_id)["tasks"]
        assert status == "failed" and "get_subtasks_for_task" in error
        stored = live_rows(store, Task)
        assert stored  # pages committed before the failure are not rolled back
        assert set(live_rows(store, Project)) == set(org.projects)
