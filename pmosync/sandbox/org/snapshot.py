"""The organisation as plain JSON-able dicts: ground truth for a separate benchmark process."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pmosync.sandbox.org.organisation import Org


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


COLLECTIONS = (
    "teams",
    "people",
    "custom_fields",
    "portfolios",
    "projects",
    "sections",
    "tasks",
    "time_entries",
    "status_updates",
    "allocations",
    "budgets",
    "raid",
    "intake",
    "guests",
)


def org_snapshot(org: Org) -> dict[str, Any]:
    """Every collection as a list of dicts in gid order, plus the workspace and ``today``.

    Custom values stay keyed by field gid (enum values are option gids) so the consumer
    resolves them through ``custom_fields`` exactly like an API client would.
    """
    with org.lock:
        snapshot: dict[str, Any] = {
            "today": org.today.isoformat(),
            "workspace": _plain(org.workspace),
        }
        for name in COLLECTIONS:
            records = getattr(org, name)
            snapshot[name] = [_plain(records[gid]) for gid in sorted(records)]
        snapshot["raid_log_gid"] = org.raid_log_gid
        snapshot["intake_gid"] = org.intake_gid
        snapshot["rates"] = {gid: org.rates[gid] for gid in sorted(org.rates)}
        snapshot["changes"] = len(org.changes)
        return snapshot
