"""Renderers: a ``ReportDocument`` in, the report's files (and its email body) out.

The document is the only input, so a snapshot taken months ago re-renders byte for byte the same
way a fresh run does. Each format is its own module, imported when asked for: matplotlib,
XlsxWriter and Jinja2 load only on the report path, never for ``pmosync --help``.

Files are named ``<stem>.<ext>`` (one CSV per section: ``<stem>-<section key>.csv``) where
:func:`file_stem` is a file-system-safe slug of the report name plus its as-of date.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from pmosync.reports.collector import collector_paused
from pmosync.reports.document import RenderedFile, ReportDocument
from pmosync.reports.render.cells import as_text

FORMATS = ("html", "xlsx", "csv", "json", "pdf")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "pdf": "application/pdf",
}
NAME_CHARS = 60
"""A report name longer than this as a slug is cut and gets a short digest instead."""
KEY_CHARS = 40
EMAIL_HTML_MAX = 100 * 1024
"""The email body's HTML budget in bytes (images are parts of their own and do not count):
Gmail clips a body over 102 KB, and a long body is not read anyway."""
EMAIL_HTML_SLACK = 2 * 1024
"""Room left under ``EMAIL_HTML_MAX`` for what measuring the sections one by one misses."""


class FormatUnavailable(Exception):
    """A format cannot be rendered on this machine (the PDF engine's system library is
    missing): one line saying what is missing and how to install it."""


class FormatsNotRendered(Exception):
    """Some formats could not be rendered (:class:`FormatUnavailable`); ``files`` holds the
    files of every other format, which a run still keeps and delivers."""

    def __init__(self, message: str, files: list[RenderedFile]) -> None:
        super().__init__(message)
        self.files = files


@dataclass(frozen=True)
class EmailHtml:
    """An email body: the HTML, and the chart PNGs it shows as ``cid:`` images.

    ``images`` maps each Content-ID (without angle brackets: the HTML says ``src="cid:<id>"``)
    to its PNG bytes; the sender attaches them inline under those ids.
    """

    html: str
    images: dict[str, bytes] = field(default_factory=dict)
    text: str | None = None
    """The report as plain text: the ``text/plain`` alternative of the body (None: none)."""


def slug(text: str, keep: str = "") -> str:
    """Lower-case ASCII letters, digits, ``keep`` and single hyphens; accents folded, the rest
    dropped ("Relatório / Ops" -> "relatorio-ops")."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(f"[^a-z0-9{re.escape(keep)}]+", "-", folded.lower()).strip("-")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def file_stem(doc: ReportDocument) -> str:
    """``<report slug>-<as_of>``, safe as a file name on any system and in any URL.

    A name with nothing ASCII left ("تقرير") becomes ``report-<digest>`` and one too long is cut
    and given the digest of the whole name, so two different names do not share files.
    """
    name = as_text(doc.report)
    base = slug(name)
    if not base:
        base = f"report-{_digest(name)}"
    elif len(base) > NAME_CHARS:
        base = f"{base[:NAME_CHARS].rstrip('-')}-{_digest(name)}"
    as_of = re.sub(r"[^0-9A-Za-z]+", "-", as_text(doc.as_of)).strip("-")[:32] or "undated"
    return f"{base}-{as_of}"


def _section_names(doc: ReportDocument, stem: str) -> list[str]:
    """One distinct CSV file name per section, whatever its key holds."""
    used: set[str] = set()
    names = []
    for section in doc.sections:
        key = slug(as_text(section.key), keep="_")[:KEY_CHARS].strip("-") or "section"
        name, n = f"{stem}-{key}.csv", 1
        while name in used:
            n += 1
            name = f"{stem}-{key}-{n}.csv"
        used.add(name)
        names.append(name)
    return names


def chart_images(doc: ReportDocument) -> list[bytes]:
    """One PNG per chart worth drawing (``charts.drawn``: two points or more), in the
    document's order.

    A run that writes the HTML file and sends an email draws them once and hands the same PNGs
    to ``render_files`` and ``email_html`` (drawing is most of a report's rendering time).
    """
    import gc

    from pmosync.reports.render.charts import DPI, PAGE_DPI, drawn, render_chart

    pngs = []
    for chart in drawn(doc.charts):
        pngs.append(render_chart(chart, PAGE_DPI if chart.page is not None else DPI))
        # A matplotlib figure is a web of reference cycles, and the report path pauses the
        # collector (reports.collector): a board pack's 400 figures would hold 1.5 GB until
        # the run ends. The youngest generation is this figure's objects (after the first
        # call, which also ages the dataset's): a few milliseconds each.
        gc.collect(0)
    return pngs


def _check_formats(formats: Sequence[str]) -> list[str]:
    if isinstance(formats, str):
        formats = [formats]
    wanted = list(dict.fromkeys(formats))
    for name in wanted:
        if name not in FORMATS:
            raise ValueError(f"unknown report format {name!r} (formats: {', '.join(FORMATS)})")
    return wanted


def render_files(
    doc: ReportDocument,
    formats: Sequence[str],
    charts: Sequence[bytes] | None = None,
    *,
    csv_delimiter: str = ",",
) -> list[RenderedFile]:
    """The report's files in ``formats`` (html, xlsx, csv, json, pdf), in the order asked; the
    HTML and the PDF embed ``charts`` (the PNGs of ``chart_images``), drawn here when not given.
    CSV files separate their fields with ``csv_delimiter`` (";" for Excel in most of Europe).
    A format this machine cannot render raises :class:`FormatsNotRendered` holding the others."""
    wanted = _check_formats(formats)
    stem = file_stem(doc)
    files: list[RenderedFile] = []
    missing: list[str] = []
    with collector_paused():  # a workbook is 100,000 cells: see pmosync.reports.collector
        for name in wanted:
            try:
                files += _render(doc, name, stem, charts, csv_delimiter)
            except FormatUnavailable as error:  # the other formats are still rendered
                missing.append(str(error))
    if missing:
        raise FormatsNotRendered("; ".join(missing), files)
    return files


def _render(
    doc: ReportDocument,
    name: str,
    stem: str,
    charts: Sequence[bytes] | None,
    csv_delimiter: str = ",",
) -> list[RenderedFile]:
    """The file(s) of one format: one per format, except CSV, one per section."""
    if name == "html":
        from pmosync.reports.render.html import render_html

        pngs = chart_images(doc) if charts is None else charts
        sources = [data_uri(png) for png in pngs]
        content = render_html(doc, sources).encode("utf-8", "replace")
        return [RenderedFile(f"{stem}.html", content, MEDIA_TYPES["html"])]
    if name == "xlsx":
        from pmosync.reports.render.xlsx import render_xlsx

        return [RenderedFile(f"{stem}.xlsx", render_xlsx(doc), MEDIA_TYPES["xlsx"])]
    if name == "csv":
        from pmosync.reports.render.csv_files import render_csv

        names = _section_names(doc, stem)
        return [
            RenderedFile(file_name, render_csv(section, csv_delimiter), MEDIA_TYPES["csv"])
            for section, file_name in zip(doc.sections, names, strict=True)
        ]
    if name == "pdf":
        from pmosync.reports.render.pdf import render_pdf

        pngs = chart_images(doc) if charts is None else charts
        return [RenderedFile(f"{stem}.pdf", render_pdf(doc, pngs), MEDIA_TYPES["pdf"])]
    from pmosync.reports.render.json_file import render_json

    return [RenderedFile(f"{stem}.json", render_json(doc), MEDIA_TYPES["json"])]


def data_uri(png: bytes) -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def email_html(doc: ReportDocument, charts: Sequence[bytes] | None = None) -> EmailHtml:
    """The HTML report for an email body, its charts (drawn here when not given) as inline
    ``cid:`` images, and the same report as plain text (the ``text/plain`` alternative).

    The body is the compact page (``html.EMAIL_ROWS`` rows a section at most, "and N more in
    the attached report"; fewer for the later sections when the body would be over
    ``EMAIL_HTML_MAX`` bytes: ``html.email_rows_within``), so it stays under that budget
    whatever the portfolio's size; the full report goes along as attachments.
    """
    from pmosync.reports.render.charts import drawn
    from pmosync.reports.render.html import email_rows_within, render_html
    from pmosync.reports.render.plain import render_text

    pngs = chart_images(doc) if charts is None else charts
    images: dict[str, bytes] = {}
    for index, (chart, png) in enumerate(zip(drawn(doc.charts), pngs, strict=True), 1):
        key = slug(as_text(chart.key), keep="_")[:KEY_CHARS].strip("-") or "chart"
        images[f"chart-{index}-{key}@pmosync"] = png
    sources = [f"cid:{cid}" for cid in images]
    # the image references are not in the measured page: keep a little room for them
    rows = email_rows_within(doc, EMAIL_HTML_MAX - EMAIL_HTML_SLACK - 200 * len(sources))
    page = render_html(doc, sources, email=True, email_rows=rows)
    if len(page.encode("utf-8", "replace")) > EMAIL_HTML_MAX:  # measuring missed: no rows
        page = render_html(doc, sources, email=True, email_rows=0)
    return EmailHtml(page, images, render_text(doc))
