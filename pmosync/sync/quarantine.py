"""Retry quarantined records with the current configuration's mapping.

A record is quarantined when it does not map: an unknown email in a timesheet, an option the
RAG vocabulary does not know, a custom field configured with the wrong type. Once the YAML is
fixed, a retry re-maps the payload kept verbatim, without asking the source again, and writes
what now maps. Per source it is ONE ledger stream (``quarantine-retry``) and ONE transaction:
the records written and the entries resolved commit together, so a retry killed half-way
leaves every entry open and can simply be run again.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pmosync.config import PmosyncConfig
from pmosync.connectors.base import Page
from pmosync.mapping.result import MappingError
from pmosync.store import Store
from pmosync.store.quarantine import mark_resolved, set_reason, stored_since
from pmosync.store.writer import Writer
from pmosync.sync.engine import Mapper, write_page
from pmosync.sync.sources import UnsupportedConnector, open_mapper

RETRY_STREAM = "quarantine-retry"
"""The ledger stream a retry is recorded under, once per connector it touched."""

Verdict = Literal["fixed", "superseded", "failing", "skipped"]


@dataclass(slots=True)
class EntryOutcome:
    """What became of one quarantine entry."""

    entry_id: int
    source: str
    stream: str
    record_key: str
    verdict: Verdict
    reason: str | None = None
    """Why it still fails or was skipped; None when fixed."""


@dataclass(slots=True)
class RetryResult:
    run_id: str | None
    """The ledger run, None when there was nothing to retry."""
    outcomes: list[EntryOutcome] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(o.verdict == "failing" for o in self.outcomes)

    def count(self, verdict: Verdict) -> int:
        return sum(1 for o in self.outcomes if o.verdict == verdict)


def retry_entries(
    config: PmosyncConfig, store: Store, entries: Sequence[dict[str, Any]]
) -> RetryResult:
    """Re-map ``entries`` (open quarantine rows, payload included) and settle them.

    Entries of a source the configuration no longer has are skipped, each saying so. A
    ``StoreError`` propagates after the ledger run is closed as failed (when it still can be).
    """
    by_source: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        by_source.setdefault(entry["source"], []).append(entry)
    result = RetryResult(None)
    for name in [n for n in by_source if n not in config.connectors]:
        for entry in by_source.pop(name):
            reason = f"source {name} is no longer configured"
            result.outcomes.append(_outcome(entry, "skipped", reason))
    if not by_source:
        return result
    result.run_id = run_id = store.ledger.start_run("sync")
    try:
        for name, group in by_source.items():
            result.outcomes += _retry_source(config, store, run_id, name, group)
    except BaseException as error:
        with contextlib.suppress(Exception):
            store.ledger.finish_run(run_id, "failed", f"{type(error).__name__}: {error}")
        raise
    result.outcomes.sort(key=lambda o: o.entry_id)
    store.ledger.finish_run(run_id, "succeeded")
    return result


def _retry_source(
    config: PmosyncConfig, store: Store, run_id: str, name: str, entries: list[dict[str, Any]]
) -> list[EntryOutcome]:
    try:
        mapper = open_mapper(
            name, config.connectors[name], store=store, aliases=config.people.aliases
        )
    except UnsupportedConnector as error:
        return [_outcome(entry, "skipped", str(error)) for entry in entries]
    stream_run = store.ledger.start_stream(run_id, name, RETRY_STREAM)
    try:
        with store.writer(stream_run) as writer:
            outcomes = [_retry_one(writer, name, mapper, entry) for entry in entries]
            mark_resolved(
                writer, [o.entry_id for o in outcomes if o.verdict in ("fixed", "superseded")]
            )
    except BaseException as error:
        with contextlib.suppress(Exception):
            store.ledger.finish_stream(stream_run, "failed", f"{type(error).__name__}: {error}")
        raise
    store.ledger.finish_stream(stream_run, "succeeded")
    return outcomes


def _retry_one(writer: Writer, source: str, mapper: Mapper, entry: dict[str, Any]) -> EntryOutcome:
    """Re-map one entry; write its records unless the store already holds newer ones."""
    try:
        payload = json.loads(entry["payload"])
    except ValueError:
        writer.counts.quarantined += 1
        return _outcome(entry, "failing", "the payload is not JSON, so it cannot be re-mapped")
    stream = entry["stream"]
    try:
        mapped = mapper.map(stream, payload)
    except MappingError as error:
        writer.counts.quarantined += 1
        set_reason(writer, entry["id"], str(error))
        return _outcome(entry, "failing", str(error))
    except ValueError as error:  # a stream this mapping does not have
        writer.counts.quarantined += 1
        return _outcome(entry, "failing", f"cannot be re-mapped: {error}")
    own = [r for r in mapped.records if r.source_id == entry["record_key"]]
    if stored_since(writer, own, entry["last_seen"]):
        return _outcome(entry, "superseded")
    # write_page maps the payload again (mappers are pure, the result is the same) and brings
    # the tombstones and their cascades along exactly as a sync would.
    write_page(writer, source, mapper, Page(kind=stream, records=[payload]))
    return _outcome(entry, "fixed")


def _outcome(entry: dict[str, Any], verdict: Verdict, reason: str | None = None) -> EntryOutcome:
    return EntryOutcome(
        entry["id"], entry["source"], entry["stream"], entry["record_key"], verdict, reason
    )
