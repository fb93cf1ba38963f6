"""What the synthetic organisation's work costs: rates, planned cost, budgets and actuals.

A real budget is priced from the plan (each task's estimate at the rate of whoever does it,
plus a contingency) and its actual is the time people log at their rates. Deriving both from
the same tasks and time entries, with each project spending more or less effort than it earns,
gives a portfolio whose cost performance is plausible (projects clearly over and under budget,
the whole near 1), and which a test can recompute from the world alone.

The figures here are the world's own arithmetic; nothing in pmosync reads this module.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pmosync.sandbox.org.model import Task
    from pmosync.sandbox.org.organisation import Org

RATE_LEVELS = (70.0, 85.0, 95.0, 110.0, 130.0)
"""Hourly rates (in the workspace currency) a person is paid at: junior to principal."""
ROLE_NAMES = ("Analyst", "Consultant", "Senior consultant", "Lead", "Principal")
"""The role each of RATE_LEVELS is the rate of (a PMO's rate card is by role)."""


def role_of_rate(rate: float) -> str:
    """The role whose rate ``rate`` is."""
    return ROLE_NAMES[RATE_LEVELS.index(rate)]


DEFAULT_RATE = 85.0
"""What an unassigned task is priced at: nobody's rate yet, the standard one."""
CONTINGENCY = 1.10
"""Budget = planned cost x this: the 10 % reserve a PMO adds to an estimate."""
BUDGET_ROUNDING = 100
"""Budgets are approved in round figures (to the 100)."""

SPEND_PROFILES: tuple[tuple[str, float, float], ...] = (
    ("under", 0.80, 0.92),
    ("on plan", 0.98, 1.12),
    ("on plan", 0.98, 1.12),
    ("over", 1.35, 1.55),
)
"""(name, low, high) of hours spent per hour earned: a project drawn "over" needs 35-55 % more
effort than planned (CPI about 1.1 / 1.45 = 0.76), one "under" 8-20 % less. The profiles are
dealt round the projects in a seeded order, so any few projects hold each of them."""


def rate_of(org: Org, person_gid: str | None) -> float:
    """The hourly rate of a person; the default rate for nobody (an unassigned task)."""
    if person_gid is None:
        return DEFAULT_RATE
    return org.rates.get(person_gid, DEFAULT_RATE)


def is_work(org: Org, task: Task) -> bool:
    """A leaf task that is not a milestone, a RAID item nor a request: the work a plan prices
    and a team earns on."""
    return (
        task.resource_subtype != "milestone"
        and not task.subtask_gids
        and task.gid not in org.raid
        and task.gid not in org.intake
    )


def estimate_of(org: Org, task: Task) -> float:
    """The task's "Estimate (h)" value, 0 when it has none."""
    value = task.custom.get(org.field_named("Estimate (h)").gid)
    return float(value) if value is not None else 0.0


def work_of(org: Org, project_gid: str) -> list[Task]:
    """The project's work tasks, subtasks included (they belong through their parent)."""
    return work_by_project(org).get(project_gid, [])


def work_by_project(org: Org) -> dict[str, list[Task]]:
    """Every project's work tasks in one pass (a generator prices 200 projects of 50,000
    tasks: one pass each would be quadratic)."""
    grouped: dict[str, list[Task]] = defaultdict(list)
    for task in org.tasks.values():
        project_gid = org.task_project(task)
        if project_gid is not None and is_work(org, task):
            grouped[project_gid].append(task)
    return grouped


def planned_cost(org: Org, tasks: Iterable[Task]) -> float:
    """Sum of estimate x the assignee's rate: what the plan costs without contingency."""
    return sum(estimate_of(org, task) * rate_of(org, task.assignee_gid) for task in tasks)


def budget_total(planned: float) -> float:
    """The approved budget for a planned cost: contingency added, rounded to the 100."""
    return float(round(planned * CONTINGENCY / BUDGET_ROUNDING) * BUDGET_ROUNDING)


def labour_cost(org: Org, project_gid: str) -> float:
    """Time logged on the project at each person's rate, to the cent (the budget's actual)."""
    return labour_by_project(org).get(project_gid, 0.0)


def labour_by_project(org: Org) -> dict[str, float]:
    """Every project's logged time at people's rates, to the cent, in one pass."""
    minutes_cost: dict[str, float] = defaultdict(float)
    for entry in org.time_entries.values():
        minutes_cost[entry.project_gid] += entry.duration_minutes * rate_of(org, entry.user_gid)
    return {gid: round(cost / 60.0, 2) for gid, cost in minutes_cost.items()}


def entry_cost(org: Org, user_gid: str, minutes: int) -> float:
    """What one time entry costs at its person's rate."""
    return minutes * rate_of(org, user_gid) / 60.0
