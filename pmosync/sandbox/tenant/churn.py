"""Benchmark churn on a tenant: edit a seeded fraction of the Planner tasks.

Edits include a task's details (its description, a checklist item's title), as people make
them in Planner: those move only the details' etag when the task resource shows nothing new,
which is the change an incremental sync that watches task etags alone would miss.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from pmosync.sandbox.tenant.model import ChecklistItem

if TYPE_CHECKING:
    from pmosync.sandbox.tenant.tenant import Tenant

_EDITS = (
    "title",
    "percent_complete",
    "due_at",
    "assignee_ids",
    "applied_categories",
    "description",
    "checklist",
)


def mutate_fraction(tenant: Tenant, fraction: float, seed: int) -> list[str]:
    """Edit ``round(fraction * tasks)`` tasks (at least one when fraction > 0), one to three
    fields each; every touched task really changes, so its version or its details' version
    (a description or checklist edit the task resource does not show) moves.

    Draws come from ``Random(seed)`` over tasks in id order, so the same tenant state and seed
    touch the same tasks the same way in any process.
    """
    if not 0 <= fraction <= 1:
        raise ValueError("fraction must be within 0..1")
    rng = random.Random(seed)
    with tenant.lock:
        ids = sorted(tenant.tasks)
        count = min(len(ids), max(1, round(fraction * len(ids)))) if fraction > 0 else 0
        touched = sorted(rng.sample(ids, count))
        for task_id in touched:
            changes: dict[str, Any] = {}
            for name in rng.sample(_EDITS, rng.randint(1, 3)):
                changes[name] = _new_value(tenant, task_id, name, rng)
            tenant.edit_task(task_id, **changes)
        return touched


def _new_value(tenant: Tenant, task_id: str, name: str, rng: random.Random) -> Any:
    """A value for ``name`` that differs from the task's current one."""
    task = tenant.tasks[task_id]
    if name == "title":
        return f"{task.title} (rev {task.version + 1})"
    if name == "description":
        revision = f"Revised (details rev {task.details_version + 1})."
        return f"{task.description}\n{revision}" if task.description else revision
    if name == "checklist":
        if not task.checklist:
            return ["Confirm scope with the sponsor"]
        first, *rest = task.checklist
        title = f"{first.title} (rev {task.details_version + 1})"
        renamed = ChecklistItem(first.id, title, first.is_checked)
        return [renamed, *(ChecklistItem(c.id, c.title, c.is_checked) for c in rest)]
    if name == "percent_complete":
        return rng.choice([p for p in (0, 50, 100) if p != task.percent_complete])
    if name == "due_at":
        base = task.due_at or task.start_at or datetime.combine(tenant.today, time(), UTC)
        return base.replace(microsecond=0) + timedelta(days=rng.choice((-7, -2, 1, 3, 7, 14)))
    if name == "assignee_ids":
        group = tenant.groups[tenant.plans[task.plan_id].group_id]
        current = set(task.assignee_ids)
        pool = sorted(set(group.member_ids) - current) or sorted(set(tenant.users) - current)
        if task.assignee_ids and rng.random() < 0.3:
            return task.assignee_ids[1:]
        return [*task.assignee_ids[:2], rng.choice(pool)]
    labelled = sorted(tenant.plans[task.plan_id].category_descriptions) or ["category1"]
    current = set(task.applied_categories)
    unused = [c for c in labelled if c not in current]
    if unused and (not current or rng.random() < 0.6):
        return [*task.applied_categories, rng.choice(unused)]
    return task.applied_categories[1:]
