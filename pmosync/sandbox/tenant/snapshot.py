"""The tenant as plain JSON-able dicts: ground truth for a benchmark in another process."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pmosync.sandbox.tenant.tenant import Tenant

COLLECTIONS = ("users", "groups", "channels", "plans", "buckets", "tasks", "sites", "drives")
"""Dumped whole, each as a list in creation order."""


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def tenant_snapshot(tenant: Tenant) -> dict[str, Any]:
    """Every directory and Planner record with every field, drive items without their bytes
    (``size`` and ``path`` instead), lists with their items, and each timesheet's rows.

    Timesheet rows use the workbook's vocabulary (``email, date, hours, project, task,
    billable``) so a consumer compares them with what it read from the file.
    """
    with tenant.lock:
        snapshot: dict[str, Any] = {
            "tenant_id": tenant.tenant_id,
            "today": tenant.today.isoformat(),
            "domain": tenant.domain,
            "planner_zone": tenant.planner_zone,  # Planner's dates are midnight there, in UTC
        }
        for name in COLLECTIONS:
            snapshot[name] = [_plain(record) for record in getattr(tenant, name).values()]
        snapshot["items"] = [
            {
                "id": item.id,
                "drive_id": item.drive_id,
                "parent_id": item.parent_id,
                "name": item.name,
                "path": tenant.item_path(item.id),
                "folder": item.is_folder,
                "size": len(item.content or b""),
                "version": item.version,
                "created_at": _plain(item.created_at),
                "modified_at": _plain(item.modified_at),
            }
            for item in tenant.items.values()
        ]
        snapshot["lists"] = [_plain(sp_list) for sp_list in tenant.lists.values()]
        snapshot["timesheets"] = [
            {
                "item_id": sheet.item_id,
                "name": tenant.items[sheet.item_id].name,
                "week_start": sheet.week_start.isoformat(),
                "sheet": sheet.sheet,
                "rows": [
                    {
                        "email": row.email,
                        "date": row.day.isoformat(),
                        "hours": row.hours,
                        "project": row.project,
                        "task": row.task,
                        "billable": row.billable,
                    }
                    for row in sheet.rows
                ],
            }
            for sheet in tenant.timesheets.values()
        ]
        snapshot["sent_mail"] = len(tenant.sent_mail)
        return snapshot
