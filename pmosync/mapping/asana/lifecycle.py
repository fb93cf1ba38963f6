"""What the Asana connector's deletions and complete listings mean in canonical terms.

The connector speaks in Asana's words: "task 12 was deleted", "project 7's section listing was
complete and held these gids". This module turns those into the canonical entities and the
store scope (which project's phases, which parent's subtasks) that tombstones may touch, so a
listing of one project never retires another project's records.
"""

from __future__ import annotations

from datetime import date

from pmosync.canonical.types import (
    Allocation,
    Assignment,
    Budget,
    PersonIdentity,
    Phase,
    Portfolio,
    PortfolioItem,
    Project,
    RaidItem,
    Request,
    StatusUpdate,
    Task,
    TimeEntry,
)
from pmosync.contracts import Reconcile
from pmosync.mapping.asana.portfolios import portfolio_item_id
from pmosync.mapping.asana.projects import BUDGET_FIELD_SUFFIX
from pmosync.mapping.scope import ReconcileScope

_TASK_RULES = {
    "cascade": (Assignment,),
    "dependents": ((TimeEntry, "task_id"), (Task, "parent_id")),
}
"""A task that goes takes its assignment, its time entries and its subtasks with it, as in
Asana, where deleting a task deletes all three."""


def deleted(source: str, kind: str, source_ids: list[str]) -> list[ReconcileScope]:
    """What goes when the source reports records of ``kind`` deleted."""
    if kind == "tasks":  # a deleted task may have been a RAID item or a request: it goes
        return [scope for gid in source_ids for scope in (
            ReconcileScope(Task, set(), {"source_id": gid}, **_TASK_RULES),
            ReconcileScope(RaidItem, set(), {"source_id": gid}),
            ReconcileScope(Request, set(), {"source_id": gid}),
        )]  # fmt: skip
    raise ValueError(f"the Asana mapping has no deletions for {kind!r}")


def scopes(source: str, reconcile: Reconcile) -> list[ReconcileScope]:
    """Where a complete listing's absentees are to be tombstoned."""
    kind, parent, present = reconcile.kind, reconcile.parent, set(reconcile.present)
    if kind == "users":
        return [ReconcileScope(PersonIdentity, present)]
    if kind == "portfolios":
        return [ReconcileScope(Portfolio, present)]
    if kind == "projects":
        return [ReconcileScope(Project, present)]
    if kind == "raid_items":  # every RAID item the source has, wherever it was listed
        return [ReconcileScope(RaidItem, present)]
    if kind == "requests":  # every request the source has, wherever it was listed
        return [ReconcileScope(Request, present)]
    if kind == "time_entries":
        since = ("entry_date", date.fromisoformat(reconcile.since)) if reconcile.since else None
        return [ReconcileScope(TimeEntry, present, on_or_after=since)]
    if parent is None:
        raise ValueError(f"a {kind!r} listing is reconciled per parent")
    if kind == "portfolio_items":
        members = {portfolio_item_id(parent, project) for project in present}
        return [
            ReconcileScope(PortfolioItem, members, {"portfolio_id": Portfolio.ref(source, parent)})
        ]
    if kind == "subtasks":
        within = {"parent_id": Task.ref(source, parent)}
        return [ReconcileScope(Task, present, within, **_TASK_RULES)]
    by_project = {"project_id": Project.ref(source, parent)}
    if kind == "sections":
        return [ReconcileScope(Phase, present, by_project)]
    if kind == "tasks":
        return [ReconcileScope(Task, present, by_project, **_TASK_RULES)]
    if kind == "status_updates":
        return [ReconcileScope(StatusUpdate, present, by_project)]
    if kind == "allocations":
        return [ReconcileScope(Allocation, present, by_project)]
    if kind == "budgets":
        present.add(parent + BUDGET_FIELD_SUFFIX)  # the API listing never holds these
        return [ReconcileScope(Budget, present, by_project)]
    raise ValueError(f"the Asana mapping cannot reconcile {kind!r}")
