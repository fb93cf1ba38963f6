"""A connector with a schedule of its own is a sync job of its own in the daemon.

A real ``pmosync daemon`` process over two ``files`` connectors: ``quick`` (one CSV file, at
``sync.schedule``, every 2 s) and ``bulky`` (many one-row files, its own schedule, every 3 s),
so bulky's first sync lasts seconds while quick's take a fraction of one. Two reports every
2 s: one reads quick only (``filters.sources``), the other reads both. What the test reads back
is the store: the ticks each job claimed, the run ledger (``runs.connector`` and which
connectors each run's streams touched), and the report runs' times against the syncs'.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import select
from test_daemon import Daemon, read, wait_until

from pmosync.config import load_config
from pmosync.orchestration.daemon.scheduler import job_specs
from pmosync.orchestration.daemon.service import no_schedules
from pmosync.store.schema import daemon_ticks, run_streams, runs

pytestmark = pytest.mark.slow  # a long suite: `make test-slow` (CI runs it)

EVERY_2S = "*/2 * * * * *"
EVERY_3S = "*/3 * * * * *"
BULKY_FILES = 1500
HEADER = "Email,Date,Hours,Project\n"
ROW = "ann@contoso.example,2026-01-05,3,Website\n"


def _config(tmp_path: Path, store: str) -> Path:
    quick, bulky = tmp_path / "quick", tmp_path / "bulky"
    quick.mkdir()
    bulky.mkdir()
    (quick / "week1.csv").write_text(HEADER + ROW)
    for number in range(BULKY_FILES):  # one page per file: a first sync of several seconds
        (bulky / f"sheet{number:04}.csv").write_text(HEADER + ROW)
    columns = "    columns: {person: Email, date: Date, hours: Hours, project: Project}\n"
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        f"store: '{store}'\n"
        "output_dir: kept\n"
        "connectors:\n"
        "  quick:\n"
        "    type: files\n"
        f"    path: {quick}\n"
        f"{columns}"
        "  bulky:\n"
        "    type: files\n"
        f"    path: {bulky}\n"
        f"{columns}"
        f"    schedule: '{EVERY_3S}'\n"
        f"sync:\n  schedule: '{EVERY_2S}'\n"
        "reports:\n"
        "  quick-only:\n"
        "    kind: portfolio_status\n"
        f"    schedule: '{EVERY_2S}'\n"
        "    formats: [json]\n"
        "    filters: {sources: [quick]}\n"
        "  everything:\n"
        "    kind: portfolio_status\n"
        f"    schedule: '{EVERY_2S}'\n"
        "    formats: [json]\n",
        encoding="utf-8",
    )
    return path


def _overlap(a, b) -> bool:
    """Whether two finished runs were under way at the same time."""
    return a.started_at < b.ended_at and b.started_at < a.ended_at


def test_a_connector_with_its_own_schedule_syncs_on_its_own_ticks(tmp_path):
    own_ticks_own_runs(f"sqlite:///{tmp_path / 'store.db'}", tmp_path)


@pytest.mark.postgres
def test_a_connector_with_its_own_schedule_syncs_on_its_own_ticks_on_postgresql(
    postgres_url, tmp_path
):
    own_ticks_own_runs(postgres_url, tmp_path)


def own_ticks_own_runs(store: str, tmp_path: Path) -> None:
    """Bulky's first sync runs for seconds; quick and the report on quick go on meanwhile."""
    daemon = Daemon(_config(tmp_path, store), "--lease-seconds", "600")

    def syncs_of(connector: str) -> list:
        query = select(runs).where(runs.c.kind == "sync", runs.c.connector == connector)
        return read(store, query)

    def reports_succeeded(name: str) -> list:
        query = select(runs).where(runs.c.job == name, runs.c.status == "succeeded")
        return read(store, query)

    try:
        jobs = daemon.wait_for(r"jobs: (.*); times in").group(1)
        assert f"sync '{EVERY_2S}'" in jobs and f"sync bulky '{EVERY_3S}'" in jobs, jobs
        wait_until(
            lambda: len([r for r in syncs_of("bulky") if r.status == "succeeded"]) >= 3,
            60,
            "three syncs of bulky",
        )
        wait_until(lambda: reports_succeeded("everything"), 30, "a report over both connectors")
    finally:
        assert daemon.stop() == 0
    assert not any("Traceback" in line for line in daemon.lines), daemon.lines

    # Each sync job claims its own ticks: the shared one every 2 s, bulky's every 3 s.
    claimed: dict[str, list] = defaultdict(list)
    for row in read(store, select(daemon_ticks).where(daemon_ticks.c.kind == "sync")):
        claimed[row.job].append(row.scheduled_at)
    assert set(claimed) == {"sync", "bulky"}
    assert all(at.second % 2 == 0 for at in claimed["sync"]), claimed["sync"]
    assert all(at.second % 3 == 0 for at in claimed["bulky"]), claimed["bulky"]

    # Each run syncs one connector and says which; a tick of each job made one run.
    sync_runs = read(store, select(runs).where(runs.c.kind == "sync"))
    streams = defaultdict(set)
    for row in read(store, select(run_streams.c.run_id, run_streams.c.connector)):
        streams[row.run_id].add(row.connector)
    assert {r.connector for r in sync_runs} == {"quick", "bulky"}
    assert {r.status for r in sync_runs} <= {"succeeded", "interrupted"}  # by the shutdown
    for run in sync_runs:
        assert streams[run.id] <= {run.connector}, (run.connector, streams[run.id])
    quick, bulky = syncs_of("quick"), syncs_of("bulky")
    assert len(quick) == len(claimed["sync"]) and len(bulky) == len(claimed["bulky"])
    first_bulky = min(bulky, key=lambda r: r.started_at)
    assert first_bulky.status == "succeeded" and streams[first_bulky.id] == {"bulky"}

    # Never two runs of one connector at once; but quick syncs on while bulky's long first
    # sync runs: the two jobs are independent.
    for own in (quick, bulky):
        ordered = sorted(own, key=lambda r: r.started_at)
        assert all(a.ended_at <= b.started_at for a, b in zip(ordered, ordered[1:], strict=False))
    assert any(
        first_bulky.started_at < r.started_at and r.ended_at < first_bulky.ended_at for r in quick
    ), "no sync of quick while bulky's first sync ran"

    # The report that reads quick only ran while bulky synced; no report ran during a sync of
    # a connector it reads.
    quick_only, everything = reports_succeeded("quick-only"), reports_succeeded("everything")
    assert any(
        first_bulky.started_at < r.started_at and r.ended_at < first_bulky.ended_at
        for r in quick_only
    ), "the report on quick waited for bulky's sync"
    for report in quick_only:
        assert not any(_overlap(report, run) for run in quick), report
    for report in everything:
        assert not any(_overlap(report, run) for run in quick + bulky), report
    assert all(r.started_at > first_bulky.ended_at for r in everything)


def _jobs(tmp_path: Path, connectors: dict[str, str | None], sync: str | None) -> list:
    path = tmp_path / "pmosync.yaml"
    text = "connectors:\n"
    for name, schedule in connectors.items():
        text += f"  {name}:\n    type: files\n    path: {tmp_path}\n"
        text += "    columns: {person: Email, date: Date, hours: Hours, project: Project}\n"
        text += f"    schedule: '{schedule}'\n" if schedule else ""
    path.write_text(text + (f"sync:\n  schedule: '{sync}'\n" if sync else ""), encoding="utf-8")
    config = load_config(path)
    specs = job_specs(config)
    return [(s.label, s.name, s.schedule, s.connectors) for s in specs], no_schedules(config)


def test_the_jobs_a_config_schedules(tmp_path):
    hourly, nightly = "0 * * * *", "0 2 * * *"
    assert _jobs(tmp_path, {"a": None, "b": nightly, "c": None}, hourly) == (
        [("sync", "sync", hourly, ("a", "c")), ("sync b", "b", nightly, ("b",))], None)  # fmt: skip
    # Every connector on its own: sync.schedule has nothing left to sync.
    assert _jobs(tmp_path, {"a": nightly, "b": hourly}, hourly) == (
        [("sync a", "a", nightly, ("a",)), ("sync b", "b", hourly, ("b",))], None)  # fmt: skip
    # A connector's own schedule is enough for the daemon to start.
    assert _jobs(tmp_path, {"a": None, "b": nightly}, None) == (
        [("sync b", "b", nightly, ("b",))], None)  # fmt: skip
    specs, refused = _jobs(tmp_path, {"a": None}, None)
    assert specs == [] and refused is not None and "nothing to schedule" in refused
