"""The raw records a workbook becomes: one per row, or one naming why the file is unreadable.

These dicts are what the mapping receives and what the quarantine keeps verbatim, so they are
plain JSON and say where they came from (file, sheet, row) in terms the person who keeps the
workbook recognises. Their keys (file, sheet, row) are the mapping's too, so they are built in
``pmosync.contracts.workbooks`` and nowhere else, and re-exported here for the connectors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pmosync.contracts.workbooks import (
    REFUSED_ROWS,
    Cell,
    file_prefix,
    id_key,
    problem_key,
    record_key,
    row_id,
    row_key,
)

__all__ = [
    "REFUSED_ROWS",
    "Cell",
    "file_prefix",
    "id_key",
    "problem_key",
    "problem_record",
    "record_key",
    "row_key",
    "row_id",
    "row_record",
]


def row_record(
    *,
    file: str,
    file_key: str,
    url: str | None,
    sheet: str | None,
    row: int,
    cells: Mapping[str, Cell],
    duplicate_of: int | None = None,
    key_id: str | None = None,
) -> dict[str, Any]:
    """One data row of a sheet, its cells keyed by canonical column name; ``key_id`` (the
    row's own id, ``row_id``) keys it instead of its row number."""
    extra = {"key_id": key_id} if key_id is not None else {}
    return {
        "file": file,
        "file_key": file_key,
        "url": url,
        "sheet": sheet,
        "row": row,
        "cells": dict(cells),
        "duplicate_of": duplicate_of,
        **extra,
    }


def problem_record(
    *, file: str, file_key: str, url: str | None, sheet: str | None, problem: str
) -> dict[str, Any]:
    """A file that could not be read at all; ``problem`` is the whole sentence to show."""
    return {
        "file": file,
        "file_key": file_key,
        "url": url,
        "sheet": sheet,
        "row": None,
        "cells": {},
        "duplicate_of": None,
        "problem": problem,
    }
