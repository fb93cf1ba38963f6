"""What ``pmosync sync`` shows while and after it runs.

On a terminal: one live bar per connector/stream with its records and requests, then a summary
table. Elsewhere (cron, CI, a pipe): one log line per finished stream, then the same table, so
a log file says what happened without control characters. With ``--log-format json`` each
stream's line carries its figures as fields and the run ends with one summary object.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from pmosync.cli.logs import FIELDS

if TYPE_CHECKING:
    from pmosync.store.writer import WriteCounts
    from pmosync.sync.engine import StreamResult, SyncObserver
    from pmosync.sync.run import SyncRun

log = logging.getLogger("pmosync.sync")


def stream_line(connector: str, result: StreamResult) -> str:
    """``connector/stream: status, N new, ...`` — one finished stream in words."""
    counts = result.counts
    line = (
        f"{connector}/{result.name}: {result.status}, {counts.inserted} new, "
        f"{counts.updated} updated, {counts.unchanged} unchanged, {counts.deleted} deleted, "
        f"{counts.quarantined} quarantined, {counts.requests} requests"
    )
    return line + (f" ({result.error})" if result.error else "")


class LogObserver:
    """A log line per finished stream (text or JSON, as logging is configured)."""

    def stream_started(self, connector: str, stream: str) -> None:
        log.debug("%s/%s: started", connector, stream)

    def page_written(self, connector: str, stream: str, records: int, counts: WriteCounts) -> None:
        pass

    def stream_finished(self, connector: str, result: StreamResult) -> None:
        fields = {
            "event": "stream_finished",
            "connector": connector,
            "stream": result.name,
            "status": result.status,
            **vars(result.counts),
            "error": result.error,
        }
        log.info("%s", stream_line(connector, result), extra={FIELDS: fields})


class LiveProgress:
    """Rich bars on the terminal's stderr; thread-safe like ``rich.progress.Progress``."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("{task.description:<34}"),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[records]:>8} records"),
            TextColumn("{task.fields[requests]:>6} requests"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[status]}"),
            console=Console(stderr=True),
            transient=False,
        )
        self._tasks: dict[tuple[str, str], TaskID] = {}
        self._seen: dict[tuple[str, str], list[int]] = {}
        """(records, requests) so far per stream."""
        self._lock = threading.Lock()

    def __enter__(self) -> LiveProgress:
        self.progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.progress.stop()

    def stream_started(self, connector: str, stream: str) -> None:
        with self._lock:
            self._tasks[(connector, stream)] = self.progress.add_task(
                f"{connector}/{stream}", total=None, records=0, requests=0, status=""
            )
            self._seen[(connector, stream)] = [0, 0]

    def page_written(self, connector: str, stream: str, records: int, counts: WriteCounts) -> None:
        key = (connector, stream)
        with self._lock:
            seen = self._seen[key]
            seen[0] += records
            seen[1] += counts.requests
            self.progress.update(self._tasks[key], records=seen[0], requests=seen[1])

    def stream_finished(self, connector: str, result: StreamResult) -> None:
        task = self._tasks[(connector, result.name)]
        self.progress.update(task, total=1, completed=1, status=result.status)


@contextmanager
def sync_observer(live: bool) -> Iterator[SyncObserver]:
    """Live bars while the block runs (a terminal), else a log line per finished stream."""
    if not live:
        yield LogObserver()
        return
    with LiveProgress() as progress:
        yield progress


def summary_table(run: SyncRun, seconds: float) -> Table:
    """Every stream of every connector, with a totals row."""
    table = Table(title=f"sync {run.status} in {seconds:.1f} s")
    table.add_column("connector / stream")
    table.add_column("status")
    for name in ("new", "updated", "unchanged", "deleted", "quarantined", "requests"):
        table.add_column(name, justify="right")
    table.add_column("error", overflow="fold")
    totals = dict.fromkeys(
        ("inserted", "updated", "unchanged", "deleted", "quarantined", "requests"), 0
    )
    for connector in run.connectors:
        if not connector.streams:
            table.add_row(connector.name, "failed", *[""] * 6, connector.error or "")
        for stream in connector.streams:
            counts = vars(stream.counts)
            for key in totals:
                totals[key] += counts[key]
            table.add_row(
                f"{connector.name}/{stream.name}",
                stream.status,
                *(str(counts[key]) for key in totals),
                stream.error or "",
            )
    table.add_section()
    table.add_row("total", "", *(str(value) for value in totals.values()), "")
    return table


def report(run: SyncRun, started: float, *, json_logs: bool) -> None:
    """The end of a sync: warnings and failures on stderr, the table (or a JSON summary)."""
    for connector in run.connectors:
        for warning in connector.warnings:
            log.warning(
                "%s: warning: %s",
                connector.name,
                warning,
                extra={FIELDS: {"event": "warning", "connector": connector.name}},
            )
        if connector.error:
            log.error(
                "%s: failed: %s",
                connector.name,
                connector.error,
                extra={FIELDS: {"event": "connector_failed", "connector": connector.name}},
            )
    seconds = time.monotonic() - started
    if json_logs:
        fields = {
            "event": "run_finished",
            "run_id": run.run_id,
            "status": run.status,
            "seconds": round(seconds, 3),
            "failed": [c.name for c in run.connectors if c.failed],
        }
        log.info("sync %s in %.1f s", run.status, seconds, extra={FIELDS: fields})
        return
    console = Console()
    if not console.is_terminal:
        console.width = 160
    console.print(summary_table(run, seconds))
