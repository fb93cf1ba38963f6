"""The Teams summary of a report: an Adaptive Card for a Workflows webhook.

Version 1.4 is what Teams renders everywhere (desktop, web, mobile). The card is short on
purpose: the title, the report date, the headline figures as a FactSet, and a button to the
full report on SharePoint when this run put it there. Everything else lives in the report.
"""

from __future__ import annotations

from typing import Any

from pmosync.reports.document import UNDEFINED_TEXT, Figure, ReportDocument
from pmosync.reports.render.cells import rounded

CARD_VERSION = "1.4"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
MAX_FACTS = 12
"""A card is a glance; the figures come headline-first, so the first dozen are the ones."""


def format_figure(figure: Figure) -> str:
    """A figure as text the way the reports show it (undefined as "n/a", never 0)."""
    value, kind = figure.value, figure.type
    if value is None:
        return UNDEFINED_TEXT
    if kind == "flag":
        return "yes" if value else "no"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    value = rounded(value, kind)  # the document holds full precision; a card shows its places
    if kind == "int":
        return f"{round(value):,}"
    if kind == "percent":
        return f"{value:,.1f}%"
    if kind == "ratio":
        return f"{value:.2f}"
    if kind == "hours":
        return f"{value:,.1f} h"
    if kind == "days":
        return f"{round(value):+d} days"
    if kind == "change":
        return f"{round(value):+d}" if round(value) else "0"
    return f"{value:,.2f}"


def adaptive_card(document: ReportDocument, link: str | None) -> dict[str, Any]:
    """The webhook payload: a message with one Adaptive Card attachment."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": document.title,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        {
            "type": "TextBlock",
            "text": f"As of {document.as_of}",
            "isSubtle": True,
            "spacing": "None",
            "wrap": True,
        },
    ]
    facts = [
        {"title": figure.label, "value": format_figure(figure)}
        for figure in document.figures[:MAX_FACTS]
    ]
    if facts:
        body.append({"type": "FactSet", "facts": facts})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
    }
    if link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open the report", "url": link}]
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}],
    }
