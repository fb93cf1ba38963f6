"""The demo's organisation: an Asana workspace, a Microsoft 365 tenant and a Dataverse
environment holding two Planner premium plans, sharing their people, served by the sandboxes on
loopback, and the same world again on the next run.

A second ``pmosync demo`` must sync incrementally against the world the first one synced. The
sandboxes live only as long as one run, so the world is rebuilt, not kept: generation is
deterministic for a seed and a day, the "week of work" each later run adds is seeded by the
run's number, and the Asana sandbox signs its sync tokens with a key derived from the world,
so a token the previous run was given is still good. The Dataverse environment's version
counter is deterministic too (generation, then each week's churn, draw from seeded generators
in a fixed order), so the rebuilt environment reaches the version the previous run's delta
links name before this run's week of work, and those links read just that week's changes.
``demo/.world.json`` records the seed, the day the world was generated for and how many runs
it has seen.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.dataverse import (
    DataverseSandbox,
    Environment,
    EnvironmentSize,
    churn,
    generate_environment,
)
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.org import Org, OrgSize, Project, generate_org
from pmosync.sandbox.org.writes import add_custom_field
from pmosync.sandbox.tenant import (
    TIMESHEET_COLUMNS,
    TIMESHEET_SHEET,
    Tenant,
    TenantSize,
    generate_tenant,
    render_xlsx,
)
from pmosync.sandbox.tenant.intake_list import add_intake_list
from pmosync.sandbox.tenant.pmo_lists import add_pmo_lists
from pmosync.sandbox.tenant.raid_lists import add_raid
from pmosync.sandbox.tenant.workbooks import timesheet_cells

SEED = 9
ORG_SIZE = OrgSize(projects=12, tasks=600, people=16, time_entries=1600, teams=2, portfolios=2)
TENANT_SIZE = TenantSize(groups=2, plans=4, tasks=240, people=16, timesheet_weeks=6)
PREMIUM_SIZE = EnvironmentSize(projects=2, tasks=80, people=16)
"""Two Planner premium plans (their people are the organisation's, so ``people`` is unused)."""
CHURN_FRACTION = 0.03
"""Share of tasks a "week of work" touches between two demo runs."""

PMO_RAG_FIELD = "PMO RAG"
PMO_RAG_OPTIONS = (
    ("Green", "green"),
    ("Amber", "yellow"),
    ("Red", "red"),
    ("On hold", "blue"),
    ("Complete", "cool-gray"),
)
"""The demo's pmosync-owned project field and its options (write-back's default names)."""

ASANA_TOKEN = "demo-asana-token"
GRAPH_TOKEN = "demo-graph-token"
DATAVERSE_TOKEN = "demo-dataverse-token"
STATE_FILE = ".world.json"


@dataclass(frozen=True)
class WorldState:
    """What rebuilds the same world: its seed, the day it was generated for, runs so far."""

    seed: int
    generated_for: str
    runs: int

    @classmethod
    def load(cls, folder: Path, today: date) -> WorldState:
        """The recorded state, or a new world for ``today`` when there is none (or it is
        unreadable: the world is rebuilt and the first sync of it is a full one)."""
        try:
            data = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
            return cls(int(data["seed"]), str(date.fromisoformat(data["generated_for"])),
                       int(data["runs"]))  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError):
            return cls(SEED, today.isoformat(), 0)

    def save(self, folder: Path) -> None:
        (folder / STATE_FILE).write_text(json.dumps(asdict(self)) + "\n", encoding="utf-8")

    def next_run(self) -> WorldState:
        return WorldState(self.seed, self.generated_for, self.runs + 1)


@dataclass
class World:
    """The three sandboxes serving one run's world."""

    asana: AsanaSandbox
    graph: GraphSandbox
    dataverse: DataverseSandbox
    state: WorldState
    changed_tasks: int
    """Tasks the week of work before this run touched in the three tools (0 on a first run)."""

    @property
    def org(self) -> Org:
        return self.asana.org

    @property
    def tenant(self) -> Tenant:
        return self.graph.tenant

    @property
    def environment(self) -> Environment:
        return self.dataverse.environment

    def stop(self) -> None:
        self.asana.stop()
        self.graph.stop()
        self.dataverse.stop()


def build(state: WorldState) -> tuple[Org, Tenant, int]:
    """The Asana organisation and the Microsoft 365 tenant at run ``state.runs`` (see
    ``build_world``), with the number of tasks the last week touched in them."""
    org, tenant, _, touched = build_world(state)
    return org, tenant, touched


def build_world(state: WorldState) -> tuple[Org, Tenant, Environment, int]:
    """The world as it stands at run ``state.runs``: generated, then each week of work since
    the first run replayed in order. Returns it with the number of tasks the last week
    touched."""
    day = date.fromisoformat(state.generated_for)
    org = generate_org(state.seed, ORG_SIZE, day)
    _pmo_rag_field(org)
    people = [(person.name, person.email) for person in org.people.values()]
    tenant = generate_tenant(state.seed, TENANT_SIZE, day, people)
    # The premium plans' people are the same humans, their Entra ids the tenant's users'.
    environment = generate_environment(
        state.seed, PREMIUM_SIZE, day, people, tenant=tenant, quirks=False
    )
    add_pmo_lists(tenant, state.seed)
    add_raid(tenant, state.seed, bad=False)  # RAID lists, buckets and labels
    _a_typed_slip(tenant)
    touched = 0
    for run in range(2, state.runs + 1):
        touched = _week_of_work(org, tenant, environment, run)
    add_intake_list(tenant, state.seed, bad=False)  # last: every other record stays as it was
    return org, tenant, environment, touched


def _pmo_rag_field(org: Org) -> None:
    """The "PMO RAG" single-select field on every project, empty: the field the demo's
    write-back owns (its teams keep their own "Health"), on every project of the connector's
    scope as `pmosync check` expects. Added right after generation, so its gids and everything
    after are the same in every run's rebuilt world."""
    add_custom_field(
        org,
        PMO_RAG_FIELD,
        "enum",
        options=PMO_RAG_OPTIONS,
        projects=sorted(org.projects),
        description="The PMO's computed RAG, set by pmosync only.",
    )


def _a_typed_slip(tenant: Tenant) -> None:
    """One row of the latest timesheet gets hours a person typed as words, as happens: the
    sync quarantines that row (naming the file, sheet and row) and keeps the rest, which the
    tour then shows with ``pmosync quarantine list``."""
    latest = max(tenant.timesheets.values(), key=lambda sheet: sheet.week_start)
    first = latest.rows[0]
    cells = [timesheet_cells(row) for row in latest.rows]
    cells.insert(1, [first.email, first.day, "seven and a half", first.project, None, "Yes"])
    item = tenant.items[latest.item_id]
    item.content = render_xlsx(TIMESHEET_SHEET, list(TIMESHEET_COLUMNS.values()), cells)


def late_project(org: Org) -> Project | None:
    """The project the demo's story is about: of those still open after their planned finish,
    the one with the most estimated work left (its team keeps re-planning, never finishing)."""
    estimate = org.field_named("Estimate (h)").gid

    def open_hours(project: Project) -> float:
        return sum(
            float(task.custom.get(estimate) or 0.0)
            for task in org.tasks.values()
            if task.project_gid == project.gid and not task.completed
        )

    late = [
        p
        for p in org.projects.values()
        if not (p.completed or p.archived) and p.due_on is not None and p.due_on < org.today
    ]
    return max(late, key=lambda p: (open_hours(p), p.gid), default=None)


def _replan(org: Org, project: Project, run: int) -> int:
    """The late project's manager moves its overdue open tasks into the coming weeks: a
    re-plan that today's dates hide and the baseline (recorded by the first sync) does not."""
    overdue = sorted(
        gid
        for gid, task in org.tasks.items()
        if task.project_gid == project.gid
        and not task.completed
        and task.due_on is not None
        and task.due_on < org.today
    )
    for n, gid in enumerate(overdue):
        org.edit_task(gid, due_on=org.today + timedelta(days=7 * run + n % 14))
    return len(overdue)


def _week_of_work(org: Org, tenant: Tenant, environment: Environment, run: int) -> int:
    """What teams do between two runs: tasks renamed, re-dated, completed, moved, added and
    deleted in Asana, tasks edited in Planner, leaves progressed, tasks added, moved and
    deleted, dependencies and a plan's name changed in the premium plans, a fresh status
    update on one project, and the late project re-planned once more."""
    touched = len(org.mutate_fraction(CHURN_FRACTION, seed=run))
    late = late_project(org)
    if late is not None:
        touched += _replan(org, late, run)
    touched += len(tenant.mutate_fraction(CHURN_FRACTION, seed=run))
    touched += len(churn(environment, run, CHURN_FRACTION).tasks_touched)
    projects = sorted(org.projects)
    project = org.projects[projects[run % len(projects)]]
    org.add_status_update(
        project.gid,
        "at_risk",
        f"Week {run}: supplier delay",
        "A supplier slipped a delivery by two weeks; the team is re-planning.",
        project.owner_gid,
    )
    return touched


def start(state: WorldState) -> World:
    """Build the world for ``state`` and serve it on 127.0.0.1."""
    org, tenant, environment, touched = build_world(state)
    secret = hashlib.sha256(f"pmosync-demo:{state.seed}:{state.generated_for}".encode()).digest()
    with ExitStack() as started:  # a sandbox that fails to start stops those before it
        asana = AsanaSandbox(org, token=ASANA_TOKEN, sync_secret=secret).start()
        started.callback(asana.stop)
        graph = GraphSandbox(tenant, token=GRAPH_TOKEN).start()
        started.callback(graph.stop)
        dataverse = DataverseSandbox(environment, token=DATAVERSE_TOKEN).start()
        started.pop_all()
    return World(asana, graph, dataverse, state, touched)
