"""The daemon, run as users run it: ``python -m pmosync daemon`` processes on a real store.

The sync they schedule is a ``files`` connector over a few CSV rows written here, every two
seconds (six-field cron, seconds first), so a tick takes a fraction of a second. Rows name no
known person or project, so each new row is quarantined: a figure worked out from the CSV.
What the tests read back is the store (claimed ticks, the run ledger, the lease row) and what
the processes answer on /healthz and /metrics.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cli import assert_one_clean_line, run_pmosync
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, insert, select

from pmosync.config import load_config
from pmosync.orchestration.cron import local_zone
from pmosync.orchestration.jobs import due_reports
from pmosync.reports.job import run_report
from pmosync.store import Store
from pmosync.store.schema import daemon_lease, daemon_ticks, run_streams, runs
from pmosync.sync.run import run_sync

pytestmark = pytest.mark.slow  # a long suite: `make test-slow` (CI runs it)

EVERY_2S = "*/2 * * * * *"
ROWS = [
    "ann@contoso.example,2026-01-05,3,Website",
    "bo@contoso.example,2026-01-06,2.5,Website",
    "ann@contoso.example,2026-01-07,1,Data centre move",
]
TIMEOUT = 30


def write_config(folder: Path, store: str, *, sync: str | None = EVERY_2S, extra: str = "") -> Path:
    sheets = folder / "sheets"
    if not sheets.exists():
        sheets.mkdir(parents=True)
        (sheets / "week1.csv").write_text("Email,Date,Hours,Project\n" + "\n".join(ROWS) + "\n")
    path = folder / "pmosync.yaml"
    text = (
        f"store: '{store}'\n"
        "connectors:\n"
        "  sheets:\n"
        "    type: files\n"
        f"    path: {sheets}\n"
        "    columns: {person: Email, date: Date, hours: Hours, project: Project}\n"
    )
    if sync:
        text += f"sync:\n  schedule: '{sync}'\n"
    path.write_text(text + extra)
    return path


class Daemon:
    """A ``pmosync daemon`` subprocess whose log lines (stdout and stderr) are collected."""

    def __init__(self, config: Path, *args: str) -> None:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("PMOSYNC_CONFIG")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pmosync", "daemon", "-c", str(config), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=environment,
        )
        self.lines: list[str] = []
        self._new: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.holder = self.wait_for(r"daemon (\S+) on store").group(1)
        self.pid = self.process.pid

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            self._new.put(line)

    def wait_for(self, pattern: str, timeout: float = TIMEOUT, start: int = 0) -> re.Match[str]:
        """The first line from ``start`` on that matches ``pattern``, waiting for it."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.lines[start:]:
                if found := re.search(pattern, line):
                    return found
            if (
                time.monotonic() > deadline
                or self.process.poll() is not None
                and (self._new.empty())
            ):
                raise AssertionError(f"no line matching {pattern!r}:\n" + "\n".join(self.lines))
            with contextlib.suppress(queue.Empty):
                self._new.get(timeout=0.2)

    @property
    def health_url(self) -> str:
        return "http://" + self.wait_for(r"health: http://(\S+)/healthz").group(1)

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.health_url + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def healthz(self) -> dict:
        status, body = self.get("/healthz")
        document = json.loads(body)
        document["http_status"] = status
        return document

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=TIMEOUT)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=TIMEOUT)


@pytest.fixture
def daemons():
    """Start daemons with ``daemons(config, *args)``; all are killed at the end."""
    started: list[Daemon] = []

    def start(config: Path, *args: str) -> Daemon:
        started.append(Daemon(config, *args))
        return started[-1]

    yield start
    for daemon in started:
        daemon.kill()


def wait_until(condition, timeout: float = TIMEOUT, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def ticks(url: str) -> list[tuple[datetime, str]]:
    """(scheduled time, claimed by) of every sync tick claimed, oldest first."""
    query = (
        select(daemon_ticks.c.scheduled_at, daemon_ticks.c.claimed_by)
        .where(daemon_ticks.c.kind == "sync")
        .order_by(daemon_ticks.c.scheduled_at)
    )
    return [(row.scheduled_at, row.claimed_by) for row in read(url, query)]


def read(url: str, query) -> list:
    with Store.open(url) as store, store.engine.connect() as connection:
        return list(connection.execute(query))


def sync_runs_of(url: str, pid: int) -> list:
    return read(url, select(runs).where(runs.c.kind == "sync", runs.c.pid == pid))


def assert_every_tick_once(url: str, holders: dict[str, Daemon], *, finished: set[str]) -> None:
    """Each holder's ticks follow each other every 2 s (a gap only while its previous run was
    still running: max_instances=1), no two holders share a tick, and each tick of a holder
    that stopped cleanly made one sync run."""
    claimed = ticks(url)
    times = [at for at, _ in claimed]
    assert len(times) == len(set(times))
    by_holder: dict[str, list[datetime]] = {}
    for at, holder in claimed:
        by_holder.setdefault(holder, []).append(at)
    assert set(by_holder) <= set(holders)
    for holder, own in by_holder.items():
        runs_made = sync_runs_of(url, holders[holder].pid)
        # The job holds its instance a moment past the run's end (the ledger closes the run,
        # then the job returns to the scheduler): a tick in that tail is skipped too, which a
        # loaded machine stretches to some tenths of a second.
        tail = timedelta(seconds=1)
        busy = [(r.started_at, r.ended_at + tail) for r in runs_made if r.ended_at is not None]
        for earlier, later in zip(own, own[1:], strict=False):
            skipped = earlier + timedelta(seconds=2)
            while skipped < later:  # max_instances=1: a tick is skipped only while a run runs
                assert any(start <= skipped <= end for start, end in busy), (holder, own)
                skipped += timedelta(seconds=2)
        if holder in finished:
            assert len(runs_made) == len(own), (holder, own, runs_made)
        else:  # killed: it may have died between claiming a tick and starting its run
            assert len(own) - 1 <= len(runs_made) <= len(own)


# --- which reports are due ------------------------------------------------------------------


def test_due_reports_follow_their_cron_ticks_since_their_last_run(tmp_path):
    path = write_config(
        tmp_path,
        f"sqlite:///{tmp_path / 'store.db'}",
        sync=None,
        extra=(
            "reports:\n"
            "  weekly: {kind: portfolio_status, schedule: '0 7 * * MON'}\n"
            "  daily: {kind: portfolio_status, schedule: '30 6 * * *'}\n"
            "  monthly: {kind: portfolio_status, schedule: '0 8 1 * *'}\n"
            "  on-demand: {kind: portfolio_status}\n"
        ),
    )
    config = load_config(path)
    zone = local_zone()

    def at(day: int, hour: int, minute: int, second: int = 0) -> datetime:
        return datetime(2026, 1, day, hour, minute, second, tzinfo=zone)  # 2026-01-05: Monday

    with Store.open(config.store, base_dir=tmp_path) as store:
        # Nothing ran yet: every scheduled report is due, the unscheduled one never.
        assert due_reports(config, store, at(5, 7, 0, 30)) == ["weekly", "daily", "monthly"]
        with store.engine.begin() as connection:
            for job, started in (("weekly", at(5, 7, 0, 5)), ("daily", at(5, 6, 30, 10))):
                connection.execute(
                    insert(runs).values(
                        id=f"run-{job}",
                        kind="report",
                        job=job,
                        started_at=started,
                        ended_at=started,
                        status="failed",  # any outcome of a run counts, but one:
                    )  # fmt: skip
                )
        assert due_reports(config, store, at(5, 7, 0, 30)) == ["monthly"]
        assert due_reports(config, store, at(6, 6, 29, 59)) == ["monthly"]
        assert due_reports(config, store, at(6, 6, 30)) == ["daily", "monthly"]  # at the tick
        assert due_reports(config, store, at(11, 23, 59, 59)) == ["daily", "monthly"]
        assert due_reports(config, store, at(12, 7, 0)) == ["weekly", "daily", "monthly"]

        # A run skipped because its data was not ready (the sheets were never synced) does not
        # count: the report stays due, to run once the sync has finished.
        skipped = run_report(config, store, "monthly")
        assert skipped.status == "skipped"
        assert "no sync of sheets has completed" in (skipped.error or "")
        assert "monthly" in due_reports(config, store, datetime.now(zone))
        assert run_sync(config, store).status == "succeeded"

        outcome = run_report(config, store, "monthly")
        assert (outcome.status, outcome.error) == ("succeeded", None)
        with store.engine.connect() as connection:
            row = connection.execute(select(runs).where(runs.c.id == outcome.run_id)).one()
        assert (row.kind, row.job, row.status) == ("report", "monthly", "succeeded")
        assert [path.suffix for path in outcome.files] == [".html"]  # the default format, kept
        # It ran after its latest tick: no longer due until the next one.
        now = datetime.now(zone)
        assert "monthly" not in due_reports(config, store, now)
        next_first = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, 8, tzinfo=zone)
        assert "monthly" in due_reports(config, store, next_first)


# --- starting ---------------------------------------------------------------------------


def test_a_config_without_schedules_is_refused_in_one_line(tmp_path):
    path = write_config(tmp_path, f"sqlite:///{tmp_path / 'store.db'}", sync=None)
    line = assert_one_clean_line(run_pmosync("daemon", "-c", path), 2)
    assert line.startswith(str(path)) and "nothing to schedule" in line


def test_a_health_port_in_use_is_one_line(tmp_path):
    path = write_config(tmp_path, f"sqlite:///{tmp_path / 'store.db'}")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_pmosync("daemon", "-c", path, "--health-port", str(port))
    line = assert_one_clean_line(result, 1)
    assert f"127.0.0.1:{port}" in line and "in use" in line


# --- one active daemon per store ----------------------------------------------------------


def two_daemons_take_turns(url: str, tmp_path: Path, daemons) -> None:
    """Two daemons on one store: one schedules, one waits; killing the active one hands over."""
    path = write_config(tmp_path, url)
    first = daemons(path, "--lease-seconds", "3", "--health-port", "0")
    first.wait_for(r"active: holding the lease")
    second = daemons(path, "--lease-seconds", "3", "--health-port", "0", "--log-format", "json")
    standby = second.wait_for(r"standby: lease held by (\S+) until")
    assert standby.group(1) == first.holder
    for line in second.lines:  # --log-format json: one object per line
        assert isinstance(json.loads(line)["message"], str)
    assert (first.healthz()["role"], second.healthz()["role"]) == ("active", "standby")
    assert second.healthz()["lease"]["holder"] == first.holder

    wait_until(lambda: len(ticks(url)) >= 4, what="four ticks")
    assert {holder for _, holder in ticks(url)} == {first.holder}

    first.kill()  # SIGKILL: no release; the lease must run out
    second.wait_for(r"active: holding the lease .*taken over from " + re.escape(first.holder))
    assert second.healthz()["role"] == "active"
    before = len(ticks(url))
    wait_until(lambda: len(ticks(url)) >= before + 2, what="ticks after the take-over")
    assert second.stop() == 0

    assert_every_tick_once(url, {first.holder: first, second.holder: second},
                           finished={second.holder})  # fmt: skip
    holders_in_order = [holder for _, holder in ticks(url)]
    assert holders_in_order == sorted(holders_in_order, key=[first.holder, second.holder].index)
    assert read(url, select(runs).where(runs.c.status == "running")) == []
    assert read(url, select(daemon_lease)) == []  # the survivor released it on SIGTERM


@pytest.mark.postgres
def test_two_daemons_on_postgresql_run_each_tick_once_and_hand_over(
    postgres_url, tmp_path, daemons
):
    two_daemons_take_turns(postgres_url, tmp_path, daemons)


def test_two_daemons_on_one_sqlite_file_run_each_tick_once_and_hand_over(tmp_path, daemons):
    two_daemons_take_turns(f"sqlite:///{tmp_path / 'store.db'}", tmp_path, daemons)


# --- stopping and reloading ----------------------------------------------------------------


def test_sigterm_during_a_run_ends_it_interrupted_and_releases_the_lease(tmp_path, daemons):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    path = write_config(tmp_path, url)
    header = "Email,Date,Hours,Project\n"
    for number in range(1500):  # one page per file: a first sync long enough to interrupt
        (tmp_path / "sheets" / f"more{number:04}.csv").write_text(header + ROWS[0] + "\n")
    daemon = daemons(path, "--lease-seconds", "3")
    daemon.wait_for(r"sync: running tick")
    wait_until(
        lambda: read(url, select(run_streams.c.quarantined).where(run_streams.c.quarantined > 0)),
        what="a first committed page",
    )
    assert daemon.stop() == 0
    (run,) = read(url, select(runs))
    assert run.status == "interrupted" and "shutdown requested" in run.error
    (stream,) = read(url, select(run_streams))
    assert stream.status == "interrupted" and 0 < stream.quarantined < 1503
    assert read(url, select(daemon_lease)) == []
    assert "lease released" in "\n".join(daemon.lines)


def test_sighup_keeps_the_running_config_when_the_new_one_is_invalid(tmp_path, daemons):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    path = write_config(tmp_path, url)
    daemon = daemons(path, "--lease-seconds", "3")
    daemon.wait_for(r"sync run \S+ succeeded")

    path.write_text(path.read_text().replace(EVERY_2S, "0 7 * * MOON") + "smtp: {}\n")
    mark = len(daemon.lines)
    daemon.process.send_signal(signal.SIGHUP)
    failed = daemon.wait_for(r"config reload failed, keeping the previous config: (.*)", start=mark)
    assert "sync.schedule" in failed.group(1) and "MOON" in failed.group(1)
    daemon.wait_for(r"smtp", start=mark)  # the second problem, on a line of its own
    daemon.wait_for(r"sync: running tick", start=len(daemon.lines))  # the old schedule goes on

    write_config(
        tmp_path, url, sync=None,
        extra=f"reports:\n  weekly: {{kind: portfolio_status, schedule: '{EVERY_2S}'}}\n",
    )  # fmt: skip
    mark = len(daemon.lines)
    daemon.process.send_signal(signal.SIGHUP)
    daemon.wait_for(r"config reloaded", start=mark)
    daemon.wait_for(r"report weekly run \S+ succeeded", start=mark)
    assert daemon.stop() == 0
    reloaded_at = next(i for i, line in enumerate(daemon.lines) if "config reloaded" in line)
    later = daemon.lines[reloaded_at + 1 :]
    assert not any("sync: running tick" in line for line in later)
    reports = read(url, select(runs).where(runs.c.kind == "report"))
    assert reports and {(r.job, r.status) for r in reports} == {("weekly", "succeeded")}


# --- health and metrics ---------------------------------------------------------------------


def metrics(daemon: Daemon) -> dict[tuple[str, tuple], float]:
    status, text = daemon.get("/metrics")
    assert status == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_healthz_and_metrics_report_what_the_runs_did(tmp_path, daemons):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    path = write_config(tmp_path, url)
    daemon = daemons(path, "--lease-seconds", "3", "--health-port", "0")
    daemon.wait_for(r"sync run \S+ succeeded")
    health = daemon.healthz()
    assert health["http_status"] == 200
    assert (health["status"], health["role"]) == ("ok", "active")
    assert health["lease"]["holder"] == daemon.holder == health["holder"]
    assert health["last_runs"]["sync"]["status"] in ("running", "succeeded")
    assert health["last_runs"]["report"] is None

    (tmp_path / "sheets" / "week2.csv").write_text(
        "Email,Date,Hours,Project\ncy@contoso.example,2026-01-12,4,Website\n"
    )
    labels = (("connector", "sheets"), ("stream", "rows"))
    quarantined = ("pmosync_records_total", (("change", "quarantined"), *labels))
    figures = wait_until(
        lambda: (m := metrics(daemon))[quarantined] == len(ROWS) + 1 and m,
        what="the new file's row counted",
    )
    assert figures[("pmosync_quarantined_open", ())] == len(ROWS) + 1
    assert figures[("pmosync_daemon_active", ())] == 1
    statuses = Counter(r.status for r in read(url, select(runs)))
    succeeded = ("pmosync_runs_total", (("kind", "sync"), ("status", "succeeded")))
    assert abs(figures[succeeded] - statuses["succeeded"]) <= 1  # a run may end in between
    assert figures[("pmosync_errors_total", (("connector", "sheets"),))] == 0
    last = figures[("pmosync_last_success_timestamp_seconds", (("connector", "sheets"),))]
    assert abs(last - time.time()) < 120
    for change in ("inserted", "updated", "deleted"):
        key = ("pmosync_records_total", (("change", change), *labels))
        assert figures[key] == 0

    engine = create_engine(url)  # the lease table goes: the daemon cannot renew, nor read it
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE daemon_lease")
    engine.dispose()
    daemon.wait_for(r"standby: cannot renew the lease: store .*daemon_lease")
    health = wait_until(lambda: (h := daemon.healthz())["http_status"] == 503 and h, what="503")
    assert (health["status"], health["role"]) == ("error", "standby")
    assert "daemon_lease" in health["error"]
    assert metrics(daemon)[("pmosync_daemon_active", ())] == 0
    assert daemon.stop() == 0


def test_a_refused_workbook_is_a_warning_in_the_daemons_log(tmp_path, daemons):
    """The daemon's log is all an operator of an unattended daemon reads: a file refused by a
    limit is named there, as ``pmosync sync`` names it on its terminal."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    path = write_config(tmp_path, url)
    path.write_text(path.read_text().replace("    columns:", "    max_rows: 2\n    columns:"))
    daemon = daemons(path, "--lease-seconds", "3")
    daemon.wait_for(r"sync run \S+ \w+")
    line = daemon.wait_for(r"sheets: warning: .*week1\.csv.*").group(0)
    assert "max_rows" in line or "2 rows" in line, line
    assert daemon.stop() == 0
