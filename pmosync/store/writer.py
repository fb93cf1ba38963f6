"""The one way data gets into the store: a ``Writer`` is one transaction.

A stream's page is upserted, its bad records quarantined, its checkpoint moved and its ledger
counters advanced through the same ``Writer``, so they commit together or not at all: a crash
loses at most the page in flight, and a rerun resumes from a checkpoint that matches the data.

Being the one way in, the ``Writer`` is also where source text is made storable: every string
it writes (record fields, the lists in JSON columns, quarantined payloads and reasons,
checkpoints, the keys it looks up by) goes through ``without_nul``. PostgreSQL refuses NUL in
text and in JSON, and one name holding it would otherwise fail its whole page on PostgreSQL
while SQLite kept it: the record is kept, on both backends the same, without the NUL.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Insert, Table, and_, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from pmosync.canonical.tables import ENTITY_TABLES, RESOLVED_COLUMNS
from pmosync.canonical.text import without_nul
from pmosync.canonical.types import Record
from pmosync.store.history import append_deletions, append_versions
from pmosync.store.schema import HISTORY_FIELDS, checkpoints, quarantine, run_streams

_CHUNK = 500
"""Ids per ``IN (...)``: well under SQLite's bound-parameter limit, cheap for PostgreSQL."""
_KEY_LIMIT = 255


@dataclass
class WriteCounts:
    """What a write changed; ``unchanged`` records were identical and not rewritten."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    quarantined: int = 0
    requests: int = 0

    def add(self, other: WriteCounts) -> None:
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)


@dataclass(frozen=True)
class StreamRun:
    """A ledger row: one stream of one connector within one run."""

    run_id: str
    connector: str
    stream: str


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _row_hash(values: Iterable[Any]) -> str:
    """A digest of a record's content; ``repr`` of dates, decimals and lists is stable."""
    return hashlib.blake2b(repr(tuple(values)).encode(), digest_size=16).hexdigest()


def _insert(dialect: str, table: Table) -> Insert:
    """The dialect's INSERT, which knows ON CONFLICT (both backends support it)."""
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


@cache
def _upsert_statement(dialect: str, table: Table) -> Insert:
    """INSERT ... ON CONFLICT (source, source_id) DO UPDATE, built once per table; the
    table's resolved columns are inserted but never updated (pmosync, not the source, owns them)."""
    stmt = _insert(dialect, table)
    keys = {"id", "source", "source_id", *RESOLVED_COLUMNS.get(table.name, ())}
    return stmt.on_conflict_do_update(
        index_elements=["source", "source_id"],
        set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys},
    )


class Writer:
    """One open transaction on the store; use it through ``Store.writer()``."""

    def __init__(self, connection: Connection, stream: StreamRun | None = None) -> None:
        self._connection = connection
        self._stream = stream
        self.now = datetime.now(UTC)
        self.counts = WriteCounts()
        self._quarantined_keys: set[tuple[str, str, str]] = set()

    # -- canonical records ---------------------------------------------------------------

    def upsert(self, records: Iterable[Record]) -> WriteCounts:
        """Insert new records, rewrite changed ones, leave identical ones untouched.

        Idempotent on (source, source_id): the same batch twice changes nothing the second
        time. Within a batch the last record for a key wins. A tombstoned record that comes
        back is revived (its ``deleted_at`` is whatever the incoming record says).
        """
        by_type: dict[type[Record], dict[tuple[str, str], dict[str, Any]]] = {}
        for record in records:
            row = without_nul(record.model_dump())
            by_type.setdefault(type(record), {})[(row["source"], row["source_id"])] = row
        counts = WriteCounts()
        for model, keyed in by_type.items():
            counts.add(self._upsert_one_type(ENTITY_TABLES[model], keyed))
        self.counts.add(counts)
        return counts

    def _upsert_one_type(
        self, table: Table, keyed: dict[tuple[str, str], dict[str, Any]]
    ) -> WriteCounts:
        stored = self._stored_hashes(table, keyed.keys())
        resolved = RESOLVED_COLUMNS.get(table.name, frozenset())
        rows, counts, inserted = [], WriteCounts(), set()
        for key, row in keyed.items():
            # A resolved column hashes as empty, whatever the record says, so the digest is the
            # one stored before the column was resolved and a re-sync finds the row unchanged.
            row_hash = _row_hash(None if name in resolved else v for name, v in row.items())
            previous = stored.get(key, False)
            if previous == row_hash:
                counts.unchanged += 1
                continue
            if previous is False:
                counts.inserted += 1
                inserted.add(row["id"])
            else:
                counts.updated += 1
            row["row_hash"] = row_hash
            row["synced_at"] = self.now
            rows.append(row)
        if rows:
            statement = _upsert_statement(self._connection.dialect.name, table)
            self._connection.execute(statement, rows)
            if table.name in HISTORY_FIELDS:
                append_versions(
                    self._connection,
                    table.name,
                    rows,
                    inserted=inserted,
                    at=self.now,
                    run_id=self._run_id,
                )
        return counts

    @property
    def _run_id(self) -> str | None:
        return self._stream.run_id if self._stream is not None else None

    def _stored_hashes(
        self, table: Table, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], str | None]:
        """The stored ``row_hash`` of each key already in the table (None after a tombstone)."""
        ids_by_source: dict[str, list[str]] = {}
        for source, source_id in keys:
            ids_by_source.setdefault(source, []).append(source_id)
        found: dict[tuple[str, str], str | None] = {}
        for source, source_ids in ids_by_source.items():
            for chunk in _chunks(source_ids):
                query = select(table.c.source_id, table.c.row_hash).where(
                    table.c.source == source, table.c.source_id.in_(chunk)
                )
                for source_id, row_hash in self._connection.execute(query):
                    found[(source, source_id)] = row_hash
        return found

    def set_resolved(
        self, model: type[Record], column: str, values: Mapping[str, str | None]
    ) -> int:
        """Set a resolved column (see ``RESOLVED_COLUMNS``) by canonical id, ``{id: value}``;
        the caller passes only rows whose value changes. Returns how many rows were set.

        The content hash and ``synced_at`` stay: the source's record did not change."""
        table = ENTITY_TABLES[model]
        if column not in RESOLVED_COLUMNS.get(table.name, ()):
            raise ValueError(f"{table.name}.{column} is not a resolved column")
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values({column: bindparam("row_value")})
        )
        items = [{"row_id": key, "row_value": without_nul(value)} for key, value in values.items()]
        for chunk in _chunks(items):
            self._connection.execute(statement, list(chunk))
        return len(items)

    @property
    def connection(self) -> Connection:
        """The transaction's connection, for a reader that must see what it is about to write
        (identity resolution reads the identities and links them in one transaction)."""
        return self._connection

    def soft_delete(
        self,
        model: type[Record],
        source: str,
        source_ids: Iterable[str],
        at: datetime | None = None,
    ) -> int:
        """Tombstone the named records (never a row removed); returns how many were live.

        A tracked entity's tombstones are versions of its history too (valid from ``now``, when
        the store learnt of them, whatever ``at`` the source gives)."""
        table = ENTITY_TABLES[model]
        source, deleted = without_nul(source), 0
        tracked = table.name in HISTORY_FIELDS
        for chunk in _chunks(without_nul(list(source_ids))):
            statement = (
                update(table)
                .where(
                    table.c.source == source,
                    table.c.source_id.in_(chunk),
                    table.c.deleted_at.is_(None),
                )
                .values(deleted_at=at or self.now, row_hash=None, synced_at=self.now)
            )
            if tracked:
                ids = list(self._connection.scalars(statement.returning(table.c.id)))
                append_deletions(
                    self._connection, table.name, ids, at=self.now, run_id=self._run_id
                )
                deleted += len(ids)
            else:
                deleted += self._connection.execute(statement).rowcount
        self.counts.deleted += deleted
        return deleted

    def soft_delete_missing(
        self,
        model: type[Record],
        source: str,
        present_source_ids: Iterable[str],
        within: Mapping[str, Any] | None = None,
        on_or_after: tuple[str, Any] | None = None,
        prefix: str | None = None,
    ) -> list[str]:
        """Tombstone the live records of ``source`` (limited to ``within``, e.g. one project,
        to ``on_or_after`` = (column, value) for a listing over a trailing window, and to
        source ids starting with ``prefix``, e.g. one workbook's rows) that a complete listing
        no longer contains; returns their source ids."""
        table = ENTITY_TABLES[model]
        source, prefix = without_nul(source), without_nul(prefix)
        scope = [table.c[name] == without_nul(v) for name, v in (within or {}).items()]
        if on_or_after is not None:
            scope.append(table.c[on_or_after[0]] >= on_or_after[1])
        if prefix is not None:
            scope.append(table.c.source_id.startswith(prefix, autoescape=True))
        live = self._connection.scalars(
            select(table.c.source_id).where(
                table.c.source == source, table.c.deleted_at.is_(None), and_(True, *scope)
            )
        )
        missing = sorted(set(live) - set(without_nul(list(present_source_ids))))
        if missing:
            self.soft_delete(model, source, missing)
        return missing

    # -- quarantine, checkpoints, ledger ---------------------------------------------------

    def quarantine(
        self,
        payload: Any,
        reason: str,
        *,
        record_key: str | None = None,
        source: str | None = None,
        stream: str | None = None,
    ) -> None:
        """Keep a record that could not be mapped, verbatim, with the reason.

        The same bad record seen again (same source, stream and key) updates its row rather
        than adding one, so a daily sync of a broken task keeps one entry with a count.
        """
        source, stream = self._stream_names(source, stream)
        text = _payload_text(payload)
        record_key = _quarantine_key(without_nul(record_key)) if record_key else _digest(text)
        stmt = _insert(self._connection.dialect.name, quarantine).values(
            source=source,
            stream=stream,
            record_key=record_key,
            payload=text,
            reason=without_nul(reason),
            first_seen=self.now,
            last_seen=self.now,
            occurrences=1,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["source", "stream", "record_key"],
            set_={
                "payload": stmt.excluded.payload,
                "reason": stmt.excluded.reason,
                "last_seen": stmt.excluded.last_seen,
                "occurrences": quarantine.c.occurrences + 1,
                "resolved_at": None,
            },
        )
        self._connection.execute(stmt)
        self._quarantined_keys.add((source, stream, record_key))
        self.counts.quarantined += 1

    def resolve_quarantine(self, key_prefix: str, *, source: str | None = None) -> int:
        """Mark resolved the open quarantine entries of ``source`` whose record key starts
        with ``key_prefix`` and that this transaction did not quarantine again: a re-read
        workbook replaces its rows, and its rows that are bad no more leave the quarantine."""
        source, _ = self._stream_names(source, None)
        open_entries = self._connection.execute(
            select(quarantine.c.stream, quarantine.c.record_key).where(
                quarantine.c.source == source,
                quarantine.c.resolved_at.is_(None),
                quarantine.c.record_key.startswith(without_nul(key_prefix), autoescape=True),
            )
        )
        fixed = [
            (stream, key)
            for stream, key in open_entries
            if (source, stream, key) not in self._quarantined_keys
        ]
        for stream, key in fixed:
            self._connection.execute(
                quarantine.update()
                .where(
                    quarantine.c.source == source,
                    quarantine.c.stream == stream,
                    quarantine.c.record_key == key,
                )
                .values(resolved_at=self.now)
            )
        return len(fixed)

    def resolve_quarantined(self, record_keys: Iterable[str], *, stream: str) -> int:
        """Mark resolved the open quarantine entries of these records: they mapped this time
        (a fix upstream or in the config), so the quarantine no longer holds news."""
        source, stream = self._stream_names(None, stream)
        keys = [_quarantine_key(without_nul(key)) for key in record_keys if key]
        resolved = 0
        for chunk in _chunks(keys):
            resolved += self._connection.execute(
                quarantine.update()
                .where(
                    quarantine.c.source == source,
                    quarantine.c.stream == stream,
                    quarantine.c.resolved_at.is_(None),
                    quarantine.c.record_key.in_(chunk),
                )
                .values(resolved_at=self.now)
            ).rowcount
        return resolved

    def save_checkpoint(
        self, state: Mapping[str, Any], *, connector: str | None = None, stream: str | None = None
    ) -> None:
        """Record where the stream resumes; commits with the data written before it."""
        connector, stream = self._stream_names(connector, stream)
        stmt = _insert(self._connection.dialect.name, checkpoints).values(
            connector=connector, stream=stream, state=without_nul(dict(state)), updated_at=self.now
        )
        self._connection.execute(
            stmt.on_conflict_do_update(
                index_elements=["connector", "stream"],
                set_={"state": stmt.excluded.state, "updated_at": stmt.excluded.updated_at},
            )
        )

    def count_requests(self, requests: int) -> None:
        """Add the HTTP requests this page cost to the stream's ledger row."""
        self.counts.requests += requests

    def _stream_names(self, first: str | None, stream: str | None) -> tuple[str, str]:
        if self._stream is not None:
            first = first or self._stream.connector
            stream = stream or self._stream.stream
        if not first or not stream:
            raise ValueError("name the connector and stream, or open the writer for a StreamRun")
        return without_nul(first), without_nul(stream)

    def flush_ledger(self) -> None:
        """Advance the stream's ledger counters by what this transaction wrote.

        ``Store.writer`` calls it last, inside the transaction, so the counters commit with
        the data they count."""
        if self._stream is None:
            return
        increments = {
            name: run_streams.c[name] + value for name, value in vars(self.counts).items() if value
        }
        if not increments:
            return
        self._connection.execute(
            update(run_streams)
            .where(
                run_streams.c.run_id == self._stream.run_id,
                run_streams.c.connector == self._stream.connector,
                run_streams.c.stream == self._stream.stream,
            )
            .values(increments)
        )


def _quarantine_key(key: str) -> str:
    """A record's key as the quarantine stores it: a key too long for the column is hashed."""
    return _digest(key) if len(key) > _KEY_LIMIT else key


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _payload_text(payload: Any) -> str:
    """The payload as stored: text, NUL removed (from every string inside a JSON document too,
    so a retry re-maps what the store holds)."""
    if isinstance(payload, bytes):
        return without_nul(payload.decode("utf-8", errors="replace"))
    if isinstance(payload, str):
        return without_nul(payload)
    return json.dumps(without_nul(payload), default=str, ensure_ascii=False, sort_keys=True)
