"""Planner premium rows (Dataverse Web API JSON) -> canonical records, one row at a time.

Dataverse speaks in its own scales; the canonical model in the PMO's:
- datetimes are UTC (``2026-03-02T07:00:00Z``): a task scheduled 08:00-17:00 in Paris is
  stored 07:00Z-16:00Z, so a day is read in the zone the plans are used in, never in UTC;
- ``msdyn_progress`` is a fraction (0.34 = 34 %), and effort is in hours;
- a summary task (``msdyn_summary``) carries the ROLL-UP of its subtasks' effort, progress and
  dates: its estimate is left out (None) so no report counts the same hours twice;
- ``msdyn_priority`` is Planner's 0-10 scale (the UI writes 1, 3, 5, 9), read through the
  connector's Planner priority vocabulary;
- people are referenced by the connector's person key (the Entra object id when there is one),
  the same key its ``people`` records carry.

Every reader returns a typed value, None for unset, or raises ``MappingError`` naming the column
and the value, so a malformed row is quarantined with a reason a person can act on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from pmosync.canonical.text import without_nul
from pmosync.canonical.types import (
    Allocation,
    Assignment,
    PersonIdentity,
    Phase,
    Priority,
    Project,
    ProjectStatus,
    Task,
    TaskStatus,
)
from pmosync.mapping.priority import PriorityVocabulary
from pmosync.mapping.result import Mapped, MappingError, Tombstone
from pmosync.mapping.values import build, flag, local_day_of, timestamp_of
from pmosync.mapping.values import text as raw_text

INACTIVE = 1
"""``statecode`` of a deactivated (closed) project."""


# -- readers ---------------------------------------------------------------------------------


def key(raw: Mapping[str, Any], column: str) -> str:
    """A column the row cannot do without (its own id, its project's): one line naming it."""
    value = raw.get(column)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise MappingError(f"record has no {column}")
    if not isinstance(value, str):
        raise MappingError(f"{column} is not an id: {value!r}")
    return value


def lookup(raw: Mapping[str, Any], column: str) -> str | None:
    """An optional lookup (``_x_value``) or person key; None when unset."""
    value = raw.get(column)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MappingError(f"{column} is not an id: {value!r}")
    return value


def text(raw: Mapping[str, Any], column: str) -> str | None:
    """A text column as ``values.text`` reads it, without NUL (PostgreSQL refuses it, and it
    is never meant to be seen); every other character is kept."""
    value = raw_text(raw, column)
    return without_nul(value) if value is not None else None


def number(raw: Mapping[str, Any], column: str) -> float | None:
    """A decimal column (JSON number); a bool, a string or NaN is malformed."""
    value = raw.get(column)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise MappingError(f"{column} is not a number: {value!r}")
    return float(value)


def fraction(raw: Mapping[str, Any], column: str) -> float | None:
    """``msdyn_progress``: a fraction from 0 to 1 (0.34 is 34 %), never a percent."""
    value = number(raw, column)
    if value is not None and not 0 <= value <= 1:
        raise MappingError(f"{column} is not a fraction from 0 to 1: {raw.get(column)!r}")
    return value


def hours(raw: Mapping[str, Any], column: str) -> float | None:
    """An effort column in hours; negative effort is malformed."""
    value = number(raw, column)
    if value is not None and value < 0:
        raise MappingError(f"{column} is negative: {raw.get(column)!r}")
    return value


def percent(progress: float | None) -> float | None:
    return None if progress is None else round(progress * 100, 2)


def task_status(progress: float | None) -> TaskStatus:
    if progress is None or progress <= 0:
        return "not_started"
    return "done" if progress >= 1 else "in_progress"


def priority_of(raw: Mapping[str, Any], vocabulary: PriorityVocabulary) -> Priority | None:
    """``msdyn_priority`` through the Planner bands; unset is no priority, and a value that
    is not a whole number is "unknown" (counted and warned about), as for basic plans."""
    value = raw.get("msdyn_priority")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        value = repr(value)  # never a key of the vocabulary: unknown, and named as it is
    return vocabulary.priority(value, "msdyn_priority")


def identity(source: str, person: str | None) -> str | None:
    return PersonIdentity.ref(source, person) if person else None


def record_url(environment: str, table: str, row: str) -> str:
    """The row's form in the environment's model-driven app."""
    return f"{environment}/main.aspx?etn={table}&id={row}&pagetype=entityrecord"


# -- rows ------------------------------------------------------------------------------------


def project_status(raw: Mapping[str, Any], progress: float | None) -> ProjectStatus:
    """statecode 1 (inactive) -> archived; else completed at 100 % progress; else active."""
    state = raw.get("statecode")
    if state is not None and (isinstance(state, bool) or not isinstance(state, int)):
        raise MappingError(f"statecode is not a whole number: {state!r}")
    if state == INACTIVE:
        return "archived"
    return "completed" if progress is not None and progress >= 1 else "active"


def map_project(source: str, raw: Mapping[str, Any], environment: str, zone: tzinfo) -> Mapped:
    """msdyn_project (+ "manager", a person key) -> Project."""
    project_id = key(raw, "msdyn_projectid")
    progress = fraction(raw, "msdyn_progress")
    project = build(
        Project,
        source=source,
        source_id=project_id,
        source_url=record_url(environment, "msdyn_project", project_id),
        name=text(raw, "msdyn_subject") or "",
        owner_identity_id=identity(source, lookup(raw, "manager")),
        status=project_status(raw, progress),
        start_date=local_day_of(raw, "msdyn_scheduledstart", zone),
        due_date=local_day_of(raw, "msdyn_finish", zone),
        created_at=timestamp_of(raw, "createdon"),
        updated_at=timestamp_of(raw, "modifiedon"),
    )
    return Mapped([project])


def map_bucket(source: str, raw: Mapping[str, Any]) -> Mapped:
    """msdyn_projectbucket -> Phase."""
    phase = build(
        Phase,
        source=source,
        source_id=key(raw, "msdyn_projectbucketid"),
        project_id=Project.ref(source, key(raw, "_msdyn_project_value")),
        name=text(raw, "msdyn_name") or "",
        updated_at=timestamp_of(raw, "modifiedon"),
    )
    return Mapped([phase])


def predecessors(source: str, raw: Mapping[str, Any]) -> list[str]:
    """Task refs of the connector's ``predecessors`` (ids of the tasks this one waits on),
    sorted: the same predecessors are the same list, however they were listed."""
    found = raw.get("predecessors")
    if found is None:
        return []
    if not isinstance(found, list) or not all(isinstance(i, str) and i for i in found):
        raise MappingError(f"predecessors is not a list of task ids: {found!r}")
    return sorted({Task.ref(source, task) for task in found})


def map_task(
    source: str,
    raw: Mapping[str, Any],
    environment: str,
    zone: tzinfo,
    priorities: PriorityVocabulary,
) -> Mapped:
    """msdyn_projecttask (+ "predecessors") -> Task.

    A milestone is flagged, or a leaf of zero duration; its start is its due day (a milestone
    is a moment, and Dataverse may keep the start at the previous working day's start).
    A summary task's effort is its subtasks' roll-up: its estimate is None, so effort and
    earned value count each hour once, at the leaves. A done task was completed at
    ``msdyn_actualend`` (system-computed: set when the task completes); an actual end on a task
    that is not done is stale and ignored."""
    task_id = key(raw, "msdyn_projecttaskid")
    project = key(raw, "_msdyn_project_value")
    summary = flag(raw, "msdyn_summary")
    duration = number(raw, "msdyn_duration")
    milestone = flag(raw, "msdyn_ismilestone") or (duration == 0 and not summary)
    progress = fraction(raw, "msdyn_progress")
    status = task_status(progress)
    effort = hours(raw, "msdyn_effort")
    start = local_day_of(raw, "msdyn_scheduledstart", zone)
    due = local_day_of(raw, "msdyn_scheduledend", zone)
    if milestone:
        start = due or start
    bucket = lookup(raw, "_msdyn_projectbucket_value")
    parent = lookup(raw, "_msdyn_parenttask_value")
    task = build(
        Task,
        source=source,
        source_id=task_id,
        source_url=record_url(environment, "msdyn_projecttask", task_id),
        project_id=Project.ref(source, project),
        phase_id=Phase.ref(source, bucket) if bucket else None,
        parent_id=Task.ref(source, parent) if parent else None,
        name=text(raw, "msdyn_subject") or "",
        is_milestone=milestone,
        status=status,
        percent_complete=percent(progress),
        start_date=start,
        due_date=due,
        estimate_hours=None if summary else effort,
        priority=priority_of(raw, priorities),
        description=text(raw, "msdyn_descriptionplaintext") or None,
        dependency_ids=predecessors(source, raw),
        completed_at=timestamp_of(raw, "msdyn_actualend") if status == "done" else None,
        created_at=timestamp_of(raw, "createdon"),
        updated_at=timestamp_of(raw, "modifiedon"),
    )
    return Mapped([task])


def map_assignment(source: str, raw: Mapping[str, Any], zone: tzinfo) -> Mapped:
    """msdyn_resourceassignment (+ "person") -> Assignment and Allocation, both keyed by the
    assignment's id. An assignment without both dates allocates no period: its Allocation
    (if one was stored) retires."""
    assignment_id = key(raw, "msdyn_resourceassignmentid")
    task = key(raw, "_msdyn_taskid_value")
    project = key(raw, "_msdyn_projectid_value")
    person = key(raw, "person")
    updated = timestamp_of(raw, "modifiedon")
    assignment = build(
        Assignment,
        source=source,
        source_id=assignment_id,
        task_id=Task.ref(source, task),
        identity_id=PersonIdentity.ref(source, person),
        updated_at=updated,
    )
    effort = hours(raw, "msdyn_effort")
    start, end = local_day_of(raw, "msdyn_start", zone), local_day_of(raw, "msdyn_finish", zone)
    if start is None or end is None:
        return Mapped([assignment], [Tombstone(Allocation.entity, assignment_id)])
    allocation = build(
        Allocation,
        source=source,
        source_id=assignment_id,
        identity_id=PersonIdentity.ref(source, person),
        project_id=Project.ref(source, project),
        start_date=start,
        end_date=end,
        hours=effort,
        updated_at=updated,
    )
    return Mapped([assignment, allocation])


def map_person(source: str, raw: Mapping[str, Any]) -> Mapped:
    """A people record ({"key", "name", "email", ...}) -> PersonIdentity keyed by the key."""
    person = build(
        PersonIdentity,
        source=source,
        source_id=key(raw, "key"),
        name=text(raw, "name") or None,
        email=text(raw, "email") or None,
    )
    return Mapped([person])
