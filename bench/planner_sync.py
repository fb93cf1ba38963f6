"""Planner and timesheet sync cost: requests against the pagination minimum, time, memory.

Starts ``pmosync sandbox`` in its own process (its tenant does not count towards this process's
memory), runs a full sync of every group's plans (with task details) and of the weekly
timesheet workbooks in the Operations team's Timesheets channel into a fresh SQLite store, has
the sandbox edit 1% of the tasks, runs an incremental sync, and compares the store with the
sandbox's snapshot.

Baseline measured in the same run, ``requests_min``: the fewest requests that can read the same
data, computed from the snapshot: per group its record and its plan listing; plan details
ceil(plans / 20) batches; per plan one bucket listing and ceil(tasks / page size) task pages;
task details ceil(tasks / 20) batches; assignees ceil(people / 20) batches; and for the
workbooks the team, channel and files-folder lookups, one folder listing and one download per
workbook. Targets: requests_full <= 1.15 x requests_min; the incremental sync re-maps no
unchanged task and re-reads only the workbooks whose bytes changed or that name a task the
churn renamed (a renamed task relinks its timesheet rows, as ``--full`` would link them).
``task_records_remapped`` may fall short of ``task_records_expected`` by the tasks the churn
edited only in their details: those wait for the daily details sweep (``details_refresh_hours``).

    python bench/planner_sync.py [--size S|M]
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

PLANNER = "planner-bench"
TIMESHEETS = "timesheets-bench"


def requests_min(snapshot: dict[str, Any], page_size: int) -> int:
    """The fewest requests that can read this tenant's plans and timesheets."""
    plans = snapshot["plans"]
    tasks = Counter(t["plan_id"] for t in snapshot["tasks"])
    people = {u for t in snapshot["tasks"] for u in t["assignee_ids"]}
    people |= {t["created_by"] for t in snapshot["tasks"]}
    people |= {t["completed_by"] for t in snapshot["tasks"] if t.get("completed_by")}
    total = 2 * len(snapshot["groups"]) + math.ceil(len(plans) / 20)
    for plan in plans:
        total += 1 + max(1, math.ceil(tasks[plan["id"]] / page_size))
    total += math.ceil(len(snapshot["tasks"]) / 20) + math.ceil(len(people) / 20)
    total += 3 + 1 + len(snapshot["timesheets"])
    return total


def ground_truth_match(store: Store, snapshot: dict[str, Any]) -> bool:
    """Live plans, buckets and tasks (name, percent, due date) and every timesheet row."""
    from sqlalchemy import select

    from pmosync.canonical.tables import ENTITY_TABLES
    from pmosync.canonical.types import Phase, Project, Task, TimeEntry

    def live(model: type, source: str) -> dict[str, Any]:
        table = ENTITY_TABLES[model]
        query = select(table).where(table.c.source == source, table.c.deleted_at.is_(None))
        with store.engine.connect() as connection:
            return {row.source_id: row for row in connection.execute(query)}

    if set(live(Project, PLANNER)) != {p["id"] for p in snapshot["plans"]}:
        return False
    if set(live(Phase, PLANNER)) != {b["id"] for b in snapshot["buckets"]}:
        return False
    stored = live(Task, PLANNER)
    expected = {t["id"]: t for t in snapshot["tasks"]}
    if set(stored) != set(expected):
        return False
    for task_id, task in expected.items():
        row = stored[task_id]
        due = task["due_at"][:10] if task["due_at"] else None
        if row.name != task["title"] or row.percent_complete != task["percent_complete"]:
            return False
        if (row.due_date.isoformat() if row.due_date else None) != due:
            return False
    hours = Counter()
    for sheet in snapshot["timesheets"]:
        for row in sheet["rows"]:
            hours[(row["date"], round(row["hours"] * 60))] += 1
    logged = Counter(
        (row.entry_date.isoformat(), row.minutes) for row in live(TimeEntry, TIMESHEETS).values()
    )
    return hours == logged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="S", choices=["XS", "S", "M"])
    args = parser.parse_args()
    process, described = start_sandbox(args.size)
    sandbox = described["graph"]
    groups = ", ".join(f'"{g}"' for g in sandbox["groups"])
    try:
        with tempfile.TemporaryDirectory() as folder:
            config_path = Path(folder) / "pmosync.yaml"
            config_path.write_text(
                "store: sqlite:///bench.db\nconnectors:\n"
                f"  {PLANNER}:\n    type: planner\n    token: ${{TOKEN}}\n"
                f"    base_url: {sandbox['base_url']}\n    groups: [{groups}]\n"
                "    task_details: true\n"
                f"  {TIMESHEETS}:\n    type: sharepoint_files\n    token: ${{TOKEN}}\n"
                f"    base_url: {sandbox['base_url']}\n    team: Operations\n"
                "    channel: Timesheets\n    sheet: Entries\n"
                "    columns: {person: Email, date: Date, hours: Hours, project: Project,"
                ' task: Task, billable: "Billable?"}\n',
                encoding="utf-8",
            )
            config = load_config(config_path, environ={"TOKEN": sandbox["token"]})
            store = Store.open(config.store, base_dir=config_path.parent)
            control(sandbox, "POST", "reset_stats", {})
            started = time.perf_counter()
            full = run_sync(config, store).connectors
            full_s = time.perf_counter() - started
            requests_full = control(sandbox, "GET", "stats")["total"]
            touched = control(sandbox, "POST", "mutate", {"fraction": 0.01, "seed": 2})["touched"]
            control(sandbox, "POST", "reset_stats", {})
            started = time.perf_counter()
            incremental = run_sync(config, store).connectors
            incremental_s = time.perf_counter() - started
            stats = control(sandbox, "GET", "stats")
            peak_mb = peak_rss_mb()  # the sync's peak, before the snapshot is loaded to compare
            snapshot = control(sandbox, "GET", "snapshot")
            streams = {(r.name, s.name): s.counts for r in incremental for s in r.streams}
            tasks = streams[(PLANNER, "tasks")]
            remapped = tasks.inserted + tasks.updated + tasks.unchanged
            rows = streams[(TIMESHEETS, "rows")]
            failed = [r for r in full + incremental if r.failed]
            match = ground_truth_match(store, snapshot) and not failed
            store.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    emit(
        {
            "bench": "planner_sync",
            "size": args.size,
            "requests_full": requests_full,
            "requests_min": requests_min(snapshot, sandbox["page_size"]),
            "requests_incremental": stats["total"],
            "full_s": round(full_s, 2),
            "incremental_s": round(incremental_s, 2),
            "tasks_changed": len(set(touched)),
            # records a re-mapped task writes: the Task and one Assignment per assignee
            "task_records_expected": sum(
                1 + len(t["assignee_ids"]) for t in snapshot["tasks"] if t["id"] in set(touched)
            ),
            "task_records_remapped": remapped,
            "workbook_rows_reread": rows.inserted + rows.updated + rows.unchanged,
            "peak_rss_mb": peak_mb,
            "ground_truth_match": match,
        }
    )


if __name__ == "__main__":
    main()
