"""Publish to a SharePoint site through Graph: its document library and its lists.

The site is named the way people copy it from the browser (``contoso.sharepoint.com:/sites/pmo``)
and resolved once; files go to its default document library by path. List items are written
once per key: a delivery retried after a half-finished run must not leave the PMO's list with
every project twice, so the items already there for the same key are read first.

SharePoint lists have typed columns: a field the list has no column for is refused, a Date
column answers with a UTC date-time and filters only on one, a Number column with a number. So
the list's columns are read with the list, every field is checked against them before anything
is written (one line naming the missing columns rather than half a delivery), and values are
written, filtered on and compared by their column's type.

A date is a day in the site's regional time zone, kept as midnight there and answered in UTC:
24 November is ``2026-11-24T00:00:00Z`` on a UTC site, ``2026-11-23T23:00:00Z`` on a Paris one,
``2026-11-24T05:00:00Z`` in New York. pmosync does not know the site's zone, so it writes the
bare date (the site reads it as its own day), reads the items of a day D as those at or after
12:00 UTC on D-1 and before 12:00 UTC on D (every midnight from UTC-11 to UTC+12), and takes an
item's day as the date 12 hours after its instant.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote

from pmosync.connectors.errors import InvalidRequest, NotFound
from pmosync.connectors.microsoft.graph import GraphClient
from pmosync.connectors.microsoft.upload import upload_file

_HALF_DAY = timedelta(hours=12)
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
    columns: Mapping[str, str] = field(default_factory=dict)
    """Column (internal) name -> its type facet: ``text``, ``number``, ``dateTime``, ...;
    ``other`` for a type pmosync does not convert (choice, lookup, ...)."""


COLUMN_TYPES = ("text", "number", "dateTime", "boolean")
"""Graph columnDefinition facets whose values pmosync converts; others pass as they are."""


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
                columns = await self.client.collect(
                    f"sites/{quote(drive.site_id, safe=',')}/lists/"
                    f"{quote(found['id'], safe='')}/columns"
                )
                return ListRef(
                    found["id"], found.get("displayName") or found["id"], _column_types(columns)
                )
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
        types = sp_list.columns
        written = {name for row in rows for name, v in row.items() if v is not None}
        missing = sorted((written | set(key) | {narrow[0]}) - set(types)) if types else []
        if missing:
            names = ", ".join(f"'{name}'" for name in missing)
            raise InvalidRequest(
                f"{drive.label}: list '{sp_list.name}' has no column {names}; create "
                "the columns docs/microsoft.md lists"
            )
        base = f"sites/{quote(drive.site_id, safe=',')}/lists/{quote(sp_list.id, safe='')}/items"
        name, value = narrow
        selected = ",".join(dict.fromkeys(key))
        condition = _condition(name, types.get(name), value)
        query = f"{base}?$expand=fields($select={selected})&$filter={condition}"
        existing = Counter(
            _key(item.get("fields") or {}, key, types) for item in await self._filtered(query)
        )
        created = 0
        for row in rows:
            if existing[_key(row, key, types)] > 0:
                existing[_key(row, key, types)] -= 1
                continue
            fields = {n: _wire(types.get(n), v) for n, v in row.items() if v is not None}
            await self.client.get(self.client.request("POST", base, {"fields": fields}))
            created += 1
        return created

    async def _filtered(self, url: str) -> list[dict[str, Any]]:
        """Every page of a filtered item listing, each request with the ``Prefer`` header a
        filter on a column without an index needs (nextLinks do not carry headers)."""
        items: list[dict[str, Any]] = []
        guard = self.client.guard(url)
        next_url: str | None = url
        while next_url:
            info = self.client.request("GET", next_url)
            info.headers.try_add("Prefer", NON_INDEXED)
            page = await self.client.get(info)
            items.extend(page.get("value") or [])
            next_url = page.get("@odata.nextLink")
            if next_url:
                guard.follow(next_url, "@odata.nextLink")
        return items


def _column_types(columns: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Internal name -> type facet, from a list's columnDefinitions."""
    types: dict[str, str] = {}
    for column in columns:
        name = column.get("name")
        if isinstance(name, str):
            types[name] = next((t for t in COLUMN_TYPES if column.get(t) is not None), "other")
    return types


def _instant(value: Any) -> datetime | None:
    """A date (``2026-11-24``: midnight UTC, the day a Date column stores) or an ISO
    date-time with its zone, as an aware UTC datetime; None for anything else."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else None
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    if not isinstance(value, str):
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None


def _utc_text(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def _bare_day(value: Any) -> date | None:
    """The day a report value names (``2026-11-24`` or a date), else None."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _day_of(value: Any) -> date | None:
    """The day a value stands for: a bare date is that day; an instant (a Date column's
    midnight in the site's zone, in UTC) is the date 12 hours later."""
    day = _bare_day(value)
    if day is not None:
        return day
    instant = _instant(value)
    return (instant + _HALF_DAY).date() if instant is not None else None


def _wire(kind: str | None, value: Any) -> Any:
    """A value as its column takes it: a day as the bare date (the site reads it as its own
    day, whatever its zone), an instant as a UTC date-time."""
    if kind == "dateTime":
        day = _bare_day(value)
        if day is not None:
            return day.isoformat()
        instant = _instant(value)
        return _utc_text(instant) if instant is not None else value
    return value


def _condition(name: str, kind: str | None, value: Any) -> str:
    """The ``$filter`` for items whose ``name`` holds ``value``: for a day in a Date column,
    the 24 hours of instants that are its midnight somewhere from UTC-11 to UTC+12."""
    day = _day_of(value) if kind == "dateTime" else None
    if day is None:
        return f"fields/{name} eq {_literal(kind, value)}"
    first = datetime.combine(day, time(), UTC) - _HALF_DAY
    last = first + 2 * _HALF_DAY
    return f"fields/{name} ge '{_utc_text(first)}' and fields/{name} lt '{_utc_text(last)}'"


def _literal(kind: str | None, value: Any) -> str:
    """An OData literal of the column's type: a quoted UTC date-time for a Date column (a bare
    date is text there, not a date), a bare number for a Number column, else quoted text."""
    if kind == "dateTime" and (instant := _instant(value)) is not None:
        return f"'{_utc_text(instant)}'"
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _key(
    fields: Mapping[str, Any], names: Iterable[str], types: Mapping[str, str]
) -> tuple[Any, ...]:
    """The fields that make two items the same, compared by value: the date a report row
    holds and the date-time the list answers with are the same day."""
    return tuple(_comparable(types.get(n), fields.get(n)) for n in names)


def _comparable(kind: str | None, value: Any) -> Any:
    if value is None:
        return ""
    if kind == "dateTime" and (day := _day_of(value)) is not None:
        return day
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return str(value)
