"""The report as a PDF for print: the board pack, or any report's document as pages.

Drawn by WeasyPrint from ``print.html.j2``. WeasyPrint is a library call (no browser process
to start, watch and kill inside the daemon) that implements CSS Paged Media: ``@page`` size and
margins, a running footer with "Page 3 of 12", page breaks before each one-pager and never
inside a table row, table headers repeated on a continued table. It needs Pango from the OS
(Debian: ``libpango-1.0-0``, ``libpangoft2-1.0-0``); when that cannot be loaded the PDF fails
with :class:`PdfUnavailable`, one line naming the library and the fix, and the run's other
formats are still written (``render.render_files``).

Unlike an email, a print page may use a ``<style>`` block. Everything else follows the HTML
renderer: cells are formatted by ``render.html.format_cell`` (numbers rounded by type, RAG as a
badge with its word, undefined as "n/a"), Jinja2 autoescapes every text from a source, charts are
the same PNGs embedded as data URIs, and links are only http(s). The document's sections and
charts are grouped by ``page``: the main part first, then each one-pager starting on a new page
with its name as the heading, in the order the document first names it.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pmosync.reports.document import (
    UNDEFINED_TEXT,
    Column,
    ReportDocument,
    Section,
    shade_value,
)
from pmosync.reports.render import FormatUnavailable, data_uri
from pmosync.reports.render.cells import as_number, as_text, shade
from pmosync.reports.render.charts import drawn
from pmosync.reports.render.html import (
    TEMPLATES,
    Cell,
    column_cell,
    environment,
    figure_view,
    filter_pairs,
    format_cell,
    highlight_view,
    when,
)

PANGO_HINT = (
    "install Pango (Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0) "
    "and see docs/reports.md"
)
CARD_TEXT_CHARS = 3000
"""A card's free text (a status update) is cut here in print, so one text cannot run a
one-pager onto many pages; the HTML and the files keep it whole."""
CELL_TEXT_CHARS = 240
"""A table cell's free text is cut here in print: a row is never split across pages, so a
row taller than a page (a 5,000-character mitigation) would break the layout."""
PAGE_CELL_TEXT_CHARS = 120
"""The same on a one-pager, whose tables share the page with charts."""


COLUMN_WEIGHTS = {"date": 1.7, "rag": 1.4, "flag": 0.8, "days": 1.0, "change": 1.0, "int": 0.9}
COLUMN_WEIGHTS.update(dict.fromkeys(("number", "money", "hours", "percent", "ratio"), 1.1))
"""Relative column widths by value type (text, the default, is 3)."""


class PdfUnavailable(FormatUnavailable):
    """The PDF engine cannot run on this machine (WeasyPrint or Pango missing): one line that
    names what is missing and how to install it."""


@dataclass(frozen=True)
class PrintSection:
    title: str
    note: str | None
    layout: str
    columns: tuple[tuple[str, str, str], ...]
    """(title, alignment, value type) per column."""
    rows: tuple[tuple[Cell, ...], ...]
    shades: tuple[tuple[tuple[str, str] | None, ...], ...]
    """(background, text colour) of each heat-map cell, None for a plain one."""
    total: int
    more: int
    empty: str | None
    widths: tuple[float, ...] = ()
    """Each column's share of the page width in percent (the table's layout is fixed)."""


@dataclass(frozen=True)
class PrintChart:
    title: str
    src: str


@dataclass(frozen=True)
class PrintPage:
    """One one-pager: its heading, and its sections and charts in document order."""

    name: str
    sections: tuple[PrintSection, ...]
    charts: tuple[PrintChart, ...]
    side: tuple[PrintSection, ...] = ()
    """Narrow tables (``SIDE_COLUMNS`` columns at most) shown under the charts, beside the
    rest, so a one-pager with charts still fits its page."""


def engine() -> Any:
    """WeasyPrint's ``HTML`` class, or :class:`PdfUnavailable` saying what is missing."""
    try:
        from weasyprint import HTML
    except ImportError as error:
        raise PdfUnavailable(
            f"PDF format: WeasyPrint is not installed ({error}); install pmosync with its "
            "dependencies (pip install weasyprint)"
        ) from None
    except OSError as error:  # cffi could not load Pango, GObject or HarfBuzz
        reason = " ".join(str(error).split())[:200]
        raise PdfUnavailable(f"PDF format: WeasyPrint cannot load {reason}; {PANGO_HINT}") from None
    return HTML


def _limit(value: Any) -> int | None:
    number = as_number(value)
    return None if number is None else max(int(number), 0)


def _cell(column: Column, row: Mapping[str, Any]) -> Cell:
    """The cell as the HTML page formats it (its note included); the print template colours
    heat-map cells itself (see ``shades``)."""
    return column_cell(replace(column, shade=None), row)


def _cut(cell: Cell, limit: int) -> Cell:
    """A free-text cell of at most ``limit`` characters, saying where the rest is."""
    if not cell.wrap or len(cell.text) <= limit:
        return cell
    cut = cell.text[:limit].rstrip()
    return replace(cell, text=f"{cut}\u2026 (the full text is in the HTML and XLSX)")


def print_section(section: Section, cell_chars: int = CELL_TEXT_CHARS) -> PrintSection:
    """The section's first ``html_limit`` rows as cells (``detail`` columns left out, as on the
    HTML page), each heat-map cell with its colours."""
    rows = tuple(section.rows)
    limit = _limit(section.html_limit)
    shown = rows if limit is None else rows[:limit]
    columns = [c for c in section.columns if c.detail is not True]
    cells, shades = [], []
    for row in shown:
        values = row if isinstance(row, Mapping) else {}
        line = [_cut(_cell(column, values), cell_chars) for column in columns[:-1]]
        if columns:
            last = _cell(columns[-1], values)
            cards = section.layout == "cards"
            line.append(_cut(last, CARD_TEXT_CHARS if cards else cell_chars))
        cells.append(tuple(line))
        shades.append(
            tuple(
                _shade(shade_value(column, values), column.shade) if column.shade else None
                for column in columns
            )
        )
    return PrintSection(
        title=as_text(section.title),
        note=as_text(section.note) if section.note else None,
        layout="cards" if section.layout == "cards" else "table",
        columns=tuple((as_text(c.title), _align(c), c.type) for c in columns),
        rows=tuple(cells),
        shades=tuple(shades),
        total=len(rows),
        more=len(rows) - len(shown),
        empty=as_text(section.empty) if section.empty else None,
        widths=column_widths([c.type for c in columns]),
    )


def column_widths(types: Sequence[str]) -> tuple[float, ...]:
    """Each column's share of the width in percent, by its type: free text three parts,
    dates and RAG badges a part and a bit, figures one. Fixed widths keep every table inside
    the page whatever a cell holds (text wraps in its column), and spare WeasyPrint measuring
    every cell of hundreds of pages to size the columns."""
    weights = [COLUMN_WEIGHTS.get(kind, 3.0) for kind in types]
    total = sum(weights) or 1.0
    return tuple(round(100.0 * weight / total, 2) for weight in weights)


def _shade(value: Any, scale: str) -> tuple[str, str] | None:
    colours = shade(value, scale)
    return None if colours is None else (colours[0], colours[1])


def _align(column: Column) -> str:
    return format_cell(None, column.type).align


def _pages(
    doc: ReportDocument, sources: Sequence[str]
) -> tuple[list[PrintSection], list[PrintChart], list[PrintPage]]:
    """The main part's sections and charts, then the one-pagers in the order first named."""
    main_sections: list[PrintSection] = []
    main_charts: list[PrintChart] = []
    order: list[str] = []
    sections: dict[str, list[PrintSection]] = {}
    charts: dict[str, list[PrintChart]] = {}
    for chart, src in zip(drawn(doc.charts), sources, strict=False):
        view = PrintChart(as_text(chart.title), src)
        if chart.page is None:
            main_charts.append(view)
        else:
            name = as_text(chart.page)
            charts.setdefault(name, []).append(view)
    for section in doc.sections:
        if section.detail is True:
            continue
        view = print_section(
            section, CELL_TEXT_CHARS if section.page is None else PAGE_CELL_TEXT_CHARS
        )
        if not view.total and view.empty is None:
            continue  # an empty section says one line or is left out
        if section.page is None:
            main_sections.append(view)
        else:
            name = as_text(section.page)
            if name not in sections:
                order.append(name)
            sections.setdefault(name, []).append(view)
    order += [name for name in charts if name not in sections]
    pages = []
    for name in order:
        shown, on_page = sections.get(name, []), tuple(charts.get(name, ()))
        side = [v for v in shown if on_page and v.layout == "table" and len(v.columns) <= 3]
        main = tuple(v for v in shown if v not in side)
        pages.append(PrintPage(name, main, on_page, tuple(side)))
    return main_sections, main_charts, pages


def print_html(doc: ReportDocument, chart_sources: Sequence[str]) -> str:
    """The print page (HTML for WeasyPrint); ``chart_sources`` are the ``src`` of the charts
    drawn (two points or more), in the document's order."""
    main_sections, main_charts, pages = _pages(doc, chart_sources)
    highlights = [(v.text, v.mark) for v in map(highlight_view, doc.highlights) if v.text]
    return (
        environment()
        .get_template("print.html.j2")
        .render(
            title=as_text(doc.title),
            report=as_text(doc.report),
            as_of=as_text(doc.as_of),
            previous_as_of=as_text(doc.previous_as_of) if doc.previous_as_of else None,
            generated=when(doc.generated_at),
            filters=filter_pairs(doc.filters),
            figures=[figure_view(f) for f in doc.figures],
            highlights=highlights,
            charts=main_charts,
            sections=main_sections,
            pages=pages,
            detail_sections=[as_text(s.title) for s in doc.sections if s.detail is True],
            undefined_text=UNDEFINED_TEXT,
        )
    )


def _data_only() -> Any:
    """WeasyPrint's URL fetcher for the print page: charts are data URIs, and nothing else is
    ever fetched (no file of the daemon's machine, no address on its network)."""
    try:
        from weasyprint.urls import URLFetcher
    except ImportError:  # WeasyPrint before 66: a fetcher is a function
        from weasyprint.urls import default_url_fetcher

        def fetch(url: str, *args: Any, **kwargs: Any) -> Any:
            if not url.startswith("data:"):
                raise ValueError("the print page fetches nothing but its own data: URIs")
            return default_url_fetcher(url, *args, **kwargs)

        return fetch
    return URLFetcher(allowed_protocols=("data",), allow_redirects=False)


def render_pdf(doc: ReportDocument, charts_png: Sequence[bytes]) -> bytes:
    """The PDF of ``doc``: A4 landscape, a footer with the report, its date and the page
    numbers; ``charts_png`` are the PNGs of ``render.chart_images`` (one per chart drawn).
    Raises :class:`PdfUnavailable` when the engine cannot run on this machine."""
    html_class = engine()
    page = print_html(doc, [data_uri(png) for png in charts_png])
    document = html_class(string=page, base_url=str(TEMPLATES), url_fetcher=_data_only())
    # The report path pauses the cyclic collector (reports.collector); WeasyPrint's boxes and
    # decoded images are full of cycles, so a 500-page pack would keep every page's garbage.
    paused = not gc.isenabled()
    gc.enable()
    try:
        return document.write_pdf()
    finally:
        if paused:
            gc.disable()
