"""What changed in one table since the last sync: change tracking, or ``modifiedon``.

A table whose ``ChangeTrackingEnabled`` is set (EntityDefinitions, asked once a run) is read with
``Prefer: odata.track-changes``: the first read lists every row and ends with a delta link;
the delta link then returns the rows inserted or updated since and the ids deleted since. A
table without change tracking is read with ``$filter=modifiedon ge <last>`` (``ge``, not ``gt``:
a row changed in the same second as the last one read is not lost; the rows already read at
that second are skipped), and its deletions are found by a complete listing of its ids, which the
streams turn into reconciles. Small tables (projects, dependencies) without change tracking are
simply read in full each time.

A table's checkpoint is ``{"delta": <delta link>}`` or ``{"since": <modifiedon>, "at": {id:
versionnumber}}`` (the rows read at that very second, skipped next time unless their version
moved).
The delta link is kept relative to the Web API root (``msdyn_projecttasks?$select=...&
$deltatoken=...``) and followed against the configured environment, so a moved environment
(a sandbox on a new port) keeps its checkpoints. A link whose ``$select`` is not the columns
read now (pmosync was upgraded), a checkpoint of the other kind (change tracking switched on or
off), or an expired token (``DeltaTokenExpired``, with a warning) reads the table in full.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from pmosync.connectors.dataverse.client import DataverseClient
from pmosync.connectors.dataverse.errors import DeltaTokenExpired

LOOKUP_CHUNK = 100
"""Ids per ``Microsoft.Dynamics.CRM.In`` lookup (a URL of about 4 KB)."""
LISTING_PAGE = 5000
"""Rows per page of an id-only listing (Dataverse's maximum: the rows are tiny)."""
_SAFE = "'(),=:[]$"


@dataclass(frozen=True, slots=True)
class Table:
    """One table as this connector reads it."""

    logical: str
    entity_set: str
    key: str
    select: tuple[str, ...]
    """Exactly the columns mapping reads (and ``modifiedon``, for reads without tracking)."""
    project: str | None = None
    """The column naming the row's project (the key itself for projects)."""
    expand: str | None = None
    """``$expand`` for reads without change tracking (a tracked read refuses it)."""
    small: bool = False
    """Without change tracking, read in full each time instead of by ``modifiedon``."""

    @property
    def columns(self) -> str:
        return ",".join(self.select)

    @property
    def query(self) -> str:
        """``{entity set}?$select=...`` with its ``$expand``: a read without change tracking."""
        url = f"{self.entity_set}?$select={self.columns}"
        return f"{url}&$expand={odata(self.expand)}" if self.expand else url


def odata(text: str) -> str:
    """A query value, percent-encoded where it must be (spaces, quotes kept readable)."""
    return quote(text, safe=_SAFE)


def in_filter(column: str, ids: Iterable[str]) -> str:
    values = ",".join(f"'{i}'" for i in ids)
    return f"Microsoft.Dynamics.CRM.In(PropertyName='{column}',PropertyValues=[{values}])"


def tracking_flags(client: DataverseClient, tables: Iterable[Table]) -> dict[str, bool]:
    """``ChangeTrackingEnabled`` of each table, in one EntityDefinitions request. A table the
    answer does not list counts as untracked (its reads then name what is wrong)."""
    names = [t.logical for t in tables]
    where = " or ".join(f"LogicalName eq '{name}'" for name in names)
    answer = client.get(
        "EntityDefinitions?$select=LogicalName,EntitySetName,ChangeTrackingEnabled"
        f"&$filter={odata(where)}"
    )
    found = {
        str(row.get("LogicalName")): bool(row.get("ChangeTrackingEnabled"))
        for row in answer.get("value") or []
    }
    return {name: found.get(name, False) for name in names}


@dataclass(slots=True)
class Chunk:
    """One page's worth of a table's changes."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


def _deleted_entry(row: Mapping[str, Any]) -> bool:
    return str(row.get("@odata.context") or "").endswith("$deletedEntity") or (
        row.get("reason") == "deleted" and "id" in row
    )


class TableRead:
    """One read of a table's changes since its checkpoint (``state``), or of all its rows.

    Iterate it for the chunks; afterwards ``state`` is the table's new checkpoint and ``full``
    says whether every row was read (reconciles may then be built from what was read).
    ``listing`` is True when the read saw changes only and the table has no change tracking:
    its deletions must come from a complete id listing (``list_ids``)."""

    def __init__(
        self,
        client: DataverseClient,
        table: Table,
        tracked: bool,
        state: Mapping[str, Any] | None,
        *,
        full: bool,
        warn: Callable[[str], None],
    ) -> None:
        self.client = client
        self.table = table
        self.tracked = tracked
        self.previous = dict(state or {})
        self.warn = warn
        self.full = full or not self._usable(self.previous)
        self.listing = not tracked and not table.small and not self.full
        self.state: dict[str, Any] | None = None

    def _usable(self, state: Mapping[str, Any]) -> bool:
        if not self.tracked and self.table.small:
            return False
        if self.tracked:
            link = state.get("delta")
            return isinstance(link, str) and _selected(link) == self.table.columns
        return isinstance(state.get("since"), str)

    def __iter__(self) -> Iterator[Chunk]:
        if self.tracked:
            yield from self._tracked()
        else:
            yield from self._modified()

    # -- change tracking ---------------------------------------------------------------------

    def _tracked(self) -> Iterator[Chunk]:
        client, table = self.client, self.table
        prefer = client.page_prefer(track=True)
        if not self.full:
            pages = client.pages(self.previous["delta"], prefer=prefer)
            try:
                first = next(pages)
            except DeltaTokenExpired:
                self.warn(
                    f"{table.logical}: the change-tracking token expired (Dataverse keeps "
                    "changes for a limited time); the table is read in full again"
                )
                self.full = True
            else:
                yield from self._tracked_pages(first, pages)
                return
        pages = client.pages(f"{table.entity_set}?$select={table.columns}", prefer=prefer)
        yield from self._tracked_pages(next(pages), pages)

    def _tracked_pages(self, first: dict, rest: Iterator[dict]) -> Iterator[Chunk]:
        page: dict | None = first
        link = None
        while page is not None:
            chunk = Chunk()
            for row in page.get("value") or []:
                if _deleted_entry(row):
                    chunk.deleted.append(str(row["id"]))
                else:
                    chunk.rows.append(row)
            link = page.get("@odata.deltaLink") or link
            yield chunk
            page = next(rest, None)
        if link:
            self.state = {"delta": self.client.relative(str(link))}
        else:
            self.warn(f"{self.table.logical}: Dataverse returned no delta link; read in full "
                      "next time")  # fmt: skip

    # -- modifiedon --------------------------------------------------------------------------

    def _modified(self) -> Iterator[Chunk]:
        table = self.table
        url = table.query
        since = None if self.full else str(self.previous["since"])
        skip = {} if self.full else dict(self.previous.get("at") or {})
        if since is not None:
            url += f"&$filter={odata(f'modifiedon ge {since}')}"
            url += f"&$orderby={odata('modifiedon asc')}"
        latest, at = since, dict(skip)
        for page in self.client.pages(url, prefer=self.client.page_prefer()):
            chunk = Chunk()
            for row in page.get("value") or []:
                stamp, row_id = row.get("modifiedon"), str(row.get(table.key))
                version = row.get("versionnumber")
                if stamp == since and row_id in skip and skip[row_id] == version:
                    continue  # read last time, unchanged since (same second, same version)
                chunk.rows.append(row)
                if isinstance(stamp, str):
                    if latest is None or stamp > latest:
                        latest, at = stamp, {}
                    if stamp == latest:
                        at[row_id] = version
            yield chunk
        self.state = {"since": latest, "at": dict(sorted(at.items()))} if latest else None


def _selected(link: str) -> str | None:
    """The ``$select`` of a delta link (None when it has none)."""
    values = parse_qs(urlsplit(link).query).get("$select")
    return values[0] if values else None


def listing(
    client: DataverseClient, entity_set: str, columns: Iterable[str]
) -> Iterator[dict[str, Any]]:
    """Every row of a table with only these (few) columns, ``LISTING_PAGE`` rows a request."""
    url = f"{entity_set}?$select={','.join(columns)}"
    for page in client.pages(url, prefer=[f"odata.maxpagesize={LISTING_PAGE}"]):
        yield from page.get("value") or []


def list_ids(client: DataverseClient, table: Table) -> Iterator[tuple[str, str | None]]:
    """(id, project id) of every row of ``table``: a complete listing, for reconciles."""
    columns = [table.key] if table.project in (None, table.key) else [table.key, table.project]
    for row in listing(client, table.entity_set, columns):
        project = row.get(table.project) if table.project else None
        yield str(row.get(table.key)), None if project is None else str(project)


def fetch(
    client: DataverseClient, table: Table, ids: Iterable[str]
) -> Iterator[list[dict[str, Any]]]:
    """The rows of ``table`` with these ids, ``LOOKUP_CHUNK`` ids a request (missing ids are
    simply absent)."""
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start : start + LOOKUP_CHUNK]
        url = f"{table.query}&$filter={odata(in_filter(table.key, chunk))}"
        for page in client.pages(url, prefer=client.page_prefer()):
            yield list(page.get("value") or [])


def project_rows(
    client: DataverseClient, table: Table, project_id: str
) -> Iterator[list[dict[str, Any]]]:
    """Every row of ``table`` in one project (a plan that entered the scope), page by page."""
    url = f"{table.query}&$filter={odata(f'{table.project} eq {project_id}')}"
    for page in client.pages(url, prefer=client.page_prefer()):
        yield list(page.get("value") or [])
