"""Asana custom fields: finding the one the YAML names and reading its value by type.

The YAML names a field by gid (stable across renames) or by name (what a PSO tool expert sees).
Every custom field on a record is type-checked when the record is mapped, configured or not: a
type the spec does not list is one the connector cannot interpret, and a record carrying one
goes to quarantine with the field named rather than being half-understood.

A field pmosync's write-back owns (``writeback.rag_field``) is left out of a record's fields
altogether: what pmosync wrote there is the PMO's view, never read back as anything of the
team's, whatever purpose the YAML might name it for (by name or by gid).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pmosync.mapping.result import MappingError
from pmosync.mapping.values import parse_date

KNOWN_TYPES = frozenset({"text", "enum", "multi_enum", "number", "date", "people", "reference"})
"""``type`` and ``resource_subtype`` of CustomFieldResponse in Asana's OpenAPI spec."""

CustomValue = float | str | date | list[str] | None


def _number(value: Any, where: str) -> float | None:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    raise MappingError(f"{where} has a number_value that is not a number: {value!r}")


def _members(values: Any, where: str, key: str) -> list[str]:
    """``key`` of each object in a list value (option names, user gids); gid if ``key`` is unset."""
    if values is None:
        return []
    if not isinstance(values, list) or not all(isinstance(v, Mapping) for v in values):
        raise MappingError(f"{where} has values that are not Asana objects: {values!r}")
    return [str(v.get(key) or v.get("gid")) for v in values]


@dataclass(frozen=True, slots=True)
class CustomField:
    """One custom field as a record carries it, with its type already checked."""

    gid: str
    name: str
    kind: str
    raw: Mapping[str, Any]

    @property
    def label(self) -> str:
        """How messages name the field: by the name the user sees."""
        return repr(self.name)

    @property
    def is_percentage(self) -> bool:
        """Asana stores a percent field's 50 % as 0.5; ``format`` says so, else the display."""
        if self.raw.get("format") is not None:
            return self.raw["format"] == "percentage"
        display = self.raw.get("display_value")
        return isinstance(display, str) and display.rstrip().endswith("%")

    @property
    def is_duration(self) -> bool:
        """Duration fields (Asana's 'Estimated time') store minutes."""
        return self.raw.get("format") == "duration"

    @property
    def currency(self) -> str | None:
        """The ISO 4217 code of a currency-formatted number field."""
        code = self.raw.get("currency_code")
        return code.strip().upper() if isinstance(code, str) and code.strip() else None

    def value(self) -> CustomValue:
        """The value as its type keeps it; ``None`` when the field is empty."""
        where = f"custom field {self.label}"
        if self.kind == "number":
            return _number(self.raw.get("number_value"), where)
        if self.kind == "text":
            return self.raw.get("text_value") or None
        if self.kind == "enum":
            option = self.raw.get("enum_value")
            return option.get("name") if isinstance(option, Mapping) else None
        if self.kind == "multi_enum":
            return _members(self.raw.get("multi_enum_values"), where, "name")
        if self.kind == "date":
            day = self.raw.get("date_value")
            return parse_date(day.get("date"), where) if isinstance(day, Mapping) else None
        if self.kind == "people":
            return _members(self.raw.get("people_value"), where, "gid")
        return _members(self.raw.get("reference_value"), where, "gid")

    def _wrong_kind(self, purpose: str, wanted: str) -> MappingError:
        return MappingError(
            f"{purpose} field {self.label} is a {self.kind} field; it must be {wanted}"
        )

    def number(self, purpose: str) -> float | None:
        """The value of a number field configured for ``purpose``."""
        if self.kind != "number":
            raise self._wrong_kind(purpose, "a number field")
        return _number(self.raw.get("number_value"), f"{purpose} field {self.label}")

    def percent(self, purpose: str) -> float | None:
        """A percent as 0..100, whether the field stores 0..1 (percentage format) or 0..100."""
        value = self.number(purpose)
        if value is None or not self.is_percentage:
            return value
        return float(Decimal(str(value)) * 100)

    def option(self, purpose: str) -> str | None:
        """The chosen option's name of a single-select field (or the text of a text field)."""
        if self.kind not in ("enum", "text"):
            raise self._wrong_kind(purpose, "a single-select (enum) or text field")
        value = self.value()
        return value.strip() if isinstance(value, str) and value.strip() else None

    def day(self, purpose: str) -> date | None:
        """The date of a date field."""
        if self.kind != "date":
            raise self._wrong_kind(purpose, "a date field")
        value = self.value()
        return value if isinstance(value, date) else None


def _checked(raw: Any) -> CustomField:
    if not isinstance(raw, Mapping):
        raise MappingError(f"a custom field is not an Asana object: {raw!r}")
    name = raw.get("name") if isinstance(raw.get("name"), str) else ""
    label = repr(name or raw.get("gid"))
    kinds = [raw.get(key) for key in ("resource_subtype", "type") if raw.get(key) is not None]
    if not kinds:
        raise MappingError(f"custom field {label} has no type (ask for custom_fields.type)")
    for kind in kinds:
        if kind not in KNOWN_TYPES:
            raise MappingError(
                f"custom field {label} has type {kind!r}, which pmosync does not know"
            )
    return CustomField(gid=str(raw.get("gid") or ""), name=name, kind=kinds[0], raw=raw)


def _normal(name: str) -> str:
    return " ".join(name.split()).casefold()


def is_named(raw: Any, reference: str) -> bool:
    """Whether the raw custom field ``raw`` is the one ``reference`` names (a gid when all
    digits, else a name in any case and spacing)."""
    if not isinstance(raw, Mapping):
        return False
    wanted = reference.strip()
    if wanted.isdigit():
        return str(raw.get("gid") or "") == wanted
    name = raw.get("name")
    return isinstance(name, str) and _normal(name) == _normal(wanted)


class CustomFields:
    """The custom fields of one record, every one type-checked on construction, except those
    ``owned`` names (pmosync's write-back fields: never read, so never checked either)."""

    def __init__(self, raw: Mapping[str, Any], owned: Collection[str] = ()) -> None:
        fields = raw.get("custom_fields") or []
        if not isinstance(fields, list):
            raise MappingError(f"custom_fields is not a list: {fields!r}")
        kept = [f for f in fields if not any(is_named(f, ref) for ref in owned)]
        self._fields = [_checked(field) for field in kept]

    def find(self, reference: str) -> CustomField | None:
        """The field the YAML names: by gid when it is all digits, else by name.

        Two fields of one name on a record (a task in two projects with local 'Priority'
        fields) cannot be told apart by name, so that is an error asking for the gid.
        """
        wanted = reference.strip()
        if wanted.isdigit():
            return next((f for f in self._fields if f.gid == wanted), None)
        matches = [f for f in self._fields if _normal(f.name) == _normal(wanted)]
        if len(matches) > 1:
            raise MappingError(
                f"{len(matches)} custom fields are named {wanted!r} on this record; "
                "name the field by gid in the YAML instead"
            )
        return matches[0] if matches else None
