"""Which requests lack a required field, and since when.

A request cannot be assessed without what ``intake.required`` names; the pipeline lists the
incomplete ones with what is missing and how long it has been missing, so a PMO chases the
oldest gaps first. A field is missing when it is empty: no value, blank text, no effort by any
role, or (``criteria.<name>``) no such criterion or a blank one.

Since when: the store's field history keeps each version of a request's tracked fields. For a
missing field, the versions at the end of the history that lack it form a trailing run; the
field has been missing since the first of them (when the run is the whole history, since the
request was submitted if that is earlier: it came in without it). A field the history does not
track (description, submitted), or a request without history, counts from its submission.
The request's ``since`` is that of its longest-missing field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pmosync.reports.dataset import RequestRow, RequestVersion
from pmosync.reports.metrics.intake import Incomplete

ROW_FIELDS: dict[str, str] = {
    "requester": "requester_id",
    "sponsor": "sponsor_id",
    "submitted": "submitted_at",
    "effort": "effort_hours",
}
"""Required field name -> the ``RequestRow`` field holding it (others are named alike)."""

HISTORY_NAMES: dict[str, str] = {
    "title": "title",
    "requester": "requester_identity_id",
    "sponsor": "sponsor_identity_id",
    "estimated_cost": "estimated_cost",
    "estimated_benefit": "estimated_benefit",
    "effort": "effort_hours",
    "target_start": "target_start",
    "target_end": "target_end",
    "risk": "risk",
}
"""Required field name -> the tracked field of the history (``HISTORY_FIELDS["request"]``);
description and submitted are not tracked, criteria.<name> is a key of ``criteria``."""


def is_empty(value: Any) -> bool:
    """No value, blank text, or an empty mapping (effort by no role)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, dict):
        return not value
    return False


def _getter(field: str) -> Callable[[RequestRow], Any]:
    if field.startswith("criteria."):
        key = field.removeprefix("criteria.")
        return lambda r: r.criteria.get(key)
    name = ROW_FIELDS.get(field, field)
    return lambda r: getattr(r, name)


def _history_getter(field: str) -> Callable[[Mapping[str, Any]], Any] | None:
    if field.startswith("criteria."):
        key = field.removeprefix("criteria.")

        def criterion(fields: Mapping[str, Any]) -> Any:
            criteria = fields.get("criteria")
            return criteria.get(key) if isinstance(criteria, dict) else None

        return criterion
    name = HISTORY_NAMES.get(field)
    if name is None:
        return None
    return lambda fields: fields.get(name)


def _aware(instant: datetime | None) -> datetime | None:
    if instant is not None and instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    return instant


def missing_since(
    request: RequestRow,
    read: Callable[[Mapping[str, Any]], Any] | None,
    versions: Sequence[RequestVersion],
) -> datetime | None:
    """When ``request``'s field (read from a version by ``read``) became missing: the first
    version of the trailing run lacking it; its submission when untracked or without history,
    or when the run is the whole history and the submission is earlier."""
    submitted = _aware(request.submitted_at)
    if read is None or not versions:
        return submitted
    first = None
    for index in range(len(versions) - 1, -1, -1):
        if not is_empty(read(versions[index].fields)):
            break
        first = index
    if first is None:  # the latest version has it: the row and history disagree
        return submitted
    since = _aware(versions[first].valid_from)
    if first == 0 and submitted is not None and since is not None and submitted < since:
        return submitted
    return since


def incomplete(
    requests: Sequence[RequestRow],
    required: Sequence[str],
    history: Mapping[str, tuple[RequestVersion, ...]],
) -> list[Incomplete]:
    """Every request of ``requests`` lacking a ``required`` field, in the order given, with
    its missing fields (in ``required``'s order) and since when the longest-missing one is."""
    fields = list(dict.fromkeys(required))
    getters = [(field, _getter(field), _history_getter(field)) for field in fields]
    found: list[Incomplete] = []
    for request in requests:
        missing = [(field, read) for field, get, read in getters if is_empty(get(request))]
        if not missing:
            continue
        versions = history.get(request.id, ())
        times = [missing_since(request, read, versions) for _, read in missing]
        known = [t for t in times if t is not None]
        found.append(
            Incomplete(
                request_id=request.id,
                missing=tuple(field for field, _ in missing),
                since=min(known) if known else None,
            )
        )
    return found
