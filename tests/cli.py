"""Running the real ``pmosync`` command in a subprocess, as a user or a scheduler would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_pmosync(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None):
    """Run ``python -m pmosync ARGS`` with this interpreter; returns the CompletedProcess."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PMOSYNC_CONFIG")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "pmosync", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=120,
    )


def assert_one_clean_line(result, code: int) -> str:
    """The command failed with ``code`` and said so in exactly one line, no traceback."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]
