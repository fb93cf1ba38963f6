"""A project request's row (a workbook's or a SharePoint list item's) onto ``Request``.

Intake is typed by hand in a sheet or a list form, so a request row is read as forgivingly as
a timesheet's: a stage or risk word through the intake vocabulary, amounts written with or
without their currency, effort in hours or days. What cannot be read quarantines the request
with one line naming where it is and its title (``Requests.xlsx, sheet Intake, row 7, request
'CRM upgrade': Cost 'lots' is not an amount of money``); the other rows go on.

Criteria are kept as the source typed them, for the scoring models to read: a number as a
float, a yes/no as a bool only when the cell really is a boolean (a list's Yes/No column, an
Excel TRUE), a date as YYYY-MM-DD, an email as the lower-case address, anything else as its
text stripped. A CSV has no types, so plain numeric text there counts as a number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from pmosync.canonical.types import CriterionValue, PersonIdentity, Request
from pmosync.mapping.intake_vocabulary import IntakeVocabulary
from pmosync.mapping.result import Mapped, MappingError
from pmosync.mapping.workbooks.cells import RowCells, shown
from pmosync.mapping.workbooks.rows import RowContext

_NUMBER = re.compile(r"^[+-]?(\d+(?:[.,]\d+)?|[.,]\d+)$")
_ISO_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


@dataclass(frozen=True, slots=True)
class RequestSettings:
    """The intake keys of a request source: vocabularies, criteria and effort columns."""

    vocabulary: IntakeVocabulary
    criteria: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    effort_unit: str = "hours"
    hours_per_day: float = 8.0

    @classmethod
    def of(cls, intake: Mapping[str, Any] | None) -> RequestSettings:
        """From the connector's intake keys (``IntakeSourceFields`` as a dict)."""
        intake = intake or {}
        return cls(
            vocabulary=IntakeVocabulary(
                intake.get("stage_vocabulary") or {}, intake.get("risk_vocabulary") or {}
            ),
            criteria=tuple(intake.get("criteria") or ()),
            roles=tuple(intake.get("effort") or ()),
            effort_unit=str(intake.get("effort_unit") or "hours"),
            hours_per_day=float(intake.get("hours_per_day") or 8),
        )


def _identity(source: str, row: RowCells, name: str) -> PersonIdentity | None:
    """The person a cell names; of several (a multi-person column), the first named."""
    if not row.has(name):
        return None
    text = str(row.value(name))
    if text.count("@") > 1:
        single = RowCells({"cells": {name: re.split(r"[;,]", text)[0]}}, row.headers)
        single.location = row.location
        email = single.email(name)
    else:
        email = row.email(name)
    return PersonIdentity(source=source, source_id=email, email=email)


def _submitted(row: RowCells) -> datetime | None:
    """The day it was submitted, as midnight UTC of that day."""
    return datetime.combine(row.day("submitted"), time(), UTC) if row.has("submitted") else None


def _stage(settings: RequestSettings, row: RowCells) -> str:
    if not row.has("stage"):
        return "submitted"
    word = row.text("stage")
    found = settings.vocabulary.stage(word)
    if found is None:
        raise row.invalid("stage", word, "is no stage stage_vocabulary names (add it there)")
    return found


def _risk(settings: RequestSettings, row: RowCells) -> int | None:
    if not row.has("risk"):
        return None
    value = row.value("risk")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and 1 <= value <= 5:
            return int(value)
        raise row.invalid("risk", value, "is not a risk from 1 to 5")
    found = settings.vocabulary.risk(str(value))
    if found is None:
        raise row.invalid("risk", value, "is no risk risk_vocabulary names (or 1-5)")
    return found


def _money(row: RowCells, default: str | None) -> tuple[Decimal | None, Decimal | None, str | None]:
    """(cost, benefit, currency): the currency column, else the one written with an amount
    (or a list's currency column's), else ``default``; amounts in two currencies refuse."""
    amounts: dict[str, Decimal] = {}
    written: dict[str, str] = {}
    column_currency = dict(row.raw.get("currency_of") or {})
    unknown = dict(row.raw.get("currency_unknown") or {})
    for name in ("cost", "benefit"):
        if not row.has(name):
            continue
        amount, said = row.money(name)
        amounts[name] = amount
        said = said or column_currency.get(name)
        if said:
            written[name] = said
    if not amounts:
        return None, None, None
    currency = row.currency()
    for name, said in written.items():
        if currency is not None and said != currency:
            where = f"{row.header(name)} {shown(row.value(name))}"
            raise row.error(f"{where} is in {said} but the request's currency is {currency}")
        currency = currency or said
    if currency is None:
        currency = default
    if currency is None:
        name = next(iter(amounts))
        if name in unknown:
            raise row.error(
                f"{row.header(name)} {shown(row.value(name))}: {unknown[name]} (set "
                "default_currency)"
            )
        raise row.error(
            f"{row.header(name)} {shown(row.value(name))} has no currency (add a currency "
            "column or default_currency)"
        )
    return amounts.get("cost"), amounts.get("benefit"), currency


def _number(row: RowCells, name: str, unit: str) -> float:
    """A number of hours or days: a number cell, or ``7.5`` / ``7,5`` text."""
    value = row.value(name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str) and _NUMBER.match(value.strip()):
        number = float(value.strip().replace(",", "."))
    else:
        raise row.invalid(name, value, f"is not a number of {unit}")
    if number < 0:
        raise row.invalid(name, value, "is negative")
    return number


def _effort(settings: RequestSettings, row: RowCells) -> dict[str, float]:
    """Hours by role; days are ``hours_per_day`` hours."""
    effort = {}
    for role in settings.roles:
        name = f"effort.{role}"
        if row.has(name):
            number = _number(row, name, settings.effort_unit)
            days = settings.effort_unit == "days"
            effort[role] = number * settings.hours_per_day if days else number
    return effort


def criterion_value(value: Any) -> CriterionValue | None:
    """A criterion cell as the scoring models read it (see the module's docstring)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if not text:
        return None
    if _NUMBER.match(text):
        try:
            return float(Decimal(text.replace(",", ".")))
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            return text
    if match := _ISO_DAY.match(text):
        try:
            return date.fromisoformat(match[1]).isoformat()
        except ValueError:
            return text
    if all(_EMAIL.match(part.strip()) for part in text.split(",")):  # people, one or several
        return text.lower()
    return text


def map_request(
    source: str,
    row: RowCells,
    source_id: str,
    settings: RequestSettings,
    default_currency: str | None,
) -> Mapped:
    """A request row -> Request (and the PersonIdentity of its requester and sponsor)."""
    title = row.text("title").strip()
    row.location = f"{row.location}, request {title!r}"
    requester = _identity(source, row, "requester")
    sponsor = _identity(source, row, "sponsor")
    cost, benefit, currency = _money(row, default_currency)
    criteria = {}
    for name in settings.criteria:
        value = criterion_value(row.raw_value(f"criteria.{name}"))
        if value is not None:
            criteria[name] = value
    values = {
        "source": source,
        "source_id": source_id,
        "source_url": row.raw.get("url"),
        "title": title,
        "description": row.text("description").strip() if row.has("description") else None,
        "requester_identity_id": requester.id if requester else None,
        "sponsor_identity_id": sponsor.id if sponsor else None,
        "submitted_at": _submitted(row),
        "stage": _stage(settings, row),
        "estimated_cost": cost,
        "estimated_benefit": benefit,
        "currency": currency,
        "effort_hours": _effort(settings, row),
        "target_start": row.day("start") if row.has("start") else None,
        "target_end": row.day("end") if row.has("end") else None,
        "criteria": criteria,
        "risk": _risk(settings, row),
        "project_ref": row.text("project").strip() if row.has("project") else None,
    }
    start, end = values["target_start"], values["target_end"]
    if start is not None and end is not None and end < start:
        raise row.error(
            f"{row.header('end')} {end.isoformat()} is before {row.header('start')} "
            f"{start.isoformat()}"
        )
    if cost is not None and cost < 0:
        raise row.invalid("cost", row.value("cost"), "is negative")
    try:
        request = Request(**values)
    except ValidationError as error:
        raise row.error(str(MappingError.from_validation(Request.entity, error))) from None
    people = [p for p in (requester, sponsor) if p is not None]
    unique = list({p.id: p for p in people}.values())
    return Mapped([*unique, request])


def map_request_row(ctx: RowContext, row: RowCells, source_id: str) -> Mapped:
    """``map_request`` with the connector's settings, as the workbook mapper calls a row kind."""
    return map_request(
        ctx.source, row, source_id, ctx.request or RequestSettings.of(None), ctx.default_currency
    )
