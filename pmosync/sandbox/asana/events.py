"""The events feed: sync tokens over the org's change journal.

A sync token remembers the journal position and the resource it was issued for. The first
call (no token) and a stale token get 412 with a fresh token, as Asana does; a valid token
returns up to 100 events after its position and a token for the next call.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import time
from typing import Any

from pmosync.sandbox.asana.errors import ApiError
from pmosync.sandbox.asana.params import format_timestamp
from pmosync.sandbox.org import Change, Org

MAX_EVENTS = 100
STALE = (
    "Sync token invalid or too old. If you are attempting to keep resources in sync, you must "
    "fetch the full dataset for this query now and use the new sync token for the next sync."
)
# What a project's feed reports: its tasks, their comments, its sections and the project.
_PROJECT_FEED_TYPES = frozenset({"task", "section", "project", "story"})


class SyncTokens:
    """Issues and checks sync tokens: signed (resource gid, journal position, issue time).

    The token carries its own state, as an opaque signed string, so a sandbox restarted over
    the same generated org with the same ``secret`` honours tokens the previous process issued,
    as Asana's do across its own restarts; that is what lets a second ``pmosync demo`` sync
    incrementally. ``expire_all`` invalidates every token issued so far.
    """

    def __init__(self, ttl_s: float, secret: bytes | None = None) -> None:
        self.ttl_s = ttl_s
        self._secret = secret or os.urandom(16)
        self._not_before = 0.0
        self._lock = threading.Lock()

    def issue(self, resource: str, position: int) -> str:
        payload = json.dumps([resource, position, time.time()], separators=(",", ":"))
        body = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        return f"{body}.{self._sign(body)}"

    def position(self, token: str | None, resource: str) -> int | None:
        """The journal position of a live token issued for ``resource``, else None."""
        if not token:
            return None
        body, _, mac = token.partition(".")
        if not hmac.compare_digest(mac, self._sign(body)):
            return None
        try:
            issued_for, position, issued = json.loads(
                base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            )
        except ValueError:
            return None
        with self._lock:
            stale = issued <= self._not_before or time.time() - issued > self.ttl_s
        if stale or issued_for != resource:
            return None
        return int(position)

    def expire_all(self) -> None:
        with self._lock:
            self._not_before = time.time()

    def _sign(self, body: str) -> str:
        return hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()[:24]


def relevant(change: Change, resource: str, is_project: bool) -> bool:
    if is_project:
        return resource in change.projects and change.resource_type in _PROJECT_FEED_TYPES
    return change.gid == resource or (
        change.parent_gid == resource and change.resource_type in ("task", "story")
    )


def events_since(
    org: Org, tokens: SyncTokens, resource: str, token: str | None, user: dict[str, Any]
) -> dict[str, Any]:
    """The 200 body for a live token; raises the 412 (with a fresh token) otherwise."""
    is_project = resource in org.projects
    changes = org.changes
    start = tokens.position(token, resource)
    if start is None:
        raise ApiError(412, STALE, extra={"sync": tokens.issue(resource, len(changes))})
    found: list[Change] = []
    position = len(changes)
    for change in changes[start:]:
        if relevant(change, resource, is_project):
            if len(found) == MAX_EVENTS:
                position = change.seq - 1
                break
            found.append(change)
    has_more = position < len(changes)
    return {
        "data": [_event(org, change, user) for change in found],
        "sync": tokens.issue(resource, position),
        "has_more": has_more,
    }


def _named(
    org: Org, resource_type: str | None, gid: str | None, fallback: str = ""
) -> dict[str, Any] | None:
    if gid is None or resource_type is None:
        return None
    table = {
        "task": org.tasks,
        "section": org.sections,
        "project": org.projects,
        "status_update": org.status_updates,
        "story": org.stories,
    }.get(resource_type, {})
    record = table.get(gid)
    name = getattr(record, "title", None) or getattr(record, "name", None) or fallback
    named: dict[str, Any] = {"gid": gid, "resource_type": resource_type, "name": name}
    if resource_type == "task":
        named["resource_subtype"] = getattr(record, "resource_subtype", "default_task")
    return named


def _event(org: Org, change: Change, user: dict[str, Any]) -> dict[str, Any]:
    author = org.user(change.user_gid)
    if author is not None:  # who made the change, when the journal knows
        user = {"gid": author.gid, "resource_type": "user", "name": author.name}
    event: dict[str, Any] = {
        "user": user,
        "created_at": format_timestamp(change.at),
        "type": change.resource_type,
        "action": change.action,
        "resource": _named(org, change.resource_type, change.gid, change.name),
        "parent": _named(org, change.parent_type, change.parent_gid),
    }
    if change.action == "changed":
        event["change"] = {"field": change.field, "action": "changed"}
    return event
