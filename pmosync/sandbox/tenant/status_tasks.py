"""Status tasks: how a PMO without a status list asks Planner plans for their RAG.

:func:`add_status_tasks` gives each plan the labels "On track", "At risk" and "Off track" (in
categories the generator leaves free) and a task titled "Project status" carrying one of them,
as a project manager keeps it; one plan has no status task (a plan nobody set up) and one a
status task with no RAG label applied. It returns what each plan's status task says, the
ground truth a test or demo compares a ``rag_source: {label: Project status}`` sync with.
"""

from __future__ import annotations

import random

from pmosync.sandbox.tenant.tenant import Tenant

STATUS_TASK = "Project status"
STATUS_LABELS = {"category21": "On track", "category22": "At risk", "category23": "Off track"}
"""Categories 1-10 are the generator's; these are free in every generated plan."""


def add_status_tasks(tenant: Tenant, seed: int = 0) -> dict[str, str | None]:
    """Plan id -> the label its status task carries (None: no label, or no status task)."""
    rng = random.Random(seed)
    said: dict[str, str | None] = {}
    plans = list(tenant.plans.values())
    for index, plan in enumerate(plans):
        plan.category_descriptions.update(STATUS_LABELS)
        plan.details_version += 1
        if index == len(plans) - 1 and len(plans) > 2:
            said[plan.id] = None  # nobody set this plan up
            continue
        key = rng.choices(sorted(STATUS_LABELS), (60, 30, 10))[0]
        applied = [] if index == 1 else [key]  # one status task left without a colour
        tenant.add_task(plan.id, STATUS_TASK, applied_categories=applied)
        said[plan.id] = STATUS_LABELS[key] if applied else None
    return said
