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
from pmosync.connectors.microsoft.graph import GraphClient


@dataclass(frozen=True, slots=True)
class ListRead:
    """A list read in full: its id, name, web address and items (each with ``fields``)."""

    id: str
    name: str
    url: str | None
    items: list[dict[str, Any]]


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
    return ListRead(meta["id"], meta.get("displayName") or name, meta.get("webUrl"), items)
