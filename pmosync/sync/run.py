"""One sync run over the configured connectors, recorded in the run ledger.

Tool connectors (Asana, Planner) run first, side by side up to ``sync.max_parallel_connectors``:
they share nothing but the store, whose transactions keep their pages apart. Workbook connectors
run after them, because their rows name the projects, tasks and people the tools just synced.
Identity resolution then ties every tool's identities to one person per human, and every
project seen for the first time gets its first baseline (``store.baselines.capture_first``).

A connector's own failure never stops the others. The store failing (unreachable, full,
read-only) stops everything: nothing more could be written, so the run ends failed and
``StoreError`` says why in one line.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from pmosync.config import PmosyncConfig
from pmosync.connectors.errors import ConnectorError
from pmosync.connectors.limiter import use_quota_store
from pmosync.connectors.retry import OnWait, RetryPolicy
from pmosync.store import Store, StoreError
from pmosync.sync.engine import STOPPED, ConnectorResult, SyncObserver, sync_source
from pmosync.sync.sources import WORKBOOK_TYPES, UnsupportedConnector, open_source, sync_order

log = logging.getLogger(__name__)

RunOutcome = Literal["succeeded", "failed", "interrupted"]


@dataclass
class SyncRun:
    """What one ``run_sync`` did: its ledger row and each connector's result."""

    run_id: str
    status: RunOutcome
    connectors: list[ConnectorResult] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status != "succeeded"

    @property
    def failed_retriably(self) -> bool:
        """Failed only in ways that may pass if tried again later (throttling, an outage)."""
        failed = [c for c in self.connectors if c.failed]
        return self.status == "failed" and bool(failed) and all(c.failed_retriably for c in failed)

    @property
    def retry_after(self) -> float | None:
        """The longest Retry-After a failed stream of this run was last told to wait."""
        waits = [
            s.retry_after for c in self.connectors for s in c.streams if s.retry_after is not None
        ]
        return max(waits, default=None)


@dataclass(frozen=True)
class RunOrigin:
    """Who runs a sync, when it is not this process alone: recorded on its ledger row."""

    connector: str | None = None
    """The one connector the run syncs (a Temporal sync workflow's)."""
    workflow_id: str | None = None
    """The Temporal workflow this run is an attempt of."""


class _Halt:
    """Stop signal of a run: the caller's (shutdown requested) or the run's own (store gone)."""

    def __init__(self, requested: threading.Event | None) -> None:
        self.requested = requested
        self.store_failed = threading.Event()

    def is_set(self) -> bool:
        return self.store_failed.is_set() or (
            self.requested is not None and self.requested.is_set()
        )


def run_sync(
    config: PmosyncConfig,
    store: Store,
    names: Sequence[str] = (),
    *,
    full: bool = False,
    stop: threading.Event | None = None,
    observer: SyncObserver | None = None,
    origin: RunOrigin | None = None,
) -> SyncRun:
    """Sync the named connectors (all when none are named) and resolve people.

    Runs left ``running`` by a process that died are marked interrupted first, so the ledger
    never shows a ghost run. Setting ``stop`` ends the run after the pages in flight commit.
    ``origin`` is recorded on the run's ledger row. With ``sync.quota_store`` the connectors'
    request quotas are counted in that Redis, shared with every other process syncing.
    """
    quota_store = config.sync.quota_store
    use_quota_store(quota_store.get_secret_value() if quota_store is not None else None)
    store.ledger.mark_interrupted()
    origin = origin or RunOrigin()
    run_id = store.ledger.start_run(
        "sync", connector=origin.connector, workflow_id=origin.workflow_id
    )
    run = SyncRun(run_id, "succeeded")
    halt = _Halt(stop)
    store_errors: list[StoreError] = []
    try:
        ordered = sync_order(config.connectors, names or list(config.connectors))
        tools = [n for n in ordered if not isinstance(config.connectors[n], WORKBOOK_TYPES)]
        workbooks = [n for n in ordered if n not in tools]
        for group in (tools, workbooks):
            if halt.is_set():
                break
            run.connectors += _sync_group(
                group,
                lambda name: _sync_one(
                    config, store, run.run_id, name, full, halt, observer, store_errors
                ),  # fmt: skip
                config.sync.max_parallel_connectors,
            )
        if store_errors:
            raise store_errors[0]
        if not halt.is_set():
            from pmosync.store.baselines import capture_first
            from pmosync.sync.people import resolve_people

            resolve_people(store, config.people)
            capture_first(
                store,
                sources=_completed_tools(run.connectors, tools),
                precedence=config.resources.budget_precedence,
            )
    except StoreError as error:
        _finish_if_possible(store, run.run_id, "failed", str(error))
        raise
    except BaseException as error:
        _finish_if_possible(store, run.run_id, "failed", f"{type(error).__name__}: {error}")
        raise
    failed = [c for c in run.connectors if c.failed]
    if halt.is_set():
        run.status, summary = "interrupted", STOPPED
    elif failed:
        run.status = "failed"
        summary = "; ".join(f"{c.name}: {c.error or 'a stream failed'}" for c in failed)
    else:
        summary = None
    store.ledger.finish_run(run.run_id, run.status, summary)
    return run


def _completed_tools(results: Sequence[ConnectorResult], tools: Sequence[str]) -> list[str]:
    """The tool connectors (those that hold projects) whose sync completed in this run: their
    projects' plans are whole, so a project seen for the first time gets its first baseline
    (``capture_first``); a failed connector's projects wait for a sync that completes."""
    return [r.name for r in results if r.name in tools and not r.failed]


def _sync_group(
    names: list[str], sync_one: Callable[[str], ConnectorResult], parallel: int
) -> list[ConnectorResult]:
    """Sync ``names`` side by side, at most ``parallel`` at once; results in ``names`` order."""
    if len(names) <= 1 or parallel == 1:
        return [sync_one(name) for name in names]
    with ThreadPoolExecutor(min(parallel, len(names)), thread_name_prefix="sync") as pool:
        return list(pool.map(sync_one, names))


def _sync_one(
    config: PmosyncConfig,
    store: Store,
    run_id: str,
    name: str,
    full: bool,
    halt: _Halt,
    observer: SyncObserver | None,
    store_errors: list[StoreError],
) -> ConnectorResult:
    """One connector, start to end; what goes wrong is its result, never an exception."""
    try:
        source, mapper = open_source(
            name,
            config.connectors[name],
            store=store,
            aliases=config.people.aliases,
            base_dir=config.config_path.parent,
            policy=RetryPolicy().for_run(halt, _on_wait(observer, name)),
        )
    except (UnsupportedConnector, ConnectorError) as error:
        return ConnectorResult(name, error=str(error))
    except StoreError as error:
        return _store_failed(name, error, halt, store_errors)
    try:
        return sync_source(store, run_id, source, mapper, full=full, stop=halt, observer=observer)
    except StoreError as error:
        return _store_failed(name, error, halt, store_errors)
    except Exception as error:  # a bug: say so with the traceback, let the others finish
        log.exception("%s: internal error", name)
        return ConnectorResult(name, error=f"internal error (a bug): {type(error).__name__}")
    finally:
        source.close()


def _on_wait(observer: SyncObserver | None, connector: str) -> OnWait | None:
    """The observer's optional ``waiting(connector, seconds, reason)`` as the connector's
    ``on_wait``: every wait of a second or more for a quota or a retry is told to it (the
    progress display's "waiting 58 s: Asana quota"). The run's stop ends any such wait."""
    waiting = getattr(observer, "waiting", None)
    if waiting is None:
        return None
    return lambda seconds, reason: waiting(connector, seconds, reason)


def _store_failed(
    name: str, error: StoreError, halt: _Halt, store_errors: list[StoreError]
) -> ConnectorResult:
    store_errors.append(error)
    halt.store_failed.set()  # every other connector stops after its page in flight
    return ConnectorResult(name, error=str(error))


def _finish_if_possible(store: Store, run_id: str, status: RunOutcome, error: str) -> None:
    """Close the ledger row; if the store cannot take even that, the next run marks it
    interrupted (``Ledger.mark_interrupted``)."""
    try:
        store.ledger.finish_run(run_id, status, error)
    except Exception:  # noqa: BLE001 - the store is what failed; its error is already raised
        log.debug("could not record the end of run %s", run_id, exc_info=True)
