"""What the sync shows while it runs: bars that end on the summary's figures, waits for a quota
or a retry named as they happen, and a Ctrl-C acknowledged at once.

Real syncs against the Asana sandbox over loopback HTTP; the terminal case runs ``pmosync sync``
on a pseudo-terminal, as a person at a keyboard would.
"""

from __future__ import annotations

import io
import os
import pty
import select
import signal
import subprocess
import sys
import time

import pytest
from asana_env import SOURCE, write_config
from cli import run_pmosync
from rich.console import Console

from pmosync.cli.progress import STOPPING, LiveProgress
from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.org import generate_org
from pmosync.store import Store
from pmosync.sync.run import run_sync


@pytest.fixture
def org():
    return generate_org(seed=11, size="XS")


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=220), out


def test_each_bar_ends_on_its_summary_row(tmp_path, org):
    with AsanaSandbox(org) as sandbox:
        path, config = write_config(tmp_path, sandbox)
        console, _ = _console()
        with Store.open(config.store, base_dir=path.parent) as store, LiveProgress(console) as bars:
            run = run_sync(config, store, observer=bars)
    shown = bars.figures()
    [connector] = run.connectors
    assert connector.streams and not connector.failed
    for stream in connector.streams:
        c = stream.counts
        records = c.inserted + c.updated + c.unchanged + c.quarantined
        assert shown[(SOURCE, stream.name)] == (records, c.requests, stream.status)
    # every request the run made is on some bar, as the ledger counts them
    assert sum(r for _, r, _ in shown.values()) == sum(s.counts.requests for s in connector.streams)
    assert sum(r for _, r, _ in shown.values()) > len(connector.streams)


def test_a_wait_for_a_retry_is_named_on_the_bars_and_in_the_log(tmp_path, org):
    with AsanaSandbox(org) as sandbox:
        path, config = write_config(tmp_path, sandbox)
        sandbox.throttle_next(1, retry_after_s=2)
        console, out = _console()
        with Store.open(config.store, base_dir=path.parent) as store, LiveProgress(console) as bars:
            run = run_sync(config, store, observer=bars)
        assert not run.failed
        assert "waiting 2 s: HTTP 429 from Asana" in out.getvalue()

        # Without a terminal the same wait is a log line.
        sandbox.throttle_next(1, retry_after_s=1)
        logged = run_pmosync("sync", "-c", path, env={"ASANA_TOKEN": sandbox.token})
    assert logged.returncode == 0, logged.stderr
    assert f"{SOURCE}: waiting 1 s: HTTP 429 from Asana" in logged.stdout


def _read(fd: int, until: str, seen: list[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                return False
            if not chunk:
                return False
            seen.append(chunk)
            if until.encode() in b"".join(seen):
                return True
    return False


def test_ctrl_c_on_a_terminal_is_acknowledged_at_once(tmp_path, org):
    with AsanaSandbox(org, latency_s=0.5) as sandbox:  # a page in flight takes a while
        path, _ = write_config(tmp_path, sandbox)
        leader, follower = pty.openpty()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PMOSYNC_CONFIG")}
        env.update({"ASANA_TOKEN": sandbox.token, "COLUMNS": "200"})
        process = subprocess.Popen(
            [sys.executable, "-m", "pmosync", "sync", "-c", str(path)],
            stdin=follower, stdout=follower, stderr=follower, env=env, close_fds=True,
        )  # fmt: skip
        os.close(follower)
        seen: list[bytes] = []
        try:
            assert _read(leader, "requests", seen, 60), b"".join(seen)[-2000:]
            process.send_signal(signal.SIGINT)
            said = "Ctrl-C again to stop at once"
            assert _read(leader, said, seen, 2), b"".join(seen)[-3000:]  # at once
            _read(leader, "\x00never\x00", seen, 30)  # drain until the process closes it
            assert process.wait(30) == 1
        finally:
            if process.poll() is None:
                process.kill()
            os.close(leader)
    text = b"".join(seen).decode(errors="replace")
    assert "stopping after the pages in flight (SIGINT)" in text
    assert "interrupted" in text and "Traceback" not in text


def test_a_stop_shows_on_every_unfinished_bar(tmp_path, org):
    """The signal handler only raises a flag (it may interrupt a thread holding the display's
    lock); the status column shows it on the bars still running, not on finished ones."""
    with AsanaSandbox(org) as sandbox:
        path, config = write_config(tmp_path, sandbox)
        console, _ = _console()
        with Store.open(config.store, base_dir=path.parent) as store, LiveProgress(console) as bars:
            run_sync(config, store, observer=bars)
            bars.stream_started("later", "tasks")
            bars.stopping()
            statuses = {
                task.description: str(bars.progress.columns[-1].render(task))
                for task in bars.progress.tasks
            }
    assert statuses.pop("later/tasks") == STOPPING
    assert set(statuses.values()) == {"succeeded"}
