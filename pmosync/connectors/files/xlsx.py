"""XLSX sheets as grids of plain values, through openpyxl in read-only, data-only mode.

Read-only keeps memory flat whatever the workbook's size; data-only gives each formula's result
as Excel last saved it, never the formula text. Two things openpyxl's read-only mode does not
say are read from the sheet's XML in one extra pass: merged ranges (a date or project merged
down over several rows belongs to each of them) and formulas whose result was never saved (a
file written by a script and not yet opened in Excel), so a row can say why a cell is empty.

Before openpyxl sees a file, every XML part of it is parsed once through defusedxml with DTDs
forbidden (Excel never writes one; entity expansion, "billion laughs", needs one), its unpacked
bytes counted against ``max_unpacked_mb`` as they stream (the zip's declared sizes are checked
first but not trusted), its text runs held to ``max_cell_chars``, its rows and shared texts to
``max_rows``. openpyxl's own parsing then only meets XML that passed, and it parses through
defusedxml as well (it does whenever defusedxml is installed, a dependency of pmosync).
"""

from __future__ import annotations

import codecs
import re
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import IO, Any
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler

import defusedxml.ElementTree
import defusedxml.sax
import openpyxl
from defusedxml import DefusedXmlException
from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries

from pmosync.connectors.files.limits import Budget, CountedReader, Limits, TooLarge
from pmosync.connectors.files.records import Cell
from pmosync.connectors.files.table import Grid, Rows, Unreadable

_LAYOUT_TAGS = re.compile(rb"<(?:\w+:)?(?:f|mergeCell)[\s/>]")
"""A formula or a merged range anywhere in a sheet's XML (with or without a prefix)."""
Range = tuple[int, int, int, int]
"""(min column, min row, max column, max row), 1-based, as openpyxl's range_boundaries."""


_UNPARSED = ".vml"
"""Legacy drawings (comment boxes): often not well-formed XML, never parsed by openpyxl's
read-only mode; their unpacked bytes are still counted."""
_WHITESPACE = b" \t\r\n"


def _local(tag: str) -> str:
    """An XML tag without its namespace (transitional and strict OOXML differ only there)."""
    return tag.rpartition("}")[2].rpartition(":")[2]


def _looks_like_xml(head: bytes) -> bool:
    """Whether a part's first bytes start an XML document (binary parts, images and the VBA
    project, are neither parsed by any reader nor checked here)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    return head.removeprefix(codecs.BOM_UTF8).lstrip(_WHITESPACE).startswith(b"<")


class _Guard(ContentHandler):
    """Holds one part's text runs, rows and shared texts to the limits while it is parsed.

    Every part under ``xl/`` is held to them, whatever its name: a workbook's relationships
    may call its sheet anything, so the parts are not trusted to be what their names say."""

    def __init__(self, name: str, part: str, limits: Limits) -> None:
        super().__init__()
        self.name = name
        self.limits = limits
        self.checked = part.lower().startswith("xl/")
        self.run = 0
        self.rows = self.texts = 0

    def startElement(self, name: str, attrs: Any) -> None:  # noqa: N802 (SAX's name)
        self.run = 0
        if not self.checked:
            return
        local = _local(name)
        if local == "row":
            self.rows += 1
            if self.rows > self.limits.rows:
                raise self.limits.too_many_rows(self.name)
        elif local == "si":
            self.texts += 1
            if self.texts > self.limits.rows:
                raise self.limits.too_many_texts(self.name)

    def endElement(self, name: str) -> None:  # noqa: N802 (SAX's name)
        self.run = 0

    def characters(self, content: str) -> None:
        self.run += len(content)
        if self.checked and self.run > self.limits.cell_chars:
            raise self.limits.long_cell(self.name)


def _xml_parts(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The parts that are XML by their content, not their name."""
    parts = []
    for info in archive.infolist():
        with archive.open(info) as raw:
            if _looks_like_xml(raw.read(64)):
                parts.append(info)
    return parts


def check_archive(name: str, archive: zipfile.ZipFile, limits: Limits) -> None:
    """Parse every XML part once, defused and counted; TooLarge or Unreadable if one fails."""
    try:
        parts = _xml_parts(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as error:
        raise Unreadable(f"{name} is not a readable XLSX file ({_why(error)})") from None
    if sum(info.file_size for info in parts) > limits.unpacked_bytes:
        raise limits.unpacked(name)  # the declared sizes already say no
    budget = Budget(name, limits)
    for info in parts:
        try:
            with archive.open(info) as raw:
                counted = CountedReader(raw, budget)
                if info.filename.lower().endswith(_UNPARSED):
                    while counted.read(1 << 20):
                        pass
                    continue
                guard = _Guard(name, info.filename, limits)
                defusedxml.sax.parse(counted, guard, forbid_dtd=True)
        except TooLarge:
            raise
        except DefusedXmlException:
            raise Unreadable(
                f"{name} is refused: its part {info.filename} declares a DTD or entities, "
                "which Excel never writes (an entity-expansion attack?)"
            ) from None
        except SAXParseException as error:
            raise Unreadable(
                f"{name} is not a readable XLSX file ({info.filename}: {error.getMessage()} "
                f"at line {error.getLineNumber()})"
            ) from None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as error:
            raise Unreadable(f"{name} is not a readable XLSX file ({_why(error)})") from None


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


def _layout(source: IO[bytes], part: str | None) -> tuple[list[Range], frozenset[tuple[int, int]]]:
    """Merged ranges and the (row, 0-based column) of formulas without a saved result."""
    if part is None:
        return [], frozenset()
    with zipfile.ZipFile(source) as archive:
        if not _mentions_layout(archive, part):
            return [], frozenset()
        with archive.open(part) as xml:
            return _scan(xml)


def _scan(source: IO[bytes]) -> tuple[list[Range], frozenset[tuple[int, int]]]:
    merged: list[Range] = []
    uncalculated: set[tuple[int, int]] = set()
    path: list[Any] = []
    for event, element in defusedxml.ElementTree.iterparse(
        source, events=("start", "end"), forbid_dtd=True
    ):
        if event == "start":
            path.append(element)
            continue
        path.pop()
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
        elif tag == "row" and path:
            del path[-1][-1]  # a finished row is dropped, so the tree never grows with the sheet
    return merged, frozenset(uncalculated)


def _filled(rows: Iterator[list[Cell]], merged: Sequence[Range]) -> Rows:
    """Numbered rows, each cell of a range merged down a column given its top cell's value."""
    starts: dict[int, list[Range]] = {}
    for bounds in merged:
        if bounds[3] > bounds[1]:
            starts.setdefault(bounds[1], []).append(bounds)
    active: list[tuple[int, int, Cell]] = []
    """(0-based column, last row, value) of the merged ranges the current row lies in."""
    for number, row in enumerate(rows, 1):
        active = [fill for fill in active if fill[1] >= number]
        for column, _, value in active:
            row.extend([None] * (column + 1 - len(row)))
            if row[column] is None:
                row[column] = value
        for min_col, _, _, max_row in starts.get(number, ()):
            active.append((min_col - 1, max_row, row[min_col - 1] if min_col <= len(row) else None))
        yield number, row


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


def _unreadable(name: str, error: Exception, sheet: str | None = None) -> Unreadable:
    return Unreadable(f"{name} is not a readable XLSX file ({_why(error)})", sheet)


@contextmanager
def open_xlsx(name: str, source: IO[bytes], sheet: str | None, limits: Limits) -> Iterator[Grid]:
    """The grid of ``sheet`` (default the first) of an XLSX file, readable while the context
    lasts; Unreadable if it is not one, TooLarge if it is over a limit.

    Everything openpyxl may raise on a damaged file (bad zip, missing parts, broken XML) ends
    here as one sentence naming the file: a user's file is input, not a bug.
    """
    try:
        with zipfile.ZipFile(source) as archive:
            check_archive(name, archive, limits)
        source.seek(0)
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Unreadable:
        raise
    except Exception as error:  # any parser failure means the same to the user
        raise _unreadable(name, error) from None
    try:
        worksheet = _worksheet(name, workbook, sheet)
        title = worksheet.title
        merged, uncalculated = _layout(source, getattr(worksheet, "_worksheet_path", None))
        worksheet.reset_dimensions()  # some writers record a wrong size; read every row
    except Unreadable:
        workbook.close()
        raise
    except Exception as error:  # damage found only while reading the sheet itself
        workbook.close()
        raise _unreadable(name, error, sheet) from None

    def rows() -> Rows:
        values = (
            [cell_value(value) for value in row]
            for row in worksheet.iter_rows(min_row=1, min_col=1, values_only=True)
        )
        try:
            yield from _filled(values, merged)
        except Unreadable:
            raise
        except Exception as error:  # damage found only while reading the rows
            raise _unreadable(name, error, title) from None

    try:
        yield Grid(title, rows, uncalculated)
    finally:
        workbook.close()
