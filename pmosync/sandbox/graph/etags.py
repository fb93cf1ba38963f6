"""Entity tags derived from record versions: opaque, and changing exactly when ``version`` does.

Planner's look like ``W/"JzEtVGFzayAgQEBAQEBAQEBAQEBAQEBAWCc="`` (base64 of ``'1-Task  ...'``);
SharePoint's like ``"{2D6E6B8A-...},3"`` with a content tag ``"c:{...},3"``. Clients must treat
them as opaque; keeping the real shapes catches a client that parses them anyway.
"""

from __future__ import annotations

import base64
import hashlib
import uuid


def planner_etag(kind: str, record_id: str, version: int) -> str:
    digest = hashlib.sha1(record_id.encode()).hexdigest()[:10]
    raw = f"'1-{kind:<6}{digest}@{version:08x}'".encode()
    return f'W/"{base64.b64encode(raw).decode()}"'


def _item_guid(record_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, record_id)).upper()


def item_etag(record_id: str, version: int) -> str:
    return f'"{{{_item_guid(record_id)}}},{version}"'


def item_ctag(record_id: str, version: int) -> str:
    return f'"c:{{{_item_guid(record_id)}}},{version}"'
