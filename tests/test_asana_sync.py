"""The Asana connector end to end: the official SDK against the sandbox over loopback HTTP,
through mapping into a real store, compared with the sandbox's own organisation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from asana_env import (
    SOURCE,
    all_rows,
    differences,
    duplicate_rows,
    live_rows,
    sync_once,
)
from sqlalchemy import select

from pmosync.canonical.types import Assignment, PersonIdentity, Phase, Project, Task, TimeEntry
from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.org import OrgSize, generate_org
from pmosync.store.schema import quarantine, run_streams

PAGED = OrgSize(projects=2, tasks=430, people=8, time_entries=420, teams=1, portfolios=1)
"""Big enough that tasks and time entries span several pages of 100."""


@pytest.fixture
def org():
    return generate_org(seed=11, size="XS")


@pytest.fixture
def sandbox(org):
    with AsanaSandbox(org) as running:
        yield running


def _sync(tmp_path, sandbox, *, full=False, extra="", store_url=None):
    return sync_once(tmp_path, sandbox, full=full, extra=extra, store=store_url)


def _streams(results):
    return {stream.name: stream for result in results for stream in result.streams}


def test_a_full_sync_holds_exactly_the_sandbox_organisation(tmp_path, store_url):
    org = generate_org(seed=5, size=PAGED)
    with AsanaSandbox(org) as sandbox:
        store, results = _sync(tmp_path, sandbox, store_url=store_url)
    with store:
        assert not results[0].failed, results[0]
        assert differences(store, org) == []
        assert duplicate_rows(store) == []
        streams = _streams(results)
        assert streams["tasks"].counts.inserted >= len(org.tasks)
        # every page of every listing was asked for with limit=100: 430 tasks are 5+ pages
        assert streams["tasks"].counts.requests >= 5


def test_people_keep_their_email_and_tasks_their_link(tmp_path, org, sandbox):
    store, _ = _sync(tmp_path, sandbox)
    with store:
        people = live_rows(store, PersonIdentity)
        assert {row["email"] for row in people.values()} == {
            p.email.lower() for p in org.people.values()
        }
        task = next(iter(org.tasks.values()))
        stored = live_rows(store, Task)[task.gid]
        assert stored["source_url"] and task.gid in stored["source_url"]


def test_an_incremental_sync_follows_edits_moves_completions_and_deletions(tmp_path, org, sandbox):
    store, first = _sync(tmp_path, sandbox)
    store.close()
    full_requests = sandbox.stats()["total"]
    project = next(iter(org.projects.values()))
    tasks = [t for t in org.tasks.values() if t.project_gid == project.gid]
    other_section = next(s for s in project.section_gids if s != tasks[1].section_gid)
    person = next(iter(org.people))
    org.edit_task(tasks[0].gid, name="Renamed by the test", due_on=date(2031, 1, 2))
    org.move_task(tasks[1].gid, other_section)
    org.complete_task(tasks[2].gid)
    org.delete_task(tasks[3].gid)
    created = org.create_task(project.gid, "Created by the test", assignee_gid=person)
    org.add_time_entry(tasks[0].gid, person, date.today(), 45)
    org.add_status_update(project.gid, "off_track", "Slipping", "Supplier late", person)
    sandbox.reset_stats()

    store, second = _sync(tmp_path, sandbox)
    with store:
        assert differences(store, org) == []
        assert duplicate_rows(store) == []
        tombstoned = {r["source_id"]: r for r in all_rows(store, Task)}[tasks[3].gid]
        assert tombstoned["deleted_at"] is not None
        assert live_rows(store, Assignment)[created]["identity_id"] == PersonIdentity.ref(
            SOURCE, person
        )
        assert live_rows(store, Project)[project.gid]["rag"] == "red"
    assert sandbox.stats()["total"] < full_requests


def test_an_expired_sync_token_reconciles_the_project_in_full(tmp_path, org, sandbox):
    store, _ = _sync(tmp_path, sandbox)
    store.close()
    victim = next(t for t in org.tasks.values() if t.project_gid and not t.subtask_gids)
    org.delete_task(victim.gid)
    sandbox.expire_sync_tokens()
    store, results = _sync(tmp_path, sandbox)
    with store:
        assert victim.gid not in live_rows(store, Task)
        assert differences(store, org) == []


def test_an_expired_offset_restarts_the_listing_and_loses_nothing(tmp_path):
    from pmosync.connectors.asana.client import AsanaClient

    org = generate_org(seed=5, size=PAGED)
    with AsanaSandbox(org) as sandbox:
        client = AsanaClient(
            token=sandbox.token, base_url=sandbox.base_url, requests_per_minute=1500,
            max_concurrency=1,
        )  # fmt: skip
        project = next(iter(org.projects))
        pages = client.pages(
            client.tasks.get_tasks, opts={"project": project, "opt_fields": "name"}
        )
        seen = [record["gid"] for record in next(pages)]
        sandbox.expire_offsets()
        for page in pages:
            seen += [record["gid"] for record in page]
        client.close()
    members = {t.gid for t in org.tasks.values() if t.project_gid == project}
    assert set(seen) == members
    assert len(seen) == len(members) + 100  # the first page was read twice


def test_faults_throttling_and_expiry_still_end_at_the_ground_truth(tmp_path):
    org = generate_org(seed=8, size=PAGED)
    with AsanaSandbox(org, requests_per_minute=20, rate_window_s=1.0, fault_seed=3) as sandbox:
        sandbox.set_faults(error_rate=0.1, drop_rate=0.03)
        sandbox.throttle_next(3, retry_after_s=1)
        store, results = _sync(tmp_path, sandbox)
        store.close()
        by_status = sandbox.stats()["by_status"]
        assert by_status.get("429", by_status.get(429, 0)) >= 3
        for task in list(org.tasks.values())[:20:4]:
            if task.gid in org.tasks:
                org.edit_task(task.gid, name=task.name + " (edited)")
        sandbox.expire_sync_tokens()
        store, results = _sync(tmp_path, sandbox)
    with store:
        assert not any(r.failed for r in results), results
        assert differences(store, org) == []
        assert duplicate_rows(store) == []


def test_a_free_workspace_skips_time_tracking_with_a_warning_and_syncs_the_rest(tmp_path, org):
    org.workspace.is_premium = False
    with AsanaSandbox(org) as sandbox:
        store, results = _sync(tmp_path, sandbox)
    with store:
        streams = _streams(results)
        assert streams["time_entries"].status == "skipped"
        assert "402" in streams["time_entries"].error
        assert any("free Asana plan" in w for w in results[0].warnings)
        assert live_rows(store, TimeEntry) == {}
        assert differences(store, org, only=(Task, Phase, Project)) == []


def test_a_forbidden_project_is_skipped_and_reported(tmp_path, org, sandbox):
    hidden, gone, *_ = list(org.projects)
    sandbox.forbid_project(hidden, status=403)
    sandbox.forbid_project(gone, status=404)
    store, results = _sync(tmp_path, sandbox)
    with store:
        warnings = " ".join(results[0].warnings)
        assert hidden in warnings and gone in warnings
        synced = {row["project_id"] for row in live_rows(store, Task).values()}
        assert Project.ref(SOURCE, hidden) not in synced
        assert synced  # the other projects' tasks are there


def test_malformed_tasks_are_quarantined_and_the_run_goes_on(tmp_path, org, sandbox):
    project_tasks = [t for t in org.tasks.values() if t.project_gid]
    no_gid, odd_field = project_tasks[0], project_tasks[1]
    sandbox.corrupt_task(no_gid.gid, "missing_gid")
    sandbox.corrupt_task(odd_field.gid, "unknown_custom_field_type")
    store, results = _sync(tmp_path, sandbox)
    with store:
        with store.engine.connect() as connection:
            reasons = {
                row.record_key: row.reason
                for row in connection.execute(
                    select(quarantine).where(quarantine.c.stream == "tasks")
                )
            }
        assert "no gid" in " ".join(reasons.values())
        assert "mystery" in reasons[odd_field.gid]
        stored = live_rows(store, Task)
        assert odd_field.gid not in stored and no_gid.gid not in stored
        assert len(stored) == len(org.tasks) - 2
        assert _streams(results)["tasks"].counts.quarantined == 2
        assert not results[0].failed


def test_a_record_that_maps_again_leaves_the_quarantine(tmp_path, org, sandbox):
    task = next(t for t in org.tasks.values() if t.project_gid)
    sandbox.corrupt_task(task.gid, "unknown_custom_field_type")
    store, _ = _sync(tmp_path, sandbox)
    store.close()
    sandbox.repair_task(task.gid)
    store, results = _sync(tmp_path, sandbox, full=True)
    with store, store.engine.connect() as connection:
        entry = connection.execute(
            select(quarantine).where(quarantine.c.record_key == task.gid)
        ).one()
        assert entry.resolved_at is not None and entry.occurrences == 1
        assert task.gid in live_rows(store, Task)
    assert not results[0].failed


def test_the_ledger_counts_requests_per_stream(tmp_path, org, sandbox):
    store, _ = _sync(tmp_path, sandbox)
    with store, store.engine.connect() as connection:
        counted = sum(connection.scalars(select(run_streams.c.requests)))
    assert counted == sandbox.stats()["total"]


def test_time_entries_outside_the_window_are_left_alone_inside_it_reconciled(
    tmp_path, org, sandbox
):
    task = next(t for t in org.tasks.values() if t.project_gid)
    person = next(iter(org.people))
    recent = org.add_time_entry(task.gid, person, date.today() - timedelta(days=2), 30)
    old = next(
        e for e in org.time_entries.values() if e.entered_on < date.today() - timedelta(days=60)
    )
    store, _ = _sync(tmp_path, sandbox)
    store.close()
    org.delete_time_entry(recent)
    org.edit_time_entry(old.gid, duration_minutes=old.duration_minutes + 1)
    store, _ = _sync(tmp_path, sandbox)
    with store:
        stored = live_rows(store, TimeEntry)
        assert recent not in stored
        # older than the 30-day window: taken as settled, not re-read (a --full sync would)
        assert stored[old.gid]["minutes"] == old.duration_minutes - 1
    store, _ = _sync(tmp_path, sandbox, full=True)
    with store:
        assert live_rows(store, TimeEntry)[old.gid]["minutes"] == old.duration_minutes


@pytest.mark.parametrize("scope", ["portfolios", "teams", "projects"])
def test_a_scope_syncs_its_projects_and_nothing_else(tmp_path, org, sandbox, scope):
    portfolio = next(iter(org.portfolios.values()))
    team = next(iter(org.teams))
    chosen = {
        "portfolios": ([portfolio.gid], set(portfolio.project_gids)),
        "teams": ([team], {p.gid for p in org.projects.values() if p.team_gid == team}),
        "projects": ([next(iter(org.projects))], {next(iter(org.projects))}),
    }
    gids, wanted = chosen[scope]
    assert wanted and wanted != set(org.projects)
    listed = ", ".join(f'"{gid}"' for gid in gids)
    store, results = _sync(tmp_path, sandbox, extra=f"    {scope}: [{listed}]\n")
    with store:
        assert not results[0].failed, results[0]
        assert set(live_rows(store, Project)) == wanted
        wanted_refs = {Project.ref(SOURCE, gid) for gid in wanted}
        tasks = live_rows(store, Task)
        assert {row["project_id"] for row in tasks.values()} == wanted_refs
        expected_tasks = {t.gid for t in org.tasks.values() if org.task_project(t) in wanted}
        assert set(tasks) == expected_tasks
        entries = live_rows(store, TimeEntry)
        assert {e.gid for e in org.time_entries.values() if e.project_gid in wanted} == set(entries)


def test_more_events_than_one_call_returns_are_all_followed(tmp_path):
    org = generate_org(seed=5, size=PAGED)
    with AsanaSandbox(org) as sandbox:
        store, _ = _sync(tmp_path, sandbox)
        store.close()
        project = next(iter(org.projects))
        doomed = [t.gid for t in org.tasks.values() if t.project_gid == project][:130]
        for gid in doomed:
            org.delete_task(gid)  # 130 deletions: more than the 100 events one call carries
        store, _ = _sync(tmp_path, sandbox)
    with store:
        assert not set(doomed) & set(live_rows(store, Task))
        assert differences(store, org) == []


def test_a_deleted_subtask_goes_when_its_parent_changes(tmp_path, org, sandbox):
    parent = next(t for t in org.tasks.values() if t.project_gid)
    child = org.create_task(None, "Check the supplier contract", parent_gid=parent.gid)
    store, _ = _sync(tmp_path, sandbox)
    with store:
        stored = live_rows(store, Task)[child]
        assert stored["parent_id"] == Task.ref(SOURCE, parent.gid)
        assert stored["project_id"] == Project.ref(SOURCE, parent.project_gid)
    org.delete_task(child)
    store, _ = _sync(tmp_path, sandbox)
    with store:
        assert child not in live_rows(store, Task)
        assert differences(store, org) == []


def _ledger_requests(store, stream=None):
    query = select(run_streams.c.requests)
    if stream is not None:
        query = query.where(run_streams.c.stream == stream)
    with store.engine.connect() as connection:
        return sum(connection.scalars(query))


def test_the_ledger_counts_every_attempt_of_failed_and_skipped_streams(tmp_path, org):
    """A free workspace (402 on portfolios, time tracking, allocations, budgets), a project the
    token cannot read (403), server errors retried (5xx) and a listing that fails (stuck on one
    offset): the ledger's count is the sandbox's own count of requests received."""
    org.workspace.is_premium = False
    with AsanaSandbox(org, error_rate=0.05, fault_seed=3) as sandbox:
        sandbox.forbid_project(next(iter(org.projects)), status=403)
        sandbox.loop_offsets("/users")
        store, results = _sync(tmp_path, sandbox, extra="    requests_per_minute: 1500\n")
        stats = sandbox.stats()
    with store:
        streams = _streams(results)
        assert streams["users"].status == "failed"
        assert {"portfolios", "time_entries", "budgets"} <= {
            name for name, s in streams.items() if s.status == "skipped"
        }
        by_status = stats["by_status"]
        assert by_status.get("402") and by_status.get("403")
        assert by_status.get("500", 0) + by_status.get("503", 0) > 0
        assert _ledger_requests(store) == stats["total"]
        # what the summary shows per stream is what the ledger holds
        assert sum(s.counts.requests for s in streams.values()) == stats["total"]


def test_with_no_project_in_scope_time_entries_asks_for_nothing(tmp_path, org, sandbox):
    only = next(iter(org.projects))
    sandbox.forbid_project(only, status=403)
    store, results = _sync(tmp_path, sandbox, extra=f'    projects: ["{only}"]\n')
    with store:
        streams = _streams(results)
        assert streams["time_entries"].status == "succeeded"
        assert _ledger_requests(store, "time_entries") == 0
    assert not [path for _, path, _, _ in sandbox.requests if "time_tracking" in path]


def test_time_entries_outside_the_scope_are_counted_in_one_warning(tmp_path, org, sandbox):
    team = next(iter(org.teams))
    wanted = {p.gid for p in org.projects.values() if p.team_gid == team}
    outside = sum(1 for e in org.time_entries.values() if e.project_gid not in wanted)
    assert outside, "the org must have entries on other teams' projects"
    store, results = _sync(tmp_path, sandbox, extra=f'    teams: ["{team}"]\n')
    store.close()
    warnings = [w for w in results[0].warnings if w.startswith("time_entries:")]
    assert len(warnings) == 1
    assert f"{outside} entries listed were not kept ({outside} outside the scope)" in warnings[0]


def test_items_of_a_portfolio_that_are_not_projects_are_counted_in_one_warning(
    tmp_path, org, sandbox
):
    parent, child = list(org.portfolios)[:2]
    sandbox.nest_portfolio(parent, child)
    store, results = _sync(tmp_path, sandbox, extra=f'    portfolios: ["{parent}"]\n')
    with store:
        assert set(live_rows(store, Project)) == set(org.portfolios[parent].project_gids)
    warnings = [w for w in results[0].warnings if w.startswith("projects:")]
    assert warnings == [
        "projects: 1 listed item(s) are not projects and were not synced (1 portfolio); a "
        "nested portfolio's projects are synced only when it is named under portfolios:"
    ]
