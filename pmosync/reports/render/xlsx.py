"""The report as an Excel workbook: a "Summary" sheet, then one sheet per section.

Written in openpyxl's write-only mode, which streams rows to a temporary file instead of
holding a cell object per value: a 50,000-row section costs megabytes, not a gigabyte. Each
section sheet has a bold, frozen header row with an auto filter and sized columns. Numbers are
numbers with a number format (money 2 places, percent, ratio, hours), dates are real dates,
flags are booleans, undefined is an empty cell (never 0), and text is ALWAYS a text cell:
openpyxl would store a string starting with "=" as a formula, so every text cell is forced to
the string type and goes through the one formula-safety rule of ``cells.safe_text``.
"""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

from pmosync.reports.document import ReportDocument, Section
from pmosync.reports.render.cells import (
    OTHER_RAG,
    RAG_STYLES,
    FileColumn,
    as_text,
    file_columns,
    http_url,
    safe_text,
    typed,
)

NUMBER_FORMATS = {
    "int": "#,##0",
    "number": "#,##0.00",
    "money": "#,##0.00",
    "hours": "#,##0.0",
    "percent": '0.0"%"',  # values are 0..100, not fractions: shown as 45.2%
    "ratio": "0.00",
    "days": "+0;-0;0",
}
DATE_FORMAT = "yyyy-mm-dd"
SHEET_CHARS = 31
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
RESERVED_SHEETS = {"history"}  # Excel keeps "History" for itself
CELL_CHARS = 32_767  # Excel's limit for one cell
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # not in XML 1.0
WIDTH_SAMPLE = 500
MIN_WIDTH, MAX_WIDTH = 8, 60
HYPERLINKS_PER_SHEET = 10_000
"""Excel stops at 65,530 links a sheet; past this the URL column still holds every address."""


class SheetNames:
    """Valid, distinct sheet names: 31 characters at most, none of []:*?/\\, unique in any case."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, wanted: str) -> str:
        name = SHEET_FORBIDDEN.sub(" ", clean_text(as_text(wanted))).replace("\ufffd", " ")
        name = " ".join(name.split()).strip("'")
        name = name[:SHEET_CHARS].rstrip().strip("'") or "Sheet"
        if name.lower() in RESERVED_SHEETS:
            name += " (1)"
        candidate, n = name, 1
        while candidate.lower() in self.used:
            n += 1
            suffix = f" ({n})"
            candidate = name[: SHEET_CHARS - len(suffix)].rstrip().strip("'") + suffix
        self.used.add(candidate.lower())
        return candidate


def clean_text(text: str) -> str:
    """Text a cell can hold: no XML-illegal control characters, at most Excel's 32,767, and
    line breaks as Excel stores them (LF: XML would turn a lone CR into one anyway)."""
    text = ILLEGAL.sub("\ufffd", text).replace("\r\n", "\n").replace("\r", "\n")
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "\u2026"


class _Styles:
    """The cell styles, made once per workbook (openpyxl shares equal styles anyway)."""

    def __init__(self) -> None:
        from openpyxl.styles import Font, PatternFill

        self.header_font = Font(bold=True, color="FFFFFF")
        self.header_fill = PatternFill("solid", fgColor="1F3A5F")
        self.link_font = Font(color="0563C1", underline="single")
        self.rag: dict[str, tuple[Any, Any]] = {}
        for name, (background, color, _) in [*RAG_STYLES.items(), ("", (*OTHER_RAG, ""))]:
            self.rag[name] = (
                PatternFill("solid", fgColor=background.lstrip("#").upper()),
                Font(bold=True, color=color.lstrip("#").upper()),
            )


def _text_cell(sheet, text: str):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=clean_text(safe_text(text)))
    cell.data_type = "s"  # never a formula, whatever the text
    return cell


def _cell(sheet, value: Any, value_type: str, styles: _Styles):
    """One typed cell (None for an empty one)."""
    from openpyxl.cell import WriteOnlyCell

    shown = typed(value, value_type)
    if shown is None:
        return None
    if isinstance(shown, bool):
        return shown
    if isinstance(shown, int | float):
        cell = WriteOnlyCell(sheet, value=shown)
        cell.number_format = NUMBER_FORMATS.get(value_type, "General")
        return cell
    if isinstance(shown, date):
        cell = WriteOnlyCell(sheet, value=shown)
        cell.number_format = DATE_FORMAT
        return cell
    cell = _text_cell(sheet, shown)
    if value_type == "rag":
        cell.fill, cell.font = styles.rag.get(shown.lower(), styles.rag[""])
    return cell


def _display_width(value: Any, value_type: str) -> int:
    shown = typed(value, value_type)
    if shown is None or isinstance(shown, bool):
        return 5
    if isinstance(shown, int | float):
        return len(f"{shown:,.2f}") + 1
    if isinstance(shown, date):
        return 10
    return max((len(line) for line in shown.splitlines()), default=0)


def _set_widths(sheet, columns: list[FileColumn], rows) -> None:
    from openpyxl.utils import get_column_letter

    sample = rows[:WIDTH_SAMPLE]
    for index, column in enumerate(columns, 1):
        widest = max(
            [len(column.title) + 2]
            + [_display_width(row.get(column.key), column.type) for row in sample]
        )
        width = min(max(widest + 2, MIN_WIDTH), MAX_WIDTH)
        sheet.column_dimensions[get_column_letter(index)].width = width


def _header(sheet, titles: list[str], styles: _Styles) -> list:
    cells = []
    for title in titles:
        cell = _text_cell(sheet, title)
        cell.font, cell.fill = styles.header_font, styles.header_fill
        cells.append(cell)
    return cells


def _write_section(sheet, section: Section, styles: _Styles) -> None:
    from openpyxl.utils import get_column_letter

    columns = file_columns(section)
    rows = [row if isinstance(row, dict) else {} for row in section.rows]
    if columns:
        _set_widths(sheet, columns, rows)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    sheet.append(_header(sheet, [c.title for c in columns], styles))
    links = 0
    for row in rows:
        cells = []
        for column in columns:
            cell = _cell(sheet, row.get(column.key), column.type, styles)
            url = http_url(row.get(column.link)) if column.link else None
            if url and links < HYPERLINKS_PER_SHEET and getattr(cell, "data_type", "") == "s":
                cell.hyperlink = url
                cell.font = styles.link_font
                links += 1
            cells.append(cell)
        sheet.append(cells)


def _write_summary(sheet, doc: ReportDocument, styles: _Styles) -> None:
    from openpyxl.utils import get_column_letter

    items: list[tuple[str, Any, str]] = [
        ("Report", doc.title, "text"),
        ("Report name", doc.report, "text"),
        ("As of", doc.as_of, "date"),
        ("Generated", doc.generated_at, "text"),
    ]
    filters = doc.filters if isinstance(doc.filters, dict) else {}
    for name, values in filters.items():
        listed = values if isinstance(values, list | tuple) else [values]
        items.append((f"Filter: {as_text(name)}", ", ".join(as_text(v) for v in listed), "text"))
    if not filters:
        items.append(("Filters", "none", "text"))
    items += [(as_text(f.label), f.value, f.type) for f in doc.figures]
    widths = [max([10, *(len(label) for label, _, _ in items)]), 16]
    for index, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, MAX_WIDTH)
    sheet.freeze_panes = "A2"
    sheet.append(_header(sheet, ["Item", "Value"], styles))
    for label, value, value_type in items:
        sheet.append([_text_cell(sheet, label), _cell(sheet, value, value_type, styles)])


def render_xlsx(doc: ReportDocument) -> bytes:
    """The workbook as .xlsx bytes."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    styles = _Styles()
    names = SheetNames()
    _write_summary(workbook.create_sheet(names.take("Summary")), doc, styles)
    for section in doc.sections:
        sheet = workbook.create_sheet(names.take(as_text(section.title) or as_text(section.key)))
        _write_section(sheet, section, styles)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
