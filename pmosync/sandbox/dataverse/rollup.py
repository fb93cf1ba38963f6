"""Project's scheduling arithmetic, as the plans' engine applies it after every edit.

A summary task's effort, completed and remaining effort are the sums of its children's, its
progress is completed / effort, and its start and end are its children's earliest start and
latest end; its actual start is its children's earliest, and its actual end their latest once
every child is done (null while one is not). The project row rolls up its top-level tasks the
same way (it has no actual columns here). Working days are
Monday to Friday (the default calendar), and a duration counts them, both ends included.

The generator computes its rows with :func:`rolled_up` before inserting them (so a fresh row
is stamped once); the churn calls :func:`roll_up`, which re-stamps only the rows whose values
really moved, as Dataverse bumps a row's version only when it is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pmosync.sandbox.dataverse.environment import Environment

HOURS = 2
"""Decimal places of hours (effort columns)."""
FRACTION = 4
"""Decimal places of a progress fraction."""

TASK_ROLLUP = (
    "msdyn_summary",
    "msdyn_effort",
    "msdyn_effortcompleted",
    "msdyn_effortremaining",
    "msdyn_progress",
    "msdyn_scheduledstart",
    "msdyn_scheduledend",
    "msdyn_duration",
    "msdyn_actualstart",
    "msdyn_actualend",
)
ACTUALS = ("msdyn_actualstart", "msdyn_actualend")
"""A task's system-computed actual columns (the project row has none here)."""
PROJECT_ROLLUP = (
    "msdyn_effort",
    "msdyn_effortcompleted",
    "msdyn_effortremaining",
    "msdyn_progress",
    "msdyn_scheduledstart",
    "msdyn_finish",
    "msdyn_duration",
)


def working_days(first: date, last: date) -> int:
    """Monday-to-Friday days from ``first`` to ``last``, both included (0 when last < first)."""
    if last < first:
        return 0
    weeks, extra = divmod((last - first).days + 1, 7)
    start = first.weekday()
    return weeks * 5 + sum(1 for i in range(extra) if (start + i) % 7 < 5)


def add_working_days(day: date, count: int) -> date:
    """The working day ``count`` working days after ``day`` (before it when negative); a
    weekend ``day`` first moves to the next Monday."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    step = 1 if count >= 0 else -1
    weeks, rest = divmod(abs(count), 5)
    day += timedelta(days=7 * weeks * step)
    while rest:
        day += timedelta(days=step)
        if day.weekday() < 5:
            rest -= 1
    return day


def day_of(instant: str) -> date:
    """The UTC day of a ``2026-03-02T08:00:00Z`` instant."""
    return date.fromisoformat(instant[:10])


def effort_values(hours: float, progress: float) -> dict:
    """The effort, completed and remaining columns (a leaf's or an assignment's) of ``hours``
    done to ``progress`` (completed = hours * progress)."""
    completed = round(hours * progress, HOURS)
    return {
        "msdyn_effort": round(hours, HOURS),
        "msdyn_effortcompleted": completed,
        "msdyn_effortremaining": round(hours - completed, HOURS),
    }


def leaf_values(effort: float, progress: float) -> dict:
    """A leaf's effort columns from its effort and progress, and the progress itself."""
    return {**effort_values(effort, progress), "msdyn_progress": round(progress, FRACTION)}


def split_hours(effort: float, count: int) -> list[float]:
    """``effort`` shared evenly among ``count`` assignments, to the hundredth; the last takes
    what rounding left, so the shares sum to ``effort``."""
    share = round(effort / count, HOURS)
    return [share] * (count - 1) + [round(effort - share * (count - 1), HOURS)]


def _summary(children: list[dict]) -> dict:
    """The roll-up of ``children`` (each a dict with the TASK_ROLLUP columns)."""
    effort = round(sum(c["msdyn_effort"] or 0 for c in children), HOURS)
    completed = round(sum(c["msdyn_effortcompleted"] or 0 for c in children), HOURS)
    if effort > 0:
        progress = round(completed / effort, FRACTION)
    else:  # only milestones below: each counts alike
        progress = round(sum(c["msdyn_progress"] or 0 for c in children) / len(children), FRACTION)
    starts = [c["msdyn_scheduledstart"] for c in children if c["msdyn_scheduledstart"]]
    ends = [c["msdyn_scheduledend"] for c in children if c["msdyn_scheduledend"]]
    start, end = (min(starts) if starts else None), (max(ends) if ends else None)
    begun = [c["msdyn_actualstart"] for c in children if c.get("msdyn_actualstart")]
    finished = [c.get("msdyn_actualend") for c in children
                if (c["msdyn_progress"] or 0) >= 1]  # fmt: skip
    done = len(finished) == len(children) and all(finished)
    return {
        "msdyn_effort": effort,
        "msdyn_effortcompleted": completed,
        "msdyn_effortremaining": round(effort - completed, HOURS),
        "msdyn_progress": progress,
        "msdyn_scheduledstart": start,
        "msdyn_scheduledend": end,
        "msdyn_duration": working_days(day_of(start), day_of(end)) if start and end else None,
        # ISO instants of one format: their string order is their time order
        "msdyn_actualstart": min(begun) if begun else None,
        "msdyn_actualend": max(finished) if done else None,
    }


def rolled_up(tasks: Iterable[dict]) -> tuple[dict[str, dict], dict | None]:
    """The roll-up of one project's task rows: (task id -> the TASK_ROLLUP columns of every
    task that has children or had them, the project's PROJECT_ROLLUP columns or None when it has
    no task). A task without children is a leaf: its own values stand, and ``msdyn_summary``
    turns false when its last child went."""
    rows = {t["msdyn_projecttaskid"]: t for t in tasks}
    children: dict[str | None, list[str]] = {}
    for key, row in rows.items():
        parent = row["_msdyn_parenttask_value"]
        children.setdefault(parent if parent in rows else None, []).append(key)
    values = {key: {c: row.get(c) for c in TASK_ROLLUP} for key, row in rows.items()}
    changed: dict[str, dict] = {}

    def depth(key: str) -> int:
        level, parent = 0, rows[key]["_msdyn_parenttask_value"]
        while parent in rows:
            level, parent = level + 1, rows[parent]["_msdyn_parenttask_value"]
        return level

    for key in sorted(rows, key=depth, reverse=True):
        kids = children.get(key)
        if kids:
            values[key].update(_summary([values[k] for k in kids]), msdyn_summary=True)
            changed[key] = values[key]
        elif rows[key].get("msdyn_summary"):
            values[key]["msdyn_summary"] = False
            changed[key] = values[key]
    top = children.get(None)
    if not top:
        return changed, None
    project = _summary([values[k] for k in top])
    project["msdyn_finish"] = project.pop("msdyn_scheduledend")
    for column in ACTUALS:
        del project[column]
    return changed, project


def roll_up(env: Environment, project_id: str) -> list[str]:
    """Recompute a project's summary tasks and the project row from its leaves, upserting only
    the rows whose values differ; returns the ids of the rows written (tasks, then the project
    last when it changed)."""
    with env.lock:
        tasks = [r for r in env.rows["msdyn_projecttask"].values()
                 if r["_msdyn_project_value"] == project_id]  # fmt: skip
        return roll_up_rows(env, project_id, tasks)


def roll_up_rows(env: Environment, project_id: str, tasks: list[dict]) -> list[str]:
    """:func:`roll_up` over the given task rows (all of the project's), for callers that have
    already grouped the tasks by project."""
    written: list[str] = []
    with env.lock:
        summaries, project = rolled_up(tasks)
        stored = env.rows["msdyn_projecttask"]
        for key in sorted(summaries, key=lambda k: stored[k]["msdyn_displaysequence"] or 0):
            moved = {c: v for c, v in summaries[key].items() if stored[key][c] != v}
            if moved:
                env.upsert("msdyn_projecttask", {"msdyn_projecttaskid": key, **moved})
                written.append(key)
        row = env.rows["msdyn_project"].get(project_id)
        if row is None:
            return written
        if project is None:
            project = {"msdyn_effort": 0.0, "msdyn_effortcompleted": 0.0,
                       "msdyn_effortremaining": 0.0, "msdyn_progress": 0.0}  # fmt: skip
        moved = {c: v for c, v in project.items() if row[c] != v}
        if moved:
            env.upsert("msdyn_project", {"msdyn_projectid": project_id, **moved})
            written.append(project_id)
        return written
