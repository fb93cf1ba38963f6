"""``pmosync sync`` and ``pmosync run`` as a scheduler runs them: several connectors side by side,
one failing without stopping the others, log lines a shipper can parse, a clean stop on SIGTERM.

Connectors here are an Asana sandbox and a Graph sandbox in this process (real HTTP on loopback)
and a local timesheet folder; what the store must hold comes from the sandboxes' own data.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from asana_env import SOURCE as ASANA
from asana_env import differences as asana_differences
from cli import run_pmosync
from graph_env import PLANNER, planner_differences, planner_yaml
from sqlalchemy import select

from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.org import generate_org
from pmosync.sandbox.tenant import TenantSize, generate_tenant
from pmosync.store import Store
from pmosync.store.schema import run_streams, runs

SMALL_TENANT = TenantSize(groups=1, plans=2, tasks=60, people=6, timesheet_weeks=1)


@pytest.fixture
def asana():
    with AsanaSandbox(generate_org(seed=3, size="XS"), latency_s=0.01) as running:
        yield running


@pytest.fixture
def graph():
    with GraphSandbox(generate_tenant(seed=7, size=SMALL_TENANT), page_size=20,
                      latency_s=0.01) as running:  # fmt: skip
        yield running


def _config(tmp_path: Path, asana, graph, *, parallel: int = 2, extra: str = "") -> Path:
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        "store: sqlite:///pmosync.db\n"
        f"sync:\n  max_parallel_connectors: {parallel}\n"
        "connectors:\n"
        f"  {ASANA}:\n    type: asana\n    token: ${{ASANA_TOKEN}}\n"
        f'    workspace: "{asana.org.workspace.gid}"\n    base_url: {asana.base_url}\n'
        + planner_yaml(graph, sorted(graph.tenant.groups))
        + extra,
        encoding="utf-8",
    )
    return path


def _env(asana, graph, **more: str) -> dict[str, str]:
    return {"ASANA_TOKEN": asana.token, "GRAPH_TOKEN": graph.token, **more}


def _ledger(path: Path) -> tuple[list[dict], list[dict]]:
    url = f"sqlite:///{path.parent / 'pmosync.db'}"
    with Store.open(url, schema="require") as store, store.engine.connect() as connection:
        run_rows = [dict(r._mapping) for r in connection.execute(select(runs))]
        stream_rows = [dict(r._mapping) for r in connection.execute(select(run_streams))]
    return run_rows, stream_rows


def _overlap(stream_rows: list[dict], first: str, second: str) -> bool:
    """Did ``first``'s streams and ``second``'s streams run at the same time at some point?"""

    def span(connector: str) -> tuple:
        rows = [r for r in stream_rows if r["connector"] == connector]
        return min(r["started_at"] for r in rows), max(r["ended_at"] for r in rows)

    (a_start, a_end), (b_start, b_end) = span(first), span(second)
    return a_start < b_end and b_start < a_end


def test_connectors_sync_side_by_side_into_the_truth(tmp_path, asana, graph):
    path = _config(tmp_path, asana, graph)
    result = run_pmosync("sync", "-c", path, env=_env(asana, graph))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    # one line per finished stream, then the summary table
    assert f"{ASANA}/tasks: succeeded, " in result.stdout
    assert f"{PLANNER}/tasks: succeeded, " in result.stdout
    assert "sync succeeded in" in result.stdout and "total" in result.stdout
    with Store.open(f"sqlite:///{tmp_path / 'pmosync.db'}", schema="require") as store:
        assert asana_differences(store, asana.org) == []
        assert planner_differences(store, graph.tenant, sorted(graph.tenant.groups)) == []
    (run,), streams = _ledger(path)
    assert run["status"] == "succeeded" and run["kind"] == "sync"
    assert _overlap(streams, ASANA, PLANNER)


def test_one_connector_at_a_time_when_configured(tmp_path, asana, graph):
    path = _config(tmp_path, asana, graph, parallel=1)
    result = run_pmosync("sync", "-c", path, env=_env(asana, graph))
    assert result.returncode == 0, result.stderr
    _, streams = _ledger(path)
    assert not _overlap(streams, ASANA, PLANNER)


def test_a_failing_connector_does_not_stop_the_others(tmp_path, asana, graph):
    path = _config(tmp_path, asana, graph)
    result = run_pmosync("sync", "-c", path, env=_env(asana, graph, GRAPH_TOKEN="not-the-token"))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    problems = result.stderr.strip().splitlines()
    assert len(problems) == 1 and problems[0].startswith(f"{PLANNER}: failed: ")
    assert "not-the-token" not in result.stdout + result.stderr
    (run,), streams = _ledger(path)
    assert run["status"] == "failed" and PLANNER in run["error"]
    asana_streams = {r["stream"]: r["status"] for r in streams if r["connector"] == ASANA}
    assert asana_streams and set(asana_streams.values()) == {"succeeded"}
    with Store.open(f"sqlite:///{tmp_path / 'pmosync.db'}", schema="require") as store:
        assert asana_differences(store, asana.org) == []


def test_json_logs_carry_each_streams_figures(tmp_path, asana, graph):
    path = _config(tmp_path, asana, graph)
    result = run_pmosync("sync", "-c", path, "--log-format", "json", env=_env(asana, graph))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    events = [json.loads(line) for line in result.stderr.splitlines()]
    finished = {
        (e["connector"], e["stream"]): e for e in events if e.get("event") == "stream_finished"
    }  # noqa: E501
    _, streams = _ledger(path)
    assert set(finished) == {(r["connector"], r["stream"]) for r in streams}
    for row in streams:
        event = finished[(row["connector"], row["stream"])]
        assert event["status"] == row["status"] == "succeeded"
        for counter in ("inserted", "updated", "deleted", "quarantined", "requests"):
            assert event[counter] == row[counter]
    assert all({"time", "level", "message"} <= set(e) for e in events)
    (last,) = [e for e in events if e.get("event") == "run_finished"]
    assert last["status"] == "succeeded" and events[-1] is last


def test_sigterm_commits_the_page_in_flight_and_the_rerun_completes(tmp_path, asana, graph):
    path = _config(tmp_path, asana, graph)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMOSYNC_CONFIG")}
    env.update(_env(asana, graph))
    process = subprocess.Popen(
        [sys.executable, "-m", "pmosync", "sync", "-c", str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    database = tmp_path / "pmosync.db"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until some page has committed
        if database.exists():
            try:
                _, streams = _ledger(path)
            except Exception:  # noqa: BLE001 - the schema may be half-created this instant
                streams = []
            if any(r["inserted"] for r in streams):
                break
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 1, stderr
    assert "Traceback" not in stdout + stderr
    assert "stopping after the pages in flight (SIGTERM)" in stderr
    (run,), streams = _ledger(path)
    assert run["status"] == "interrupted" and "shutdown requested" in run["error"]
    assert "interrupted" in {r["status"] for r in streams}
    assert "running" not in {r["status"] for r in streams}

    rerun = run_pmosync("sync", "-c", path, env=_env(asana, graph))
    assert rerun.returncode == 0, rerun.stderr
    with Store.open(f"sqlite:///{database}", schema="require") as store:
        assert asana_differences(store, asana.org) == []
        assert planner_differences(store, graph.tenant, sorted(graph.tenant.groups)) == []


def test_run_syncs_then_runs_the_reports_that_are_due(tmp_path, asana, graph):
    report = (
        "reports:\n  weekly:\n    kind: portfolio_status\n    schedule: '0 7 * * MON'\n"
        "  adhoc:\n    kind: governance\n"
    )
    path = _config(tmp_path, asana, graph, extra=report)
    first = run_pmosync("run", "-c", path, env=_env(asana, graph))
    assert first.returncode == 0, first.stderr
    assert "report weekly: " in first.stdout
    assert "report adhoc" not in first.stdout  # no schedule: only run when asked for
    run_rows, _ = _ledger(path)
    assert sorted(r["kind"] for r in run_rows) == ["report", "sync"]
    again = run_pmosync("run", "-c", path, env=_env(asana, graph))
    assert again.returncode == 0, again.stderr
    assert "report weekly" not in again.stdout  # ran since its last tick: not due again
    run_rows, _ = _ledger(path)
    assert sorted(r["kind"] for r in run_rows) == ["report", "sync", "sync"]
