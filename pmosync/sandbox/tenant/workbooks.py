"""Spreadsheet bytes for the tenant's files: XLSX through openpyxl and CSV in any encoding.

The timesheet layout (sheet name, headers, cell types) lives here so the generator, the
``write_timesheet`` mutation and tests all render a row the same way: dates as real date cells,
hours as numbers, billable as the "Yes"/"No" a person types.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from pmosync.sandbox.tenant.model import TimesheetRow

TIMESHEET_SHEET = "Entries"
TIMESHEET_COLUMNS: dict[str, str] = {
    "person": "Email",
    "date": "Date",
    "hours": "Hours",
    "project": "Project",
    "task": "Task",
    "billable": "Billable?",
}
"""Canonical column name -> header text in the generated workbooks (the config maps these)."""


_STAMP = datetime(2026, 1, 1)
"""The created/modified stamp of every generated workbook."""


def render_xlsx(sheet: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """One sheet with a header row; ``date`` values become date cells (``yyyy-mm-dd``).

    Write-only mode streams rows, so a year of timesheets renders in well under a second. The
    document's created/modified stamps are fixed (``workbook.save`` would stamp the wall clock),
    so the same rows give the same bytes and a tenant's snapshot does not depend on the second.
    """
    workbook = Workbook(write_only=True)
    workbook.properties.created = workbook.properties.modified = _STAMP
    worksheet = workbook.create_sheet(sheet)
    worksheet.append(list(header))
    for row in rows:
        worksheet.append(list(row))
    buffer = io.BytesIO()
    with ZipFile(buffer, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(workbook, archive).save()
    return buffer.getvalue()


def _csv_cell(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else value


def render_csv(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    encoding: str = "utf-8",
    *,
    delimiter: str = ",",
) -> bytes:
    """CSV as Excel writes it (CRLF line ends); ``utf-8-sig`` adds the BOM, ``cp1252`` the
    Windows encoding that "Save as CSV" produces in Western Europe."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return buffer.getvalue().encode(encoding)


def timesheet_cells(row: TimesheetRow) -> list[object]:
    """A ground-truth row as the cells of a workbook row, in ``TIMESHEET_COLUMNS`` order."""
    return [
        row.email,
        row.day,
        row.hours,
        row.project,
        row.task or None,
        "Yes" if row.billable else "No",
    ]


def render_timesheet(rows: Iterable[TimesheetRow], sheet: str = TIMESHEET_SHEET) -> bytes:
    """The XLSX of a weekly timesheet holding exactly ``rows``."""
    return render_xlsx(sheet, list(TIMESHEET_COLUMNS.values()), map(timesheet_cells, rows))
