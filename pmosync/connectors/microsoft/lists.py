"""Reading a SharePoint list's items through Graph: the Planner status list and list rows.

A list is addressed by its site (``contoso.sharepoint.com:/sites/pmo``) and its display name or
id, as Graph allows; its items come with their typed ``fields`` only with ``$expand=fields``,
and with who last modified them and when, which is what dates a status item. Reading a list
needs Sites.Read.All.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pmosync.connectors.errors import NotFound
from pmosync.connectors.microsoft.graph import GraphClient, gather


@dataclass(frozen=True, slots=True)
class ListRead:
    """A list read in full: its id, name, web address and items (each with ``fields``)."""

    id: str
    name: str
    url: str | None
    items: list[dict[str, Any]]
    site_id: str = ""


async def read_list(client: GraphClient, site: str, name: str) -> ListRead:
    """Every item of list ``name`` of ``site``; NotFound naming the site or the list."""
    try:
        found = await client.get(client.sdk.sites.by_site_id(site).to_get_request_information())
    except NotFound:
        raise NotFound(f"site {site} not found", 404) from None
    base = f"sites/{found['id']}/lists/{quote(name, safe='')}"
    try:
        meta = await client.get(f"{base}?$select=id,displayName,webUrl")
    except NotFound:
        raise NotFound(f"site {site} has no list {name!r}", 404) from None
    items = await client.collect(f"sites/{found['id']}/lists/{meta['id']}/items?$expand=fields")
    return ListRead(
        meta["id"], meta.get("displayName") or name, meta.get("webUrl"), items, found["id"]
    )


USER_LIST = "User Information List"
"""The site's hidden list of the people its items refer to, by lookup id."""
ONE_BY_ONE = 3
"""Above this many people, the user list is listed once instead of read item by item."""


async def list_columns(client: GraphClient, read: ListRead) -> dict[str, dict[str, Any]]:
    """The list's column definitions by internal name: their type facets say what a field's
    value means (a Person column's lookup id, a Currency column's locale...)."""
    columns = await client.collect(f"sites/{read.site_id}/lists/{read.id}/columns")
    return {c["name"]: c for c in columns if c.get("name")}


async def person_columns(client: GraphClient, read: ListRead) -> set[str]:
    """The list's Person (personOrGroup) columns, by internal name."""
    columns = await list_columns(client, read)
    return {name for name, c in columns.items() if "personOrGroup" in c}


async def people_by_lookup(
    client: GraphClient,
    read: ListRead,
    lookups: set[str],
    *,
    keys: tuple[str, ...] = ("EMail", "UserName"),
) -> dict[str, str | None]:
    """Lookup id -> the person's email (else sign-in name; ``keys`` says which user-list
    fields, first found) from the site's user list: Graph gives a person field only as
    ``<Column>LookupId``.

    A few people are read one item each; more than ``ONE_BY_ONE`` are read by listing the user
    list once (a page holds many people), so a list naming 40 people costs a page or two on
    every sync rather than 40 requests."""
    base = f"sites/{read.site_id}/lists/{quote(USER_LIST, safe='')}/items"

    def address(item: dict[str, Any]) -> str | None:
        fields = item.get("fields") or {}
        return next((fields[key] for key in keys if fields.get(key)), None)

    ordered = sorted(lookups)
    if len(ordered) > ONE_BY_ONE:
        try:
            users = await client.collect(f"{base}?$expand=fields")
        except NotFound:
            users = []
        known = {str(item.get("id")): address(item) for item in users}
        return {lookup: known.get(lookup) for lookup in ordered}

    async def one(lookup: str) -> str | None:
        try:
            item = await client.get(f"{base}/{quote(lookup, safe='')}?$expand=fields")
        except NotFound:
            return None
        return address(item)

    return dict(zip(ordered, await gather(*(one(k) for k in ordered)), strict=True))
