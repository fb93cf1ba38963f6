"""End-to-end sync cost: what mapping and storing add to the fetching no sync can avoid.

Starts ``pmosync sandbox`` (Asana and Microsoft Graph, unthrottled, no added latency) in its own
process and syncs an Asana workspace, every Planner group (with task details) and the weekly
timesheet workbooks of the Operations team into a fresh SQLite store, connectors side by side as
``pmosync sync`` runs them; then 1% of each tool's tasks change and an incremental sync follows.

Baseline, measured in the same run and before the sync: ``fetch_only_s``, the same connectors
reading the same pages over HTTP with the same parallelism, each page dropped as it arrives (no
mapping, no store). ``overhead_ratio`` = full_s / fetch_only_s; target <= 1.3, and peak RSS
< 500 MB on M. Ends with the store compared to both sandboxes' snapshots.

    python bench/sync_e2e.py [--size S|M]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import asana_sync  # noqa: E402
import planner_sync  # noqa: E402
from _measure import emit, peak_rss_mb  # noqa: E402
from _sandbox import control, start_sandbox  # noqa: E402

from pmosync.config import PmosyncConfig, load_config  # noqa: E402
from pmosync.store import Store  # noqa: E402
from pmosync.sync.run import run_sync  # noqa: E402
from pmosync.sync.sources import WORKBOOK_TYPES, open_source  # noqa: E402


def write_config(folder: Path, asana: dict, graph: dict) -> PmosyncConfig:
    groups = ", ".join(f'"{g}"' for g in graph["groups"])
    path = folder / "pmosync.yaml"
    path.write_text(
        "store: sqlite:///bench.db\nsync:\n  max_parallel_connectors: 2\nconnectors:\n"
        f"  {asana_sync.SOURCE}:\n    type: asana\n    token: ${{ASANA}}\n"
        f'    workspace: "{asana["workspace"]}"\n    base_url: {asana["base_url"]}\n'
        "    max_concurrency: 4\n"
        f"  {planner_sync.PLANNER}:\n    type: planner\n    token: ${{GRAPH}}\n"
        f"    base_url: {graph['base_url']}\n    groups: [{groups}]\n    task_details: true\n"
        f"  {planner_sync.TIMESHEETS}:\n    type: sharepoint_files\n    token: ${{GRAPH}}\n"
        f"    base_url: {graph['base_url']}\n    team: Operations\n    channel: Timesheets\n"
        "    sheet: Entries\n"
        "    columns: {person: Email, date: Date, hours: Hours, project: Project,"
        ' task: Task, billable: "Billable?"}\n',
        encoding="utf-8",
    )
    return load_config(path, environ={"ASANA": asana["token"], "GRAPH": graph["token"]})


def fetch_only(config: PmosyncConfig) -> int:
    """Every stream's pages read and dropped, connectors grouped and run side by side as the
    sync runs them; returns the records fetched."""

    def fetch(name: str) -> int:
        source, _ = open_source(name, config.connectors[name], base_dir=config.config_path.parent)
        try:
            return sum(
                len(page.records)
                for stream in source.streams()
                for page in stream.pages(None, full=True)
            )
        finally:
            source.close()

    tools = [n for n, c in config.connectors.items() if not isinstance(c, WORKBOOK_TYPES)]
    workbooks = [n for n in config.connectors if n not in tools]
    parallel = config.sync.max_parallel_connectors
    records = 0
    for group in (tools, workbooks):
        with ThreadPoolExecutor(parallel) as pool:
            records += sum(pool.map(fetch, group))
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="S", choices=["XS", "S", "M"])
    args = parser.parse_args()
    process, described = start_sandbox(args.size)
    asana, graph = described["asana"], described["graph"]
    try:
        with tempfile.TemporaryDirectory() as folder:
            config = write_config(Path(folder), asana, graph)
            started = time.perf_counter()
            records = fetch_only(config)
            fetch_only_s = time.perf_counter() - started

            store = Store.open(config.store, base_dir=config.config_path.parent)
            started = time.perf_counter()
            full = run_sync(config, store)
            full_s = time.perf_counter() - started

            control(asana, "POST", "mutate", {"fraction": 0.01, "seed": 2})
            control(graph, "POST", "mutate", {"fraction": 0.01, "seed": 2})
            started = time.perf_counter()
            incremental = run_sync(config, store)
            incremental_s = time.perf_counter() - started
            peak_mb = peak_rss_mb()  # before the snapshots are loaded to compare

            match = (
                not full.failed
                and not incremental.failed
                and asana_sync.ground_truth_match(store, control(asana, "GET", "snapshot"))
                and planner_sync.ground_truth_match(store, control(graph, "GET", "snapshot"))
            )
            store.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    emit(
        {
            "bench": "sync_e2e",
            "size": args.size,
            "records": records,
            "full_s": round(full_s, 2),
            "fetch_only_s": round(fetch_only_s, 2),
            "overhead_ratio": round(full_s / fetch_only_s, 2),
            "incremental_s": round(incremental_s, 2),
            "peak_rss_mb": peak_mb,
            "ground_truth_match": match,
        }
    )


if __name__ == "__main__":
    main()
