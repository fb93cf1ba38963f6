"""The report as an Excel workbook: a "Summary" sheet, then one sheet per section.

Written with xlsxwriter in its constant_memory mode: each row goes to a temporary file as soon
as the next one starts, so a 50,000-row section costs megabytes, not a gigabyte, and writing a
cell is a few dictionary lookups rather than an openpyxl cell object with style proxies (several
times faster). The temporary files live in a folder of this render's own, removed even when the
render fails. (xlsxwriter's in_memory mode would keep every cell of the workbook in memory: it
turns constant_memory off.)

Each section sheet has a bold, frozen header row and first column, an auto filter, sized
columns, and a print set-up (A4 landscape, fitted to the page width, the header row repeated on
every page, page numbers in the footer). Numbers are numbers with a number format (money 2
places, ratio, hours; a percent is stored as the fraction Excel expects, 0.452 shown as 45.2%,
so a formula over it computes right), dates are real dates, flags are booleans, undefined is an
empty cell (never 0). RAG columns and heat-map columns (``Column.shade``) are coloured by
conditional formatting, so a cell someone edits in Excel recolours itself; every chart of the
document with two points or more is a native Excel chart on a "Charts" sheet, drawn from its
figures on a "Chart data" sheet. Text is ALWAYS a text cell: it is
written with ``write_string`` (or ``write_url``, which writes its text the same way), never with
``write``, which would store a string starting with "=" as a formula. A string cell is never
run, so it holds exactly the source's text: ``-2+3`` shows as ``-2+3``, not as ``'-2+3`` (the
apostrophe of ``cells.safe_text`` is for CSV, which has no cell types). A text that starts like
a formula also gets Excel's quote-prefix flag (a cell format, not a character), so editing the
cell and pressing Enter keeps it text.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import tempfile
from datetime import date
from typing import Any

from pmosync.reports.document import SHADE_SUFFIX, ReportDocument, Section
from pmosync.reports.render.cells import (
    OTHER_RAG,
    RAG_STYLES,
    SHADE_BANDS,
    FileColumn,
    as_number,
    as_text,
    file_columns,
    http_url,
    is_formula_start,
    shade,
    typed,
)
from pmosync.reports.render.charts import drawn

NUMBER_FORMATS = {
    "int": "#,##0",
    "number": "#,##0.00",
    "money": "#,##0.00",
    "hours": "#,##0.0",
    "percent": "0.0%",  # the document's 0..100 is written as the fraction Excel expects
    "ratio": "0.00",
    "days": "+0;-0;0",
    "change": "+0;-0;0",
}
DATE_FORMAT = "yyyy-mm-dd"
HEADER_STYLE = ("#1F3A5F", "#FFFFFF")  # background, text colour
LINK_COLOR = "#0563C1"
SHEET_CHARS = 31
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
RESERVED_SHEETS = {"history"}  # Excel keeps "History" for itself
CELL_CHARS = 32_767  # Excel's limit for one cell
URL_CHARS = 2_079
"""Excel's limit for a link's address: a longer one stays text (its URL column still holds it)."""
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # not in XML 1.0
WIDTH_SAMPLE = 500
MIN_WIDTH, MAX_WIDTH = 8, 60
A4 = 9  # xlsxwriter's paper code
FOOTER = "&L&A&RPage &P of &N"  # the sheet's name left, "Page 3 of 7" right
CHART_SIZE = {"x_scale": 1.6, "y_scale": 1.3}
CHART_ROWS = 22
"""Rows of the Charts sheet each chart takes (a 1.6 x 1.3 chart is about 20 rows high)."""
AXIS_FORMATS = {
    "money": '#,##0,"k"',  # thousands: 1,380,000 reads "1,380k", never "1.38E+06"
    "int": "0",
    "percent": '0"%"',  # chart figures are the document's 0..100
    "hours": "#,##0",
    "date": DATE_FORMAT,
    "number": "#,##0.##",
}
CHART_TYPES = {
    "bar": {"type": "column"},
    "stacked_bar": {"type": "column", "subtype": "stacked"},
    "line": {"type": "line"},
    "scatter": {"type": "scatter"},
}
HYPERLINKS_PER_SHEET = 10_000
"""Excel stops at 65,530 links a sheet; past this the URL column still holds every address."""


def utf16_cut(text: str, units: int) -> str:
    """``text`` cut to at most ``units`` UTF-16 code units, the way Excel counts characters,
    never splitting a character outside the BMP (an emoji counts two)."""
    if len(text) * 2 <= units:  # cannot be over: skip the count for almost every text
        return text
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > units:
            return text[:index]
    return text


ELLIPSIS = "\u2026"
WORD_MIN = 8
"""A cut backs up to the last space only when that leaves at least this many characters (a
single 40-letter word is cut inside it rather than to nothing)."""


def word_cut(text: str, units: int) -> str:
    """``text`` in at most ``units`` UTF-16 units: whole when it fits, else cut after its last
    whole word that fits, with an ellipsis ("Milestones completed this period by project" in
    31 -> "Milestones completed this…"), never mid-word unless one word alone is too long."""
    if utf16_cut(text, units) == text:
        return text
    head = utf16_cut(text, units - len(ELLIPSIS))
    if not text[len(head)].isspace():  # the cut fell inside a word: drop that word's start
        space = head.rfind(" ")
        if space >= WORD_MIN:
            head = head[:space]
    return head.rstrip(" '-,.;") + ELLIPSIS


class SheetNames:
    """Valid, distinct sheet names: 31 characters at most (as Excel counts them: UTF-16) cut
    at a word with an ellipsis, none of []:*?/\\ (nor control characters), unique in any
    case (" (2)" added)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, wanted: str) -> str:
        name = SHEET_FORBIDDEN.sub(" ", clean_text(as_text(wanted))).replace("\ufffd", " ")
        name = " ".join(name.split()).strip("'")
        name = word_cut(name, SHEET_CHARS).strip("'") or "Sheet"
        if name.lower() in RESERVED_SHEETS:
            name += " (1)"
        candidate, n = name, 1
        while candidate.lower() in self.used:
            n += 1
            suffix = f" ({n})"
            candidate = word_cut(name, SHEET_CHARS - len(suffix)).strip("'") + suffix
        self.used.add(candidate.lower())
        return candidate


def clean_text(text: str) -> str:
    """Text a cell can hold: no XML-illegal control characters, at most Excel's 32,767 (UTF-16
    units, as Excel counts), and line breaks as Excel stores them (LF: XML would turn a lone CR
    into one anyway)."""
    text = ILLEGAL.sub("\ufffd", text).replace("\r\n", "\n").replace("\r", "\n")
    cut = utf16_cut(text, CELL_CHARS)
    return text if cut == text else utf16_cut(text, CELL_CHARS - 1) + "\u2026"


def url_fits(url: str) -> bool:
    """Whether Excel takes ``url`` as a link: not too long (xlsxwriter would drop the whole
    cell), and nothing XML cannot hold (a control character would make the file unreadable)."""
    return utf16_cut(url, URL_CHARS) == url and not ILLEGAL.search(url)


def fits_a_number(value: int | float) -> bool:
    """Whether a cell can hold ``value`` as a number: an int past float range cannot."""
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


class _Formats:
    """The workbook's cell formats, each made once and shared (xlsxwriter writes one style per
    Format object, so equal looks must reuse one)."""

    def __init__(self, workbook) -> None:
        self.workbook = workbook
        self.made: dict[tuple, Any] = {}
        background, color = HEADER_STYLE
        self.header = self._make(("header",), bold=True, font_color=color, bg_color=background)
        self.date = self._make(("date",), num_format=DATE_FORMAT)

    def _make(self, key: tuple, **properties):
        if key not in self.made:
            if "bg_color" in properties:
                properties["pattern"] = 1  # solid
            self.made[key] = self.workbook.add_format(properties)
        return self.made[key]

    def band(self, background: str, color: str):
        """A conditional format's fill and font (a RAG word or a heat-map band)."""
        key = ("band", background.upper(), color.upper())
        if key not in self.made:
            self.made[key] = self.workbook.add_format(
                {"bg_color": background.upper(), "font_color": color.upper()}
            )
        return self.made[key]

    def shaded(self, value_type: str, background: str, color: str):
        """A number format on a heat-map band's fill and font."""
        number_format = NUMBER_FORMATS.get(value_type, "General")
        return self._make(
            ("shaded", number_format, background.upper(), color.upper()),
            num_format=number_format,
            bg_color=background.upper(),
            font_color=color.upper(),
        )

    def number(self, value_type: str):
        number_format = NUMBER_FORMATS.get(value_type)
        if number_format is None:
            return None  # General
        return self._make(("number", number_format), num_format=number_format)

    def text(self, value_type: str, text: str, linked: bool):
        """A RAG text is a coloured bold badge; a link is blue and underlined (on the badge's
        colour when it is both); a text that starts like a formula has the quote prefix.
        Plain text has no format."""
        properties: dict[str, Any] = {}
        if value_type == "rag":
            background, color = RAG_STYLES.get(text.lower(), OTHER_RAG)[:2]
            properties = {"bg_color": background.upper(), "bold": True, "font_color": color}
        if linked:
            properties |= {"bold": False, "font_color": LINK_COLOR, "underline": 1}
        if "font_color" in properties:
            properties["font_color"] = properties["font_color"].upper()
        if is_formula_start(text):
            properties["quote_prefix"] = True
        if not properties:
            return None
        return self._make(tuple(sorted(properties.items())), **properties)


def _write_text(sheet, row: int, col: int, text: str, cell_format=None, url=None) -> None:
    """A string cell holding the text as it is, never a formula (a link's text too); "" is an
    empty cell, linked or not: an address never stands in for an empty name (the link's own
    URL column holds it)."""
    text = clean_text(text)
    if url is not None and text:
        sheet.write_url(row, col, url, cell_format, text)
    elif text:
        sheet.write_string(row, col, text, cell_format)
    elif cell_format is not None:
        sheet.write_blank(row, col, None, cell_format)


def _write_cell(sheet, row: int, col: int, value: Any, value_type: str, formats, url=None) -> bool:
    """One typed value (nothing for undefined); True when it became a link to ``url``, which
    only a text cell does."""
    shown = typed(value, value_type)
    if shown is None:
        return False
    if isinstance(shown, bool):
        sheet.write_boolean(row, col, shown)
    elif isinstance(shown, int | float) and fits_a_number(shown):
        number = shown / 100 if value_type == "percent" else shown
        sheet.write_number(row, col, number, formats.number(value_type))
    elif isinstance(shown, date):
        sheet.write_datetime(row, col, shown, formats.date)
    else:
        text = as_text(shown)
        link = url if url is not None and text and url_fits(url) else None
        _write_text(sheet, row, col, text, formats.text(value_type, text, link is not None), link)
        return link is not None
    return False


def _display_width(value: Any, value_type: str) -> int:
    shown = typed(value, value_type)
    if shown is None or isinstance(shown, bool):
        return 5
    if isinstance(shown, int | float) and fits_a_number(shown):
        return len(f"{shown:,.2f}") + 1
    if isinstance(shown, date):
        return 10
    return max((len(line) for line in as_text(shown).splitlines()), default=0)


def _set_widths(sheet, columns: list[FileColumn], rows) -> None:
    sample = rows[:WIDTH_SAMPLE]
    for index, column in enumerate(columns):
        widest = max(
            [len(column.title) + 2]
            + [_display_width(row.get(column.key), column.type) for row in sample]
        )
        sheet.set_column(index, index, min(max(widest + 2, MIN_WIDTH), MAX_WIDTH))


def _header(sheet, titles: list[str], formats: _Formats, row: int = 0) -> None:
    for col, title in enumerate(titles):
        _write_text(sheet, row, col, title, formats.header)


def _print_setup(sheet) -> None:
    """A4 landscape, as wide as the page and as long as it takes, the header row on every
    page, the sheet's name and page numbers in the footer."""
    sheet.set_landscape()
    sheet.set_paper(A4)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    sheet.set_footer(FOOTER)


def _fixed_shading(columns: list[FileColumn], rows: list[dict]) -> set[int]:
    """Heat-map columns coloured by a ``<key>__shade`` number of their rows rather than by the
    value they show (a risk matrix cell shows a count, coloured by its position's score): a
    rule over the cell's value would colour the count, so these cells get a fixed colour."""
    return {
        col
        for col, column in enumerate(columns)
        if column.shade in SHADE_BANDS and any(column.key + SHADE_SUFFIX in row for row in rows)
    }


def _conditional_formats(
    sheet, columns: list[FileColumn], last_row: int, formats, fixed: set[int]
) -> None:
    """RAG columns coloured by their word, heat-map columns by their band (``cells.shade``):
    rules, not fixed colours, so an edited cell recolours itself."""
    if last_row < 1:
        return
    for col, column in enumerate(columns):
        if col in fixed:
            continue
        if column.type == "rag":
            for value, (background, color, _) in RAG_STYLES.items():
                sheet.conditional_format(
                    1, col, last_row, col,
                    {
                        "type": "cell",
                        "criteria": "equal to",
                        "value": f'"{value}"',
                        "format": formats.band(background, color),
                    },
                )  # fmt: skip
        elif column.shade in SHADE_BANDS:
            scale = 100 if column.type == "percent" else 1  # percents are stored as fractions
            lower = None
            for upper, background, color, _ in SHADE_BANDS[column.shade]:
                rule: dict[str, Any] = {"type": "cell", "format": formats.band(background, color)}
                if lower is None:
                    rule |= {"criteria": "<=", "value": upper / scale}
                elif math.isinf(upper):
                    rule |= {"criteria": ">", "value": lower / scale}
                else:
                    rule |= {
                        "criteria": "between",
                        "minimum": lower / scale,
                        "maximum": upper / scale,
                    }
                sheet.conditional_format(1, col, last_row, col, rule)
                lower = upper


def _write_section(sheet, section: Section, formats: _Formats) -> None:
    columns = file_columns(section)
    rows = [row if isinstance(row, dict) else {} for row in section.rows]
    _print_setup(sheet)
    if columns:
        _set_widths(sheet, columns, rows)
        sheet.freeze_panes(1, 1 if len(columns) > 1 else 0)
        sheet.autofilter(0, 0, len(rows), len(columns) - 1)
    fixed = _fixed_shading(columns, rows)
    _conditional_formats(sheet, columns, len(rows), formats, fixed)
    _header(sheet, [c.title for c in columns], formats)
    links = 0
    for row_number, row in enumerate(rows, 1):
        for col, column in enumerate(columns):
            if col in fixed:
                _write_shaded(sheet, row_number, col, column, row, formats)
                continue
            linkable = column.link and links < HYPERLINKS_PER_SHEET
            url = http_url(row.get(column.link)) if linkable else None
            if _write_cell(sheet, row_number, col, row.get(column.key), column.type, formats, url):
                links += 1


def _write_shaded(sheet, row: int, col: int, column: FileColumn, values: dict, formats) -> None:
    """A number coloured by its row's ``<key>__shade`` band (or its own value without one)."""
    band = shade(values.get(column.key + SHADE_SUFFIX, values.get(column.key)), column.shade)
    number = as_number(typed(values.get(column.key), column.type))
    if band is None or number is None or not fits_a_number(number):
        _write_cell(sheet, row, col, values.get(column.key), column.type, formats)
        return
    if column.type == "percent":
        number /= 100
    sheet.write_number(row, col, number, formats.shaded(column.type, band[0], band[1]))


def _write_summary(sheet, doc: ReportDocument, formats: _Formats) -> None:
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
    for index, width in enumerate(widths):
        sheet.set_column(index, index, min(width + 2, MAX_WIDTH))
    sheet.freeze_panes(1, 0)
    _header(sheet, ["Item", "Value"], formats)
    for row_number, (label, value, value_type) in enumerate(items, 1):
        _write_text(sheet, row_number, 0, label, formats.text("text", label, False))
        _write_cell(sheet, row_number, 1, value, value_type, formats)


def render_xlsx(doc: ReportDocument) -> bytes:
    """The workbook as .xlsx bytes."""
    from xlsxwriter import Workbook

    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="pmosync-xlsx-", ignore_cleanup_errors=True) as tmp:
        workbook = Workbook(buffer, {"constant_memory": True, "tmpdir": tmp})
        try:
            _write_sheets(workbook, doc)
        except BaseException:
            with contextlib.suppress(Exception):
                workbook.close()  # closes its temporary files; the half-written book is dropped
            raise
        workbook.close()
    return buffer.getvalue()


def _chart_value(value: Any, y_type: str) -> Any:
    if y_type == "date" and isinstance(value, int | float) and 1 <= value <= date.max.toordinal():
        return date.fromordinal(int(value))
    return as_number(value)


def _write_charts(workbook, doc: ReportDocument, names: SheetNames, formats: _Formats) -> None:
    """Each chart of two points or more as a native Excel chart on a "Charts" sheet, its
    figures in a "Chart data" block each (x labels, then one column per series)."""
    charts = [c for c in drawn(doc.charts) if c.kind in CHART_TYPES]
    if not charts:
        return
    board = workbook.add_worksheet(names.take("Charts"))
    data_name = names.take("Chart data")
    data = workbook.add_worksheet(data_name)
    row = 0
    for number, chart in enumerate(charts):
        if chart.kind == "scatter":
            excel, row = _scatter_block(workbook, data, data_name, chart, row, formats)
            board.insert_chart(number * CHART_ROWS, 0, excel, CHART_SIZE)
            row += 2
            continue
        # Every name a chart shows (title, axis, series) is a reference to a text cell, never
        # the text itself: xlsxwriter reads a name like "x!A1" as a formula.
        title_row = row
        _write_text(data, title_row, 0, as_text(chart.title), formats.header)
        _write_text(data, title_row, 1, as_text(chart.y_label))
        row += 1
        titles = ["", *(as_text(s.name) for s in chart.series)]
        _header(data, titles, formats, row)
        header_row, first = row, row + 1
        for index, label in enumerate(chart.x):
            row += 1
            _write_text(data, row, 0, as_text(label))
            for col, series in enumerate(chart.series, 1):
                value = series.values[index] if index < len(series.values) else None
                shown = _chart_value(value, chart.y_type)
                if isinstance(shown, date):
                    data.write_datetime(row, col, shown, formats.date)
                elif shown is not None and fits_a_number(shown):
                    data.write_number(row, col, shown)
        last = row
        excel = workbook.add_chart(dict(CHART_TYPES[chart.kind]))
        for col, series in enumerate(chart.series, 1):
            spec: dict[str, Any] = {
                "name": [data_name, header_row, col],
                "categories": [data_name, first, 0, last, 0],
                "values": [data_name, first, col, last, col],
            }
            if series.color:
                key = "line" if chart.kind == "line" else "fill"
                spec[key] = {"color": series.color}
            excel.add_series(spec)
        excel.set_title({"name": [data_name, title_row, 0]})
        axis: dict[str, Any] = {"num_format": AXIS_FORMATS[chart.y_type]}
        if chart.y_label:
            axis["name"] = [data_name, title_row, 1]
        excel.set_y_axis(axis)
        excel.set_legend({"position": "bottom"})
        board.insert_chart(number * CHART_ROWS, 0, excel, CHART_SIZE)
        row += 2  # a blank row between blocks


def _scatter_block(workbook, data, data_name: str, chart, row: int, formats: _Formats):
    """A scatter's figures on the "Chart data" sheet (two columns per series: its x, its y)
    and its native Excel chart; returns the chart and the block's last row."""
    title_row = row
    _write_text(data, title_row, 0, as_text(chart.title), formats.header)
    _write_text(data, title_row, 1, as_text(chart.y_label))
    _write_text(data, title_row, 2, as_text(chart.x_label))
    row += 1
    header_row = row
    for index, series in enumerate(chart.series):
        _write_text(data, header_row, 2 * index, as_text(chart.x_label) or "x", formats.header)
        _write_text(data, header_row, 2 * index + 1, as_text(series.name), formats.header)
    length = max((min(len(s.x), len(s.values)) for s in chart.series), default=0)
    first, last = row + 1, row + max(length, 1)
    for index, series in enumerate(chart.series):
        for offset, (x, y) in enumerate(zip(series.x, series.values, strict=False)):
            shown_x, shown_y = as_number(x), as_number(y)
            if shown_x is None or shown_y is None:
                continue
            if fits_a_number(shown_x) and fits_a_number(shown_y):
                data.write_number(first + offset, 2 * index, shown_x)
                data.write_number(first + offset, 2 * index + 1, shown_y)
    excel = workbook.add_chart(dict(CHART_TYPES["scatter"]))
    for index, series in enumerate(chart.series):
        spec: dict[str, Any] = {
            "name": [data_name, header_row, 2 * index + 1],
            "categories": [data_name, first, 2 * index, last, 2 * index],
            "values": [data_name, first, 2 * index + 1, last, 2 * index + 1],
            "marker": {"type": "circle", "size": 6},
        }
        if series.color:
            spec["marker"].update(
                {"fill": {"color": series.color}, "border": {"color": series.color}}
            )
        excel.add_series(spec)
    excel.set_title({"name": [data_name, title_row, 0]})
    y_axis: dict[str, Any] = {"num_format": AXIS_FORMATS[chart.y_type]}
    if chart.y_label:
        y_axis["name"] = [data_name, title_row, 1]
    x_axis: dict[str, Any] = {"num_format": AXIS_FORMATS[chart.x_type], "min": 0}
    if chart.x_label:
        x_axis["name"] = [data_name, title_row, 2]
    excel.set_y_axis(y_axis)
    excel.set_x_axis(x_axis)
    excel.set_legend({"position": "bottom"})
    return excel, last


def _write_sheets(workbook, doc: ReportDocument) -> None:
    formats = _Formats(workbook)
    names = SheetNames()
    _write_summary(workbook.add_worksheet(names.take("Summary")), doc, formats)
    _write_charts(workbook, doc, names, formats)
    for section in doc.sections:
        title = as_text(section.title) or as_text(section.key)
        _write_section(workbook.add_worksheet(names.take(title)), section, formats)
