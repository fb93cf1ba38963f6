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

Every other field is read by its column's type (``list_cells``): rich text as its text, a
multi-choice as its options joined with ", ", a multi-person field as its people's addresses,
a Currency column's amount as the number it is with the currency its locale says kept beside
the cells (``currency_of``), for a request list's cost and benefit.
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
from pmosync.connectors.microsoft.list_cells import (
    column_kind,
    guest_address,
    is_rich_text,
    locale_currency,
    multi_person_lookups,
)
from pmosync.connectors.microsoft.lists import (
    ListRead,
    list_columns,
    people_by_lookup,
    read_list,
)
from pmosync.contracts.rich_text import html_text

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
        self.columns = config.read_columns

    async def _people(
        self, read: ListRead, definitions: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, str | None]:
        """Lookup id -> the person's email, for every person the configured Person columns
        name (a multi-person field's people too); a guest known only by their sign-in name
        is given their own address when the source holds requests."""
        wanted = {c for c in self.columns.values() if column_kind(definitions.get(c, {})) ==
                  "personOrGroup"}  # fmt: skip
        lookups: set[str] = set()
        for item in read.items:
            fields = item.get("fields")
            if not isinstance(fields, Mapping):
                continue
            for column in wanted:
                if fields.get(f"{column}LookupId"):
                    lookups.add(str(fields[f"{column}LookupId"]))
                lookups.update(lookup for lookup, _ in multi_person_lookups(fields.get(column)))
        found = await people_by_lookup(self.client, read, lookups) if lookups else {}
        if self.config.kind == "request":
            found = {lookup: guest_address(email) for lookup, email in found.items()}
        return found

    def _cell(
        self,
        fields: Mapping[str, Any],
        column: str,
        definition: Mapping[str, Any],
        people: Mapping[str, str | None],
    ) -> Any:
        """One field as a row cell, by its column's type."""
        kind = column_kind(definition)
        if kind == "personOrGroup":
            lookup = fields.get(f"{column}LookupId")
            if lookup:
                return people.get(str(lookup))
            several = multi_person_lookups(fields.get(column))
            if several:
                emails = [people.get(lookup) or email for lookup, email in several]
                return ", ".join(e for e in emails if e) or None
            return None
        value = fields.get(column)
        if isinstance(value, str) and is_rich_text(definition):
            return html_text(value) or None
        return cell(value, self.zone)

    def _currencies(
        self, definitions: Mapping[str, Mapping[str, Any]]
    ) -> tuple[dict[str, str], dict[str, str]]:
        """Per canonical column read from a Currency column: its ISO currency (from the
        column's locale, else default_currency), or why there is none."""
        known, unknown = {}, {}
        for canonical, column in self.columns.items():
            definition = definitions.get(column, {})
            if column_kind(definition) != "currency":
                continue
            facet = definition.get("currency")
            locale = facet.get("locale") if isinstance(facet, Mapping) else None
            currency = locale_currency(locale) or self.config.default_currency
            if currency is not None:
                known[canonical] = currency
            else:
                unknown[canonical] = (
                    f"currency column {column} has locale {locale!r}, whose currency is not known"
                )
        return known, unknown

    def pages(self, state: Mapping[str, Any] | None, *, full: bool) -> Iterator[Page]:
        config = self.config
        assert config.site is not None and config.list is not None
        read = self.client.run(read_list(self.client, config.site, config.list))
        definitions = self.client.run(list_columns(self.client, read))
        people = self.client.run(self._people(read, definitions))
        currency_of, currency_unknown = self._currencies(definitions)
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
                canonical: self._cell(fields, column, definitions.get(column, {}), people)
                for canonical, column in self.columns.items()
            }
            record = row_record(
                file=label,
                file_key=file_key,
                url=item.get("webUrl") or read.url,
                sheet=None,
                row=number,
                cells=cells,
            )
            record["list"] = read.name
            if currency_of:
                record["currency_of"] = currency_of
            if currency_unknown:
                record["currency_unknown"] = currency_unknown
            records.append(record)
        present = frozenset(row_key(file_key, None, r["row"]) for r in records)
        yield Page(
            KIND,
            records,
            requests=self.client.take_requests(),
            reconcile=[Reconcile(KIND, file_key, present)],
        )
