"""Scale-out: 40 connectors synced by the embedded daemon's code path and by Temporal workers.

Half the connectors are Asana, half Planner, against sandboxes with 50 ms added latency that run
in a process of their own (so neither engine shares a CPU-bound process with them). Asana
connectors read four projects each of a workspace, by default each workspace with a token of its
own (``--asana-per-token``, up to 20 on one; quota 1,500 a minute, Asana's paid plan); Planner
connectors read one group each of one tenant with its one app (quota 3,000 a minute, an
operator's choice: Graph publishes none for Planner). One to a token, the syncs wait on latency
and ``overhead_ratio`` shows the engine's own cost. With several to a token the syncs of one
token also wait on each other's quota, so the order each engine starts them in weighs: the
daemon follows the YAML (whose workspaces take turns), Temporal its task queue; with 5 to a
token that order alone made Temporal 1.3 x the daemon (measured, docs/deploy.md).
``--asana-per-token 20`` puts every Asana connector on one token: at size S they need over a
minute of its quota, the syncs are quota-bound, and the sliding minute shows the limiter
holding across worker processes (with ``--quota-store ''`` it does not: each process then
limits alone).

Measured, each run on a fresh SQLite store (a full sync) at the same total concurrency C:
- ``daemon_s``: ``run_sync(config, store)`` over every connector with
  ``sync.max_parallel_connectors = C``, in this process: the path the embedded daemon takes;
- ``temporal_s``: a Temporal dev server (``temporal server start-dev``) with 1, 2 and 4
  ``pmosync worker`` processes of ``--max-concurrent C / workers`` each; every connector's sync
  workflow is started at once (as ``pmosync sync`` does) and timed until all have completed.
Each figure is the fastest of ``--repeat`` rounds (the runs alternate, so load from elsewhere
on the machine falls on every engine alike). ``overhead_ratio`` = temporal_s["1"] / daemon_s
(target <= 1.2). ``max_requests_per_min_per_token`` is read from the sandboxes' own request
log (the most requests of one token in any sliding 60 s, over every run); ``quota`` is that
token's configured ``requests_per_minute`` (target: never above it);
``max_requests_per_6s_x10`` is the same token's busiest 6 s, ten times over (a burst a minute
hides; pmosync's limiter lets through 90 % of the quota, evenly). With several worker
processes a token's quota holds only through ``sync.quota_store`` (``--quota-store``, Redis);
without one each process has its own limiter.

On stderr: the per-connector cost (worker slot-seconds and CPU-seconds per connector sync, from
the ledger and /proc) and the workers that cost implies for 1,000 connectors every 30 minutes.

    python bench/scale_out.py [--size XS|S] [--connectors 40] [--workers 1,2,4] [--concurrency 4]
                              [--asana-per-token 1] [--repeat 2]
                              [--quota-store redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import emit  # noqa: E402

from pmosync.config import PmosyncConfig, load_config  # noqa: E402
from pmosync.connectors.limiter import HEADROOM  # noqa: E402
from pmosync.sandbox.asana import AsanaSandbox  # noqa: E402
from pmosync.sandbox.graph import GraphSandbox  # noqa: E402
from pmosync.sandbox.http import bearer  # noqa: E402
from pmosync.sandbox.org import OrgSize, generate_org  # noqa: E402
from pmosync.sandbox.tenant import TenantSize, generate_tenant  # noqa: E402
from pmosync.store import Store  # noqa: E402
from pmosync.sync.run import run_sync  # noqa: E402

ASANA_PER_TOKEN = 20
"""Asana connectors sharing one workspace and its token, at most (``--asana-per-token``)."""
ASANA_PER_TOKEN_DEFAULT = 1
PROJECTS_PER_CONNECTOR = 4
PLANNER_PER_TOKEN = 20
"""Planner connectors sharing one tenant and its app (one group each)."""
ASANA_QUOTA = 1500
PLANNER_QUOTA = 3000
ORGS = {
    "XS": OrgSize(projects=80, tasks=800, people=6, time_entries=800, teams=2, portfolios=1),
    "S": OrgSize(projects=80, tasks=12000, people=30, time_entries=24000, teams=4, portfolios=3),
}
"""Per workspace: four projects per connector, each about as big as the S org's (150 tasks).
At S, the twenty connectors of a workspace need more requests than its token's quota allows
in a minute, so the token is quota-bound for over a minute and the limiter is measured."""
TENANTS = {
    "XS": TenantSize(groups=20, plans=20, tasks=120, people=6, timesheet_weeks=1),
    "S": TenantSize(groups=20, plans=40, tasks=3600, people=30, timesheet_weeks=1),
}
EVERY_S = 30 * 60
"""The schedule of the 1,000-connector estimate: every connector synced every 30 minutes."""
ESTIMATE_CONNECTORS = 1000


# --- the sandboxes, in a process of their own --------------------------------------------------


class _Log:
    """When each request of each token arrived (the sandbox's own stats keep neither)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {}

    def note(self, label: str) -> None:
        with self.lock:
            self.times.setdefault(label, []).append(time.time())

    def take(self) -> dict[str, list[float]]:
        with self.lock:
            taken, self.times = self.times, {}
        return taken


LOG = _Log()


def _logged(base: type) -> type:
    """``base`` (a sandbox class) noting each API request's token and arrival; controls aside."""

    class Logged(base):  # type: ignore[misc, valid-type]
        labels: dict[str | None, str] = {}

        def handle(self, handler: BaseHTTPRequestHandler) -> None:
            if "/_sandbox/" not in handler.path:
                token = bearer(handler.headers.get("Authorization"))
                LOG.note(self.labels.get(token, "unknown token"))
            super().handle(handler)

    return Logged


def serve(size: str, connectors: int, latency_s: float, run_key: str, per_token: int) -> None:
    """Start the sandboxes, print what they are (one JSON line), then answer stdin: ``log``
    prints each token's request times since the last ``log``; end of input stops."""
    asana_n, planner_n = (connectors + 1) // 2, connectors // 2
    described: dict[str, list[dict[str, Any]]] = {"asana": [], "graph": []}
    for index in range(math.ceil(asana_n / per_token)):
        token, label = f"asana-{run_key}-{index}", f"asana workspace {index}"
        org = generate_org(100 + index, ORGS[size])
        sandbox = _logged(AsanaSandbox)(org, token=token, latency_s=latency_s)
        sandbox.labels = {token: label}
        projects = sorted(org.projects)
        described["asana"].append(
            {
                "base_url": sandbox.start().base_url,
                "token": token,
                "label": label,
                "workspace": org.workspace.gid,
                "scopes": [
                    projects[PROJECTS_PER_CONNECTOR * i : PROJECTS_PER_CONNECTOR * (i + 1)]
                    for i in range(per_token)
                ],
            }
        )
    for index in range(math.ceil(planner_n / PLANNER_PER_TOKEN)):
        token, label = f"graph-{run_key}-{index}", f"planner tenant {index}"
        tenant = generate_tenant(200 + index, TENANTS[size])
        sandbox = _logged(GraphSandbox)(tenant, token=token, latency_s=latency_s)
        sandbox.labels = {token: label}
        described["graph"].append(
            {
                "base_url": sandbox.start().base_url,
                "token": token,
                "label": label,
                "groups": sorted(tenant.groups),
            }
        )
    sys.stdout.write(json.dumps(described) + "\n")
    sys.stdout.flush()
    for line in sys.stdin:
        if line.strip() == "log":
            sys.stdout.write(json.dumps(LOG.take()) + "\n")
            sys.stdout.flush()


class Sandboxes:
    """The sandbox process, seen from the bench."""

    def __init__(self, size: str, connectors: int, latency_s: float, per_token: int) -> None:
        command = [
            sys.executable,
            __file__,
            "--serve",
            "--size",
            size,
            "--connectors",
            str(connectors),
            "--asana-per-token",
            str(per_token),
            "--latency",
            str(latency_s),
            "--run-key",
            uuid.uuid4().hex[:8],
        ]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line:
            self.process.kill()
            raise SystemExit("the sandboxes did not start")
        self.described = json.loads(line)

    def request_log(self) -> dict[str, list[float]]:
        """Each token's request times since the last call."""
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write("log\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def stop(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def connectors_yaml(
    described: dict[str, Any], connectors: int
) -> tuple[str, dict[str, int], Counter[str]]:
    """The connectors: block, each token label's configured quota and how many connectors
    use it. Asana and Planner connectors alternate, and Asana's workspaces take turns, so both
    engines (each starting syncs in the YAML's order) keep every token busy from the start:
    listed token by token, the daemon would spend one token's quota after another's."""
    asana_n, planner_n = (connectors + 1) // 2, connectors // 2
    blocks: list[list[str]] = []
    quotas: dict[str, int] = {}
    sharing: Counter[str] = Counter()
    for i in range(asana_n):
        spaces = len(described["asana"])
        ws = described["asana"][i % spaces]
        projects = ", ".join(f'"{gid}"' for gid in ws["scopes"][i // spaces])
        quotas[ws["label"]] = ASANA_QUOTA
        sharing[ws["label"]] += 1
        blocks.append(
            [
                f"  asana-{i:02d}:",
                "    type: asana",
                f"    token: {ws['token']}",
                f'    workspace: "{ws["workspace"]}"',
                f"    base_url: {ws['base_url']}",
                f"    projects: [{projects}]",
                f"    requests_per_minute: {ASANA_QUOTA}",
            ]
        )
    for i in range(planner_n):
        tenant = described["graph"][i // PLANNER_PER_TOKEN]
        group = tenant["groups"][i % PLANNER_PER_TOKEN]
        quotas[tenant["label"]] = PLANNER_QUOTA
        sharing[tenant["label"]] += 1
        blocks.insert(
            2 * i + 1,
            [
                f"  planner-{i:02d}:",
                "    type: planner",
                f"    token: {tenant['token']}",
                f"    base_url: {tenant['base_url']}",
                f'    groups: ["{group}"]',
                f"    requests_per_minute: {PLANNER_QUOTA}",
            ],
        )
    text = "\n".join(["connectors:", *(line for block in blocks for line in block)]) + "\n"
    return text, quotas, sharing


def most_in_any(times: list[float], span: float = 60.0) -> int:
    """The most of ``times`` inside any sliding window [t, t + span)."""
    times, most, first = sorted(times), 0, 0
    for last, at in enumerate(times):
        while times[first] <= at - span:
            first += 1
        most = max(most, last - first + 1)
    return most


# --- Temporal: a dev server and worker processes -------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_temporal(folder: Path, db_file: bool = True) -> tuple[subprocess.Popen, str]:
    """``temporal server start-dev`` on free loopback ports (as tests/temporal_env.py starts
    it), ready once its default namespace answers."""
    cli = Path(sys.executable).parent / "temporal"
    port = _free_port()
    log = open(folder / "temporal-server.log", "wb")  # noqa: SIM115 - kept for the process
    process = subprocess.Popen(
        [
            str(cli),
            "server",
            "start-dev",
            "--headless",
            "--ip",
            "127.0.0.1",
            "--port",
            str(port),
            "--ui-port",
            str(_free_port()),
            *(["--db-filename", str(folder / "temporal.db")] if db_file else []),
            "--log-level",
            "error",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if asyncio.run(_answers(address)):
            return process, address
        time.sleep(0.3)
    _stop(process, 15)
    raise SystemExit("temporal server start-dev did not become ready within 60 s")


async def _answers(address: str) -> bool:
    from temporalio.client import Client

    try:
        await (await Client.connect(address, namespace="default")).count_workflows()
    except Exception:  # noqa: BLE001 - not up yet
        return False
    return True


def _stop(process: subprocess.Popen, wait_s: float) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(wait_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process so far (every thread), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _pollers(address: str, queue: str) -> int:
    """Workers polling the queue for activities (each polls under its own identity)."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
    from temporalio.client import Client

    client = await Client.connect(address, namespace="default")
    answer = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace="default",
            task_queue=TaskQueue(name=queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        )
    )
    return len({poller.identity for poller in answer.pollers})


async def _sync_all(config: PmosyncConfig) -> list[Any]:
    """Every connector's sync workflow started at once and awaited (``pmosync sync``'s way)."""
    from pmosync.orchestration.temporal.connect import Target, connect
    from pmosync.orchestration.temporal.submit import sync_on_temporal

    target = Target.of(config)
    client = await connect(config, target)
    return await sync_on_temporal(client, config, target, list(config.connectors))


# --- one measured run ------------------------------------------------------------------------


@dataclass
class Measured:
    seconds: float
    failed: list[str]
    cpu_s: float
    """CPU of whoever ran the syncs (this process, or the workers), during the run."""
    slot_s: list[float]
    """Each connector sync's span in the ledger (started to ended), where it has one of its own."""
    requests: dict[str, list[float]]
    server_cpu_s: float = 0.0
    """CPU of the Temporal server during the run (the daemon has none)."""


def write_config(
    folder: Path, connectors: str, concurrency: int, quota_store: str | None, temporal: str = ""
) -> Path:
    folder.mkdir()
    path = folder / "pmosync.yaml"
    store = f"sqlite:///{folder / 'store.db'}"
    quota = f"  quota_store: {quota_store}\n" if quota_store else ""
    path.write_text(
        f"store: {store}\n{temporal}sync:\n  max_parallel_connectors: {concurrency}\n{quota}"
        + connectors,
        encoding="utf-8",
    )
    return path


def connector_spans(config: PmosyncConfig) -> list[float]:
    store = Store.open(config.store, base_dir=config.config_path.parent)
    try:
        rows = store.ledger.recent_runs(limit=10_000, kind="sync")
    finally:
        store.close()
    return [
        (row["ended_at"] - row["started_at"]).total_seconds()
        for row in rows
        if row["connector"] is not None and row["ended_at"] is not None
    ]


def run_daemon(path: Path, sandboxes: Sandboxes) -> Measured:
    config = load_config(path)
    store = Store.open(config.store, base_dir=config.config_path.parent)
    sandboxes.request_log()  # forget what came before
    try:
        cpu = time.process_time()
        started = time.perf_counter()
        result = run_sync(config, store)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
    finally:
        store.close()
    failed = [c.name for c in result.connectors if c.failed] or (["run"] if result.failed else [])
    return Measured(seconds, failed, cpu, [], sandboxes.request_log())


def run_temporal(
    path: Path,
    sandboxes: Sandboxes,
    server: subprocess.Popen,
    address: str,
    workers: int,
    concurrency: int,
) -> Measured:
    config = load_config(path)
    queue = config.temporal.task_queue
    per_worker = str(max(1, concurrency // workers))
    processes = []
    for index in range(workers):
        log = open(path.parent / f"worker-{index}.log", "wb")  # noqa: SIM115
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "pmosync",
                    "worker",
                    "-c",
                    str(path),
                    "--max-concurrent",
                    per_worker,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    try:
        deadline = time.monotonic() + 60
        while asyncio.run(_pollers(address, queue)) < workers:
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                raise SystemExit(f"the workers did not start; see {path.parent}/worker-*.log")
            time.sleep(0.2)
        sandboxes.request_log()
        cpu = sum(cpu_seconds(p.pid) for p in processes)
        server_cpu = cpu_seconds(server.pid)
        started = time.perf_counter()
        submitted = asyncio.run(_sync_all(config))
        seconds = time.perf_counter() - started
        cpu = sum(cpu_seconds(p.pid) for p in processes) - cpu
        server_cpu = cpu_seconds(server.pid) - server_cpu
        requests = sandboxes.request_log()
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            _stop(process, 40)
    failed = [s.connector for s in submitted if s.failed]
    return Measured(seconds, failed, cpu, connector_spans(config), requests, server_cpu)


def temporal_yaml(address: str) -> str:
    return (
        "engine: temporal\ntemporal:\n"
        f'  address: "{address}"\n  task_queue: bench-{uuid.uuid4().hex[:10]}\n'
    )


# --- the figures ----------------------------------------------------------------------------


def busiest_token(runs: list[Measured], quotas: dict[str, int]) -> tuple[str, int, int]:
    """The token whose busiest sliding minute came closest to (or over) its quota, with that
    minute's requests and its busiest sliding 6 s x 10 (a burst a minute-long count hides)."""
    busiest = {
        label: max(most_in_any(run.requests.get(label, [])) for run in runs) for label in quotas
    }
    for label in quotas:
        burst = max(most_in_any(run.requests.get(label, []), 6.0) for run in runs) * 10
        say(
            f"{label}: {busiest[label]} requests in its busiest sliding minute, {burst}/min "
            f"in its busiest 6 s; quota {quotas[label]}"
        )
    label = max(busiest, key=lambda name: busiest[name] / quotas[name])
    burst = max(most_in_any(run.requests.get(label, []), 6.0) for run in runs) * 10
    return label, busiest[label], burst


def estimate(cost: Measured, connectors: int, slots_per_worker: int) -> dict[str, float]:
    """Workers for 1,000 connectors every 30 minutes at the measured cost, bounded by slots
    (a sync holds a slot for its span, waits included) and by CPU (a worker is one Python
    process: about one core, whatever its slots)."""
    slot_s = sum(cost.slot_s) / len(cost.slot_s)
    cpu_s = cost.cpu_s / connectors
    by_slots = ESTIMATE_CONNECTORS * slot_s / (slots_per_worker * EVERY_S)
    by_cpu = ESTIMATE_CONNECTORS * cpu_s / EVERY_S
    return {"slot_s": slot_s, "cpu_s": cpu_s, "by_slots": by_slots, "by_cpu": by_cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="S", choices=sorted(ORGS))
    parser.add_argument("--connectors", type=int, default=40)
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
    parser.add_argument("--concurrency", type=int, default=4, help="total syncs at once (C)")
    parser.add_argument("--latency", type=float, default=0.05, help="added per request, s")
    parser.add_argument(
        "--repeat", type=int, default=2, help="rounds of every run; each figure is its fastest"
    )
    parser.add_argument(
        "--asana-per-token",
        type=int,
        default=ASANA_PER_TOKEN_DEFAULT,
        choices=range(1, ASANA_PER_TOKEN + 1),
        metavar=f"1..{ASANA_PER_TOKEN}",
        help="Asana connectors sharing one workspace token",
    )
    parser.add_argument(
        "--quota-store",
        default="redis://127.0.0.1:6379/0",
        help="sync.quota_store shared by the workers; '' for none (a limiter per process)",
    )
    parser.add_argument(
        "--server-db",
        choices=("file", "memory"),
        default="file",
        help="the dev server's persistence: a SQLite file (as a trial would run it) or memory "
        "(its single-file writes out of the engine's overhead; a real cluster has neither)",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--run-key", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.size, args.connectors, args.latency, args.run_key, args.asana_per_token)
        return
    counts = [int(n) for n in args.workers.split(",")]
    quota_store = reachable(args.quota_store or None)

    sandboxes = Sandboxes(args.size, args.connectors, args.latency, args.asana_per_token)
    connectors, quotas, sharing = connectors_yaml(sandboxes.described, args.connectors)
    every: list[Measured] = []
    best: dict[str, Measured] = {}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        server, address = start_temporal(folder, db_file=args.server_db == "file")
        try:
            for round_ in range(args.repeat):
                for workers in [0, *counts]:
                    engine, key = (
                        ("daemon", "daemon") if not workers else ("temporal", str(workers))
                    )
                    path = write_config(
                        folder / f"{key}-{round_}",
                        connectors,
                        args.concurrency,
                        quota_store,
                        temporal_yaml(address) if workers else "",
                    )
                    if workers:
                        run = run_temporal(
                            path, sandboxes, server, address, workers, args.concurrency
                        )
                        how = f"temporal, {workers} worker(s) x {args.concurrency // workers}"
                    else:
                        run = run_daemon(path, sandboxes)
                        how = f"daemon, {args.concurrency} at once"
                    say(
                        f"{how}: {run.seconds:.1f} s, CPU {run.cpu_s:.1f} s "
                        f"(Temporal server {run.server_cpu_s:.1f} s), "
                        f"{len(run.slot_s) or '-'} activity attempts, failed {run.failed}"
                    )
                    every.append(run)
                    if key not in best or run.seconds < best[key].seconds:
                        best[key] = run
        finally:
            _stop(server, 15)
            sandboxes.stop()

    daemon = best.pop("daemon")
    temporal = {str(n): best[str(n)] for n in counts}
    runs = every
    label, busiest, burst = busiest_token(runs, quotas)
    for token, quota in quotas.items():
        per_sync = len(daemon.requests.get(token, [])) / sharing[token]
        most = quota * HEADROOM * EVERY_S / 60 / per_sync
        say(
            f"{token}: {per_sync:.0f} requests per full connector sync; at {quota}/min "
            f"(x {HEADROOM} headroom) one token serves at most {most:.0f} such syncs every "
            f"{EVERY_S // 60} min"
        )
    alone = 1 if 1 in counts else counts[0]
    cost, slots = temporal[str(alone)], args.concurrency // alone
    figures = estimate(cost, args.connectors, slots)
    say(
        f"per connector sync on {alone} worker(s) of {slots} slots: {figures['slot_s']:.2f} "
        f"worker slot-seconds, {figures['cpu_s']:.3f} CPU-seconds (the daemon: "
        f"{daemon.cpu_s / args.connectors:.3f} CPU-seconds)"
    )
    say(
        f"{ESTIMATE_CONNECTORS} connectors every {EVERY_S // 60} min at that cost: "
        f"{figures['by_slots']:.2f} workers of {slots} slots kept busy, {figures['by_cpu']:.2f} "
        f"cores of CPU -> at least {math.ceil(max(figures['by_slots'], figures['by_cpu']))} "
        "worker(s) at 100 % busy"
    )
    emit(
        {
            "bench": "scale_out",
            "size": args.size,
            "connectors": args.connectors,
            "concurrency": args.concurrency,
            "asana_per_token": args.asana_per_token,
            "repeat": args.repeat,
            "daemon_s": round(daemon.seconds, 2),
            "temporal_s": {n: round(run.seconds, 2) for n, run in temporal.items()},
            "overhead_ratio": round(cost.seconds / daemon.seconds, 2),
            "max_requests_per_min_per_token": busiest,
            "quota": quotas[label],
            "max_requests_per_6s_x10": burst,
            "quota_store": quota_store is not None,
            "slot_s_per_connector": round(figures["slot_s"], 2),
            "cpu_s_per_connector": round(figures["cpu_s"], 3),
            "workers_for_1000_every_30min": math.ceil(max(figures["by_slots"], figures["by_cpu"])),
            "failed": sorted({name for run in runs for name in run.failed}),
        }
    )
    if any(run.failed for run in runs):
        raise SystemExit("some syncs failed: their times measure nothing")


def reachable(quota_store: str | None) -> str | None:
    """The quota store if it answers; else None, said on stderr (each process then limits
    alone, and several workers may together exceed a token's quota)."""
    if quota_store is None:
        return None
    try:
        import redis

        redis.Redis.from_url(quota_store, socket_connect_timeout=2).ping()
    except Exception as error:  # noqa: BLE001 - any reason: run without it, and say so
        say(f"quota store {quota_store} unreachable ({error}): each worker limits alone")
        return None
    return quota_store


def say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


if __name__ == "__main__":
    main()
