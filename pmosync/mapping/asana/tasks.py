"""Asana tasks (and subtasks) as canonical tasks and assignments.

An Asana task has at most one assignee, so its Assignment reuses the task's gid as source id:
reassigning updates that one record, and unassigning retires it with a tombstone instead of
leaving the former assignee on the task in every report.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pmosync.canonical.types import (
    Assignment,
    Phase,
    Priority,
    Project,
    Task,
    TaskStatus,
)
from pmosync.mapping.asana.context import Context
from pmosync.mapping.asana.custom_fields import CustomFields
from pmosync.mapping.asana.intake import map_request
from pmosync.mapping.asana.people import identity_ref
from pmosync.mapping.asana.raid import map_raid_item
from pmosync.mapping.asana.values import context_gid, record_gid, ref_gid
from pmosync.mapping.result import Mapped, MappingError, Tombstone
from pmosync.mapping.values import build, date_of, flag, text, timestamp_of


def _objects(raw: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    values = raw.get(key) or []
    if not isinstance(values, list) or not all(isinstance(v, Mapping) for v in values):
        raise MappingError(f"{key} is not a list of Asana objects: {values!r}")
    return values


def _section_gid(raw: Mapping[str, Any], project_gid: str) -> str | None:
    """The section the task sits in within the project being synced (it may be in several)."""
    for membership in _objects(raw, "memberships"):
        if ref_gid(membership, "project") == project_gid:
            return ref_gid(membership, "section")
    return None


def _gids(raw: Mapping[str, Any], key: str) -> list[str]:
    gids = [item.get("gid") for item in _objects(raw, key)]
    if not all(isinstance(gid, str) and gid for gid in gids):
        raise MappingError(f"{key} has an entry without a gid: {raw.get(key)!r}")
    return gids


def _start_date(ctx: Context, raw: Mapping[str, Any], custom: CustomFields) -> date | None:
    """Asana's own start date, else the custom date field the YAML names for it."""
    field = ctx.field(custom, "start_date")
    return date_of(raw, "start_on") or (field.day("start_date") if field else None)


def _due_date(raw: Mapping[str, Any]) -> date | None:
    due_at = timestamp_of(raw, "due_at")
    return date_of(raw, "due_on") or (due_at.date() if due_at else None)


def _priority(ctx: Context, custom: CustomFields) -> Priority | None:
    """The priority field's option through the vocabulary: an option it does not name is
    "unknown" (counted and warned about), never a reason to lose the task."""
    field = ctx.field(custom, "priority")
    option = field.option("priority") if field else None
    if field is None or option is None:
        return None
    return ctx.priorities.priority(option, f"the priority field {field.label}")


def _estimate_hours(ctx: Context, custom: CustomFields) -> float | None:
    field = ctx.field(custom, "estimate_hours")
    value = field.number("estimate_hours") if field else None
    if field and value is not None and field.is_duration:
        return value / 60  # Asana's duration fields (Estimated time) hold minutes
    return value


def _status(completed: bool, percent: float | None) -> TaskStatus:
    if completed:
        return "done"
    return "in_progress" if percent else "not_started"


def map_task(ctx: Context, raw: Mapping[str, Any]) -> Mapped:
    """tasks (+ ``_project``) -> Task, and its Assignment or a tombstone for it.

    A task the connector tags ``_raid: true`` is a RAID item instead (``raid.map_raid_item``);
    one tagged ``_raid: false`` (the connector reads a RAID log) retires the RaidItem it may
    have been until its RAID type was cleared. Likewise a task tagged ``_request: true`` (a
    task of an intake project) is a request (``intake.map_request``), and one tagged
    ``_request: false`` retires the Request it may have been until it left the project."""
    if raw.get("_request") is True:
        return map_request(ctx, raw)
    mapped = map_raid_item(ctx, raw) if raw.get("_raid") is True else _map_work_task(ctx, raw)
    if raw.get("_raid") is False:
        mapped.tombstones.append(Tombstone("raid_item", record_gid(raw)))
    if raw.get("_request") is False:
        mapped.tombstones.append(Tombstone("request", record_gid(raw)))
    return mapped


def _map_work_task(ctx: Context, raw: Mapping[str, Any]) -> Mapped:
    gid = record_gid(raw)
    project_gid = context_gid(raw, "_project")
    custom = ctx.custom_fields(raw)
    percent_field = ctx.field(custom, "percent_complete")
    percent = percent_field.percent("percent_complete") if percent_field else None
    section_gid = _section_gid(raw, project_gid)
    parent_gid = ref_gid(raw, "parent")
    completed = flag(raw, "completed")
    task = build(
        Task,
        source=ctx.source,
        source_id=gid,
        project_id=Project.ref(ctx.source, project_gid),
        phase_id=Phase.ref(ctx.source, section_gid) if section_gid else None,
        parent_id=Task.ref(ctx.source, parent_gid) if parent_gid else None,
        name=text(raw, "name"),
        is_milestone=raw.get("resource_subtype") == "milestone",
        status=_status(completed, percent),
        start_date=_start_date(ctx, raw, custom),
        due_date=_due_date(raw),
        completed_at=timestamp_of(raw, "completed_at"),
        created_at=timestamp_of(raw, "created_at"),
        updated_at=timestamp_of(raw, "modified_at"),
        percent_complete=percent,
        estimate_hours=_estimate_hours(ctx, custom),
        priority=_priority(ctx, custom),
        tags=[tag["name"] for tag in _objects(raw, "tags") if tag.get("name")],
        dependency_ids=[Task.ref(ctx.source, dep) for dep in _gids(raw, "dependencies")],
        source_url=text(raw, "permalink_url"),
    )
    assignee = identity_ref(ctx, raw, "assignee")
    if assignee is None:
        return Mapped([task], [Tombstone("assignment", gid)])
    assignment = build(
        Assignment, source=ctx.source, source_id=gid, task_id=task.id, identity_id=assignee
    )
    return Mapped([task, assignment], [])
