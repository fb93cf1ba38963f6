"""``pmosync sync``, ``pmosync check`` and ``pmosync sandbox`` against the Asana sandbox, run as a
user runs them: the real command in a subprocess, the sandbox on loopback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from asana_env import SOURCE, all_rows, write_config
from cli import assert_one_clean_line, run_pmosync
from sqlalchemy import select

from pmosync.canonical.types import ENTITY_TYPES
from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.org import generate_org
from pmosync.store import Store
from pmosync.store.schema import run_streams


@pytest.fixture
def sandbox():
    with AsanaSandbox(generate_org(seed=3, size="XS")) as running:
        yield running


def test_a_revoked_token_fails_in_one_line_naming_the_connector_and_writes_nothing(
    tmp_path, sandbox
):
    path, config = write_config(tmp_path, sandbox)
    sandbox.revoke(sandbox.token)
    result = run_pmosync("sync", "-c", path, env={"ASANA_TOKEN": sandbox.token})
    line = assert_one_clean_line(result, 1)
    assert line.startswith(f"{SOURCE}: failed:") and "token was refused" in line
    assert sandbox.token not in result.stdout + result.stderr
    with Store.open(config.store, base_dir=path.parent) as store:
        assert all(all_rows(store, model) == [] for model in ENTITY_TYPES)


def test_sync_says_what_each_stream_did(tmp_path, sandbox):
    path, _ = write_config(tmp_path, sandbox)
    result = run_pmosync("sync", "-c", path, env={"ASANA_TOKEN": sandbox.token})
    assert result.returncode == 0, result.stderr
    tasks_line = next(line for line in result.stdout.splitlines() if "/tasks:" in line)
    assert tasks_line.startswith(f"{SOURCE}/tasks: succeeded, ")
    assert "0 quarantined" in tasks_line


def test_sync_refuses_an_unknown_connector_name(tmp_path, sandbox):
    path, _ = write_config(tmp_path, sandbox)
    result = run_pmosync("sync", "-c", path, "nope", env={"ASANA_TOKEN": sandbox.token})
    line = assert_one_clean_line(result, 2)
    assert "no connector named nope" in line and SOURCE in line and "did you mean" not in line
    typo = run_pmosync("sync", "-c", path, "asana-egn", env={"ASANA_TOKEN": sandbox.token})
    assert assert_one_clean_line(typo, 2).endswith(f"; did you mean '{SOURCE}'?")


def test_check_names_a_bad_token(tmp_path, sandbox):
    path, _ = write_config(tmp_path, sandbox)
    result = run_pmosync("check", "-c", path, env={"ASANA_TOKEN": "not-a-real-token"})
    assert result.returncode == 1
    assert f"{SOURCE}: error: the Asana token was refused" in result.stderr
    assert "not-a-real-token" not in result.stdout + result.stderr


def test_check_names_the_missing_scope(tmp_path, sandbox):
    path, _ = write_config(tmp_path, sandbox)
    sandbox.add_token("scoped-token", scopes={"users:read", "workspaces:read", "projects:read"})
    result = run_pmosync("check", "-c", path, env={"ASANA_TOKEN": "scoped-token"})
    assert result.returncode == 1
    assert f"{SOURCE}: ok: projects: readable" in result.stdout
    assert "tasks: permission denied" in result.stderr and "tasks:read" in result.stderr


def test_check_reports_every_probe_when_the_projects_probe_fails(tmp_path, sandbox):
    path, _ = write_config(tmp_path, sandbox)
    sandbox.add_token("no-projects", scopes={"users:read", "workspaces:read", "tasks:read"})
    result = run_pmosync("check", "-c", path, env={"ASANA_TOKEN": "no-projects"})
    assert result.returncode == 1
    lines = (result.stdout + result.stderr).splitlines()
    assert any(f"{SOURCE}: error: projects: permission denied" in line for line in lines)
    assert f"{SOURCE}: ok: users: readable" in result.stdout
    for stream in ("tasks", "status_updates", "allocations", "budgets"):
        said = [line for line in lines if line.startswith(f"  {SOURCE}: warning: {stream}: ")]
        assert len(said) == 1, (stream, lines)
        assert "not probed (the projects probe failed" in said[0]


def test_check_passes_against_a_healthy_sandbox(tmp_path, sandbox):
    path, _ = write_config(tmp_path, sandbox)
    result = run_pmosync("check", "-c", path, env={"ASANA_TOKEN": sandbox.token})
    assert result.returncode == 0, result.stderr
    assert f"{SOURCE}: ok: token accepted" in result.stdout
    assert "tasks: readable" in result.stdout


def test_the_sandbox_command_serves_until_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "pmosync", "sandbox", "--size", "XS", "--token", "t0k"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        announced = json.loads(process.stdout.readline())["asana"]
        assert announced["token"] == "t0k"
        request = urllib.request.Request(
            announced["base_url"] + "/users/me", headers={"Authorization": "Bearer t0k"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["data"]["gid"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()


def test_sigterm_ends_a_sync_held_by_an_events_feed_that_never_ends(tmp_path, sandbox):
    """The reported repro: a feed whose has_more never turns false, then SIGTERM. The process
    exits, and the ledger says the tasks stream was interrupted, not running."""
    path, config = write_config(tmp_path, sandbox)
    env = {**os.environ, "ASANA_TOKEN": sandbox.token}
    first = run_pmosync("sync", "-c", path, env={"ASANA_TOKEN": sandbox.token})
    assert first.returncode == 0, first.stderr
    sandbox.endless_events("fresh")
    sandbox.reset_stats()
    process = subprocess.Popen(
        [sys.executable, "-m", "pmosync", "sync", "-c", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        while sandbox.stats()["by_endpoint"].get("GET /events", 0) < 20:
            assert process.poll() is None, process.communicate()
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1 and "Traceback" not in stderr, stderr
    assert sandbox.stats()["by_endpoint"]["GET /events"] < 100  # far from the feed's cap
    store = Store.open(config.store, base_dir=path.parent)
    with store, store.engine.connect() as connection:
        rows = connection.execute(select(run_streams.c.stream, run_streams.c.status)).all()
    statuses = {status for stream, status in rows if stream == "tasks"}
    assert "interrupted" in statuses and "running" not in {status for _, status in rows}
