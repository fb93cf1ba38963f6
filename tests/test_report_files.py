"""What a report run leaves on disk and in the ledger when things go wrong or are shared.

- Files are written with the mode any file gets under the process umask (0644 under 022), so
  a shared delivery folder can read them.
- A write killed half-way leaves a hidden part; the next delivery to that folder removes
  pmosync's own parts older than its report, and nothing else.
- A report process killed outright (SIGKILL) mid-delivery reads ``interrupted`` in the ledger
  at the next command that reads it, not ``running`` until a sync comes along.

The store is filled by hand (``test_report_run``'s two projects); the config reads no
connector, so the report has no sync to wait for.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from cli import run_pmosync
from test_report_run import AS_OF, _fill

from pmosync.reports.atomic import write_atomically

FOLDER_DELIVERY = "    deliver:\n      - folder: {path: shared}\n"


def _config(tmp_path: Path, url: str, deliver: str = FOLDER_DELIVERY, smtp: str = "") -> Path:
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        f"store: {url}\n"
        "output_dir: out\n" + smtp + "reports:\n"
        "  weekly:\n"
        "    kind: portfolio_status\n"
        "    formats: [html, json]\n" + deliver,
        encoding="utf-8",
    )
    return path


@contextmanager
def umask(mask: int):
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_kept_and_delivered_files_get_the_mode_of_the_umask(tmp_path, sqlite_url, mask, mode):
    _fill(sqlite_url)
    with umask(mask):  # inherited by the command's process
        result = run_pmosync("report", "weekly", "-c", _config(tmp_path, sqlite_url),
                             "--as-of", AS_OF)  # fmt: skip
    assert result.returncode == 0, result.stderr
    kept = sorted((tmp_path / "out").glob("*/*"))
    delivered = sorted((tmp_path / "shared").iterdir())
    assert [p.name for p in delivered] == [f"weekly-{AS_OF}.html", f"weekly-{AS_OF}.json"]
    assert len(kept) == 2
    assert {path: _mode(path) for path in kept + delivered} == dict.fromkeys(kept + delivered, mode)


def test_a_write_leaves_its_file_alone_with_the_umask_mode_and_no_part(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("<html>old</html>")
    os.chmod(target, 0o600)
    with umask(0o022):
        write_atomically(target, b"<html>new</html>")
    assert target.read_bytes() == b"<html>new</html>" and _mode(target) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_the_next_run_removes_the_parts_a_killed_write_left_and_nothing_else(tmp_path, sqlite_url):
    _fill(sqlite_url)
    shared = tmp_path / "shared"
    shared.mkdir()
    # What a write killed half-way leaves: today's naming, and the mkstemp naming of before.
    ours = shared / f".weekly-{AS_OF}.html.pmosync-0123456789abcdef.part"
    ours.write_bytes(b"<html>half a rep")
    handle, legacy = tempfile.mkstemp(dir=shared, prefix=f".weekly-{AS_OF}.json.", suffix=".part")
    os.close(handle)
    # Not ours: a user's hidden file, a part of another tool, a file merely named like a report.
    theirs = [shared / ".notes.part", shared / "budget.xlsx.part", shared / ".draft.part.txt"]
    for path in theirs:
        path.write_text("someone else's")
    # The same in the folder the run keeps its copy in.
    kept = tmp_path / "out" / f"weekly-{AS_OF}"
    kept.mkdir(parents=True)
    ours_kept = kept / f".weekly-{AS_OF}.json.pmosync-00000000ffffffff.part"
    ours_kept.write_bytes(b'{"report": "wee')
    an_hour_ago = time.time() - 3600
    for path in [ours, Path(legacy), *theirs, ours_kept]:
        os.utime(path, (an_hour_ago, an_hour_ago))

    result = run_pmosync("report", "weekly", "-c", _config(tmp_path, sqlite_url), "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    report = [f"weekly-{AS_OF}.html", f"weekly-{AS_OF}.json"]
    assert sorted(p.name for p in shared.iterdir()) == sorted(report + [p.name for p in theirs])
    assert sorted(p.name for p in kept.iterdir()) == report


def test_a_part_newer_than_the_report_is_another_runs_write_and_is_left(tmp_path, sqlite_url):
    _fill(sqlite_url)
    shared = tmp_path / "shared"
    shared.mkdir()
    in_progress = shared / f".weekly-{AS_OF}.html.pmosync-fedcba9876543210.part"
    in_progress.write_bytes(b"<html>being written")
    an_hour_ahead = time.time() + 3600  # written after this run computed its report
    os.utime(in_progress, (an_hour_ahead, an_hour_ahead))
    result = run_pmosync("report", "weekly", "-c", _config(tmp_path, sqlite_url), "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    assert in_progress.exists()


def test_a_report_killed_mid_delivery_reads_interrupted_at_the_next_command(tmp_path, sqlite_url):
    _fill(sqlite_url)
    with socket.socket() as silent:  # takes the connection, never greets: the send hangs
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        smtp = (
            "smtp:\n"
            "  host: 127.0.0.1\n"
            f"  port: {silent.getsockname()[1]}\n"
            "  security: none\n"
            "  from: pmo-reports@contoso.example\n"
            "  timeout_s: 600\n"
        )
        email = "    deliver:\n      - email: {to: [pmo@contoso.example]}\n"
        path = _config(tmp_path, sqlite_url, email, smtp)
        process = subprocess.Popen(
            [sys.executable, "-m", "pmosync", "report", "weekly", "-c", str(path),
             "--as-of", AS_OF],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            silent.settimeout(60)
            connection, _ = silent.accept()  # the run has kept its files and is sending
            listed = _report_list(path)
            assert listed["last_status"] == "running"
            process.send_signal(signal.SIGKILL)
            assert process.wait(timeout=30) == -signal.SIGKILL
            connection.close()
        finally:
            if process.poll() is None:
                process.kill()
    history = run_pmosync("report", "history", "weekly", "-c", path, "--format", "json")
    [killed] = json.loads(history.stdout)
    assert killed["status"] == "interrupted"
    assert _report_list(path)["last_status"] == "interrupted"
    runs = run_pmosync("runs", "-c", path, "--kind", "report", "--format", "json")
    [run] = json.loads(runs.stdout)
    assert run["status"] == "interrupted"
    assert run["error"] == "the process ended before the run finished"


def _report_list(path: Path) -> dict:
    result = run_pmosync("report", "list", "-c", path, "--format", "json")
    assert result.returncode == 0, result.stderr
    [row] = json.loads(result.stdout)
    return row
