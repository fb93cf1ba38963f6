"""A SharePoint list read as rows: each item is one row of a ``sharepoint_files`` connector
with ``list:`` (a Leave list kept by HR or the team leads, say).

The items become the same raw row records a workbook's rows do (file, row, cells by canonical
column), so the workbook mapping reads them with the same rules and quarantines a bad item
naming the list and the item's id. A list is small and has no cheap change marker for all its
items, so it is read in full on every sync and its rows reconciled as one file's: an item
deleted there retires its record.

SharePoint keeps a date column's day as midnight in the site's regional time zone and Graph
gives it back in UTC (24 November on a Paris site reads ``2026-11-23T23:00:00Z``), so an instant
is turned back into the site's day here, with the connector's ``timezone``, before the mapping
reads it as a date. A Person column comes back only as ``<Column>LookupId``, an item of the
site's hidden "User Information List", which is read (once per person) for the address.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pmosync.config.connectors import SharePointFilesConnector
from pmosync.connectors.base import Page, Reconcile
from pmosync.connectors.files.records import row_key, row_record
from pmosync.connectors.microsoft.graph import GraphClient
from pmosync.connectors.microsoft.lists import (
    ListRead,
    people_by_lookup,
    person_columns,
    read_list,
)

KIND = "rows"
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")


def cell(value: Any, zone: ZoneInfo) -> Any:
    """A list field as a row cell: an instant as the site's day (or local date-time when it
    is not midnight there), a person or lookup object as its email or text, scalars as they
    are."""
    if isinstance(value, str) and _INSTANT.match(value):
        local = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(zone)
        if local.time() == time():
            return local.date().isoformat()
        return local.replace(tzinfo=None).isoformat()
    if isinstance(value, Mapping):
        for key in ("Email", "email", "LookupValue", "Title"):
            if isinstance(value.get(key), str):
                return value[key]
        return None
    if isinstance(value, list):
        return ", ".join(str(cell(v, zone)) for v in value if v is not None) or None
    return value


class ListRowsStream:
    """Every item of the configured list as a row record, read in full each sync."""

    name = KIND

    def __init__(self, config: SharePointFilesConnector, client: GraphClient) -> None:
        self.config = config
        self.client = client
        self.zone = ZoneInfo(config.timezone)

    async def _people(self, read: ListRead) -> dict[str, dict[str, str | None]]:
        """Per configured Person column, lookup id -> the person's email."""
        wanted = set(self.config.columns.values()) & await person_columns(self.client, read)
        lookups = {
            str(item["fields"][f"{column}LookupId"])
            for item in read.items
            for column in wanted
            if isinstance(item.get("fields"), Mapping) and item["fields"].get(f"{column}LookupId")
        }
        found = await people_by_lookup(self.client, read, lookups) if lookups else {}
        return {column: found for column in wanted}

    def pages(self, state: Mapping[str, Any] | None, *, full: bool) -> Iterator[Page]:
        config = self.config
        assert config.site is not None and config.list is not None
        read = self.client.run(read_list(self.client, config.site, config.list))
        people = self.client.run(self._people(read))
        file_key = f"list:{read.id}"
        label = f"list {read.name!r}"
        records = []
        for item in read.items:
            fields = item.get("fields") if isinstance(item.get("fields"), Mapping) else {}
            try:
                number = int(str(item.get("id")))
            except ValueError:
                continue  # SharePoint numbers its items; anything else is not an item
            cells = {
                canonical: cell(fields.get(column), self.zone)
                for canonical, column in config.columns.items()
            }
            for canonical, column in config.columns.items():
                if column in people:
                    lookup = fields.get(f"{column}LookupId")
                    cells[canonical] = people[column].get(str(lookup)) if lookup else None
            record = row_record(
                file=label,
                file_key=file_key,
                url=item.get("webUrl") or read.url,
                sheet=None,
                row=number,
                cells=cells,
            )
            record["list"] = read.name
            records.append(record)
        present = frozenset(row_key(file_key, None, r["row"]) for r in records)
        yield Page(
            KIND,
            records,
            requests=self.client.take_requests(),
            reconcile=[Reconcile(KIND, file_key, present)],
        )
