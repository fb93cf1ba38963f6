"""Asana projects (with their health and custom-field budget) and sections.

A project's RAG prefers the team's health field when the YAML names one and it is set: it is
what the team edits day to day. Otherwise the latest status update's type stands for it.

When that latest update (``current_status_update``) is one pmosync posted (write-back; its
text carries pmosync's write mark) it is not the team's word. The project's RAG is then the
health field if mapped and set, else the type of the team's latest update the connector saw
before pmosync's (it tags the record ``_team_status_type``), else None (a first sync after
pmosync posted); the status is put on hold only by the team's type. Reports take the reported
RAG from the latest status update the team posted anyway (pmosync's are never synced as
StatusUpdates), as they always prefer a status update to ``Project.rag``.

``updated_at`` is the project's ``modified_at``, unless the connector (with write-back) found
that nothing the team can change moved since it last did and tagged the record
``_team_modified_at`` with the ``modified_at`` of then (see the projects stream): pmosync's own
writes (its status update, its field) do not change the project's row.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pmosync.canonical.types import RAG, Budget, Phase, Project, ProjectStatus
from pmosync.mapping.asana.context import Context
from pmosync.mapping.asana.custom_fields import CustomFields
from pmosync.mapping.asana.people import identity_ref
from pmosync.mapping.asana.rag import status_type_rag
from pmosync.mapping.asana.status_updates import pmosync_posted
from pmosync.mapping.asana.values import context_gid, record_gid
from pmosync.mapping.result import Mapped, MappingError, Tombstone
from pmosync.mapping.values import build, date_of, flag, text, timestamp_of

BUDGET_FIELD_SUFFIX = ":custom_field"
"""Source id suffix of a budget read from a project's budget custom field (the project's gid
plus this), kept apart from the budgets Asana's budget API lists."""


def _status_type(raw: Mapping[str, Any]) -> str | None:
    """The status type of the team's latest update; None without one. When the latest update
    is pmosync's, the team's seen before it, if the connector saw one (the PMO's computed RAG
    is never read back as the team's)."""
    update = raw.get("current_status_update")
    if update is None:
        return None
    if not isinstance(update, Mapping):
        raise MappingError(f"current_status_update is not an Asana object: {update!r}")
    if pmosync_posted(update):
        return text(raw, "_team_status_type")
    return text(update, "status_type")


def _status(raw: Mapping[str, Any], status_type: str | None) -> ProjectStatus:
    if flag(raw, "archived"):
        return "archived"
    if flag(raw, "completed"):
        return "completed"
    return "on_hold" if status_type == "on_hold" else "active"


def _rag(ctx: Context, custom: CustomFields, status_type: str | None) -> RAG | None:
    field = ctx.field(custom, "rag")
    option = field.option("rag") if field else None
    if field and option:
        return ctx.vocabulary.option(option, field.name)
    return status_type_rag(status_type)


def _field_budget(
    ctx: Context, custom: CustomFields, project_gid: str
) -> Budget | Tombstone | None:
    """A budget kept in a currency custom field; an emptied field retires the budget."""
    if "budget" not in ctx.fields:
        return None
    source_id = project_gid + BUDGET_FIELD_SUFFIX
    field = ctx.field(custom, "budget")
    amount = field.number("budget") if field else None
    if field is None or amount is None:
        return Tombstone("budget", source_id)
    if field.currency is None:
        raise MappingError(
            f"budget field {field.label} has no currency; set a currency format on it in Asana"
        )
    return build(
        Budget,
        source=ctx.source,
        source_id=source_id,
        project_id=Project.ref(ctx.source, project_gid),
        amount=Decimal(str(amount)),
        measure="money",
        currency=field.currency,
        origin="custom_field",
    )


def map_project(ctx: Context, raw: Mapping[str, Any]) -> Mapped:
    """projects -> Project, plus the budget of the configured budget field."""
    gid = record_gid(raw)
    custom = ctx.custom_fields(raw)
    status_type = _status_type(raw)
    team = raw.get("team")
    project = build(
        Project,
        source=ctx.source,
        source_id=gid,
        name=text(raw, "name"),
        owner_identity_id=identity_ref(ctx, raw, "owner"),
        team=text(team, "name") if isinstance(team, Mapping) else None,
        status=_status(raw, status_type),
        rag=_rag(ctx, custom, status_type),
        start_date=date_of(raw, "start_on"),
        due_date=date_of(raw, "due_on") or date_of(raw, "due_date"),
        completed_at=timestamp_of(raw, "completed_at"),
        created_at=timestamp_of(raw, "created_at"),
        updated_at=timestamp_of(raw, "_team_modified_at") or timestamp_of(raw, "modified_at"),
        source_url=text(raw, "permalink_url"),
    )
    result = Mapped([project], [])
    budget = _field_budget(ctx, custom, gid)
    if isinstance(budget, Budget):
        result.records.append(budget)
    elif budget is not None:
        result.tombstones.append(budget)
    return result


def map_section(ctx: Context, raw: Mapping[str, Any]) -> Mapped:
    """sections (+ ``_project``, ``_position``) -> Phase."""
    phase = build(
        Phase,
        source=ctx.source,
        source_id=record_gid(raw),
        project_id=Project.ref(ctx.source, context_gid(raw, "_project")),
        name=text(raw, "name"),
        position=raw.get("_position"),
    )
    return Mapped([phase], [])
