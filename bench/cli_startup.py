"""How long ``pmosync --help`` takes as a whole process (target: under 0.5 s).

The baseline, measured in the same run, is the interpreter starting and exiting
(``python -c pass``); the ratio says how much pmosync's own imports add on top.

    python bench/cli_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import emit  # noqa: E402


def median_seconds(command: list[str], runs: int) -> float:
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        timings.append(time.perf_counter() - began)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    pmosync = [sys.executable, "-m", "pmosync", "--help"]
    subprocess.run(pmosync, check=True, stdout=subprocess.DEVNULL)  # warm the bytecode cache
    help_s = median_seconds(pmosync, runs)
    python_s = median_seconds([sys.executable, "-c", "pass"], runs)
    emit(
        {
            "bench": "cli_startup",
            "runs": runs,
            "help_s": round(help_s, 3),
            "python_startup_s": round(python_s, 3),
            "ratio": round(help_s / python_s, 2),
        }
    )


if __name__ == "__main__":
    main()
