"""Commands that hand the store's data out: ``export``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, TextIO

import typer

from pmosync.cli.app import (
    DEFAULT_CONFIG,
    EXIT_FAILED,
    EXIT_USAGE,
    ConfigOption,
    StoreOption,
    app,
    fail,
    open_store,
)

if TYPE_CHECKING:
    from sqlalchemy import Table

    from pmosync.store import Store

ENTITY_NAMES = (
    "portfolio", "project", "portfolio_item", "phase", "task", "person", "person_identity",
    "assignment", "time_entry", "allocation", "budget", "cost_entry", "leave", "status_update",
    "raid_item", "request",
)  # fmt: skip
"""The canonical entities, written out so ``--help`` does not import the model (a test holds
this list equal to ``pmosync.canonical.types.ENTITIES``)."""


@app.command()
def export(
    entity: Annotated[
        str,
        typer.Argument(
            metavar="ENTITY",
            help=f"A canonical entity: {', '.join(ENTITY_NAMES)}.",
            show_default=False,
        ),
    ],
    config: ConfigOption = DEFAULT_CONFIG,
    store: StoreOption = None,
    format: Annotated[
        Literal["jsonl", "csv"],
        typer.Option("--format", help="jsonl: one JSON object per line; csv: with a header."),
    ] = "jsonl",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write to this file instead of stdout.", dir_okay=False
        ),
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Only records of this connector.")
    ] = None,
    include_deleted: Annotated[
        bool,
        typer.Option("--include-deleted", help="Also records deleted upstream (tombstones)."),
    ] = False,
) -> None:
    """Export one entity's canonical records, streamed (any size), as JSON Lines or CSV.

    Dates are ISO 8601, money (decimals) strings, lists JSON arrays; row_hash is left out.
    A CSV text cell starting with = + - @ or a tab/CR gets a leading ' (no spreadsheet
    formulas). See docs/operations.md.
    """
    from pmosync.reports.export import UnknownEntity, entity_table

    try:
        table = entity_table(entity)
    except UnknownEntity as error:
        fail(str(error), EXIT_USAGE)
    with open_store(config, store, "require") as opened:
        job = _Export(opened, table, format, source, include_deleted)
        if output is None:
            _to_stdout(job)
        else:
            count = _to_file(job, output)
            typer.echo(f"exported {count} {table.name} records to {output}", err=True)


class _Export:
    """One export, run against whatever text stream it is handed."""

    def __init__(
        self, store: Store, table: Table, format: str, source: str | None, deleted: bool
    ) -> None:
        self.store, self.table, self.format = store, table, format
        self.source, self.include_deleted = source, deleted

    def __call__(self, out: TextIO) -> int:
        from sqlalchemy import exc

        from pmosync.reports.export import column_names, rows, write_csv, write_jsonl
        from pmosync.store.engine import describe_db_error

        records = rows(
            self.store, self.table, source=self.source, include_deleted=self.include_deleted
        )
        try:
            if self.format == "csv":
                return write_csv(records, column_names(self.table), out)
            return write_jsonl(records, out)
        except exc.DBAPIError as error:
            message = describe_db_error(self.store.engine.url, error)
            fail(message.replace("cannot be opened", "could not be read"), EXIT_FAILED)


def _to_stdout(job: _Export) -> None:
    import os
    import sys

    try:
        job(sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (``| head``): what it wanted it has; not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _to_file(job: _Export, output: Path) -> int:
    """Write beside ``output`` and rename into place: a failed export leaves no half file."""
    import os

    partial = output.with_name(f".{output.name}.{os.getpid()}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            count = job(out)
        os.replace(partial, output)
    except OSError as error:
        fail(f"{output}: cannot write the export: {error.strerror or error}", EXIT_FAILED)
    finally:
        partial.unlink(missing_ok=True)
    return count
