"""What the Planner premium connector's deletions and complete listings retire, canonically.

Dataverse cascades a project's deletion to its buckets, tasks, dependencies and assignments,
and a summary task's to its subtasks and their assignments; the canonical store follows the
same rules, so a deleted project or task leaves no live orphans in the PMO's reports. An
assignment is two canonical records with one source id (the Assignment and its Allocation):
they always go together.
"""

from __future__ import annotations

from pmosync.canonical.types import (
    Allocation,
    Assignment,
    PersonIdentity,
    Phase,
    Project,
    Task,
)
from pmosync.contracts import Reconcile
from pmosync.mapping.scope import ReconcileScope

_TASK_DEPENDENTS = (
    ReconcileScope(Assignment, set(), {"task_id": None}, cascade=(Allocation,)),
    (Task, "parent_id"),
)
"""A task that goes takes its assignments (each with its allocation) and its subtasks, whose
own subtrees go in turn."""

_PROJECT_DEPENDENTS = (
    (Phase, "project_id"),
    (Allocation, "project_id"),
    ReconcileScope(Task, set(), {"project_id": None}, dependents=_TASK_DEPENDENTS),
)
"""A project that goes takes its phases, its allocations and its tasks (with theirs)."""


def _one(model: type, source_id: str, **rules) -> ReconcileScope:
    """The record of ``model`` with this source id (present: nothing), with ``rules``."""
    return ReconcileScope(model, set(), {"source_id": source_id}, **rules)


def deleted(source: str, kind: str, source_ids: list[str]) -> list[ReconcileScope]:
    """What goes when the connector reports rows of ``kind`` deleted upstream."""
    if kind == "projects":
        return [_one(Project, i, dependents=_PROJECT_DEPENDENTS) for i in source_ids]
    if kind == "buckets":
        return [_one(Phase, i) for i in source_ids]
    if kind == "tasks":
        return [_one(Task, i, dependents=_TASK_DEPENDENTS) for i in source_ids]
    if kind == "assignments":
        return [scope for i in source_ids for scope in (_one(Assignment, i), _one(Allocation, i))]
    if kind == "people":
        return [_one(PersonIdentity, i) for i in source_ids]
    raise ValueError(f"the Planner premium mapping has no deletions for {kind!r}")


def scopes(source: str, reconcile: Reconcile) -> list[ReconcileScope]:
    """Where a complete listing's absentees are to be tombstoned."""
    kind, parent, present = reconcile.kind, reconcile.parent, set(reconcile.present)
    if kind == "projects":  # every project in scope: one gone from it goes with its contents
        return [ReconcileScope(Project, present, dependents=_PROJECT_DEPENDENTS)]
    if kind == "assignments":  # every in-scope assignment, whatever its project
        return [ReconcileScope(Assignment, present), ReconcileScope(Allocation, present)]
    if kind == "people":
        return [ReconcileScope(PersonIdentity, present)]
    if parent is None:
        raise ValueError(f"a {kind!r} listing is reconciled per project")
    by_project = {"project_id": Project.ref(source, parent)}
    if kind == "buckets":
        return [ReconcileScope(Phase, present, by_project)]
    if kind == "tasks":
        return [ReconcileScope(Task, present, by_project, dependents=_TASK_DEPENDENTS)]
    raise ValueError(f"the Planner premium mapping cannot reconcile {kind!r}")
