"""Folder templates (``Reports/{year}/{week}``) filled in from a report's date and name.

The values come from the report, not from the moment it runs, so a report re-delivered days
later (a retry) lands in the folder of its own period.
"""

from __future__ import annotations

import re
from datetime import date

from pmosync.reports.document import ReportDocument
from pmosync.reports.metrics.weeks import week_label, week_start

_UNSAFE = re.compile(r'[\x00-\x1f\x7f\\/:*?"<>|]')
"""Characters a file or folder name may not hold in SharePoint (and Windows)."""


def placeholder_values(document: ReportDocument) -> dict[str, str]:
    """``{year}`` 2026, ``{month}`` 03, ``{day}`` 02, ``{week}`` 2026-W10 (ISO week),
    ``{date}`` 2026-03-02, ``{report}`` the report's name, ``{kind}`` its kind."""
    day = date.fromisoformat(document.as_of[:10])
    return {
        "year": f"{day.year:04d}",
        "month": f"{day.month:02d}",
        "day": f"{day.day:02d}",
        "week": week_label(week_start(day)),
        "date": day.isoformat(),
        "report": safe_name(document.report),
        "kind": safe_name(document.kind),
    }


def resolve_folder(template: str, document: ReportDocument) -> str:
    """The template with its placeholders filled in (validated by the config already)."""
    return template.format_map(placeholder_values(document))


def safe_name(value: str) -> str:
    """One path segment: a value with a slash or colon must not make folders of its own."""
    cleaned = _UNSAFE.sub("-", value).strip(" .")
    return cleaned or "-"


def check_file_name(name: str) -> str:
    """A rendered file's name, refused when it could escape its folder."""
    if not name or name in (".", "..") or _UNSAFE.search(name):
        raise ValueError(f"unsafe file name {name!r}")
    return name
