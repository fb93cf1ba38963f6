"""Observing the store from the command line: ``status``, ``runs``, ``quarantine list|show|
retry`` and ``export``, run as the real ``pmosync`` command against real stores.

Ledger rows, quarantine entries and records are written here through the store's own API (or
by a real ``pmosync sync`` of local timesheets), so every expected figure comes from what the
test wrote, worked out by hand.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from cli import assert_one_clean_line, run_pmosync
from sqlalchemy import select

from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.canonical.types import (
    ENTITIES,
    Budget,
    PersonIdentity,
    Project,
    Task,
    TimeEntry,
)
from pmosync.connectors.base import Page
from pmosync.mapping.asana import AsanaMapper
from pmosync.store import Store
from pmosync.store.schema import quarantine
from pmosync.sync.engine import write_page

pytestmark = pytest.mark.slow  # a long suite: `make test-slow` (CI runs it)

# --- ledger: status and runs ------------------------------------------------------------------


def _run(store: Store, kind: str, streams: dict[tuple[str, str], dict], status: str, error=None):
    """A finished run whose streams wrote what ``streams`` says (tasks upserted, requests)."""
    run_id = store.ledger.start_run(kind)
    for (connector, stream), spec in streams.items():
        stream_run = store.ledger.start_stream(run_id, connector, stream)
        with store.writer(stream_run) as writer:
            writer.upsert(spec.get("tasks", []))
            if spec.get("delete"):
                writer.soft_delete(Task, connector, spec["delete"])
            for key in spec.get("bad", []):
                writer.quarantine({"gid": key}, "record has no name")
            writer.count_requests(spec.get("requests", 0))
        store.ledger.finish_stream(stream_run, spec.get("status", "succeeded"), spec.get("error"))
    store.ledger.finish_run(run_id, status, error)
    return run_id


def _task(source: str, gid: str, name: str = "t", **extra) -> Task:
    return Task(source=source, source_id=gid, project_id="p", name=name, **extra)


@pytest.fixture
def history(store_url):
    """Three runs: a sync of two connectors, a later one that failed, a skipped report."""
    with Store.open(store_url) as store:
        first = _run(
            store,
            "sync",
            {
                ("asana-eng", "tasks"): {
                    "tasks": [_task("asana-eng", str(n)) for n in range(5)],
                    "bad": ["77"],
                    "requests": 3,
                },
                ("planner-ops", "tasks"): {
                    "tasks": [_task("planner-ops", "a"), _task("planner-ops", "b")],
                    "requests": 2,
                },
            },
            "succeeded",
        )
        second = _run(
            store,
            "sync",
            {
                ("asana-eng", "tasks"): {
                    "tasks": [_task("asana-eng", "0", "renamed"), _task("asana-eng", "9")],
                    "delete": ["1"],
                    "requests": 4,
                    "status": "failed",
                    "error": "HTTP 403 on project 1200: Forbidden",
                },
            },
            "failed",
            "asana-eng: a stream failed\nsecond line of detail",
        )
        report = _run(store, "report", {}, "skipped", "report jobs are delivered later")
    return store_url, first, second, report


def test_runs_lists_the_history_newest_first_with_totals_over_streams(history):
    store_url, first, second, report = history
    result = run_pmosync("runs", "--store", store_url, "--format", "json")
    assert result.returncode == 0, result.stderr
    runs = json.loads(result.stdout)
    assert [r["id"] for r in runs] == [report, second, first]
    by_id = {r["id"]: r for r in runs}
    counters = ("inserted", "updated", "deleted", "quarantined", "requests", "streams")
    assert {k: by_id[first][k] for k in counters} == {
        "inserted": 7, "updated": 0, "deleted": 0, "quarantined": 1, "requests": 5, "streams": 2,
    }  # fmt: skip
    assert {k: by_id[second][k] for k in counters} == {
        "inserted": 1, "updated": 1, "deleted": 1, "quarantined": 0, "requests": 4, "streams": 1,
    }  # fmt: skip
    assert by_id[report]["kind"] == "report" and by_id[report]["streams"] == 0
    assert by_id[report]["inserted"] == 0 and by_id[report]["status"] == "skipped"
    assert by_id[second]["error"] == "asana-eng: a stream failed\nsecond line of detail"
    started = datetime.fromisoformat(by_id[first]["started_at"])
    assert started.tzinfo is not None and by_id[first]["duration_s"] >= 0

    table = run_pmosync("runs", "--store", store_url)
    assert table.returncode == 0, table.stderr
    rows = [line for line in table.stdout.splitlines() if line.startswith("│")]
    cells = [[c.strip() for c in row.split("│")[1:-1]] for row in rows]
    assert [c[0] for c in cells] == [report[:8], second[:8], first[:8]]
    assert cells[1][1] == "sync" and cells[1][4:] == [
        "failed", "+1 ~1 -1", "0", "4", "asana-eng: a stream failed",
    ]  # fmt: skip
    assert cells[2][4:8] == ["succeeded", "+7 ~0 -0", "1", "5"]
    assert "second line of detail" not in table.stdout

    only_sync = json.loads(
        run_pmosync("runs", "--store", store_url, "--kind", "sync", "--format", "json").stdout
    )
    assert [r["id"] for r in only_sync] == [second, first]
    limited = json.loads(
        run_pmosync("runs", "--store", store_url, "--limit", "1", "--format", "json").stdout
    )
    assert [r["id"] for r in limited] == [report]


def test_status_json_gives_each_streams_last_run(history):
    store_url, first, second, _ = history
    result = run_pmosync("status", "--store", store_url, "--format", "json")
    assert result.returncode == 0, result.stderr
    latest = {(r["connector"], r["stream"]): r for r in json.loads(result.stdout)}
    assert set(latest) == {("asana-eng", "tasks"), ("planner-ops", "tasks")}
    asana = latest[("asana-eng", "tasks")]
    assert asana["run_id"] == second and asana["status"] == "failed"
    assert (asana["inserted"], asana["updated"], asana["deleted"], asana["requests"]) == (
        1, 1, 1, 4,
    )  # fmt: skip
    assert asana["error"] == "HTTP 403 on project 1200: Forbidden"
    assert asana["duration_s"] >= 0 and asana["ended_at"] is not None
    planner = latest[("planner-ops", "tasks")]
    assert planner["run_id"] == first and planner["inserted"] == 2 and planner["quarantined"] == 0
    table = run_pmosync("status", "--store", store_url)
    row = next(line for line in table.stdout.splitlines() if "planner-ops" in line)
    cells = [c.strip() for c in row.split("│")[1:-1]]
    assert cells[3].endswith("s") and cells[4:] == ["succeeded", "+2 ~0 -0", "0", "2"]


def test_an_empty_store_has_no_runs_no_quarantine_and_exports_nothing(sqlite_url):
    Store.open(sqlite_url).close()
    runs = run_pmosync("runs", "--store", sqlite_url)
    assert runs.returncode == 0 and "no runs yet" in runs.stdout
    assert json.loads(run_pmosync("runs", "--store", sqlite_url, "--format", "json").stdout) == []
    assert json.loads(run_pmosync("status", "--store", sqlite_url, "--format", "json").stdout) == []
    listed = run_pmosync("quarantine", "list", "--store", sqlite_url)
    assert listed.returncode == 0 and "no open quarantine entries" in listed.stdout
    jsonl = run_pmosync("export", "task", "--store", sqlite_url)
    assert jsonl.returncode == 0 and jsonl.stdout == ""
    as_csv = run_pmosync("export", "task", "--store", sqlite_url, "--format", "csv")
    assert as_csv.returncode == 0
    assert list(csv.reader(io.StringIO(as_csv.stdout)))[0][:3] == ["id", "source", "source_id"]
    assert len(as_csv.stdout.splitlines()) == 1


@pytest.mark.parametrize(
    "command",
    [("runs",), ("quarantine", "list"), ("quarantine", "show", "1"), ("export", "task")],
)
def test_read_commands_never_create_a_store(tmp_path, command):
    result = run_pmosync(*command, "--store", f"sqlite:///{tmp_path}/nothing.db")
    assert "no such database file yet" in assert_one_clean_line(result, 1)
    assert not (tmp_path / "nothing.db").exists()


# --- quarantine list and show -----------------------------------------------------------------


def _quarantine(store: Store, source: str, stream: str, payload, reason: str, key: str) -> int:
    with store.writer() as writer:
        writer.quarantine(payload, reason, record_key=key, source=source, stream=stream)
    with store.engine.connect() as connection:
        return connection.scalar(
            select(quarantine.c.id).where(
                quarantine.c.source == source, quarantine.c.record_key == key
            )
        )


def test_quarantine_list_and_show(store_url):
    with Store.open(store_url) as store:
        task = {"gid": "1500", "name": "Draft sitemap", "custom_fields": [{"gid": "9"}]}
        first = _quarantine(store, "asana-eng", "tasks", task, "custom field '9' has no type",
                            "1500")  # fmt: skip
        _quarantine(store, "asana-eng", "tasks", task, "custom field '9' has no type", "1500")
        html = b"<html>\xff 502 Bad Gateway</html>"
        broken = _quarantine(store, "planner-ops", "tasks", html, "not JSON", "sha256:abc")
        gone = _quarantine(store, "planner-ops", "tasks", {"id": "x"}, "old problem", "x")
        with store.engine.begin() as connection:
            connection.execute(
                quarantine.update()
                .where(quarantine.c.id == gone)
                .values(resolved_at=datetime(2026, 1, 2, tzinfo=UTC))
            )

    listed = run_pmosync("quarantine", "list", "--store", store_url, "--format", "json")
    assert listed.returncode == 0, listed.stderr
    entries = json.loads(listed.stdout)
    assert [e["id"] for e in entries] == [first, broken]
    assert entries[0]["occurrences"] == 2 and "payload" not in entries[0]
    assert entries[0]["reason"] == "custom field '9' has no type"
    assert entries[0]["first_seen"] <= entries[0]["last_seen"]
    every = run_pmosync("quarantine", "list", "--all", "--store", store_url, "--format", "json")
    assert [e["id"] for e in json.loads(every.stdout)] == [first, broken, gone]
    planner = run_pmosync(
        "quarantine", "list", "--source", "planner-ops", "--store", store_url, "--format", "json"
    )
    assert [e["id"] for e in json.loads(planner.stdout)] == [broken]
    table = run_pmosync("quarantine", "list", "--store", store_url)
    row = next(line for line in table.stdout.splitlines() if "asana-eng" in line)
    cells = [c.strip() for c in row.split("│")[1:-1]]
    assert cells[:4] == [str(first), "asana-eng", "tasks", "1500"] and cells[-1] == "2"

    shown = run_pmosync("quarantine", "show", str(first), "--store", store_url)
    assert shown.returncode == 0, shown.stderr
    assert "reason:      custom field '9' has no type" in shown.stdout
    assert "occurrences: 2" in shown.stdout and "state:       open" in shown.stdout
    printed = shown.stdout.split("payload:\n", 1)[1]
    assert json.loads(printed) == task and '\n  "custom_fields": [' in printed

    raw = run_pmosync("quarantine", "show", str(broken), "--store", store_url)
    assert raw.returncode == 0, raw.stderr
    assert "payload (not JSON, as stored):\n<html>\ufffd 502 Bad Gateway</html>" in raw.stdout
    as_json = json.loads(
        run_pmosync(
            "quarantine", "show", str(broken), "--store", store_url, "--format", "json"
        ).stdout
    )
    assert as_json["payload"] == "<html>\ufffd 502 Bad Gateway</html>"

    missing = run_pmosync("quarantine", "show", "99999", "--store", store_url)
    assert "no quarantine entry 99999" in assert_one_clean_line(missing, 1)


# --- quarantine retry -------------------------------------------------------------------------

TIMESHEETS = "ops-timesheets"
ANN, ZED = "ann.lee@contoso.example", "zed@contoso.example"
TIMESHEET_CSV = (
    "Email,Date,Hours,Project\r\n"
    f"{ANN},2026-11-02,7.5,Website\r\n"  # row 2: fine
    f"{ZED},2026-11-03,4,Website\r\n"  # row 3: an email nobody synced
)


def _write_config(folder: Path, extra: str = "") -> Path:
    path = folder / "pmosync.yaml"
    path.write_text(
        "store: sqlite:///pmosync.db\n"
        "connectors:\n"
        f"  {TIMESHEETS}:\n"
        "    type: files\n"
        "    path: Timesheets\n"
        "    columns: {person: Email, date: Date, hours: Hours, project: Project}\n" + extra,
        encoding="utf-8",
    )
    return path


def _open_entries(store_url: str) -> dict[str, dict]:
    with Store.open(store_url, schema="require") as store, store.engine.connect() as connection:
        query = select(quarantine).where(quarantine.c.resolved_at.is_(None))
        return {row.record_key: dict(row._mapping) for row in connection.execute(query)}


def _live(store_url: str, model) -> dict[str, dict]:
    table = ENTITY_TABLES[model]
    with Store.open(store_url, schema="require") as store, store.engine.connect() as connection:
        query = select(table).where(table.c.deleted_at.is_(None))
        return {row.source_id: dict(row._mapping) for row in connection.execute(query)}


def test_retry_maps_a_timesheet_row_once_an_alias_names_its_person(tmp_path):
    (tmp_path / "Timesheets").mkdir()
    (tmp_path / "Timesheets" / "W45.csv").write_text(TIMESHEET_CSV, encoding="utf-8")
    config = _write_config(tmp_path)
    store_url = f"sqlite:///{tmp_path / 'pmosync.db'}"
    with Store.open(store_url) as store:  # what an Asana sync would have put there
        store.upsert(
            [
                Project(source="asana-eng", source_id="1300", name="Website"),
                PersonIdentity(source="asana-eng", source_id="42", name="Ann Lee", email=ANN),
            ]
        )
    synced = run_pmosync("sync", "-c", config)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    [entry] = _open_entries(store_url).values()
    assert entry["record_key"] == "W45.csv#!3"
    assert entry["reason"] == (
        f"W45.csv, row 3: person {ZED} matches nobody synced (add an alias under people.aliases?)"
    )
    assert set(_live(store_url, TimeEntry)) == {"W45.csv#!2"}

    still = run_pmosync("quarantine", "retry", "-c", config)
    assert still.returncode == 1, still.stdout + still.stderr
    assert f"#{entry['id']} {TIMESHEETS}/rows W45.csv#!3: still failing: W45.csv, row 3" in (
        still.stdout
    )
    assert "1 still failing" in still.stdout
    unchanged = _open_entries(store_url)["W45.csv#!3"]
    assert unchanged["occurrences"] == 1 and unchanged["last_seen"] == entry["last_seen"]

    config = _write_config(tmp_path, f"people:\n  aliases:\n    {ANN}: [{ZED}]\n")
    fixed = run_pmosync("quarantine", "retry", "-c", config)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert f"#{entry['id']} {TIMESHEETS}/rows W45.csv#!3: fixed" in fixed.stdout
    assert "retried 1 entries: 1 fixed" in fixed.stdout
    assert _open_entries(store_url) == {}
    entries = _live(store_url, TimeEntry)
    assert set(entries) == {"W45.csv#!2", "W45.csv#!3"}
    zed = entries["W45.csv#!3"]
    assert zed["identity_id"] == PersonIdentity.ref(TIMESHEETS, ZED)
    assert zed["project_id"] == Project.ref("asana-eng", "1300")
    assert (zed["entry_date"], zed["minutes"]) == (date(2026, 11, 3), 240)
    assert _live(store_url, PersonIdentity)[ZED]["email"] == ZED

    status = json.loads(run_pmosync("status", "-c", config, "--format", "json").stdout)
    retry = next(s for s in status if s["stream"] == "quarantine-retry")
    assert retry["connector"] == TIMESHEETS and retry["status"] == "succeeded"
    assert (retry["inserted"], retry["quarantined"]) == (2, 0)  # the entry and its identity
    runs = json.loads(run_pmosync("runs", "-c", config, "--format", "json").stdout)
    assert runs[0]["kind"] == "sync" and runs[0]["status"] == "succeeded"

    again = run_pmosync("quarantine", "retry", "-c", config)
    assert again.returncode == 0 and "nothing to retry" in again.stdout


def _asana_config(folder: Path, fields: str) -> Path:
    path = folder / "pmosync.yaml"
    path.write_text(
        "store: sqlite:///pmosync.db\n"
        "connectors:\n"
        "  asana-eng:\n"
        "    type: asana\n"
        "    token: ${ASANA_TOKEN}\n"
        '    workspace: "1100"\n'
        f"    fields: {fields}\n",
        encoding="utf-8",
    )
    return path


def _asana_task(gid: str, modified: str = "2026-01-20T12:30:00.000Z") -> dict:
    """A task as the Asana connector hands it over: an enum "Effort" and a number "Estimate"."""
    return {
        "gid": gid,
        "name": f"Task {gid}",
        "resource_subtype": "default_task",
        "completed": False,
        "created_at": "2026-01-06T08:00:00.000Z",
        "modified_at": modified,
        "assignee": None,
        "memberships": [{"project": {"gid": "1300"}, "section": {"gid": "1400"}}],
        "tags": [],
        "custom_fields": [
            {
                "gid": "601",
                "name": "Effort",
                "type": "enum",
                "resource_subtype": "enum",
                "enum_value": {"gid": "6011", "name": "Large"},
            },
            {
                "gid": "602",
                "name": "Estimate",
                "type": "number",
                "resource_subtype": "number",
                "number_value": 12,
            },
        ],  # fmt: skip
        "_project": "1300",
    }


def test_retry_maps_an_asana_task_once_the_config_names_the_right_field(tmp_path):
    """A sync quarantines tasks whose estimate field is configured as a select field; after
    the fix a retry stores the one nothing newer replaced, and resolves both."""
    config = _asana_config(tmp_path, "{estimate_hours: Effort}")
    store_url = f"sqlite:///{tmp_path / 'pmosync.db'}"
    wrong = AsanaMapper("asana-eng", fields={"estimate_hours": "Effort"})
    with Store.open(store_url) as store:
        run_id = store.ledger.start_run("sync")  # a sync's page, as the engine writes it
        stream_run = store.ledger.start_stream(run_id, "asana-eng", "tasks")
        with store.writer(stream_run) as writer:
            page = Page("tasks", [_asana_task("1500"), _asana_task("1501")])
            write_page(writer, "asana-eng", wrong, page)
        store.ledger.finish_stream(stream_run, "succeeded")
        store.ledger.finish_run(run_id, "succeeded")
        # 1501 changed upstream and a later sync (with a config that skips the field) stored it
        newer = _task("asana-eng", "1501", "Renamed upstream",
                      updated_at=datetime(2026, 2, 1, tzinfo=UTC))  # fmt: skip
        store.upsert([newer])
        with store.writer() as writer:  # an entry of a connector no longer in the config
            writer.quarantine({"gid": "9"}, "old", record_key="9", source="asana-old",
                              stream="tasks")  # fmt: skip
    entries = _open_entries(store_url)
    assert set(entries) == {"1500", "1501", "9"}
    assert entries["1500"]["reason"] == (
        "estimate_hours field 'Effort' is a enum field; it must be a number field"
    )
    env = {"ASANA_TOKEN": "not-used-by-a-retry"}

    still = run_pmosync("quarantine", "retry", str(entries["1500"]["id"]), "-c", config, env=env)
    assert still.returncode == 1 and "still failing: estimate_hours field 'Effort'" in still.stdout
    config = _asana_config(tmp_path, "{priority: Estimate}")  # a different mistake
    other = run_pmosync("quarantine", "retry", str(entries["1500"]["id"]), "-c", config, env=env)
    new_reason = (
        "priority field 'Estimate' is a number field; it must be a single-select (enum) or text "
        "field"
    )
    assert other.returncode == 1 and f"still failing: {new_reason}" in other.stdout
    kept = _open_entries(store_url)["1500"]
    assert kept["reason"] == new_reason and kept["occurrences"] == 1
    assert kept["last_seen"] == entries["1500"]["last_seen"]

    config = _asana_config(tmp_path, "{estimate_hours: Estimate}")
    fixed = run_pmosync("quarantine", "retry", "-c", config, env=env)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    lines = fixed.stdout.splitlines()
    assert lines[0] == f"#{entries['1500']['id']} asana-eng/tasks 1500: fixed"
    assert lines[1] == (
        f"#{entries['1501']['id']} asana-eng/tasks 1501: resolved: the store already holds a "
        "newer version of this record"
    )
    assert lines[2] == (
        f"#{entries['9']['id']} asana-old/tasks 9: skipped: source asana-old is no longer "
        "configured"
    )
    assert lines[3].startswith(
        "retried 3 entries: 1 fixed, 1 already newer, 0 still failing, 1 skipped (run "
    )
    tasks = _live(store_url, Task)
    assert tasks["1500"]["estimate_hours"] == 12.0 and tasks["1500"]["name"] == "Task 1500"
    assert tasks["1501"]["name"] == "Renamed upstream"  # not overwritten by the old payload
    assert set(_open_entries(store_url)) == {"9"}


def test_retry_of_a_payload_that_is_not_json_keeps_it_open(tmp_path):
    config = _asana_config(tmp_path, "{}")
    store_url = f"sqlite:///{tmp_path / 'pmosync.db'}"
    with Store.open(store_url) as store:
        entry = _quarantine(store, "asana-eng", "tasks", b"<html>502</html>", "bad page", "k1")
    result = run_pmosync("quarantine", "retry", str(entry), "424242", "-c", config,
                         env={"ASANA_TOKEN": "x"})  # fmt: skip
    assert result.returncode == 1
    assert (
        f"#{entry} asana-eng/tasks k1: still failing: the payload is not JSON, so it cannot "
        "be re-mapped"
    ) in result.stdout
    assert "#424242: no such quarantine entry" in result.stdout
    [kept] = _open_entries(store_url).values()
    assert kept["reason"] == "bad page" and kept["occurrences"] == 1


# --- export -----------------------------------------------------------------------------------


def test_the_cli_names_every_canonical_entity():
    from pmosync.cli.data import ENTITY_NAMES

    assert tuple(ENTITIES) == ENTITY_NAMES


FORMULAS = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]


@pytest.fixture
def exported(store_url):
    with Store.open(store_url) as store:
        store.upsert(
            [
                _task(
                    "asana-eng",
                    "1",
                    name,
                    tags=["a", "=b"],
                    due_date=date(2026, 3, 1),
                    percent_complete=12.5,
                    updated_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                )
                for name in ["plain"]
            ]  # fmt: skip
            + [_task("asana-eng", str(n + 2), name) for n, name in enumerate(FORMULAS)]
            + [_task("planner-ops", "p1", "Planner task")]
            + [
                Budget(
                    source="asana-eng",
                    source_id="b1",
                    project_id="p",
                    amount=Decimal("-1250.50"),
                    measure="money",
                    currency="EUR",
                )
            ]  # fmt: skip
        )
        with store.writer() as writer:
            writer.soft_delete(Task, "planner-ops", ["p1"])
    return store_url


def test_export_jsonl_types_every_value(exported):
    result = run_pmosync("export", "task", "--store", exported, "--source", "asana-eng")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["source_id"] for r in records] == ["1", "2", "3", "4", "5", "6", "7"]
    first = records[0]
    assert first["id"] == Task.ref("asana-eng", "1")
    assert first["tags"] == ["a", "=b"] and first["due_date"] == "2026-03-01"
    assert first["percent_complete"] == 12.5 and first["is_milestone"] is False
    assert first["updated_at"] == "2026-01-02T03:04:05+00:00" and first["phase_id"] is None
    assert "row_hash" not in first and datetime.fromisoformat(first["synced_at"]).tzinfo
    assert [r["name"] for r in records[1:]] == FORMULAS  # JSON is data: nothing escaped
    budget = json.loads(run_pmosync("export", "budget", "--store", exported).stdout)
    assert budget["amount"] == "-1250.5" and budget["currency"] == "EUR"

    live = run_pmosync("export", "task", "--store", exported)
    assert "p1" not in {json.loads(line)["source_id"] for line in live.stdout.splitlines()}
    every = run_pmosync("export", "task", "--store", exported, "--include-deleted")
    deleted = [json.loads(line) for line in every.stdout.splitlines()][-1]
    assert deleted["source_id"] == "p1" and deleted["deleted_at"] is not None


def test_export_csv_escapes_formulas_and_writes_a_file(exported, tmp_path):
    out = tmp_path / "tasks.csv"
    result = run_pmosync("export", "task", "--store", exported, "--format", "csv", "--output", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and "exported 7 task records" in result.stderr
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["source_id"] for r in rows] == ["1", "2", "3", "4", "5", "6", "7"]
    assert "row_hash" not in rows[0] and rows[0]["synced_at"]
    assert rows[0]["tags"] == '["a","=b"]' and rows[0]["is_milestone"] == "false"
    assert rows[0]["due_date"] == "2026-03-01" and rows[0]["phase_id"] == ""
    assert [r["name"] for r in rows[1:]] == ["'" + name for name in FORMULAS]
    assert not list(tmp_path.glob(".tasks.csv*"))

    budget = run_pmosync("export", "budget", "--store", exported, "--format", "csv")
    [row] = csv.DictReader(io.StringIO(budget.stdout))
    assert row["amount"] == "-1250.5"  # a number, not text: left as it is


def test_an_unknown_entity_is_a_usage_error_with_a_suggestion(sqlite_url):
    Store.open(sqlite_url).close()
    result = run_pmosync("export", "taks", "--store", sqlite_url)
    line = assert_one_clean_line(result, 2)
    assert line.startswith("unknown entity 'taks'; did you mean 'task'? (entities: portfolio,")
    assert "time_entry" in line and result.stdout == ""
