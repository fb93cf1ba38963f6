"""The SharePoint target: the files into a library folder, and optionally a list row per project.

The folder comes from the template and the report's date; uploads replace what is there, so a
rerun of the same period leaves one copy. The link kept for the period (what Teams cards and
large mails point to) is the HTML report's, or else the first file's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pmosync.canonical.text import one_line
from pmosync.config.reports import SharePointDelivery
from pmosync.reports.delivery.context import Round
from pmosync.reports.delivery.placeholders import check_file_name, resolve_folder
from pmosync.reports.document import Column, RenderedFile, ReportDocument, Section
from pmosync.reports.render.cells import safe_text, shown_number

LIST_KEY = ("Title", "Report", "AsOf")
"""What makes a list item the same item: a rerun must not add a project twice."""
TITLE_LIMIT = 255
"""SharePoint's limit for a single line of text."""


def deliver_sharepoint(round_: Round, target: SharePointDelivery) -> str | None:
    """Upload the files (and add the list items); the report's link on SharePoint."""
    from pmosync.connectors.microsoft.publish import SharePointSite

    client = round_.graphs.get(target.connector)
    site = SharePointSite(client, target.site)
    folder = resolve_folder(target.folder, round_.document).strip("/")
    return client.run(_publish(site, folder, round_, target))


async def _publish(site: Any, folder: str, round_: Round, target: SharePointDelivery) -> str | None:
    links: dict[str, str | None] = {}
    for file in round_.files:
        name = check_file_name(file.name)
        item = await site.upload(
            f"{folder}/{name}" if folder else name, file.content, file.media_type
        )
        links[name] = item.get("webUrl")
    link = main_link(round_.files, links)
    rows = project_items(round_.document, link) if target.list else []
    if rows:
        sp_list = await site.find_list(target.list)
        await site.add_items(sp_list, rows, LIST_KEY, ("AsOf", round_.document.as_of))
    return link


def main_link(files: Sequence[RenderedFile], links: Mapping[str, str | None]) -> str | None:
    """The HTML report's web link, else the workbook's, else the first file's."""
    for wanted in ("text/html", "application/vnd.openxmlformats-officedocument"):
        for file in files:
            if file.media_type.startswith(wanted) and links.get(file.name):
                return links[file.name]
    return next((links[f.name] for f in files if links.get(f.name)), None)


def project_items(document: ReportDocument, link: str | None) -> list[dict[str, Any]]:
    """One list row per row of the "projects" section (none when there is no such section).

    The section's columns are found by role rather than by exact key: the name is the column
    that links to the project (``link="url"``), the computed RAG the ``rag`` column whose key
    says computed, the reported RAG the other one, % complete the first percent column about
    completion.
    """
    section = next((s for s in document.sections if s.key == "projects"), None)
    if section is None:
        return []
    title = _title_column(section)
    rags = [c for c in section.columns if c.type == "rag"]
    computed = next((c for c in rags if "computed" in c.key), None)
    reported = next((c for c in rags if c is not computed), None)
    percent = _percent_column(section.columns)
    rows = []
    for row in section.rows:
        name = row.get(title.key) if title is not None else None
        rows.append(
            {
                "Title": _list_text(name if name is not None else "(unnamed)")[:TITLE_LIMIT],
                "Report": _list_text(document.report),
                "AsOf": document.as_of,
                "RAG": _list_text(row.get(reported.key)) if reported else None,
                "ComputedRAG": _list_text(row.get(computed.key)) if computed else None,
                "PercentComplete": _percent(row, percent),
                "Link": link,
            }
        )
    return rows


def _percent(row: Mapping[str, Any], column: Column | None) -> float | None:
    """The % complete as the report shows it (1 place); the document holds full precision."""
    if column is None:
        return None
    return shown_number(row.get(column.key), "percent")


def _list_text(value: Any) -> str | None:
    """A source's text as a list's single line of text holds it safely: one line, without
    control characters or bidirectional overrides, and never a formula start (a list's export
    to CSV or Excel would run ``=HYPERLINK(...)``): the rule of pmosync's CSV cells."""
    return None if value is None else safe_text(one_line(str(value)))


def _title_column(section: Section) -> Column | None:
    linked = next((c for c in section.columns if c.link == "url"), None)
    if linked is not None:
        return linked
    named = next((c for c in section.columns if c.key in ("name", "project")), None)
    return named or next((c for c in section.columns if c.type == "text"), None)


def _percent_column(columns: Sequence[Column]) -> Column | None:
    about = [c for c in columns if c.type == "percent" and "complete" in c.key]
    exact = next((c for c in about if c.key == "percent_complete"), None)
    return exact or next(iter(about), None)
