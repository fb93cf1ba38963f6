"""One sync run over the configured connectors, recorded in the run ledger."""

from __future__ import annotations

from collections.abc import Sequence

from pmosync.config import PmosyncConfig
from pmosync.store import Store
from pmosync.sync.engine import ConnectorResult, sync_source
from pmosync.sync.sources import UnsupportedConnector, open_source, sync_order


def run_sync(
    config: PmosyncConfig,
    store: Store,
    names: Sequence[str] = (),
    *,
    full: bool = False,
) -> list[ConnectorResult]:
    """Sync the named connectors (all when none are named), one after the other.

    Runs left ``running`` by a process that died are marked interrupted first, so the ledger
    never shows a ghost run.
    """
    store.ledger.mark_interrupted()
    run_id = store.ledger.start_run("sync")
    results: list[ConnectorResult] = []
    try:
        for name in sync_order(config.connectors, names or list(config.connectors)):
            try:
                source, mapper = open_source(
                    name,
                    config.connectors[name],
                    store=store,
                    aliases=config.people.aliases,
                    base_dir=config.config_path.parent,
                )
            except UnsupportedConnector as error:
                results.append(ConnectorResult(name, error=str(error)))
                continue
            try:
                results.append(sync_source(store, run_id, source, mapper, full=full))
            finally:
                source.close()
    except BaseException as error:
        store.ledger.finish_run(run_id, "failed", f"{type(error).__name__}: {error}")
        raise
    failed = [r for r in results if r.failed]
    summary = "; ".join(f"{r.name}: {r.error or 'a stream failed'}" for r in failed) or None
    store.ledger.finish_run(run_id, "failed" if failed else "succeeded", summary)
    return results
