"""Commands that read the run ledger: ``status``."""

from __future__ import annotations

import typer

from pmosync.cli.app import DEFAULT_CONFIG, ConfigOption, StoreOption, app, open_store


@app.command()
def status(config: ConfigOption = DEFAULT_CONFIG, store: StoreOption = None) -> None:
    """Show the last run of every connector and stream, from the run ledger."""
    from rich.console import Console
    from rich.table import Table

    with open_store(config, store, "require") as opened:
        latest = opened.ledger.latest_streams()
    if not latest:
        typer.echo(f"store {opened.display_url}: no runs yet")
        return
    table = Table(
        title=f"Last runs in {opened.display_url}",
        caption="records: +new ~changed -deleted (unchanged records are not rewritten)",
    )
    for column in ("connector", "stream", "started (UTC)", "took", "status"):
        table.add_column(column)
    table.add_column("records", justify="right")
    table.add_column("quarantined", justify="right")
    table.add_column("requests", justify="right")
    errors = []
    for row in latest:
        ended = row["ended_at"]
        table.add_row(
            row["connector"],
            row["stream"],
            row["started_at"].strftime("%Y-%m-%d %H:%M"),
            f"{(ended - row['started_at']).total_seconds():.1f}s" if ended else "-",
            row["status"],
            f"+{row['inserted']} ~{row['updated']} -{row['deleted']}",
            str(row["quarantined"]),
            str(row["requests"]),
        )
        if row["error"]:
            errors.append(f"{row['connector']}/{row['stream']}: {row['error']}")
    console = Console()
    if not console.is_terminal:  # a log file or a pipe: rich would squeeze it into 80 columns
        console.width = 140
    console.print(table)
    for line in errors:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
