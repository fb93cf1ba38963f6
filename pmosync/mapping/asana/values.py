"""Reading single values out of raw Asana records, with errors a person can act on.

Asana sends strings for everything (gids, dates, timestamps) and ``null`` for what is unset.
Every reader here either returns a typed value or ``None`` for unset, or raises ``MappingError``
naming the field and the value, so no malformed record reaches pydantic as a bare ``KeyError``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pmosync.canonical.types import Record
from pmosync.mapping.result import MappingError

R = TypeVar("R", bound=Record)


def record_gid(raw: Mapping[str, Any]) -> str:
    """The record's own gid: without it there is no ``source_id`` and nothing to upsert."""
    gid = raw.get("gid")
    if isinstance(gid, int) and not isinstance(gid, bool):
        return str(gid)
    if not isinstance(gid, str) or not gid.strip():
        raise MappingError("record has no gid")
    return gid


def ref_gid(raw: Mapping[str, Any], key: str) -> str | None:
    """The gid of a compact record in ``raw[key]`` (``{"gid": ..., ...}``), ``None`` if unset."""
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise MappingError(f"{key} is not an Asana object: {value!r}")
    try:
        return record_gid(value)
    except MappingError:
        raise MappingError(f"{key} has no gid") from None


def context_gid(raw: Mapping[str, Any], key: str) -> str:
    """A gid the connector adds as context (``_project``, ``_portfolio``); required."""
    value = raw.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise MappingError(f"record has no {key} (the connector adds it)")
    return value
