"""Reading and settling quarantine entries: what ``pmosync quarantine`` and its retry need.

Entries are written by ``Writer.quarantine`` while syncing. Here they are listed, shown, and,
after a retry, marked resolved or given their new reason, inside the retry's own ``Writer``
transaction so the records a retry writes and the entries it resolves commit together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.canonical.text import without_nul
from pmosync.canonical.types import Record
from pmosync.store.schema import quarantine
from pmosync.store.store import Store
from pmosync.store.writer import Writer

SUMMARY_COLUMNS = tuple(c for c in quarantine.columns if c.name != "payload")
"""Everything but the payload, which can be large: what a listing needs."""


def list_entries(
    store: Store, *, source: str | None = None, include_resolved: bool = False
) -> list[dict[str, Any]]:
    """Entries (without their payload), open ones only unless ``include_resolved``, by id."""
    query = select(*SUMMARY_COLUMNS).order_by(quarantine.c.id)
    if source is not None:
        query = query.where(quarantine.c.source == source)
    if not include_resolved:
        query = query.where(quarantine.c.resolved_at.is_(None))
    with store.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def get_entries(store: Store, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The named entries, payload included, by id; ids that do not exist are absent."""
    if not ids:
        return {}
    query = select(quarantine).where(quarantine.c.id.in_(list(ids)))
    with store.engine.connect() as connection:
        return {row.id: dict(row._mapping) for row in connection.execute(query)}


def open_entries(store: Store, *, source: str | None = None) -> list[dict[str, Any]]:
    """Every open entry (of ``source``), payload included, by id: what a retry re-maps."""
    query = select(quarantine).where(quarantine.c.resolved_at.is_(None)).order_by(quarantine.c.id)
    if source is not None:
        query = query.where(quarantine.c.source == source)
    with store.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def mark_resolved(writer: Writer, entry_ids: Iterable[int]) -> None:
    """Close entries whose record now maps (``resolved_at`` = the transaction's time)."""
    ids = list(entry_ids)
    if ids:
        writer.connection.execute(
            update(quarantine).where(quarantine.c.id.in_(ids)).values(resolved_at=writer.now)
        )


def set_reason(writer: Writer, entry_id: int, reason: str) -> None:
    """Give a still-failing entry the reason the current mapping gives.

    ``occurrences`` and ``last_seen`` stay: they count sightings in the source, and a retry
    reads nothing from the source. A reason quoting the record's text loses its NUL, as
    everything the ``Writer`` stores does."""
    writer.connection.execute(
        update(quarantine).where(quarantine.c.id == entry_id).values(reason=without_nul(reason))
    )


def stored_since(writer: Writer, records: Iterable[Record], since: datetime) -> bool:
    """Whether the store already holds something newer than ``records``.

    A quarantined payload is a snapshot. A later sync may have written (or tombstoned) the
    same record after the entry was last seen, or stored a version the source changed later
    than the snapshot (``updated_at``); either way the old payload must not overwrite it."""
    connection = writer.connection
    for record in records:
        table = ENTITY_TABLES[type(record)]
        query = select(table.c.synced_at, table.c.updated_at).where(table.c.id == record.id)
        stored = connection.execute(query).first()
        if stored is None:
            continue
        if stored.synced_at > since:
            return True
        if stored.updated_at and record.updated_at and stored.updated_at > record.updated_at:
            return True
    return False
