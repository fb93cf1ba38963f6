"""Field history: each version of the fields back-dated reports read (``HISTORY_FIELDS``).

The ``Writer`` appends to ``record_history`` in the transaction that writes the record, so data
and history commit together or not at all. It looks only at records whose content hash changed
(an unchanged record costs nothing), and among those appends a version only when the tracked
fields differ from the record's latest version: a renamed tag is no new version of a task.

Values are stored as JSON: dates and timestamps ISO, decimals as strings, booleans as booleans
(the seeding in migration 0007 writes the same shapes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from pmosync.store.schema import HISTORY_FIELDS, record_history

_CHUNK = 500


_AS_TEXT = {date: date.isoformat, datetime: datetime.isoformat, Decimal: str}
"""The types JSON has no form for, and how each is written; one lookup per value (a sync's
first pages write a version of every record)."""


def tracked_values(entity: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """The tracked fields of one record row, JSON-ready."""
    values = {}
    for name in HISTORY_FIELDS[entity]:
        value = row.get(name)
        convert = _AS_TEXT.get(type(value))
        values[name] = value if convert is None else convert(value)
    return values


def _version(
    entity: str,
    record_id: str,
    values: dict[str, Any] | None,
    at: datetime,
    run_id: str | None,
) -> dict[str, Any]:
    """One ``record_history`` row: the record's tracked ``values``, or a deletion when None."""
    return {
        "entity": entity,
        "record_id": record_id,
        "valid_from": at,
        "deleted": values is None,
        "fields": values,
        "run_id": run_id,
    }


def latest_versions(
    connection: Connection, entity: str, record_ids: Sequence[str]
) -> dict[str, tuple[bool, Any]]:
    """The latest stored version (deleted, fields) of each record that has one."""
    found: dict[str, tuple[bool, Any]] = {}
    for start in range(0, len(record_ids), _CHUNK):
        chunk = record_ids[start : start + _CHUNK]
        newest = (
            select(func.max(record_history.c.id))
            .where(record_history.c.entity == entity, record_history.c.record_id.in_(chunk))
            .group_by(record_history.c.record_id)
        )
        query = select(
            record_history.c.record_id, record_history.c.deleted, record_history.c.fields
        ).where(record_history.c.id.in_(newest))
        for record_id, deleted, fields in connection.execute(query):
            found[record_id] = (bool(deleted), None if deleted else fields)
    return found


def append_versions(
    connection: Connection,
    entity: str,
    rows: Iterable[Mapping[str, Any]],
    *,
    inserted: set[str],
    at: datetime,
    run_id: str | None,
) -> int:
    """Append a version for each written row whose tracked fields changed; returns how many.

    ``inserted`` holds the ids of rows new to the store: they have no version to compare with
    (a record is never removed, so a new row has no history), which spares the look-up on a
    first sync."""
    candidates = [
        (row["id"], None if row.get("deleted_at") else tracked_values(entity, row)) for row in rows
    ]
    existing = [record_id for record_id, _ in candidates if record_id not in inserted]
    latest = latest_versions(connection, entity, existing) if existing else {}
    versions = []
    for record_id, values in candidates:
        # A record written already tombstoned (a source that reports deletions) is a deletion.
        previous = latest.get(record_id)
        if previous is not None and previous == (values is None, values):
            continue
        versions.append(_version(entity, record_id, values, at, run_id))
    if versions:
        connection.execute(record_history.insert(), versions)
    return len(versions)


def append_deletions(
    connection: Connection,
    entity: str,
    record_ids: Sequence[str],
    *,
    at: datetime,
    run_id: str | None,
) -> None:
    """Append a deleted version for each record just tombstoned."""
    if record_ids:
        connection.execute(
            record_history.insert(),
            [_version(entity, record_id, None, at, run_id) for record_id in record_ids],
        )
