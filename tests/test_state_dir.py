"""The state folder: what pmosync writes goes to PMOSYNC_STATE_DIR / ``state_dir``, so the config
can live in a folder nothing can be written in (a read-only ConfigMap), and a report whose local
copy cannot be written still reaches its targets.

The tests run as root on CI, where a mode of 0555 stops nothing; the config folder is made
unwritable for everyone by putting a regular file where pmosync would make the report folder
and a directory where it would create the SQLite file, so every write there really fails.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from cli import assert_one_clean_line, run_pmosync

from pmosync.config import load_config

AS_OF = "2026-01-09"
ROWS = [  # hours on projects no connector syncs: each row is kept in the quarantine
    "ann@contoso.example,2026-01-05,3,Website",
    "bo@contoso.example,2026-01-06,2.5,Website",
    "ann@contoso.example,2026-01-07,1,Data centre move",
]


def _config(folder: Path, *, head: str = "", deliver: str = "") -> Path:
    """A files connector over one CSV, and one report; ``head`` goes first in the YAML."""
    sheets = folder / "sheets"
    sheets.mkdir(parents=True)
    (sheets / "week1.csv").write_text("Email,Date,Hours,Project\n" + "\n".join(ROWS) + "\n")
    path = folder / "pmosync.yaml"
    path.write_text(
        head + "connectors:\n"
        "  sheets:\n"
        "    type: files\n"
        "    path: sheets\n"
        "    columns: {person: Email, date: Date, hours: Hours, project: Project}\n"
        "reports:\n"
        "  weekly:\n"
        "    kind: portfolio_status\n"
        "    formats: [html, json]\n" + deliver,
        encoding="utf-8",
    )
    return path


def _block_writes(folder: Path) -> None:
    """Nothing pmosync would write by default can be made in ``folder``, even by root."""
    (folder / "reports").write_text("a file where the report folder would go\n")
    (folder / "pmosync.db").mkdir()


def _quarantined(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT count(*) FROM quarantine").fetchone()[0]


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_written_paths_follow_the_state_folder_env_first_absolute_paths_as_written(tmp_path):
    config_dir = tmp_path / "etc"
    config_dir.mkdir()
    path = config_dir / "pmosync.yaml"

    def load(yaml: str, env: dict[str, str]):
        path.write_text(yaml, encoding="utf-8")
        return load_config(path, environ=env)

    # No state folder: today's behaviour, everything beside the config file.
    plain = load("{}\n", {})
    assert plain.store == "sqlite:///pmosync.db"  # read from the config's folder when opened
    assert plain.output_path == config_dir / "reports"

    # The environment variable: the default store and output_dir move there.
    state = tmp_path / "state"
    moved = load("{}\n", {"PMOSYNC_STATE_DIR": str(state)})
    assert moved.store == f"sqlite:///{state}/pmosync.db"
    assert moved.output_path == state / "reports"

    # The YAML key, relative to the config file's folder; relative paths follow it.
    keyed = load("state_dir: ../var\nstore: sqlite:///data/p.db?timeout=5\noutput_dir: out\n", {})
    assert keyed.store == f"sqlite:///{tmp_path}/var/data/p.db?timeout=5"
    assert keyed.output_path == tmp_path / "var" / "out"

    # The environment overrides the key; absolute paths in the YAML stay as written.
    absolute = tmp_path / "kept"
    pinned = load(
        f"state_dir: ../var\nstore: sqlite:///{tmp_path}/abs.db\noutput_dir: {absolute}\n",
        {"PMOSYNC_STATE_DIR": str(state)},
    )
    assert pinned.state_dir == str(state)
    assert pinned.store == f"sqlite:///{tmp_path}/abs.db"
    assert pinned.output_path == absolute

    # A server store has no file to move.
    server = load("store: postgresql+psycopg://pmo@db.example/pmo\n", {"PMOSYNC_STATE_DIR": "/s"})
    assert server.store == "postgresql+psycopg://pmo@db.example/pmo"


def test_sync_and_report_work_from_a_config_folder_nothing_can_be_written_in(tmp_path):
    config_dir = tmp_path / "etc"
    config = _config(config_dir)
    _block_writes(config_dir)
    before = _listing(config_dir)

    # Without a state folder nothing works (proof that the folder is unwritable).
    blocked = run_pmosync("sync", "-c", config)
    assert "pmosync.db cannot be opened" in assert_one_clean_line(blocked, 1)

    state = tmp_path / "state"
    state.mkdir()
    env = {"PMOSYNC_STATE_DIR": str(state)}
    synced = run_pmosync("sync", "-c", config, env=env)
    assert synced.returncode == 0, synced.stderr
    reported = run_pmosync("report", "weekly", "-c", config, "--as-of", AS_OF, env=env)
    assert reported.returncode == 0, reported.stderr
    assert f"report weekly as of {AS_OF}: succeeded" in reported.stdout

    assert _quarantined(state / "pmosync.db") == len(ROWS)
    assert sorted(p.name for p in (state / "reports" / f"weekly-{AS_OF}").iterdir()) == [
        f"weekly-{AS_OF}.html",
        f"weekly-{AS_OF}.json",
    ]
    assert _listing(config_dir) == before  # nothing written beside the config


def test_the_yaml_state_dir_key_does_the_same(tmp_path):
    config_dir = tmp_path / "etc"
    config = _config(config_dir, head="state_dir: ../state\n")
    _block_writes(config_dir)

    # The state folder is the operator's to make (systemd's StateDirectory=, a volume): a
    # missing one is one line naming it.
    missing = run_pmosync("sync", "-c", config)
    line = assert_one_clean_line(missing, 1)
    assert f"{tmp_path / 'state' / 'pmosync.db'} cannot be opened" in line
    assert "check that its folder exists" in line

    (tmp_path / "state").mkdir()
    synced = run_pmosync("sync", "-c", config)
    assert synced.returncode == 0, synced.stderr
    assert _quarantined(tmp_path / "state" / "pmosync.db") == len(ROWS)


def test_a_report_is_delivered_when_its_local_copy_cannot_be_kept(tmp_path):
    config_dir = tmp_path / "etc"
    shared = tmp_path / "shared"
    store = tmp_path / "store.db"
    deliver = f"    deliver:\n      - folder: {{path: '{shared}/{{report}}'}}\n"
    config = _config(config_dir, head=f"store: sqlite:///{store}\n", deliver=deliver)
    _block_writes(config_dir)
    assert run_pmosync("sync", "-c", config).returncode == 0

    reported = run_pmosync("report", "weekly", "-c", config, "--as-of", AS_OF)

    assert reported.returncode == 0, reported.stderr
    assert f"report weekly as of {AS_OF}: succeeded" in reported.stdout
    assert sorted(p.name for p in (shared / "weekly").iterdir()) == [
        f"weekly-{AS_OF}.html",
        f"weekly-{AS_OF}.json",
    ]
    warning = reported.stderr.strip().splitlines()
    assert len(warning) == 1, reported.stderr
    assert "cannot keep the report's files in" in warning[0]
    assert "delivering it anyway" in warning[0]


def test_a_report_with_nowhere_else_to_go_fails_when_it_cannot_be_kept(tmp_path):
    config_dir = tmp_path / "etc"
    shared = tmp_path / "shared"
    deliver = f"    deliver:\n      - folder: {{path: '{shared}'}}\n"
    config = _config(config_dir, head=f"store: sqlite:///{tmp_path}/s.db\n", deliver=deliver)
    _block_writes(config_dir)
    assert run_pmosync("sync", "-c", config).returncode == 0

    result = run_pmosync("report", "weekly", "-c", config, "--as-of", AS_OF, "--no-deliver")

    assert "cannot keep the report's files in" in assert_one_clean_line(result, 1)
    assert not shared.exists()
