"""Asana sync cost: requests against the pagination minimum, time against the quota, memory.

Starts ``pmosync sandbox`` in its own process (so its organisation does not count towards this
process's memory), runs a full sync into a fresh SQLite store, has the sandbox edit 1% of the
tasks, runs an incremental sync, and compares the store with the sandbox's snapshot.

Baselines measured in the same run:
- ``requests_min``: the pagination minimum for the same data, sum of ceil(n / 100) (at least 1)
  over every list the data needs (users, portfolios and their items, projects, each project's
  sections, tasks, status updates, allocations and budget, each parent's subtasks, the
  workspace's time entries), computed from the sandbox's snapshot;
- the quota: with ``--fast`` off the sandbox allows 1500 requests a minute with 50 ms latency,
  so ``full_s`` is set against ``requests_full / 25`` seconds. pmosync's limiter keeps 10 %
  below a published quota (connectors/limiter.py), so a quota-bound sync takes about 1.11 x
  ``quota_s`` and sees no 429.

    python bench/asana_sync.py [--size S|M] [--fast]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import emit, peak_rss_mb  # noqa: E402
from _sandbox import control, start_sandbox  # noqa: E402

from pmosync.config import load_config  # noqa: E402
from pmosync.store import Store  # noqa: E402
from pmosync.sync.run import run_sync  # noqa: E402

SOURCE = "asana-bench"
QUOTA_PER_MINUTE = 1500


def pages(count: int) -> int:
    return max(1, math.ceil(count / 100))


def requests_min(snapshot: dict[str, Any]) -> int:
    """The fewest requests that can read this organisation, page by page."""
    projects = snapshot["projects"]
    tasks = snapshot["tasks"]
    members = Counter(t["project_gid"] for t in tasks if t["project_gid"])
    children = Counter(t["parent_gid"] for t in tasks if t["parent_gid"])
    sections = Counter(s["project_gid"] for s in snapshot["sections"])
    updates = Counter(s["project_gid"] for s in snapshot["status_updates"])
    allocations = Counter(a["project_gid"] for a in snapshot["allocations"])
    total = pages(len(snapshot["people"])) + pages(len(snapshot["portfolios"]))
    total += sum(pages(len(p["project_gids"])) for p in snapshot["portfolios"])
    total += pages(len(projects)) + pages(len(snapshot["time_entries"]))
    for project in projects:
        gid = project["gid"]
        total += pages(sections[gid]) + pages(members[gid]) + pages(updates[gid])
        total += pages(allocations[gid]) + 1  # the budget call is unpaginated
    total += sum(pages(n) for n in children.values())
    return total


def ground_truth_match(store: Store, snapshot: dict[str, Any]) -> bool:
    """Live tasks, time entries, phases and projects equal the snapshot's, field by field."""
    from sqlalchemy import select

    from pmosync.canonical.tables import ENTITY_TABLES
    from pmosync.canonical.types import Phase, Project, Task, TimeEntry

    def live(model: type) -> dict[str, Any]:
        table = ENTITY_TABLES[model]
        query = select(table).where(table.c.source == SOURCE, table.c.deleted_at.is_(None))
        with store.engine.connect() as connection:
            return {row.source_id: row for row in connection.execute(query)}

    stored_tasks = live(Task)
    expected_tasks = {t["gid"]: t for t in snapshot["tasks"]}
    if set(stored_tasks) != set(expected_tasks):
        return False
    for gid, task in expected_tasks.items():
        row = stored_tasks[gid]
        due = row.due_date.isoformat() if row.due_date else None
        # the store keeps no NUL (the sandbox's RAID log has a name with one)
        if row.name != task["name"].replace("\x00", "") or due != task["due_on"]:
            return False
        if (row.status == "done") != task["completed"]:
            return False
    entries = live(TimeEntry)
    if {e["gid"]: e["duration_minutes"] for e in snapshot["time_entries"]} != {
        gid: row.minutes for gid, row in entries.items()
    }:
        return False
    return set(live(Phase)) == {s["gid"] for s in snapshot["sections"]} and set(live(Project)) == {
        p["gid"] for p in snapshot["projects"]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="S", choices=["XS", "S", "M"])
    parser.add_argument("--fast", action="store_true", help="no quota and no added latency")
    args = parser.parse_args()
    quota = [] if args.fast else ["--rpm", str(QUOTA_PER_MINUTE), "--latency-ms", "50"]
    process, described = start_sandbox(args.size, *quota)
    sandbox = described["asana"]
    try:
        with tempfile.TemporaryDirectory() as folder:
            config_path = Path(folder) / "pmosync.yaml"
            config_path.write_text(
                "store: sqlite:///bench.db\n"
                f"connectors:\n  {SOURCE}:\n    type: asana\n    token: ${{TOKEN}}\n"
                f'    workspace: "{sandbox["workspace"]}"\n    base_url: {sandbox["base_url"]}\n'
                "    max_concurrency: 4\n",
                encoding="utf-8",
            )
            config = load_config(config_path, environ={"TOKEN": sandbox["token"]})
            store = Store.open(config.store, base_dir=config_path.parent)
            control(sandbox, "POST", "reset_stats", {})
            started = time.perf_counter()
            run_sync(config, store)
            full_s = time.perf_counter() - started
            requests_full = control(sandbox, "GET", "stats")["total"]
            control(sandbox, "POST", "mutate", {"fraction": 0.01, "seed": 2})
            control(sandbox, "POST", "reset_stats", {})
            started = time.perf_counter()
            results = run_sync(config, store).connectors
            incremental_s = time.perf_counter() - started
            requests_incremental = control(sandbox, "GET", "stats")["total"]
            peak_mb = peak_rss_mb()  # the sync's peak, before the snapshot is loaded to compare
            snapshot = control(sandbox, "GET", "snapshot")
            match = ground_truth_match(store, snapshot) and not any(r.failed for r in results)
            store.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    emit(
        {
            "bench": "asana_sync",
            "size": args.size,
            "fast": args.fast,
            "requests_full": requests_full,
            "requests_min": requests_min(snapshot),
            "requests_incremental": requests_incremental,
            "full_s": round(full_s, 2),
            "incremental_s": round(incremental_s, 2),
            "quota_s": round(requests_full / (QUOTA_PER_MINUTE / 60), 2),
            "peak_rss_mb": peak_mb,
            "ground_truth_match": match,
        }
    )


if __name__ == "__main__":
    main()
