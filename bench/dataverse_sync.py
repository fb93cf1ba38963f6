"""Planner premium (Dataverse) sync cost: requests against the paging minimum, time, memory.

Starts the Dataverse sandbox in its own process (this script with ``--serve``: the environment
does not count towards the syncing process's memory; it is driven over stdin/stdout, one JSON
line each way, since the emulator has no HTTP controls), runs a full sync of every premium plan
into a fresh SQLite store (the connector's default page size, 500 rows), has the sandbox churn
1 % of the tasks (edits, and a tenth as many adds, deletes, moves, dependency and assignment
changes, a team member, a rename), runs an incremental sync, and has the sandbox compare the
store with its own ``environment_snapshot`` after each sync.

Baseline measured in the same run, ``paging_minimum``: the fewest requests that can read the
same rows at the same page size, from the environment's row counts before the full sync: for
each of the eight tables the connector reads (projects, buckets, tasks, dependencies,
assignments, team members, bookable resources, system users) max(1, ceil(rows / page_size)),
plus the fixed requests: one EntityDefinitions (which tables have change tracking) and WhoAmI
when the sync made it. Targets: requests_full_ratio = requests_full / paging_minimum <= 1.15;
incremental_ratio = requests_incremental / requests_full <= 0.1; peak_rss_mb of this (the
syncing) process < 400 on M (measured after the full sync, before anything else is loaded).

    python bench/dataverse_sync.py [--size XS|S|M]
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import emit, peak_rss_mb  # noqa: E402

from pmosync.config import load_config  # noqa: E402
from pmosync.store import Store  # noqa: E402
from pmosync.sync.run import run_sync  # noqa: E402

SOURCE = "premium-bench"
PAGE_SIZE = 500
TODAY = date(2026, 3, 2)
READ_TABLES = (
    "msdyn_project", "msdyn_projectbucket", "msdyn_projecttask", "msdyn_projecttaskdependency",
    "msdyn_resourceassignment", "msdyn_projectteam", "bookableresource", "systemuser",
)  # fmt: skip


# -- the sandbox's side (its own process) ----------------------------------------------------


def serve(size: str) -> None:
    """Run the sandbox; answer one JSON command per stdin line with one JSON line."""
    from pmosync.sandbox.dataverse import serve as serve_dataverse
    from pmosync.sandbox.dataverse.churn import churn

    sandbox = serve_dataverse(size, 1, today=TODAY)
    env = sandbox.environment
    say({"environment": sandbox.environment_url, "token": sandbox.token})
    try:
        for line in sys.stdin:
            command = json.loads(line)
            do = command["do"]
            if do == "counts":
                say({t: len(env.table_rows(t)) for t in READ_TABLES})
            elif do == "stats":
                say(sandbox.stats())
            elif do == "reset_stats":
                sandbox.reset_stats()
                say({})
            elif do == "churn":
                report = churn(env, command["seed"], command["fraction"])
                say({"edited": len(report.edited), "touched": len(report.tasks_touched)})
            elif do == "compare":
                say({"problems": compare(command["store"], env)})
            else:
                say({"error": f"unknown command {do!r}"})
    finally:
        sandbox.stop()


def say(answer: Any) -> None:
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


def compare(store_url: str, env: Any) -> list[str]:
    """The store against the environment's snapshot: every live project, bucket, task,
    assignment and allocation, value by value (the rules of tests/dataverse_env.py: progress
    a fraction, a summary's effort not its estimate, dates as UTC days, a done task completed
    at its actual end), and every referenced
    person with their email. Returns the first problems found (empty: a match)."""
    from sqlalchemy import select

    from pmosync.canonical.tables import ENTITY_TABLES
    from pmosync.canonical.types import (
        Allocation,
        Assignment,
        PersonIdentity,
        Phase,
        Project,
        Task,
    )
    from pmosync.sandbox.dataverse.snapshot import environment_snapshot

    truth = environment_snapshot(env)
    problems: list[str] = []
    store = Store.open(store_url)

    def live(model: type) -> dict[str, Any]:
        table = ENTITY_TABLES[model]
        query = select(table).where(table.c.source == SOURCE, table.c.deleted_at.is_(None))
        with store.engine.connect() as connection:
            return {row.source_id: row._mapping for row in connection.execute(query)}

    def text(value: str | None) -> str | None:
        return value.replace("\x00", "") if value else value

    def day(value: str | None) -> date | None:
        return date.fromisoformat(value) if value else None

    def moment(value: Any) -> Any:
        """A datetime as aware UTC (SQLite gives back naive UTC, PostgreSQL aware)."""
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value

    def same(a: Any, b: Any) -> bool:
        if isinstance(a, float) or isinstance(b, float):
            return a is not None and b is not None and abs(a - b) < 1e-6
        return a == b

    def check(model: type, wanted: dict[str, dict[str, Any]]) -> None:
        have = live(model)
        if set(have) != set(wanted):
            missing, extra = set(wanted) - set(have), set(have) - set(wanted)
            problems.append(f"{model.entity}: {len(missing)} missing, {len(extra)} extra")
        for key in sorted(set(have) & set(wanted)):
            for column, value in wanted[key].items():
                stored = have[key][column]
                stored = sorted(stored) if isinstance(stored, list) else moment(stored)
                if not same(stored, value):
                    problems.append(f"{model.entity} {key}.{column}: {stored!r} != {value!r}")

    def status(progress: float | None) -> str:
        p = progress or 0
        return "done" if p >= 1 else "not_started" if p <= 0 else "in_progress"

    ref = {model: (lambda i, m=model: m.ref(SOURCE, i) if i else None)
           for model in (Project, Phase, Task, PersonIdentity)}  # fmt: skip
    try:
        check(Project, {pid: {
            "name": text(p["name"]), "owner_identity_id": ref[PersonIdentity](p["manager"]),
            "status": "archived" if p["statecode"] == 1
            else "completed" if (p["progress"] or 0) >= 1 else "active",
            "start_date": day(p["start"]), "due_date": day(p["finish"]),
        } for pid, p in truth["projects"].items()})  # fmt: skip
        check(Phase, {bid: {"name": text(b["name"]), "project_id": ref[Project](b["project"])}
                      for bid, b in truth["buckets"].items()})  # fmt: skip
        check(Task, {tid: {
            "name": text(t["subject"]), "project_id": ref[Project](t["project"]),
            "phase_id": ref[Phase](t["bucket"]), "parent_id": ref[Task](t["parent"]),
            "is_milestone": t["milestone"], "status": status(t["progress"]),
            "percent_complete": float((t["progress"] or 0) * 100),
            "estimate_hours": None if t["summary"] else t["effort"],
            "start_date": day(t["start"]), "due_date": day(t["end"]),
            "dependency_ids": sorted(Task.ref(SOURCE, p) for p in t["predecessors"]),
            "completed_at": datetime.fromisoformat(t["actualend"])
            if t["actualend"] and (t["progress"] or 0) >= 1 else None,
        } for tid, t in truth["tasks"].items()})  # fmt: skip
        check(Assignment, {aid: {"task_id": ref[Task](a["task"]),
                                 "identity_id": ref[PersonIdentity](a["person"])}
                           for aid, a in truth["assignments"].items()})  # fmt: skip
        check(Allocation, {aid: {
            "identity_id": ref[PersonIdentity](a["person"]),
            "project_id": ref[Project](a["project"]),
            "start_date": day(a["start"]), "end_date": day(a["finish"]), "hours": a["effort"],
        } for aid, a in truth["assignments"].items()})  # fmt: skip
        identities = live(PersonIdentity)
        for key, person in truth["people"].items():
            row = identities.get(key)
            email = person["email"].strip().lower() if person["email"] else None
            if row is None or row["email"] != email:
                problems.append(f"person_identity {key}: {row and row['email']!r} != {email!r}")
    finally:
        store.close()
    return problems[:10]


# -- the syncing side ------------------------------------------------------------------------


class Sandbox:
    """The ``--serve`` child, one command per call."""

    def __init__(self, size: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--size", size],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.described = self._read()

    def _read(self) -> Any:
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line:
            self.process.kill()
            raise SystemExit("the Dataverse sandbox did not answer")
        return json.loads(line)

    def __call__(self, do: str, **arguments: Any) -> Any:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"do": do, **arguments}) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def paging_minimum(counts: dict[str, int], fixed: int, page_size: int) -> int:
    """max(1, ceil(rows / page_size)) per table read, plus ``fixed`` (EntityDefinitions and
    WhoAmI, as made)."""
    return fixed + sum(max(1, math.ceil(counts[t] / page_size)) for t in READ_TABLES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="S", choices=["XS", "S", "M"])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.size)
        return
    sandbox = Sandbox(args.size)
    try:
        with tempfile.TemporaryDirectory() as folder:
            config_path = Path(folder) / "pmosync.yaml"
            config_path.write_text(
                "store: sqlite:///bench.db\nconnectors:\n"
                f"  {SOURCE}:\n    type: planner_premium\n"
                f"    environment: {sandbox.described['environment']}\n"
                f"    token: ${{TOKEN}}\n    page_size: {PAGE_SIZE}\n",
                encoding="utf-8",
            )
            config = load_config(config_path, environ={"TOKEN": sandbox.described["token"]})
            store_url = f"sqlite:///{Path(folder) / 'bench.db'}"
            counts = sandbox("counts")
            store = Store.open(config.store, base_dir=config_path.parent)
            sandbox("reset_stats")
            started = time.perf_counter()
            full = run_sync(config, store).connectors
            full_s = time.perf_counter() - started
            peak_mb = peak_rss_mb()
            stats_full = sandbox("stats")
            full_problems = sandbox("compare", store=store_url)["problems"]
            churned = sandbox("churn", seed=2, fraction=0.01)
            sandbox("reset_stats")
            started = time.perf_counter()
            incremental = run_sync(config, store).connectors
            incremental_s = time.perf_counter() - started
            stats_incremental = sandbox("stats")
            store.close()
            problems = sandbox("compare", store=store_url)["problems"]
    finally:
        sandbox.close()
    failed = [f"{r.name}: {r.error or [s.error for s in r.streams if s.error]}"
              for r in full + incremental if r.failed]  # fmt: skip
    for line in failed + full_problems + problems:
        print(line, file=sys.stderr)
    endpoints = stats_full["by_endpoint"]
    fixed = endpoints.get("GET EntityDefinitions", 0) + endpoints.get("GET WhoAmI", 0)
    minimum = paging_minimum(counts, max(fixed, 1), PAGE_SIZE)
    requests_full = stats_full["total"]
    requests_incremental = stats_incremental["total"]
    emit(
        {
            "bench": "dataverse_sync",
            "size": args.size,
            "tasks": counts["msdyn_projecttask"],
            "page_size": PAGE_SIZE,
            "requests_full": requests_full,
            "paging_minimum": minimum,
            "requests_full_ratio": round(requests_full / minimum, 3),
            "tasks_churned": churned["touched"],
            "requests_incremental": requests_incremental,
            "incremental_ratio": round(requests_incremental / requests_full, 3),
            "peak_rss_mb": peak_mb,
            "seconds_full": round(full_s, 2),
            "seconds_incremental": round(incremental_s, 2),
            "ground_truth_match": not (failed or full_problems or problems),
        }
    )


if __name__ == "__main__":
    main()
