"""Read one timesheet or cost workbook (XLSX or CSV) into raw row records.

The kind of file is told by its first bytes before its name: a workbook saved with the wrong
extension still reads, and the files that cannot be read say why in terms the person who keeps
them can act on: a password, an old .xls, a damaged file, a missing sheet or header, a file
over one of the limits (see ``limits``).

``open_workbook`` is the streaming reader the sync uses: it checks the whole file first and then
yields its records one at a time; ``read_workbook`` holds them all, for a single small file.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO, Any

from pmosync.connectors.files.csv_text import read_csv
from pmosync.connectors.files.limits import Limits
from pmosync.connectors.files.records import problem_record
from pmosync.connectors.files.table import (
    Grid,
    Origin,
    Unreadable,
    WorkbookRead,
    scan_table,
    table_records,
)
from pmosync.connectors.files.xlsx import open_xlsx

OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
"""Compound File Binary: Excel 97-2003 workbooks, and encrypted workbooks of any version."""
ZIP_MAGIC = b"PK\x03\x04"
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
"""The stream an encrypted (password to open) Office file carries, as its directory names it."""
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xltx", ".xltm"})
_CHUNK = 1 << 20


def _holds(source: IO[bytes], needle: bytes) -> bool:
    """Whether the file contains ``needle``, read in chunks."""
    source.seek(0)
    tail = b""
    while chunk := source.read(_CHUNK):
        if needle in tail + chunk:
            return True
        tail = chunk[-len(needle) :]
    return False


@contextmanager
def _grid(
    name: str,
    source: IO[bytes],
    columns: Mapping[str, str],
    sheet: str | None,
    encoding: str | None,
    limits: Limits,
) -> Iterator[Grid]:
    suffix = PurePosixPath(name).suffix.lower()
    source.seek(0)
    magic = source.read(len(OLE_MAGIC))
    if magic.startswith(OLE_MAGIC):
        if _holds(source, ENCRYPTION_STREAM):
            raise Unreadable(
                f"{name} is password-protected; save a copy without a password for pmosync"
            )
        raise Unreadable(f"{name} is an Excel 97-2003 .xls; save it as .xlsx")
    if suffix == ".xlsb":
        raise Unreadable(f"{name} is an Excel binary workbook (.xlsb); save it as .xlsx")
    if suffix == ".xls":
        raise Unreadable(f"{name} is an Excel 97-2003 .xls; save it as .xlsx")
    if magic.startswith(ZIP_MAGIC):
        source.seek(0)
        with open_xlsx(name, source, sheet, limits) as grid:
            yield grid
        return
    if suffix in XLSX_SUFFIXES:
        raise Unreadable(f"{name} is not a readable XLSX file (not a zip archive)")
    yield read_csv(name, source, encoding, columns, limits)


@dataclass(slots=True)
class OpenWorkbook:
    """One file checked whole and ready to yield its records, or the problem that stops it."""

    records: Callable[[], Iterator[dict[str, Any]]]
    """The file's records, read from the file as they are taken (call once)."""
    present: frozenset[str] = frozenset()
    """Keys of the rows the file holds (``WorkbookRead.present``)."""
    rows: int = 0
    """How many records ``records`` yields."""
    problem: str | None = None
    warnings: list[str] = field(default_factory=list)


@contextmanager
def open_workbook(
    name: str,
    source: IO[bytes] | bytes,
    *,
    columns: Mapping[str, str],
    sheet: str | None = None,
    encoding: str | None = None,
    key: str | None = None,
    url: str | None = None,
    limits: Limits | None = None,
) -> Iterator[OpenWorkbook]:
    """One file, checked in full (limits, header, duplicates, date order) before any record
    is yielded, so a file refused late is refused before any of its rows is written.

    ``columns`` maps canonical column names to the header texts to look for; ``sheet`` names
    the worksheet (default the first; ignored for CSV); ``encoding`` is the CSV's text encoding
    (default: detect). ``key`` (default ``name``) and ``url`` identify the file in the records.
    ``source`` must stay open (and seekable) while the context lasts.
    """
    origin = Origin(name, key or name, url)
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    limits = limits or Limits.defaults()
    with ExitStack() as stack:
        try:
            grid = stack.enter_context(_grid(name, stream, columns, sheet, encoding, limits))
            scan = scan_table(grid, columns, origin, limits)
        except Unreadable as problem:
            record = problem_record(
                file=name, file_key=origin.key, url=url, sheet=problem.sheet, problem=str(problem)
            )
            yield OpenWorkbook(lambda: iter([record]), rows=1, problem=str(problem))
            return
        yield OpenWorkbook(
            lambda: table_records(grid, scan, origin),
            scan.present,
            scan.rows,
            warnings=scan.warnings,
        )


def read_workbook(
    name: str,
    content: IO[bytes] | bytes,
    *,
    columns: Mapping[str, str],
    sheet: str | None = None,
    encoding: str | None = None,
    key: str | None = None,
    url: str | None = None,
    limits: Limits | None = None,
) -> WorkbookRead:
    """The rows of one file as raw records held in memory, or one problem record if it cannot
    be read (see ``open_workbook``, which this wraps)."""
    options: dict[str, Any] = {"sheet": sheet, "encoding": encoding, "key": key, "url": url}
    with open_workbook(name, content, columns=columns, limits=limits, **options) as read:
        try:
            return WorkbookRead(list(read.records()), read.problem, read.warnings)
        except Unreadable as problem:  # the second pass found what the first did not
            record = problem_record(
                file=name, file_key=key or name, url=url, sheet=problem.sheet, problem=str(problem)
            )
            return WorkbookRead([record], str(problem))
