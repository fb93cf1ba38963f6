"""A report's delivery targets: their order, their stable identity, and how they are named.

A target's identity (``digest``) is a hash of its settings, so the store can tell "this period
already went to this target" across runs, restarts and edits of other targets. Secrets are
no part of it: a Teams webhook is identified by its host and path (which workflow), not by the
signature in its query, so rotating the signature does not make a period go out twice.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pmosync.config.reports import (
    EmailDelivery,
    FolderDelivery,
    Report,
    SharePointDelivery,
    TeamsDelivery,
)

ORDER = ("sharepoint", "folder", "email", "teams")
"""SharePoint first: its link is what Teams cards and oversized Graph mails point to."""

TargetSettings = SharePointDelivery | EmailDelivery | TeamsDelivery | FolderDelivery


@dataclass(frozen=True, slots=True)
class Target:
    kind: str
    settings: TargetSettings
    digest: str
    label: str


def targets_of(report: Report) -> list[Target]:
    """The report's targets in delivery order (configured order within a kind)."""
    found = [make_target(d.kind, d.target) for d in report.deliver if d.target is not None]
    return sorted(found, key=lambda t: ORDER.index(t.kind))


def make_target(kind: str, settings: Any) -> Target:
    public = _public_settings(kind, settings)
    text = json.dumps({"kind": kind, **public}, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(text.encode()).hexdigest()[:32]
    return Target(kind, settings, digest, _label(kind, settings, digest))


def _public_settings(kind: str, settings: Any) -> dict[str, Any]:
    if kind == "teams":
        parts = urlsplit(settings.webhook_url.get_secret_value())
        return {"workflow": f"{parts.scheme}://{parts.netloc.lower()}{parts.path}"}
    return settings.model_dump(mode="json")


def _label(kind: str, settings: Any, digest: str) -> str:
    if kind == "sharepoint":
        shown = f"SharePoint {settings.site}, folder {settings.folder}"
        return shown + (f", list {settings.list}" if settings.list else "")
    if kind == "email":
        shown = f"email to {', '.join(settings.to)}"
        if settings.cc:
            shown += f" (cc {', '.join(settings.cc)})"
        return shown + f" via {settings.via}"
    if kind == "teams":
        host = urlsplit(settings.webhook_url.get_secret_value()).hostname or "?"
        return f"Teams webhook on {host} ({digest[:6]})"
    return f"folder {settings.path}"
