"""Commands that sync: ``sync``, and ``run`` (a sync, then the reports that are due, each
followed by the write-back of the connectors whose ``writeback.report`` it is)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pmosync.cli.app import (
    DEFAULT_CONFIG,
    EXIT_FAILED,
    EXIT_USAGE,
    ConfigOption,
    LogFormatOption,
    StoreOption,
    app,
    fail,
    load_config_or_exit,
    open_config_store,
    require_variables,
)
from pmosync.cli.logs import LogFormat

if TYPE_CHECKING:
    from datetime import date

    from pmosync.config import PmosyncConfig
    from pmosync.store import Store
    from pmosync.sync.run import SyncRun


FullOption = Annotated[
    bool, typer.Option("--full", help="Re-read everything instead of what changed.")
]


@app.command()
def sync(
    connectors: Annotated[
        list[str] | None, typer.Argument(help="Connectors to sync (default: all).")
    ] = None,
    config: ConfigOption = DEFAULT_CONFIG,
    store: StoreOption = None,
    full: FullOption = False,
    log_format: LogFormatOption = LogFormat.text,
) -> None:
    """Sync the configured connectors into the store, side by side, and say what changed.

    With `engine: temporal` the syncs run on the workers, each under its connector's workflow
    id: a connector already syncing is waited for, not synced twice.

    Exits 1 when any connector failed (the others still ran) or the run was stopped."""
    loaded = load_config_or_exit(config, defer_unset=True)
    if _synced_and_failed(loaded, config, store, connectors or (), full, log_format):
        raise typer.Exit(EXIT_FAILED)


@app.command("run")
def run_once(
    config: ConfigOption = DEFAULT_CONFIG,
    store: StoreOption = None,
    full: FullOption = False,
    log_format: LogFormatOption = LogFormat.text,
) -> None:
    """One sync, then every report whose schedule came due since it last ran: for cron,
    systemd timers and Kubernetes CronJobs instead of the daemon. It says which reports were
    due and when each scheduled report comes due next.

    A report that succeeds is followed by the write-back of the connectors whose
    `writeback.report` it is (docs/writeback.md). Reports run even when a connector failed
    (they say how fresh their data is); exits 1 when the sync, a report or a write failed.
    With `engine: temporal` the sync runs on the workers and the reports (and their
    write-back) stay with the cluster's schedules."""
    from datetime import UTC, datetime

    from pmosync.cli.schedules import next_runs, when
    from pmosync.config.unset import unset_problems
    from pmosync.orchestration.jobs import due_reports
    from pmosync.reports.job import run_report
    from pmosync.store import StoreError

    loaded = load_config_or_exit(config, defer_unset=True)
    failed = _synced_and_failed(loaded, config, store, (), full, log_format)
    if loaded.engine == "temporal":  # the cluster's report schedules run them, once per tick
        typer.echo("reports: scheduled on Temporal (pmosync schedules list)")
        if failed:
            raise typer.Exit(EXIT_FAILED)
        return
    opened = open_config_store(loaded, store, "create")
    now = datetime.now(UTC)
    try:
        due = due_reports(loaded, opened, now)
        scheduled = any(report.schedule for report in loaded.reports.values())
        if due:
            typer.echo(f"reports due: {', '.join(due)}")
        elif scheduled:
            typer.echo("no report was due")
        for name in due:
            unset = unset_problems(loaded, reports=[name])
            if unset:  # this report's deliveries cannot sign in; the others still run
                why = "its deliveries need unset variables"
                typer.echo(f"report {name}: not run: {why}", err=True)
                for line in unset:
                    typer.echo(f"  {line}", err=True)
                failed = True
                continue
            outcome = run_report(loaded, opened, name)
            typer.echo(f"report {name}: {outcome.status}" + (
                f" ({outcome.error})" if outcome.error else ""))  # fmt: skip
            failed = failed or outcome.status == "failed"
            failed = _write_back(loaded, opened, name, outcome.status, outcome.as_of) or failed
    except StoreError as error:
        fail(str(error), EXIT_FAILED)
    finally:
        opened.close()
    for name, tick in next_runs(loaded, now).items():
        typer.echo(f"next run: {name} at {when(tick)}")
    if failed:
        raise typer.Exit(EXIT_FAILED)


def _write_back(
    config: PmosyncConfig, store: Store, report: str, status: str, as_of: date | None
) -> bool:
    """The write-back of the connectors following ``report``, after a run of it that
    succeeded (``orchestration.writeback_job``); its lines; whether it failed."""
    from pmosync.cli.writeback import counts_line, failed, failure_lines, quiet_run_log
    from pmosync.orchestration.writeback_job import following, writeback_after_report

    if status != "succeeded" or not following(config, report):
        return False
    quiet_run_log()
    outcome = writeback_after_report(config, store, report, status, as_of=as_of)
    if outcome is None:  # pragma: no cover - following() said a connector follows it
        return False
    run = f" (run {outcome.run_id[:8]})" if outcome.run_id else ""
    typer.echo(f"write-back after report {report}: {outcome.status}{run}")
    for result in outcome.results:
        if not result.error:
            typer.echo(f"  {counts_line(result, applied=True)}")
    for line in failure_lines(outcome):
        typer.echo(f"  {line}", err=True)
    return failed(outcome)


def _synced_and_failed(
    loaded: PmosyncConfig,
    config: Path,
    store_url: str | None,
    connectors: Sequence[str],
    full: bool,
    log_format: LogFormat,
) -> bool:
    """Sync here, or through the Temporal cluster with ``engine: temporal``; whether it failed."""
    if loaded.engine != "temporal":
        return _sync(loaded, config, store_url, connectors, full, log_format).failed
    from pmosync.cli.logs import configure_logging
    from pmosync.cli.temporal import sync_through_temporal

    if store_url is not None:
        fail("--store: with engine: temporal the workers sync into the config's store; "
             "leave --store out", EXIT_USAGE)  # fmt: skip
    names = _known(loaded, config, connectors) or list(loaded.connectors)
    configure_logging(log_format)
    return sync_through_temporal(loaded, config, names, full)


def _known(loaded: PmosyncConfig, config: Path, connectors: Sequence[str]) -> list[str]:
    """``connectors``, each checked to be configured (exit 2 naming one that is not)."""
    unknown = [name for name in connectors if name not in loaded.connectors]
    if unknown:
        from pmosync.config.errors import did_you_mean

        known = ", ".join(loaded.connectors) or "none"
        hint = did_you_mean(unknown[0], loaded.connectors) if len(unknown) == 1 else ""
        fail(f"{config}: no connector named {', '.join(unknown)} (configured: {known}){hint}",
             EXIT_USAGE)  # fmt: skip
    return list(connectors)


def _sync(
    loaded: PmosyncConfig,
    config: Path,
    store_url: str | None,
    connectors: Sequence[str],
    full: bool,
    log_format: LogFormat,
) -> SyncRun:
    """The sync both commands run: checked names, logging, progress, signals, the summary."""
    import time

    from pmosync.cli.logs import configure_logging
    from pmosync.cli.progress import report, sync_observer
    from pmosync.store import StoreError
    from pmosync.sync.run import run_sync

    _known(loaded, config, connectors)
    require_variables(loaded, connectors or list(loaded.connectors))
    live = log_format == "text" and sys.stderr.isatty()
    configure_logging(log_format, quiet_info=live)
    store = open_config_store(loaded, store_url, "create")
    started = time.monotonic()
    try:
        with sync_observer(live) as observer, stop_on_signals(observer) as stop:
            run = run_sync(loaded, store, connectors, full=full, stop=stop, observer=observer)
    except StoreError as error:
        fail(str(error), EXIT_FAILED)
    finally:
        store.close()
    report(run, started, json_logs=log_format == "json")
    return run


@contextmanager
def stop_on_signals(observer: object = None) -> Iterator[threading.Event]:
    """SIGTERM (a service manager, a CronJob's deadline) or a first Ctrl-C asks the run to
    stop after the pages in flight commit, at once said on stderr and on the progress bars
    (``observer.stopping()``); a second Ctrl-C stops at once."""
    stop = threading.Event()
    stopping = getattr(observer, "stopping", None)

    def request_stop(signum: int, _frame: object) -> None:
        if signum == signal.SIGINT and stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        logging.getLogger("pmosync.sync").warning(
            "stopping after the pages in flight (%s); Ctrl-C again to stop at once",
            signal.Signals(signum).name,
        )
        if stopping is not None:
            stopping()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
