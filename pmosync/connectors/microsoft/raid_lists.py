"""The RAID lists of a Planner connector: SharePoint lists kept as RAID logs ("Risks",
"Issues"), each read in full on every sync and reconciled on its own, so an item deleted there
retires its RAID item and a list that cannot be read retires nothing.

What mapping cannot know from an item alone is added here:

- the plans its project column names (the plan titles of this sync, any case and spacing);
  an item naming none, or a title two plans share, is portfolio-wide, and one line per list
  says which items those are;
- its owner as a Graph user: a Person column comes back only as ``<Column>LookupId`` into the
  site's hidden "User Information List", whose sign-in name (UserName) Graph takes as a user
  key (``/users/{userPrincipalName}``), read 20 per ``$batch``; an owner Graph no longer knows
  leaves the item without one;
- which of the list's columns are multi-line rich text, whose values Graph gives as HTML.

Items are only matched to plans once every plan was read: after a partial plan listing the
lists wait for the next sync rather than turn items portfolio-wide.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from pmosync.config.connectors import RaidList
from pmosync.connectors.base import Page, Reconcile
from pmosync.connectors.errors import ConnectorError
from pmosync.connectors.microsoft.graph import GraphClient
from pmosync.connectors.microsoft.lists import ListRead, people_by_lookup, read_list
from pmosync.connectors.microsoft.planner import PlannerRun, words

KIND = "raid_items"
SHOWN = 10


async def list_columns(client: GraphClient, read: ListRead) -> list[dict[str, Any]]:
    return await client.collect(f"sites/{read.site_id}/lists/{read.id}/columns")


def rich_columns(columns: list[dict[str, Any]]) -> list[str]:
    """Internal names of the multi-line text columns with rich text (their values are HTML)."""
    return sorted(
        c["name"]
        for c in columns
        if isinstance(c.get("text"), Mapping) and c["text"].get("textType") == "richText"
    )


async def owners(client: GraphClient, read: ListRead, lookups: set[str]) -> dict[str, str | None]:
    """Lookup id -> Graph user id, through the user list's sign-in name."""
    names = await people_by_lookup(client, read, lookups, keys=("UserName", "EMail"))
    wanted = sorted({n for n in names.values() if n})
    answers = await client.batch({n: f"users/{quote(n, safe='@')}?$select=id" for n in wanted})
    ids = {
        name: answer.body.get("id") if answer.status == 200 else None
        for name, answer in answers.items()
    }
    return {lookup: ids.get(name) if name else None for lookup, name in names.items()}


class RaidListStream:
    """Every item of each configured RAID list, with its plans and owner resolved."""

    name = KIND

    def __init__(self, run: PlannerRun) -> None:
        self.run = run

    def pages(self, state: Mapping[str, Any] | None, *, full: bool) -> Iterator[Page]:
        run = self.run
        raid = run.config.raid
        if raid is None or not raid.lists:
            return
        if not run.plans_complete:
            run.warnings.append(
                "raid lists skipped: not every plan could be read, so items cannot be matched "
                "to plans; they are read again on the next sync"
            )
            return
        by_title = run.plans_by_title()
        for spec in raid.lists:
            try:
                page = self._list(spec, by_title)
            except ConnectorError as error:
                run.skip(f"raid list {spec.list!r}", error)
                continue
            yield page

    def _list(self, spec: RaidList, by_title: dict[str, list[str]]) -> Page:
        run, client = self.run, self.run.client
        read = client.run(read_list(client, spec.site, spec.list))
        columns = client.run(list_columns(client, read))
        rich = rich_columns(columns)
        owner_column = spec.columns.get("owner")
        lookups = {
            str(item["fields"][f"{owner_column}LookupId"])
            for item in read.items
            if owner_column
            and isinstance(item.get("fields"), Mapping)
            and item["fields"].get(f"{owner_column}LookupId")
        }
        resolved = client.run(owners(client, read, lookups)) if lookups else {}
        project_column = spec.columns.get("project")
        records, unmatched, ambiguous = [], [], []
        for item in read.items:
            fields = item.get("fields") if isinstance(item.get("fields"), Mapping) else {}
            named = words(fields.get(project_column)) if project_column else ""
            plans = sorted(by_title.get(named, [])) if named else []
            if named and not plans:
                unmatched.append(f"{item.get('id')} ({fields.get(project_column)!r})")
            elif len(plans) > 1:
                ambiguous.append(f"{item.get('id')} ({fields.get(project_column)!r})")
            lookup = fields.get(f"{owner_column}LookupId") if owner_column else None
            owner = resolved.get(str(lookup)) if lookup else None
            if owner:
                run.people.add(owner)
            records.append(
                {
                    "raidItem": item,
                    "list": read.name,
                    "configured": spec.list,
                    "listId": read.id,
                    "listUrl": read.url,
                    "site": spec.site,
                    "planIds": plans,
                    "ownerId": owner,
                    "richColumns": rich,
                }
            )
        self._note(read.name, "names no plan this connector syncs", unmatched)
        self._note(read.name, "names a title several plans share", ambiguous)
        present = frozenset(str(item.get("id")) for item in read.items)
        return run.page(KIND, records, reconcile=[Reconcile(KIND, read.id, present)])

    def _note(self, list_name: str, what: str, items: list[str]) -> None:
        """One line per list: the items kept portfolio-wide, and why."""
        if not items:
            return
        shown = ", ".join(items[:SHOWN])
        more = f" and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
        self.run.warnings.append(
            f"raid list {list_name!r}: item(s) {shown}{more} {what}; kept as portfolio-wide"
        )
