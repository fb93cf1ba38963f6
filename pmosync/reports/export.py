"""Canonical records out of the store as JSON Lines or CSV, for anyone who wants them elsewhere.

Rows are streamed from the database in batches (a server-side cursor on PostgreSQL), written
as they arrive, so exporting a million time entries never holds them all in memory.

Values are typed the same way in both formats: dates and datetimes as ISO 8601 (datetimes in
UTC with ``+00:00``), decimals (money) as strings so no digit is lost to a float, other numbers
and booleans as themselves, lists as JSON arrays (JSON text in a CSV cell), nothing as
``null`` (an empty CSV cell). ``row_hash`` is internal and left out; ``synced_at`` (when
pmosync last wrote the row) stays. A CSV text cell starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return gets a leading ``'`` so no spreadsheet runs it as a formula.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

from sqlalchemy import Table, select

from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.canonical.types import ENTITIES
from pmosync.reports.render.cells import safe_text
from pmosync.store import Store

ENTITY_NAMES: tuple[str, ...] = tuple(ENTITIES)
EXCLUDED_COLUMNS = frozenset({"row_hash"})
BATCH = 1000


class UnknownEntity(ValueError):
    """An entity name that is not a canonical entity; the message names them all."""


def entity_table(name: str) -> Table:
    """The table of canonical entity ``name``; UnknownEntity (with did-you-mean) otherwise."""
    from pmosync.config.errors import did_you_mean

    model = ENTITIES.get(name.strip().lower().replace("-", "_"))
    if model is None:
        raise UnknownEntity(
            f"unknown entity {name!r}{did_you_mean(name, ENTITY_NAMES)} "
            f"(entities: {', '.join(ENTITY_NAMES)})"
        )
    return ENTITY_TABLES[model]


def column_names(table: Table) -> list[str]:
    return [c.name for c in table.columns if c.name not in EXCLUDED_COLUMNS]


def rows(
    store: Store, table: Table, *, source: str | None = None, include_deleted: bool = False
) -> Iterator[dict[str, Any]]:
    """The table's rows in (source, source_id) order, streamed ``BATCH`` at a time."""
    names = column_names(table)
    query = select(*(table.c[name] for name in names)).order_by(table.c.source, table.c.source_id)
    if source is not None:
        query = query.where(table.c.source == source)
    if not include_deleted:
        query = query.where(table.c.deleted_at.is_(None))
    with store.engine.connect() as connection:
        result = connection.execution_options(yield_per=BATCH).execute(query)
        for row in result:
            yield dict(zip(names, row, strict=True))


def _decimal(value: Decimal) -> str:
    """12.5000 -> "12.5", 100.0000 -> "100": the value, without the column's padding."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def json_value(value: Any) -> Any:
    """A stored value as JSON: see the module docstring."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return _decimal(value)
    return value


def csv_cell(value: Any) -> str:
    """A stored value as one CSV cell, formula-safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, str):
        return safe_text(value)
    return str(json_value(value))


def write_jsonl(records: Iterator[dict[str, Any]], out: TextIO) -> int:
    """One JSON object per line; returns how many."""
    count = 0
    for record in records:
        out.write(json.dumps({k: json_value(v) for k, v in record.items()}, ensure_ascii=False))
        out.write("\n")
        count += 1
    return count


def write_csv(records: Iterator[dict[str, Any]], columns: list[str], out: TextIO) -> int:
    """A header row, then one row per record; returns how many records."""
    writer = csv.writer(out)
    writer.writerow(columns)
    count = 0
    for record in records:
        writer.writerow([csv_cell(record[name]) for name in columns])
        count += 1
    return count
