"""A back-dated report's past: projects, tasks and budgets as the store's history had them.

``report --as-of DATE`` with DATE before today reads each project, task and budget from its
latest version in ``record_history`` valid by the end of DATE (midnight after it, in the
organisation's time zone). A record with no version by then did not exist yet; one whose latest
version by then is a deletion had been deleted (a later revival does not bring it back); one
deleted after DATE was live then and is included. Time entries, costs and status updates carry
their own dates, which the metrics compare with DATE.

A date before history begins cannot be reconstructed: ``HistoryNotCovering`` says which is the
first day it covers, instead of passing today's states off as that day's.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Text, cast, func, select

from pmosync.store.schema import record_history

AS_OF_FIGURE = "as_of_basis"
"""Key of the headline figure a reconstructed report carries ("as of …, reconstructed from
history")."""


class HistoryNotCovering(Exception):
    """A back-dated report asked for a day before the store's field history begins."""


def history_start(connection: Connection) -> datetime | None:
    """When the earliest version in the store's history became valid (None: no history)."""
    first = connection.scalar(select(func.min(record_history.c.valid_from)))
    if first is not None and first.tzinfo is None:
        first = first.replace(tzinfo=UTC)
    return first


def check_covered(connection: Connection, day: date, end: datetime) -> None:
    """Raise ``HistoryNotCovering`` when ``day``, which ended at ``end`` (aware, in the
    organisation's zone), ended before the store's history begins."""
    first = history_start(connection)
    if first is not None and end <= first:
        covered = first.astimezone(end.tzinfo).date()
        raise HistoryNotCovering(
            f"cannot report as of {day.isoformat()}: the store's history of projects, tasks "
            f"and budgets begins on {covered.isoformat()}; choose that day or a later one"
        )


def versions_at(
    connection: Connection, entity: str, boundary: datetime
) -> dict[str, dict[str, Any] | None]:
    """Each record's latest version valid before ``boundary``: its fields, or None when that
    version is a deletion. Records with no version by then are absent.

    One pass over the (entity, record_id, valid_from) index read backwards: the first row of
    each record is its latest, and only that one's JSON is decoded."""
    h = record_history.c
    query = (
        select(h.record_id, h.deleted, cast(h.fields, Text))
        .where(h.entity == entity, h.valid_from < boundary)
        .order_by(h.record_id.desc(), h.valid_from.desc(), h.id.desc())
    )
    found: dict[str, dict[str, Any] | None] = {}
    loads = json.loads
    for record_id, deleted, fields in connection.execute(query).all():
        if record_id in found:
            continue
        found[record_id] = None if deleted or fields is None else loads(fields)
    return found


def as_date(value: Any) -> date | None:
    """A stored ISO date (a timestamp's day when a seeded row held one)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def as_datetime(value: Any) -> datetime | None:
    """A stored ISO timestamp, in UTC when it carries no zone (the store's convention)."""
    if value is None or isinstance(value, datetime):
        return value
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def basis_text(day: date) -> str:
    """What a reconstructed report says of itself."""
    return f"as of {day.isoformat()}, reconstructed from history"
