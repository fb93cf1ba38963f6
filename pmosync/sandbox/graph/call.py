"""One API call as the route handlers see it, with the helpers every handler needs.

Handlers stay a few lines each: they look records up (404s raised here), and hand back one
entity or a listing; ``$select``, paging, ``@odata.context`` and ``@odata.nextLink`` happen
here, once. Handlers run with the tenant's lock held.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlencode

from pmosync.sandbox.graph import odata
from pmosync.sandbox.graph.conflicts import Conflicts
from pmosync.sandbox.graph.errors import bad_request, directory_not_found, item_not_found
from pmosync.sandbox.tenant import Group, Plan, PlannerTask, Tenant, User

if TYPE_CHECKING:
    from pmosync.sandbox.graph.downloads import DownloadLinks
    from pmosync.sandbox.graph.uploads import UploadSessions

T = TypeVar("T")
PLANNER_MISSING = "The requested item is not found."


@dataclass
class Reply:
    """A response: JSON (dict), raw bytes, or nothing (None) with status and headers."""

    status: int
    body: dict[str, Any] | bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Env:
    """State shared by every request of one sandbox."""

    tenant: Tenant
    page_size: int
    skip_tokens: odata.SkipTokens
    downloads: DownloadLinks
    uploads: UploadSessions
    base_url: str = ""
    self_links: str | None = None
    """Listings whose path contains this answer with an ``@odata.nextLink`` to the very request
    just made (a server stuck on one page); None: paging behaves."""
    conflicts: Conflicts = field(default_factory=Conflicts)
    """Writes armed to be refused with 409 (see ``GraphSandbox.conflict_next``)."""


class Call:
    """The parsed request: path arguments, query options, headers and body."""

    def __init__(
        self,
        env: Env,
        method: str,
        link_path: str,
        args: dict[str, str],
        query: list[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> None:
        self.env = env
        self.tenant = env.tenant
        self.method = method
        self.link_path = link_path
        """The path below the base URL as the client wrote it (nextLinks repeat it)."""
        self.args = args
        self.pairs = query
        self.query = dict(query)
        self.headers = headers
        self.raw_body = body

    # -- input ------------------------------------------------------------------------------

    def option(self, name: str) -> str | None:
        """A system query option; Graph accepts it with or without the ``$``."""
        value = self.query.get(f"${name}")
        return value if value is not None else self.query.get(name)

    def json(self) -> dict[str, Any]:
        """The JSON object body, or a 400."""
        if not self.raw_body:
            raise bad_request("Empty Payload. JSON content expected.")
        try:
            body = json.loads(self.raw_body)
        except ValueError:
            raise bad_request("Invalid JSON. The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        return body

    # -- lookups ----------------------------------------------------------------------------

    def user(self, key: str) -> User:
        try:
            return self.tenant.user(key)
        except KeyError:
            raise directory_not_found(key) from None

    def group(self, key: str) -> Group:
        found = self.tenant.groups.get(key)
        if found is None:
            raise directory_not_found(key)
        return found

    def team(self, key: str) -> Group:
        found = self.tenant.groups.get(key)
        if found is None or not found.is_team:
            raise item_not_found(f"No team found with Group Id {key}")
        return found

    def plan(self, key: str) -> Plan:
        found = self.tenant.plans.get(key)
        if found is None:
            raise item_not_found(PLANNER_MISSING)
        return found

    def task(self, key: str) -> PlannerTask:
        found = self.tenant.tasks.get(key)
        if found is None:
            raise item_not_found(PLANNER_MISSING)
        return found

    # -- output -----------------------------------------------------------------------------

    def context(self, fragment: str) -> str:
        return f"{self.env.base_url}/$metadata#{fragment}"

    def entity(self, fragment: str, record: dict[str, Any], status: int = 200) -> Reply:
        """One resource with its ``@odata.context``; ``$select`` applied."""
        body = {"@odata.context": self.context(fragment)}
        body.update(odata.select(record, odata.parse_select(self.option("select"))))
        headers = {"ETag": record["@odata.etag"]} if "@odata.etag" in record else {}
        return Reply(status, body, headers)

    def listing(
        self,
        fragment: str,
        records: Iterable[T],
        key: Callable[[T], list[Any]],
        render: Callable[[T], dict[str, Any]],
        *,
        honour_top: bool = True,
    ) -> Reply:
        """A page of ``records`` in ``key`` order with a nextLink when more follow.

        ``honour_top`` False is Planner's way: a fixed server page size, ``$top`` ignored.
        """
        size = odata.page_size(self.option("top"), self.env.page_size, honour_top)
        scope = self._scope()
        token = self.option("skiptoken")
        after = self.env.skip_tokens.resume(token, scope) if token else None
        page, more = odata.keyset_page(records, key, after, size)
        names = odata.parse_select(self.option("select"))
        body: dict[str, Any] = {
            "@odata.context": self.context(fragment),
            "value": [odata.select(render(record), names) for record in page],
        }
        if more:
            next_token = self.env.skip_tokens.issue(scope, key(page[-1]))
            body["@odata.nextLink"] = self._next_link(next_token)
        if self.env.self_links is not None and self.env.self_links in self.link_path:
            query = urlencode(self.pairs, quote_via=quote, safe="$'(),:")
            body["@odata.nextLink"] = f"{self.env.base_url}{self.link_path}" + (
                f"?{query}" if query else ""
            )
        return Reply(200, body)

    def _scope(self) -> str:
        """What a skip token is bound to: the listing and the options that shape it."""
        shaping = sorted(
            (k, v) for k, v in self.pairs if k.lstrip("$") not in ("skiptoken", "top", "select")
        )
        return json.dumps([self.link_path, shaping])

    def _next_link(self, token: str) -> str:
        kept = [(k, v) for k, v in self.pairs if k.lstrip("$") != "skiptoken"]
        kept.append(("$skiptoken", token))
        query = urlencode(kept, quote_via=quote, safe="$'(),:")
        return f"{self.env.base_url}{self.link_path}?{query}"
