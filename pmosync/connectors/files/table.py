"""From a sheet's grid of cells to raw row records: find the header, read the rows under it.

XLSX and CSV differ only in how the grid is read; what a timesheet looks like is the same in
both. People put a title, a logo or a blank line above the header, so the header is searched
for (the first row that holds every configured header text) rather than assumed to be row 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pmosync.connectors.files.records import Cell, row_key, row_record

HEADER_SEARCH_ROWS = 20
"""How far down the header may sit (titles, notes and logos above it)."""

_SLASH_DATE = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})$")


class Unreadable(Exception):
    """A file (or its sheet) cannot be read at all; ``str()`` is the sentence to show."""

    def __init__(self, message: str, sheet: str | None = None) -> None:
        super().__init__(message)
        self.sheet = sheet


@dataclass(slots=True)
class Grid:
    """The cells of one sheet (or CSV file) as read, before any meaning is given to them."""

    sheet: str | None
    """The sheet's name; None for a CSV file."""
    rows: list[tuple[int, Sequence[Cell]]]
    """(1-based row number, cell values left to right); rows may be ragged."""
    uncalculated: frozenset[tuple[int, int]] = frozenset()
    """(row number, 0-based column) of formulas whose result was never saved in the file."""


@dataclass(frozen=True, slots=True)
class Origin:
    """Which file the grid came from, as the raw records name it."""

    name: str
    key: str
    url: str | None = None


@dataclass(slots=True)
class WorkbookRead:
    """What one file yields: row records, or one problem record when it cannot be read."""

    records: list[dict[str, Any]] = field(default_factory=list)
    problem: str | None = None
    """Why the file could not be read at all (its previous rows then stay as they were)."""
    warnings: list[str] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return self.problem is None

    def present(self) -> frozenset[str]:
        """Keys of the rows the file now holds; a duplicate row does not count, so a row that
        became a copy of another no longer keeps its earlier entry alive."""
        return frozenset(
            row_key(r["file_key"], r["sheet"], r["row"])
            for r in self.records
            if r.get("problem") is None and r["duplicate_of"] is None
        )


def header_key(value: Cell) -> str:
    """How header texts compare: trimmed, inner whitespace collapsed, case-insensitive."""
    return " ".join(str(value).split()).casefold() if value is not None else ""


def _positions(values: Sequence[Cell]) -> dict[str, int]:
    """Header text key -> its first column in one row."""
    found: dict[str, int] = {}
    for index, value in enumerate(values):
        key = header_key(value)
        if key:
            found.setdefault(key, index)
    return found


def find_header(
    rows: Iterable[tuple[int, Sequence[Cell]]],
    columns: Mapping[str, str],
    where: str,
    sheet: str | None = None,
) -> tuple[int, dict[str, int]]:
    """(header row, canonical name -> column): the first of the first rows that holds every
    configured header; Unreadable naming the headers missing from the closest row otherwise."""
    wanted = {name: header_key(text) for name, text in columns.items()}
    shown = {name: " ".join(text.split()) for name, text in columns.items()}
    closest: list[str] = list(shown.values())
    for number, values in rows:
        if number > HEADER_SEARCH_ROWS:
            break
        found = _positions(values)
        missing = [shown[name] for name, key in wanted.items() if key not in found]
        if not missing:
            return number, {name: found[key] for name, key in wanted.items()}
        if len(missing) < len(closest):
            closest = missing
    raise Unreadable(
        f"{where} has no header row with {', '.join(shown.values())} in its first "
        f"{HEADER_SEARCH_ROWS} rows (missing: {', '.join(closest)})",
        sheet,
    )


def is_blank(values: Sequence[Cell]) -> bool:
    return all(value is None for value in values)


def date_order(records: Iterable[Mapping[str, Any]]) -> str | None:
    """``DMY`` or ``MDY`` when the sheet's slashed dates (03/04/2026) settle which comes
    first (some day above 12 sits in one place only); None when nothing settles it."""
    day_first = month_first = False
    for record in records:
        value = record["cells"].get("date")
        match = _SLASH_DATE.match(value.strip()) if isinstance(value, str) else None
        if match:
            day_first |= int(match[1]) > 12
            month_first |= int(match[2]) > 12
    if day_first != month_first:
        return "DMY" if day_first else "MDY"
    return None


def read_table(grid: Grid, columns: Mapping[str, str], origin: Origin) -> WorkbookRead:
    """The data rows under the header of ``grid`` as raw records.

    Rows with nothing in any configured column are skipped (a totals row whose formula was
    never saved too); a row whose configured cells equal an earlier row's carries
    ``duplicate_of`` (that row's number) so the mapping can refuse it instead of counting the
    hours twice.
    """
    where = origin.name if grid.sheet is None else f"{origin.name}, sheet {grid.sheet}"
    if all(is_blank(values) for _, values in grid.rows):
        return WorkbookRead(warnings=[f"{where} is empty"])
    header, positions = find_header(grid.rows, columns, where, grid.sheet)
    records: list[dict[str, Any]] = []
    first_row: dict[tuple[tuple[str, Cell], ...], int] = {}
    for number, values in grid.rows:
        if number <= header:
            continue
        cells = {name: values[i] if i < len(values) else None for name, i in positions.items()}
        if is_blank(list(cells.values())):
            continue
        uncalculated = [name for name, i in positions.items() if (number, i) in grid.uncalculated]
        # cells whose formula has no saved result are unknown, not equal to anything
        first = number if uncalculated else first_row.setdefault(tuple(cells.items()), number)
        record = row_record(
            file=origin.name,
            file_key=origin.key,
            url=origin.url,
            sheet=grid.sheet,
            row=number,
            cells=cells,
            duplicate_of=first if first != number else None,
        )
        if uncalculated:
            record["uncalculated"] = uncalculated
        records.append(record)
    order = date_order(records)
    if order is not None:
        for record in records:
            record["date_order"] = order
    warnings = [] if records else [f"{where} has a header but no rows under it"]
    return WorkbookRead(records, warnings=warnings)
