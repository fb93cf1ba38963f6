"""Reading single typed values out of raw source records, with errors a person can act on.

Every reader returns a typed value, ``None`` for unset, or raises ``MappingError`` naming the
field and the value, so no malformed record reaches pydantic as a bare ``KeyError``. Shared by
every source's mapping (Asana, Planner, workbooks).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from pmosync.canonical.types import Record
from pmosync.mapping.result import MappingError

R = TypeVar("R", bound=Record)


def text(raw: Mapping[str, Any], key: str) -> str | None:
    """A string field; APIs send nothing else here, so anything else is malformed."""
    value = raw.get(key)
    if value is None or isinstance(value, str):
        return value
    raise MappingError(f"{key} is not text: {value!r}")


def flag(raw: Mapping[str, Any], key: str) -> bool:
    """A boolean field, false when absent (APIs omit what was not asked for)."""
    value = raw.get(key)
    if value is None or isinstance(value, bool):
        return bool(value)
    raise MappingError(f"{key} is not true or false: {value!r}")


def parse_date(value: Any, field: str) -> date | None:
    """An ISO date (``YYYY-MM-DD``)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise MappingError(f"{field} is not a date: {value!r}")


def parse_timestamp(value: Any, field: str) -> datetime | None:
    """An ISO timestamp in UTC.

    Asana and Graph write ``2026-01-02T03:04:05.678Z``; other clients and exports write offsets
    or no zone at all. A timestamp without a zone is taken as UTC, which is what both APIs mean.
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if moment.tzinfo is None:
                return moment.replace(tzinfo=UTC)
            return moment.astimezone(UTC)
    raise MappingError(f"{field} is not a timestamp: {value!r}")


def date_of(raw: Mapping[str, Any], key: str) -> date | None:
    """The date in ``raw[key]``."""
    return parse_date(raw.get(key), key)


def timestamp_of(raw: Mapping[str, Any], key: str) -> datetime | None:
    """The timestamp in ``raw[key]``."""
    return parse_timestamp(raw.get(key), key)


def build(model: type[R], **values: Any) -> R:
    """Construct a canonical record, turning pydantic's report into a one-line MappingError."""
    try:
        return model(**values)
    except ValidationError as error:
        raise MappingError.from_validation(model.entity, error) from None
