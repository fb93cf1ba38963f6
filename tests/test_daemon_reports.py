"""The daemon never delivers a report built from a half-synced store.

The repro of the defect, run as users run it: a fresh store, a real ``pmosync daemon`` process
syncing the Asana sandbox every 5 s, and a portfolio report every 10 s delivered to a folder.
The sandbox answers each request after 50 ms, so the first sync takes several seconds and the
report's first ticks (the catch-up at start, then every 10 s) fall while it runs. Before the
fix the report ran on what the sync had written so far and the folder got "Projects 0"; the
next runs that day were "already delivered". The ground truth is the sandbox's own
organisation: the report covers every project of the workspace.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from asana_env import SOURCE
from cli import run_pmosync
from sqlalchemy import select, update
from test_daemon import Daemon, read, wait_until, write_config

from pmosync.orchestration.cron import local_zone
from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.org import generate_org
from pmosync.store import Store
from pmosync.store.schema import runs


@pytest.fixture
def sandbox():
    with AsanaSandbox(generate_org(seed=3, size="S"), latency_s=0.05) as running:
        yield running


def _config(tmp_path: Path, sandbox: AsanaSandbox, store: str) -> Path:
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        f"store: '{store}'\n"
        "output_dir: kept\n"
        "connectors:\n"
        f"  {SOURCE}:\n"
        "    type: asana\n"
        "    token: ${ASANA_TOKEN}\n"
        f'    workspace: "{sandbox.org.workspace.gid}"\n'
        f"    base_url: {sandbox.base_url}\n"
        "    max_concurrency: 4\n"
        "sync:\n"
        "  schedule: '*/5 * * * * *'\n"
        "reports:\n"
        "  portfolio:\n"
        "    kind: portfolio_status\n"
        "    schedule: '*/10 * * * * *'\n"
        "    formats: [json]\n"
        "    rules: {rollup_statuses: [active, on_hold, completed, archived]}\n"  # all hours
        "    deliver:\n"
        f"      - folder: {{path: {tmp_path / 'delivered'}}}\n",
        encoding="utf-8",
    )
    return path


def _figures(path: Path) -> dict:
    """The headline figures, and the portfolio totals (hours logged among them)."""
    document = json.loads(path.read_text("utf-8"))
    totals = next(s for s in document["sections"] if s["key"] == "portfolio_totals")
    return {**totals["rows"][0], **{f["key"]: f["value"] for f in document["figures"]}}


def test_the_daemon_delivers_the_report_only_once_the_first_sync_has_finished(
    tmp_path, sandbox, monkeypatch
):
    monkeypatch.setenv("ASANA_TOKEN", sandbox.token)
    store = f"sqlite:///{tmp_path / 'store.db'}"
    daemon = Daemon(_config(tmp_path, sandbox, store))
    try:
        delivered = wait_until(
            lambda: sorted((tmp_path / "delivered").glob("*.json")), 90, "a delivered report"
        )
        # A later tick of the same day finds it delivered, and does not deliver again.
        mark = len(daemon.lines)
        daemon.wait_for(r"report portfolio run \S+ succeeded", timeout=60, start=mark)
    finally:
        daemon.stop()
    # Every project of the workspace, and every hour logged to date (the report adds up every
    # project status, and keeps full precision): the time entries are among the last streams
    # a sync fetches, so a report run mid-sync misses most of them.
    org = sandbox.org
    today = date.today()
    hours = sum(e.duration_minutes for e in org.time_entries.values() if e.entered_on <= today)
    [file] = delivered
    figures = _figures(file)
    # ten delivery projects, the "RAID log" project and the "Project intake" project (without
    # a raid: or intake: block, ordinary ones)
    assert figures["projects"] == len(org.projects) == 12
    assert figures["hours_logged"] == pytest.approx(hours / 60)
    assert "data_age" not in figures  # fresh data: nothing to warn about
    [kept] = (tmp_path / "kept").glob("*/*.json")  # rewritten by each run of the day
    assert _figures(kept)["hours_logged"] == figures["hours_logged"]

    rows = read(store, select(runs).order_by(runs.c.started_at))
    syncs = [r for r in rows if r.kind == "sync"]
    first_done = min(r.ended_at for r in syncs if r.status == "succeeded")
    reports = [r for r in rows if r.kind == "report"]
    assert reports and all(r.status in ("succeeded", "skipped") for r in reports), reports
    # Every report that ran started after the first sync had finished; any tick refused
    # before then says why.
    assert all(r.started_at >= first_done for r in reports if r.status == "succeeded")
    assert all("waiting" in r.error for r in reports if r.status == "skipped")
    assert any("waits: the sync is running" in line for line in daemon.lines), daemon.lines
    assert not any("Traceback" in line for line in daemon.lines)


def test_a_report_waits_for_a_first_sync_that_fails_and_runs_once_one_completes(tmp_path):
    """The sheets' folder is missing, so the first syncs fail and each report tick is refused
    (recorded ``skipped``, with the reason); once the folder appears, the next sync completes
    and the waiting report runs without waiting for its next tick. A report run left
    ``running`` by a process that is gone is closed at the daemon's first tick."""
    store = f"sqlite:///{tmp_path / 'store.db'}"
    sheets = tmp_path / "sheets"
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        f"store: '{store}'\n"
        "output_dir: kept\n"
        "connectors:\n"
        "  sheets:\n"
        "    type: files\n"
        f"    path: {sheets}\n"
        "    columns: {person: Email, date: Date, hours: Hours, project: Project}\n"
        "sync:\n"
        "  schedule: '*/2 * * * * *'\n"
        "reports:\n"
        "  portfolio:\n"
        "    kind: portfolio_status\n"
        "    schedule: '*/10 * * * *'\n"  # its latest tick is caught up at start
        "    formats: [json]\n"
        "    deliver:\n"
        f"      - folder: {{path: {tmp_path / 'delivered'}}}\n",
        encoding="utf-8",
    )
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    with Store.open(store) as opened:  # what a report process killed outright leaves
        ghost = opened.ledger.start_run("report", "portfolio")
    with Store.open(store) as opened, opened.engine.begin() as connection:
        connection.execute(update(runs).where(runs.c.id == ghost).values(pid=int(gone.stdout)))

    daemon = Daemon(path, "--lease-seconds", "600")
    try:
        daemon.wait_for(r"report portfolio run \S+ skipped: waiting: no sync of sheets has")
        sheets.mkdir()
        (sheets / "week1.csv").write_text("Email,Date,Hours,Project\n")
        daemon.wait_for(r"report portfolio: its data is ready; running tick")
        daemon.wait_for(r"report portfolio run \S+ succeeded")
    finally:
        daemon.stop()
    rows = {r.id: r for r in read(store, select(runs).where(runs.c.kind == "report"))}
    assert (rows[ghost].status, rows[ghost].error) == (
        "interrupted", "the process ended before the run finished")  # fmt: skip
    ran = sorted((r for r in rows.values() if r.id != ghost), key=lambda r: r.started_at)
    # Refused once (retries while waiting record nothing), then run; a later tick may run too.
    assert [r.status for r in ran[:2]] == ["skipped", "succeeded"]
    assert {r.status for r in ran[2:]} <= {"succeeded"}
    syncs = read(store, select(runs).where(runs.c.kind == "sync", runs.c.status == "succeeded"))
    assert ran[1].started_at >= min(r.ended_at for r in syncs)
    assert len(list((tmp_path / "delivered").glob("*.json"))) == 1


def test_a_report_waits_for_a_sync_run_by_another_process_and_runs_when_it_ends(tmp_path):
    """The daemon schedules no sync here: cron runs ``pmosync sync``. While the ledger shows
    that sync running (its process lives), the report's tick is refused once and rechecked;
    when the process is gone, its run is closed and the report runs for the tick it held."""
    store = f"sqlite:///{tmp_path / 'store.db'}"
    # Daily, its latest tick a minute ago: the daemon runs that tick at start, and no new tick
    # comes along to run on its own while the test watches the held one.
    ticked = datetime.now(local_zone()) - timedelta(minutes=1)
    daily = f"{ticked.minute} {ticked.hour} * * *"
    path = write_config(
        tmp_path,
        store,
        sync=None,
        extra=(
            "reports:\n"
            f"  portfolio: {{kind: portfolio_status, schedule: '{daily}', formats: [json]}}\n"
        ),
    )
    assert run_pmosync("sync", "-c", path).returncode == 0  # a first sync completed
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        with Store.open(store) as opened:  # the sync that process runs, as the ledger has it
            running = opened.ledger.start_run("sync")
        with Store.open(store) as opened, opened.engine.begin() as connection:
            connection.execute(update(runs).where(runs.c.id == running).values(pid=other.pid))
        daemon = Daemon(path, "--lease-seconds", "600")
        daemon.wait_for(r"report portfolio run \S+ skipped: waiting: a sync is running")
        mark = len(daemon.lines)
    finally:
        other.kill()
        other.wait()
    try:
        daemon.wait_for(r"report portfolio: its data is ready; running tick", start=mark)
        daemon.wait_for(r"report portfolio run \S+ succeeded", start=mark)
    finally:
        daemon.stop()
    ledger = read(store, select(runs).order_by(runs.c.started_at))
    assert [(r.kind, r.status) for r in ledger[:2]] == [
        ("sync", "succeeded"), ("sync", "interrupted")]  # fmt: skip
    reports = [r.status for r in ledger[2:]]  # refused, then run (a later tick may run too)
    assert reports[0] == "skipped" and reports[-1] == "succeeded", reports
    assert set(reports) == {"skipped", "succeeded"}
