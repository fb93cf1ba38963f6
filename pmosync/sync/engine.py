"""Run a connector's streams through mapping into the store, page by page.

Each page is mapped and written in ONE transaction together with the stream's checkpoint and
its ledger counters: a crash loses at most the page in flight and a rerun resumes from the last
committed checkpoint. A record that does not map is quarantined with its raw payload and the
reason; the page goes on. Errors are split as the connector raised them: a stream that fails
is recorded and the next one runs; one that cannot succeed for any stream (a refused token, an
unreachable host) ends the connector; a 402 skips the stream with a warning.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from threading import Event
from typing import Any, Literal, Protocol, runtime_checkable

from pmosync.canonical.types import ENTITIES, Record
from pmosync.connectors.base import Page, Reconcile, Source, Stream
from pmosync.connectors.errors import ConnectorError, PaymentRequired, RetriableError
from pmosync.connectors.paging import StopRequested
from pmosync.mapping.result import Mapped, MappingError, Tombstone
from pmosync.mapping.scope import ReconcileScope
from pmosync.store import Store
from pmosync.store.writer import StreamRun, WriteCounts, Writer

log = logging.getLogger(__name__)

Outcome = Literal["succeeded", "failed", "skipped", "interrupted"]

STOPPED = "stopped before the stream finished: shutdown requested (the next run resumes here)"


class SyncObserver(Protocol):
    """Told what the engine does, as it does it: the progress display, the daemon's logs.

    Called from the connector's worker thread; implementations must be thread-safe. An
    observer may also define ``waiting(connector, seconds, reason)``: ``run_sync`` then tells
    it of every wait of a second or more for a quota or a retry ("Asana quota", "HTTP 429
    from Microsoft Graph"; see ``pmosync.connectors.retry.OnWait``)."""

    def stream_started(self, connector: str, stream: str) -> None: ...

    def page_written(self, connector: str, stream: str, records: int, counts: WriteCounts) -> None:
        """A page of ``records`` raw records was committed; ``counts`` is what it changed."""
        ...

    def stream_finished(self, connector: str, result: StreamResult) -> None: ...


@runtime_checkable
class CountsRequests(Protocol):
    """A source that talks HTTP: what it spent that no page carried can be taken at the end
    of each stream (a stream that failed or was skipped still made its requests)."""

    def take_requests(self) -> int:
        """HTTP attempts (retries and failures included) made since the count was last taken."""
        ...


class Mapper(Protocol):
    """What the engine needs from a source's mapping."""

    def map(self, stream: str, raw: Mapping[str, Any]) -> Mapped: ...

    def record_key(self, raw: Any) -> str: ...

    def deleted(self, kind: str, source_ids: list[str]) -> list[ReconcileScope]: ...

    def scopes(self, reconcile: Reconcile) -> list[ReconcileScope]: ...


@dataclass(slots=True)
class StreamResult:
    name: str
    status: Outcome
    counts: WriteCounts = field(default_factory=WriteCounts)
    error: str | None = None
    retriable: bool = False
    """The failure is worth another try later (throttling, a 5xx, no connection, after the
    connector's own retries): an engine that retries whole runs (Temporal) tries again."""
    retry_after: float | None = None
    """The server's last Retry-After, when the failure came with one."""


@dataclass(slots=True)
class ConnectorResult:
    name: str
    streams: list[StreamResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    """Set when the connector as a whole could not run (e.g. its token was refused)."""
    retriable: bool = False
    """``error`` is worth another try later (the host could not be reached)."""

    @property
    def failed(self) -> bool:
        return self.error is not None or any(s.status == "failed" for s in self.streams)

    @property
    def failed_retriably(self) -> bool:
        """Failed, and every failure was of the kind that may pass (see ``retriable``)."""
        failures = [s for s in self.streams if s.status == "failed"]
        return (
            self.failed
            and (self.error is None or self.retriable)
            and all(s.retriable for s in failures)
        )


def write_page(writer: Writer, source: str, mapper: Mapper, page: Page) -> None:
    """Map one page and write it, its tombstones and its checkpoint through ``writer``."""
    records: list[Record] = []
    tombstones: list[Tombstone] = []
    refused: set[str] = set()
    for raw in page.records:
        try:
            mapped = mapper.map(page.kind, raw)
        except MappingError as error:
            key = mapper.record_key(raw)
            refused.add(key)
            writer.quarantine(raw, str(error), record_key=key, stream=page.kind)
            continue
        records += mapped.records
        tombstones += mapped.tombstones
    mapped_keys = {mapper.record_key(raw) for raw in page.records} - refused
    writer.resolve_quarantined(mapped_keys, stream=page.kind)  # fixed upstream or by config
    writer.upsert(records)
    by_entity: dict[str, list[str]] = defaultdict(list)
    for tombstone in tombstones:
        by_entity[tombstone.entity].append(tombstone.source_id)
    for entity, source_ids in by_entity.items():
        writer.soft_delete(ENTITIES[entity], source, source_ids)
    scopes = mapper.deleted(page.kind, page.deleted) if page.deleted else []
    for reconcile in page.reconcile:
        scopes += [_without(scope, refused) for scope in mapper.scopes(reconcile)]
    for scope in scopes:
        retire(writer, source, scope)
    if page.state is not None:
        writer.save_checkpoint(page.state)
    writer.count_requests(page.requests)


def _without(scope: ReconcileScope, refused: set[str]) -> ReconcileScope:
    """A file's listing names every row, but a row that now fails mapping no longer holds
    what was stored from it: its old record retires (the row itself waits in quarantine).
    Only scopes keyed by prefix (workbook rows, whose record key is their source id)."""
    if scope.prefix is None or not refused & scope.present:
        return scope
    return replace(scope, present=scope.present - refused)


def retire(
    writer: Writer, source: str, scope: ReconcileScope, within: Mapping[str, Any] | None = None
) -> None:
    """Tombstone what ``scope`` says is gone, with everything that goes along with it."""
    gone = writer.soft_delete_missing(
        scope.model, source, scope.present, within or scope.within, scope.on_or_after, scope.prefix
    )
    if scope.prefix is not None and within is None:
        writer.resolve_quarantine(scope.prefix, source=source)
    for model in scope.cascade:
        writer.soft_delete(model, source, gone)
    for source_id in gone:
        reference = scope.model.ref(source, source_id)
        for dependent in scope.dependents:
            if isinstance(dependent, ReconcileScope):
                (column,) = dependent.within
                retire(writer, source, dependent, {column: reference})
                continue
            model, column = dependent
            if model is scope.model:
                retire(writer, source, scope, {column: reference})
            else:
                writer.soft_delete_missing(model, source, (), {column: reference})


def sync_source(
    store: Store,
    run_id: str,
    source: Source,
    mapper: Mapper,
    *,
    full: bool = False,
    stop: Event | None = None,
    observer: SyncObserver | None = None,
) -> ConnectorResult:
    """Run every stream of ``source`` in order; never raises for a source's own failures.

    ``stop`` is looked at between pages: once set, the page in flight is committed, the
    stream is recorded as interrupted and no further stream starts."""
    result = ConnectorResult(source.name)
    for stream in source.streams():
        if result.error is not None or (stop is not None and stop.is_set()):
            break
        stream_run = store.ledger.start_stream(run_id, source.name, stream.name)
        if observer is not None:
            observer.stream_started(source.name, stream.name)
        try:
            outcome, fatal = _run_stream(store, stream_run, stream, mapper, full, stop, observer)
        except BaseException as error:
            _close_quietly(store, stream_run, error)
            raise
        untaken = source.take_requests() if isinstance(source, CountsRequests) else 0
        outcome.counts.requests += untaken
        result.streams.append(outcome)
        store.ledger.finish_stream(stream_run, outcome.status, outcome.error, requests=untaken)
        if observer is not None:
            observer.stream_finished(source.name, outcome)
        if fatal:
            result.error, result.retriable = outcome.error, outcome.retriable
    result.warnings = source.warnings()
    return result


def _close_quietly(store: Store, stream_run: StreamRun, error: BaseException) -> None:
    """A stream ended by something other than its connector (a bug, a forced stop) still
    leaves the ledger saying so rather than ``running``; if the store itself is what failed,
    the next run marks the row interrupted instead."""
    stopped = isinstance(error, KeyboardInterrupt | SystemExit)
    status: Outcome = "interrupted" if stopped else "failed"
    reason = STOPPED if stopped else f"internal error (a bug): {type(error).__name__}"
    try:
        store.ledger.finish_stream(stream_run, status, reason)
    except Exception:  # noqa: BLE001 - the original error is re-raised by the caller
        log.debug("could not record the end of stream %s", stream_run.stream, exc_info=True)


def _run_stream(
    store: Store,
    stream_run: StreamRun,
    stream: Stream,
    mapper: Mapper,
    full: bool,
    stop: Event | None,
    observer: SyncObserver | None,
) -> tuple[StreamResult, bool]:
    """Run one stream; also says whether the connector must stop (nothing else can work)."""
    source = stream_run.connector
    outcome = StreamResult(stream.name, "succeeded")
    pages = stream.pages(store.checkpoint(source, stream.name), full=full)
    try:
        for page in pages:
            with store.writer(stream_run) as writer:
                write_page(writer, source, mapper, page)
            outcome.counts.add(writer.counts)
            if observer is not None:
                observer.page_written(source, stream.name, len(page.records), writer.counts)
            if stop is not None and stop.is_set():
                outcome.status, outcome.error = "interrupted", STOPPED
                break
    except StopRequested:
        outcome.status, outcome.error = "interrupted", STOPPED
    except PaymentRequired as error:
        outcome.status, outcome.error = "skipped", str(error)
        log.info("%s: stream %s skipped: %s", source, stream.name, error)
    except ConnectorError as error:
        outcome.status, outcome.error = "failed", str(error)
        if isinstance(error, RetriableError):
            outcome.retriable, outcome.retry_after = True, error.retry_after
        log.info("%s: stream %s failed: %s", source, stream.name, error)
        return outcome, error.fatal_for_connector
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()  # a generator left mid-way releases its connections now, not at GC
    return outcome, False
