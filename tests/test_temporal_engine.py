"""The Temporal engine against a real Temporal dev server and real worker processes.

Schedules are made from the YAML and read back from the server (its own computation of the next
ticks is compared with croniter's, the daemon's reading); syncs started by `pmosync sync` run on
a worker and leave the store equal to the sandbox; a second `pmosync sync` of a connector that
is syncing joins it rather than running twice; problems end in one line.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from datetime import UTC, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from asana_env import SOURCE, differences
from cli import assert_one_clean_line, run_pmosync
from sqlalchemy import select
from temporal_env import (
    Workers,
    free_port,
    temporal_block,
    temporal_server,
    unique_queue,
    wait_until,
)

from pmosync.config import load_config
from pmosync.orchestration.cron import next_tick
from pmosync.orchestration.temporal.ids import owned_prefix, schedule_id, workflow_id
from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.org import generate_org
from pmosync.store import Store
from pmosync.store.schema import runs

pytestmark = pytest.mark.slow  # a long suite: `make test-slow` (CI runs it)

__all__ = ["temporal_server"]  # the module fixture, imported for pytest

BERLIN = "Europe/Berlin"


def _asana(sandbox: AsanaSandbox, name: str = SOURCE, *, schedule: str | None = None,
           token: str | None = None) -> str:  # fmt: skip
    return (
        f"  {name}:\n"
        "    type: asana\n"
        f"    token: {token or sandbox.token}\n"
        f'    workspace: "{sandbox.org.workspace.gid}"\n'
        f"    base_url: {sandbox.base_url}\n"
        + (f'    schedule: "{schedule}"\n' if schedule else "")
    )


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _describe_all(address: str, prefix: str, ids: tuple[str, ...] = ()) -> dict[str, object]:
    """Every schedule under ``prefix`` the server lists, and those of ``ids`` (a listing may
    lag a moment behind a change), described by the server itself."""
    from temporalio.client import Client
    from temporalio.service import RPCError

    async def read() -> dict[str, object]:
        client = await Client.connect(address)
        wanted = set(ids)
        async for listed in await client.list_schedules():
            if listed.id.startswith(prefix):
                wanted.add(listed.id)
        found = {}
        for sid in wanted:
            try:
                found[sid] = await client.get_schedule_handle(sid).describe()
            except RPCError:
                continue  # deleted
        return found

    return asyncio.run(read())


@pytest.fixture(scope="module")
def sandbox():
    with AsanaSandbox(generate_org(seed=5, size="XS")) as running:
        yield running


# --- schedules -----------------------------------------------------------------------------


def test_the_servers_ticks_are_the_ones_croniter_gives(tmp_path, temporal_server, sandbox):
    """Temporal computes the next ticks of each schedule itself; they must be the daemon's."""
    crons = {
        "weekly": "0 7 * * MON",
        "first-or-monday": "30 6 1 * MON",  # cron's OR: the 1st, and every Monday
        "office-hours": "15 9-17/2 * * 1-5",
        "seconds": "*/20 * * * * *",
    }
    text = f"store: sqlite:///{tmp_path}/a.db\norganisation: {{timezone: {BERLIN}}}\n"
    text += temporal_block(temporal_server, unique_queue()) + "connectors:\n"
    text += "".join(_asana(sandbox, name, schedule=cron) for name, cron in crons.items())
    config = _write(tmp_path / "pmosync.yaml", text)
    applied = run_pmosync("schedules", "apply", "-c", config)
    assert applied.returncode == 0, applied.stderr
    assert "4 changed, 0 unchanged" in applied.stdout
    loaded = load_config(config)
    ids = tuple(schedule_id(loaded, "sync", name) for name in crons)
    described = _describe_all(temporal_server.address, "pmosync:", ids)
    zone = ZoneInfo(BERLIN)
    for name, cron in crons.items():
        info = described[schedule_id(loaded, "sync", name)].info  # type: ignore[attr-defined]
        server_ticks = [t.astimezone(UTC) for t in info.next_action_times[:5]]
        assert len(server_ticks) == 5, name
        # croniter's ticks from just before the server's first one: the same five instants
        expected, moment = [], server_ticks[0].astimezone(zone) - timedelta(seconds=1)
        while len(expected) < 5:
            moment = next_tick(cron, moment, zone)
            expected.append(moment.astimezone(UTC))
        assert server_ticks == expected, name


def test_apply_creates_updates_and_deletes_only_its_stores_schedules(
    tmp_path, temporal_server, sandbox
):
    queue = unique_queue()
    head = temporal_block(temporal_server, queue) + "connectors:\n"
    mine = tmp_path / "mine" / "pmosync.yaml"
    other = tmp_path / "other" / "pmosync.yaml"
    report = (
        "reports:\n  weekly:\n    kind: portfolio_status\n"
        '    schedule: "0 7 * * MON"\n    formats: [html]\n'
    )
    start = f"store: sqlite:///{mine.parent}/s.db\nsync: {{schedule: '*/30 * * * *'}}\n" + head
    _write(mine, start + _asana(sandbox, "a") + _asana(sandbox, "b", schedule="0 * * * *") + report)
    _write(other, f"store: sqlite:///{other.parent}/s.db\n" + head
           + _asana(sandbox, "a", schedule="0 6 * * *"))  # fmt: skip
    assert run_pmosync("schedules", "apply", "-c", other).returncode == 0

    dry = run_pmosync("schedules", "apply", "-c", mine, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would create sync a at '*/30 * * * *'" in dry.stdout
    assert "would create sync b at '0 * * * *'" in dry.stdout
    assert "would create report weekly at '0 7 * * MON'" in dry.stdout
    listed = run_pmosync("schedules", "list", "-c", mine)
    assert "no schedules of this store" in listed.stdout  # the dry run changed nothing

    first = run_pmosync("schedules", "apply", "-c", mine)
    assert "3 changed, 0 unchanged" in first.stdout, first.stdout + first.stderr
    again = run_pmosync("schedules", "apply", "-c", mine)
    assert "0 changed, 3 unchanged" in again.stdout

    # b moves to the sync's schedule and the report goes: one update, one delete
    _write(mine, start + _asana(sandbox, "a") + _asana(sandbox, "b"))
    changed = run_pmosync("schedules", "apply", "-c", mine)
    assert "update sync b to '*/30 * * * *'" in changed.stdout, changed.stdout
    assert "delete pmosync:" in changed.stdout and ":report:weekly" in changed.stdout
    assert "2 changed, 1 unchanged" in changed.stdout
    listing = run_pmosync("schedules", "list", "-c", mine, "--format", "json")
    rows = json.loads(listing.stdout)
    assert sorted((r["kind"], r["name"], r["cron"]) for r in rows) == [
        ("sync", "a", "*/30 * * * *"),
        ("sync", "b", "*/30 * * * *"),
    ]

    # back to the daemon: every schedule of this store goes, the other store's stays
    text = mine.read_text().replace("engine: temporal", "engine: daemon")
    _write(mine, text)
    gone = run_pmosync("schedules", "apply", "-c", mine)
    assert "2 changed, 0 unchanged" in gone.stdout, gone.stdout
    gone_ids = tuple(schedule_id(load_config(mine), "sync", name) for name in "ab")
    assert not _describe_all(temporal_server.address, owned_prefix(load_config(mine)), gone_ids)
    other_id = (schedule_id(load_config(other), "sync", "a"),)
    others = _describe_all(temporal_server.address, owned_prefix(load_config(other)), other_id)
    assert list(others) == list(other_id)


# --- syncs through the cluster -------------------------------------------------------------


def test_pmosync_sync_runs_on_a_worker_and_the_store_equals_the_sandbox(
    tmp_path, temporal_server, sandbox
):
    config = _write(
        tmp_path / "pmosync.yaml",
        f"store: sqlite:///{tmp_path}/s.db\n"
        + temporal_block(temporal_server, unique_queue())
        + "connectors:\n"
        + _asana(sandbox),
    )
    workers = Workers(config, tmp_path)
    worker = workers.start()
    try:
        result = run_pmosync("sync", "-c", config)
    finally:
        workers.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{SOURCE}: succeeded" in result.stdout
    loaded = load_config(config)
    store = Store.open(loaded.store)
    try:
        assert differences(store, sandbox.org) == []
        with store.engine.connect() as connection:
            rows = connection.execute(select(runs).where(runs.c.kind == "sync")).all()
        assert len(rows) == 1
        (row,) = rows
        assert row.connector == SOURCE and row.status == "succeeded"
        assert row.workflow_id == workflow_id(loaded, "sync", SOURCE)
        assert row.pid == worker.pid  # the worker ran it, not the command
    finally:
        store.close()


def test_a_worker_writes_to_the_store_given(tmp_path, temporal_server, sandbox):
    """``pmosync worker --store``: its syncs land there, not in the config's store."""
    config = _write(
        tmp_path / "pmosync.yaml",
        "store: sqlite:///no-such-folder/s.db\n"
        + temporal_block(temporal_server, unique_queue())
        + "connectors:\n"
        + _asana(sandbox),
    )
    given = f"sqlite:///{tmp_path}/given.db"
    assert run_pmosync("db", "upgrade", "-c", config, "--store", given).returncode == 0
    workers = Workers(config, tmp_path)
    workers.start("--store", given)
    try:
        result = run_pmosync("sync", "-c", config)
    finally:
        workers.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (tmp_path / "no-such-folder").exists()
    with Store.open(given) as store:
        assert [r["connector"] for r in store.ledger.recent_runs(10, "sync")] == [SOURCE]


def test_a_second_sync_of_a_connector_joins_the_running_one(tmp_path, temporal_server):
    with AsanaSandbox(generate_org(seed=6, size="XS"), latency_s=0.15) as slow:
        config = _write(
            tmp_path / "pmosync.yaml",
            f"store: sqlite:///{tmp_path}/s.db\n"
            + temporal_block(temporal_server, unique_queue())
            + "connectors:\n"
            + _asana(slow),
        )
        workers = Workers(config, tmp_path)
        workers.start("--max-concurrent", "2")
        try:
            command = [sys.executable, "-m", "pmosync", "sync", "-c", str(config)]
            first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)  # fmt: skip
            store = Store.open(load_config(config).store)
            try:
                _wait_for_a_running_sync(store)
            finally:
                store.close()
            second = run_pmosync("sync", "-c", config)
            out, err = first.communicate(timeout=120)
        finally:
            workers.stop()
        assert first.returncode == 0, out + err
        assert second.returncode == 0, second.stdout + second.stderr
        assert "already running" in second.stderr and "waiting for it" in second.stderr
        assert f"{SOURCE}: succeeded" in second.stdout
        store = Store.open(load_config(config).store)
        try:
            with store.engine.connect() as connection:
                synced = connection.scalars(select(runs.c.id).where(runs.c.kind == "sync")).all()
            assert len(synced) == 1  # one sync, awaited by both commands
            assert differences(store, slow.org) == []
        finally:
            store.close()


def _wait_for_a_running_sync(store: Store, timeout: float = 60) -> None:
    wait_until(store.ledger.running_syncs, timeout, "a sync to start on the worker")


def test_a_refused_token_fails_at_once_without_retries(tmp_path, temporal_server, sandbox):
    config = _write(
        tmp_path / "pmosync.yaml",
        f"store: sqlite:///{tmp_path}/s.db\n"
        + temporal_block(temporal_server, unique_queue())
        + "connectors:\n"
        + _asana(sandbox, token="not-the-token"),
    )
    workers = Workers(config, tmp_path)
    workers.start()
    try:
        result = run_pmosync("sync", "-c", config)
    finally:
        workers.stop()
    assert result.returncode == 1
    (line,) = [ln for ln in result.stdout.splitlines() if ln.startswith(f"{SOURCE}:")]
    assert "failed" in line and ("401" in line or "refused" in line), line
    assert "not-the-token" not in result.stdout + result.stderr
    store = Store.open(load_config(config).store)
    try:
        with store.engine.connect() as connection:
            statuses = connection.scalars(select(runs.c.status).where(runs.c.kind == "sync")).all()
        assert statuses == ["failed"]  # fatal: one attempt, not eight
    finally:
        store.close()


# --- problems end in one line --------------------------------------------------------------


def test_a_worker_needs_engine_temporal(tmp_path, sandbox):
    config = _write(tmp_path / "pmosync.yaml", "connectors:\n" + _asana(sandbox))
    line = assert_one_clean_line(run_pmosync("worker", "-c", config), 2)
    assert "engine is daemon" in line and "engine: temporal" in line


def test_an_unreachable_cluster_is_one_line(tmp_path, sandbox):
    port = free_port()
    config = _write(
        tmp_path / "pmosync.yaml",
        f'engine: temporal\ntemporal: {{address: "127.0.0.1:{port}", namespace: pmo, '
        "api_key: secret-api-key-123}\nconnectors:\n" + _asana(sandbox, schedule="0 * * * *"),
    )
    for command in (("schedules", "list"), ("schedules", "apply"), ("sync",)):
        result = run_pmosync(*command, "-c", config)
        line = assert_one_clean_line(result, 1)
        assert f"Temporal at 127.0.0.1:{port} (namespace pmo)" in line, line
        assert "secret-api-key-123" not in result.stdout + result.stderr


def test_mutual_tls_needs_readable_files(tmp_path, sandbox):
    config = _write(
        tmp_path / "pmosync.yaml",
        "engine: temporal\ntemporal:\n  tls: {client_cert: c.pem, client_key: k.pem}\n"
        "connectors:\n" + _asana(sandbox, schedule="0 * * * *"),
    )
    line = assert_one_clean_line(run_pmosync("schedules", "list", "-c", config), 1)
    assert "temporal.tls.client_cert: cannot read" in line and "c.pem" in line


def test_check_probes_the_cluster_its_workers_and_its_schedules(tmp_path, temporal_server, sandbox):
    queue = unique_queue()
    config = _write(
        tmp_path / "pmosync.yaml",
        f"store: sqlite:///{tmp_path}/s.db\n"
        + temporal_block(temporal_server, queue)
        + "connectors:\n"
        + _asana(sandbox, schedule="0 * * * *"),
    )
    before = run_pmosync("check", "-c", config)
    assert before.returncode == 0, before.stdout + before.stderr  # warnings only
    assert f"temporal: ok: Temporal at {temporal_server.address} (namespace default)" in (
        before.stdout
    )
    assert f"temporal: warning: no worker polls task queue {queue}" in before.stdout
    assert "(1 to create, 0 to update, 0 to delete): run `pmosync schedules apply`" in (
        before.stdout
    )
    assert run_pmosync("schedules", "apply", "-c", config).returncode == 0
    workers = Workers(config, tmp_path)
    worker = workers.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            after = run_pmosync("check", "-c", config)
            if "worker(s) on task queue" in after.stdout:
                break
            time.sleep(0.5)
    finally:
        workers.stop()
    assert f"temporal: ok: 1 worker(s) on task queue {queue}: pmosync@" in after.stdout
    assert f":{worker.pid}" in after.stdout
    assert "temporal: ok: 1 schedule(s) as in the YAML" in after.stdout


def test_the_daemon_refuses_a_config_whose_schedules_are_on_temporal(tmp_path, sandbox):
    config = _write(
        tmp_path / "pmosync.yaml",
        "engine: temporal\nconnectors:\n" + _asana(sandbox, schedule="0 * * * *"),
    )
    line = assert_one_clean_line(run_pmosync("daemon", "-c", config), 2)
    assert "engine is temporal" in line and "engine: daemon" in line
