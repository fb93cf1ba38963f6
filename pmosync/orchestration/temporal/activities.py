"""The work of pmosync's workflows, done by the same job functions as every other engine.

A sync activity is ``sync.run.run_sync`` over one connector; a report activity is
``reports.job.run_report``; the write-back activity after it is
``orchestration.writeback_job.writeback_after_report``. What is Temporal's here is only what
Temporal needs:

- **heartbeats**: as pages commit (at most one a second, with the stream and the pages so far
  as details), and a keep-alive from a side thread every quarter of the timeout, also while
  a page waits on a quota or a Retry-After, so only a worker that is gone (killed, frozen,
  cut off) misses its heartbeat timeout;
- **stopping**: a cancelled activity or a worker shutting down sets the run's stop, the page
  in flight commits and the activity ends retriably, to resume elsewhere from that page;
- **the ledger**: each attempt is a run of its own, tagged with the workflow id; a retry first
  closes the runs earlier attempts left running (``interrupted``, saying which attempt);
- **errors** mapped to Temporal's split: a failure the connector calls retriable (throttling
  past its own retries, an outage, an unreachable host) or a store that cannot be reached is
  raised retriable; one that cannot pass (a refused token, a bad config) is ``SyncFailed`` or
  ``NotConfigured``, never retried.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError, CancelledError

from pmosync.config import ConfigError, PmosyncConfig, load_config
from pmosync.orchestration.temporal.requests import (
    ReportRequest,
    ReportSummary,
    SyncRequest,
    SyncSummary,
    WritebackRequest,
    WritebackSummary,
)
from pmosync.orchestration.temporal.workflows import (
    REPORT_ACTIVITY,
    SYNC_ACTIVITY,
    WAIT_ACTIVITY,
    WRITEBACK_ACTIVITY,
)
from pmosync.store import Store, StoreError, WriteCounts
from pmosync.sync.engine import StreamResult, SyncObserver
from pmosync.sync.run import RunOrigin, SyncRun, run_sync

log = logging.getLogger("pmosync.worker")

WAIT_POLL_S = 1.0
"""How often a report waiting for syncs reads the ledger again."""
PAGE_BEAT_S = 1.0
"""The least time between two heartbeats sent from the pages of one activity."""
TICK_START_WAIT_S = 30.0
"""How long a report waits for a sync that ticked with it to start."""


class _Heartbeat:
    """Heartbeats of one activity: per page from the activity's thread, and a keep-alive from
    a side thread (which also turns a cancellation or a worker shutdown into ``stop``).

    A heartbeat from a thread-pool activity waits for the worker's event loop to take it
    (the SDK hands it over with ``run_coroutine_threadsafe(...).result()``), so a page
    heartbeats only when ``PAGE_BEAT_S`` have passed since the last one: a sync of many small
    pages would otherwise spend a tenth of its time queueing for the loop (bench/scale_out.py).
    The details always carry the latest page count."""

    def __init__(self, interval: float, stop: threading.Event) -> None:
        self.details: dict[str, Any] = {"pages": 0}
        self._interval = interval
        self._last = 0.0
        self._stop = stop
        self._done = threading.Event()
        self._context = contextvars.copy_context()  # the activity's, for the side thread
        self._thread = threading.Thread(target=self._keep_alive, name="heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()

    def beat(self) -> None:
        now = time.monotonic()
        if now - self._last >= PAGE_BEAT_S:
            self._last = now
            activity.heartbeat(dict(self.details))

    def _keep_alive(self) -> None:
        while not self._done.wait(self._interval):
            self._context.run(self._tick)

    def _tick(self) -> None:
        if activity.is_cancelled() or activity.is_worker_shutdown():
            self._stop.set()
        activity.heartbeat(dict(self.details))


class _Observer:
    """The engine's observer for an activity: a heartbeat per committed page, then whatever
    the worker logs (its own observer)."""

    def __init__(self, heartbeat: _Heartbeat, inner: SyncObserver | None) -> None:
        self._heartbeat = heartbeat
        self._inner = inner

    def stream_started(self, connector: str, stream: str) -> None:
        self._heartbeat.details["stream"] = stream
        if self._inner is not None:
            self._inner.stream_started(connector, stream)

    def page_written(self, connector: str, stream: str, records: int, counts: WriteCounts) -> None:
        self._heartbeat.details["pages"] += 1
        self._heartbeat.beat()
        if self._inner is not None:
            self._inner.page_written(connector, stream, records, counts)

    def stream_finished(self, connector: str, result: StreamResult) -> None:
        if self._inner is not None:
            self._inner.stream_finished(connector, result)

    def waiting(self, connector: str, seconds: float, reason: str) -> None:
        waiting = getattr(self._inner, "waiting", None)
        if waiting is not None:
            waiting(connector, seconds, reason)


class Activities:
    """The activities of one worker: its config (re-read when the file changes) and its store."""

    def __init__(
        self, config_path: Path, store_url: str | None = None, observer: SyncObserver | None = None
    ) -> None:
        self._path = config_path
        self._store_url = store_url
        self._observer = observer
        self._lock = threading.Lock()
        self._config: PmosyncConfig | None = None
        self._stamp: float | None = None
        self._store: Store | None = None

    def all(self) -> list[Callable[..., Any]]:
        return [self.sync_connector, self.wait_for_syncs, self.run_report, self.write_back]

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    # --- what every activity needs -------------------------------------------------------

    def config(self) -> PmosyncConfig:
        """The config file as it is now: a worker picks up an edited file at its next
        activity; a file that no longer loads fails the activity for good, in one line."""
        with self._lock:
            try:
                stamp = os.stat(self._path).st_mtime
            except OSError as error:
                raise _not_configured(f"{self._path}: cannot read: {error.strerror}") from None
            if self._config is None or stamp != self._stamp:
                try:
                    self._config = load_config(self._path)
                except ConfigError as error:
                    raise _not_configured(error.problems[0]) from None
                self._stamp = stamp
            return self._config

    def store(self, config: PmosyncConfig) -> Store:
        with self._lock, _store_retriable():
            if self._store is None:
                self._store = Store.open(
                    self._store_url or config.store,
                    base_dir=None if self._store_url else config.config_path.parent,
                )
            return self._store

    def _for_report(self, request: ReportRequest) -> tuple[PmosyncConfig, Store]:
        """The config and store of a report activity; a report the YAML no longer has fails
        for good."""
        config = self.config()
        if request.report not in config.reports:
            raise _not_configured(f"{config.config_path}: no report named {request.report}")
        return config, self.store(config)

    # --- sync -----------------------------------------------------------------------------

    @activity.defn(name=SYNC_ACTIVITY)
    def sync_connector(self, request: SyncRequest) -> SyncSummary:
        info = activity.info()
        config = self.config()
        if request.connector not in config.connectors:
            raise _not_configured(
                f"{config.config_path}: no connector named {request.connector} (its schedule "
                "is left over: run `pmosync schedules apply` again)"
            )
        store = self.store(config)
        if info.attempt > 1:
            closed = store.ledger.interrupt_workflow_runs(
                info.workflow_id,
                f"attempt {info.attempt - 1} of {info.workflow_id} ended before the sync did "
                f"(its worker stopped heartbeating or failed); attempt {info.attempt} resumed "
                "from the last committed page",
            )
            if closed:
                log.info("%s: attempt %d resumes a sync cut short", request.connector, info.attempt)
        stop = threading.Event()
        beat_s = max(1.0, request.heartbeat_seconds / 4)
        with _Heartbeat(beat_s, stop) as heartbeat, _store_retriable():
            run = run_sync(
                config,
                store,
                [request.connector],
                full=request.full,
                stop=stop,
                observer=_Observer(heartbeat, self._observer),
                origin=RunOrigin(request.connector, info.workflow_id),
            )
        summary = _summary(request.connector, run)
        if run.status == "interrupted":
            if activity.is_cancelled():
                raise CancelledError(f"{request.connector}: cancelled after the page in flight")
            raise ApplicationError(
                f"{request.connector}: stopped after the page in flight (the worker is shutting "
                "down); another worker resumes from there",
                type="Interrupted",
            )
        if run.failed:
            message = f"{request.connector}: {summary.error}"
            if run.failed_retriably:
                after = run.retry_after  # the server's own word beats our backoff
                raise ApplicationError(
                    message,
                    summary,
                    type="SyncRetriable",
                    next_retry_delay=timedelta(seconds=after) if after else None,
                )
            raise ApplicationError(message, summary, type="SyncFailed", non_retryable=True)
        return summary

    # --- reports --------------------------------------------------------------------------

    @activity.defn(name=WAIT_ACTIVITY)
    def wait_for_syncs(self, request: ReportRequest) -> list[str]:
        """Wait, at most ``wait_minutes``, until no sync of a connector the report reads is
        running, and those whose schedule ticked with the report's tick have synced since.
        Returns the connectors still syncing (or not yet synced) when the wait ran out."""
        from pmosync.reports.readiness import report_connectors

        config, store = self._for_report(request)
        connectors = report_connectors(config, request.report)
        tick = _instant(request.as_of)
        together = _ticking_with(config, connectors, tick) if tick is not None else []
        deadline = time.monotonic() + request.wait_minutes * 60
        while True:
            store.ledger.close_dead_runs()
            running = {
                r["connector"] or "(several)" for r in store.ledger.running_syncs(connectors)
            }
            pending = {c for c in together if not store.ledger.synced_since(c, tick)}  # type: ignore[arg-type]
            if pending and not running and _past(tick, TICK_START_WAIT_S):
                pending = set()  # its sync did not start (skipped by overlap, or no worker)
            if not running and not pending:
                return []
            if time.monotonic() >= deadline:
                return sorted(running | pending)
            activity.heartbeat(sorted(running | pending))
            if activity.is_cancelled():
                raise CancelledError("cancelled while waiting for syncs")
            time.sleep(WAIT_POLL_S)

    @activity.defn(name=REPORT_ACTIVITY)
    def run_report(self, request: ReportRequest) -> ReportSummary:
        from pmosync.reports.job import run_report

        config, store = self._for_report(request)
        stop = threading.Event()
        with _Heartbeat(20.0, stop), _store_retriable():
            outcome = run_report(
                config,
                store,
                request.report,
                _report_date(config, request.as_of),
                allow_stale=request.waited_out,
                stop=stop,
            )
        log.info("report %s run %s %s", request.report, outcome.run_id, outcome.status)
        return ReportSummary(request.report, outcome.run_id, outcome.status, outcome.error)

    @activity.defn(name=WRITEBACK_ACTIVITY)
    def write_back(self, request: WritebackRequest) -> WritebackSummary:
        """The write-back after a report run succeeded: safe to retry (the write ledger and
        the write's mark make a second attempt write only what the first did not)."""
        from pmosync.orchestration.writeback_job import writeback_after_report

        config = self.config()
        store = self.store(config)
        stop = threading.Event()
        with _Heartbeat(20.0, stop), _store_retriable():
            outcome = writeback_after_report(
                config,
                store,
                request.report,
                "succeeded",
                as_of=_report_date(config, request.as_of),
                stop=stop,
            )
        if outcome is None:
            return WritebackSummary(request.report, None, "skipped", "no connector follows it")
        counts = {
            result.connector: {
                **{action: result.count(action) for action in ("write", "adopt", "conflict")},
                "skip": result.count("skip") - len(result.failed),
                "failed": len(result.failed),
            }
            for result in outcome.results
        }
        return WritebackSummary(
            request.report, outcome.run_id, outcome.status, outcome.error, counts
        )


def _instant(as_of: str | None) -> datetime | None:
    """The tick's instant a report request carries (None for a bare date or none)."""
    if as_of is None or len(as_of) == 10:
        return None
    return datetime.fromisoformat(as_of)


def _ticking_with(config: PmosyncConfig, connectors: list[str], tick: datetime) -> list[str]:
    """The connectors among ``connectors`` whose sync schedule ticked at ``tick`` too."""
    from pmosync.orchestration.cron import latest_tick

    zone = config.organisation.zone()
    found = []
    for name in connectors:
        cron = config.connectors[name].schedule or config.sync.schedule
        if cron and latest_tick(cron, tick + timedelta(seconds=1), zone) >= tick:
            found.append(name)
    return found


def _past(tick: datetime | None, seconds: float) -> bool:
    return tick is None or datetime.now(UTC) - tick > timedelta(seconds=seconds)


def _report_date(config: PmosyncConfig, as_of: str | None) -> date | None:
    """A tick's instant (ISO) as its day in the organisation's zone; a bare date as itself."""
    if as_of is None:
        return None
    if len(as_of) == 10:
        return date.fromisoformat(as_of)
    return datetime.fromisoformat(as_of).astimezone(config.organisation.zone()).date()


def _summary(connector: str, run: SyncRun) -> SyncSummary:
    streams: dict[str, str] = {}
    records = requests = 0
    errors = []
    for result in run.connectors:
        if result.error:
            errors.append(result.error)
        for stream in result.streams:
            streams[stream.name] = stream.status
            counts = stream.counts
            records += counts.inserted + counts.updated + counts.deleted
            requests += counts.requests
            if stream.status == "failed" and stream.error:
                errors.append(f"{stream.name}: {stream.error}")
    return SyncSummary(
        connector, run.run_id, run.status, "; ".join(errors) or None, streams, records, requests
    )


@contextlib.contextmanager
def _store_retriable() -> Iterator[None]:
    """A store that cannot be reached (down, full, read-only) is worth another try later: its
    one-line message becomes a retriable ``StoreUnavailable``."""
    try:
        yield
    except StoreError as error:
        raise ApplicationError(str(error), type="StoreUnavailable") from None


def _not_configured(message: str) -> ApplicationError:
    return ApplicationError(message, type="NotConfigured", non_retryable=True)
