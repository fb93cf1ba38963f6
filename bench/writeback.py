"""Write-back cost: the requests an apply makes per owned value that really had to change.

Starts the Asana and Microsoft Graph sandboxes in their own process (this script with
``--serve``: ``pmosync sandbox``'s organisation plus the project field "PMO RAG" a PMO creates
for pmosync to own), syncs everything in full, applies write-back once (``first``: what it
wrote, per field), has both sandboxes churn 5% of their tasks (their mutate control) so some
computed RAGs move, syncs again and applies again:

- ``changed_items``: the owned values the second apply changed in the tools, ground truth from
  the sandboxes' snapshots before and after it (each project's PMO RAG option, marked status
  updates posted, each plan's label, its PMO status task's title and description);
- ``requests_apply``: every request both sandboxes received during that apply (their stats),
  reads included; ``ratio`` = requests_apply / changed_items, target <= 1.1;
- then a third apply with nothing changed: ``writes_unchanged_rerun`` (write requests sent,
  target 0) and ``requests_unchanged_rerun``.

    python bench/writeback.py [--size XS|S|M]
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import emit  # noqa: E402
from _sandbox import control  # noqa: E402

from pmosync.config import PmosyncConfig, load_config  # noqa: E402
from pmosync.contracts.writeback import marked  # noqa: E402
from pmosync.store import Store  # noqa: E402
from pmosync.sync.run import run_sync  # noqa: E402
from pmosync.writeback.run import WritebackOutcome, run_writeback  # noqa: E402

ASANA = "asana-bench"
PLANNER = "planner-bench"
RAG_FIELD = "PMO RAG"
BUCKET = "PMO"
CATEGORY = "category25"
OPTIONS = ("Green", "Amber", "Red", "On hold", "Complete")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
READ_BATCHES = ("POST /batch", "POST /$batch")


def serve(size: str) -> None:
    """The sandboxes as ``pmosync sandbox`` runs them, with the owned field; prints the same
    JSON line and serves until SIGTERM."""
    from pmosync.sandbox import asana, graph

    running = asana.serve(size, 1)
    org = running.org
    org.add_custom_field(RAG_FIELD, "enum", options=OPTIONS, projects=sorted(org.projects))
    people = [(person.name, person.email) for person in org.people.values()]
    microsoft = graph.serve(size, 1, people=people, page_size=100)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    line = {
        "asana": {"base_url": running.base_url, "token": running.token,
                  "workspace": org.workspace.gid},
        "graph": {"base_url": microsoft.base_url, "token": microsoft.token,
                  "groups": sorted(microsoft.tenant.groups)},
    }  # fmt: skip
    print(json.dumps(line), flush=True)
    try:
        stop.wait()
    finally:
        running.stop()
        microsoft.stop()


def start(size: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    command = [sys.executable, __file__, "--serve", "--size", size]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline() if process.stdout else ""
    if not line:
        process.kill()
        raise SystemExit("the sandboxes did not start")
    return process, json.loads(line)


def write_config(folder: Path, asana: dict, graph: dict) -> PmosyncConfig:
    groups = ", ".join(f'"{g}"' for g in graph["groups"])
    path = folder / "pmosync.yaml"
    path.write_text(
        "store: sqlite:///bench.db\nsync:\n  max_parallel_connectors: 2\nconnectors:\n"
        f"  {ASANA}:\n    type: asana\n    token: ${{ASANA}}\n"
        f'    workspace: "{asana["workspace"]}"\n    base_url: {asana["base_url"]}\n'
        "    max_concurrency: 4\n"
        "    writeback:\n      report: weekly\n      link: https://pmo.example/weekly\n"
        f"      status_updates: {{}}\n      rag_field: {{field: {RAG_FIELD}}}\n"
        f"  {PLANNER}:\n    type: planner\n    token: ${{GRAPH}}\n"
        f"    base_url: {graph['base_url']}\n    groups: [{groups}]\n"
        "    writeback:\n      report: weekly\n      link: https://pmo.example/weekly\n"
        f"      label: {{category: {CATEGORY}}}\n      status_task: {{bucket: {BUCKET}}}\n"
        "reports:\n  weekly:\n    kind: portfolio_status\n",
        encoding="utf-8",
    )
    return load_config(path, environ={"ASANA": asana["token"], "GRAPH": graph["token"]})


def owned_values(asana: dict, graph: dict) -> dict[tuple[str, ...], str | None]:
    """Every owned value both tools show now, by (what, item): ground truth for what an
    apply changed. A status update is its own item (posted once, never edited)."""
    org = control(asana, "GET", "snapshot")
    owned: dict[tuple[str, ...], str | None] = {}
    field = next(f for f in org["custom_fields"] if f["name"] == RAG_FIELD)
    names = {option["gid"]: option["name"] for option in field["options"]}
    for project in org["projects"]:
        owned["rag_field", project["gid"]] = names.get(project["custom"].get(field["gid"]))
    for update in org["status_updates"]:
        if marked(update["text"]):
            owned["status_update", update["gid"]] = update["status_type"]
    tenant = control(graph, "GET", "snapshot")
    buckets = {b["id"] for b in tenant["buckets"] if b["name"].strip().casefold() == "pmo"}
    for plan in tenant["plans"]:
        owned["label", plan["id"]] = plan["category_descriptions"].get(CATEGORY)
    for task in tenant["tasks"]:
        if task["bucket_id"] in buckets:
            owned["status_task", task["id"]] = task["title"]
            owned["status_note", task["id"]] = task["description"]
    return owned


def changed(before: dict, after: dict) -> int:
    return sum(1 for key in before.keys() | after.keys() if before.get(key) != after.get(key))


def requests(asana: dict, graph: dict) -> tuple[int, int]:
    """(every request, write requests) both sandboxes received since their stats reset."""
    total = writes = 0
    for sandbox in (asana, graph):
        stats = control(sandbox, "GET", "stats")
        total += stats["total"]
        writes += sum(
            count
            for endpoint, count in stats["by_endpoint"].items()
            if endpoint.split(" ")[0] in WRITE_METHODS and endpoint not in READ_BATCHES
        )
    return total, writes


def applied(config: PmosyncConfig, store: Store, today: date) -> WritebackOutcome:
    outcome = run_writeback(config, store, apply=True, today=today)
    if outcome.status != "succeeded":
        raise SystemExit(f"write-back failed: {outcome.error}")
    return outcome


def actions(outcome: WritebackOutcome) -> dict[str, int]:
    """How many changes ended as each action, by field (``rag_field:write``...)."""
    counted = Counter(
        f"{change.field}:{change.action}" for result in outcome.results for change in result.changes
    )
    return dict(sorted(counted.items()))


def reset(asana: dict, graph: dict) -> None:
    control(asana, "POST", "reset_stats")
    control(graph, "POST", "reset_stats")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="M", choices=["XS", "S", "M"])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.size)
        return
    process, described = start(args.size)
    asana, graph = described["asana"], described["graph"]
    try:
        with tempfile.TemporaryDirectory() as folder:
            config = write_config(Path(folder), asana, graph)
            today = date.fromisoformat(control(asana, "GET", "snapshot")["today"])
            with Store.open(config.store, base_dir=config.config_path.parent) as store:
                if run_sync(config, store).failed:
                    raise SystemExit("the full sync failed")
                reset(asana, graph)
                started = time.perf_counter()
                first = applied(config, store, today)
                first_s = time.perf_counter() - started
                first_requests, first_writes = requests(asana, graph)

                control(asana, "POST", "mutate", {"fraction": 0.05, "seed": 2})
                control(graph, "POST", "mutate", {"fraction": 0.05, "seed": 2})
                if run_sync(config, store).failed:
                    raise SystemExit("the incremental sync failed")
                before = owned_values(asana, graph)
                reset(asana, graph)
                started = time.perf_counter()
                second = applied(config, store, today)
                apply_s = time.perf_counter() - started
                requests_apply, writes_apply = requests(asana, graph)
                changed_items = changed(before, owned_values(asana, graph))

                reset(asana, graph)
                applied(config, store, today)
                requests_rerun, writes_rerun = requests(asana, graph)
    finally:
        process.terminate()
        process.wait(timeout=30)
    emit(
        {
            "bench": "writeback",
            "size": args.size,
            "first": actions(first),
            "first_requests": first_requests,
            "first_writes": first_writes,
            "first_s": round(first_s, 2),
            "second": actions(second),
            "changed_items": changed_items,
            "requests_apply": requests_apply,
            "writes_apply": writes_apply,
            "ratio": round(requests_apply / changed_items, 2) if changed_items else None,
            "apply_s": round(apply_s, 2),
            "writes_unchanged_rerun": writes_rerun,
            "requests_unchanged_rerun": requests_rerun,
        }
    )


if __name__ == "__main__":
    main()
