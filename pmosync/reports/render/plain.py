"""The report as plain text: the ``text/plain`` alternative of its email.

A reader whose mail client shows no HTML (a phone's preview, a text-only client, a screen
reader set to plain text) still gets the headline figures, what changed and the top rows of each
section, formatted exactly as the HTML shows them (``html.section_view``, ``html.figure_view``),
as lines of text with no markup. The attachments hold the rest.
"""

from __future__ import annotations

from pmosync.reports.document import ReportDocument
from pmosync.reports.render.cells import as_text
from pmosync.reports.render.html import (
    figure_view,
    highlight_view,
    section_view,
    shown_sections,
    when,
)

TEXT_ROWS = 10
"""Rows a section in the plain text (the HTML body shows more)."""
LINE_CHARS = 240
"""A row line longer than this is cut: the attachments hold the whole row."""


def _line(text: str, limit: int = LINE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def render_text(doc: ReportDocument) -> str:
    previous = doc.previous_as_of if isinstance(doc.previous_as_of, str) else None
    lines = [
        _line(as_text(doc.title)),
        f"As of {_line(as_text(doc.as_of), 40)} - generated {when(doc.generated_at)}",
        "",
    ]
    for figure in doc.figures:
        view = figure_view(figure, previous)
        change = f" ({view.change})" if view.change else ""
        lines.append(_line(f"{view.label}: {view.value.text}{change}"))
    if doc.highlights:
        since = f" since {as_text(previous)}" if previous else ""
        lines += ["", f"What changed{since}:"]
        for highlight in doc.highlights:
            view = highlight_view(highlight)
            link = f" <{view.href}>" if view.href else ""
            lines.append(_line(f"- {view.text}{link}", LINE_CHARS * 2))
    for section in shown_sections(doc.sections):
        view = section_view(section, email=True)
        lines += ["", _line(f"{view.title} ({view.total:,} row{'' if view.total == 1 else 's'})")]
        if not view.total:
            lines.append(_line(view.empty or "No rows."))
            continue
        titles = [title for title, _ in view.columns]
        lines.append(_line(" | ".join(titles)))
        for row in view.rows[:TEXT_ROWS]:
            lines.append(_line(" | ".join(cell.text for cell in row)))
        more = view.total - min(len(view.rows), TEXT_ROWS)
        if more:
            lines.append(f"... and {more:,} more in the attached report")
    detail = [as_text(s.title) for s in doc.sections if s.detail is True]
    if detail:
        lines += ["", _line("In the attached files only: " + ", ".join(detail))]
    lines += ["", f"Report {as_text(doc.report)} - produced by pmosync."]
    return "\n".join(lines) + "\n"
