"""What ``pmosync sync`` shows while and after it runs.

On a terminal: one live bar per connector/stream with its records and requests, then a summary
table. Elsewhere (cron, CI, a pipe): one log line per finished stream, then the same table, so
a log file says what happened without control characters. With ``--log-format json`` each
stream's line carries its figures as fields and the run ends with one summary object.

A bar's records are the summary row's new + updated + unchanged + quarantined, and a finished
bar shows exactly its row's figures (requests that no page carried included). A wait of a
second or more for a quota or a retry shows on the connector's running bars ("waiting 58 s:
Asana quota"), or as a log line, until the next page arrives.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from pmosync.cli.logs import FIELDS

if TYPE_CHECKING:
    from pmosync.store.writer import WriteCounts
    from pmosync.sync.engine import StreamResult, SyncObserver
    from pmosync.sync.run import SyncRun

log = logging.getLogger("pmosync.sync")

STOPPING = "stopping after the page in flight; Ctrl-C again to force"


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

    def waiting(self, connector: str, seconds: float, reason: str) -> None:
        fields = {"event": "waiting", "connector": connector, "seconds": round(seconds, 1),
                  "reason": reason}  # fmt: skip
        log.info("%s: %s", connector, waiting_text(seconds, reason), extra={FIELDS: fields})

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


def waiting_text(seconds: float, reason: str) -> str:
    """``waiting 58 s: Asana quota``."""
    return f"waiting {seconds:.0f} s: {reason}"


def _figures(counts: WriteCounts) -> tuple[int, int]:
    """(records, requests) of a bar: the summary row's records read and requests made."""
    records = counts.inserted + counts.updated + counts.unchanged + counts.quarantined
    return records, counts.requests


class _StatusColumn(ProgressColumn):
    """A bar's status; while a stop is requested, every unfinished bar says so."""

    def __init__(self, bars: LiveProgress) -> None:
        super().__init__()
        self.bars = bars

    def render(self, task: Task) -> Text:
        if self.bars.stop_requested.is_set() and not task.finished:
            return Text(STOPPING)
        return Text(str(task.fields.get("status", "")))


class LiveProgress:
    """Rich bars on the terminal's stderr; thread-safe like ``rich.progress.Progress``."""

    def __init__(self, console: Console | None = None) -> None:
        self.progress = Progress(
            TextColumn("{task.description:<34}"),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[records]:>8} records"),
            TextColumn("{task.fields[requests]:>6} requests"),
            TimeElapsedColumn(),
            _StatusColumn(self),
            console=console or Console(stderr=True),
            transient=False,
        )
        self._tasks: dict[tuple[str, str], TaskID] = {}
        self._running: set[tuple[str, str]] = set()
        self.stop_requested = threading.Event()
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
            self._running.add((connector, stream))

    def page_written(self, connector: str, stream: str, records: int, counts: WriteCounts) -> None:
        key = (connector, stream)
        added = _figures(counts)
        with self._lock:
            seen = self._seen[key]
            seen[0] += added[0]
            seen[1] += added[1]
            self.progress.update(self._tasks[key], records=seen[0], requests=seen[1], status="")

    def waiting(self, connector: str, seconds: float, reason: str) -> None:
        with self._lock:
            for key in self._running:
                if key[0] == connector:
                    self.progress.update(self._tasks[key], status=waiting_text(seconds, reason))
            self.progress.refresh()

    def stopping(self) -> None:
        """Say on every running bar that the run stops after the pages in flight. Called from
        a signal handler, so it only raises a flag (no lock a worker or the interrupted thread
        may hold): the status column shows it at the display's next refresh."""
        self.stop_requested.set()

    def stream_finished(self, connector: str, result: StreamResult) -> None:
        key = (connector, result.name)
        records, requests = _figures(result.counts)
        with self._lock:
            self._running.discard(key)
            self._seen[key] = [records, requests]
            self.progress.update(self._tasks[key], total=1, completed=1, status=result.status,
                                 records=records, requests=requests)  # fmt: skip

    def figures(self) -> dict[tuple[str, str], tuple[int, int, str]]:  # for tests and summaries
        """(records, requests, status) each bar shows now, by (connector, stream)."""
        with self._lock:
            return {
                key: (task.fields["records"], task.fields["requests"], task.fields["status"])
                for key, task_id in self._tasks.items()
                for task in self.progress.tasks
                if task.id == task_id
            }


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
