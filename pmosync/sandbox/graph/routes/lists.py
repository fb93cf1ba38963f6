"""SharePoint lists and their items (a site's "Project status" list takes report rows).

A list is addressed by id or display name, as Graph allows. Item listings carry ``fields``
only with ``$expand=fields``; a created item always comes back with its fields. Items filter
on one column (``$filter=fields/AsOf eq '2026-03-02'``) and, as SharePoint does for a column
without an index, only with ``Prefer: HonorNonIndexedQueriesWarningMayFailRandomly``.
"""

from __future__ import annotations

import re
from typing import Any

from pmosync.sandbox.graph import odata, render
from pmosync.sandbox.graph.auth import Access
from pmosync.sandbox.graph.call import Call, Reply
from pmosync.sandbox.graph.errors import invalid_request, item_not_found
from pmosync.sandbox.graph.routes.drives import site
from pmosync.sandbox.graph.routing import Route
from pmosync.sandbox.tenant import SharePointList

_SCALARS = (str, int, float, bool, type(None))
_FIELD_EQ = re.compile(r"^\s*fields/(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$")
NON_INDEXED = "HonorNonIndexedQueriesWarningMayFailRandomly"


def _list(call: Call) -> SharePointList:
    owner = site(call.tenant, call.args["site"])
    try:
        return call.tenant.site_list(owner.id, call.args["list"])
    except KeyError:
        raise item_not_found(f"List '{call.args['list']}' does not exist.") from None


def site_lists(call: Call) -> Reply:
    owner = site(call.tenant, call.args["site"])
    lists = [sp for sp in call.tenant.lists.values() if sp.site_id == owner.id]
    tenant = call.tenant
    return call.listing(
        f"sites('{owner.id}')/lists",
        lists,
        lambda sp: [sp.id],
        lambda sp: render.sp_list(sp, tenant),
    )


def get_list(call: Call) -> Reply:
    found = _list(call)
    return call.entity(
        f"sites('{found.site_id}')/lists/$entity", render.sp_list(found, call.tenant)
    )


def _matching(call: Call, found: SharePointList) -> list[str]:
    """Item ids passing ``$filter`` (one ``fields/Name eq 'text'``; values compared as text)."""
    text = call.option("filter")
    if text is None:
        return list(found.items)
    match = _FIELD_EQ.match(text)
    if match is None:
        raise odata.unsupported_query(text)
    name, value = match.group(1), match.group(2).replace("''", "'")
    if NON_INDEXED not in (_header(call, "Prefer") or ""):
        raise invalid_request(
            f"Field '{name}' cannot be referenced in filter or orderby as it is not indexed. "
            f"Provide the 'Prefer: {NON_INDEXED}' header to allow this, but be warned that "
            "such queries may fail on large lists."
        )
    return [
        item_id
        for item_id, fields in found.items.items()
        if fields.get(name) is not None and str(fields.get(name)) == value
    ]


def _header(call: Call, name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in call.headers.items() if k.lower() == wanted), None)


def list_items(call: Call) -> Reply:
    found = _list(call)
    with_fields = "fields" in odata.parse_expand(call.option("expand"))
    tenant = call.tenant
    return call.listing(
        f"sites('{found.site_id}')/lists('{found.id}')/items",
        _matching(call, found),
        lambda item_id: [int(item_id)],
        lambda item_id: render.list_item(found, item_id, tenant, with_fields=with_fields),
    )


def get_list_item(call: Call) -> Reply:
    found = _list(call)
    item_id = call.args["item"]
    if item_id not in found.items:
        raise item_not_found(f"Item '{item_id}' does not exist.")
    with_fields = "fields" in odata.parse_expand(call.option("expand"))
    return call.entity(
        f"sites('{found.site_id}')/lists('{found.id}')/items/$entity",
        render.list_item(found, item_id, call.tenant, with_fields=with_fields),
    )


def create_list_item(call: Call) -> Reply:
    found = _list(call)
    fields = call.json().get("fields")
    if not isinstance(fields, dict) or not fields:
        raise invalid_request('Give the item as {"fields": {"Title": "...", ...}}.')
    for name, value in fields.items():
        if not _plain(value):
            raise invalid_request(f"Field '{name}' must be a text, number, boolean or null value.")
    item_id = call.tenant.add_list_item(found.id, fields)
    return call.entity(
        f"sites('{found.site_id}')/lists('{found.id}')/items/$entity",
        render.list_item(found, item_id, call.tenant, with_fields=True),
        201,
    )


def _plain(value: Any) -> bool:
    if isinstance(value, list):
        return all(isinstance(v, _SCALARS) for v in value)
    return isinstance(value, _SCALARS)


ROUTES = (
    Route("GET", "/sites/{site}/lists", site_lists, Access.SITES_READ),
    Route("GET", "/sites/{site}/lists/{list}", get_list, Access.SITES_READ),
    Route("GET", "/sites/{site}/lists/{list}/items", list_items, Access.SITES_READ),
    Route("POST", "/sites/{site}/lists/{list}/items", create_list_item, Access.LIST_WRITE),
    Route("GET", "/sites/{site}/lists/{list}/items/{item}", get_list_item, Access.SITES_READ),
)
