"""From a sheet's grid of cells to raw row records: find the header, read the rows under it.

XLSX and CSV differ only in how the grid is read; what a timesheet looks like is the same in
both. People put a title, a logo or a blank line above the header, so the header is searched
for (the first row that holds every configured header text) rather than assumed to be row 1.

A grid is read twice and never held whole: ``scan_table`` walks it once to find the header,
check the limits, tell duplicates and settle the date order (which needs every row), keeping
only what the second pass needs; ``table_records`` then yields the records one at a time, so
memory follows a page of rows, not the file. A file over a limit is refused by the first pass,
before any of its rows is written.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pmosync.connectors.files.records import Cell, id_key, record_key, row_id, row_key, row_record

if TYPE_CHECKING:
    from pmosync.connectors.files.limits import Limits

HEADER_SEARCH_ROWS = 20
"""How far down the header may sit (titles, notes and logos above it)."""

_SLASH_DATE = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})$")


class Unreadable(Exception):
    """A file (or its sheet) cannot be read at all; ``str()`` is the sentence to show."""

    def __init__(self, message: str, sheet: str | None = None) -> None:
        super().__init__(message)
        self.sheet = sheet


Rows = Iterator[tuple[int, Sequence[Cell]]]


@dataclass(slots=True)
class Grid:
    """The cells of one sheet (or CSV file) as read, before any meaning is given to them."""

    sheet: str | None
    """The sheet's name; None for a CSV file."""
    rows: Callable[[], Rows]
    """A fresh pass over (1-based row number, cell values left to right) at each call; rows
    may be ragged. Called twice: once to check the file, once to emit its records."""
    uncalculated: frozenset[tuple[int, int]] = frozenset()
    """(row number, 0-based column) of formulas whose result was never saved in the file."""

    @classmethod
    def of(cls, sheet: str | None, rows: Sequence[tuple[int, Sequence[Cell]]]) -> Grid:
        """A grid over rows already in memory (a test's, a small sample's)."""
        return cls(sheet, lambda: iter(rows))


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
            str(record_key(r))
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


class _DateOrder:
    """``DMY`` or ``MDY`` when the sheet's slashed dates (03/04/2026) settle which comes
    first (some day above 12 sits in one place only); None when nothing settles it."""

    def __init__(self) -> None:
        self.day_first = self.month_first = False

    def add(self, value: Cell) -> None:
        match = _SLASH_DATE.match(value.strip()) if isinstance(value, str) else None
        if match:
            self.day_first |= int(match[1]) > 12
            self.month_first |= int(match[2]) > 12

    @property
    def order(self) -> str | None:
        if self.day_first != self.month_first:
            return "DMY" if self.day_first else "MDY"
        return None


def _digest(cells: Mapping[str, Cell]) -> bytes:
    """What two rows with equal configured cells share (a digest, so the first pass keeps 16
    bytes per row rather than the row); integral floats count as the integers they equal."""
    shown = [
        (name, int(value) if isinstance(value, float) and value.is_integer() else value)
        for name, value in cells.items()
    ]
    return hashlib.blake2b(repr(shown).encode(), digest_size=16).digest()


@dataclass(slots=True)
class TableScan:
    """What the first pass learnt, all the second pass needs besides the grid itself."""

    where: str
    header: int = 0
    positions: dict[str, int] = field(default_factory=dict)
    present: frozenset[str] = frozenset()
    """Keys of the rows the file holds, duplicates not counted (see ``WorkbookRead``)."""
    duplicate_of: dict[int, int] = field(default_factory=dict)
    """Row number -> the earlier row it repeats."""
    date_order: str | None = None
    rows: int = 0
    """How many records the second pass yields."""
    warnings: list[str] = field(default_factory=list)


def _cells(values: Sequence[Cell], positions: Mapping[str, int]) -> dict[str, Cell]:
    return {name: values[i] if i < len(values) else None for name, i in positions.items()}


def _checked(grid: Grid, where: str, limits: Limits) -> Rows:
    """The grid's rows, TooLarge at the first row past ``max_rows`` or cell past the limit."""
    for number, values in grid.rows():
        if number > limits.rows:
            raise limits.too_many_rows(where, grid.sheet)
        for value in values:
            limits.check_cell(where, value, grid.sheet)
        yield number, values


def scan_table(grid: Grid, columns: Mapping[str, str], origin: Origin, limits: Limits) -> TableScan:
    """The first pass over ``grid``; Unreadable (TooLarge) when the file cannot be used."""
    where = origin.name if grid.sheet is None else f"{origin.name}, sheet {grid.sheet}"
    scan = TableScan(where)
    rows = _checked(grid, where, limits)
    head: list[tuple[int, Sequence[Cell]]] = []
    for number, values in rows:
        head.append((number, values))
        if number >= HEADER_SEARCH_ROWS:
            break
    try:
        scan.header, scan.positions = find_header(head, columns, where, grid.sheet)
    except Unreadable:
        if all(is_blank(values) for _, values in head) and all(is_blank(v) for _, v in rows):
            scan.warnings.append(f"{where} is empty")
            return scan
        raise
    present: set[str] = set()
    first_row: dict[bytes, int] = {}
    dates = _DateOrder()
    for number, values in _chain(head, rows):
        if number <= scan.header:
            continue
        cells = _cells(values, scan.positions)
        if is_blank(list(cells.values())):
            continue
        scan.rows += 1
        dates.add(cells.get("date"))
        ident = row_id(cells.get("id"))
        # cells whose formula has no saved result are unknown, not equal to anything
        if ident is not None:  # a row with its own id repeats the row with the same id
            first = first_row.setdefault(b"id:" + ident.encode(), number)
        elif any((number, i) in grid.uncalculated for i in scan.positions.values()):
            first = number
        else:
            first = first_row.setdefault(_digest(cells), number)
        if first != number:
            scan.duplicate_of[number] = first
        elif ident is not None:
            present.add(id_key(origin.key, ident))
        else:
            present.add(row_key(origin.key, grid.sheet, number))
    scan.present = frozenset(present)
    scan.date_order = dates.order
    if not scan.rows:
        scan.warnings.append(f"{where} has a header but no rows under it")
    return scan


def _chain(head: list[tuple[int, Sequence[Cell]]], rest: Rows) -> Rows:
    yield from head
    yield from rest


def table_records(grid: Grid, scan: TableScan, origin: Origin) -> Iterator[dict[str, Any]]:
    """The second pass: the data rows under the header of ``grid`` as raw records.

    Rows with nothing in any configured column are skipped (a totals row whose formula was
    never saved too); a row whose configured cells equal an earlier row's carries
    ``duplicate_of`` (that row's number) so the mapping can refuse it instead of counting the
    hours twice.
    """
    if not scan.positions:
        return
    for number, values in grid.rows():
        if number <= scan.header:
            continue
        cells = _cells(values, scan.positions)
        if is_blank(list(cells.values())):
            continue
        record = row_record(
            file=origin.name,
            file_key=origin.key,
            url=origin.url,
            sheet=grid.sheet,
            row=number,
            cells=cells,
            duplicate_of=scan.duplicate_of.get(number),
            # a repeated id keeps its row's own key, so its refusal is not the first row's
            key_id=None if number in scan.duplicate_of else row_id(cells.get("id")),
        )
        uncalculated = [
            name for name, i in scan.positions.items() if (number, i) in grid.uncalculated
        ]
        if uncalculated:
            record["uncalculated"] = uncalculated
        if scan.date_order is not None:
            record["date_order"] = scan.date_order
        yield record
