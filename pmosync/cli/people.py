"""``pmosync people``: who is who across the tools, and who matched nobody."""

from __future__ import annotations

import json
from typing import Annotated, Any

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
)


@app.command()
def people(
    config: ConfigOption = DEFAULT_CONFIG,
    store: StoreOption = None,
    unresolved: Annotated[
        bool,
        typer.Option(
            "--unresolved",
            help="List identities that matched nobody and emails workbook rows name that no "
            "tool knows, so an alias can be added under people.aliases.",
        ),
    ] = False,
    output: TableFormatOption = "table",
) -> None:
    """Resolve identities into people (aliases from the YAML apply at once), then list them.

    One row per person with the identities each tool has of them. A report: exits 0."""
    from pmosync.store import StoreError
    from pmosync.sync.people import (
        list_people,
        resolve_people,
        unknown_workbook_emails,
        unresolved_identities,
    )
    from pmosync.sync.sources import WORKBOOK_TYPES

    loaded = load_config_or_exit(config, defer_unset=True)
    with open_config_store(loaded, store, "require") as opened:
        try:
            resolution = resolve_people(opened, loaded.people)
            if unresolved:
                workbooks = {
                    name for name, c in loaded.connectors.items() if isinstance(c, WORKBOOK_TYPES)
                }
                identities = unresolved_identities(opened, workbooks)
                emails = unknown_workbook_emails(opened, loaded.people)
            else:
                persons = list_people(opened)
        except StoreError as error:
            fail(str(error), EXIT_FAILED)
    summary = (
        f"{resolution.persons} people from {resolution.identities} identities in "
        f"{opened.display_url}"
    )
    if unresolved:
        _show_unresolved(identities, emails, output, summary)
    else:
        _show_people(persons, output, summary)


def _show_people(persons: list[Any], output: str, summary: str) -> None:
    if output == "json":
        document = [
            {
                "id": p.id,
                "name": p.name,
                "email": p.email,
                "identities": [vars(i) for i in p.identities],
            }
            for p in persons
        ]
        typer.echo(json.dumps({"people": document}, indent=2))
        return
    table = _table(summary, ("name", "email", "identities"))
    for person in persons:
        labels = "\n".join(i.label for i in person.identities)
        table.add_row(person.name or "-", person.email or "-", labels)
    _print(table)


def _show_unresolved(identities: list[Any], emails: list[Any], output: str, summary: str) -> None:
    if output == "json":
        document = {
            "identities": [{**vars(u.identity), "reason": u.reason} for u in identities],
            "workbook_emails": [vars(e) for e in emails],
        }
        typer.echo(json.dumps(document, indent=2))
        return
    if not identities and not emails:
        typer.echo(f"{summary}: every identity matched someone")
        return
    if identities:
        table = _table("Identities that matched nobody", ("source", "id"))
        table.caption = summary
        for column in ("name", "email", "why"):
            table.add_column(column)
        for entry in identities:
            i = entry.identity
            table.add_row(i.source, i.source_id, i.name or "-", i.email or "-", entry.reason)
        _print(table)
    if emails:
        table = _table("Emails workbook rows name that no tool knows", ("connector", "email"))
        table.add_column("rows", justify="right")
        table.add_column("now")
        for entry in emails:
            now = "known now: retry the rows" if entry.known_now else "unknown"
            table.add_row(entry.connector, entry.email, str(entry.rows), now)
        _print(table)
    typer.echo("Add the other address under people.aliases in the YAML to merge a person.")


def _table(title: str, columns: tuple[str, ...]) -> Any:
    from rich.table import Table

    table = Table(title=title, show_lines=True)
    for column in columns:
        table.add_column(column)
    return table


def _print(table: Any) -> None:
    from rich.console import Console

    console = Console()
    if not console.is_terminal:  # a pipe: rich would squeeze the table into 80 columns
        console.width = 140
    console.print(table)
