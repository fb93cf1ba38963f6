"""``pmosync sandbox`` in its own process, for the sync benchmarks: its data then does not count
towards the measuring process's memory, and its controls are reached over HTTP like a client."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from typing import Any


def start_sandbox(size: str, *options: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """Start the sandboxes; returns the process and the JSON line describing them."""
    command = [sys.executable, "-m", "pmosync", "sandbox", "--size", size, "--seed", "1"]
    process = subprocess.Popen([*command, *options], stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline() if process.stdout else ""
    if not line:
        process.kill()
        raise SystemExit("the sandbox did not start")
    return process, json.loads(line)


def control(sandbox: dict[str, Any], method: str, path: str, body: Any = None) -> Any:
    """Call one of a sandbox's ``/_sandbox/*`` controls (stats, reset_stats, mutate, snapshot)."""
    request = urllib.request.Request(
        sandbox["base_url"] + "/_sandbox/" + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {sandbox['token']}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())
