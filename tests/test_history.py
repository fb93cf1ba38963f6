"""Field history: the one write path keeps each version of what reports read, and a back-dated
report is that day's state, not today's under an old date.

Every write here sets the writer's clock (``writer.now``, when the store learns of a change), so
each test knows on which day each version became valid; the expected figures are worked from
the edits the test makes, in the comments.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from cli import assert_one_clean_line, run_pmosync
from sqlalchemy import select

from pmosync.canonical import Budget, Project, Task
from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.config import load_config
from pmosync.config.reports import Filters
from pmosync.reports.asof import HistoryNotCovering
from pmosync.reports.dataset import load_dataset
from pmosync.reports.job import run_report
from pmosync.store import Store
from pmosync.store.schema import record_history, runs

TOOL = "tool-a"
T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)  # the organisation is first synced
T1 = datetime(2026, 11, 10, 18, tzinfo=UTC)
T2 = datetime(2026, 11, 25, 18, tzinfo=UTC)
T3 = datetime(2026, 11, 27, 18, tzinfo=UTC)
WEB = Project.ref(TOOL, "web")


def _project(rag: str = "green") -> Project:
    return Project(source=TOOL, source_id="web", name="Website", rag=rag)


def _task(key: str, *, done_on: date | None = None, **extra) -> Task:
    """A 10 h task planned 2026-11-02 .. 2026-12-18, open unless ``done_on``."""
    return Task(
        source=TOOL,
        source_id=key,
        project_id=WEB,
        name=f"Task {key}",
        status="done" if done_on else "not_started",
        start_date=date(2026, 11, 2),
        due_date=date(2026, 12, 18),
        completed_at=datetime(done_on.year, done_on.month, done_on.day, 16, tzinfo=UTC)
        if done_on
        else None,
        estimate_hours=10,
        **extra,
    )


def _budget(amount: str) -> Budget:
    return Budget(
        source=TOOL, source_id="web/budget", project_id=WEB, amount=Decimal(amount), currency="EUR"
    )


def _history(store: Store) -> list:
    query = select(record_history).order_by(record_history.c.id)
    with store.engine.connect() as connection:
        return connection.execute(query).all()


def _write(store: Store, at: datetime, records=(), deleted: tuple[str, ...] = ()):
    with store.writer() as writer:
        writer.now = at
        counts = writer.upsert(records)
        if deleted:
            writer.soft_delete(Task, TOOL, deleted)
    return counts


# -- the write path ---------------------------------------------------------------------------


def test_a_version_is_appended_on_change_only(store):
    first = _write(store, T0, [_project(), _task("t1", tags=["a"]), _budget("1000.50")])
    assert first.inserted == 3
    rows = _history(store)
    assert [(r.entity, r.valid_from, r.deleted) for r in rows] == [
        ("project", T0, False),
        ("task", T0, False),
        ("budget", T0, False),
    ]
    task = rows[1].fields
    # JSON shapes: dates ISO, the flag a bool, the estimate a number, the budget a string.
    assert task["start_date"] == "2026-11-02" and task["due_date"] == "2026-12-18"
    assert task["is_milestone"] is False and task["estimate_hours"] == 10
    assert task["status"] == "not_started" and task["completed_at"] is None
    assert rows[2].fields["amount"] == "1000.50" and rows[2].fields["currency"] == "EUR"
    assert rows[0].fields["rag"] == "green"

    # The same records again: nothing written, no version.
    again = _write(store, T1, [_project(), _task("t1", tags=["a"]), _budget("1000.50")])
    assert (again.unchanged, again.updated) == (3, 0)
    # A change to a field reports do not read (a tag): the row is rewritten, no version.
    retagged = _write(store, T1, [_task("t1", tags=["b"])])
    assert retagged.updated == 1
    assert len(_history(store)) == 3
    # Done: one version, valid from the writer's clock.
    _write(store, T2, [_task("t1", done_on=date(2026, 11, 25), tags=["b"])])
    rows = _history(store)
    assert len(rows) == 4
    assert (rows[3].record_id, rows[3].valid_from) == (Task.ref(TOOL, "t1"), T2)
    assert rows[3].fields["status"] == "done"
    assert rows[3].fields["completed_at"] == "2026-11-25T16:00:00+00:00"


def test_deletions_and_revivals_are_versions(store):
    _write(store, T0, [_task("t1"), _task("t2"), _task("t3")])
    _write(store, T1, deleted=("t1",))
    with store.writer() as writer:  # a complete listing without t2
        writer.now = T2
        assert writer.soft_delete_missing(Task, TOOL, ["t1", "t3"], within={"project_id": WEB})
    _write(store, T3, [_task("t1")])  # t1 comes back
    _write(store, T3, deleted=("t1", "t2"))  # t2 already gone: no second tombstone
    versions = [
        (r.record_id, r.valid_from, r.deleted) for r in _history(store) if r.valid_from > T0
    ]
    t1, t2 = Task.ref(TOOL, "t1"), Task.ref(TOOL, "t2")
    assert versions == [(t1, T1, True), (t2, T2, True), (t1, T3, False), (t1, T3, True)]
    deleted_rows = [r for r in _history(store) if r.deleted]
    assert all(r.fields is None for r in deleted_rows)


def test_a_record_first_written_as_a_tombstone_is_a_deletion(store):
    _write(store, T0, [_task("t1", deleted_at=T0)])
    [row] = _history(store)
    assert (row.record_id, row.deleted) == (Task.ref(TOOL, "t1"), True)


def test_a_writer_of_a_run_names_it(store):
    run_id = store.ledger.start_run()
    stream = store.ledger.start_stream(run_id, TOOL, "tasks")
    with store.writer(stream) as writer:
        writer.upsert([_task("t1")])
    assert [r.run_id for r in _history(store)] == [run_id]


# -- back-dated datasets and reports ----------------------------------------------------------


def _organisation(store: Store) -> None:
    """Website, first synced 2026-11-02 with five open 10 h tasks t1..t4, t6 and a EUR 1,000
    budget, reported green. Then:
    2026-11-10  t1 done; t6 deleted
    2026-11-25  t2 done; t3 deleted; the project turns red; the budget becomes EUR 1,500
    2026-11-27  t5 added (10 h, open); t6 comes back
    """
    _write(store, T0, [_project(), *(_task(k) for k in ("t1", "t2", "t3", "t4", "t6"))])
    _write(store, T0, [_budget("1000")])
    _write(store, T1, [_task("t1", done_on=date(2026, 11, 10))], deleted=("t6",))
    _write(store, T2, [_task("t2", done_on=date(2026, 11, 25)), _project("red"), _budget("1500")])
    _write(store, T2, deleted=("t3",))
    _write(store, T3, [_task("t5"), _task("t6")])


def test_a_back_dated_dataset_is_that_days_state(store):
    _organisation(store)
    past = load_dataset(store, Filters(), date(2026, 11, 20))
    # 2026-11-20: t1 done; t2 open; t3 open (deleted only on 11-25); t4 open; t5 not yet there;
    # t6 deleted on 11-10 (that it came back on 11-27 does not matter then).
    assert past.reconstructed
    assert {t.id: t.status for t in past.tasks} == {
        Task.ref(TOOL, "t1"): "done",
        Task.ref(TOOL, "t2"): "not_started",
        Task.ref(TOOL, "t3"): "not_started",
        Task.ref(TOOL, "t4"): "not_started",
    }
    done = next(t for t in past.tasks if t.status == "done")
    assert done.completed_at == datetime(2026, 11, 10, 16, tzinfo=UTC)
    assert done.due_date == date(2026, 12, 18) and done.estimate_hours == 10
    assert [(p.name, p.rag) for p in past.projects] == [("Website", "green")]
    assert [(b.amount, b.currency) for b in past.budgets] == [(Decimal("1000"), "EUR")]
    # The day a version became valid counts (its end is after 18:00 UTC).
    on_the_day = load_dataset(store, Filters(), date(2026, 11, 10))
    assert sum(t.status == "done" for t in on_the_day.tasks) == 1
    assert len(on_the_day.tasks) == 4  # t6 deleted that day

    now = load_dataset(store, Filters(), datetime.now(UTC).date())
    assert not now.reconstructed
    assert {t.id for t in now.tasks} == {Task.ref(TOOL, k) for k in ("t1", "t2", "t4", "t5", "t6")}
    assert [p.rag for p in now.projects] == ["red"]


def test_a_day_before_history_begins_is_refused(store):
    _organisation(store)
    with pytest.raises(HistoryNotCovering, match="begins on 2026-11-02"):
        load_dataset(store, Filters(), date(2026, 11, 1))
    assert load_dataset(store, Filters(), date(2026, 11, 2)).reconstructed


def _config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        f"store: {url}\n"
        "output_dir: out\n"
        "reports:\n"
        "  weekly:\n"
        "    kind: portfolio_status\n"
        "    formats: [json]\n",
        encoding="utf-8",
    )
    return path


def _report(config: Path, *as_of: str) -> dict:
    result = run_pmosync("report", "weekly", "-c", config, "--no-deliver", *as_of)
    assert result.returncode == 0, result.stderr
    kept = [line.split("kept ", 1)[1] for line in result.stdout.splitlines() if "kept " in line]
    return json.loads(Path(kept[0]).read_text("utf-8"))


def _website(document: dict) -> dict:
    section = next(s for s in document["sections"] if s["key"] == "projects")
    [row] = section["rows"]
    return row


def test_a_back_dated_report_shows_the_tasks_and_figures_of_its_day(tmp_path, store_url):
    with Store.open(store_url) as store:
        _organisation(store)
    config = _config(tmp_path, store_url)

    past = _report(config, "--as-of", "2026-11-20")
    website = _website(past)
    # 2026-11-20: of t1..t4 (10 h each), t1 done: 1 of 4 tasks = 25 %, 10 of 40 h = 25 %;
    # reported green; budget EUR 1,000.
    assert website["pct_complete_count"] == pytest.approx(25.0)
    assert website["pct_complete_effort"] == pytest.approx(25.0)
    assert website["reported_rag"] == "green"
    assert website["budget"] == pytest.approx(1000.0)
    figures = {f["key"]: f["value"] for f in past["figures"]}
    assert figures["as_of_basis"] == "as of 2026-11-20, reconstructed from history"

    today = _report(config)
    website = _website(today)
    # Today: t1, t2 done of t1, t2, t4, t5, t6: 2 of 5 = 40 %, 20 of 50 h = 40 %; red; 1,500.
    assert website["pct_complete_count"] == pytest.approx(40.0)
    assert website["pct_complete_effort"] == pytest.approx(40.0)
    assert website["reported_rag"] == "red"
    assert website["budget"] == pytest.approx(1500.0)
    assert "as_of_basis" not in {f["key"] for f in today["figures"]}


def test_the_command_refuses_a_day_before_history_in_one_line(tmp_path, sqlite_url):
    with Store.open(sqlite_url) as store:
        _organisation(store)
    config = _config(tmp_path, sqlite_url)
    result = run_pmosync("report", "weekly", "-c", config, "--as-of", "2026-11-01")
    line = assert_one_clean_line(result, 1)
    assert line == (
        "cannot report as of 2026-11-01: the store's history of projects, tasks and budgets "
        "begins on 2026-11-02; choose that day or a later one"
    )
    assert not (tmp_path / "out").exists()


def test_a_scheduled_run_of_a_day_before_history_is_a_failed_run_not_a_crash(tmp_path, sqlite_url):
    """The daemon and ``pmosync run`` call ``run_report``: a report fixed (``as_of:``) on a day
    before the history is recorded failed with the reason, and nothing is kept."""
    with Store.open(sqlite_url) as store:
        _organisation(store)
    path = _config(tmp_path, sqlite_url)
    path.write_text(path.read_text("utf-8") + "    as_of: 2026-11-01\n", encoding="utf-8")
    config = load_config(path)
    with Store.open(sqlite_url) as store:
        outcome = run_report(config, store, "weekly", deliver=False)
        assert outcome.status == "failed"
        assert "begins on 2026-11-02" in outcome.error
        with store.engine.connect() as connection:
            row = connection.execute(select(runs).where(runs.c.id == outcome.run_id)).one()
        assert (row.status, row.error) == ("failed", outcome.error)
    assert not (tmp_path / "out").exists()


# -- a crash keeps data and history together --------------------------------------------------

CHILD = textwrap.dedent(
    """
    import sys, time
    from pmosync.canonical.types import Task
    from pmosync.store import Store

    def page(status):
        return [Task(source="asana-eng", source_id=str(n), project_id="p", name=f"t{n}",
                     status=status) for n in range(20)]

    store = Store.open(sys.argv[1])
    run_id = store.ledger.start_run()
    stream = store.ledger.start_stream(run_id, "asana-eng", "tasks")
    with store.writer(stream) as writer:
        writer.upsert(page("in_progress"))
    with store.writer(stream) as writer:
        writer.upsert(page("done")[:10])
        writer.soft_delete(Task, "asana-eng", [str(n) for n in range(15, 20)])
        print("PAGE-2-WRITTEN-NOT-COMMITTED", flush=True)
        time.sleep(60)
    """
)


def _latest_versions_match_rows(store: Store) -> int:
    """Each task's latest version says what its row says (status, tombstone); returns the
    number of versions."""
    tasks = ENTITY_TABLES[Task]
    with store.engine.connect() as connection:
        rows = {r.id: r for r in connection.execute(select(tasks))}
        history = connection.execute(select(record_history).order_by(record_history.c.id)).all()
    latest = {version.record_id: version for version in history}
    assert latest.keys() == rows.keys()
    for record_id, row in rows.items():
        version = latest[record_id]
        assert version.deleted == (row.deleted_at is not None)
        if not version.deleted:
            assert version.fields["status"] == row.status
    return len(history)


def test_sigkill_mid_page_keeps_history_with_the_committed_rows(store_url):
    Store.open(store_url).close()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, store_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "PAGE-2-WRITTEN-NOT-COMMITTED"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    with Store.open(store_url) as store:
        # Page 1 only: 20 tasks in progress, 20 versions; page 2's 10 done and 5 tombstones
        # are in neither the rows nor the history.
        assert _latest_versions_match_rows(store) == 20
        with store.writer() as writer:  # the rerun writes page 2
            writer.upsert(
                [
                    Task(source="asana-eng", source_id=str(n), project_id="p", name=f"t{n}",
                         status="done")
                    for n in range(10)
                ]
            )  # fmt: skip
            writer.soft_delete(Task, "asana-eng", [str(n) for n in range(15, 20)])
        assert _latest_versions_match_rows(store) == 20 + 10 + 5
