"""Whether a report may run now: the syncs of the connectors it reads have finished.

A report computed while a connector's first sync is half-way shows part of the organisation
("Projects 0"), and once delivered it stands for that date: the delivery record suppresses the
true report as "already delivered". So a report runs only on data whose syncs have finished:

- a connector it reads has never completed a sync: the report waits (it is not run);
- a sync is running now: the report waits for it to end (the store is half-way through it);
- the newest complete sync of a connector it reads started more than ``stale_after`` ago: the
  report runs and says how old its data is, in a headline figure every format shows.

The ledger is the only witness (``Ledger.last_complete_syncs``, ``Ledger.running_syncs``), so
``pmosync report``, ``pmosync run`` and the daemon, in any process, apply the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from pmosync.config import PmosyncConfig
from pmosync.reports.document import Figure, ReportDocument
from pmosync.store import Store

STALE_AFTER = timedelta(hours=24)
"""Data older than this (since its newest complete sync started) is flagged in the report."""

DATA_AGE_FIGURE = "data_age"


@dataclass(frozen=True)
class Readiness:
    """What the ledger says about the data a report would read."""

    waiting: str | None
    """Why the report must not run now (a sentence), or None when it may."""
    synced_at: dict[str, datetime | None]
    """Each connector the report reads: when its newest complete sync started (None: never)."""
    sync_running: bool = False

    def oldest(self) -> tuple[str, datetime | None] | None:
        """The connector whose data is oldest (never synced first), or None with no connector."""
        if not self.synced_at:
            return None
        never = datetime.min.replace(tzinfo=UTC)
        return min(self.synced_at.items(), key=lambda item: item[1] or never)


def report_connectors(config: PmosyncConfig, name: str) -> list[str]:
    """The configured connectors report ``name`` reads: its ``filters.sources``, else all."""
    sources = config.reports[name].filters.sources
    return [c for c in config.connectors if not sources or c in sources]


def check_readiness(config: PmosyncConfig, store: Store, name: str) -> Readiness:
    """Read the ledger for report ``name``. Runs left ``running`` by a dead process are
    closed first, so a killed sync never holds a report back."""
    store.ledger.close_dead_runs()
    connectors = report_connectors(config, name)
    if not connectors:  # a store filled by other means (an import, a test): nothing to wait for
        return Readiness(None, {})
    complete = store.ledger.last_complete_syncs()
    synced_at = {connector: complete.get(connector) for connector in connectors}
    never = [connector for connector, at in synced_at.items() if at is None]
    running = store.ledger.running_syncs(connectors)
    if running:
        started = _utc(running[0]["started_at"]).strftime("%Y-%m-%d %H:%M:%S UTC")
        why = f"a sync is running (started {started}); the store is half-way through it"
        return Readiness(why, synced_at, sync_running=True)
    if never:
        names = ", ".join(never)
        why = f"no sync of {names} has completed yet; the store holds part of its data at most"
        return Readiness(why, synced_at)
    return Readiness(None, synced_at)


def with_data_age(
    document: ReportDocument,
    readiness: Readiness,
    now: datetime,
    stale_after: timedelta = STALE_AFTER,
) -> ReportDocument:
    """``document`` with a "Data synced" headline figure when its data is older than
    ``stale_after``, or was never completely synced or read during a sync (a run forced past
    the rule); unchanged otherwise."""
    oldest = readiness.oldest()
    if oldest is None:
        return document
    connector, at = oldest
    if at is None:
        text, rag = f"incomplete: no sync of {connector} has completed", "red"
    elif readiness.sync_running:
        text, rag = "read during a sync: some records may be older than others", "amber"
    elif now - _utc(at) > stale_after:
        at = _utc(at)
        text, rag = f"{_age(now - at)} ago ({connector}, {at:%Y-%m-%d %H:%M} UTC)", "amber"
    else:
        return document
    figure = Figure(DATA_AGE_FIGURE, "Data synced", text, type="text", rag=rag)
    return replace(document, figures=(figure, *document.figures))


def _age(age: timedelta) -> str:
    hours = int(age.total_seconds() // 3600)
    return f"{hours // 24} days {hours % 24} h" if hours >= 48 else f"{hours} h"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
