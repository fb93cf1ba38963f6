"""Deterministic churn for benchmarks: a seeded mix of the edits real teams make."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TYPE_CHECKING

from pmosync.sandbox.org.words import TASK_OBJECTS, TASK_VERBS

if TYPE_CHECKING:
    from pmosync.sandbox.org.organisation import Org


def mutate_fraction(org: Org, fraction: float, seed: int) -> list[str]:
    """Rename, re-date, complete or move ``fraction`` of project tasks; delete and add a few
    (estimated, as the plan estimates all work).

    The same org state, fraction and seed touch the same tasks in the same way, so a
    benchmark can replay a churn and compare the synced result against ``org_snapshot()``.
    Returns the touched gids (edited, deleted and created), in order.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("fraction must be within 0..1")
    rng = random.Random(seed)
    with org.lock:
        candidates = sorted(  # requests are no work: churn leaves the intake project alone
            g for g, t in org.tasks.items() if t.project_gid is not None and g not in org.intake
        )
        if not candidates:
            return []
        count = max(1, round(fraction * len(candidates)))
        chosen = rng.sample(candidates, min(count, len(candidates)))
        extra = max(1, count // 20)
        deleted = set(chosen[:extra]) if len(chosen) > extra else set()
        touched: list[str] = []
        for gid in chosen:
            if gid in deleted:
                continue
            _edit_one(org, gid, rng)
            touched.append(gid)
        for gid in sorted(deleted):
            org.delete_task(gid)
            touched.append(gid)
        special = (org.raid_log_gid, org.intake_gid)
        project_gids = sorted(g for g in org.projects if g not in special)  # work only
        for _ in range(extra):
            project = org.projects[rng.choice(project_gids)]
            touched.append(
                org.create_task(
                    project.gid,
                    f"{rng.choice(TASK_VERBS)} {rng.choice(TASK_OBJECTS)}",
                    section_gid=rng.choice(project.section_gids) if project.section_gids else None,
                    assignee_gid=rng.choice(sorted(org.people)),
                    due_on=org.today + timedelta(days=rng.randint(1, 60)),
                    custom={"Estimate (h)": float(rng.choice((2, 4, 8, 16)))},
                )
            )
        return touched


def _edit_one(org: Org, gid: str, rng: random.Random) -> None:
    task = org.tasks[gid]
    kind = rng.choice(("rename", "due", "complete", "move"))
    project = org.projects[task.project_gid] if task.project_gid else None
    others = [s for s in project.section_gids if s != task.section_gid] if project else []
    if kind == "move" and others:
        org.move_task(gid, rng.choice(others))
    elif kind == "complete":
        org.complete_task(gid, not task.completed)
    elif kind == "due":
        base = task.due_on or org.today
        org.edit_task(gid, due_on=base + timedelta(days=rng.randint(1, 21)))
    else:
        org.edit_task(gid, name=f"{task.name.split(' (rev')[0]} (rev {rng.randint(2, 9)})")
