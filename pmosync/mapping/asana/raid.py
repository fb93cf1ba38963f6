"""Asana tasks that are RAID items (the connector tags them ``_raid``) as ``RaidItem`` records.

The connector decides *which* task is a RAID item (a member of a designated RAID project, or a
task with the RAID type field set) and *which project* it concerns (``_raid_project``: the
project its "Project" field names or it is multi-homed in, resolved against the projects it
syncs; None is portfolio-wide). This module reads the rest from the task and its custom fields.

A RAID item is not project work: the Task and Assignment a task was mapped to before it became a
RAID item are retired (tombstones), and a task that stops being one retires its RaidItem (see
``tasks.map_task``). A value that cannot be read (a probability of 7, a type option no
vocabulary names) sends the task to the quarantine with a message naming the field and value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pmosync.canonical.types import Project, RaidItem, RaidKind, RaidStatus
from pmosync.mapping.asana.context import Context, RaidSettings
from pmosync.mapping.asana.custom_fields import CustomField, CustomFields
from pmosync.mapping.asana.people import identity_ref
from pmosync.mapping.asana.values import record_gid
from pmosync.mapping.raid_vocabulary import whole
from pmosync.mapping.result import Mapped, MappingError, Tombstone
from pmosync.mapping.values import build, date_of, flag, text, timestamp_of


def _field(raid: RaidSettings, custom: CustomFields, purpose: str) -> CustomField | None:
    reference = raid.fields.get(purpose)
    return custom.find(reference) if reference else None


def _kind(raid: RaidSettings, custom: CustomFields) -> RaidKind:
    field = custom.find(raid.type_field)
    option = field.option("RAID type") if field else None
    if option is None:
        if raid.default_kind is None:
            raise MappingError(
                f"RAID item has no {raid.type_field!r} value (set it in Asana, or give the "
                "raid block a default_kind)"
            )
        return raid.default_kind
    kind = raid.vocabulary.kind(option)
    if kind is None:
        raise MappingError(
            f"RAID type {option!r} (field {raid.type_field!r}) is not a RAID kind; map it "
            "under raid.type_vocabulary to risk, issue, assumption, decision or change_request"
        )
    return kind


def _rating(raid: RaidSettings, custom: CustomFields, purpose: str) -> int | None:
    """A 1-5 rating from a number field or a single-select option through the vocabulary."""
    field = _field(raid, custom, purpose)
    if field is None:
        return None
    if field.kind == "number":
        value = field.number(purpose)
        if value is None:
            return None
        rating = whole(value, 5)
        if rating is None:
            raise MappingError(f"{purpose} field {field.label} is {value:g}; it must be 1 to 5")
        return rating
    option = field.option(purpose)
    if option is None:
        return None
    rating = raid.vocabulary.rating(option)
    if rating is None:
        raise MappingError(
            f"{purpose} field {field.label} has option {option!r}, which is no rating; map it "
            "under raid.rating_vocabulary to 1-5"
        )
    return rating


def _score(raid: RaidSettings, custom: CustomFields) -> int | None:
    field = _field(raid, custom, "score")
    value = field.number("score") if field else None
    if field is None or value is None:
        return None
    score = whole(value, 25)
    if score is None:
        raise MappingError(f"score field {field.label} is {value:g}; it must be 1 to 25")
    return score


def _text(raid: RaidSettings, custom: CustomFields, purpose: str) -> str | None:
    field = _field(raid, custom, purpose)
    return field.option(purpose) if field else None


def _day(raid: RaidSettings, custom: CustomFields, purpose: str) -> date | None:
    field = _field(raid, custom, purpose)
    return field.day(purpose) if field else None


def _status(raid: RaidSettings, custom: CustomFields, completed: bool) -> RaidStatus:
    """Completing the task closes the item (Asana's own act of closing); else the status
    field through the vocabulary; else open."""
    if completed:
        return "closed"
    field = _field(raid, custom, "status")
    option = field.option("status") if field else None
    if field is None or option is None:
        return "open"
    status = raid.vocabulary.status(option)
    if status is None:
        raise MappingError(
            f"status field {field.label} has option {option!r}, which is no RAID status; map "
            "it under raid.status_vocabulary to open, in_progress or closed"
        )
    return status


def map_raid_item(ctx: Context, raw: Mapping[str, Any]) -> Mapped:
    """A task tagged ``_raid`` -> RaidItem; its Task and Assignment, if any, are retired."""
    raid = ctx.raid
    if raid is None:
        raise MappingError("task is tagged as a RAID item but the connector has no raid block")
    try:
        return _map(ctx, raid, raw)
    except MappingError as error:  # say which item: a log is read by its titles
        raise error.naming("RAID item", raw.get("name")) from None


def _map(ctx: Context, raid: RaidSettings, raw: Mapping[str, Any]) -> Mapped:
    gid = record_gid(raw)
    custom = ctx.custom_fields(raw)
    project = raw.get("_raid_project")
    if project is not None and not isinstance(project, str):
        raise MappingError(f"_raid_project is not a gid: {project!r}")
    completed = flag(raw, "completed")
    completed_at = timestamp_of(raw, "completed_at")
    created_at = timestamp_of(raw, "created_at")
    item = build(
        RaidItem,
        source=ctx.source,
        source_id=gid,
        project_id=Project.ref(ctx.source, project) if project else None,
        kind=_kind(raid, custom),
        title=text(raw, "name"),
        description=text(raw, "notes") or None,
        owner_identity_id=identity_ref(ctx, raw, "assignee"),
        status=_status(raid, custom, completed),
        raised_on=_day(raid, custom, "raised") or (created_at.date() if created_at else None),
        due_date=_day(raid, custom, "due") or date_of(raw, "due_on"),
        closed_on=completed_at.date() if completed and completed_at else None,
        probability=_rating(raid, custom, "probability"),
        impact=_rating(raid, custom, "impact"),
        score=_score(raid, custom),
        mitigation=_text(raid, custom, "mitigation"),
        resolution=_text(raid, custom, "resolution"),
        source_url=text(raw, "permalink_url"),
        updated_at=timestamp_of(raw, "modified_at"),
    )
    gone = [Tombstone("task", gid), Tombstone("assignment", gid)]
    return Mapped([item], gone)
