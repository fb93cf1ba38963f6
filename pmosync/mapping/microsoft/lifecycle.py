"""What the Planner connector's complete listings retire, in canonical terms.

A task that goes takes its assignments with it; a plan that goes (deleted upstream, or gone
from its group) takes its buckets, its tasks (and their assignments), its RAID tasks and its
portfolio membership with it, so a deleted plan leaves no live orphans in the PMO's reports.
A RAID list read in full retires the items deleted there.
"""

from __future__ import annotations

from pmosync.canonical.types import (
    Assignment,
    PersonIdentity,
    Phase,
    Portfolio,
    PortfolioItem,
    Project,
    RaidItem,
    StatusUpdate,
    Task,
)
from pmosync.contracts import Reconcile
from pmosync.mapping.microsoft.raid import TASK_PREFIX, list_item_key
from pmosync.mapping.scope import ReconcileScope

_TASK_DEPENDENTS = ((Assignment, "task_id"),)
_PLAN_DEPENDENTS = (
    (Phase, "project_id"),
    (PortfolioItem, "project_id"),
    (StatusUpdate, "project_id"),
    ReconcileScope(Task, set(), {"project_id": None}, dependents=_TASK_DEPENDENTS),
    ReconcileScope(RaidItem, set(), {"project_id": None}, prefix=TASK_PREFIX),
)


def scopes(source: str, reconcile: Reconcile) -> list[ReconcileScope]:
    """Where a complete listing's absentees are to be tombstoned."""
    kind, parent, present = reconcile.kind, reconcile.parent, set(reconcile.present)
    if kind == "groups":
        return [ReconcileScope(Portfolio, present)]
    if kind == "plans":
        return [ReconcileScope(Project, present, dependents=_PLAN_DEPENDENTS)]
    if kind == "assignments":
        return [ReconcileScope(Assignment, present)]
    if kind == "users":
        return [ReconcileScope(PersonIdentity, present)]
    if kind == "status_items":  # the status list read in full: items deleted there go
        return [ReconcileScope(StatusUpdate, present)]
    if kind == "raid_items":  # one RAID list read in full (parent: the list's id)
        prefix = list_item_key(str(parent), "")
        return [ReconcileScope(RaidItem, {prefix + i for i in present}, prefix=prefix)]
    if parent is None:
        raise ValueError(f"a {kind!r} listing is reconciled per plan")
    by_plan = {"project_id": Project.ref(source, parent)}
    if kind == "buckets":
        return [ReconcileScope(Phase, present, by_plan)]
    if kind == "tasks":
        return [ReconcileScope(Task, present, by_plan, dependents=_TASK_DEPENDENTS)]
    if kind == "raid_tasks":  # a plan's RAID tasks (a task moved out of the RAID bucket goes)
        present = {TASK_PREFIX + i for i in present}
        return [ReconcileScope(RaidItem, present, by_plan, prefix=TASK_PREFIX)]
    raise ValueError(f"the Planner mapping cannot reconcile {kind!r}")
