"""Commands that read the run ledger and the quarantine: ``status``, ``runs``, ``quarantine``.

Every read opens the store with ``schema="require"``: looking at a store must never create
one. ``--format json`` prints the same facts for scripts, datetimes as ISO 8601 UTC.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from pmosync.cli.app import (
    DEFAULT_CONFIG,
    EXIT_FAILED,
    ConfigOption,
    StoreOption,
    TableFormatOption,
    app,
    fail,
    load_config_or_exit,
    open_config_store,
    open_store,
)

if TYPE_CHECKING:
    from rich.table import Table

    from pmosync.store import Store

quarantine_app = typer.Typer(
    help="Records that could not be mapped: list them, show one, retry them after a fix.",
    no_args_is_help=True,
)
app.add_typer(quarantine_app, name="quarantine")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "-"


def _seconds(started: datetime, ended: datetime | None) -> float | None:
    return round((ended - started).total_seconds(), 3) if ended is not None else None


def _took(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def _records(row: dict[str, Any]) -> str:
    return f"+{row['inserted']} ~{row['updated']} -{row['deleted']}"


def _first_line(text: str | None) -> str:
    return text.strip().splitlines()[0] if text and text.strip() else ""


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def print_table(table: Table, notes: Sequence[str] = ()) -> None:
    from rich.console import Console

    console = Console()
    if not console.is_terminal:  # a log file or a pipe: rich would squeeze it into 80 columns
        console.width = 160
    console.print(table)
    for line in notes:
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def _ledger_table(title: str, caption: str, leading: tuple[str, ...]) -> Table:
    """The columns ``status`` and ``runs`` share, after their own ``leading`` ones."""
    from rich.table import Table

    table = Table(title=title, caption=caption)
    for column in (*leading, "started (UTC)", "took", "status"):
        table.add_column(column)
    for column in ("records", "quarantined", "requests"):
        table.add_column(column, justify="right")
    return table


def _ledger_cells(row: dict[str, Any]) -> tuple[str, ...]:
    """A ledger row's cells under ``_ledger_table``'s shared columns."""
    return (
        _when(row["started_at"]),
        _took(_seconds(row["started_at"], row["ended_at"])),
        row["status"],
        _records(row),
        str(row["quarantined"]),
        str(row["requests"]),
    )


# -- status ---------------------------------------------------------------------------------


@app.command()
def status(
    config: ConfigOption = DEFAULT_CONFIG,
    store: StoreOption = None,
    format: TableFormatOption = "table",
) -> None:
    """Show the last run of every connector and stream: when, how long, what it did."""

    with open_store(config, store, "require") as opened:
        latest = opened.ledger.latest_streams()
    if format == "json":
        print_json([_stream_json(row) for row in latest])
        return
    if not latest:
        typer.echo(f"store {opened.display_url}: no runs yet")
        return
    table = _ledger_table(
        f"Last runs in {opened.display_url}",
        "records: +new ~changed -deleted (unchanged records are not rewritten)",
        ("connector", "stream"),
    )
    errors = []
    for row in latest:
        table.add_row(row["connector"], row["stream"], *_ledger_cells(row))
        if row["error"]:
            errors.append(f"{row['connector']}/{row['stream']}: {row['error']}")
    print_table(table, errors)


def _stream_json(row: dict[str, Any]) -> dict[str, Any]:
    from pmosync.store.schema import RUN_STREAM_COUNTERS

    return {
        "connector": row["connector"],
        "stream": row["stream"],
        "run_id": row["run_id"],
        "started_at": _iso(row["started_at"]),
        "ended_at": _iso(row["ended_at"]),
        "duration_s": _seconds(row["started_at"], row["ended_at"]),
        "status": row["status"],
        **{name: row[name] for name in RUN_STREAM_COUNTERS},
        "error": row["error"],
    }


# -- runs -----------------------------------------------------------------------------------


@app.command()
def runs(
    config: ConfigOption = DEFAULT_CONFIG,
    store: StoreOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many runs to show.")] = 20,
    kind: Annotated[
        Literal["sync", "report", "writeback"] | None,
        typer.Option("--kind", help="Only runs of this kind."),
    ] = None,
    format: TableFormatOption = "table",
) -> None:
    """Show the run history, newest first, with what each run's streams did in total."""

    with open_store(config, store, "require") as opened:
        history = opened.ledger.recent_runs(limit, kind)
    if format == "json":
        print_json([_run_json(row) for row in history])
        return
    if not history:
        typer.echo(f"store {opened.display_url}: no {kind + ' ' if kind else ''}runs yet")
        return
    table = _ledger_table(
        f"Runs in {opened.display_url}, newest first",
        "records: +new ~changed -deleted, over every stream of the run",
        ("run", "kind"),
    )
    table.add_column("error", overflow="fold")
    for row in history:
        kind = f"{row['kind']} {row['connector']}" if row.get("connector") else row["kind"]
        table.add_row(row["id"][:8], kind, *_ledger_cells(row), _first_line(row["error"]))
    print_table(table)


def _run_json(row: dict[str, Any]) -> dict[str, Any]:
    from pmosync.store.schema import RUN_STREAM_COUNTERS

    return {
        "id": row["id"],
        "kind": row["kind"],
        "started_at": _iso(row["started_at"]),
        "ended_at": _iso(row["ended_at"]),
        "duration_s": _seconds(row["started_at"], row["ended_at"]),
        "status": row["status"],
        "streams": row["streams"],
        **{name: row[name] for name in RUN_STREAM_COUNTERS},
        "error": row["error"],
        "host": row["host"],
        "pid": row["pid"],
        "connector": row.get("connector"),
        "workflow_id": row.get("workflow_id"),
    }


# -- quarantine -----------------------------------------------------------------------------


def _entry_json(entry: dict[str, Any]) -> dict[str, Any]:
    out = {k: _iso(v) if isinstance(v, datetime) else v for k, v in entry.items()}
    if "payload" in out:
        out["payload"] = _parsed(out["payload"])
    return out


def _parsed(payload: str) -> Any:
    """The payload as JSON when it parses, else the text as stored."""
    try:
        return json.loads(payload)
    except ValueError:
        return payload


@quarantine_app.command("list")
def quarantine_list(
    config: ConfigOption = DEFAULT_CONFIG,
    store: StoreOption = None,
    source: Annotated[str | None, typer.Option("--source", help="Only this connector.")] = None,
    all: Annotated[bool, typer.Option("--all", help="Include resolved entries.")] = False,
    format: TableFormatOption = "table",
) -> None:
    """List quarantined records: which, why, since when, how often seen."""
    from rich.table import Table

    from pmosync.store.quarantine import list_entries

    with open_store(config, store, "require") as opened:
        entries = list_entries(opened, source=source, include_resolved=all)
    if format == "json":
        print_json([_entry_json(entry) for entry in entries])
        return
    if not entries:
        which = "" if all else "open "
        of = f" of {source}" if source else ""
        typer.echo(f"store {opened.display_url}: no {which}quarantine entries{of}")
        return
    table = Table(
        title=f"Quarantine in {opened.display_url}",
        caption="`pmosync quarantine show ID` shows the record; fix the config, then "
        "`pmosync quarantine retry`",
    )
    for column in ("id", "source", "stream", "record"):
        table.add_column(column, overflow="fold")
    table.add_column("reason", overflow="fold", ratio=1)
    for column in ("first seen", "last seen"):
        table.add_column(column)
    table.add_column("seen", justify="right")
    if all:
        table.add_column("resolved")
    for entry in entries:
        cells = [
            str(entry["id"]),
            entry["source"],
            entry["stream"],
            entry["record_key"],
            entry["reason"],
            _when(entry["first_seen"]),
            _when(entry["last_seen"]),
            str(entry["occurrences"]),
        ]
        if all:
            cells.append(_when(entry["resolved_at"]) if entry["resolved_at"] else "open")
        table.add_row(*cells)
    print_table(table)


@quarantine_app.command("show")
def quarantine_show(
    entry_id: Annotated[int, typer.Argument(metavar="ID", help="The entry's id (see list).")],
    config: ConfigOption = DEFAULT_CONFIG,
    store: StoreOption = None,
    format: Annotated[
        Literal["text", "json"], typer.Option("--format", help="text for people, json for scripts.")
    ] = "text",
) -> None:
    """Show one quarantined record in full, its payload pretty-printed."""
    from pmosync.store.quarantine import get_entries

    with open_store(config, store, "require") as opened:
        entry = get_entries(opened, [entry_id]).get(entry_id)
    if entry is None:
        fail(f"store {opened.display_url}: no quarantine entry {entry_id}", EXIT_FAILED)
    if format == "json":
        print_json(_entry_json(entry))
        return
    state = f"resolved {_iso(entry['resolved_at'])}" if entry["resolved_at"] else "open"
    for label, value in (
        ("id", entry["id"]),
        ("source", entry["source"]),
        ("stream", entry["stream"]),
        ("record", entry["record_key"]),
        ("reason", entry["reason"]),
        ("first seen", _iso(entry["first_seen"])),
        ("last seen", _iso(entry["last_seen"])),
        ("occurrences", entry["occurrences"]),
        ("state", state),
    ):
        typer.echo(f"{label + ':':<13}{value}")
    payload = _parsed(entry["payload"])
    if isinstance(payload, str) and payload == entry["payload"]:
        typer.echo("payload (not JSON, as stored):")
        typer.echo(payload)
    else:
        typer.echo("payload:")
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=True))


@quarantine_app.command("retry")
def quarantine_retry(
    entry_ids: Annotated[
        list[int] | None,
        typer.Argument(metavar="ID", help="Entries to retry (default: every open one)."),
    ] = None,
    config: ConfigOption = DEFAULT_CONFIG,
    store: StoreOption = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Only entries of this connector.")
    ] = None,
) -> None:
    """Re-map quarantined records with the current config; write and resolve what now maps.

    Exit code 1 when any entry still fails (or an ID does not exist).
    """
    from pmosync.store import StoreError

    loaded = load_config_or_exit(config, defer_unset=True)
    opened = open_config_store(loaded, store, "require")
    try:
        with opened:
            lines, failed = _retry(loaded, opened, entry_ids or [], source)
    except StoreError as error:
        fail(str(error), EXIT_FAILED)
    for line in lines:
        typer.echo(line)
    if failed:
        raise typer.Exit(EXIT_FAILED)


def _retry(config: Any, store: Store, ids: list[int], source: str | None) -> tuple[list[str], bool]:
    """Choose the entries, retry them; the lines to print and whether any still fails."""
    from pmosync.store.quarantine import get_entries, open_entries
    from pmosync.sync.quarantine import retry_entries

    lines: list[str] = []
    missing = False
    if ids:
        found = get_entries(store, ids)
        chosen = []
        for entry_id in dict.fromkeys(ids):
            entry = found.get(entry_id)
            if entry is None:
                lines.append(f"#{entry_id}: no such quarantine entry")
                missing = True
            elif source is not None and entry["source"] != source:
                lines.append(f"#{entry_id} {_where(entry)}: skipped: not of source {source}")
            elif entry["resolved_at"] is not None:
                when = _when(entry["resolved_at"])
                lines.append(f"#{entry_id} {_where(entry)}: skipped: already resolved {when}")
            else:
                chosen.append(entry)
    else:
        chosen = open_entries(store, source=source)
    if not chosen:
        if not ids:
            of = f" of {source}" if source else ""
            lines.append(f"nothing to retry: no open quarantine entries{of}")
        return lines, missing
    result = retry_entries(config, store, chosen)
    words = {
        "fixed": "fixed",
        "superseded": "resolved: the store already holds a newer version of this record",
        "failing": "still failing",
        "skipped": "skipped",
    }
    for outcome in result.outcomes:
        where = f"{outcome.source}/{outcome.stream} {outcome.record_key}"
        text = words[outcome.verdict] + (f": {outcome.reason}" if outcome.reason else "")
        lines.append(f"#{outcome.entry_id} {where}: {text}")
    run = f" (run {result.run_id[:8]})" if result.run_id else ""
    lines.append(
        f"retried {len(result.outcomes)} entries: {result.count('fixed')} fixed, "
        f"{result.count('superseded')} already newer, {result.count('failing')} still failing, "
        f"{result.count('skipped')} skipped{run}"
    )
    return lines, missing or result.failed


def _where(entry: dict[str, Any]) -> str:
    return f"{entry['source']}/{entry['stream']} {entry['record_key']}"
