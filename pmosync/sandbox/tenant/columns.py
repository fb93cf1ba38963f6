"""Typed SharePoint list values: what a column of each type accepts and how it stores it.

SharePoint checks every field of a written item against the list's columns: a name the list
does not have is refused ("Field 'X' is not recognized"), a number column takes numbers (or
text that reads as one), a date column takes ISO dates or date-times and keeps an instant that
Graph gives back as a UTC date-time string. A date means a day in the site's regional time
zone: a bare date is that day, a date-only column keeps the day an instant falls on there,
and either is stored as midnight there, which Graph writes in UTC (24 November on a Paris site
reads ``2026-11-23T23:00:00Z``). Filters compare the same typed values, so a date filter has
to name an instant, not a piece of text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from pmosync.sandbox.tenant.model import ListColumn


class ListValueError(ValueError):
    """A field SharePoint would refuse; ``str()`` is Graph's message for it."""


def unknown_field(name: str) -> ListValueError:
    return ListValueError(f"Field '{name}' is not recognized")


def typed_fields(
    columns: Mapping[str, ListColumn], fields: Mapping[str, object], zone: str = "UTC"
) -> dict[str, object]:
    """``fields`` as the list stores them, or :class:`ListValueError` for the first bad one;
    ``zone`` is the site's regional time zone."""
    typed: dict[str, object] = {}
    for name, value in fields.items():
        column = columns.get(name)
        if column is None:
            raise unknown_field(name)
        typed[name] = typed_value(column, value, zone)
    return typed


def typed_value(column: ListColumn, value: object, zone: str = "UTC") -> object:
    """One value converted to its column's type; None clears a field of any type."""
    if value is None:
        return None
    if column.multiple:
        if isinstance(value, list | tuple):
            single = ListColumn(column.name, column.kind, choices=column.choices)
            return [typed_value(single, v, zone) for v in value if v is not None] or None
        raise ListValueError(f"Cannot convert the value of field '{column.name}' to a collection.")
    kind = column.kind
    if kind == "text":
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
    elif kind == "personOrGroup":  # kept as the user's id; the tenant checks the user
        if isinstance(value, str) and value:
            return value
    elif kind == "choice":
        if isinstance(value, str) and (not column.choices or value in column.choices):
            return value
    elif kind == "boolean":
        if isinstance(value, bool):
            return value
    elif kind in ("number", "currency"):
        number = _number(value)
        if number is not None:
            return number
    elif kind == "dateTime" and isinstance(value, str):
        local = ZoneInfo(zone)
        if len(value) == 10:  # a bare date: that day, where the site is
            try:
                day = date.fromisoformat(value)
            except ValueError:
                day = None
            if day is not None:
                return datetime.combine(day, time(), local).astimezone(UTC)
        instant = parse_instant(value, date_only_ok=False)
        if instant is not None and column.date_only:
            day = instant.astimezone(local).date()
            return datetime.combine(day, time(), local).astimezone(UTC)
        if instant is not None:
            return instant
    raise ListValueError(f"Cannot convert the value of field '{column.name}' to {kind}.")


def _number(value: object) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number: int | float = value
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    if isinstance(number, float) and not math.isfinite(number):
        return None
    return int(number) if isinstance(number, float) and number.is_integer() else number


def parse_instant(text: str, *, date_only_ok: bool) -> datetime | None:
    """An ISO date-time with a zone (or, when allowed, a bare date: midnight UTC) as UTC."""
    try:
        if len(text) == 10 and date_only_ok:
            return datetime.combine(date.fromisoformat(text), time(), UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


def render_value(value: object) -> object:
    """A stored value as Graph's JSON gives it: instants as ``2026-11-24T00:00:00Z``."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


COMPARE = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "ge": lambda a, b: a >= b,
    "gt": lambda a, b: a > b,
    "le": lambda a, b: a <= b,
    "lt": lambda a, b: a < b,
}
"""The OData comparison operators a list item filter takes."""


def compares(stored: object, operator: str, wanted: object) -> bool:
    """``stored operator wanted``; a missing value passes only ``ne``."""
    if stored is None:
        return operator == "ne"
    try:
        return bool(COMPARE[operator](stored, wanted))
    except TypeError:
        return False


def filter_value(column: ListColumn, literal: str, quoted: bool) -> object:
    """The typed value an OData literal stands for in a filter on ``column``.

    Text columns take a quoted string; number columns a bare number; boolean columns ``true``
    or ``false``; date columns a quoted date-time with its zone (``'2026-11-24T00:00:00Z'``):
    SharePoint compares instants, and a bare date is not one.
    """
    kind = column.kind
    if kind in ("text", "choice") and quoted:
        return literal
    if kind in ("number", "currency") and not quoted:
        number = _number(literal)
        if number is not None:
            return number
    if kind == "boolean" and not quoted and literal in ("true", "false"):
        return literal == "true"
    if kind == "dateTime" and quoted:
        instant = parse_instant(literal, date_only_ok=False)
        if instant is not None:
            return instant
    shown = f"'{literal}'" if quoted else literal
    raise ListValueError(
        f"The value {shown} is not valid for field '{column.name}' of type {kind} in $filter."
    )
