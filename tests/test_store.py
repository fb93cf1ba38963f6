"""The store's write path, on SQLite and PostgreSQL alike.

Expected values come from the records the tests build by hand, never from the store itself.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from pmosync.canonical import Budget, Phase, Project, Task, TimeEntry
from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.store import Store
from pmosync.store.schema import checkpoints, quarantine, run_streams, runs

SOURCE = "asana-eng"
PROJECT = Project.ref(SOURCE, "1200")


def task(n: int, **changes) -> Task:
    fields = dict(
        source=SOURCE,
        source_id=f"t{n}",
        project_id=PROJECT,
        phase_id=Phase.ref(SOURCE, "s1"),
        name=f"Task {n}",
        due_date=date(2026, 3, 1) + timedelta(days=n),
        tags=["pmo", f"n{n}"],
        estimate_hours=2.5,
        updated_at=datetime(2026, 2, 1, 9, 30, tzinfo=timezone(timedelta(hours=2))),
    )
    fields.update(changes)
    return Task(**fields)


def rows(store: Store, model) -> dict[str, dict]:
    table = ENTITY_TABLES[model]
    with store.engine.connect() as connection:
        return {r.source_id: dict(r._mapping) for r in connection.execute(select(table))}


def test_upsert_inserts_then_leaves_identical_records_alone(store):
    batch = [task(n) for n in range(5)]
    first = store.upsert(batch)
    assert (first.inserted, first.updated, first.unchanged) == (5, 0, 0)
    synced = {k: r["synced_at"] for k, r in rows(store, Task).items()}

    again = store.upsert([task(n) for n in range(5)])
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5)
    stored = rows(store, Task)
    assert len(stored) == 5
    assert {k: r["synced_at"] for k, r in stored.items()} == synced  # not rewritten


def test_values_round_trip_exactly(store):
    store.upsert(
        [
            task(1, percent_complete=42.5, priority="high", is_milestone=True),
            Budget(
                source=SOURCE,
                source_id="b1",
                project_id=PROJECT,
                amount=Decimal("125000.50"),
                currency="EUR",
            ),
        ]
    )
    stored = rows(store, Task)["t1"]
    assert stored["id"] == Task.ref(SOURCE, "t1")
    assert stored["name"] == "Task 1"
    assert stored["due_date"] == date(2026, 3, 2)
    assert stored["tags"] == ["pmo", "n1"]
    assert stored["percent_complete"] == 42.5
    assert stored["priority"] == "high"
    assert stored["is_milestone"] is True
    # 09:30 at UTC+2 is 07:30 UTC, and it comes back zone-aware from both backends
    assert stored["updated_at"] == datetime(2026, 2, 1, 7, 30, tzinfo=UTC)
    assert stored["updated_at"].tzinfo is not None
    assert Decimal(rows(store, Budget)["b1"]["amount"]) == Decimal("125000.50")


def test_a_changed_record_is_rewritten_and_only_it(store):
    store.upsert([task(n) for n in range(3)])
    before = rows(store, Task)
    counts = store.upsert([task(0), task(1, name="Renamed", tags=["pmo"]), task(2)])
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 1, 2)
    after = rows(store, Task)
    assert after["t1"]["name"] == "Renamed" and after["t1"]["tags"] == ["pmo"]
    assert after["t1"]["synced_at"] > before["t1"]["synced_at"]
    assert after["t0"]["synced_at"] == before["t0"]["synced_at"]


def test_the_last_record_for_a_key_in_one_batch_wins(store):
    counts = store.upsert([task(1, name="first"), task(1, name="second")])
    assert counts.inserted == 1
    assert rows(store, Task)["t1"]["name"] == "second"


def test_the_same_source_id_in_two_sources_is_two_records(store):
    store.upsert([task(1), task(1, source="planner-ops", project_id=PROJECT)])
    with store.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(ENTITY_TABLES[Task])) == 2


def test_soft_delete_keeps_a_tombstone_and_a_return_revives_it(store):
    store.upsert([task(n) for n in range(3)])
    when = datetime(2026, 5, 1, 12, tzinfo=UTC)
    with store.writer() as writer:
        assert writer.soft_delete(Task, SOURCE, ["t1", "t2", "missing"], at=when) == 2
    with store.writer() as writer:
        assert writer.soft_delete(Task, SOURCE, ["t1"]) == 0  # already a tombstone
    stored = rows(store, Task)
    assert len(stored) == 3
    assert stored["t1"]["deleted_at"] == when and stored["t0"]["deleted_at"] is None

    counts = store.upsert([task(1)])  # identical content, but it had been deleted
    assert counts.updated == 1
    assert rows(store, Task)["t1"]["deleted_at"] is None


def test_soft_delete_missing_only_touches_its_scope(store):
    other = Project.ref(SOURCE, "1300")
    store.upsert([task(n) for n in range(4)] + [task(9, project_id=other)])
    with store.writer() as writer:
        gone = writer.soft_delete_missing(
            Task, SOURCE, ["t0", "t2"], within={"project_id": PROJECT}
        )
    assert gone == ["t1", "t3"]
    stored = rows(store, Task)
    assert {k for k, r in stored.items() if r["deleted_at"] is not None} == {"t1", "t3"}


def test_a_failed_page_writes_nothing_not_even_its_checkpoint(store):
    with store.writer() as writer:
        writer.upsert([task(0)])
        writer.save_checkpoint({"offset": "page-1"}, connector=SOURCE, stream="tasks")

    class Boom(Exception):
        pass

    with pytest.raises(Boom), store.writer() as writer:
        writer.upsert([task(1), task(0, name="changed")])
        writer.save_checkpoint({"offset": "page-2"}, connector=SOURCE, stream="tasks")
        writer.quarantine({"gid": None}, "no gid", source=SOURCE, stream="tasks")
        raise Boom

    assert set(rows(store, Task)) == {"t0"}
    assert rows(store, Task)["t0"]["name"] == "Task 0"
    assert store.checkpoint(SOURCE, "tasks") == {"offset": "page-1"}
    with store.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(quarantine)) == 0


def test_checkpoints_are_per_connector_and_stream(store):
    assert store.checkpoint(SOURCE, "tasks") is None
    with store.writer() as writer:
        writer.save_checkpoint(
            {"modified_since": "2026-01-01T00:00:00Z"}, connector=SOURCE, stream="tasks"
        )
        writer.save_checkpoint({"sync": "abc"}, connector=SOURCE, stream="events")
    with store.writer() as writer:
        writer.save_checkpoint(
            {"modified_since": "2026-02-01T00:00:00Z"}, connector=SOURCE, stream="tasks"
        )
    assert store.checkpoint(SOURCE, "tasks") == {"modified_since": "2026-02-01T00:00:00Z"}
    assert store.checkpoint(SOURCE, "events") == {"sync": "abc"}
    with store.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(checkpoints)) == 2


def test_quarantine_keeps_one_row_per_bad_record_with_a_count(store):
    bad = {"gid": "77", "name": "<script>", "custom_fields": [{"type": "mystery"}]}
    with store.writer() as writer:
        writer.quarantine(
            bad,
            "unknown custom field type 'mystery'",
            record_key="77",
            source=SOURCE,
            stream="tasks",
        )
    with store.writer() as writer:
        writer.quarantine(bad, "still unknown", record_key="77", source=SOURCE, stream="tasks")
        writer.quarantine(b"\xff\xfebroken row", "not a record", source=SOURCE, stream="tasks")
    with store.engine.connect() as connection:
        found = {r.record_key: r for r in connection.execute(select(quarantine))}
    assert len(found) == 2
    assert found["77"].occurrences == 2 and found["77"].reason == "still unknown"
    assert found["77"].last_seen >= found["77"].first_seen
    assert '"custom_fields": [{"type": "mystery"}]' in found["77"].payload
    keyless = next(k for k in found if k != "77")
    assert keyless.startswith("sha256:") and "broken row" in found[keyless].payload


def test_a_writer_bound_to_a_stream_advances_its_ledger_row(store):
    run_id = store.ledger.start_run()
    stream = store.ledger.start_stream(run_id, SOURCE, "tasks")
    with store.writer(stream) as writer:
        writer.upsert([task(0), task(1)])
        writer.count_requests(1)
        writer.save_checkpoint({"offset": "a"})
    with store.writer(stream) as writer:
        writer.upsert([task(1, name="new"), task(2)])
        writer.soft_delete(Task, SOURCE, ["t0"])
        writer.quarantine({"gid": "x"}, "bad", record_key="x")
        writer.count_requests(2)
    store.ledger.finish_stream(stream, "succeeded")
    store.ledger.finish_run(run_id, "succeeded")

    [row] = store.ledger.latest_streams()
    assert (row["inserted"], row["updated"], row["deleted"], row["quarantined"]) == (3, 1, 1, 1)
    assert row["requests"] == 3 and row["status"] == "succeeded" and row["ended_at"]
    assert store.checkpoint(SOURCE, "tasks") == {"offset": "a"}
    [run] = store.ledger.recent_runs()
    assert run["id"] == run_id and run["status"] == "succeeded"


def test_latest_streams_shows_the_newest_run_of_each_stream(store):
    for status in ("failed", "succeeded"):
        run_id = store.ledger.start_run()
        for stream_name in ("tasks", "users"):
            stream = store.ledger.start_stream(run_id, SOURCE, stream_name)
            store.ledger.finish_stream(stream, status, "boom" if status == "failed" else None)
    latest = store.ledger.latest_streams()
    assert [(r["stream"], r["status"], r["error"]) for r in latest] == [
        ("tasks", "succeeded", None),
        ("users", "succeeded", None),
    ]


def test_a_run_whose_process_died_is_marked_interrupted(store):
    run_id = store.ledger.start_run()
    store.ledger.start_stream(run_id, SOURCE, "tasks")
    with store.engine.begin() as connection:  # as if a process that no longer exists started it
        connection.execute(runs.update().where(runs.c.id == run_id).values(pid=2**22 + 7))
    live = store.ledger.start_run()  # this process: alive, must be left running
    assert store.ledger.mark_interrupted() == 1
    statuses = {r["id"]: r["status"] for r in store.ledger.recent_runs()}
    assert statuses == {run_id: "interrupted", live: "running"}
    with store.engine.connect() as connection:
        assert connection.scalar(select(run_streams.c.status)) == "interrupted"


def test_time_entries_keep_dates_and_minutes(store):
    entry = TimeEntry(
        source="ops-timesheets",
        source_id="week-47.xlsx:Sheet1:12",
        identity_id="i",
        project_id=PROJECT,
        entry_date=date(2026, 11, 20),
        minutes=450,
        billable=True,
        approval="approved",
    )
    store.upsert([entry])
    stored = rows(store, TimeEntry)["week-47.xlsx:Sheet1:12"]
    assert (stored["entry_date"], stored["minutes"], stored["approval"]) == (
        date(2026, 11, 20),
        450,
        "approved",
    )


def test_sqlite_store_runs_in_wal_mode(sqlite_url):
    with Store.open(sqlite_url) as store, store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_concurrent_writers_wait_for_each_other_instead_of_failing(store):
    """Each page reads (stored hashes) before it writes; on SQLite a deferred transaction
    would fail with 'database is locked' when another writer commits in between."""
    import threading

    errors: list[BaseException] = []

    def sync(worker: int) -> None:
        try:
            run_id = store.ledger.start_run()
            stream = store.ledger.start_stream(run_id, SOURCE, f"tasks-{worker}")
            for page in range(10):
                with store.writer(stream) as writer:
                    first = worker * 1000 + page * 10
                    writer.upsert([task(n) for n in range(first, first + 10)])
                    writer.upsert([task(n) for n in range(0, 5)])  # contended rows
                    writer.save_checkpoint({"page": page})
            store.ledger.finish_stream(stream, "succeeded")
            store.ledger.mark_interrupted()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=sync, args=(worker,)) for worker in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(rows(store, Task)) == 4 * 100 + 5
    assert all(store.checkpoint(SOURCE, f"tasks-{w}") == {"page": 9} for w in range(1, 5))
