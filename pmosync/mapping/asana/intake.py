"""Asana tasks that are project requests (the connector tags them ``_request``) as ``Request``.

The connector decides *which* task is a request (a top-level task of an intake project), gives
its section's name (``_request_section``) and the project it became (``_request_project_ref``
as written, ``_request_project`` when that is a project in scope). This module reads the rest:
title and description from the task, requester from a people field or the task's creator (the
form's submitter), sponsor from a people field, money from currency-formatted number fields
(their ``currency_code`` is the request's currency), effort by role, target dates, risk, and
each criterion as its field type keeps it.

A request is not project work: the Task and Assignment a task was mapped to before it became a
request are retired, and a task that stops being one retires its Request (``tasks.map_task``).
A value that cannot be read (a stage no vocabulary names, a negative effort, a cost without a
currency, a text field where a number belongs) sends the task to the quarantine with a message
naming the request by its title, the field and the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from pmosync.canonical.types import (
    CriterionValue,
    PersonIdentity,
    Project,
    Request,
    RequestStage,
)
from pmosync.mapping.asana.context import Context, IntakeSettings
from pmosync.mapping.asana.custom_fields import CustomField, CustomFields
from pmosync.mapping.asana.values import record_gid, ref_gid
from pmosync.mapping.raid_vocabulary import whole
from pmosync.mapping.result import Mapped, MappingError, Tombstone
from pmosync.mapping.values import build, text, timestamp_of


def _field(intake: IntakeSettings, custom: CustomFields, purpose: str) -> CustomField | None:
    reference = intake.fields.get(purpose)
    return custom.find(reference) if reference else None


def _people(field: CustomField, purpose: str) -> list[Mapping[str, Any]]:
    """The users a people field names, in order (each a compact user object)."""
    if field.kind != "people":
        raise MappingError(f"{purpose} field {field.label} is a {field.kind} field; it must be "
                           "a people field")  # fmt: skip
    users = field.raw.get("people_value") or []
    if not isinstance(users, list) or not all(isinstance(u, Mapping) and u.get("gid")
                                              for u in users):  # fmt: skip
        raise MappingError(f"{purpose} field {field.label} has people that are not users: "
                           f"{users!r}")  # fmt: skip
    return users


def _person(ctx: Context, intake: IntakeSettings, custom: CustomFields, purpose: str) -> str | None:
    field = _field(intake, custom, purpose)
    users = _people(field, purpose) if field else []
    return PersonIdentity.ref(ctx.source, str(users[0]["gid"])) if users else None


def _day(intake: IntakeSettings, custom: CustomFields, purpose: str) -> date | None:
    field = _field(intake, custom, purpose)
    return field.day(purpose) if field else None


def _stage(intake: IntakeSettings, custom: CustomFields, raw: Mapping[str, Any]) -> RequestStage:
    """The stage field's option, else the task's section in the intake project, through the
    stage vocabulary; a request with neither is submitted."""
    if intake.stage_field:
        field = custom.find(intake.stage_field)
        word = field.option("stage") if field else None
        where = f"stage field {field.label}" if field else ""
    else:
        word = raw.get("_request_section")
        word = word.strip() if isinstance(word, str) and word.strip() else None
        where = "section"
    if word is None:
        return "submitted"
    stage = intake.vocabulary.stage(word)
    if stage is None:
        raise MappingError(
            f"{where} {word!r} is no request stage; map it under intake.stage_vocabulary to "
            "submitted, under_review, approved, rejected, on_hold or converted"
        )
    return stage


def _money(
    intake: IntakeSettings, custom: CustomFields, purpose: str
) -> tuple[Decimal | None, str | None]:
    """An amount and its currency: the field's currency_code, else default_currency."""
    field = _field(intake, custom, purpose)
    value = field.number(purpose) if field else None
    if field is None or value is None:
        return None, None
    currency = field.currency or intake.default_currency
    if currency is None:
        raise MappingError(
            f"{purpose} field {field.label} is {value:g} with no currency (not a currency "
            "field); give intake.default_currency"
        )
    if value != value or value in (float("inf"), float("-inf")):
        raise MappingError(f"{purpose} field {field.label} is {value!r}, which is no amount")
    return Decimal(str(value)), currency


def _risk(intake: IntakeSettings, custom: CustomFields) -> int | None:
    field = _field(intake, custom, "risk")
    if field is None:
        return None
    if field.kind == "number":
        value = field.number("risk")
        if value is None:
            return None
        risk = whole(value, 5)
        if risk is None:
            raise MappingError(f"risk field {field.label} is {value:g}; it must be 1 to 5")
        return risk
    option = field.option("risk")
    if option is None:
        return None
    risk = intake.vocabulary.risk(option)
    if risk is None:
        raise MappingError(
            f"risk field {field.label} has option {option!r}, which is no risk; map it under "
            "intake.risk_vocabulary to 1-5"
        )
    return risk


def _effort(intake: IntakeSettings, custom: CustomFields) -> dict[str, float]:
    hours: dict[str, float] = {}
    for role, reference in intake.effort.items():
        field = custom.find(reference)
        value = field.number(f"{role} effort") if field else None
        if field is None or value is None:
            continue
        if value < 0 or value != value or value == float("inf"):
            raise MappingError(f"{role} effort field {field.label} is {value:g}; effort cannot "
                               "be negative")  # fmt: skip
        hours[role] = value * intake.hours_per_unit
    return hours


def criterion_value(field: CustomField, name: str) -> CriterionValue | None:
    """A criterion as its field type keeps it: an option's name, a multi-select's names joined
    with ", ", a number as float, text stripped, a date as YYYY-MM-DD, a person as the first
    one's lower-case email."""
    kind = field.kind
    if kind == "people":
        users = _people(field, f"criterion {name!r}")
        email = users[0].get("email") if users else None
        return email.strip().lower() if isinstance(email, str) and email.strip() else None
    if kind == "reference":
        raise MappingError(f"criterion {name!r} field {field.label} is a reference field, "
                           "which holds no criterion value")  # fmt: skip
    value = field.value()
    if kind == "number":
        return float(value) if value is not None else None
    if kind == "multi_enum":
        names = [n.strip() for n in value or [] if isinstance(n, str) and n.strip()]
        return ", ".join(names) or None
    if isinstance(value, date):
        return value.isoformat()
    return value.strip() or None if isinstance(value, str) else None


def _criteria(intake: IntakeSettings, custom: CustomFields) -> dict[str, CriterionValue]:
    found: dict[str, CriterionValue] = {}
    for name, reference in intake.criteria.items():
        field = custom.find(reference)
        value = criterion_value(field, name) if field else None
        if value is not None:
            found[name] = value
    return found


def _submitted(
    intake: IntakeSettings, custom: CustomFields, raw: Mapping[str, Any]
) -> datetime | None:
    day = _day(intake, custom, "submitted")
    if day is not None:
        return datetime.combine(day, time(), UTC)
    return timestamp_of(raw, "created_at")


def map_request(ctx: Context, raw: Mapping[str, Any]) -> Mapped:
    """A task tagged ``_request`` -> Request; its Task and Assignment, if any, are retired."""
    intake = ctx.intake
    if intake is None:
        raise MappingError("task is tagged as a request but the connector has no intake block")
    try:
        return _map(ctx, intake, raw)
    except MappingError as error:  # say which request: the pipeline is read by its titles
        raise error.naming("request", raw.get("name")) from None


def _map(ctx: Context, intake: IntakeSettings, raw: Mapping[str, Any]) -> Mapped:
    gid = record_gid(raw)
    custom = ctx.custom_fields(raw)
    project = raw.get("_request_project")
    project_ref = raw.get("_request_project_ref")
    if project is not None and not isinstance(project, str):
        raise MappingError(f"_request_project is not a gid: {project!r}")
    cost, cost_currency = _money(intake, custom, "estimated_cost")
    benefit, benefit_currency = _money(intake, custom, "estimated_benefit")
    if cost_currency and benefit_currency and cost_currency != benefit_currency:
        raise MappingError(
            f"estimated cost is in {cost_currency} and estimated benefit in "
            f"{benefit_currency}; a request has one currency"
        )
    creator = ref_gid(raw, "created_by")
    requester = _person(ctx, intake, custom, "requester") or (
        PersonIdentity.ref(ctx.source, creator) if creator else None
    )
    request = build(
        Request,
        source=ctx.source,
        source_id=gid,
        title=text(raw, "name") or "",
        description=text(raw, "notes") or None,
        requester_identity_id=requester,
        sponsor_identity_id=_person(ctx, intake, custom, "sponsor"),
        submitted_at=_submitted(intake, custom, raw),
        stage=_stage(intake, custom, raw),
        estimated_cost=cost,
        estimated_benefit=benefit,
        currency=cost_currency or benefit_currency,
        effort_hours=_effort(intake, custom),
        target_start=_day(intake, custom, "target_start"),
        target_end=_day(intake, custom, "target_end"),
        criteria=_criteria(intake, custom),
        risk=_risk(intake, custom),
        project_ref=project_ref if isinstance(project_ref, str) and project_ref else None,
        project_id=Project.ref(ctx.source, project) if project else None,
        source_url=text(raw, "permalink_url"),
        updated_at=timestamp_of(raw, "modified_at"),
    )
    gone = [Tombstone("task", gid), Tombstone("assignment", gid), Tombstone("raid_item", gid)]
    return Mapped([request], gone)
