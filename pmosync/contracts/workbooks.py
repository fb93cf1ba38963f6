"""The keys of a workbook's raw records: built by the files connectors, read by the mapping.

A key names a row (file, sheet, 1-based row; or file and the row's own id, for a request
sheet with an id column) or the file itself when it cannot be read; the
stream lists them as the rows present in a file, the mapping uses them as ``source_id`` and
quarantine key, and the engine retires a file's rows by their common prefix. Both layers
import them from here, so neither imports the other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

Cell = str | int | float | bool | None
"""A cell as a raw record holds it: text, a number, a flag, empty; dates as ISO text."""


REFUSED_ROWS = "refused-rows"
"""The kind of the ``Reconcile`` a file's later pages carry: "retire the earlier entries of
this page's rows that no longer map". The stream cannot know which those are, the mapping
does; the file's first page carries the ordinary reconcile of its rows."""


def file_prefix(file_key: str) -> str:
    """What every key of one file's records starts with."""
    return f"{file_key}#"


def row_key(file_key: str, sheet: str | None, row: int) -> str:
    """A row's key: the file, the sheet (empty for CSV) and the 1-based row number."""
    return f"{file_prefix(file_key)}{sheet or ''}!{row}"


MAX_ID = 40
"""Longest row id kept as is in a key; a longer one keeps its start and a digest of the whole."""


def row_id(value: Any) -> str | None:
    """A row's own id (a request's ``id`` cell) as its key holds it: text trimmed, an integral
    number as the whole number it is; None when empty."""
    if value is None or isinstance(value, bool):
        return None
    text = _name(value)
    if len(text) > MAX_ID:
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        text = f"{text[: MAX_ID - 17]}~{digest}"
    return text or None


def id_key(file_key: str, ident: str) -> str:
    """The key of a row known by its own id (``row_id``): a request keeps it when the sheet
    is sorted, where a row number would not."""
    return f"{file_prefix(file_key)}id:{ident}"


def problem_key(file_key: str) -> str:
    """The key of the record saying a file could not be read."""
    return f"{file_prefix(file_key)}file"


def record_key(raw: Mapping[str, Any]) -> str | None:
    """The key of a raw record of this module's shape, None if it is not one."""
    file_key = raw.get("file_key")
    if not isinstance(file_key, str) or not file_key:
        return None
    if raw.get("problem") is not None:
        return problem_key(file_key)
    ident = raw.get("key_id")
    if isinstance(ident, str) and ident:
        return id_key(file_key, ident)
    row = raw.get("row")
    sheet = raw.get("sheet")
    if isinstance(row, bool) or not isinstance(row, int) or not isinstance(sheet, str | None):
        return None
    return row_key(file_key, sheet, row)


REF_SEP = "\x1f"
"""Between the parts of a name reference (a character no cell text holds)."""


def _name(value: Any) -> str:
    """A cell as the mapping reads a name: numbers as written (an id stays whole)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def name_refs(cells: Mapping[str, Any]) -> list[str]:
    """The names one row looks up, as the checkpoint keeps them: ``p`` its project, ``t`` its
    task within that project, ``e`` its person. The files stream keeps them per file; the
    mapping says what they resolve to (``parse_ref`` splits one again)."""
    project, task, person = (cells.get(name) for name in ("project", "task", "person"))
    refs = []
    if project is not None:
        refs.append(f"p{REF_SEP}{_name(project)}")
        if task is not None:
            refs.append(f"t{REF_SEP}{_name(project)}{REF_SEP}{_name(task)}")
    if person is not None:
        refs.append(f"e{REF_SEP}{_name(person)}")
    return refs


def parse_ref(ref: str) -> tuple[str, list[str]]:
    """(kind, parts) of a reference made by ``name_refs``."""
    kind, *parts = ref.split(REF_SEP)
    return kind, parts
