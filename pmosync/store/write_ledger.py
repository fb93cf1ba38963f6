"""The ``write_ledger`` rows: every write-back, intended before it is sent, confirmed after.

A write's row is committed as ``pending`` before its request leaves, and becomes ``written``
(with what the tool answered: the id it made, the item's new etag or modified time) once the
tool has taken it. A run killed in between leaves the row ``pending``: the next run asks the
tool whether the write landed (a status update carrying the write's key) before sending it
again, so a crash never posts twice. ``conflict`` rows are owned values a human changed since
pmosync wrote them: left alone, reported, and re-planned only when the human's value goes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, insert, select, update

from pmosync.store.engine import write_transaction
from pmosync.store.schema import write_ledger

PENDING = "pending"
WRITTEN = "written"
CONFLICT = "conflict"
FAILED = "failed"


def value_hash(value: str) -> str:
    """A short digest of a written value, to compare without keeping long texts twice."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


def write_key(connector: str, item_id: str, field: str, period: str | None = None) -> str:
    """The idempotency key of one write: the same item, owned field and period always give
    the same key, so a rerun finds the row its killed predecessor left."""
    text = "\x1f".join((connector, item_id, field, period or ""))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


@dataclass(frozen=True, slots=True)
class WriteEntry:
    """One row of the write ledger: ``value`` is what pmosync last wrote there (None before
    its first write landed), ``intended`` what a ``pending`` write is sending."""

    key: str
    connector: str
    item_kind: str
    item_id: str
    field: str
    period: str | None
    state: str
    value: str | None = None
    value_hash: str | None = None
    intended: str | None = None
    intended_hash: str | None = None
    ref: str | None = None
    etag: str | None = None
    source_modified: str | None = None
    detail: str | None = None
    run_id: str | None = None
    updated_at: datetime | None = None



@dataclass(frozen=True, slots=True)
class WriteItem:
    """Which owned field of which item a write is about: its key and the columns naming it."""

    key: str
    connector: str
    item_kind: str
    item_id: str
    field: str
    period: str | None = None


class WriteLedger:
    """Reads and writes ``write_ledger``; each call is its own committed transaction, so what
    it says survives the process being killed right after."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def entries(self, connector: str | None = None) -> dict[str, WriteEntry]:
        """Every row (of ``connector``), by key."""
        query = select(write_ledger)
        if connector is not None:
            query = query.where(write_ledger.c.connector == connector)
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return {row["key"]: WriteEntry(**{k: row[k] for k in WriteEntry.__slots__}) for row in rows}

    def intend(
        self, item: WriteItem, intended: str, intended_hash: str, run_id: str | None = None
    ) -> None:
        """Record a write as ``pending`` before its request is sent. A standing value's row
        keeps what pmosync last wrote (``value``) beside what it is writing now."""
        now = datetime.now(UTC)
        values = {
            "connector": item.connector, "item_kind": item.item_kind, "item_id": item.item_id,
            "field": item.field, "period": item.period, "intended": intended,
            "intended_hash": intended_hash, "run_id": run_id, "state": PENDING, "detail": None,
            "updated_at": now,
        }  # fmt: skip
        key = item.key
        with write_transaction(self.engine) as connection:
            found = connection.execute(
                select(write_ledger.c.key).where(write_ledger.c.key == key)
            ).first()
            if found is None:
                connection.execute(insert(write_ledger).values(key=key, created_at=now, **values))
            else:
                connection.execute(
                    update(write_ledger).where(write_ledger.c.key == key).values(**values)
                )

    def written(
        self,
        key: str,
        *,
        ref: str | None = None,
        etag: str | None = None,
        source_modified: str | None = None,
        run_id: str | None = None,
    ) -> None:
        """The pending write of ``key`` landed: its intended value becomes the value pmosync
        last wrote, with what the tool answered (a None keeps that column as it was)."""
        values: dict[str, object] = {
            "state": WRITTEN,
            "value": write_ledger.c.intended,
            "value_hash": write_ledger.c.intended_hash,
            "intended": None,
            "intended_hash": None,
            "detail": None,
            "updated_at": datetime.now(UTC),
        }
        for name, value in (("ref", ref), ("etag", etag), ("source_modified", source_modified),
                            ("run_id", run_id)):  # fmt: skip
            if value is not None:
                values[name] = value
        self._update(key, values)

    def adopt(
        self,
        item: WriteItem,
        value: str,
        value_hash: str,
        *,
        ref: str | None = None,
        etag: str | None = None,
        run_id: str | None = None,
    ) -> None:
        """Record that the tool already shows ``value`` (nothing was sent): pmosync owns it
        from here on as if it had written it."""
        self.intend(item, value, value_hash, run_id)
        self.written(item.key, ref=ref, etag=etag, run_id=run_id)

    def unsettled(self, key: str, state: str, detail: str, run_id: str | None = None) -> None:
        """The write of ``key`` did not land: ``conflict`` (a human's value was left alone) or
        ``failed`` (the tool refused it); what pmosync last wrote stays the value."""
        values: dict[str, object] = {
            "state": state,
            "intended": None,
            "intended_hash": None,
            "detail": detail,
            "updated_at": datetime.now(UTC),
        }
        if run_id is not None:
            values["run_id"] = run_id
        self._update(key, values)

    def refresh_etag(self, key: str, etag: str | None, ref: str | None = None) -> None:
        """Remember the item's newer etag (and id) read after a refusal, for the next try."""
        values: dict[str, object] = {"etag": etag, "updated_at": datetime.now(UTC)}
        if ref is not None:
            values["ref"] = ref
        self._update(key, values)

    def forget(self, key: str) -> None:
        """Drop ``key``'s row: a first write that never reached the tool, re-planned afresh."""
        with write_transaction(self.engine) as connection:
            connection.execute(delete(write_ledger).where(write_ledger.c.key == key))

    def _update(self, key: str, values: dict[str, object]) -> None:
        with write_transaction(self.engine) as connection:
            connection.execute(
                update(write_ledger).where(write_ledger.c.key == key).values(**values)
            )
