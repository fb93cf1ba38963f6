"""``/_sandbox/*``: controls for a sandbox running in another process (benchmarks).

They need a valid token but bypass faults, quotas and request accounting, so reading the
statistics never changes them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pmosync.sandbox.graph.errors import GraphError, bad_request
from pmosync.sandbox.tenant import tenant_snapshot

if TYPE_CHECKING:
    from pmosync.sandbox.graph.server import GraphSandbox


def handle_control(sandbox: GraphSandbox, method: str, path: str, raw: bytes) -> dict[str, Any]:
    """The JSON reply of a control endpoint; GraphError for unknown ones or bad input."""
    if (method, path) == ("GET", "/_sandbox/stats"):
        return sandbox.stats()
    if (method, path) == ("POST", "/_sandbox/reset_stats"):
        sandbox.reset_stats()
        return {"ok": True}
    if (method, path) == ("GET", "/_sandbox/snapshot"):
        with sandbox.tenant.lock:
            return tenant_snapshot(sandbox.tenant)
    if (method, path) == ("POST", "/_sandbox/mutate"):
        try:
            body = json.loads(raw or b"{}")
            fraction = float(body.get("fraction", 0.01))
            seed = int(body.get("seed", 1))
        except (ValueError, TypeError, AttributeError):
            raise bad_request('Body must be {"fraction": number, "seed": integer}') from None
        try:
            return {"touched": sandbox.tenant.mutate_fraction(fraction, seed)}
        except ValueError as error:
            raise bad_request(str(error)) from None
    if (method, path) == ("POST", "/_sandbox/list_item"):
        return _list_item(sandbox, raw)
    if (method, path) == ("POST", "/_sandbox/conflict"):
        try:
            body = json.loads(raw or b"{}")
            item, count = str(body["item"]), int(body.get("count", 1))
        except (ValueError, TypeError, KeyError, AttributeError):
            raise bad_request('Body must be {"item": id, "count": integer}') from None
        sandbox.conflict_next(item, count)
        return {"ok": True}
    raise GraphError(404, "itemNotFound", f"No sandbox control at {method} {path}")


def _list_item(sandbox: GraphSandbox, raw: bytes) -> dict[str, Any]:
    """Edit a list item's fields or delete it, as a person would between two syncs:
    ``{"list": name or id, "item": id, "fields": {...}}`` or ``{..., "delete": true}``."""
    tenant = sandbox.tenant
    try:
        body = json.loads(raw or b"{}")
        wanted, item = str(body["list"]), str(body["item"])
        fields = dict(body.get("fields") or {})
    except (ValueError, TypeError, KeyError, AttributeError):
        raise bad_request('Body must be {"list": name, "item": id, "fields": {...}}') from None
    found = next((i for i, sp in tenant.lists.items() if wanted in (i, sp.display_name)), None)
    if found is None or item not in tenant.lists[found].items:
        raise GraphError(404, "itemNotFound", f"No item {item} in list {wanted}")
    try:
        if body.get("delete"):
            tenant.delete_list_item(found, item)
        else:
            tenant.edit_list_item(found, item, fields)
    except ValueError as error:
        raise bad_request(str(error)) from None
    return {"ok": True}
