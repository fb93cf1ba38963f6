"""Asana status updates on projects: the RAG and words a project owner chose on a date.

An update pmosync posted itself (write-back: its text ends with pmosync's write mark, see
``pmosync.contracts.writeback``) is the PMO's conclusion, not the team's word: it becomes no
record at all (nor a quarantine entry), so the team's reported RAG and the staleness rule only
ever see what the team posted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pmosync.canonical.types import Project, StatusUpdate
from pmosync.contracts.writeback import marked
from pmosync.mapping.asana.context import Context
from pmosync.mapping.asana.people import identity_ref
from pmosync.mapping.asana.rag import status_type_rag
from pmosync.mapping.asana.values import record_gid, ref_gid
from pmosync.mapping.result import Mapped, MappingError
from pmosync.mapping.values import build, text, timestamp_of


def pmosync_posted(update: Mapping[str, Any]) -> bool:
    """Whether pmosync posted this status update: its text or html_text carries the mark."""
    return any(
        isinstance(update.get(key), str) and marked(update[key]) is not None
        for key in ("text", "html_text")
    )


def map_status_update(ctx: Context, raw: Mapping[str, Any]) -> Mapped:
    """status_updates -> StatusUpdate; only project updates have a project to hang on, and
    pmosync's own updates (marked) are nothing."""
    if pmosync_posted(raw):
        return Mapped()
    subtype = raw.get("resource_subtype")
    if subtype not in (None, "project_status_update"):
        raise MappingError(f"status update is a {subtype}, not a project status update")
    project_gid = ref_gid(raw, "parent")
    if project_gid is None:
        raise MappingError("status update has no parent project")
    update = build(
        StatusUpdate,
        source=ctx.source,
        source_id=record_gid(raw),
        project_id=Project.ref(ctx.source, project_gid),
        posted_at=timestamp_of(raw, "created_at"),
        rag=status_type_rag(text(raw, "status_type")),
        title=text(raw, "title"),
        text=text(raw, "text"),
        author_identity_id=identity_ref(ctx, raw, "author") or identity_ref(ctx, raw, "created_by"),
        updated_at=timestamp_of(raw, "modified_at"),
    )
    return Mapped([update], [])
