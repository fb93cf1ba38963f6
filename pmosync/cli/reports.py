"""``pmosync report``: list the report jobs, run one now, look back at earlier runs.

``report NAME`` computes, keeps the files and delivers exactly as a scheduled run does (the
same ledger run, the same once-per-target-and-date deliveries), so a PSO can re-run a report
that failed at 7 a.m. without anyone getting it twice.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pmosync.cli.app import (
    DEFAULT_CONFIG,
    EXIT_FAILED,
    EXIT_USAGE,
    ConfigOption,
    StoreOption,
    TableFormatOption,
    app,
    as_of_day,
    fail,
    load_config_or_exit,
    open_config_store,
    require_variables,
)
from pmosync.cli.ledger import print_json, print_table

if TYPE_CHECKING:
    from pmosync.config import PmosyncConfig
    from pmosync.reports.job import ReportOutcome
    from pmosync.store import Store

ACTIONS = ("list", "history")


@app.command("report")
def report(
    name: Annotated[
        str,
        typer.Argument(
            help="A report's name to run it now; 'list' to list them; 'history NAME' to show "
            "its earlier runs.",
            show_default=False,
            metavar="NAME",
        ),
    ],
    history_of: Annotated[
        str | None,
        typer.Argument(help="With 'history': the report.", show_default=False, metavar="REPORT"),
    ] = None,
    config: ConfigOption = DEFAULT_CONFIG,
    store: StoreOption = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help=(
                "Report date YYYY-MM-DD (default: the config's, or today in the organisation's "
                "time zone)."
            ),
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Keep the files here instead of the config's output_dir."),
    ] = None,
    no_deliver: Annotated[
        bool, typer.Option("--no-deliver", help="Compute and keep the files; send nothing.")
    ] = False,
    snapshot: Annotated[
        str | None,
        typer.Option(
            "--snapshot",
            help="Re-render an earlier run exactly as it was (its run id, or a prefix of it "
            "from `report history`), nothing recomputed or sent.",
        ),
    ] = None,
    allow_stale: Annotated[
        bool,
        typer.Option(
            "--allow-stale",
            help="Run even while a sync runs or before the first sync of its connectors has "
            "completed (a headline figure of the report then says so).",
        ),
    ] = False,
    format: TableFormatOption = "table",
) -> None:
    """Run a report now, list the reports, or show a report's history.

    ``--format json`` prints what a script wants on stdout: the job list, the run history, or
    (running or re-rendering a report) the report document itself as JSON, the figures at full
    precision, while the run's own lines go to stderr. It is not the report's ``formats`` (the
    files kept and delivered), which stay as configured."""
    loaded = load_config_or_exit(config, defer_unset=True)
    if name not in ACTIONS and history_of is not None:
        fail(f"unexpected argument {history_of!r} after the report name", EXIT_USAGE)
    if name == "history" and history_of is None:
        fail("report history needs a report name: pmosync report history NAME", EXIT_USAGE)
    wanted = history_of if name == "history" else None if name == "list" else name
    if wanted is not None and wanted not in loaded.reports and snapshot is None:
        fail(_unknown(loaded, wanted), EXIT_USAGE)
    if name not in ACTIONS and snapshot is None and not no_deliver:
        require_variables(loaded, reports=[name])
    opened = open_config_store(loaded, store, "create")
    try:
        if name == "list":
            _list(loaded, opened, format)
        elif name == "history":
            _history(opened, history_of or "", format)
        elif snapshot is not None:
            _rerender(loaded, opened, snapshot, out, format)
        else:
            _run(loaded, opened, name, as_of_day(as_of), out, not no_deliver, allow_stale, format)
    finally:
        opened.close()


def _unknown(config: PmosyncConfig, name: str) -> str:
    from pmosync.config.errors import did_you_mean

    known = ", ".join(config.reports) or "none: add a reports section"
    hint = did_you_mean(name, list(config.reports))
    return f"{config.config_path}: no report named {name!r}{hint} (reports: {known})"


def _run(
    config: PmosyncConfig,
    store: Store,
    name: str,
    as_of: date | None,
    out: Path | None,
    send: bool,
    allow_stale: bool,
    format: str = "table",
) -> None:
    from pmosync.reports.asof import HistoryNotCovering
    from pmosync.reports.job import check_history_covers, run_report
    from pmosync.store import StoreError

    try:
        if wanted_day := as_of or config.reports[name].as_of:
            check_history_covers(config, store, wanted_day)
        outcome = run_report(
            config, store, name, as_of, out=out, deliver=send, allow_stale=allow_stale
        )
    except (StoreError, HistoryNotCovering) as error:
        fail(str(error), EXIT_FAILED)
    if outcome.status == "skipped":
        fail(f"report {name} not run: {outcome.error}: run it when the sync has finished "
             "(pmosync sync), or pass --allow-stale", EXIT_FAILED)  # fmt: skip
    as_json = format == "json"
    _print_outcome(outcome, to_stderr=as_json)
    if as_json:
        _print_document(store, outcome.run_id)
    if outcome.status != "succeeded":
        raise typer.Exit(EXIT_FAILED)


def _print_document(store: Store, run_id: str) -> None:
    """The run's frozen document as the JSON file holds it, on stdout (nothing when the run
    computed none: its failure is on stderr already)."""
    from pmosync.reports.render.json_file import render_json
    from pmosync.reports.snapshots import load_snapshot

    document = load_snapshot(store, run_id)
    if document is not None:
        typer.echo(render_json(document).decode("utf-8", "replace"), nl=False)


def _print_outcome(outcome: ReportOutcome, to_stderr: bool = False) -> None:
    """What the run did, for people: on stdout, or on stderr when stdout carries JSON."""
    when = f" as of {outcome.as_of}" if outcome.as_of else ""
    line = f"report {outcome.name}{when}: {outcome.status} (run {outcome.run_id[:8]})"
    typer.echo(line, err=to_stderr)
    for path in outcome.files:
        typer.echo(f"  kept {path}", err=to_stderr)
    for delivery in outcome.deliveries:
        period = f" [{delivery.period}]" if delivery.period != str(outcome.as_of) else ""
        if delivery.status == "failed":
            typer.echo(f"  FAILED {delivery.label}{period}: {delivery.error}", err=True)
        elif delivery.status == "already_delivered":
            typer.echo(f"  already delivered {delivery.label}{period}", err=to_stderr)
        else:
            where = f" -> {delivery.location}" if delivery.location else ""
            typer.echo(f"  delivered {delivery.label}{period}{where}", err=to_stderr)
    if outcome.status == "failed" and not outcome.deliveries and outcome.error:
        typer.echo(f"  {outcome.error}", err=True)


def _rerender(
    config: PmosyncConfig, store: Store, run: str, out: Path | None, format: str = "table"
) -> None:
    from sqlalchemy import select

    from pmosync.reports.job import FilesNotKept, rerender
    from pmosync.store.schema import report_snapshots

    query = select(report_snapshots.c.run_id).where(report_snapshots.c.run_id.startswith(run))
    with store.engine.connect() as connection:
        matches = list(connection.execute(query.limit(2)).scalars())
    if len(matches) != 1:
        why = "no report run" if not matches else "several report runs"
        fail(f"{why} with an id starting {run!r}; see pmosync report history NAME", EXIT_USAGE)
    try:
        rendered = rerender(config, store, matches[0], out)
    except FilesNotKept as error:
        fail(str(error), EXIT_FAILED)
    if rendered is None:  # pragma: no cover - the query above found its snapshot
        fail(f"run {run!r} kept no snapshot", EXIT_USAGE)
    document, files = rendered
    as_json = format == "json"
    line = f"report {document.report} as of {document.as_of}: re-rendered from run {run}"
    typer.echo(line, err=as_json)
    for path in files:
        typer.echo(f"  kept {path}", err=as_json)
    if as_json:
        from pmosync.reports.render.json_file import render_json

        typer.echo(render_json(document).decode("utf-8", "replace"), nl=False)


def _list(config: PmosyncConfig, store: Store, format: str) -> None:
    from datetime import UTC, datetime

    from pmosync.cli.schedules import next_runs, when

    last = store.ledger.last_runs("report")
    upcoming = next_runs(config, datetime.now(UTC))
    rows = []
    for name, report in config.reports.items():
        run = last.get(name)
        rows.append(
            {
                "name": name,
                "kind": report.kind,
                "schedule": report.schedule,
                "formats": list(report.formats),
                "deliver": [d.kind for d in report.deliver],
                "last_run": run[0].isoformat() if run else None,
                "last_status": run[1] if run else None,
                "next_run": upcoming[name].isoformat() if name in upcoming else None,
            }
        )
    if format == "json":
        print_json(rows)
        return
    if not rows:
        typer.echo(f"{config.config_path}: no reports configured")
        return
    from rich.table import Table

    table = Table(title=f"Reports in {config.config_path.name}")
    columns = ("report", "kind", "schedule", "formats", "deliver", "last run (UTC)", "status",
               "next run")  # fmt: skip
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["name"],
            row["kind"],
            row["schedule"] or "on demand",
            ", ".join(row["formats"]),
            ", ".join(row["deliver"]) or "-",
            (row["last_run"] or "-")[:16].replace("T", " "),
            row["last_status"] or "never run",
            when(upcoming[row["name"]]) if row["name"] in upcoming else "-",
        )
    print_table(table)


def _history(store: Store, name: str, format: str) -> None:
    from sqlalchemy import func, select

    from pmosync.store.schema import report_deliveries, report_snapshots, runs

    store.ledger.close_dead_runs()  # a run killed outright reads interrupted, not running

    delivered = (
        select(
            report_deliveries.c.run_id,
            func.count().filter(report_deliveries.c.status == "delivered").label("delivered"),
            func.count().filter(report_deliveries.c.status == "failed").label("failed"),
        )
        .where(report_deliveries.c.report == name)
        .group_by(report_deliveries.c.run_id)
        .subquery()
    )
    query = (
        select(
            report_snapshots.c.run_id,
            report_snapshots.c.as_of,
            runs.c.started_at,
            runs.c.status,
            func.coalesce(delivered.c.delivered, 0).label("delivered"),
            func.coalesce(delivered.c.failed, 0).label("failed"),
        )
        .join(runs, runs.c.id == report_snapshots.c.run_id)
        .outerjoin(delivered, delivered.c.run_id == report_snapshots.c.run_id)
        .where(report_snapshots.c.report == name)
        .order_by(runs.c.started_at.desc())
        .limit(50)
    )
    with store.engine.connect() as connection:
        rows: list[dict[str, Any]] = [dict(row._mapping) for row in connection.execute(query)]
    if format == "json":
        print_json(
            [
                {
                    **row,
                    "as_of": row["as_of"].isoformat(),
                    "started_at": row["started_at"].isoformat(),
                }
                for row in rows
            ]
        )
        return
    if not rows:
        typer.echo(f"report {name}: no runs yet")
        return
    from rich.table import Table

    table = Table(
        title=f"Runs of report {name}, newest first",
        caption="re-render one exactly: pmosync report NAME --snapshot RUN",
    )
    for column in ("run", "as of", "started (UTC)", "status", "delivered", "failed"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["run_id"][:8],
            row["as_of"].isoformat(),
            row["started_at"].strftime("%Y-%m-%d %H:%M"),
            row["status"],
            str(row["delivered"]),
            str(row["failed"]),
        )
    print_table(table)
