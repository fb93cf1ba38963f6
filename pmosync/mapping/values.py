"""Reading single typed values out of raw source records, with errors a person can act on.

Every reader returns a typed value, ``None`` for unset, or raises ``MappingError`` naming the
field and the value, so no malformed record reaches pydantic as a bare ``KeyError``. Shared by
every source's mapping (Asana, Planner, workbooks).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, tzinfo
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


def local_day_of(raw: Mapping[str, Any], key: str, zone: tzinfo) -> date | None:
    """The day the moment in ``raw[key]`` falls on in ``zone``. Planner keeps a picked day as
    midnight where the plan is used, Dataverse a working day's start, both in UTC: read in UTC,
    24 November in Europe/Paris (``2026-11-23T23:00:00Z``) would be a day early."""
    moment = timestamp_of(raw, key)
    return moment.astimezone(zone).date() if moment else None


def record_digest(raw: Any) -> str:
    """A record's key when it names no id of its own: a digest of its JSON, so the same
    record keys the same quarantine entry every time."""
    text = json.dumps(raw, sort_keys=True, default=str, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def build(model: type[R], **values: Any) -> R:
    """Construct a canonical record, turning pydantic's report into a one-line MappingError."""
    try:
        return model(**values)
    except ValidationError as error:
        raise MappingError.from_validation(model.entity, error) from None
