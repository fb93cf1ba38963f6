"""Shared helpers for the bench scripts: peak memory and the closing JSON line."""

from __future__ import annotations

import json
import resource
import sys
from typing import Any


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def emit(figures: dict[str, Any]) -> None:
    """Print the figures as the one JSON line a bench ends with."""
    sys.stdout.write(json.dumps(figures) + "\n")
