"""XLSX sheets as grids of plain values, through openpyxl in read-only, data-only mode.

Read-only keeps memory flat whatever the workbook's size; data-only gives each formula's result
as Excel last saved it, never the formula text. Two things openpyxl's read-only mode does not
say are read from the sheet's XML in one extra pass: merged ranges (a date or project merged
down over several rows belongs to each of them) and formulas whose result was never saved (a
file written by a script and not yet opened in Excel), so a row can say why a cell is empty.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import IO, Any
from xml.etree import ElementTree

import openpyxl
from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries

from pmosync.connectors.files.records import Cell
from pmosync.connectors.files.table import Grid, Unreadable

_LAYOUT_TAGS = re.compile(rb"<(?:\w+:)?(?:f|mergeCell)[\s/>]")
"""A formula or a merged range anywhere in a sheet's XML (with or without a prefix)."""
Range = tuple[int, int, int, int]
"""(min column, min row, max column, max row), 1-based, as openpyxl's range_boundaries."""


def _local(tag: str) -> str:
    """An XML tag without its namespace (transitional and strict OOXML differ only there)."""
    return tag.rpartition("}")[2]


def _clock(seconds: float) -> str:
    """A duration or time of day as a person types hours: 7:30 (7:30:15 with seconds)."""
    minutes, second = divmod(round(seconds), 60)
    hour, minute = divmod(minutes, 60)
    return f"{hour}:{minute:02d}:{second:02d}" if second else f"{hour}:{minute:02d}"


def cell_value(value: Any) -> Cell:
    """A value as openpyxl returns it, made JSON-able: date cells as ISO text, times and
    durations as h:mm, blank text as empty."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return _clock(value.hour * 3600 + value.minute * 60 + value.second)
    if isinstance(value, timedelta):
        return _clock(value.total_seconds())
    return str(value)


def _mentions_layout(archive: zipfile.ZipFile, part: str) -> bool:
    """Whether the sheet's XML has a formula or a merged range at all, read in chunks (most
    timesheets have neither, and a scan by regular expression is far cheaper than a parse)."""
    tail = b""
    with archive.open(part) as source:
        while chunk := source.read(1 << 20):
            if _LAYOUT_TAGS.search(tail + chunk):
                return True
            tail = chunk[-16:]
    return False


def _layout(content: bytes, part: str | None) -> tuple[list[Range], frozenset[tuple[int, int]]]:
    """Merged ranges and the (row, 0-based column) of formulas without a saved result."""
    if part is None:
        return [], frozenset()
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        if not _mentions_layout(archive, part):
            return [], frozenset()
        with archive.open(part) as source:
            return _scan(source)


def _scan(source: IO[bytes]) -> tuple[list[Range], frozenset[tuple[int, int]]]:
    merged: list[Range] = []
    uncalculated: set[tuple[int, int]] = set()
    for _, element in ElementTree.iterparse(source):
        tag = _local(element.tag)
        if tag == "c":
            children = {_local(child.tag): child for child in element}
            value = children.get("v")
            saved = value is not None and value.text
            # an empty text result is saved as <v></v> with t="str"
            if "f" in children and not saved and element.get("t") != "str":
                reference = element.get("r")
                if reference:
                    row, column = coordinate_to_tuple(reference)
                    uncalculated.add((row, column - 1))
        elif tag == "mergeCell" and element.get("ref"):
            merged.append(range_boundaries(element.get("ref")))
        elif tag == "row":
            element.clear()
    return merged, frozenset(uncalculated)


def _fill_merged(rows: list[list[Cell]], merged: Sequence[Range]) -> None:
    """Give each row of a range merged down a column the value shown in its top cell."""
    for min_col, min_row, _, max_row in merged:
        if max_row <= min_row or min_row > len(rows):
            continue
        top = rows[min_row - 1]
        value = top[min_col - 1] if min_col <= len(top) else None
        for number in range(min_row + 1, min(max_row, len(rows)) + 1):
            row = rows[number - 1]
            row.extend([None] * (min_col - len(row)))
            if row[min_col - 1] is None:
                row[min_col - 1] = value


def _worksheet(name: str, workbook: Any, sheet: str | None) -> Any:
    """The sheet asked for (exactly, else the one whose name differs only in case or spaces),
    or the first worksheet when none is named."""
    if sheet is None:
        if not workbook.worksheets:
            raise Unreadable(f"{name} has no worksheets")
        return workbook.worksheets[0]
    names = workbook.sheetnames
    chosen = sheet if sheet in names else None
    if chosen is None:
        alike = [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
        chosen = alike[0] if len(alike) == 1 else None
    if chosen is None:
        listed = ", ".join(names)
        raise Unreadable(f"{name} has no sheet {sheet!r} (its sheets: {listed})", sheet)
    found = workbook[chosen]
    if found not in workbook.worksheets:
        raise Unreadable(f"{name}: sheet {chosen!r} is a chart, not a table of rows", chosen)
    return found


def _why(error: Exception) -> str:
    detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


def read_xlsx(name: str, content: bytes, sheet: str | None) -> Grid:
    """The grid of ``sheet`` (default the first) of an XLSX file; Unreadable if it is not one.

    Everything openpyxl may raise on a damaged file (bad zip, missing parts, broken XML) ends
    here as one sentence naming the file: a user's file is input, not a bug.
    """
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # any parser failure means the same to the user
        raise Unreadable(f"{name} is not a readable XLSX file ({_why(error)})") from None
    try:
        worksheet = _worksheet(name, workbook, sheet)
        title = worksheet.title
        merged, uncalculated = _layout(content, getattr(worksheet, "_worksheet_path", None))
        worksheet.reset_dimensions()  # some writers record a wrong size; read every row
        rows = [
            [cell_value(value) for value in values]
            for values in worksheet.iter_rows(min_row=1, min_col=1, values_only=True)
        ]
    except Unreadable:
        raise
    except Exception as error:  # damage found only while reading the sheet itself
        raise Unreadable(f"{name} is not a readable XLSX file ({_why(error)})", sheet) from None
    finally:
        workbook.close()
    _fill_merged(rows, merged)
    return Grid(title, list(enumerate(rows, 1)), uncalculated)
