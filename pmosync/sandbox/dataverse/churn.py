"""Edits people make to premium plans, for tests and benchmarks, as the plans' engine applies
them: every write goes through :meth:`Environment.upsert` / :meth:`Environment.delete` (so
versions move and deletions are logged), and after a leaf changes its summary tasks and the
project row are rolled up again, re-stamping only the rows whose values really moved.

Draws come from the caller's ``random.Random`` over rows in id order, so the same environment
state and seed make the same edits in any process (a bench recomputes its ground truth).
Successors are not rescheduled when a predecessor's dates move (the plans' engine would push
them); nothing here depends on it.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from pmosync.sandbox.dataverse.environment import (
    LINK_FINISH_TO_START,
    TABLES,
    Deletion,
    Environment,
    day_end,
    day_start,
    utc,
)
from pmosync.sandbox.dataverse.rollup import (
    add_working_days,
    day_of,
    effort_values,
    leaf_values,
    roll_up,
    roll_up_rows,
    split_hours,
)

TASK = "msdyn_projecttask"
ASSIGNMENT = "msdyn_resourceassignment"
DEPENDENCY = "msdyn_projecttaskdependency"
TEAM = "msdyn_projectteam"
PROJECT = "msdyn_project"

PROGRESS_STEPS = (0.0, 0.25, 0.5, 0.75, 1.0)
SHIFTS = (-5, -2, 1, 2, 3, 5, 10)
"""Working days a leaf's dates move by."""


def _row(env: Environment, table: str, key: str) -> dict:
    row = env.rows[table].get(key)
    if row is None:
        raise KeyError(f"{table} {key} does not exist")
    return row


# -- leaves ----------------------------------------------------------------------------------


def edit_task(
    env: Environment,
    task_id: str,
    *,
    progress: float | None = None,
    shift: int = 0,
    effort: float | None = None,
) -> None:
    """Change a leaf's progress, move its dates by ``shift`` working days and/or set its effort,
    keep its assignments in step (dates, effort split in the same shares, completed effort),
    then roll its project up."""
    with env.lock:
        task = _row(env, TASK, task_id)
        assignments = [a for a in env.rows[ASSIGNMENT].values()
                       if a["_msdyn_taskid_value"] == task_id]  # fmt: skip
        _edit(env, task, progress, shift, effort, assignments)
        roll_up(env, task["_msdyn_project_value"])


def _edit(
    env: Environment,
    task: dict,
    progress: float | None,
    shift: int,
    effort: float | None,
    assignments: list[dict],
) -> None:
    """:func:`edit_task` without the roll-up, given the task's assignments (stored rows)."""
    if task["msdyn_summary"]:
        raise ValueError(f"task {task['msdyn_projecttaskid']} is a summary: its values roll up")
    milestone = bool(task["msdyn_ismilestone"])
    new_effort = 0.0 if milestone else (task["msdyn_effort"] if effort is None else effort)
    new_progress = task["msdyn_progress"] if progress is None else progress
    if not 0 <= new_progress <= 1 or new_effort < 0:
        raise ValueError("progress is a fraction 0..1 and effort hours >= 0")
    changes = leaf_values(new_effort, new_progress)
    changes.update(_actuals(env, task, new_progress))
    if shift:
        start = add_working_days(day_of(task["msdyn_scheduledstart"]), shift)
        end = add_working_days(day_of(task["msdyn_scheduledend"]), shift)
        changes["msdyn_scheduledstart"] = day_end(start) if milestone else day_start(start)
        changes["msdyn_scheduledend"] = day_end(end)
    moved = {c: v for c, v in changes.items() if task[c] != v}
    if moved:
        env.upsert(TASK, {"msdyn_projecttaskid": task["msdyn_projecttaskid"], **moved})
    _sync_assignments(env, task, assignments)


def _actuals(env: Environment, task: dict, progress: float) -> dict:
    """The actual start and end Dataverse stamps as progress moves: the moment of the edit
    when the task starts (from 0) or completes, null again when it goes back to 0 or below
    1 (a start already stamped stays while progress stays above 0)."""
    was = task["msdyn_progress"] or 0
    now = utc(env.now())
    start = task["msdyn_actualstart"]
    end = task["msdyn_actualend"]
    if progress <= 0:
        start = None
    elif was <= 0 or start is None:
        start = now
    if progress < 1:
        end = None
    elif was < 1 or end is None:
        end = now
    return {"msdyn_actualstart": start, "msdyn_actualend": end}


def _sync_assignments(env: Environment, task: dict, assignments: list[dict]) -> None:
    """Assignments follow their task: its dates, its effort split in their current shares
    (evenly when they had none), completed effort at the task's progress."""
    if not assignments:
        return
    assignments = sorted(assignments, key=lambda a: a["msdyn_resourceassignmentid"])
    effort, progress = task["msdyn_effort"] or 0.0, task["msdyn_progress"] or 0.0
    before = sum(a["msdyn_effort"] or 0 for a in assignments)
    given = 0.0
    for n, a in enumerate(assignments):
        if n == len(assignments) - 1:
            hours = round(effort - given, 2)
        elif before:
            hours = round(effort * (a["msdyn_effort"] or 0) / before, 2)
        else:
            hours = round(effort / len(assignments), 2)
        given += hours
        values = {
            "msdyn_start": task["msdyn_scheduledstart"], "msdyn_finish": task["msdyn_scheduledend"],
            **effort_values(hours, progress),
        }  # fmt: skip
        moved = {c: v for c, v in values.items() if a[c] != v}
        if moved:
            env.upsert(ASSIGNMENT, {"msdyn_resourceassignmentid": a["msdyn_resourceassignmentid"],
                                    **moved})  # fmt: skip


def edit_tasks(env: Environment, rng: random.Random, fraction: float) -> list[str]:
    """Edit ``round(fraction * tasks)`` leaves (at least one when fraction > 0): one to three
    of progress, dates and effort each, every one a real change; then roll the touched projects
    up once each. Returns the edited task ids, sorted."""
    if not 0 <= fraction <= 1:
        raise ValueError("fraction must be within 0..1")
    with env.lock:
        tasks = env.rows[TASK]
        leaves = sorted(k for k, t in tasks.items() if not t["msdyn_summary"])
        wanted = round(fraction * len(tasks))
        count = min(len(leaves), max(1, wanted) if fraction > 0 else 0)
        chosen = sorted(rng.sample(leaves, count))
        by_task = _assignments_by_task(env)
        projects: set[str] = set()
        for task_id in chosen:
            task = tasks[task_id]
            kinds = rng.sample(("progress", "dates", "effort"), rng.randint(1, 3))
            if task["msdyn_ismilestone"]:
                kinds = ["progress"] if "progress" in kinds else ["dates"]
            progress = shift = effort = None
            if "progress" in kinds:
                steps = (0.0, 1.0) if task["msdyn_ismilestone"] else PROGRESS_STEPS
                progress = rng.choice([p for p in steps if p != task["msdyn_progress"]])
            if "dates" in kinds:
                shift = rng.choice(SHIFTS)
            if "effort" in kinds:
                current = task["msdyn_effort"] or 0.0
                effort = float(max(1, round(current * rng.choice((0.5, 1.5, 2.0)))))
                if effort == current:
                    effort = current + 4.0
            _edit(env, task, progress, shift or 0, effort, by_task.get(task_id, []))
            projects.add(task["_msdyn_project_value"])
        _roll_up_all(env, projects)
        return chosen


def _assignments_by_task(env: Environment) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for a in env.rows[ASSIGNMENT].values():
        found.setdefault(a["_msdyn_taskid_value"], []).append(a)
    return found


def _roll_up_all(env: Environment, projects: Iterable[str]) -> None:
    """Roll several projects up, grouping the tasks once."""
    grouped: dict[str, list[dict]] = {p: [] for p in projects}
    for t in env.rows[TASK].values():
        if t["_msdyn_project_value"] in grouped:
            grouped[t["_msdyn_project_value"]].append(t)
    for project_id in sorted(grouped):
        roll_up_rows(env, project_id, grouped[project_id])


# -- structure -------------------------------------------------------------------------------


def move_task(env: Environment, task_id: str, bucket_id: str | None) -> None:
    """Move a task to another bucket of its project (None: out of any bucket)."""
    with env.lock:
        task = _row(env, TASK, task_id)
        if bucket_id is not None:
            bucket = _row(env, "msdyn_projectbucket", bucket_id)
            if bucket["_msdyn_project_value"] != task["_msdyn_project_value"]:
                raise ValueError(f"bucket {bucket_id} is not in task {task_id}'s project")
        if task["_msdyn_projectbucket_value"] != bucket_id:
            env.upsert(TASK, {"msdyn_projecttaskid": task_id,
                              "_msdyn_projectbucket_value": bucket_id})  # fmt: skip


def add_task(
    env: Environment,
    project_id: str,
    subject: str,
    *,
    parent_id: str | None = None,
    bucket_id: str | None = None,
    start: date | None = None,
    days: int = 1,
    effort: float = 8.0,
    progress: float = 0.0,
    milestone: bool = False,
    resource_ids: Iterable[str] = (),
    roll: bool = True,
) -> str:
    """A new leaf at the end of its parent's subtree (or of the plan), in the parent's bucket
    unless given, starting ``start`` (the parent's start, else today) for ``days`` working
    days (a milestone: a moment, no effort); assigned to ``resource_ids`` (added to the team
    when needed). A parent that was a leaf becomes a summary and loses its assignments, as in
    the plans' UI. Returns the task id. ``roll`` false leaves the roll-up to the caller."""
    if days < 1 or not 0 <= progress <= 1 or effort < 0:
        raise ValueError("days >= 1, progress 0..1 and effort >= 0")
    with env.lock:
        _row(env, PROJECT, project_id)
        tasks = [t for t in env.rows[TASK].values() if t["_msdyn_project_value"] == project_id]
        level, sequence = 1, _after(tasks, None)
        if parent_id is not None:
            parent = _row(env, TASK, parent_id)
            if parent["_msdyn_project_value"] != project_id:
                raise ValueError(f"task {parent_id} is not in project {project_id}")
            level, sequence = (parent["msdyn_outlinelevel"] or 1) + 1, _after(tasks, parent_id)
            if bucket_id is None:
                bucket_id = parent["_msdyn_projectbucket_value"]
            if start is None and parent["msdyn_scheduledstart"]:
                start = day_of(parent["msdyn_scheduledstart"])
            if not parent["msdyn_summary"]:
                for a in env.find(ASSIGNMENT, _msdyn_taskid_value=parent_id):
                    env.delete(ASSIGNMENT, a["msdyn_resourceassignmentid"])
        first = add_working_days(start or env.today, 0)
        last = first if milestone else add_working_days(first, days - 1)
        task_id = env.guid()
        row = {
            "msdyn_projecttaskid": task_id, "msdyn_subject": subject,
            "_msdyn_project_value": project_id, "_msdyn_projectbucket_value": bucket_id,
            "_msdyn_parenttask_value": parent_id, "msdyn_outlinelevel": level,
            "msdyn_displaysequence": sequence, "msdyn_summary": False,
            "msdyn_ismilestone": milestone, "msdyn_iscritical": False, "msdyn_priority": 5,
            "msdyn_descriptionplaintext": None,
            "msdyn_scheduledstart": day_end(first) if milestone else day_start(first),
            "msdyn_scheduledend": day_end(last), "msdyn_duration": 0 if milestone else days,
            **leaf_values(0.0 if milestone else effort, progress),
        }  # fmt: skip
        now = utc(env.now())  # Dataverse stamps a task created started or done as of now
        row["msdyn_actualstart"] = now if progress > 0 else None
        row["msdyn_actualend"] = now if progress >= 1 else None
        env.upsert(TASK, row)
        resources = [] if milestone else list(dict.fromkeys(resource_ids))
        shares = split_hours(row["msdyn_effort"], len(resources)) if resources else []
        for resource_id, hours in zip(resources, shares, strict=True):
            member_id = add_team_member(env, project_id, resource_id)
            env.upsert(ASSIGNMENT, {
                "msdyn_resourceassignmentid": env.guid(),
                "msdyn_name": _row(env, "bookableresource", resource_id)["name"],
                "_msdyn_projectid_value": project_id, "_msdyn_taskid_value": task_id,
                "_msdyn_bookableresourceid_value": resource_id,
                "_msdyn_projectteamid_value": member_id, "msdyn_start": row["msdyn_scheduledstart"],
                "msdyn_finish": row["msdyn_scheduledend"], **effort_values(hours, progress),
            })  # fmt: skip
        if roll:
            roll_up(env, project_id)
        return task_id


def _after(tasks: list[dict], parent_id: str | None) -> float:
    """A display sequence just after ``parent_id``'s subtree (the plan's end for None), before
    whatever follows it."""
    ordered = sorted(tasks, key=lambda t: t["msdyn_displaysequence"] or 0)
    if parent_id is None:
        return (ordered[-1]["msdyn_displaysequence"] if ordered else 0.0) + 1.0
    parents = {t["msdyn_projecttaskid"]: t["_msdyn_parenttask_value"] for t in tasks}

    def under(key: str | None) -> bool:
        while key is not None:
            if key == parent_id:
                return True
            key = parents.get(key)
        return False

    last = max(n for n, t in enumerate(ordered) if under(t["msdyn_projecttaskid"]))
    here = ordered[last]["msdyn_displaysequence"]
    if last + 1 < len(ordered):
        return (here + ordered[last + 1]["msdyn_displaysequence"]) / 2
    return here + 1.0


def delete_task(env: Environment, task_id: str, *, roll: bool = True) -> list[Deletion]:
    """Delete a task with its subtasks, dependencies and assignments, then roll its project
    up (a parent left without children is a leaf again) unless ``roll`` is false."""
    with env.lock:
        project_id = _row(env, TASK, task_id)["_msdyn_project_value"]
        done = env.delete(TASK, task_id)
        if roll:
            roll_up(env, project_id)
        return done


def add_dependency(
    env: Environment, predecessor_id: str, successor_id: str, *, lag: float = 0.0
) -> str:
    """A finish-to-start link between two tasks of one project; refuses a duplicate or a
    link that would close a cycle. Returns its id."""
    with env.lock:
        predecessor, successor = _row(env, TASK, predecessor_id), _row(env, TASK, successor_id)
        project_id = predecessor["_msdyn_project_value"]
        if predecessor_id == successor_id or successor["_msdyn_project_value"] != project_id:
            raise ValueError("a dependency links two different tasks of one project")
        links = [d for d in env.rows[DEPENDENCY].values()
                 if d["_msdyn_project_value"] == project_id]  # fmt: skip
        after: dict[str, list[str]] = {}
        for d in links:
            pair = (d["_msdyn_predecessortask_value"], d["_msdyn_successortask_value"])
            if pair == (predecessor_id, successor_id):
                raise ValueError("that dependency exists already")
            after.setdefault(pair[0], []).append(pair[1])
        seen, stack = set(), [successor_id]
        while stack:  # is the predecessor reachable from the successor?
            key = stack.pop()
            if key == predecessor_id:
                raise ValueError("that dependency would close a cycle")
            if key not in seen:
                seen.add(key)
                stack += after.get(key, [])
        dependency_id = env.guid()
        env.upsert(DEPENDENCY, {
            "msdyn_projecttaskdependencyid": dependency_id, "_msdyn_project_value": project_id,
            "_msdyn_predecessortask_value": predecessor_id,
            "_msdyn_successortask_value": successor_id,
            "msdyn_projecttaskdependencylinktype": LINK_FINISH_TO_START,
            "msdyn_projecttaskdependencylinklag": lag,
        })  # fmt: skip
        return dependency_id


def delete_dependency(env: Environment, dependency_id: str) -> list[Deletion]:
    with env.lock:
        _row(env, DEPENDENCY, dependency_id)
        return env.delete(DEPENDENCY, dependency_id)


# -- projects and people ---------------------------------------------------------------------


def delete_project(env: Environment, project_id: str) -> list[Deletion]:
    """Delete a project with its buckets, tasks, dependencies, assignments and team."""
    with env.lock:
        _row(env, PROJECT, project_id)
        return env.delete(PROJECT, project_id)


def rename_project(env: Environment, project_id: str, name: str) -> None:
    with env.lock:
        _row(env, PROJECT, project_id)
        env.upsert(PROJECT, {"msdyn_projectid": project_id, "msdyn_subject": name})


def set_project_state(env: Environment, project_id: str, active: bool) -> None:
    """Deactivate (statecode 1, statuscode 2) or reactivate (0, 1) a project."""
    with env.lock:
        _row(env, PROJECT, project_id)
        env.upsert(PROJECT, {"msdyn_projectid": project_id, "statecode": 0 if active else 1,
                             "statuscode": 1 if active else 2})  # fmt: skip


def add_team_member(env: Environment, project_id: str, resource_id: str) -> str:
    """Put a bookable resource on a project's team (its id when it is there already)."""
    with env.lock:
        project = _row(env, PROJECT, project_id)
        resource = _row(env, "bookableresource", resource_id)
        for member in env.rows[TEAM].values():
            if (member["_msdyn_project_value"], member["_msdyn_bookableresourceid_value"]) == (
                project_id, resource_id,
            ):  # fmt: skip
                return member["msdyn_projectteamid"]
        member_id = env.guid()
        env.upsert(TEAM, {
            "msdyn_projectteamid": member_id, "msdyn_name": resource["name"],
            "_msdyn_project_value": project_id, "_msdyn_bookableresourceid_value": resource_id,
            "msdyn_from": project["msdyn_scheduledstart"], "msdyn_to": project["msdyn_finish"],
        })  # fmt: skip
        return member_id


def reassign(env: Environment, assignment_id: str, resource_id: str) -> None:
    """Give an assignment to another resource (put on the project's team when needed)."""
    with env.lock:
        assignment = _row(env, ASSIGNMENT, assignment_id)
        if assignment["_msdyn_bookableresourceid_value"] == resource_id:
            return
        member_id = add_team_member(env, assignment["_msdyn_projectid_value"], resource_id)
        env.upsert(ASSIGNMENT, {
            "msdyn_resourceassignmentid": assignment_id,
            "msdyn_name": _row(env, "bookableresource", resource_id)["name"],
            "_msdyn_bookableresourceid_value": resource_id,
            "_msdyn_projectteamid_value": member_id,
        })  # fmt: skip


# -- a mix -----------------------------------------------------------------------------------


@dataclass
class ChurnReport:
    """What :func:`churn` did (ids sorted within each list)."""

    version_before: int
    version_after: int = 0
    edited: list[str] = field(default_factory=list)
    """Leaves whose progress, dates or effort changed."""
    added: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    """Tasks deleted, subtasks included."""
    moved: list[str] = field(default_factory=list)
    """Tasks moved to another bucket."""
    dependencies_added: list[str] = field(default_factory=list)
    dependencies_deleted: list[str] = field(default_factory=list)
    """Dependencies deleted by hand (a deleted task's go too: see ``deletions``)."""
    reassigned: list[str] = field(default_factory=list)
    team_added: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)
    """Projects renamed."""
    deletions: list[Deletion] = field(default_factory=list)
    """Every row deleted, cascades included."""
    changed: dict[str, list[str]] = field(default_factory=dict)
    """Per table, every row id stamped with a new version (edits, roll-ups, inserts)."""

    @property
    def tasks_touched(self) -> set[str]:
        """Task ids a sync must see again: changed rows and deleted ones."""
        gone = {d.id for d in self.deletions if d.table == TASK}
        return set(self.changed.get(TASK, ())) | gone


def churn(env: Environment, seed: int, fraction: float) -> ChurnReport:
    """A seeded mix of what a week brings: ``round(fraction * tasks)`` leaves edited (progress,
    dates, effort; the bench's 1 %), and about a tenth as many tasks added and deleted, moved,
    dependencies added and deleted, assignments reassigned; one team member added and one
    project renamed."""
    rng = random.Random(seed)
    with env.lock:
        report = ChurnReport(env.version)
        report.edited = edit_tasks(env, rng, fraction)
        edited = set(report.edited)
        structural = max(1, len(report.edited) // 10) if fraction > 0 else 0
        if not structural or not env.rows[PROJECT]:
            report.version_after = env.version
            return report
        projects = sorted(env.rows[PROJECT])
        resources = sorted(env.rows["bookableresource"])
        tasks = env.rows[TASK]
        summaries: dict[str, list[str]] = {}
        for key in sorted(tasks):
            if tasks[key]["msdyn_summary"]:
                summaries.setdefault(tasks[key]["_msdyn_project_value"], []).append(key)
        touched: set[str] = set()  # projects to roll up once at the end
        for n in range(structural):
            project_id = rng.choice(projects)
            under = summaries.get(project_id)
            parent = rng.choice(under) if under and n % 2 == 0 else None
            who = rng.sample(resources, 1) if resources else []
            report.added.append(add_task(env, project_id, f"Follow-up {seed}-{n}",
                                         parent_id=parent, days=rng.randint(1, 5),
                                         effort=float(rng.randint(2, 24)), resource_ids=who,
                                         roll=False))  # fmt: skip
            touched.add(project_id)
        leaves = [k for k in sorted(tasks) if not tasks[k]["msdyn_summary"]
                  and k not in edited and k not in report.added]  # fmt: skip
        for _ in range(structural):
            if not leaves:
                break
            task_id = rng.choice(leaves)
            leaves.remove(task_id)  # a leaf's deletion takes no other task with it
            touched.add(tasks[task_id]["_msdyn_project_value"])
            gone = delete_task(env, task_id, roll=False)
            report.deleted += [d.id for d in gone if d.table == TASK]
            report.deletions += gone
        ids = sorted(tasks)
        buckets_of: dict[str, list[str]] = {}
        for key in sorted(env.rows["msdyn_projectbucket"]):
            bucket = env.rows["msdyn_projectbucket"][key]
            buckets_of.setdefault(bucket["_msdyn_project_value"], []).append(key)
        _roll_up_all(env, touched)
        for _ in range(structural):
            task_id = rng.choice(ids)
            task = tasks[task_id]
            buckets = [k for k in buckets_of.get(task["_msdyn_project_value"], ())
                       if k != task["_msdyn_projectbucket_value"]]  # fmt: skip
            if buckets:
                move_task(env, task_id, rng.choice(buckets))
                report.moved.append(task_id)
        plans: dict[str, list[dict]] = {}
        for key in ids:
            if not tasks[key]["msdyn_summary"]:
                plans.setdefault(tasks[key]["_msdyn_project_value"], []).append(tasks[key])
        for _ in range(structural):
            added = _a_dependency(env, rng, plans)
            if added:
                report.dependencies_added.append(added)
        links = sorted(set(env.rows[DEPENDENCY]) - set(report.dependencies_added))
        for _ in range(structural):
            if links:
                dependency_id = rng.choice(links)
                links.remove(dependency_id)
                report.deletions += delete_dependency(env, dependency_id)
                report.dependencies_deleted.append(dependency_id)
        assignments = sorted(env.rows[ASSIGNMENT])
        for _ in range(structural):
            if assignments and len(resources) > 1:
                assignment_id = rng.choice(assignments)
                current = env.rows[ASSIGNMENT][assignment_id]["_msdyn_bookableresourceid_value"]
                reassign(env, assignment_id, rng.choice([r for r in resources if r != current]))
                report.reassigned.append(assignment_id)
        project_id = rng.choice(sorted(env.rows[PROJECT]))
        on_team = {m["_msdyn_bookableresourceid_value"] for m in env.rows[TEAM].values()
                   if m["_msdyn_project_value"] == project_id}  # fmt: skip
        newcomers = [r for r in resources if r not in on_team]
        if newcomers:
            report.team_added.append(add_team_member(env, project_id, rng.choice(newcomers)))
        project_id = rng.choice(sorted(env.rows[PROJECT]))
        name = env.rows[PROJECT][project_id]["msdyn_subject"] or ""
        rename_project(env, project_id, f"{name.split(' (rev ')[0]} (rev {seed})")
        report.renamed.append(project_id)
        for name in ("added", "deleted", "moved", "dependencies_added", "reassigned"):
            setattr(report, name, sorted(set(getattr(report, name))))
        report.version_after = env.version
        for table in env.rows:
            changed, _ = env.changes_since(table, report.version_before)
            if changed:
                key = TABLES[table].key
                report.changed[table] = sorted(r[key] for r in changed)
        return report


def _a_dependency(env: Environment, rng: random.Random, plans: dict[str, list[dict]]) -> str | None:
    """A new finish-to-start link between two leaves of one project (``plans``: leaf rows per
    project, in id order), the predecessor earlier in the plan (so never a cycle by
    construction; add_dependency checks anyway)."""
    projects = sorted(p for p, leaves in plans.items() if len(leaves) > 1)
    for _ in range(10):
        if not projects:
            return None
        leaves = plans[rng.choice(projects)]
        first = rng.choice(leaves)
        sequence = first["msdyn_displaysequence"] or 0
        later = [t["msdyn_projecttaskid"] for t in leaves
                 if (t["msdyn_displaysequence"] or 0) > sequence]  # fmt: skip
        if not later:
            continue
        try:
            return add_dependency(env, first["msdyn_projecttaskid"], rng.choice(later))
        except ValueError:
            continue
    return None
