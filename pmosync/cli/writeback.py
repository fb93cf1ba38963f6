"""``pmosync writeback plan`` and ``apply``: the PMO's computed view written back into each
team's tool, shown first as a diff an operator can review.

``plan`` judges the projects as the report does, reads what each tool shows now and prints
every change it would make, writing nothing (nor the write ledger); ``apply`` makes them and
prints the same lines with how each ended. Both print one line per change:

    asana-eng  project "Website relaunch"  PMO RAG        Amber -> Red
  ! asana-eng  project "Intranet"          PMO RAG        Red: conflict: changed in the tool ...
  = planner    plan "Ops"                  label          "PMO: Red": already shows this value
  - asana-eng  task "Ops / Cut over"       comment        not written: ...

(blank: a write; ``!`` a conflict, left alone; ``=`` adopted, nothing sent; ``-`` skipped),
then a count per connector. Text from a tool is printed as one plain line (no control
characters, no bidirectional overrides); nothing secret is printed.

Exit codes: 0 when every connector planned (and wrote) without failing, conflicts included
(they are reported, not failures); 1 when a connector or a write failed; 2 a usage error.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pmosync.cli.app import (
    DEFAULT_CONFIG,
    EXIT_FAILED,
    EXIT_USAGE,
    ConfigOption,
    StoreOption,
    as_of_day,
    fail,
    load_config_or_exit,
    open_config_store,
    require_variables,
    writeback_app,
)

if TYPE_CHECKING:

    from pmosync.config import PmosyncConfig
    from pmosync.writeback.changes import Change
    from pmosync.writeback.run import ConnectorResult, WritebackOutcome

ConnectorsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--connector",
        help="Only this connector (repeat for several); default: every one with a writeback block.",
        show_default=False,
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document (for scripts) instead of lines.")
]
VerboseOption = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Also print the text of each status update, note and comment."
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Judge the projects as of this day YYYY-MM-DD (default: today in the "
        "organisation's time zone); a status update's period is the one it falls in.",
    ),
]

MARKS = {"write": " ", "conflict": "!", "adopt": "=", "skip": "-"}
FIELD_WORDS = {
    "status_update": "status update",
    "label": "label",
    "status_task": "status task",
    "status_note": "status note",
}


@writeback_app.command("plan")
def plan(
    config: ConfigOption = DEFAULT_CONFIG,
    connector: ConnectorsOption = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
    verbose: VerboseOption = False,
    as_of: AsOfOption = None,
) -> None:
    """Show what write-back would write into each tool, reading the tools and writing nothing.

    Exits 1 when a connector could not be planned (its tool refused, its data is not ready)."""
    _command(config, connector or [], store, as_json, verbose, as_of, apply=False)


@writeback_app.command("apply")
def apply(
    config: ConfigOption = DEFAULT_CONFIG,
    connector: ConnectorsOption = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
    verbose: VerboseOption = False,
    as_of: AsOfOption = None,
) -> None:
    """Write the PMO's computed view into each tool, as `writeback plan` shows it.

    Each write is recorded in the write ledger, so running it again writes nothing more.

    Conflicts (a human's edit of an owned value) are reported and left alone; exits 1 when a
    connector or a write failed."""
    _command(config, connector or [], store, as_json, verbose, as_of, apply=True)


def _command(
    config_path: Path,
    connectors: Sequence[str],
    store_url: str | None,
    as_json: bool,
    verbose: bool,
    as_of: str | None,
    *,
    apply: bool,
) -> None:
    from pmosync.cli.syncing import stop_on_signals
    from pmosync.store import StoreError
    from pmosync.writeback.run import run_writeback

    loaded = load_config_or_exit(config_path, defer_unset=True)
    names = _chosen(loaded, config_path, connectors)
    require_variables(loaded, names)
    day = as_of_day(as_of)
    quiet_run_log()
    opened = open_config_store(loaded, store_url, "create")
    try:
        with stop_on_signals() as stop:
            outcome = run_writeback(
                loaded, opened, apply=apply, connectors=names, today=day, stop=stop
            )
    except StoreError as error:
        fail(str(error), EXIT_FAILED)
    finally:
        opened.close()
    if as_json:
        typer.echo(json.dumps(outcome_json(loaded, outcome), indent=2, ensure_ascii=False))
    else:
        for line in outcome_lines(loaded, outcome, verbose=verbose):
            typer.echo(line)
    for line in failure_lines(outcome):
        typer.echo(line, err=True)
    if failed(outcome):
        raise typer.Exit(EXIT_FAILED)


def quiet_run_log() -> None:
    """The run's own warnings (a conflict, a refused write) are this command's lines: its
    logger keeps to errors, the rest of pmosync logs as every command does."""
    import logging

    from pmosync.cli.logs import configure_logging

    configure_logging(quiet_info=True)
    logging.getLogger("pmosync.writeback").setLevel(logging.ERROR)


def _chosen(config: PmosyncConfig, path: Path, connectors: Sequence[str]) -> list[str]:
    """The connectors to write back (exit 2 naming one unknown or without a writeback block)."""
    from pmosync.config.errors import did_you_mean
    from pmosync.writeback.run import writeback_connectors

    having = writeback_connectors(config)
    for name in connectors:
        if name not in config.connectors:
            hint = did_you_mean(name, list(config.connectors))
            known = ", ".join(config.connectors) or "none"
            fail(f"{path}: no connector named {name!r}{hint} (configured: {known})", EXIT_USAGE)
        if name not in having:
            fail(f"{path}: connector {name!r} has no writeback block (docs/writeback.md)",
                 EXIT_USAGE)  # fmt: skip
    if not having:
        fail(f"{path}: no connector has a writeback block: nothing to write back "
             "(docs/writeback.md)", EXIT_USAGE)  # fmt: skip
    return list(connectors) or having


def failed(outcome: WritebackOutcome) -> bool:
    """Whether a connector or a write failed (conflicts and held-back nudges do not count)."""
    if outcome.error and not outcome.results:
        return True
    return any(r.error or r.failed for r in outcome.results) or outcome.status == "failed"


# --- what is printed ---------------------------------------------------------------------


def plain(text: object) -> str:
    """A tool's text as one plain line."""
    from pmosync.canonical.text import one_line

    return one_line(str(text))


def field_word(config: PmosyncConfig, change: Change) -> str:
    """How an owned field reads: "status update", the RAG field's own name, "label" ..."""
    if change.field == "rag_field":
        spec = getattr(config.connectors.get(change.connector), "writeback", None)
        rag_field = getattr(spec, "rag_field", None)
        return plain(rag_field.field) if rag_field is not None else "RAG field"
    if change.field.startswith("comment:"):
        return f"comment ({change.field.partition(':')[2]})"
    return FIELD_WORDS.get(change.field, change.field)


def _quoted(value: str | None, change: Change) -> str:
    if value is None:
        return "(none)"
    if change.field in ("rag_field", "status_update"):
        return plain(value)
    return f'"{plain(value)}"'


def reasons_count(body: str) -> int:
    """The reasons a status update's text lists (its "- " lines)."""
    return sum(1 for line in body.splitlines() if line.startswith("- "))


def what(change: Change) -> str:
    """The change itself: before -> wanted, or the new post."""
    if change.field == "status_update":
        reasons = reasons_count(change.body)
        text = f"{change.period}: {plain(change.value)} ({reasons} reason{'s' * (reasons != 1)})"
        return f"{text}  + new post"
    if change.field.startswith("comment:"):
        return f'"{plain(change.value)}"  + new comment'
    if change.field == "status_note":
        lines = len(change.value.splitlines())
        shown = "(none)" if change.before is None else "earlier text"
        return f"{shown} -> new text ({lines} line{'s' * (lines != 1)})"
    shown = change.current if change.current not in (None, "") else change.before
    return f"{_quoted(shown, change)} -> {_quoted(change.value, change)}"


def change_line(config: PmosyncConfig, change: Change, widths: tuple[int, int, int]) -> str:
    """One change as the operator reviews it (see the module's docstring)."""
    item = f'{change.item_kind} "{plain(change.item_name)}"'
    head = (
        f"{MARKS.get(change.action, '?')} {plain(change.connector):<{widths[0]}}  "
        f"{item:<{widths[1]}}  {field_word(config, change):<{widths[2]}}  "
    )
    if change.action == "write":
        return head + what(change)
    if change.action == "adopt":
        return head + f"{_quoted(change.value, change)}: adopted, {plain(change.note)}"
    if change.action == "conflict":
        return head + f"{_quoted(change.value, change)} wanted: conflict, {plain(change.note)}"
    return head + f"{_quoted(change.value, change)}: skipped, {plain(change.note)}"


def _widths(config: PmosyncConfig, changes: Sequence[Change]) -> tuple[int, int, int]:
    if not changes:
        return (0, 0, 0)
    return (
        max(len(plain(c.connector)) for c in changes),
        max(len(f'{c.item_kind} "{plain(c.item_name)}"') for c in changes),
        max(len(field_word(config, c)) for c in changes),
    )


def counts_line(result: ConnectorResult, applied: bool) -> str:
    """A connector's counts: what was (to be) written, adopted, in conflict, skipped."""
    failed_writes = len(result.failed)
    skipped = result.count("skip") - failed_writes
    written = result.count("write")
    parts = [
        f"{written} written" if applied else f"{written} to write",
        f"{result.count('adopt')} adopted" if applied else f"{result.count('adopt')} to adopt",
        f"{result.count('conflict')} conflict{'s' * (result.count('conflict') != 1)}",
        f"{skipped} skipped",
    ]
    if failed_writes:
        parts.append(f"{failed_writes} failed")
    line = f"{plain(result.connector)}: " + ", ".join(parts)
    if result.held_back:
        line += f"; {result.held_back} nudge(s) held back by max_per_run"
    return line + f" ({result.requests} request{'s' * (result.requests != 1)})"


def outcome_lines(
    config: PmosyncConfig, outcome: WritebackOutcome, *, verbose: bool = False
) -> list[str]:
    """Every change, then the counts per connector, then the run (when applied)."""
    changes = [change for result in outcome.results for change in result.changes]
    widths = _widths(config, changes)
    lines: list[str] = []
    for change in changes:
        done = "  (written)" if outcome.applied and change.action == "write" else ""
        lines.append(change_line(config, change, widths) + done)
        if verbose and change.body and change.action in ("write", "conflict"):
            lines += [f"      | {plain(line)}" for line in change.body.splitlines()]
        if verbose and change.field == "status_note" and change.action == "write":
            lines += [f"      | {plain(line)}" for line in change.value.splitlines()]
    if not changes and not any(r.error for r in outcome.results):
        lines.append("nothing to write: every owned value already shows the PMO's view")
    for result in outcome.results:
        if not result.error:
            lines.append(counts_line(result, outcome.applied))
    if outcome.applied and outcome.run_id:
        lines.append(f"write-back run {outcome.run_id[:8]}: {outcome.status}")
    elif not outcome.applied:
        lines.append("plan only: nothing was written (pmosync writeback apply writes it)")
    return lines


def failure_lines(outcome: WritebackOutcome) -> list[str]:
    """The connectors that failed, one line each (stderr)."""
    lines = [f"{plain(r.connector)}: FAILED: {plain(r.error)}" for r in outcome.results if r.error]
    if outcome.error and not lines:
        lines.append(f"write-back: {plain(outcome.error)}")
    return lines


def outcome_json(config: PmosyncConfig, outcome: WritebackOutcome) -> dict[str, Any]:
    """The run as one JSON document: its changes (comparable between plan and apply), and per
    connector the counts and any error."""
    return {
        "applied": outcome.applied,
        "run_id": outcome.run_id,
        "status": outcome.status,
        "error": outcome.error,
        "connectors": [
            {
                "connector": r.connector,
                "error": r.error,
                "held_back": r.held_back,
                "requests": r.requests,
                "counts": {
                    **{a: r.count(a) for a in ("write", "adopt", "conflict")},
                    "skip": r.count("skip") - len(r.failed),
                    "failed": len(r.failed),
                },
            }
            for r in outcome.results
        ],
        "changes": [change_json(config, change) for r in outcome.results for change in r.changes],
    }


def change_json(config: PmosyncConfig, change: Change) -> dict[str, Any]:
    return {
        "key": change.key,
        "connector": change.connector,
        "item_kind": change.item_kind,
        "item_id": change.item_id,
        "item": change.item_name,
        "field": change.field,
        "field_name": field_word(config, change),
        "period": change.period,
        "before": change.before,
        "current": change.current,
        "value": change.value,
        "action": change.action,
        "note": change.note,
    }
