"""The report as one HTML page that reads the same in a browser and in Outlook.

Outlook draws HTML with Word's engine: no flexbox or grid, no ``<style>`` it can be trusted
with, no external CSS or scripts. So the page is nested tables, every style is inline, and every
background colour is also a ``bgcolor`` attribute. Jinja2 autoescapes everything: names come
from source tools and may hold markup. Cells are formatted here, by column type, so templates
only lay out: numbers rounded by type (the document holds them at full precision) and
right-aligned, money with its currency, RAG as a coloured badge that
also says its word, undefined as "n/a" with a tooltip, and links only to http(s) addresses.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pmosync.reports.document import UNDEFINED_TEXT, Column, Figure, ReportDocument, Section
from pmosync.reports.render.cells import (
    NUMERIC_TYPES,
    OTHER_RAG,
    RAG_STYLES,
    as_number,
    as_text,
    http_url,
    rounded,
    typed,
)

TEMPLATES = Path(__file__).parent / "templates"
UNDEFINED_TITLE = "Undefined: there is not enough data to compute this value (it is not zero)"
FIGURES_PER_ROW = 4


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


@dataclass(frozen=True)
class FigureView:
    label: str
    value: Cell
    background: str
    color: str


@dataclass(frozen=True)
class ChartView:
    title: str
    src: str


@dataclass(frozen=True)
class SectionView:
    title: str
    note: str | None
    columns: tuple[tuple[str, str], ...]
    """(title, alignment) per column."""
    rows: tuple[tuple[Cell, ...], ...]
    total: int
    more: int


def _align(value_type: str) -> str:
    if value_type in NUMERIC_TYPES:
        return "right"
    return "center" if value_type in ("rag", "flag") else "left"


def _number(value: float, value_type: str, currency: str | None) -> str:
    """The figure at its type's places (``cells.rounded``: half up), with thousands separators."""
    value = rounded(value, value_type)
    if value_type == "int":
        return f"{value:,.0f}"
    if value_type == "money":
        return f"{value:,.2f} {currency}" if currency else f"{value:,.2f}"
    if value_type == "hours":
        return f"{value:,.1f}"
    if value_type == "percent":
        return f"{value:,.1f}%"
    if value_type == "days":
        days = round(value)
        return f"{days:+,d}" if days else "0"
    return f"{value:,.2f}"  # number, ratio


def rag_badge(value: str) -> Cell:
    background, color, word = RAG_STYLES.get(value.lower(), (*OTHER_RAG, value))
    return Cell(word, align="center", badge=(background, color))


def format_cell(value: Any, value_type: str, currency: Any = None, link: Any = None) -> Cell:
    """``value`` shown as its column type says; a misfit is shown as its text."""
    align = _align(value_type)
    shown = typed(value, value_type)
    if shown is None:
        return Cell(UNDEFINED_TEXT, align=align, title=UNDEFINED_TITLE, muted=True)
    if isinstance(shown, bool):
        return Cell("Yes", align=align, bold=True) if shown else Cell("No", align=align, muted=True)
    if isinstance(shown, int | float):
        unit = currency.strip() if isinstance(currency, str) and currency.strip() else None
        return Cell(_number(shown, value_type, unit), align=align)
    if isinstance(shown, date):
        return Cell(shown.isoformat(), align=align)
    if value_type == "rag":
        return rag_badge(shown)
    return Cell(shown, align=align, href=http_url(link), wrap=True)


def _column_cell(column: Column, row: Mapping[str, Any]) -> Cell:
    return format_cell(
        row.get(column.key),
        column.type,
        currency=row.get("currency"),
        link=row.get(column.link) if column.link else None,
    )


def _limit(value: Any) -> int | None:
    """``html_limit`` as a row count: None (or anything not a number) shows every row."""
    number = as_number(value)
    return None if number is None else max(int(number), 0)


def section_view(section: Section) -> SectionView:
    """The section's first ``html_limit`` rows as cells (without its ``detail`` columns), and
    how many more rows the files hold."""
    rows = section.rows if isinstance(section.rows, Sequence) else tuple(section.rows)
    limit = _limit(section.html_limit)
    shown = rows if limit is None else rows[:limit]
    columns = [c for c in section.columns if c.detail is not True]  # files-only ones left out
    return SectionView(
        title=as_text(section.title),
        note=as_text(section.note) if section.note else None,
        columns=tuple((as_text(c.title), _align(c.type)) for c in columns),
        rows=tuple(
            tuple(
                _column_cell(column, row if isinstance(row, Mapping) else {}) for column in columns
            )
            for row in shown
        ),
        total=len(rows),
        more=len(rows) - len(shown),
    )


def figure_view(figure: Figure) -> FigureView:
    """A headline tile: neutral, or coloured like a badge when the figure has a RAG."""
    background, color = "#f3f4f6", "#111827"
    if isinstance(figure.rag, str) and figure.rag:
        background, color, _ = RAG_STYLES.get(figure.rag.lower(), (*OTHER_RAG, ""))
    value = format_cell(figure.value, figure.type)
    if value.badge:  # a RAG-typed figure: the tile is the badge
        background, color = value.badge
        value = Cell(value.text, align="left")
    return FigureView(as_text(figure.label), value, background, color)


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


def _filters(filters: Any) -> list[tuple[str, str]]:
    if not isinstance(filters, Mapping):
        return []
    out = []
    for name, values in filters.items():
        listed = values if isinstance(values, list | tuple) else [values]
        out.append((as_text(name), ", ".join(as_text(v) for v in listed)))
    return out


@functools.cache
def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(doc: ReportDocument, chart_sources: Sequence[str]) -> str:
    """The page; ``chart_sources[i]`` is the ``src`` of ``doc.charts[i]`` (data: or cid:)."""
    figures = [figure_view(f) for f in doc.figures]
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            title=as_text(doc.title),
            report=as_text(doc.report),
            as_of=as_text(doc.as_of),
            generated=when(doc.generated_at),
            filters=_filters(doc.filters),
            figure_rows=[
                figures[i : i + FIGURES_PER_ROW] for i in range(0, len(figures), FIGURES_PER_ROW)
            ],
            figures_per_row=FIGURES_PER_ROW,
            charts=[
                ChartView(as_text(chart.title), src)
                for chart, src in zip(doc.charts, chart_sources, strict=False)
            ],
            sections=[section_view(s) for s in doc.sections if s.detail is not True],
            detail_sections=[as_text(s.title) for s in doc.sections if s.detail is True],
            undefined_text=UNDEFINED_TEXT,
        )
    )
