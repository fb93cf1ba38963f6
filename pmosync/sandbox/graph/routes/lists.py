"""SharePoint lists and their items (a site's "Project status" list takes report rows).

A list is addressed by id or display name, as Graph allows, and has typed columns: a written
field the list has no column for is refused ("Field 'X' is not recognized"), values are stored
by type and a date comes back as a UTC date-time. Item listings carry ``fields`` only with
``$expand=fields``; a created item always comes back with its fields. Items filter on one
column (``$filter=fields/AsOf eq '2026-03-02T00:00:00Z'``), comparing typed values, and, as
SharePoint does for a column without an index, only with
``Prefer: HonorNonIndexedQueriesWarningMayFailRandomly``. Lists are created with their
columns through ``POST /sites/{id}/lists``.
"""

from __future__ import annotations

import re
from typing import Any

from pmosync.sandbox.graph import odata, render
from pmosync.sandbox.graph.auth import Access
from pmosync.sandbox.graph.call import Call, Reply
from pmosync.sandbox.graph.errors import GraphError, invalid_request, item_not_found
from pmosync.sandbox.graph.routes.drives import site
from pmosync.sandbox.graph.routing import Route
from pmosync.sandbox.tenant import ListColumn, SharePointList
from pmosync.sandbox.tenant.columns import (
    ListValueError,
    compares,
    filter_value,
    unknown_field,
)
from pmosync.sandbox.tenant.model import COLUMN_KINDS

_SCALARS = (str, int, float, bool, type(None))
_CLAUSE = (
    r"fields/(\w+)\s+(eq|ne|ge|gt|le|lt)\s+"
    r"(?:'((?:[^']|'')*)'|(-?[0-9.]+(?:[eE][-+]?[0-9]+)?|true|false))"
)
_FILTER = re.compile(rf"^\s*{_CLAUSE}(?:\s+and\s+{_CLAUSE})*\s*$")
_CLAUSES = re.compile(_CLAUSE)
NON_INDEXED = "HonorNonIndexedQueriesWarningMayFailRandomly"


def _list(call: Call) -> SharePointList:
    owner = site(call.tenant, call.args["site"])
    try:
        return call.tenant.site_list(owner.id, call.args["list"])
    except KeyError:
        raise item_not_found(f"List '{call.args['list']}' does not exist.") from None


def site_lists(call: Call) -> Reply:
    owner = site(call.tenant, call.args["site"])
    lists = [sp for sp in call.tenant.lists.values() if sp.site_id == owner.id and not sp.hidden]
    tenant = call.tenant
    return call.listing(
        f"sites('{owner.id}')/lists",
        lists,
        lambda sp: [sp.id],
        lambda sp: render.sp_list(sp, tenant),
    )


def get_list(call: Call) -> Reply:
    found = _list(call)
    with_columns = "columns" in odata.parse_expand(call.option("expand"))
    return call.entity(
        f"sites('{found.site_id}')/lists/$entity",
        render.sp_list(found, call.tenant, with_columns=with_columns),
    )


def list_columns(call: Call) -> Reply:
    found = _list(call)
    columns = render.list_columns(found)
    return call.listing(
        f"sites('{found.site_id}')/lists('{found.id}')/columns",
        range(len(columns)),
        lambda i: [i],
        lambda i: columns[i],
    )


def create_list(call: Call) -> Reply:
    """``POST /sites/{id}/lists``: a generic list with a Title column and the given ones."""
    owner = site(call.tenant, call.args["site"])
    body = call.json()
    name = body.get("displayName")
    if not isinstance(name, str) or not name.strip():
        raise invalid_request("The list needs a displayName.")
    columns = [_column(spec) for spec in body.get("columns") or []]
    try:
        list_id = call.tenant.add_list(owner.id, name, columns)
    except ValueError as error:
        raise GraphError(409, "nameAlreadyExists", str(error)) from None
    created = call.tenant.lists[list_id]
    return call.entity(
        f"sites('{owner.id}')/lists/$entity",
        render.sp_list(created, call.tenant, with_columns=True),
        201,
    )


def _column(spec: Any) -> ListColumn:
    """A columnDefinition from a create body: its name and exactly one known type facet."""
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not spec["name"]:
        raise invalid_request("Each column needs a name.")
    kinds = [kind for kind in COLUMN_KINDS if kind in spec]
    if len(kinds) != 1:
        raise invalid_request(
            f"Column '{spec['name']}' needs one type facet of {', '.join(COLUMN_KINDS)}."
        )
    kind = kinds[0]
    facet = spec[kind] if isinstance(spec[kind], dict) else {}
    date_only = kind == "dateTime" and facet.get("format") == "dateOnly"
    choices = tuple(str(c) for c in facet.get("choices") or ()) if kind == "choice" else ()
    return ListColumn(spec["name"], kind, bool(spec.get("indexed")), date_only, choices)


def _matching(call: Call, found: SharePointList) -> list[str]:
    """Item ids passing ``$filter``: comparisons ``fields/Name op literal`` (eq, ne, ge, gt,
    le, lt) joined by ``and``, each literal read as its column's type (a quoted date-time with
    its zone for a date column, a bare number for a number column) and compared with the
    stored typed values."""
    text = call.option("filter")
    if text is None:
        return list(found.items)
    if _FILTER.match(text) is None:
        raise odata.unsupported_query(text)
    tests = []
    for name, operator, quoted_text, bare in _CLAUSES.findall(text):
        column = found.columns.get(name)
        if column is None:
            raise invalid_request(str(unknown_field(name)))
        quoted = not bare
        literal = quoted_text.replace("''", "'") if quoted else bare
        try:
            wanted = filter_value(column, literal, quoted)
        except ListValueError as error:
            raise invalid_request(str(error)) from None
        if not column.indexed and NON_INDEXED not in (_header(call, "Prefer") or ""):
            raise invalid_request(
                f"Field '{name}' cannot be referenced in filter or orderby as it is not "
                f"indexed. Provide the 'Prefer: {NON_INDEXED}' header to allow this, but be "
                "warned that such queries may fail on large lists."
            )
        tests.append((name, operator, wanted))
    return [
        item_id
        for item_id, fields in found.items.items()
        if all(compares(fields.get(name), op, wanted) for name, op, wanted in tests)
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
    try:
        item_id = call.tenant.add_list_item(found.id, fields)
    except ListValueError as error:
        raise invalid_request(str(error)) from None
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
    Route("POST", "/sites/{site}/lists", create_list, Access.LIST_MANAGE),
    Route("GET", "/sites/{site}/lists/{list}", get_list, Access.SITES_READ),
    Route("GET", "/sites/{site}/lists/{list}/columns", list_columns, Access.SITES_READ),
    Route("GET", "/sites/{site}/lists/{list}/items", list_items, Access.SITES_READ),
    Route("POST", "/sites/{site}/lists/{list}/items", create_list_item, Access.LIST_WRITE),
    Route("GET", "/sites/{site}/lists/{list}/items/{item}", get_list_item, Access.SITES_READ),
)
