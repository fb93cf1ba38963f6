"""Shared pieces of the write-back end-to-end tests: an Asana and a Graph sandbox over the same
people (in this process, so a killed write-back child never takes them down), a config opting
both tools into write-back, the write-back child process, and the ground truth of what the
sandboxes hold of pmosync's writes, read off their own data (never from pmosync's ledger).

The Asana workspace gets a project field "PMO RAG" (single-select) that only pmosync sets, as
a PMO would create it; the Planner plans get nothing: pmosync names its label and makes its
bucket and status task itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pmosync.config import PmosyncConfig, load_config
from pmosync.contracts.writeback import marked
from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.org import Org, OrgSize, generate_org
from pmosync.sandbox.tenant import Tenant, TenantSize, generate_tenant
from pmosync.store import Store

ASANA = "asana-eng"
PLANNER = "planner-ops"
REPORT = "weekly"
RAG_FIELD = "PMO RAG"
BUCKET = "PMO"
CATEGORY = "category25"
LINK = "https://pmo.example/weekly"
OPTIONS = (("Green", "green"), ("Amber", "yellow"), ("Red", "red"), ("On hold", "blue"),
           ("Complete", "cool-gray"))  # fmt: skip
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

ORG = OrgSize(projects=4, tasks=80, people=6, time_entries=60, teams=1, portfolios=1)
TENANT = TenantSize(groups=1, plans=3, tasks=45, people=6, timesheet_weeks=1)
"""Tiny on purpose: the round-trip soak syncs and writes back a thousand times."""


def add_owned_field(org: Org) -> str:
    """The "PMO RAG" project field, empty on every project (a PMO's one-off setup); its gid."""
    return org.add_custom_field(
        RAG_FIELD, "enum", options=OPTIONS, projects=sorted(org.projects),
        description="Set by pmosync.",
    )  # fmt: skip


@dataclass
class Boxes:
    """Both sandboxes, running, and the owned field's gid."""

    asana: AsanaSandbox
    graph: GraphSandbox
    field_gid: str

    @property
    def org(self) -> Org:
        return self.asana.org

    @property
    def tenant(self) -> Tenant:
        return self.graph.tenant

    @property
    def groups(self) -> list[str]:
        return sorted(self.tenant.groups)

    @property
    def today(self) -> date:
        return self.org.today

    def env(self) -> dict[str, str]:
        return {"ASANA_TOKEN": self.asana.token, "GRAPH_TOKEN": self.graph.token}

    def reset_stats(self) -> None:
        self.asana.reset_stats()
        self.graph.reset_stats()

    def stop(self) -> None:
        self.asana.stop()
        self.graph.stop()


def start_boxes(seed: int = 1, *, latency_s: float = 0.0) -> Boxes:
    org = generate_org(seed, ORG)
    owned = add_owned_field(org)
    people = [(person.name, person.email) for person in org.people.values()]
    tenant = generate_tenant(seed, TENANT, today=org.today, people=people)
    asana = AsanaSandbox(org, latency_s=latency_s).start()
    try:
        graph = GraphSandbox(tenant, page_size=20, latency_s=latency_s).start()
    except BaseException:
        asana.stop()
        raise
    return Boxes(asana, graph, owned)


def write_config(folder: Path, boxes: Boxes, *, asana: str = "", planner: str = "") -> Path:
    """Both connectors with write-back on (status updates and the PMO RAG field; a label and
    a status task), one portfolio_status report; ``asana``/``planner`` replace a writeback
    block's body. The store is a SQLite file in ``folder``."""
    groups = ", ".join(f'"{g}"' for g in boxes.groups)
    asana_block = asana or (
        f"      report: {REPORT}\n      link: {LINK}\n      status_updates: {{}}\n"
        f"      rag_field: {{field: {RAG_FIELD}}}\n"
    )
    planner_block = planner or (
        f"      report: {REPORT}\n      link: {LINK}\n      label: {{category: {CATEGORY}}}\n"
        f"      status_task: {{bucket: {BUCKET}}}\n"
    )
    path = folder / "pmosync.yaml"
    path.write_text(
        f"store: sqlite:///{folder / 'pmosync.db'}\n"
        "connectors:\n"
        f"  {ASANA}:\n"
        "    type: asana\n"
        "    token: ${ASANA_TOKEN}\n"
        f'    workspace: "{boxes.org.workspace.gid}"\n'
        f"    base_url: {boxes.asana.base_url}\n"
        "    max_concurrency: 4\n"
        "    time_entries_window_days: 0\n"
        "    writeback:\n" + asana_block + f"  {PLANNER}:\n"
        "    type: planner\n"
        "    token: ${GRAPH_TOKEN}\n"
        f"    base_url: {boxes.graph.base_url}\n"
        f"    groups: [{groups}]\n"
        "    writeback:\n" + planner_block + "reports:\n"
        f"  {REPORT}:\n"
        "    kind: portfolio_status\n",
        encoding="utf-8",
    )
    return path


def load(path: Path, boxes: Boxes) -> PmosyncConfig:
    return load_config(path, environ=boxes.env())


def open_store(config: PmosyncConfig) -> Store:
    return Store.open(config.store, base_dir=config.config_path.parent)


# -- the write-back child process ----------------------------------------------------------

APPLY = """\
import sys
from datetime import date
from pmosync.config import load_config
from pmosync.store import Store
from pmosync.writeback.run import run_writeback

config = load_config(sys.argv[1])
with Store.open(config.store, base_dir=config.config_path.parent) as store:
    outcome = run_writeback(config, store, apply=True, today=date.fromisoformat(sys.argv[2]))
print(outcome.status, outcome.error or "")
sys.exit(0 if outcome.status == "succeeded" else 1)
"""


def apply_command(path: Path, today: date) -> list[str]:
    """``run_writeback(apply=True)`` in a child process, as ``pmosync writeback apply`` runs
    it; exits 0 when the run succeeded."""
    return [sys.executable, "-c", APPLY, str(path), today.isoformat()]


def child_env(boxes: Boxes) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PMOSYNC_CONFIG")}
    environment.update(boxes.env())
    return environment


def start_apply(path: Path, boxes: Boxes, today: date) -> subprocess.Popen[str]:
    return subprocess.Popen(
        apply_command(path, today),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(boxes),
        cwd=path.parent,
    )


def run_apply(path: Path, boxes: Boxes, today: date) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        apply_command(path, today),
        capture_output=True,
        text=True,
        env=child_env(boxes),
        cwd=path.parent,
        timeout=180,
    )


# -- ground truth: what the sandboxes hold of pmosync's writes -----------------------------


def marked_updates(org: Org) -> dict[str, list[str]]:
    """Project gid -> the gids of status updates on it carrying pmosync's mark."""
    found: dict[str, list[str]] = {}
    with org.lock:
        for update in org.status_updates.values():
            if marked(update.text):
                found.setdefault(update.project_gid, []).append(update.gid)
    return found


def field_values(org: Org, field_gid: str) -> dict[str, str | None]:
    """Project gid -> the owned field's option name (None: empty)."""
    with org.lock:
        owned = org.custom_fields[field_gid]
        values = {}
        for gid, project in org.projects.items():
            option = owned.option(project.custom.get(field_gid))
            values[gid] = option.name if option is not None else None
        return values


@dataclass(frozen=True)
class PlanOwned:
    """What one plan shows of pmosync's: its label's name, its buckets named like pmosync's
    and the tasks in them (id, title, description)."""

    label: str | None
    buckets: tuple[str, ...]
    tasks: tuple[tuple[str, str, str], ...]


def _owned_bucket(name: str) -> bool:
    return " ".join(name.split()).casefold() == BUCKET.casefold()


def planner_owned(tenant: Tenant) -> dict[str, PlanOwned]:
    """Plan id -> what it shows of pmosync's writes."""
    with tenant.lock:
        owned = {}
        for plan in tenant.plans.values():
            buckets = tuple(
                b.id
                for b in tenant.buckets.values()
                if b.plan_id == plan.id and _owned_bucket(b.name)
            )
            tasks = tuple(
                (t.id, t.title, t.description)
                for t in tenant.tasks.values()
                if t.plan_id == plan.id and t.bucket_id in buckets
            )
            owned[plan.id] = PlanOwned(plan.category_descriptions.get(CATEGORY), buckets, tasks)
        return owned


def successful_writes(boxes: Boxes) -> list[tuple[str, str, str, int | str]]:
    """The write requests (POST/PUT/PATCH/DELETE, not a batch of reads) both sandboxes
    answered with success since their stats were reset: (tool, method, path, status)."""
    found = []
    for tool, box in (("asana", boxes.asana), ("graph", boxes.graph)):
        for method, path, _query, status in list(box.requests):
            if method not in WRITE_METHODS or path.endswith(("/batch", "/$batch")):
                continue
            if isinstance(status, int) and 200 <= status < 300:
                found.append((tool, method, path, status))
    return found


def requests_made(boxes: Boxes) -> int:
    """Every request both sandboxes received since their stats were reset."""
    return boxes.asana.stats()["total"] + boxes.graph.stats()["total"]


def store_echoes(store: Store, boxes: Boxes) -> list[str]:
    """Everything of pmosync's own writes the store took in as the teams' data: a marked
    status update, a task or phase from the owned bucket, the owned label as a task's tag.
    Tombstoned rows count too: an echo synced once and deleted later was still an echo."""
    from sqlalchemy import select

    from pmosync.canonical.tables import ENTITY_TABLES
    from pmosync.canonical.types import Phase, StatusUpdate, Task

    updates = {gid for gids in marked_updates(boxes.org).values() for gid in gids}
    owned = planner_owned(boxes.tenant)
    buckets = {b for plan in owned.values() for b in plan.buckets}
    tasks = {t[0] for plan in owned.values() for t in plan.tasks}
    labels = {plan.label for plan in owned.values() if plan.label}
    problems = []
    with store.engine.connect() as connection:

        def rows(model: type, source: str) -> list[Any]:
            table = ENTITY_TABLES[model]
            return list(connection.execute(select(table).where(table.c.source == source)))

        problems += [f"status update {r.source_id} synced" for r in rows(StatusUpdate, ASANA)
                     if r.source_id in updates]  # fmt: skip
        problems += [f"phase {r.source_id} synced" for r in rows(Phase, PLANNER)
                     if r.source_id in buckets]  # fmt: skip
        for row in rows(Task, PLANNER):
            if row.source_id in tasks:
                problems.append(f"task {row.source_id} synced")
            echoed = labels & set(row.tags or ())
            if echoed:
                problems.append(f"task {row.source_id} tagged {sorted(echoed)}")
    return problems
