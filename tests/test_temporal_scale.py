"""Scale-out on Temporal (issue 18), run as it runs in production: a real Temporal dev server,
``pmosync worker`` processes, ``pmosync schedules apply`` and ``pmosync sync`` as commands, the
Asana and Graph sandboxes over loopback HTTP in this process, and a PostgreSQL store (SQLite
only when no PostgreSQL is named by PMOSYNC_TEST_POSTGRES_URL).

What is checked comes from outside the code under test: Temporal's own record of what it
started (the workflows listed by task queue, each tick's result), the run ledger the workers
wrote (``runs``: connector, pid, started_at, ended_at), the sandboxes' own data as the ground
truth and their request log for the quota.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import asana_env
import graph_env
import pytest
from cli import run_pmosync
from conftest import POSTGRES_ENV
from sqlalchemy import select
from temporal_env import (
    REQUIRE,
    TemporalServer,
    Workers,
    temporal_block,
    temporal_server,  # noqa: F401 - the module's server, behind `cluster`
    unique_queue,
    wait_until,
)

from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.org import generate_org
from pmosync.sandbox.tenant import generate_tenant
from pmosync.store import Store
from pmosync.store.schema import run_streams, runs

if os.environ.get(REQUIRE) != "1":  # CI has the extra: there a missing SDK is a failure
    pytest.importorskip(
        "temporalio", reason="the Temporal tests need pip install 'pmosync[temporal]'"
    )

from temporalio.client import Client, WorkflowExecution  # noqa: E402
from temporalio.common import SearchAttributeKey  # noqa: E402

from pmosync.orchestration.temporal.requests import ReportSummary, TickResult  # noqa: E402

pytestmark = pytest.mark.scale_out  # minutes of wall time: `make test-scale`, .ci/run

T = TypeVar("T")
SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")
READY_S = 60.0


# --- the pieces every test uses ----------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster(temporal_server: TemporalServer) -> TemporalServer:  # noqa: F811
    """One real Temporal dev server for the module's tests (each test has its own queue)."""
    return temporal_server


@pytest.fixture
def shared_store(request, tmp_path) -> str:
    """The store every worker writes to: PostgreSQL (a schema of its own) when the suite has
    one, as production has; a SQLite file otherwise."""
    if os.environ.get(POSTGRES_ENV):
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'store.db'}"


def on_cluster(server: TemporalServer, work: Callable[[Client], Awaitable[T]]) -> T:
    """Run ``work`` with a client of the test server (what the test asks Temporal itself)."""

    async def main() -> T:
        return await work(await Client.connect(server.address, namespace="default"))

    return asyncio.run(main())


def read(url: str, query) -> list:
    """Rows straight from the store (never through the ledger, whose reads close dead runs)."""
    with Store.open(url) as store, store.engine.connect() as connection:
        return list(connection.execute(query))


def write_config(
    folder: Path, server: TemporalServer, queue: str, store: str, body: str, *, heartbeat=10
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pmosync.yaml"
    path.write_text(
        f"store: '{store}'\n" + temporal_block(server, queue, heartbeat=heartbeat) + body,
        encoding="utf-8",
    )
    return path


def start_workers(workers: Workers, count: int, *extra: str) -> list[subprocess.Popen]:
    """``count`` workers, returned once each says it polls the task queue."""
    started = [workers.start(*extra) for _ in range(count)]
    for index, process in enumerate(started):
        wait_until(
            lambda i=index, p=process: "task queue" in workers.log(i) or p.poll() is not None,
            READY_S,
            f"worker {index} to start",
        )
        assert process.poll() is None, workers.log(index)
    return started


def apply(config: Path, env: dict[str, str] | None = None) -> list[str]:
    result = run_pmosync("schedules", "apply", "-c", config, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.splitlines()


def back_to_daemon(config: Path) -> list[str]:
    """``engine: daemon`` in the YAML and ``schedules apply``: every schedule of the store is
    deleted (how a PMO goes back to the embedded daemon, and how a test stops the ticks)."""
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("engine: temporal", "engine: daemon"), encoding="utf-8")
    return apply(config)


def workflows(server: TemporalServer, query: str) -> list[WorkflowExecution]:
    async def work(client: Client) -> list[WorkflowExecution]:
        return [w async for w in client.list_workflows(query)]

    return on_cluster(server, work)


def wait_for_quiet(server: TemporalServer, queue: str, store: str, timeout: float = 90) -> None:
    """No workflow of the queue running (twice in a row: the listing may lag a start by a
    moment) and no run of the ledger still open."""
    query = f"TaskQueue = '{queue}' AND ExecutionStatus = 'Running'"
    quiet_since: list[float] = []

    def quiet() -> bool:
        if workflows(server, query) or read(
            store, select(runs.c.id).where(runs.c.status == "running")
        ):
            quiet_since.clear()
            return False
        quiet_since.append(time.monotonic())
        return quiet_since[-1] - quiet_since[0] >= 2.0

    wait_until(quiet, timeout, "the running work to end")


def results(server: TemporalServer, executions: list[WorkflowExecution], kind: type[T]) -> list[T]:
    """Each closed workflow's result, as Temporal holds it."""

    async def work(client: Client) -> list[T]:
        found = []
        for execution in executions:
            handle = client.get_workflow_handle(
                execution.id, run_id=execution.run_id, result_type=kind
            )
            found.append(await handle.result())
        return found

    return on_cluster(server, work)


async def actions(client: Client, config: Path) -> dict[str, tuple[int, int]]:
    """Per connector, the ticks its schedule started and those it skipped for overlap, as
    Temporal counts them (``schedule describe``)."""
    from pmosync.config import load_config
    from pmosync.orchestration.temporal.ids import schedule_id

    loaded = load_config(config, defer_unset=True)
    counted = {}
    for name in loaded.connectors:
        info = (await client.get_schedule_handle(schedule_id(loaded, "sync", name)).describe()).info
        counted[name] = (info.num_actions, info.num_actions_skipped_overlap)
    return counted


def overlapping(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Consecutive (by start) spans that overlap: two syncs of one connector at once."""
    spans = sorted(spans)
    return [(a, b) for a, b in zip(spans, spans[1:], strict=False) if b[0] < a[1]]


def asana_differences(store: Store, org: Any, source: str) -> list[str]:
    """asana_env's ground-truth comparison for a connector named ``source``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(asana_env, "SOURCE", source)
        return asana_env.differences(store, org)


def planner_differences(store: Store, tenant: Any, groups: list[str], source: str) -> list[str]:
    """graph_env's Planner ground truth, for a connector named ``source``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(graph_env, "PLANNER", source)
        wanted = graph_env.expected_planner(tenant, groups)
    problems = []
    for model, records in wanted.items():
        have = graph_env.live_rows(store, model, source)
        if set(have) != set(records):
            problems.append(f"{source} {model.entity}: {sorted(set(have) ^ set(records))[:3]}")
        for key in set(have) & set(records):
            for column, value in records[key].items():
                if have[key][column] != value:
                    problems.append(
                        f"{source} {model.entity} {key}.{column}: {have[key][column]!r}"
                    )
    return problems


def every_10s(offset: int) -> str:
    return ",".join(str(s) for s in range(offset % 10, 60, 10)) + " * * * * *"


def every_15s(offset: int) -> str:
    return ",".join(str(s) for s in range(offset % 15, 60, 15)) + " * * * * *"


def asana_yaml(name: str, sandbox: AsanaSandbox, token_env: str, schedule: str | None, extra=""):
    return (
        f"  {name}:\n"
        "    type: asana\n"
        f"    token: ${{{token_env}}}\n"
        f'    workspace: "{sandbox.org.workspace.gid}"\n'
        f"    base_url: {sandbox.base_url}\n"
        + (f"    schedule: '{schedule}'\n" if schedule else "")
        + extra
    )


def planner_yaml(name: str, sandbox: GraphSandbox, groups: list[str], schedule: str | None):
    listed = ", ".join(f'"{g}"' for g in groups)
    return (
        f"  {name}:\n"
        "    type: planner\n"
        "    token: ${GRAPH_TOKEN}\n"
        f"    base_url: {sandbox.base_url}\n"
        f"    groups: [{listed}]\n" + (f"    schedule: '{schedule}'\n" if schedule else "")
    )


# --- 1. three workers, twenty connectors: each tick once, never two syncs of one connector ----


def test_three_workers_run_every_tick_of_twenty_connectors_once_and_never_overlap(
    cluster, shared_store, tmp_path
):
    """Ten Asana connectors (each its own token, as each would be its own workspace's) and ten
    Planner connectors, each on its own seconds cron, staggered; three workers for ~40 s."""
    queue = unique_queue()
    env = {"GRAPH_TOKEN": "graph-" + uuid.uuid4().hex}
    with (
        AsanaSandbox(generate_org(seed=18, size="XS")) as asana,
        GraphSandbox(generate_tenant(18, "XS"), token=env["GRAPH_TOKEN"]) as graph,
    ):
        groups = sorted(graph.tenant.groups)
        body = "connectors:\n"
        scoped: dict[str, list[str]] = {}
        for i in range(10):
            token = f"asana-{i}-{uuid.uuid4().hex}"
            asana.add_token(token)
            env[f"ASANA_TOKEN_{i}"] = token
            body += asana_yaml(f"asana-{i}", asana, f"ASANA_TOKEN_{i}", every_10s(i))
        for i in range(10):
            scoped[f"planner-{i}"] = [groups[i % len(groups)]]
            body += planner_yaml(f"planner-{i}", graph, scoped[f"planner-{i}"], every_15s(i))
        config = write_config(tmp_path, cluster, queue, shared_store, body)
        workers = Workers(config, tmp_path, env)
        try:
            started = start_workers(workers, 3)
            said = apply(config, env)
            assert sum(line.startswith("create sync ") for line in said) == 20, said
            time.sleep(40)
            counted = on_cluster(cluster, lambda client: actions(client, config))
            deleted = back_to_daemon(config)
            assert sum(line.startswith("delete ") for line in deleted) == 20, deleted
            wait_for_quiet(cluster, queue, shared_store)
        finally:
            workers.stop()
        for index in range(len(started)):
            assert "Traceback" not in workers.log(index), workers.log(index)

        # What Temporal started: each tick a SyncTick; each that ran, one Sync child.
        ticks = workflows(cluster, f"TaskQueue = '{queue}' AND WorkflowType = 'pmosync.SyncTick'")
        syncs = workflows(cluster, f"TaskQueue = '{queue}' AND WorkflowType = 'pmosync.Sync'")
        outcomes = results(cluster, ticks, TickResult)
        ran = [o for o in outcomes if o.ran]
        assert len(ran) == len(syncs), "each tick that ran started one sync"
        # Every tick the schedules counted is among them (one more may have come before the
        # schedules were deleted); ticks skipped for overlap were never started.
        for name, (taken, _skipped) in counted.items():
            listed_ticks = sum(o.connector == name for o in outcomes)
            assert taken <= listed_ticks <= taken + 1, (name, taken, listed_ticks)
        by_connector: dict[str, list[TickResult]] = defaultdict(list)
        for outcome in ran:
            by_connector[outcome.connector].append(outcome)
        assert set(by_connector) == set(scoped) | {f"asana-{i}" for i in range(10)}
        assert all(len(ticked) >= 2 for ticked in by_connector.values()), {
            name: len(ticked) for name, ticked in by_connector.items()
        }

        # The ledger: exactly one run per tick that ran (the run its result names), no other.
        ledger = read(shared_store, select(runs).where(runs.c.kind == "sync"))
        failed = [(r.connector, r.status, r.error) for r in ledger if r.status != "succeeded"]
        assert failed == []
        for name, ticked in by_connector.items():
            recorded = sorted(r.id for r in ledger if r.connector == name)
            assert recorded == sorted(t.summary.run_id for t in ticked), name
        assert len(ledger) == len(ran)
        # Never two syncs of one connector at once.
        spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
        for row in ledger:
            spans[row.connector].append((row.started_at, row.ended_at))
        assert {name: overlapping(s) for name, s in spans.items() if overlapping(s)} == {}
        # The work was spread over the workers.
        assert len({r.pid for r in ledger}) > 1, {r.pid for r in ledger}

        with Store.open(shared_store) as store:
            problems = [
                p for i in range(10) for p in asana_differences(store, asana.org, f"asana-{i}")
            ]
            for name, scope in scoped.items():
                problems += planner_differences(store, graph.tenant, scope, name)
            assert problems == []


# --- 2. a worker SIGKILLed mid-sync: another resumes from the last committed page -------------


def test_a_worker_killed_mid_sync_is_resumed_by_another_from_its_last_committed_page(
    cluster, shared_store, tmp_path
):
    """Each request answered after 0.25 s, so a sync takes several seconds; the worker running
    it is SIGKILLed once about half of a full sync's requests are committed. The other worker
    takes the activity over after the heartbeat timeout (5 s), resumes from the checkpoints,
    and the killed attempt's run is closed ``interrupted`` saying so."""
    queue = unique_queue()
    source = asana_env.SOURCE
    with AsanaSandbox(generate_org(seed=18, size="XS")) as sandbox:
        # A full sync's requests, as the sandbox counts them (a reference store of its own).
        (tmp_path / "reference").mkdir()
        reference, _ = asana_env.sync_once(tmp_path / "reference", sandbox)
        reference.close()
        full = sandbox.stats()["total"]
        sandbox.reset_stats()
        sandbox.set_faults(latency_s=0.25)

        body = "connectors:\n" + asana_yaml(
            source, sandbox, "ASANA_TOKEN", None, "    max_concurrency: 2\n"
        )
        config = write_config(tmp_path / "run", cluster, queue, shared_store, body, heartbeat=5)
        env = {"ASANA_TOKEN": sandbox.token}
        workers = Workers(config, tmp_path, env)
        try:
            pair = start_workers(workers, 2)
            sync = subprocess.Popen(
                [sys.executable, "-m", "pmosync", "sync", "-c", str(config)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, **env},
            )
            try:

                def half_committed():
                    rows = read(shared_store, select(runs).where(runs.c.kind == "sync"))
                    if len(rows) != 1 or rows[0].status != "running":
                        return None
                    done = read(
                        shared_store,
                        select(run_streams.c.requests).where(run_streams.c.run_id == rows[0].id),
                    )
                    return rows[0] if sum(r.requests for r in done) >= full // 2 else None

                first = wait_until(half_committed, 60, "half a sync committed")
                [victim] = [p for p in pair if p.pid == first.pid]
                victim.send_signal(signal.SIGKILL)
                killed_at = datetime.now(UTC)
                out, err = sync.communicate(timeout=120)
            finally:
                if sync.poll() is None:
                    sync.kill()
        finally:
            workers.stop()
        assert sync.returncode == 0, out + err
        assert f"{source}: succeeded" in out, out
        survivor = next(p for p in pair if p is not victim)
        assert "Traceback" not in workers.log(pair.index(survivor))

        ledger = read(
            shared_store, select(runs).where(runs.c.kind == "sync").order_by(runs.c.started_at)
        )
        wid = ledger[0].workflow_id
        assert [(r.pid, r.status, r.connector, r.workflow_id) for r in ledger] == [
            (victim.pid, "interrupted", source, wid),
            (survivor.pid, "succeeded", source, wid),
        ]
        reason = ledger[0].error
        assert reason.startswith(f"attempt 1 of {wid} ended before the sync did"), reason
        assert ledger[1].started_at > killed_at
        # The resumed attempt did not read the workspace from scratch.
        resumed = read(
            shared_store, select(run_streams.c.requests).where(run_streams.c.run_id == ledger[1].id)
        )
        # (A request in flight at the kill is logged when answered, 0.25 s later: a second
        # after the kill, every request is the resumed attempt's, which starts 15 s after it.)
        after_kill = [t for t, _, _ in sandbox.request_times() if t > killed_at.timestamp() + 1]
        assert sum(r.requests for r in resumed) < full
        assert len(after_kill) < full, (len(after_kill), full)
        # The tasks the killed attempt had committed (its tasks stream ended before the kill:
        # users, portfolios, projects and tasks make fewer than half a sync's requests) are
        # not read again: the resumed stream starts from each project's checkpoint.
        streams = {
            (r.run_id, r.stream): r
            for r in read(
                shared_store, select(run_streams).where(run_streams.c.connector == source)
            )
        }
        assert streams[ledger[0].id, "tasks"].status == "succeeded"
        again = streams[ledger[1].id, "tasks"]
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, 0)

        with Store.open(shared_store) as store:
            assert asana_env.differences(store, sandbox.org) == []
            assert asana_env.duplicate_rows(store) == []


# --- 3. a schedule removed from the YAML disappears on the next apply, and only it ------------


YEARLY = "0 0 1 1 *"
"""Never fires while the test runs: no worker is needed, and no tick muddles the listing."""


def files_yaml(names: list[str], folder: Path) -> str:
    return "connectors:\n" + "".join(
        f"  {name}:\n    type: files\n    path: {folder}\n"
        "    columns: {person: Email, date: Date, hours: Hours, project: Project}\n"
        f"    schedule: '{YEARLY}'\n"
        for name in names
    )


def listed(config: Path) -> dict[str, dict]:
    result = run_pmosync("schedules", "list", "-c", config, "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    return {row["name"]: row for row in json.loads(result.stdout)}


def test_a_schedule_removed_from_the_yaml_is_deleted_by_the_next_apply_and_only_it(
    cluster, tmp_path
):
    """Two stores on one cluster and one task queue, with the same connector names: removing
    ``timesheets`` from the first store's YAML deletes that store's schedule of it, and the
    second store's ``timesheets`` schedule stays as it was."""
    queue = unique_queue()
    sheets = tmp_path / "sheets"
    ours, theirs = (
        write_config(tmp_path / name, cluster, queue, f"sqlite:///{tmp_path / name}.db",
                     files_yaml(names, sheets))
        for name, names in (("ours", ["budgets", "timesheets"]), ("theirs", ["timesheets"]))
    )  # fmt: skip
    created = [line.split(" at ")[0] for line in apply(ours) if line.startswith("create ")]
    assert sorted(created) == ["create sync budgets", "create sync timesheets"]
    apply(theirs)
    before = on_cluster(cluster, lambda c: _schedules(c))
    assert len(before) == 3
    [their_id] = [sid for sid in before if sid.endswith(":sync:timesheets") and sid in _ids(theirs)]

    ours.write_text(
        ours.read_text(encoding="utf-8").split("connectors:\n")[0]
        + files_yaml(["budgets"], sheets),
        encoding="utf-8",
    )
    said = apply(ours)
    [deleted] = [line for line in said if line.startswith("delete ")]
    assert deleted.endswith(":sync:timesheets") and deleted.removeprefix("delete ") != their_id
    assert said[-1].endswith(": 1 changed, 1 unchanged"), said
    assert set(listed(ours)) == {"budgets"}
    assert set(listed(theirs)) == {"timesheets"}
    after = on_cluster(cluster, lambda c: _schedules(c))
    assert set(after) == set(before) - {deleted.removeprefix("delete ")}
    assert after[their_id] == before[their_id], "the other store's schedule is untouched"
    # Applying again changes nothing, for either store.
    assert apply(ours)[-1].endswith(": 0 changed, 1 unchanged")
    assert apply(theirs)[-1].endswith(": 0 changed, 1 unchanged")


def _ids(config: Path) -> set[str]:
    from pmosync.config import load_config
    from pmosync.orchestration.temporal.ids import owned_prefix

    prefix = owned_prefix(load_config(config))
    return {f"{prefix}sync:timesheets", f"{prefix}sync:budgets"}


async def _schedules(client: Client) -> dict[str, tuple]:
    """Every schedule on the cluster: id -> (its note, its calendars, its action's task queue)."""
    found = {}
    async for entry in await client.list_schedules():
        described = await client.get_schedule_handle(entry.id).describe()
        schedule = described.schedule
        found[entry.id] = (
            schedule.state.note,
            repr(schedule.spec.calendars),
            getattr(schedule.action, "task_queue", None),
        )
    return found


# --- 4. reports run once per tick, after the syncs of their tick ------------------------------


EVERY_15S = "0,15,30,45 * * * * *"


def test_a_report_runs_once_per_tick_after_the_syncs_of_that_tick_ended(
    cluster, shared_store, tmp_path
):
    """An Asana and a Planner connector and a portfolio report, all three on the same ticks,
    two workers. Each sync takes a moment (the sandboxes answer after 50 ms), so at every tick
    the report's workflow starts while the syncs of that tick are still to run or running."""
    queue = unique_queue()
    env = {"GRAPH_TOKEN": "graph-" + uuid.uuid4().hex}
    with (
        AsanaSandbox(generate_org(seed=18, size="XS"), latency_s=0.05) as asana,
        GraphSandbox(generate_tenant(18, "XS"), token=env["GRAPH_TOKEN"], latency_s=0.05) as graph,
    ):
        env["ASANA_TOKEN"] = asana.token
        groups = sorted(graph.tenant.groups)
        body = (
            "connectors:\n"
            + asana_yaml("asana-eng", asana, "ASANA_TOKEN", EVERY_15S)
            + planner_yaml("planner-ops", graph, groups, EVERY_15S)
            + "reports:\n"
            "  portfolio:\n"
            "    kind: portfolio_status\n"
            f"    schedule: '{EVERY_15S}'\n"
            "    formats: [json]\n"
            "    deliver:\n"
            f"      - folder: {{path: {tmp_path / 'delivered'}}}\n"
        )
        config = write_config(tmp_path, cluster, queue, shared_store, body)
        workers = Workers(config, tmp_path, env)
        try:
            started = start_workers(workers, 2)
            said = apply(config, env)
            assert said[-1].endswith(": 3 changed, 0 unchanged"), said
            time.sleep(40)
            back_to_daemon(config)
            wait_for_quiet(cluster, queue, shared_store)
        finally:
            workers.stop()
        for index in range(len(started)):
            assert "Traceback" not in workers.log(index), workers.log(index)

        reports = workflows(cluster, f"TaskQueue = '{queue}' AND WorkflowType = 'pmosync.Report'")
        ticks = workflows(cluster, f"TaskQueue = '{queue}' AND WorkflowType = 'pmosync.SyncTick'")
        report_results = results(cluster, reports, ReportSummary)
        tick_results = results(cluster, ticks, TickResult)
        ledger = {r.id: r for r in read(shared_store, select(runs))}

        # One report run per report tick, each succeeded: none refused as "waiting".
        assert len(reports) >= 2
        report_runs = [r for r in ledger.values() if r.kind == "report"]
        assert sorted(r.id for r in report_runs) == sorted(s.run_id for s in report_results)
        assert [(r.status, r.error) for r in report_runs] == [("succeeded", None)] * len(reports)

        # Each after the sync runs its tick started had ended.
        syncs_of_tick: dict[datetime, list[str]] = defaultdict(list)
        for execution, outcome in zip(ticks, tick_results, strict=True):
            if outcome.ran:
                at = execution.typed_search_attributes.get(SCHEDULED_START)
                syncs_of_tick[at].append(outcome.summary.run_id)
        checked = 0
        for execution, summary in zip(reports, report_results, strict=True):
            at = execution.typed_search_attributes.get(SCHEDULED_START)
            assert at is not None
            report = ledger[summary.run_id]
            for run_id in syncs_of_tick.get(at, []):
                sync = ledger[run_id]
                assert sync.status == "succeeded"
                assert sync.ended_at <= report.started_at, (at, sync.connector)
                checked += 1
        assert checked >= 2 * (len(reports) - 1), "the syncs of (nearly) every tick were checked"


# --- 5. a 429 storm on a token two workers share: the quota holds across them ----------------


QUOTA = 300
"""requests_per_minute of the shared token. The quota store hands a budget of 90 % of it out
over 6 s windows at this rate (docs/operations.md: from about 230 a minute up, no sliding 6 s
holds more than a tenth of the minute's budget), so the sandbox enforces a tenth of it per 6 s:
two workers each spending a budget of their own would send twice that and meet 429s, and a
test of a whole minute at a lower quota would run for minutes."""
TENTH_S = 6.0
FORCED_429 = 6
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The real Redis at 127.0.0.1:6379, or a skip (a failure with PMOSYNC_REQUIRE_REDIS=1)."""
    required = os.environ.get("PMOSYNC_REQUIRE_REDIS") == "1"
    if not required:
        pytest.importorskip("redis", reason="the quota store needs pip install 'pmosync[temporal]'")
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        if required:
            pytest.fail(f"Redis at {REDIS_URL} is unreachable: {error}")
        pytest.skip(f"the quota test needs Redis at {REDIS_URL}: {error}")
    try:
        yield REDIS_URL
    finally:
        client.close()


def _forget_token(token: str, host: str) -> None:
    """Delete the quota keys of this test's token (their names carry a SHA-256 of service, host
    and token); they would expire on their own within a minute."""
    import hashlib

    import redis

    digest = hashlib.sha256(f"Asana\n{host}\n{token}".encode()).hexdigest()
    client = redis.Redis.from_url(REDIS_URL)
    for name in client.scan_iter(match=f"pmosync:quota:*{digest}*"):
        client.delete(name)
    client.close()


def most_in_any_window(times: list[float], seconds: float) -> int:
    """The most requests that arrived within any sliding window of ``seconds``."""
    times = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= seconds:
            first += 1
        most = max(most, last - first + 1)
    return most


def test_two_workers_sharing_a_token_stay_under_its_quota_through_a_429_storm(
    cluster, shared_store, redis_url, tmp_path
):
    """Two Asana connectors on ONE token, each synced by a worker of its own (one activity at a
    time each), against a sandbox enforcing the token's quota that starts with a storm of 429s.
    The sandbox's own log of arrivals: never more than the quota allows in any sliding window,
    and no 429 but the forced ones."""
    queue = unique_queue()
    token = f"shared-{uuid.uuid4().hex}"
    per_window = int(QUOTA * TENTH_S / 60)
    with AsanaSandbox(
        generate_org(seed=18, size="XS"),
        token=token,
        requests_per_minute=per_window,
        rate_window_s=TENTH_S,
    ) as sandbox:
        limited = f"    requests_per_minute: {QUOTA}\n    max_concurrency: 4\n"
        body = (
            "connectors:\n"
            + asana_yaml("asana-one", sandbox, "ASANA_TOKEN", None, limited)
            + asana_yaml("asana-two", sandbox, "ASANA_TOKEN", None, limited)
            + f"sync:\n  quota_store: {redis_url}\n"
        )
        config = write_config(tmp_path, cluster, queue, shared_store, body)
        env = {"ASANA_TOKEN": token}
        workers = Workers(config, tmp_path, env)
        host = sandbox.base_url.split("/")[2]
        try:
            start_workers(workers, 2, "--max-concurrent", "1")
            sandbox.throttle_next(FORCED_429, retry_after_s=2)
            sync = run_pmosync("sync", "-c", config, env=env)
        finally:
            workers.stop()
            _forget_token(token, host)
        assert sync.returncode == 0, sync.stdout + sync.stderr
        log = sandbox.request_times()
        arrivals = [at for at, _, _ in log]
        stats = sandbox.stats()

        ledger = read(shared_store, select(runs).where(runs.c.kind == "sync"))
        assert sorted((r.connector, r.status) for r in ledger) == [
            ("asana-one", "succeeded"),
            ("asana-two", "succeeded"),
        ]
        assert len({r.pid for r in ledger}) == 2, "each connector synced by a worker of its own"
        with Store.open(shared_store) as store:
            for name in ("asana-one", "asana-two"):
                assert asana_differences(store, sandbox.org, name) == []

    # Several windows' worth of requests, so the quota mattered...
    assert len(arrivals) == stats["total"] > 2 * per_window
    # ...never more than it allows in any sliding window, whichever worker sent them...
    timeline = [(round(at - log[0][0], 2), endpoint, status) for at, endpoint, status in log]
    assert most_in_any_window(arrivals, TENTH_S) <= per_window, timeline
    assert most_in_any_window(arrivals, 60.0) <= QUOTA
    # ...and the sandbox refused none for the quota: only the storm it was told to make.
    assert stats["by_status"].get("429", 0) == FORCED_429, stats["by_status"]
