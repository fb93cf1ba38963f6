"""Read one timesheet or cost workbook (XLSX or CSV) into raw row records.

The kind of file is told by its first bytes before its name: a workbook saved with the wrong
extension still reads, and the files that cannot be read say why in terms the person who keeps
them can act on: a password, an old .xls, a damaged file, a missing sheet or header.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath

from pmosync.connectors.files.csv_text import read_csv
from pmosync.connectors.files.records import problem_record
from pmosync.connectors.files.table import Grid, Origin, Unreadable, WorkbookRead, read_table
from pmosync.connectors.files.xlsx import read_xlsx

OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
"""Compound File Binary: Excel 97-2003 workbooks, and encrypted workbooks of any version."""
ZIP_MAGIC = b"PK\x03\x04"
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
"""The stream an encrypted (password to open) Office file carries, as its directory names it."""
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xltx", ".xltm"})


def _grid(
    name: str,
    content: bytes,
    columns: Mapping[str, str],
    sheet: str | None,
    encoding: str | None,
) -> Grid:
    suffix = PurePosixPath(name).suffix.lower()
    if content.startswith(OLE_MAGIC):
        if ENCRYPTION_STREAM in content:
            raise Unreadable(
                f"{name} is password-protected; save a copy without a password for pmosync"
            )
        raise Unreadable(f"{name} is an Excel 97-2003 .xls; save it as .xlsx")
    if suffix == ".xlsb":
        raise Unreadable(f"{name} is an Excel binary workbook (.xlsb); save it as .xlsx")
    if suffix == ".xls":
        raise Unreadable(f"{name} is an Excel 97-2003 .xls; save it as .xlsx")
    if content.startswith(ZIP_MAGIC):
        return read_xlsx(name, content, sheet)
    if suffix in XLSX_SUFFIXES:
        raise Unreadable(f"{name} is not a readable XLSX file (not a zip archive)")
    return read_csv(name, content, encoding, columns)


def read_workbook(
    name: str,
    content: bytes,
    *,
    columns: Mapping[str, str],
    sheet: str | None = None,
    encoding: str | None = None,
    key: str | None = None,
    url: str | None = None,
) -> WorkbookRead:
    """The rows of one file as raw records, or one problem record if it cannot be read.

    ``columns`` maps canonical column names to the header texts to look for; ``sheet`` names
    the worksheet (default the first; ignored for CSV); ``encoding`` is the CSV's text encoding
    (default: detect). ``key`` (default ``name``) and ``url`` identify the file in the records.
    """
    origin = Origin(name, key or name, url)
    try:
        grid = _grid(name, content, columns, sheet, encoding)
        return read_table(grid, columns, origin)
    except Unreadable as problem:
        record = problem_record(
            file=name, file_key=origin.key, url=url, sheet=problem.sheet, problem=str(problem)
        )
        return WorkbookRead([record], problem=str(problem))
