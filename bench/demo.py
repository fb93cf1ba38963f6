"""``pmosync demo`` as a newcomer runs it, twice (target: each run well under 90 s on 2 cores).

Each run is a whole ``pmosync demo`` process in a fresh folder, as ``make demo`` starts it. The
baseline, measured in the same run, is the demo's fixed floor: a process that builds the same
world, serves it on loopback and stops, with no sync and no report. ``ratio`` says how much
the tour itself (sync, four reports, deliveries, summary) costs on top of that floor; the
second run's requests against the first's say how incremental it is.

    python bench/demo.py
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import emit  # noqa: E402

WORLD_ONLY = (
    "from datetime import date; from pmosync.demo import world as w; "
    "w.start(w.WorldState(w.SEED, date.today().isoformat(), 1)).stop()"
)
REQUESTS = re.compile(r"\(([\d,]+) API requests")


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    began = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=True)
    return time.perf_counter() - began, result.stdout


def requests_of(summary: str) -> int:
    found = REQUESTS.search(summary)
    if found is None:
        raise SystemExit("the demo's summary names no request count")
    return int(found[1].replace(",", ""))


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        demo = [sys.executable, "-m", "pmosync", "demo", "--dir", str(folder / "demo")]
        world_s, _ = timed([sys.executable, "-c", WORLD_ONLY], folder)
        first_s, first = timed(demo, folder)
        second_s, second = timed(demo, folder)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    emit(
        {
            "bench": "demo",
            "first_run_s": round(first_s, 2),
            "second_run_s": round(second_s, 2),
            "world_only_s": round(world_s, 2),
            "ratio": round(first_s / world_s, 2),
            "second_ratio": round(second_s / world_s, 2),
            "requests_first": requests_of(first),
            "requests_second": requests_of(second),
            "incremental_share": round(requests_of(second) / requests_of(first), 2),
            "peak_rss_mb": round(children, 1),
        }
    )


if __name__ == "__main__":
    main()
