"""Planner's optimistic concurrency on writes: ``If-Match``, 412, 409 and ``Prefer``.

Every Planner PATCH names the etag the client last read in ``If-Match``. Planner answers a
missing header with 412 ("The If-Match header must be specified for this kind of request.",
an empty error code, as pnpjs and msgraph-sdk-javascript users have reported it), and an etag
that is not the item's current one with 412 ("The If-Match header contains an invalid
value."); ``*`` matches any version. A write colliding with a concurrent change is a 409
(armed by tests through :class:`~pmosync.sandbox.graph.conflicts.Conflicts`). An accepted
write answers 204 No Content, or 200 with the updated entity when the client sent
``Prefer: return=representation``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pmosync.sandbox.graph.call import Call, Reply
from pmosync.sandbox.graph.errors import GraphError

MISSING = "The If-Match header must be specified for this kind of request."
MISMATCH = "The If-Match header contains an invalid value."
CONFLICT = (
    "The request conflicts with a change made to the item at the same time. "
    "Read the item again and retry."
)


def header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def require_match(call: Call, etag: str, item_id: str) -> None:
    """Let a write through only with ``If-Match`` naming ``etag`` (or ``*``) and no armed
    conflict on ``item_id``; otherwise the 412 or 409 Planner gives."""
    given = header(call.headers, "If-Match")
    if given is None or not given.strip():
        raise GraphError(412, "", MISSING)
    if call.env.conflicts.take(item_id):
        raise GraphError(409, "Conflict", CONFLICT)
    tags = [tag.strip() for tag in given.split(",")]
    if "*" not in tags and etag not in tags:
        raise GraphError(412, "", MISMATCH)


def written(call: Call, fragment: str, record: dict[str, Any]) -> Reply:
    """204, or 200 with ``record`` (and its new etag) under ``Prefer: return=representation``."""
    prefer = header(call.headers, "Prefer") or ""
    wants = [part.strip().lower() for part in prefer.split(",")]
    if "return=representation" in wants:
        return call.entity(fragment, record)
    return Reply(204)
