"""The report as one HTML page that reads the same in a browser and in Outlook.

Outlook draws HTML with Word's engine: no flexbox or grid, no ``<style>`` it can be trusted
with, no external CSS or scripts. So the page is nested tables, every style is inline, and every
background colour is also a ``bgcolor`` attribute. Jinja2 autoescapes everything: names come
from source tools and may hold markup. Cells are formatted here, by column type, so templates
only lay out: numbers rounded by type (the document holds them at full precision) and
right-aligned, RAG as a coloured badge that also says its word, undefined as "n/a" with a
tooltip, and links only to http(s) addresses.

It reads at 600, 800 and 1,280 px (tests/test_render_widths.py draws it in Chromium):

- headline tiles are "fluid hybrid" blocks (inline-block, ``TILE_MAX_PX`` wide at most) that
  wrap to the next line in a narrow pane; Outlook, which has no inline-block, gets the same
  tiles in a table (``<!--[if mso]>``), ``FIGURES_PER_ROW`` a row;
- money is shown in thousands (``units``): "1,380" under a header "Budget (k EUR)" when every
  shown row has that currency, "1,380k EUR" in each cell when currencies differ;
- free text wraps (``overflow-wrap:anywhere``, inside a block with a minimum width so a short
  column never breaks "Website" into "Websit e"), figures, dates and badges never do;
- a table shows at most ``MAX_COLUMNS`` columns (the rest are ``detail`` columns, files only),
  and a chart with fewer than two points is left out (``charts.drawn``).

The email body is the same page with at most ``EMAIL_ROWS`` rows a section (``email=True``):
the full report travels as attachments.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pmosync.reports.document import (
    UNDEFINED_TEXT,
    Column,
    Figure,
    Highlight,
    ReportDocument,
    Section,
    shade_value,
)
from pmosync.reports.render.cells import (
    NUMERIC_TYPES,
    OTHER_RAG,
    RAG_STYLES,
    as_number,
    as_text,
    http_url,
    rounded,
    shade,
    typed,
)
from pmosync.reports.render.charts import drawn
from pmosync.reports.render.units import money_k, thousands

TEMPLATES = Path(__file__).parent / "templates"
UNDEFINED_TITLE = "Undefined: there is not enough data to compute this value (it is not zero)"
FIGURES_PER_ROW = 4
"""Tiles a row in Outlook's table fallback; browsers fit as many as the pane holds."""
TILE_MAX_PX = 240
MAX_COLUMNS = 8
"""At most this many columns in an HTML table; a kind marks the rest ``detail`` (files only)."""
EMAIL_ROWS = 15
"""At most this many rows a section in the email body."""
EMAIL_ROW_STEPS = (EMAIL_ROWS, 10, 5, 3, 0)
"""Fewer rows a section, step by step, while the email body is over its size budget
(``render.EMAIL_HTML_MAX``): a report of many sections still arrives whole."""
HIGHLIGHT_MARK = "#9ca3af"
"""The marker of a highlight without a RAG."""


@dataclass(frozen=True)
class Cell:
    """One formatted value: its text and how it is shown."""

    text: str
    align: str = "left"
    title: str | None = None
    href: str | None = None
    badge: tuple[str, str] | None = None
    """(background, text colour) of a RAG badge."""
    muted: bool = False
    bold: bool = False
    wrap: bool = False
    """Free text may wrap anywhere (a 2,000-character name); figures and dates never do."""
    background: str | None = None
    """A heat-map cell's background (``Column.shade``); its band word is the ``title``."""
    color: str | None = None
    note: str | None = None
    """Small text under the value (``Column.note``: the computed RAG's reason)."""


@dataclass(frozen=True)
class FigureView:
    label: str
    value: Cell
    background: str
    color: str
    change: str | None = None
    """"+2 since 2026-11-28", "no change since ...", or None (nothing to compare with)."""


@dataclass(frozen=True)
class HighlightView:
    text: str
    mark: str
    """The marker's colour (the RAG badge colour, or grey)."""
    href: str | None = None


@dataclass(frozen=True)
class ChartView:
    title: str
    src: str


@dataclass(frozen=True)
class CardView:
    """One row of a "cards" section: heading, RAG badges, short lines, a paragraph."""

    heading: Cell
    badges: tuple[tuple[str, Cell], ...]
    lines: tuple[tuple[str, Cell], ...]
    paragraph: Cell | None


@dataclass(frozen=True)
class SectionView:
    title: str
    note: str | None
    columns: tuple[tuple[str, str], ...]
    """(title, alignment) per column."""
    rows: tuple[tuple[Cell, ...], ...]
    total: int
    more: int
    layout: str = "table"
    cards: tuple[CardView, ...] = ()
    empty: str | None = None
    """The one line shown instead of an empty table."""
    more_text: str = "in the XLSX/CSV"


@dataclass(frozen=True)
class PartView:
    """The report's main part (``name`` None) or one of its pages, with its pieces in order."""

    name: str | None
    charts: tuple[ChartView, ...]
    sections: tuple[SectionView, ...]


def _align(value_type: str) -> str:
    if value_type in NUMERIC_TYPES:
        return "right"
    return "center" if value_type in ("rag", "flag") else "left"


def _number(value: float, value_type: str, currency: str | None) -> str:
    """The figure at its type's places (``cells.rounded``: half up), with thousands separators.
    Money is in thousands ("1,380" or, with its currency, "1,380k EUR")."""
    if value_type == "money":
        return money_k(value, currency) if currency else thousands(value)
    value = rounded(value, value_type)
    if value_type == "int":
        return f"{value:,.0f}"
    if value_type == "hours":
        return f"{value:,.1f}"
    if value_type == "percent":
        return f"{value:,.1f}%"
    if value_type in ("days", "change"):
        whole = round(value)
        return f"{whole:+,d}" if whole else "0"
    return f"{value:,.2f}"  # number, ratio


def rag_badge(value: str) -> Cell:
    background, color, word = RAG_STYLES.get(value.lower(), (*OTHER_RAG, value))
    return Cell(word, align="center", badge=(background, color))


def format_cell(value: Any, value_type: str, currency: Any = None, link: Any = None) -> Cell:
    """``value`` shown as its column type says; a misfit is shown as its text. Money is in
    thousands, followed by ``currency`` when one is given ("1,380k EUR")."""
    align = _align(value_type)
    shown = typed(value, value_type)
    if shown is None:
        return Cell(UNDEFINED_TEXT, align=align, title=UNDEFINED_TITLE, muted=True)
    if isinstance(shown, bool):
        return Cell("Yes", align=align, bold=True) if shown else Cell("No", align=align, muted=True)
    if isinstance(shown, int | float):
        return Cell(_number(shown, value_type, _currency(currency)), align=align)
    if isinstance(shown, date):
        return Cell(shown.isoformat(), align=align)
    if value_type == "rag":
        return rag_badge(shown)
    return Cell(shown, align=align, href=http_url(link), wrap=True)


def _currency(value: Any) -> str | None:
    return as_text(value).strip() or None if isinstance(value, str) else None


HOURS_UNIT = "h"
"""A money column's unit on the rows whose ``basis`` is hours (earned value without a budget:
the estimated hours): shown as whole hours, never as thousands of an unnamed unit."""


def _in_hours(row: Mapping[str, Any]) -> bool:
    return row.get("basis") == "hours"


def _money_unit(column: Column, rows: Sequence[Mapping[str, Any]]) -> tuple[bool, str | None]:
    """(one currency for the whole column?, that currency) over the rows that hold an amount:
    one currency (or none named anywhere) goes in the header, mixed ones in each cell. Rows in
    hours count as the unit "h"."""
    found = {
        HOURS_UNIT if _in_hours(row) else _currency(row.get("currency"))
        for row in rows
        if as_number(typed(row.get(column.key), "money")) is not None
    }
    if len(found) <= 1:
        return True, next(iter(found), None)
    return False, None


def _column_title(column: Column, unit: tuple[bool, str | None] | None) -> str:
    title = as_text(column.title)
    if unit is None or not unit[0]:
        return title
    if unit[1] == HOURS_UNIT:
        return f"{title} (h)"
    return f"{title} (k {unit[1]})" if unit[1] else f"{title} (k)"


def _hours_cell(value: Any, in_header: bool) -> Cell | None:
    """An amount of an hours basis: whole hours ("1,240 h", or "1,240" under an "(h)" header)."""
    shown = typed(value, "money")
    if not isinstance(shown, int | float) or isinstance(shown, bool):
        return None
    whole = f"{rounded(shown, 'int'):,.0f}"
    return Cell(whole if in_header else f"{whole} {HOURS_UNIT}", align="right")


def column_cell(
    column: Column, row: Mapping[str, Any], unit: tuple[bool, str | None] | None = None
) -> Cell:
    in_header = unit is not None and unit[0]
    hours = _hours_cell(row.get(column.key), in_header) if (
        column.type == "money" and _in_hours(row)
    ) else None  # fmt: skip
    cell = hours or format_cell(
        row.get(column.key),
        column.type,
        currency=None if in_header else row.get("currency"),
        link=row.get(column.link) if column.link else None,
    )
    if isinstance(column.shade, str):
        colours = shade(shade_value(column, dict(row)), column.shade)
        if colours is not None:
            background, color, word = colours
            return Cell(cell.text, cell.align, word, background=background, color=color, bold=True)
    if isinstance(column.note, str):
        note = row.get(column.note)
        if isinstance(note, str) and note.strip():
            return replace(cell, note=as_text(note))
    return cell


def _limit(value: Any) -> int | None:
    """``html_limit`` as a row count: None (or anything not a number) shows every row."""
    number = as_number(value)
    return None if number is None else max(int(number), 0)


def _card(columns: Sequence[Column], cells: Sequence[Cell]) -> CardView:
    """The first column is the heading, RAG columns badges, the last free-text column (if not
    the first) the paragraph, every other column a "Label: value" line."""
    last_text = max(
        (i for i, c in enumerate(columns) if i and c.type == "text" and not c.link), default=None
    )
    badges, lines = [], []
    for i, (column, cell) in enumerate(zip(columns, cells, strict=True)):
        if i == 0 or i == last_text:
            continue
        target = badges if cell.badge else lines
        target.append((as_text(column.title), cell))
    paragraph = cells[last_text] if last_text is not None else None
    return CardView(cells[0], tuple(badges), tuple(lines), paragraph)


def section_view(
    section: Section, email: bool = False, email_rows: int = EMAIL_ROWS
) -> SectionView:
    """The section's first ``html_limit`` rows (``email_rows`` at most in an email) as cells,
    without its ``detail`` columns, and how many more rows the files hold."""
    rows = section.rows if isinstance(section.rows, Sequence) else tuple(section.rows)
    rows = [row if isinstance(row, Mapping) else {} for row in rows]
    limit = _limit(section.html_limit)
    if email:
        limit = email_rows if limit is None else min(limit, email_rows)
    shown = rows if limit is None else rows[:limit]
    columns = [c for c in section.columns if c.detail is not True]  # files-only ones left out
    units = {c.key: _money_unit(c, shown) for c in columns if c.type == "money" and c.shade is None}
    cells = tuple(
        tuple(column_cell(column, row, units.get(column.key)) for column in columns)
        for row in shown
    )
    cards = ()
    if section.layout == "cards" and columns:
        cards = tuple(_card(columns, row_cells) for row_cells in cells)
    return SectionView(
        title=as_text(section.title),
        note=as_text(section.note) if section.note else None,
        columns=tuple((_column_title(c, units.get(c.key)), _align(c.type)) for c in columns),
        rows=cells,
        total=len(rows),
        more=len(rows) - len(shown),
        layout="cards" if cards else "table",
        cards=cards,
        empty=as_text(section.empty) if isinstance(section.empty, str) else None,
        more_text="in the attached report" if email else "in the XLSX/CSV",
    )


def shown_sections(sections: Sequence[Section]) -> list[Section]:
    """The sections the page shows: not ``detail``, and not empty unless they say what to
    show instead (``Section.empty``)."""
    return [
        s
        for s in sections
        if s.detail is not True
        and (not isinstance(s.rows, Sequence) or len(s.rows) or isinstance(s.empty, str))
    ]


def _change(figure: Figure, previous_as_of: str | None) -> str | None:
    """The tile's change line: "+2 since 2026-11-28", "-1.5 pts since ...", "no change"."""
    change = as_number(figure.change)
    if change is None:
        return None
    since = f" since {as_text(previous_as_of)}" if previous_as_of else ""
    value_type = figure.type if figure.type in NUMERIC_TYPES else "number"
    if value_type == "money":
        step = rounded(change, "money")
        text = money_k(abs(step)) if step else ""
    else:
        step = rounded(change, value_type)
        text = _number(abs(step), value_type, None) if step else ""
        if value_type == "percent":
            text = text.rstrip("%") + " pts"
        text = text.lstrip("+")
    if not step:
        return f"no change{since}"
    return f"{'+' if step > 0 else '-'}{text}{since}"


def figure_view(figure: Figure, previous_as_of: str | None = None) -> FigureView:
    """A headline tile: neutral, or coloured like a badge when the figure has a RAG. Money
    is in thousands ("1,380k")."""
    background, color = "#f3f4f6", "#111827"
    if isinstance(figure.rag, str) and figure.rag:
        background, color, _ = RAG_STYLES.get(figure.rag.lower(), (*OTHER_RAG, ""))
    value = format_cell(figure.value, figure.type)
    if figure.type == "money" and as_number(figure.value) is not None:
        value = Cell(money_k(figure.value), align=value.align)
    if value.badge:  # a RAG-typed figure: the tile is the badge
        background, color = value.badge
        value = Cell(value.text, align="left")
    change = _change(figure, previous_as_of)
    return FigureView(as_text(figure.label), value, background, color, change)


def highlight_view(highlight: Highlight) -> HighlightView:
    mark = HIGHLIGHT_MARK
    if isinstance(highlight.rag, str) and highlight.rag:
        mark = RAG_STYLES.get(highlight.rag.lower(), (*OTHER_RAG, ""))[0]
    return HighlightView(as_text(highlight.text), mark, http_url(highlight.link))


def parts(
    doc: ReportDocument,
    chart_sources: Sequence[str],
    email: bool = False,
    email_rows: int | Sequence[int] = EMAIL_ROWS,
) -> list[PartView]:
    """The main part (charts and sections without a page), then each page in the order the
    document first names it, its charts before its sections."""
    charts = [
        (chart.page, ChartView(as_text(chart.title), src))
        for chart, src in zip(drawn(doc.charts), chart_sources, strict=False)
    ]
    shown = shown_sections(doc.sections)
    rows = [email_rows] * len(shown) if isinstance(email_rows, int) else list(email_rows)
    sections = [(s.page, section_view(s, email, n)) for s, n in zip(shown, rows, strict=False)]
    names: list[str | None] = [None]
    for page, _ in (*charts, *sections):
        name = as_text(page) if isinstance(page, str) and page else None
        if name not in names:
            names.append(name)

    def on(page: Any, name: str | None) -> bool:
        return (as_text(page) if isinstance(page, str) and page else None) == name

    out = []
    for name in names:
        part = PartView(
            name,
            tuple(view for page, view in charts if on(page, name)),
            tuple(view for page, view in sections if on(page, name)),
        )
        if name is None or part.charts or part.sections:
            out.append(part)
    return out


def when(text: str) -> str:
    """An ISO timestamp as "2026-11-23 07:00 UTC"; anything else as it is."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return as_text(text)
    stamp = moment.strftime("%Y-%m-%d %H:%M")
    offset = moment.utcoffset()
    if offset is None:
        return stamp
    if not offset:
        return f"{stamp} UTC"
    return f"{stamp} {moment.strftime('%z')[:3]}:{moment.strftime('%z')[3:]}"


def filter_pairs(filters: Any) -> list[tuple[str, str]]:
    """The report's filters as (name, values) lines for the page header."""
    if not isinstance(filters, Mapping):
        return []
    out = []
    for name, values in filters.items():
        listed = values if isinstance(values, list | tuple) else [values]
        out.append((as_text(name), ", ".join(as_text(v) for v in listed)))
    return out


@functools.cache
def environment():
    """The Jinja2 environment of these templates (``macros.j2`` holds the pieces a print
    template may reuse: tiles, highlights, chart, section)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(
    doc: ReportDocument,
    chart_sources: Sequence[str],
    email: bool = False,
    email_rows: int | Sequence[int] = EMAIL_ROWS,
) -> str:
    """The page; ``chart_sources[i]`` is the ``src`` of the i-th drawn chart
    (``charts.drawn(doc.charts)``, data: or cid:). ``email``: the compact body of an email,
    ``email_rows`` rows a section at most (one number, or one per ``shown_sections``)."""
    previous = doc.previous_as_of if isinstance(doc.previous_as_of, str) else None
    return (
        environment()
        .get_template("report.html.j2")
        .render(
            title=as_text(doc.title),
            report=as_text(doc.report),
            as_of=as_text(doc.as_of),
            generated=when(doc.generated_at),
            filters=filter_pairs(doc.filters),
            figures=[figure_view(f, previous) for f in doc.figures],
            figures_per_row=FIGURES_PER_ROW,
            tile_max_px=TILE_MAX_PX,
            highlights=[highlight_view(h) for h in doc.highlights],
            previous_as_of=as_text(previous) if previous else None,
            parts=parts(doc, chart_sources, email, email_rows),
            detail_sections=[as_text(s.title) for s in doc.sections if s.detail is True],
            undefined_text=UNDEFINED_TEXT,
            email=email,
        )
    )


def email_rows_within(doc: ReportDocument, budget: int) -> list[int]:
    """Rows a section for an email body of at most about ``budget`` bytes: every section
    first gets a few rows, then each, first sections first, more (``EMAIL_ROW_STEPS``, up to
    ``EMAIL_ROWS``) while they fit after what every section costs with no rows at all (its
    title and "N rows in the attached report").

    Section sizes add up, so each is measured alone (the ``section`` macro) instead of the
    whole page being rendered for every choice.
    """
    shown = shown_sections(doc.sections)
    macros = environment().get_template("macros.j2").module
    measured: dict[tuple[int, int], int] = {}

    def size(index: int, rows: int) -> int:
        if (index, rows) not in measured:
            view = section_view(shown[index], True, rows)
            measured[index, rows] = len(str(macros.section(view)).encode("utf-8"))
        return measured[index, rows]

    left = budget - len(render_html(doc, [], email=True, email_rows=0).encode("utf-8"))
    out = [0] * len(shown)
    for step in sorted(rows for rows in EMAIL_ROW_STEPS if rows):
        for index in range(len(shown)):
            if out[index] != max((r for r in EMAIL_ROW_STEPS if r < step), default=0):
                continue  # it did not get the step below: it gets no more either
            extra = size(index, step) - size(index, out[index])
            if extra <= left:
                left -= extra
                out[index] = step
    return out
