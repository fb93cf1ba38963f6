"""``--store`` works on every command that opens a store.

The commands are found by walking the real command tree (every command that takes
``--config``, except ``check``, which parses the store URL but never opens it), so a new
command without ``--store`` fails here. Each one runs against a store the config does not name,
while the config's own store lies in a folder that does not exist: opening it would fail.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from cli import run_pmosync

from pmosync.cli import app
from pmosync.store import Store

pytestmark = pytest.mark.slow  # a long suite: `make test-slow` (CI runs it)

NEVER_OPENS_A_STORE = {("check",), ("discover",), ("schedules", "apply"), ("schedules", "list")}
"""They read the config and talk to the services (the Temporal cluster), never to the store."""

#: Arguments (besides --config and --store) and the exit codes each command may end with.
COMMANDS: dict[tuple[str, ...], tuple[tuple[str, ...], set[int]]] = {
    ("sync",): (("timesheets",), {0}),
    ("run",): ((), {0}),
    ("status",): ((), {0}),
    ("runs",): ((), {0}),
    ("export",): (("time_entry",), {0}),
    ("people",): ((), {0}),
    ("quarantine", "list"): ((), {0}),
    ("quarantine", "show"): (("999999",), {1}),  # no such entry in the --store
    ("quarantine", "retry"): ((), {0, 1}),
    ("report",): (("history", "weekly"), {0}),
    ("db", "upgrade"): ((), {0}),
    ("db", "backup"): (("backup.db",), {0}),
    ("baseline", "list"): ((), {0}),
    ("baseline", "set"): (("--all",), {0}),
    ("baseline", "show"): (("Website",), {2}),  # no such project in the --store
    ("baseline", "diff"): (("Website",), {2}),
    ("baseline", "activate"): (("--all", "--name", "Baseline"), {0}),
    # no connector of this config writes back: refused in one line, the store left unopened
    ("writeback", "plan"): ((), {2}),
    ("writeback", "apply"): ((), {2}),
    ("daemon",): ((), {0}),  # run apart: it runs until stopped
    ("worker",): ((), {0}),  # run apart, with a Temporal server: tests/test_temporal_engine.py
}


def _store_commands() -> set[tuple[str, ...]]:
    found: set[tuple[str, ...]] = set()

    def walk(command, path: tuple[str, ...]) -> None:
        if hasattr(command, "commands"):  # a group
            for name, child in command.commands.items():
                walk(child, path + (name,))
            return
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        if "--config" in options and path not in NEVER_OPENS_A_STORE:
            found.add(path)
            assert "--store" in options, f"pmosync {' '.join(path)} has no --store"

    walk(typer.main.get_command(app), ())
    return found


def test_every_command_that_opens_a_store_is_covered_here():
    assert _store_commands() - set(COMMANDS) == set()


@pytest.fixture
def setting(tmp_path):
    """A config naming an unreachable store, and a real store elsewhere with one sync in it."""
    folder = tmp_path / "etc"
    (folder / "Timesheets").mkdir(parents=True)
    (folder / "Timesheets" / "W45.csv").write_text(
        "Email,Date,Hours,Project\r\nann@contoso.example,2026-11-02,7.5,Website\r\n",
        encoding="utf-8",
    )
    config = folder / "pmosync.yaml"
    config.write_text(
        "store: sqlite:///no-such-folder/pmosync.db\n"
        "sync: {schedule: '* * * * * *'}\n"
        "connectors:\n"
        "  timesheets:\n"
        "    type: files\n"
        "    path: Timesheets\n"
        "    columns: {person: Email, date: Date, hours: Hours, project: Project}\n"
        "reports:\n"
        "  weekly:\n"
        "    kind: portfolio_status\n"
        "    deliver: [{folder: {path: out}}]\n",
        encoding="utf-8",
    )
    store = tmp_path / "elsewhere.db"
    url = f"sqlite:///{store}"
    assert run_pmosync("db", "upgrade", "-c", config, "--store", url).returncode == 0
    return config, store, url


def _runs(url: str) -> list[dict]:
    with Store.open(url, schema="require") as store:
        return store.ledger.recent_runs(100, None)


@pytest.mark.parametrize(
    "command", sorted(set(COMMANDS) - {("daemon",), ("worker",)}), ids=" ".join
)
def test_the_command_uses_the_store_given(setting, tmp_path, command):
    config, store, url = setting
    if command not in _store_commands():
        pytest.skip(f"pmosync {' '.join(command)} does not exist")
    args, codes = COMMANDS[command]
    before = len(_runs(url))
    result = run_pmosync(*command, *args, "-c", config, "--store", url, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode in codes, output
    assert "no-such-folder" not in output and "Traceback" not in output
    assert not (config.parent / "no-such-folder").exists()
    if command in (("sync",), ("run",)):
        assert len(_runs(url)) == before + 1  # the sync was recorded in the given store
    if command in (("status",), ("runs",), ("quarantine", "show")):
        assert str(store) in output  # they name the store they read
    if command == ("db", "backup"):
        assert (tmp_path / "backup.db").stat().st_size > 0


def test_the_daemon_uses_the_store_given(setting):
    config, _store, url = setting
    process = subprocess.Popen(
        [sys.executable, "-m", "pmosync", "daemon", "-c", str(config), "--store", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not any(run["kind"] == "sync" for run in _runs(url)):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the daemon recorded no sync in the --store"
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "no-such-folder" not in err
    assert not Path(config.parent / "no-such-folder").exists()
