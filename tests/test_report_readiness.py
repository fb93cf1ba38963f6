"""A report runs only on data whose syncs have finished: the rule, read off a real ledger.

The ledger rows are made with the ledger's own calls (a sync run started, its streams started
and finished), as a sync makes them; what each case expects is worked out here from those
rows: which connector completed when, and whether a sync is running.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

from cli import run_pmosync
from sqlalchemy import select, update

from pmosync.config import load_config
from pmosync.orchestration.jobs import due_reports
from pmosync.reports.document import ReportDocument
from pmosync.reports.job import run_report
from pmosync.reports.readiness import DATA_AGE_FIGURE, check_readiness, with_data_age
from pmosync.reports.snapshots import load_snapshot
from pmosync.store import Store
from pmosync.store.schema import report_snapshots, runs

COLUMNS = "{person: E, date: D, hours: H, project: P}"


def _config(tmp_path: Path, url: str, *, sources: str = "") -> Path:
    """Two files connectors (never synced here: the ledger rows say what happened) and one
    report reading all of them, or only ``sources``."""
    path = tmp_path / "pmosync.yaml"
    filters = f"    filters: {{sources: [{sources}]}}\n" if sources else ""
    path.write_text(
        f"store: {url}\n"
        "output_dir: out\n"
        "connectors:\n"
        f"  sheets: {{type: files, path: sheets, columns: {COLUMNS}}}\n"
        f"  costs: {{type: files, path: costs, columns: {COLUMNS}}}\n"
        "reports:\n"
        "  weekly:\n"
        "    kind: portfolio_status\n"
        "    schedule: '0 7 * * MON'\n"
        "    formats: [json]\n" + filters,
        encoding="utf-8",
    )
    return path


def _sync(store: Store, outcomes: dict[str, list[str]], status: str = "succeeded") -> str:
    """A sync run whose streams ended with ``outcomes`` (connector -> stream statuses)."""
    run_id = store.ledger.start_run("sync")
    for connector, statuses in outcomes.items():
        for number, outcome in enumerate(statuses):
            stream = store.ledger.start_stream(run_id, connector, f"stream{number}")
            store.ledger.finish_stream(stream, outcome)
    store.ledger.finish_run(run_id, status)
    return run_id


def _started(store: Store, run_id: str) -> datetime:
    with store.engine.connect() as connection:
        at = connection.execute(select(runs.c.started_at).where(runs.c.id == run_id)).scalar()
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def test_a_report_waits_for_every_connector_it_reads_to_complete_a_sync(tmp_path, store_url):
    config = load_config(_config(tmp_path, store_url))
    with Store.open(store_url) as store:
        first = check_readiness(config, store, "weekly")
        assert first.synced_at == {"sheets": None, "costs": None}
        assert "no sync of sheets, costs has completed" in (first.waiting or "")

        # sheets completed (a stream skipped for good counts); costs failed a stream, then a
        # run of costs was interrupted with every stream it reached done: neither completes.
        done = _sync(store, {"sheets": ["succeeded", "skipped"], "costs": ["succeeded", "failed"]},
                     "failed")  # fmt: skip
        _sync(store, {"costs": ["succeeded"]}, "interrupted")
        second = check_readiness(config, store, "weekly")
        assert second.synced_at == {"sheets": _started(store, done), "costs": None}
        assert second.waiting is not None and "no sync of costs has completed" in second.waiting

        # A report reading only sheets may run now.
        only_sheets = load_config(_config(tmp_path, store_url, sources="sheets"))
        assert check_readiness(only_sheets, store, "weekly").waiting is None

        later = _sync(store, {"costs": ["succeeded", "succeeded"]})
        third = check_readiness(config, store, "weekly")
        assert third.waiting is None
        assert third.synced_at == {"sheets": _started(store, done), "costs": _started(store, later)}


def test_a_running_sync_holds_reports_back_until_it_ends(tmp_path, store_url):
    config = load_config(_config(tmp_path, store_url))
    with Store.open(store_url) as store:
        _sync(store, {"sheets": ["succeeded"], "costs": ["succeeded"]})
        running = store.ledger.start_run("sync")  # this process's sync, half-way
        store.ledger.start_stream(running, "sheets", "stream0")
        readiness = check_readiness(config, store, "weekly")
        assert readiness.sync_running and "a sync is running" in (readiness.waiting or "")
        outcome = run_report(config, store, "weekly", date(2026, 11, 23))
        assert outcome.status == "skipped" and outcome.error == f"waiting: {readiness.waiting}"
        forced = run_report(config, store, "weekly", date(2026, 11, 23), allow_stale=True)
        assert forced.status == "succeeded"
        [figure] = [f for f in load_snapshot(store, forced.run_id).figures
                    if f.key == DATA_AGE_FIGURE]  # fmt: skip
        assert (figure.value, figure.rag) == (
            "read during a sync: some records may be older than others", "amber")  # fmt: skip
        store.ledger.finish_run(running, "succeeded")
        assert check_readiness(config, store, "weekly").waiting is None


def test_a_sync_whose_process_died_holds_nothing_back(tmp_path, store_url):
    """A sync left ``running`` by a process that is gone is closed, not waited for."""
    config = load_config(_config(tmp_path, store_url))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    with Store.open(store_url) as store:
        _sync(store, {"sheets": ["succeeded"], "costs": ["succeeded"]})
        ghost = store.ledger.start_run("sync")
        with store.engine.begin() as connection:
            connection.execute(update(runs).where(runs.c.id == ghost).values(pid=int(gone.stdout)))
        assert check_readiness(config, store, "weekly").waiting is None
        with store.engine.connect() as connection:
            status = connection.execute(select(runs.c.status).where(runs.c.id == ghost)).scalar()
        assert status == "interrupted"


def test_a_skipped_run_records_why_keeps_nothing_and_stays_due(tmp_path, store_url):
    config = load_config(_config(tmp_path, store_url))
    with Store.open(store_url) as store:
        outcome = run_report(config, store, "weekly", date(2026, 11, 23))
        assert outcome.status == "skipped"
        assert outcome.files == () and outcome.deliveries == ()
        with store.engine.connect() as connection:
            row = connection.execute(select(runs).where(runs.c.id == outcome.run_id)).one()
            snapshots = connection.execute(select(report_snapshots)).all()
        assert (row.status, row.kind, row.job) == ("skipped", "report", "weekly")
        assert row.error == outcome.error and "no sync of sheets, costs" in row.error
        assert snapshots == []
        assert not (tmp_path / "out").exists()
        assert due_reports(config, store, datetime.now(UTC)) == ["weekly"]


def test_the_command_refuses_in_one_line_and_runs_with_allow_stale(tmp_path, sqlite_url):
    path = _config(tmp_path, sqlite_url)
    refused = run_pmosync("report", "weekly", "-c", path, "--as-of", "2026-11-23")
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        "report weekly not run: waiting: no sync of sheets, costs has completed yet; the store "
        "holds part of its data at most: run it when the sync has finished (pmosync sync), "
        "or pass --allow-stale"
    ]
    forced = run_pmosync("report", "weekly", "-c", path, "--as-of", "2026-11-23", "--allow-stale")
    assert forced.returncode == 0, forced.stderr
    kept = tmp_path / "out" / "weekly-2026-11-23" / "weekly-2026-11-23.json"
    figures = {f["key"]: f for f in json.loads(kept.read_text("utf-8"))["figures"]}
    assert figures[DATA_AGE_FIGURE]["value"] == "incomplete: no sync of sheets has completed"
    assert figures[DATA_AGE_FIGURE]["rag"] == "red"


def test_old_data_is_said_in_the_document_fresh_data_is_not(tmp_path, sqlite_url):
    config = load_config(_config(tmp_path, sqlite_url))
    with Store.open(sqlite_url) as store:
        # sheets' newest complete sync started 2026-11-20 06:00 UTC, costs' 2026-11-23 06:00.
        for connector, started in (
            ("sheets", datetime(2026, 11, 20, 6, tzinfo=UTC)),
            ("costs", datetime(2026, 11, 23, 6, tzinfo=UTC)),
        ):
            run_id = _sync(store, {connector: ["succeeded"]})
            with store.engine.begin() as connection:
                connection.execute(
                    update(runs).where(runs.c.id == run_id).values(started_at=started)
                )
        readiness = check_readiness(config, store, "weekly")
    assert readiness.waiting is None
    assert readiness.oldest() == ("sheets", datetime(2026, 11, 20, 6, tzinfo=UTC))
    document = ReportDocument("weekly", "portfolio_status", "Weekly", "2026-11-23", "now")
    # 2026-11-20 06:00 to 2026-11-23 08:30: 74 h 30 min, said in whole days and hours.
    stale = with_data_age(document, readiness, datetime(2026, 11, 23, 8, 30, tzinfo=UTC))
    [figure] = stale.figures
    assert (figure.key, figure.rag, figure.type) == (DATA_AGE_FIGURE, "amber", "text")
    assert figure.value == "3 days 2 h ago (sheets, 2026-11-20 06:00 UTC)"
    assert replace(stale, figures=()) == document
    # Less than 24 h after the oldest complete sync began: the document is left as it was.
    assert with_data_age(document, readiness, datetime(2026, 11, 21, 5, 59, tzinfo=UTC)) == document


def test_pmosync_run_skips_a_report_until_its_first_sync_completes_then_runs_it(tmp_path):
    """``pmosync run`` from cron: the sheets' folder is missing, so the sync fails and the due
    report is skipped (and stays due); once the folder is there, the next call runs it."""
    sheets = tmp_path / "sheets"
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        f"store: sqlite:///{tmp_path / 'store.db'}\n"
        "output_dir: out\n"
        f"connectors:\n  sheets: {{type: files, path: {sheets}, columns: {COLUMNS}}}\n"
        "reports:\n"
        "  weekly: {kind: portfolio_status, schedule: '0 7 * * MON', formats: [json]}\n",
        encoding="utf-8",
    )
    first = run_pmosync("run", "-c", path)
    assert first.returncode == 1  # the sync failed
    assert (
        "report weekly: skipped (waiting: no sync of sheets has completed yet; the store holds "
        "part of its data at most)"
    ) in first.stdout.splitlines()
    assert not (tmp_path / "out").exists()

    sheets.mkdir()
    (sheets / "week1.csv").write_text("E,D,H,P\n", encoding="utf-8")
    second = run_pmosync("run", "-c", path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "report weekly: succeeded" in second.stdout.splitlines()
    third = run_pmosync("run", "-c", path)  # ran since its latest tick: no longer due
    assert not [line for line in third.stdout.splitlines() if line.startswith("report weekly:")]
