"""What one table cell holds, once, for every renderer: the text rule, the formula-safety rule
and the types.

Every text a report shows passes :func:`as_text`, which drops control characters (tab, line
feed and carriage return stay) and the bidirectional embeddings, overrides and isolates
(U+202A-U+202E, U+2066-U+2069): a name holding U+202E would otherwise show its characters in
another order than they are, in HTML, CSV and XLSX alike (``pmosync.canonical.text``).

A spreadsheet (Excel, LibreOffice, Sheets) runs a cell that starts with ``=``, ``+``, ``-`` or
``@`` as a formula, and a tab or carriage return in front hides one; a project or person name
typed by anyone in a source tool must never do that. A CSV cell has no type, so every text that
reaches one (CSV exports, report CSV) goes through :func:`safe_text`, which puts a ``'`` in front
of such a text: a reader sees the text, no spreadsheet runs it. An XLSX cell has a type: the
workbook writes text as a string cell, which is never a formula, and shows it exactly as the
source wrote it (see ``xlsx``).

:func:`typed` turns a document value into what its column type promises (a number, a date, a
flag, or ``None`` for undefined); a value that does not fit its type (a builder bug, an odd
snapshot) comes back as text, so renderers show it as it is instead of failing or guessing.

Rounding belongs here too, not to the report kinds: the document keeps every figure at full
precision (the JSON file and the run's snapshot are the figures themselves, 1/3 is 0.333...),
and :func:`shown_number` rounds for people by column type, half up: percent and hours 1 place,
money, ratios and plain numbers 2, days and counts whole (HTML, CSV, the Teams card, the
SharePoint list). The workbook keeps full precision and shows the same places by number format.

This module needs only the standard library and the document model: the data export
(``reports.export``) uses it too.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlsplit

from pmosync.canonical.text import shown_text
from pmosync.reports.document import Section

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMERIC_TYPES = frozenset({"int", "number", "money", "hours", "percent", "ratio", "days", "change"})
PLACES = {
    "percent": 1, "hours": 1, "money": 2, "number": 2, "ratio": 2, "days": 0, "int": 0,
    "change": 0,
}  # fmt: skip
"""Decimal places a person reads of each numeric column type. The document (and so the JSON
file and the snapshot) keeps every figure at full precision; renderers round for display."""
BIG = 1e15
"""From here on a float has no fractional digits left to round (and Decimal's precision ends)."""
RAG_STYLES: dict[str, tuple[str, str, str]] = {
    "green": ("#2e7d32", "#ffffff", "Green"),
    "amber": ("#f5a623", "#000000", "Amber"),
    "red": ("#c62828", "#ffffff", "Red"),
    "blue": ("#1565c0", "#ffffff", "Blue"),
    "complete": ("#757575", "#ffffff", "Complete"),
}
"""RAG value -> (background, text colour, word): one palette for badges, sheets and charts.
A badge always carries its word too, so the status never rests on colour alone."""
OTHER_RAG = ("#757575", "#ffffff")
"""Any other RAG text (an odd snapshot) is a grey badge with that text."""
SHADE_BANDS: dict[str, tuple[tuple[float, str, str, str], ...]] = {
    # (upper bound inclusive, background, text colour, band word), lowest band first
    "utilisation": (
        (50.0, "#e3f2fd", "#0d47a1", "under-used"),
        (85.0, "#c8e6c9", "#1b5e20", "part-loaded"),
        (100.0, "#66bb6a", "#0b3d0e", "fully loaded"),
        (110.0, "#ffd54f", "#4e3400", "over capacity"),
        (math.inf, "#e57373", "#3b0000", "overloaded"),
    ),
    "risk_score": (
        (4.0, "#c8e6c9", "#1b5e20", "low"),
        (9.0, "#fff59d", "#4e4200", "medium"),
        (16.0, "#ffb74d", "#4e2600", "high"),
        (math.inf, "#e57373", "#3b0000", "critical"),
    ),
}
"""Heat-map colours by ``Column.shade``: a utilisation percent of capacity (above 100 is over
capacity, flagged; above 110 overloaded) and a 5x5 risk score (1-4 low, 5-9 medium, 10-16 high,
20-25 critical). Each band has a word too, so a cell never rests on colour alone."""


def shade(value: Any, scale: str) -> tuple[str, str, str] | None:
    """(background, text colour, band word) of ``value`` on heat-map ``scale``; None when the
    value is undefined or not a number (the cell stays plain)."""
    bands = SHADE_BANDS.get(scale)
    number = as_number(value)
    if bands is None or number is None:
        return None
    for upper, background, color, word in bands:
        if number <= upper:
            return background, color, word
    return None


def is_formula_start(text: str) -> bool:
    """Whether a spreadsheet would take ``text``, typed into a cell, as a formula."""
    return text.startswith(FORMULA_STARTS)


def safe_text(text: str) -> str:
    """``text`` as a CSV cell shows it and never runs it: without hidden characters (see
    :func:`as_text`), and a formula start gets a ``'``."""
    text = shown_text(text)
    return "'" + text if is_formula_start(text) else text


def as_text(value: Any) -> str:
    """Any JSON value as the plain text a report shows (lists and objects as compact JSON),
    without control characters or bidirectional overrides."""
    if isinstance(value, str):
        return shown_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | dict):
        return shown_text(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str))
    return shown_text(str(value))


def as_number(value: Any) -> int | float | None:
    """An int or a finite float as itself; anything else (bool, NaN, text) is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return None


def as_date(value: Any) -> date | None:
    """An ISO date (or the date of an ISO datetime) as a ``date``; anything else is None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value).date()
    except ValueError:
        return None


def is_undefined(value: Any) -> bool:
    """None, or a float that is not a number (NaN, infinity): shown as undefined, never 0."""
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def typed(value: Any, value_type: str) -> None | bool | int | float | date | str:
    """``value`` as its column type promises, or as text when it does not fit that type.

    Returns None (undefined), an int or float (numeric types), a ``date`` ("date"), a bool
    ("flag") or a str (text, rag, and every misfit).
    """
    if is_undefined(value):
        return None
    if value_type in NUMERIC_TYPES:
        number = as_number(value)
        return as_text(value) if number is None else number
    if value_type == "date":
        day = as_date(value)
        return as_text(value) if day is None else day
    if value_type == "flag" and isinstance(value, bool):
        return value
    return as_text(value)


def rounded(value: int | float, value_type: str) -> int | float:
    """``value`` rounded half up (0.625 -> 0.63, as people round by hand; ``round`` and
    ``format`` give 0.62) to the places of ``value_type`` (:data:`PLACES`): an int for days and
    counts, a float otherwise. A type without places (or a non-finite value) is returned as is.
    """
    places = PLACES.get(value_type)
    if places is None or not math.isfinite(value) or abs(value) >= BIG:
        return value
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    result = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return int(result) if places == 0 else float(result)


def shown_number(value: Any, value_type: str) -> int | float | None:
    """A document value as a person reads it in a column of ``value_type``: rounded by
    :func:`rounded`, None when it is not a finite number (bool included)."""
    number = as_number(value)
    return None if number is None else rounded(number, value_type)


def http_url(value: Any) -> str | None:
    """``value`` when it is an absolute http(s) URL; None for any other scheme or text.

    Only these become links: a ``javascript:``, ``data:`` or ``file:`` address from a source
    stays text. Tabs and line breaks are dropped first, as browsers do ("java\nscript:"); an
    address with any other control character stays text.
    """
    if not isinstance(value, str):
        return None
    url = value.strip().replace("\t", "").replace("\r", "").replace("\n", "")
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if any(ord(char) < 32 or ord(char) == 127 for char in url):
        return None  # other control characters: no browser or workbook takes them in a link
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url
    return None


@dataclass(frozen=True)
class FileColumn:
    """A column of a CSV file or sheet: a section column, or the URL behind a linked one."""

    key: str
    title: str
    type: str
    link: str | None = None
    """For a section column with a link: the row key holding its URL (a sheet hyperlinks it)."""
    shade: str | None = None
    """The section column's heat-map scale (a sheet colours it by conditional formatting)."""


def file_columns(section: Section) -> list[FileColumn]:
    """The section's columns, each linked one followed by its URL as text, and one with a
    note followed by the note (unless the section has a column of that key).

    HTML links a project name to its page in the team's tool; a CSV cell cannot, so the URL
    gets a column of its own ("Project URL") unless the section already shows that key.
    """
    shown = {column.key for column in section.columns}
    out: list[FileColumn] = []
    for column in section.columns:
        title = as_text(column.title)
        out.append(FileColumn(column.key, title, column.type, column.link, column.shade))
        if column.link and column.link not in shown:
            out.append(FileColumn(column.link, f"{title} URL", "text"))
            shown.add(column.link)
        if column.note and column.note not in shown:
            out.append(FileColumn(column.note, f"{title}: note", "text"))
            shown.add(column.note)
    return out
