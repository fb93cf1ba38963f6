"""Publish to a SharePoint site through Graph: its document library and its lists.

The site is named the way people copy it from the browser (``contoso.sharepoint.com:/sites/pmo``)
and resolved once; files go to its default document library by path. List items are written
once per key: a delivery retried after a half-finished run must not leave the PMO's list with
every project twice, so the items already there for the same key are read first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pmosync.connectors.errors import NotFound
from pmosync.connectors.microsoft.graph import GraphClient
from pmosync.connectors.microsoft.upload import upload_file

NON_INDEXED = "HonorNonIndexedQueriesWarningMayFailRandomly"
"""SharePoint filters on a column that has no index only with this ``Prefer`` header."""


@dataclass(frozen=True, slots=True)
class SiteDrive:
    """A site and its default document library."""

    site_id: str
    drive_id: str
    label: str
    """How the user named the site, for messages."""


@dataclass(frozen=True, slots=True)
class ListRef:
    id: str
    name: str


class SharePointSite:
    """One site's library and lists, through one connector's ``GraphClient``."""

    def __init__(self, client: GraphClient, site: str) -> None:
        self.client = client
        self.site = site
        self._drive: SiteDrive | None = None

    async def drive(self) -> SiteDrive:
        if self._drive is None:
            client = self.client
            try:
                found = await client.get(f"sites/{quote(self.site, safe=':/,')}?$select=id")
            except NotFound:
                raise NotFound(f"SharePoint site {self.site!r} not found", 404) from None
            site_id = found["id"]
            drive = await client.get(f"sites/{quote(site_id, safe=',')}/drive?$select=id")
            self._drive = SiteDrive(site_id, drive["id"], f"site {self.site}")
        return self._drive

    async def upload(self, path: str, content: bytes, media_type: str) -> dict[str, Any]:
        """Store a file at ``path`` in the library, replacing one of that name; the driveItem."""
        drive = await self.drive()
        return await upload_file(self.client, drive.drive_id, path, content, media_type)

    async def find_list(self, name_or_id: str) -> ListRef:
        """A list of the site by id, display name or URL name (case-insensitive)."""
        drive = await self.drive()
        lists = await self.client.collect(
            f"sites/{quote(drive.site_id, safe=',')}/lists?$select=id,name,displayName"
        )
        wanted = name_or_id.casefold()
        for found in lists:
            names = (found.get("id"), found.get("displayName"), found.get("name"))
            if any(isinstance(n, str) and n.casefold() == wanted for n in names):
                return ListRef(found["id"], found.get("displayName") or found["id"])
        known = ", ".join(sorted(str(f.get("displayName")) for f in lists)) or "none"
        raise NotFound(f"{drive.label} has no list {name_or_id!r} (lists: {known})", 404)

    async def add_items(
        self,
        sp_list: ListRef,
        rows: Sequence[Mapping[str, Any]],
        key: Sequence[str],
        narrow: tuple[str, str],
    ) -> int:
        """Create an item per row unless the list already holds it (same ``key`` fields; two
        rows with the same key need two items); how many were created. ``narrow`` (field,
        value) limits the read of existing items to those that can match (the report date)."""
        drive = await self.drive()
        base = f"sites/{quote(drive.site_id, safe=',')}/lists/{quote(sp_list.id, safe='')}/items"
        field, value = narrow
        selected = ",".join(dict.fromkeys(key))
        literal = "'" + value.replace("'", "''") + "'"
        query = f"{base}?$expand=fields($select={selected})&$filter=fields/{field} eq {literal}"
        existing = Counter(
            _key(item.get("fields") or {}, key) for item in await self._filtered(query)
        )
        created = 0
        for row in rows:
            if existing[_key(row, key)] > 0:
                existing[_key(row, key)] -= 1
                continue
            fields = {name: v for name, v in row.items() if v is not None}
            await self.client.get(self.client.request("POST", base, {"fields": fields}))
            created += 1
        return created

    async def _filtered(self, url: str) -> list[dict[str, Any]]:
        """Every page of a filtered item listing, each request with the ``Prefer`` header a
        filter on a column without an index needs (nextLinks do not carry headers)."""
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        next_url: str | None = url
        while next_url and next_url not in seen:
            seen.add(next_url)
            info = self.client.request("GET", next_url)
            info.headers.try_add("Prefer", NON_INDEXED)
            page = await self.client.get(info)
            items.extend(page.get("value") or [])
            next_url = page.get("@odata.nextLink")
        return items


def _key(fields: Mapping[str, Any], names: Iterable[str]) -> tuple[str, ...]:
    return tuple("" if fields.get(n) is None else str(fields.get(n)) for n in names)
