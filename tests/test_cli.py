"""The command line as users and schedulers meet it: exit codes, one-line errors, start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cli import assert_one_clean_line, run_pmosync

from pmosync.canonical import Task
from pmosync.store import Store

HEAVY = ("asana", "msgraph", "azure", "matplotlib", "sqlalchemy", "alembic", "openpyxl")


def test_help_lists_the_commands_without_importing_heavy_libraries():
    probe = (
        "import sys\n"
        "from pmosync.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit as done:\n    code = done.code\n"
        f"print('CODE', code)\nprint('HEAVY', [m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert "CODE 0" in result.stdout
    assert "HEAVY []" in result.stdout
    for command in ("check", "status", "config", "db"):
        assert command in result.stdout


def test_version():
    result = run_pmosync("--version")
    assert result.returncode == 0 and result.stdout.startswith("pmosync ")


def test_an_unknown_command_is_a_usage_error():
    result = run_pmosync("frobnicate")
    assert result.returncode == 2
    assert "No such command" in result.stderr


def test_db_upgrade_creates_then_confirms_the_schema(store_url):
    import pmosync.store

    # The newest migration script's number, from the folder itself.
    files = (Path(pmosync.store.__file__).parent / "migrations" / "versions").glob("*.py")
    head = max(name[:4] for name in (f.name for f in files) if name[:4].isdigit())
    first = run_pmosync("db", "upgrade", "--store", store_url)
    assert first.returncode == 0, first.stderr
    assert f"schema revision {head} (current)" in first.stdout
    again = run_pmosync("db", "upgrade", "--store", store_url)
    assert again.returncode == 0 and head in again.stdout


def test_status_shows_the_last_run_of_each_stream(store_url):
    with Store.open(store_url) as store:
        run_id = store.ledger.start_run()
        stream = store.ledger.start_stream(run_id, "asana-eng", "tasks")
        with store.writer(stream) as writer:
            writer.upsert(
                [
                    Task(source="asana-eng", source_id=str(n), project_id="p", name="t")
                    for n in (1, 2)
                ]
            )
            writer.soft_delete(Task, "asana-eng", ["1"])
            writer.count_requests(4)
        store.ledger.finish_stream(stream, "failed", "HTTP 403 on project 1200: Forbidden")
        store.ledger.finish_run(run_id, "failed")
    result = run_pmosync("status", "--store", store_url)
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if "asana-eng" in line and "│" in line)
    cells = [cell.strip() for cell in row.split("│") if cell.strip()]
    assert cells[0:2] == ["asana-eng", "tasks"]
    assert cells[4:] == ["failed", "+2 ~0 -1", "0", "4"]
    assert "asana-eng/tasks: HTTP 403 on project 1200: Forbidden" in result.stdout


def test_status_of_an_empty_store_says_so(sqlite_url):
    Store.open(sqlite_url).close()
    result = run_pmosync("status", "--store", sqlite_url)
    assert result.returncode == 0 and "no runs yet" in result.stdout


def test_status_does_not_create_a_missing_sqlite_store(tmp_path):
    result = run_pmosync("status", "--store", f"sqlite:///{tmp_path}/nothing.db")
    line = assert_one_clean_line(result, 1)
    assert "no such database file yet" in line
    assert not (tmp_path / "nothing.db").exists()


def test_an_unreachable_store_fails_the_job_and_hides_the_password():
    result = run_pmosync("status", "--store", "postgresql://pmo:Hunter2Secret@127.0.0.1:1/pmo")
    line = assert_one_clean_line(result, 1)
    assert line.startswith("store postgresql+psycopg://pmo:***@127.0.0.1:1/pmo cannot be opened")
    assert "Hunter2Secret" not in result.stdout + result.stderr


def test_a_malformed_store_url_is_a_configuration_error():
    result = run_pmosync("status", "--store", "sqlite-ish:/pmosync.db")
    assert "is not a database URL" in assert_one_clean_line(result, 2)


def test_demo_into_a_folder_it_cannot_create_is_one_line(tmp_path):
    blocker = tmp_path / "taken"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    result = run_pmosync("demo", "--dir", blocker / "demo")
    assert "demo: cannot create" in assert_one_clean_line(result, 1)


def test_config_schema_prints_the_committed_example_schema():
    """examples/pmosync.schema.json (what the example's $schema line points at) is current."""
    import json
    from pathlib import Path

    from jsonschema import Draft202012Validator

    result = run_pmosync("config", "schema")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    Draft202012Validator.check_schema(printed)
    committed = Path(__file__).resolve().parent.parent / "examples" / "pmosync.schema.json"
    assert json.loads(committed.read_text(encoding="utf-8")) == printed, (
        "examples/pmosync.schema.json is stale: run "
        "`pmosync config schema -o examples/pmosync.schema.json`"
    )
    assert set(printed["properties"]) >= {"store", "connectors", "reports", "sync", "people"}


def test_the_store_of_a_config_is_found_beside_it_whatever_the_working_directory(tmp_path):
    config_dir = tmp_path / "etc"
    config_dir.mkdir()
    (config_dir / "pmosync.yaml").write_text("store: sqlite:///data/pmosync.db\n")
    (config_dir / "data").mkdir()
    elsewhere = tmp_path / "run"
    elsewhere.mkdir()

    upgraded = run_pmosync("db", "upgrade", "-c", config_dir / "pmosync.yaml", cwd=elsewhere)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (config_dir / "data" / "pmosync.db").exists()
    assert not (elsewhere / "data").exists()
    status = run_pmosync(
        "status", cwd=elsewhere, env={"PMOSYNC_CONFIG": str(config_dir / "pmosync.yaml")}
    )
    assert status.returncode == 0 and "no runs yet" in status.stdout
