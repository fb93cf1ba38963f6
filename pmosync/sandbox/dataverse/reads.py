"""What a GET returns: collections (full or change-tracked, paged), delta reads, single rows,
WhoAmI and the EntityDefinitions a client checks change tracking with.

Each read takes its rows from the environment under its lock, then selects, filters, sorts and
pages copies; the server counts the rows served (expanded ones included) towards the caller's
emulated execution time.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from pmosync.sandbox.dataverse.environment import TABLES, Environment, Table
from pmosync.sandbox.dataverse.errors import (
    NOT_FOUND,
    TOKEN_EXPIRED,
    TRACKING_DISABLED,
    DataverseError,
    bad_request,
    row_not_found,
    tracking_not_supported,
)
from pmosync.sandbox.dataverse.odata import (
    GUID,
    Expand,
    compare_keys,
    parse_expand,
    parse_filter,
    parse_orderby,
    parse_select,
)
from pmosync.sandbox.dataverse.paging import INVALID, Cookie, delta_token, parse_delta_token

MAX_PAGE = 5000
COLLECTION_OPTIONS = ("$select", "$filter", "$orderby", "$expand", "$top", "$skiptoken",
                      "$deltatoken")  # fmt: skip
ENTITY_COLUMNS = ("LogicalName", "EntitySetName", "ChangeTrackingEnabled", "MetadataId",
                  "ObjectTypeCode", "PrimaryIdAttribute")  # fmt: skip
_METADATA_NAMESPACE = uuid.UUID("0b6f3a53-9d6e-4f44-8a5c-0d1f6c1f0e21")

MayRead = Callable[[str], None]
"""Raises the 403 when the caller may not read the table (a logical name)."""


@dataclass(frozen=True)
class Prefer:
    """The ``Prefer`` header's OData preferences."""

    maxpagesize: int | None = None
    track_changes: bool = False

    @classmethod
    def parse(cls, values: Sequence[str]) -> Prefer:
        size, track = None, False
        for value in values:
            for item in value.split(","):
                name, _, argument = item.strip().partition("=")
                if name == "odata.maxpagesize":
                    try:
                        size = int(argument.strip().strip('"'))
                    except ValueError:
                        size = None
                elif name == "odata.track-changes":
                    track = True
        return cls(size, track)


@dataclass
class Result:
    body: dict[str, Any]
    rows: int = 0
    """Rows served, expanded rows included (what the emulated execution time charges)."""
    kind: str = "other"
    """"full", "delta", "row" or "other", for the request counters."""
    first_page: bool = False
    headers: dict[str, str] = field(default_factory=dict)


class Reads:
    def __init__(
        self,
        environment: Environment,
        api_url: Callable[[], str],
    ) -> None:
        self.env = environment
        self._key_cache: dict[str, tuple[int, list[str]]] = {}
        """Each table's keys in order, with the environment version they were sorted at: the
        pages of one listing of a quiet table sort them once, not once a page."""
        self._api_url = api_url

    @property
    def api(self) -> str:
        return self._api_url()

    # -- WhoAmI and EntityDefinitions ------------------------------------------------------

    def who_am_i(self, user_id: str) -> Result:
        org = self.env.organization_id
        return Result({
            "@odata.context": f"{self.api}/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse",
            "BusinessUnitId": str(uuid.uuid5(_METADATA_NAMESPACE, f"bu:{org}")),
            "UserId": user_id,
            "OrganizationId": org,
        })  # fmt: skip

    def entity_definitions(self, params: list[tuple[str, str]]) -> Result:
        options = _options(params, ("$select", "$filter"))
        select = parse_select(options.get("$select"), ENTITY_COLUMNS, "EntityMetadata")
        keep = parse_filter(options.get("$filter"), ENTITY_COLUMNS, "EntityMetadata")
        rows = []
        for spec in sorted(TABLES.values(), key=lambda t: t.logical_name):
            row = {
                "LogicalName": spec.logical_name,
                "EntitySetName": spec.entity_set,
                "ChangeTrackingEnabled": spec.change_tracking,
                "MetadataId": str(uuid.uuid5(_METADATA_NAMESPACE, spec.logical_name)),
                "ObjectTypeCode": spec.object_type_code,
                "PrimaryIdAttribute": spec.key,
            }
            if keep is None or keep(row):
                names = ENTITY_COLUMNS if select is None else [*select, "MetadataId"]
                rows.append({name: row[name] for name in dict.fromkeys(names)})
        context = f"{self.api}/$metadata#EntityDefinitions{_columns(select)}"
        return Result({"@odata.context": context, "value": rows})

    # -- one row ---------------------------------------------------------------------------

    def row(
        self, spec: Table, key: str, params: list[tuple[str, str]], may_read: MayRead
    ) -> Result:
        options = _options(params, ("$select", "$expand"))
        if not GUID.match(key):
            raise bad_request(f"Unrecognized 'Edm.Guid' literal '{key}'.", NOT_FOUND)
        select = parse_select(options.get("$select"), spec.columns, spec.logical_name)
        expand = _expand(options.get("$expand"), spec, may_read)
        with self.env.lock:
            stored = self.env.get(spec.logical_name, key.lower())
            if stored is None:
                raise row_not_found(spec.logical_name, key)
            counter = [1]
            body = self._render(stored, spec, select, expand, counter)
        context = f"{self.api}/$metadata#{spec.entity_set}{_columns(select)}/$entity"
        return Result({"@odata.context": context, **body}, counter[0], "row")

    # -- collections -----------------------------------------------------------------------

    def collection(
        self,
        spec: Table,
        params: list[tuple[str, str]],
        prefer: Prefer,
        may_read: MayRead,
        default_size: int = MAX_PAGE,
    ) -> Result:
        """``may_read`` raises the 403 when the caller may not read a table (each $expand's)."""
        options = _options(params, COLLECTION_OPTIONS)
        select = parse_select(options.get("$select"), spec.columns, spec.logical_name)
        tracking = prefer.track_changes or "$deltatoken" in options
        if tracking:
            for option in ("$filter", "$orderby", "$expand", "$top"):
                if option in options:
                    raise tracking_not_supported(option)
            if not spec.change_tracking:
                raise DataverseError(
                    400,
                    TRACKING_DISABLED,
                    f"Change tracking is not enabled for the entity '{spec.logical_name}'. "
                    "Enable change tracking for the entity and try again.",
                )
        wanted = default_size if prefer.maxpagesize is None else prefer.maxpagesize
        size = max(1, min(MAX_PAGE, wanted))
        headers = {}
        applied = [f"odata.maxpagesize={size}"] if prefer.maxpagesize is not None else []
        if tracking:
            applied.append("odata.track-changes")
        if applied:
            headers["Preference-Applied"] = ",".join(applied)
        if "$deltatoken" in options:
            result = self._delta(spec, params, options, select, size)
        else:
            result = self._listing(spec, params, options, select, size, tracking, may_read)
        result.headers.update(headers)
        result.first_page = "$skiptoken" not in options
        return result

    def _listing(
        self,
        spec: Table,
        params: list[tuple[str, str]],
        options: dict[str, str],
        select: list[str] | None,
        size: int,
        tracking: bool,
        may_read: MayRead,
    ) -> Result:
        keep = parse_filter(options.get("$filter"), spec.columns, spec.logical_name)
        order = parse_orderby(options.get("$orderby"), spec.columns, spec.logical_name)
        expand = _expand(options.get("$expand"), spec, may_read)
        top = _top(options.get("$top"))
        columns = tuple(column for column, _ in order) + (spec.key,)
        descending = [desc for _, desc in order] + [False]

        def key_of(row: dict[str, Any]) -> list[Any]:
            return [row.get(column) for column in columns]

        cookie = None
        if "$skiptoken" in options:
            cookie = Cookie.decode(options["$skiptoken"], columns)
            if tracking and not cookie.tracking:
                raise bad_request(INVALID)
            tracking = cookie.tracking  # a tracked listing's nextLink, Prefer sent or not
        with self.env.lock:
            upto = self.env.version if cookie is None or cookie.upto is None else cookie.upto
            if order:
                rows = self._sorted(spec, keep, key_of, descending, cookie)
            else:
                rows = self._by_key(spec, keep, cookie, size if top is None else top)
            if top is not None:
                page, more = rows[:top], False
            else:
                page, more = rows[:size], len(rows) > size
            counter = [0]
            values = [self._render(row, spec, select, expand, counter) for row in page]
            counter[0] += len(page)
        body: dict[str, Any] = {
            "@odata.context": f"{self.api}/$metadata#{spec.entity_set}{_columns(select)}",
            "value": values,
        }
        if more:
            number = 1 if cookie is None else cookie.page + 1
            next_cookie = Cookie(
                number, columns, tuple(key_of(page[-1])), tracking,
                0 if tracking else None, upto if tracking else None,
            )  # fmt: skip
            body["@odata.nextLink"] = self._link(spec, params, next_cookie.encode())
        elif tracking:
            body["@odata.deltaLink"] = self._delta_link(spec, select, upto)
        return Result(body, counter[0], "full")

    def _sorted(
        self,
        spec: Table,
        keep: Callable[[dict[str, Any]], bool] | None,
        key_of: Callable[[dict[str, Any]], list[Any]],
        descending: list[bool],
        cookie: Cookie | None,
    ) -> list[dict[str, Any]]:
        """Every matching row after the cookie's, in ``$orderby`` order (then the key)."""
        rows = [row for row in self.env.rows[spec.logical_name].values()
                if keep is None or keep(row)]  # fmt: skip
        rows.sort(
            key=functools.cmp_to_key(lambda a, b: compare_keys(key_of(a), key_of(b), descending))
        )
        if cookie is not None:
            last = list(cookie.last)
            rows = [row for row in rows if compare_keys(key_of(row), last, descending) > 0]
        return rows

    def _by_key(
        self,
        spec: Table,
        keep: Callable[[dict[str, Any]], bool] | None,
        cookie: Cookie | None,
        size: int,
    ) -> list[dict[str, Any]]:
        """Up to ``size + 1`` matching rows after the cookie's key, in key order: the common
        listing, without sorting whole rows (a large table is paged many times over)."""
        stored = self.env.rows[spec.logical_name]
        cached = self._key_cache.get(spec.logical_name)
        if cached is not None and cached[0] == self.env.version:
            keys = cached[1]
        else:
            keys = sorted(stored, key=str.casefold)
            self._key_cache[spec.logical_name] = (self.env.version, keys)
        start = 0
        if cookie is not None:
            start = bisect.bisect_right(keys, str(cookie.last[-1]).casefold(), key=str.casefold)
        rows = []
        for key in itertools.islice(keys, start, None):
            row = stored[key]
            if keep is None or keep(row):
                rows.append(row)
                if len(rows) > size:
                    break
        return rows

    def _delta(
        self,
        spec: Table,
        params: list[tuple[str, str]],
        options: dict[str, str],
        select: list[str] | None,
        size: int,
    ) -> Result:
        since = parse_delta_token(options["$deltatoken"])
        cookie = None
        if "$skiptoken" in options:
            cookie = Cookie.decode(options["$skiptoken"], ("versionnumber",))
            if not cookie.tracking or cookie.since != since:
                raise bad_request(INVALID)
        table = spec.logical_name
        with self.env.lock:
            if self.env.token_expired(since):
                raise DataverseError(
                    400,
                    TOKEN_EXPIRED,
                    "The version stamp associated with the client has expired. "
                    "Please perform a full sync.",
                )
            upto = self.env.version if cookie is None or cookie.upto is None else cookie.upto
            after = since if cookie is None else int(cookie.last[0])
            deleted_context = f"{self.api}/$metadata#{spec.entity_set}/$deletedEntity"
            entries: list[tuple[int, dict[str, Any]]] = [
                (row["versionnumber"], self._render(row, spec, select, [], [0]))
                for row in self.env.rows[table].values()
                if after < row["versionnumber"] <= upto
            ]
            entries += [
                (gone.version,
                 {"@odata.context": deleted_context, "id": gone.id, "reason": "deleted"})
                for gone in self.env.deletions
                if gone.table == table and after < gone.version <= upto
            ]  # fmt: skip
        entries.sort(key=lambda entry: entry[0])
        page, more = entries[:size], len(entries) > size
        body: dict[str, Any] = {
            "@odata.context": f"{self.api}/$metadata#{spec.entity_set}{_columns(select)}/$delta",
            "value": [entry for _, entry in page],
        }
        if more:
            number = 1 if cookie is None else cookie.page + 1
            next_cookie = Cookie(number, ("versionnumber",), (page[-1][0],), True, since, upto)
            body["@odata.nextLink"] = self._link(spec, params, next_cookie.encode())
        else:
            body["@odata.deltaLink"] = self._delta_link(spec, select, upto)
        return Result(body, len(page), "delta")

    # -- rendering and links ---------------------------------------------------------------

    def _render(
        self,
        row: dict[str, Any],
        spec: Table,
        select: list[str] | None,
        expand: list[Expand],
        counter: list[int],
    ) -> dict[str, Any]:
        """A row as Dataverse returns it: its etag, the selected columns (the primary key
        always, as Dataverse adds it), then each expanded navigation property (null when the
        lookup is empty)."""
        out: dict[str, Any] = {"@odata.etag": f'W/"{row["versionnumber"]}"'}
        names = spec.columns if select is None else dict.fromkeys([*select, spec.key])
        for name in names:
            out[name] = row.get(name)
        for item in expand:
            target_spec = TABLES[item.table]
            target_key = row.get(item.lookup)
            target = None
            if target_key is not None:
                target = self.env.rows[item.table].get(target_key)
            if target is None:
                out[item.name] = None
            else:
                counter[0] += 1
                out[item.name] = self._render(target, target_spec, item.select, item.expand,
                                              counter)  # fmt: skip
        return out

    def _link(self, spec: Table, params: list[tuple[str, str]], skiptoken: str) -> str:
        kept = [(k, v) for k, v in params if k != "$skiptoken"] + [("$skiptoken", skiptoken)]
        return f"{self.api}/{spec.entity_set}?{_encode(kept)}"

    def _delta_link(self, spec: Table, select: list[str] | None, upto: int) -> str:
        params = [] if select is None else [("$select", ",".join(select))]
        params.append(("$deltatoken", delta_token(upto)))
        return f"{self.api}/{spec.entity_set}?{_encode(params)}"


def _expand(text: str | None, spec: Table, may_read: MayRead) -> list[Expand]:
    expands = parse_expand(text, spec.logical_name, lambda table: TABLES[table].columns)
    pending = list(expands)
    while pending:
        item = pending.pop()
        may_read(item.table)
        pending += item.expand
    return expands


def _encode(params: list[tuple[str, str]]) -> str:
    return urlencode(params, quote_via=quote, safe="$,'()")


def _columns(select: list[str] | None) -> str:
    return "" if select is None else "(" + ",".join(select) + ")"


def _options(params: list[tuple[str, str]], allowed: Sequence[str]) -> dict[str, str]:
    """The system query options (``$...``); one Dataverse does not take here is a 400."""
    options: dict[str, str] = {}
    for name, value in params:
        if not name.startswith("$"):
            continue
        if name not in allowed:
            raise bad_request(f"The query parameter {name} is not supported.", NOT_FOUND)
        if name in options:
            raise bad_request(f"Query option '{name}' was specified more than once.", NOT_FOUND)
        options[name] = value
    return options


def _top(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        top = int(text)
    except ValueError:
        top = -1
    if top < 0:
        raise bad_request(f"Invalid value '{text}' for $top query option.", NOT_FOUND)
    return top
