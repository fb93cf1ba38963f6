"""Shared pieces of the fault tests: one Asana + Graph sandbox pair serving the same people, a
config with an asana, a planner and a sharepoint_files connector, the sync subprocess, and the
ground truth comparison (read off the sandboxes' own data by ``asana_env`` and ``graph_env``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asana_env import SOURCE as ASANA
from asana_env import differences
from graph_env import (
    PLANNER,
    planner_differences,
    planner_yaml,
    stored_entries,
    timesheet_entries,
    timesheets_yaml,
)
from graph_env import live_rows as source_rows
from sqlalchemy import func, select

from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.canonical.types import Task
from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.org import OrgSize, generate_org
from pmosync.sandbox.tenant import TenantSize, generate_tenant
from pmosync.store import Store
from pmosync.store.schema import runs

ORG = OrgSize(projects=3, tasks=300, people=8, time_entries=300, teams=1, portfolios=1)
TENANT = TenantSize(groups=2, plans=3, tasks=150, people=8, timesheet_weeks=3)
"""Small enough for many trials, big enough for many pages (Asana 100 a page, Planner 20)."""


@dataclass
class Sandboxes:
    """An Asana sandbox and a Graph sandbox over the same people, both running."""

    asana: AsanaSandbox
    graph: GraphSandbox

    @property
    def groups(self) -> list[str]:
        return sorted(self.graph.tenant.groups)

    def stop(self) -> None:
        self.asana.stop()
        self.graph.stop()

    def env(self) -> dict[str, str]:
        """The secrets the config names, as the sync subprocess reads them."""
        return {"ASANA_TOKEN": self.asana.token, "GRAPH_TOKEN": self.graph.token}


def start_sandboxes(seed: int = 1, *, latency_s: float = 0.0) -> Sandboxes:
    org = generate_org(seed, ORG)
    people = [(person.name, person.email) for person in org.people.values()]
    tenant = generate_tenant(seed, TENANT, people=people)
    asana = AsanaSandbox(org, latency_s=latency_s).start()
    try:
        graph = GraphSandbox(tenant, page_size=20, latency_s=latency_s).start()
    except BaseException:
        asana.stop()
        raise
    return Sandboxes(asana, graph)


def write_config(folder: Path, boxes: Sandboxes, store_url: str) -> Path:
    """A config with the three connectors against ``boxes``, secrets from the environment."""
    asana = (
        f"  {ASANA}:\n"
        "    type: asana\n"
        "    token: ${ASANA_TOKEN}\n"
        f'    workspace: "{boxes.asana.org.workspace.gid}"\n'
        f"    base_url: {boxes.asana.base_url}\n"
        "    max_concurrency: 4\n"
    )
    connectors = asana + planner_yaml(boxes.graph, boxes.groups) + timesheets_yaml(boxes.graph)
    path = folder / "pmosync.yaml"
    path.write_text(f"store: {store_url}\nconnectors:\n{connectors}", encoding="utf-8")
    return path


def sync_command(config: Path) -> list[str]:
    return [sys.executable, "-m", "pmosync", "sync", "-c", str(config)]


def sync_env(boxes: Sandboxes) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PMOSYNC_CONFIG")}
    environment.update(boxes.env())
    return environment


def start_sync(
    config: Path, boxes: Sandboxes, preexec_fn: Callable[[], None] | None = None, **kwargs: Any
) -> subprocess.Popen[str]:
    """``pmosync sync -c CONFIG`` as a child process, output captured."""
    return subprocess.Popen(
        sync_command(config),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=sync_env(boxes),
        cwd=config.parent,
        preexec_fn=preexec_fn,
        **kwargs,
    )


def run_sync_process(
    config: Path, boxes: Sandboxes, preexec_fn: Callable[[], None] | None = None, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run ``pmosync sync`` to its end (generous timeout)."""
    return subprocess.run(
        sync_command(config),
        capture_output=True,
        text=True,
        env=sync_env(boxes),
        cwd=config.parent,
        preexec_fn=preexec_fn,
        timeout=180,
        **kwargs,
    )


def truth_differences(store: Store, boxes: Sandboxes) -> list[str]:
    """Every way the store differs from both sandboxes; empty when it holds exactly them."""
    problems = [f"asana: {p}" for p in differences(store, boxes.asana.org)]
    with boxes.graph.tenant.lock:
        problems += [
            f"planner: {p}" for p in planner_differences(store, boxes.graph.tenant, boxes.groups)
        ]
        wanted = timesheet_entries(boxes.graph.tenant)
    have = stored_entries(store)
    if have != wanted:
        problems.append(
            f"timesheets: {sum((wanted - have).values())} missing, "
            f"{sum((have - wanted).values())} extra"
        )
    return problems


def duplicated_content(store: Store, boxes: Sandboxes) -> list[str]:
    """One upstream record held twice: the same key twice, or more live rows than upstream has.

    The unique constraint on (source, source_id) should rule out the first; the second would be
    one task stored again under another id. Workbook rows have no upstream id, so the same
    (person, day, minutes, project) live twice counts as a duplicate (the generated timesheets
    never repeat a row)."""
    problems = []
    with store.engine.connect() as connection:
        for table in ENTITY_TABLES.values():
            twice = connection.execute(
                select(table.c.source, table.c.source_id)
                .group_by(table.c.source, table.c.source_id)
                .having(func.count() > 1)
            ).all()
            problems += [f"{table.name} {tuple(key)} stored twice" for key in twice]
    with boxes.asana.org.lock:
        asana_tasks = len(boxes.asana.org.tasks)
    with boxes.graph.tenant.lock:
        plans = {p.id for p in boxes.graph.tenant.plans.values() if p.group_id in boxes.groups}
        planner_tasks = sum(t.plan_id in plans for t in boxes.graph.tenant.tasks.values())
    for source, upstream in ((ASANA, asana_tasks), (PLANNER, planner_tasks)):
        live = len(source_rows(store, Task, source))
        if live > upstream:
            problems.append(f"{source}: {live} live tasks for {upstream} upstream")
    entries = stored_entries(store)
    problems += [f"time entry {key} live {n} times" for key, n in entries.items() if n > 1]
    return problems


def run_statuses(store: Store) -> dict[str, str]:
    """Every ledger run's status, by run id."""
    with store.engine.connect() as connection:
        return dict(connection.execute(select(runs.c.id, runs.c.status)).all())


class RestartingProxy:
    """A TCP relay from a loopback port to a database server that can play a server restart:
    ``cut`` drops every relayed connection and stops listening (clients get "connection
    refused"), ``resume`` listens on the same port again. The real server is never touched."""

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._accepting: threading.Thread | None = None
        self.port = 0

    def start(self) -> RestartingProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.05)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._accepting = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._accepting.start()
        return self

    def cut(self) -> None:
        """Stop listening and drop every open connection, as a restarting server does."""
        listener, self._listener = self._listener, None
        if self._accepting is not None:
            self._accepting.join()
        if listener is not None:
            listener.close()
        with self._lock:
            doomed, self._sockets = self._sockets, set()
        for connection in doomed:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    resume = start
    stop = cut

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self._target, timeout=10)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            server.settimeout(None)
            with self._lock:
                self._sockets |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        """Relay one direction; when either side ends, end the whole connection."""
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
        with self._lock:
            self._sockets -= {source, sink}
