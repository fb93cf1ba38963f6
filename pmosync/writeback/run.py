"""One write-back run: judge, settle what a killed run left pending, plan, check, write.

``plan`` mode stops after the check and writes nothing (nor the ledger); ``apply`` writes
each change with its ledger row committed ``pending`` first, so a kill at any instant leaves
either nothing sent, or a pending row the next run confirms against the tool (by the write's
mark, or the owned value) before it would send again. A write whose outcome is unknown (the
connection dropped, the retries ran out) stays pending the same way. A stale etag is re-read
and the item re-judged, never overwritten blind; a locked or missing field is one line and
the rest goes on; one connector failing leaves the others to write.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from pmosync.config import PmosyncConfig
from pmosync.config.connectors import AsanaConnector, PlannerConnector
from pmosync.config.writeback import AsanaWriteback
from pmosync.connectors.errors import AuthenticationError, ConnectorError, FatalError
from pmosync.connectors.paging import StopRequested, StopSignal
from pmosync.reports.readiness import check_readiness
from pmosync.store import Store, StoreError
from pmosync.store.write_ledger import CONFLICT as CONFLICT_STATE
from pmosync.store.write_ledger import FAILED, PENDING, WRITTEN, WriteEntry
from pmosync.writeback.changes import (
    ADOPT,
    CONFLICT,
    SKIP,
    WRITE,
    Change,
    Refused,
    Stale,
    Target,
)
from pmosync.writeback.plan import check, judge, plan_asana, plan_planner, skipped
from pmosync.writeback.verdicts import Judged, report_link
from pmosync.writeback.verdicts import judge as judge_projects

log = logging.getLogger(__name__)

WRITEBACK_KIND = "writeback"
"""The ledger's run kind (and job name) of a write-back run."""

OpenTarget = Callable[[PmosyncConfig, str, "StopSignal | None"], Target]


@dataclass
class ConnectorResult:
    """What write-back planned (and, applying, did) for one connector."""

    connector: str
    changes: list[Change] = field(default_factory=list)
    held_back: int = 0
    requests: int = 0
    error: str | None = None

    def count(self, action: str) -> int:
        return sum(1 for change in self.changes if change.action == action)

    @property
    def failed(self) -> list[Change]:
        """Writes the tool refused or whose outcome is unknown (``note`` says which)."""
        return [c for c in self.changes if c.action == SKIP and c.note.startswith("not written")]


@dataclass
class WritebackOutcome:
    run_id: str | None
    applied: bool
    status: str  # succeeded | failed | skipped | planned
    results: list[ConnectorResult] = field(default_factory=list)
    error: str | None = None


def writeback_connectors(config: PmosyncConfig, only: Sequence[str] = ()) -> list[str]:
    """The connectors with a ``writeback:`` block (of ``only``, when given), in config order."""
    return [
        name
        for name, connector in config.connectors.items()
        if getattr(connector, "writeback", None) is not None and (not only or name in only)
    ]


def open_target(config: PmosyncConfig, name: str, stop: StopSignal | None) -> Target:
    """The writer of connector ``name``, over its own SDK, quota and retry policy."""
    connector = config.connectors[name]
    if isinstance(connector, AsanaConnector):
        from pmosync.writeback.asana import AsanaTarget

        return AsanaTarget(name, connector, stop=stop)
    if isinstance(connector, PlannerConnector):
        from pmosync.writeback.planner import PlannerTarget

        return PlannerTarget(config, name, connector, stop=stop)
    raise ValueError(f"connector {name!r} has no write-back")  # the config model forbids it


def run_writeback(
    config: PmosyncConfig,
    store: Store,
    *,
    apply: bool,
    connectors: Sequence[str] = (),
    today: date | None = None,
    stop: StopSignal | None = None,
    opener: OpenTarget = open_target,
) -> WritebackOutcome:
    """Plan (``apply`` False) or apply the write-back of every connector that has one (of
    ``connectors``), recorded as a ledger run when applying. Reports' readiness rules apply:
    while a sync of what the report reads is running, nothing is judged or written."""
    names = writeback_connectors(config, connectors)
    if not names:
        return WritebackOutcome(None, apply, "skipped", error="no connector has a writeback block")
    today = today or config.organisation.today()
    run_id = store.ledger.start_run(WRITEBACK_KIND) if apply else None
    outcome = WritebackOutcome(run_id, apply, "planned" if not apply else "succeeded")
    judged: dict[str, Judged] = {}
    try:
        for name in names:
            spec = config.connectors[name].writeback  # type: ignore[union-attr]
            waiting = check_readiness(config, store, spec.report).waiting
            if waiting is not None:
                outcome.results.append(ConnectorResult(name, error=f"waiting: {waiting}"))
                continue
            if spec.report not in judged:
                judged[spec.report] = judge_projects(config, store, spec.report, today)
            result = _connector(
                config, store, name, judged[spec.report], apply, run_id, today, stop, opener
            )
            outcome.results.append(result)
    except StopRequested:
        outcome.status, outcome.error = "failed", "stopped before every write was made"
    except StoreError as error:
        outcome.status, outcome.error = "failed", str(error)
    except Exception as error:  # a bug: the run says so, the traceback goes to the caller
        if run_id is not None:
            store.ledger.finish_run(run_id, "failed", f"internal error: {error}")
        raise
    errors = [f"{r.connector}: {r.error}" for r in outcome.results if r.error]
    if errors and outcome.status != "failed":
        outcome.status = "failed" if apply else "planned"
        outcome.error = "; ".join(errors)
    elif errors:
        outcome.error = "; ".join([outcome.error or "", *errors]).strip("; ")
    if run_id is not None:
        store.ledger.finish_run(run_id, outcome.status, outcome.error)
    return outcome


def _connector(
    config: PmosyncConfig,
    store: Store,
    name: str,
    judged: Judged,
    apply: bool,
    run_id: str | None,
    today: date,
    stop: StopSignal | None,
    opener: OpenTarget,
) -> ConnectorResult:
    spec = config.connectors[name].writeback  # type: ignore[union-attr]
    result = ConnectorResult(name)
    stream = store.ledger.start_stream(run_id, name, WRITEBACK_KIND) if run_id else None
    try:
        target = opener(config, name, stop)
    except ConnectorError as error:
        result.error = str(error)
        if stream is not None:
            store.ledger.finish_stream(stream, "failed", result.error)
        return result
    try:
        entries = _settle_pending(store, target, store.writes.entries(name), apply, run_id)
        verdicts, nudges = judged.of(name)
        link = report_link(config, store, spec.report, spec.link)
        if isinstance(spec, AsanaWriteback):
            plan = plan_asana(
                name, spec, verdicts, nudges, entries, today=today, as_of=judged.as_of, link=link
            )
        else:
            plan = plan_planner(name, spec, verdicts, entries, link=link)
        result.held_back = plan.held_back
        to_check = [change for change in plan.changes if change.action == WRITE]
        current = target.current(to_check) if to_check else {}
        checked = check(plan.changes, current, entries)
        if not apply:
            result.changes = checked
        else:  # what was done so far is kept when a connector-wide failure ends the loop
            for index, change in enumerate(checked):
                try:
                    result.changes.append(
                        _apply(store, target, change, entries.get(change.key), run_id)
                    )
                except ConnectorError:
                    result.changes += checked[index:]
                    raise
    except ConnectorError as error:
        result.error = str(error)
    finally:
        result.requests = target.requests
        target.close()
        if stream is not None:
            status = "failed" if result.error else "succeeded"
            store.ledger.finish_stream(stream, status, result.error, requests=result.requests)
    return result


def _settle_pending(
    store: Store, target: Target, entries: dict[str, WriteEntry], apply: bool, run_id: str | None
) -> dict[str, WriteEntry]:
    """Confirm the writes earlier runs left pending: landed ones become written, the others
    are re-planned (a first write is forgotten, a standing value keeps what was last written).
    Planning only pretends, so the ledger is as it was."""
    settled = dict(entries)
    for key, entry in entries.items():
        if entry.state != PENDING:
            continue
        landed = target.confirm(entry)
        if landed is not None:
            log.info(
                "%s: %s of %s was written by an earlier run; recorded",
                entry.connector,
                entry.field,
                entry.item_id,
            )
            if apply:
                store.writes.written(
                    key,
                    ref=landed.ref,
                    etag=landed.etag,
                    source_modified=landed.source_modified,
                    run_id=run_id,
                )
            settled[key] = replace(
                entry,
                state=WRITTEN,
                value=entry.intended,
                value_hash=entry.intended_hash,
                intended=None,
                intended_hash=None,
                ref=landed.ref or entry.ref,
                etag=landed.etag or entry.etag,
            )
        elif entry.value is None:
            if apply:
                store.writes.forget(key)
            settled.pop(key)
        else:
            why = "an earlier run's write did not reach the tool"
            if apply:
                store.writes.unsettled(key, FAILED, why, run_id)
            settled[key] = replace(
                entry, state=FAILED, intended=None, intended_hash=None, detail=why
            )
    return settled


def _apply(
    store: Store, target: Target, change: Change, entry: WriteEntry | None, run_id: str | None
) -> Change:
    """Make one planned change and record it; returns it as it ended."""
    writes = store.writes
    if change.action == ADOPT:
        writes.adopt(change.item, change.value, change.value_hash, ref=change.ref,
                     etag=change.etag, run_id=run_id)  # fmt: skip
        return change
    if change.action == CONFLICT:
        return _conflict(store, change, run_id, known=entry is not None)
    if change.action != WRITE:
        return change
    writes.intend(change.item, change.value, change.value_hash, run_id)
    for attempt in (1, 2):
        try:
            written = target.write(change)
        except Stale as stale:
            now = stale.current
            change = judge(
                change.but(
                    current=now.value, etag=now.etag or change.etag, ref=now.ref or change.ref
                ),
                now.value,
                entry,
            )
            if change.action == ADOPT:
                writes.written(change.key, ref=change.ref, etag=change.etag, run_id=run_id)
                return change
            if change.action == CONFLICT:
                return _conflict(store, change, run_id)
            if attempt == 2:
                why = f"not written: the item kept changing while it was written ({stale})"
                writes.unsettled(change.key, FAILED, why, run_id)
                return skipped(change, why)
            continue
        except AuthenticationError:
            writes.unsettled(
                change.key, FAILED, "not written: the credentials were refused", run_id
            )
            raise
        except (Refused, FatalError) as error:
            # this item only: a locked or missing field, a 403 on it, 404 gone, 400 on its value
            why = f"not written: {error}"
            writes.unsettled(change.key, FAILED, why, run_id)
            log.warning("%s: %s of %r %s", change.connector, change.field, change.item_name, why)
            return skipped(change, why)
        except ConnectorError:
            # the outcome is unknown: the row stays pending, and the next run asks the tool
            raise
        writes.written(
            change.key,
            ref=written.ref,
            etag=written.etag,
            source_modified=written.source_modified,
            run_id=run_id,
        )
        return change.but(ref=written.ref or change.ref, etag=written.etag or change.etag)
    raise AssertionError("unreachable")


def _conflict(store: Store, change: Change, run_id: str | None, *, known: bool = True) -> Change:
    """Record a human's value left alone (when the ledger knows the item) and say so once."""
    if known:
        store.writes.unsettled(change.key, CONFLICT_STATE, change.note, run_id)
        store.writes.refresh_etag(change.key, change.etag, change.ref)
    log.warning("%s: %s of %r %s", change.connector, change.field, change.item_name, change.note)
    return change
