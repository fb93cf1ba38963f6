"""``pmosync db backup``: a consistent copy of a SQLite store taken while another process keeps
writing to it, a new file every time, and one line (exit 2) for a PostgreSQL store.

The writer is a separate process that commits, in each transaction, one row to each of two
tables and then prints how many transactions it has committed; it never checkpoints, so what it
wrote stays in the ``-wal`` file, where a plain file copy would not see it. A consistent copy has
as many rows in both tables, at least as many as had been committed when the backup started,
and no more than were ever committed.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from cli import assert_one_clean_line, run_pmosync

from pmosync.store import Store

WRITER = r"""
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
connection.execute("PRAGMA journal_mode=WAL")
connection.execute("PRAGMA wal_autocheckpoint=0")
connection.execute("CREATE TABLE IF NOT EXISTS pair_a (n INTEGER PRIMARY KEY, payload BLOB)")
connection.execute("CREATE TABLE IF NOT EXISTS pair_b (n INTEGER PRIMARY KEY, payload BLOB)")
n = 0
while n < 100000:
    n += 1
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("INSERT INTO pair_a VALUES (?, randomblob(2000))", (n,))
    connection.execute("INSERT INTO pair_b VALUES (?, randomblob(2000))", (n,))
    connection.execute("COMMIT")
    print(n, flush=True)
"""


class Writer:
    """The writing process, and the last transaction count it reported."""

    def __init__(self, database: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(database)], stdout=subprocess.PIPE, text=True
        )
        self.committed = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.committed = int(line)

    def wait_for(self, commits: int) -> None:
        deadline = time.monotonic() + 60
        while self.committed < commits:
            assert self.process.poll() is None, "the writer stopped"
            assert time.monotonic() < deadline, "the writer made no progress"
            time.sleep(0.05)

    def stop(self) -> int:
        """Stop the writer; the number of transactions it committed, all reported."""
        self.process.terminate()
        self.process.wait(timeout=30)
        self._reader.join(timeout=30)
        return self.committed


def _counts(database: Path) -> tuple[str, int, int, int]:
    with sqlite3.connect(database) as connection:
        check = connection.execute("PRAGMA integrity_check").fetchone()[0]
        a = connection.execute("SELECT count(*) FROM pair_a").fetchone()[0]
        b = connection.execute("SELECT count(*) FROM pair_b").fetchone()[0]
        runs = connection.execute("SELECT count(*) FROM runs").fetchone()[0]
    return check, a, b, runs


def test_a_backup_taken_while_another_process_writes_is_consistent(tmp_path):
    database = tmp_path / "state" / "pmosync.db"
    database.parent.mkdir()
    with Store.open(f"sqlite:///{database}") as store:  # a real store, with one finished run
        store.ledger.finish_run(store.ledger.start_run("sync", None), "succeeded", None)
    config = tmp_path / "pmosync.yaml"
    config.write_text(  # the token is not set: a backup job needs no secret
        "store: sqlite:///state/pmosync.db\n"
        "connectors:\n"
        "  asana: {type: asana, token: '${PMOSYNC_TEST_UNSET_TOKEN}', workspace: '1'}\n",
        encoding="utf-8",
    )
    writer = Writer(database)
    try:
        writer.wait_for(200)
        before = writer.committed
        backups = tmp_path / "backups"
        backups.mkdir()
        result = run_pmosync("db", "backup", "-c", config, backups)
        writer.wait_for(writer.committed + 20)  # it kept writing through the backup
    finally:
        ever = writer.stop()

    assert result.returncode == 0, result.stderr
    [copy] = list(backups.iterdir())
    assert copy.name.startswith("pmosync-") and copy.suffix == ".db"
    assert f"to {copy} (" in result.stdout and "integrity ok" in result.stdout
    check, a, b, runs = _counts(copy)
    assert check == "ok"
    assert a == b  # no transaction half in the copy
    assert before <= a <= ever  # everything committed before it began, nothing invented
    assert runs == 1
    assert not Path(f"{copy}-wal").exists()  # one self-contained file
    # The copy is a store pmosync opens as it is.
    status = run_pmosync("runs", "--store", f"sqlite:///{copy}")
    assert status.returncode == 0, status.stderr


def test_a_backup_never_overwrites_a_file(tmp_path):
    database = tmp_path / "pmosync.db"
    Store.open(f"sqlite:///{database}").close()
    existing = tmp_path / "monday.db"
    existing.write_bytes(b"last week's backup")

    result = run_pmosync("db", "backup", "--store", f"sqlite:///{database}", existing)

    line = assert_one_clean_line(result, 1)
    assert f"{existing} already exists" in line
    assert existing.read_bytes() == b"last week's backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["monday.db", "pmosync.db"]


def test_a_store_with_no_file_is_one_line(tmp_path):
    result = run_pmosync("db", "backup", "--store", f"sqlite:///{tmp_path}/none.db", tmp_path)
    assert "none.db: no such database file" in assert_one_clean_line(result, 1)
    assert list(tmp_path.iterdir()) == []


def test_a_postgresql_store_is_sent_to_pg_dump(tmp_path):
    url = "postgresql+psycopg://pmo:s3cret@db.example/pmo"
    result = run_pmosync("db", "backup", "--store", url, tmp_path / "copy.db")
    line = assert_one_clean_line(result, 2)
    assert "pg_dump" in line
    assert "s3cret" not in line
    assert list(tmp_path.iterdir()) == []
