"""One API call as the route handlers see it, with the helpers every handler needs.

Handlers stay a few lines each: they resolve gids (404s and forbidden projects handled here),
choose the key source of a listing, and hand back records; rendering, ``opt_fields``,
pagination and the response envelope happen here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from pmosync.sandbox.asana import params
from pmosync.sandbox.asana.errors import ApiError, bad_request, not_found
from pmosync.sandbox.asana.events import SyncTokens
from pmosync.sandbox.asana.fields import FieldTree, parse_opt_fields
from pmosync.sandbox.asana.index import OrgIndex
from pmosync.sandbox.asana.paging import (
    OffsetTokens,
    check_unpaginated,
    collect,
    page_size,
    query_signature,
)
from pmosync.sandbox.asana.resources import Renderer
from pmosync.sandbox.org import Org, Project, Task

Reply = tuple[int, dict[str, Any]]
KeySource = Callable[[str | None], Iterable[str]]


@dataclass
class Env:
    """State shared by every request of one sandbox."""

    org: Org
    index: OrgIndex
    renderer: Renderer
    offsets: OffsetTokens
    syncs: SyncTokens
    base_url: str = ""
    forbidden: dict[str, int] = field(default_factory=dict)
    missing_gid: set[str] = field(default_factory=set)
    nested_portfolios: dict[str, list[str]] = field(default_factory=dict)
    """Portfolio gid -> portfolios listed among its items after its projects."""
    looping_offsets: str | None = None
    """Listings whose path contains this answer the first page again, always with the same
    ``next_page`` offset (a server stuck on one cursor); None: paging behaves."""
    endless_events: str | None = None
    """"fresh": ``/events`` says ``has_more`` forever, a new sync token each time; "same": it
    also hands the caller's token back; None: the feed behaves."""


class Call:
    """The parsed request: path arguments, query parameters, JSON body and caller."""

    def __init__(
        self,
        env: Env,
        path: str,
        args: dict[str, str],
        pairs: list[tuple[str, str]],
        body: Any,
        user_gid: str,
    ) -> None:
        self.env = env
        self.org = env.org
        self.path = path
        self.args = args
        self.pairs = pairs
        self.params = dict(pairs)
        self.body = body
        self.user_gid = user_gid
        opt_fields = self.params.get("opt_fields")
        self.tree: FieldTree | None = parse_opt_fields(opt_fields) if opt_fields else None

    # -- parameters -------------------------------------------------------------------------

    def arg(self, name: str, *, allow_me: bool = False) -> str:
        """A path gid; "me" resolves to the caller where allowed."""
        value = params.gid(name.removesuffix("_gid"), self.args[name], allow_me=allow_me)
        return self.user_gid if value == "me" else value

    def param(self, name: str) -> str | None:
        return self.params.get(name)

    def gid_param(self, name: str, *, required: bool = False, allow_me: bool = False) -> str | None:
        value = self.params.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name}: Missing input")
            return None
        value = params.gid(name, value, allow_me=allow_me)
        return self.user_gid if value == "me" else value

    def data(self) -> dict[str, Any]:
        """The ``data`` object of a JSON request body."""
        if not isinstance(self.body, dict) or not isinstance(self.body.get("data"), dict):
            raise bad_request('Request body must be a JSON object with a "data" object')
        return self.body["data"]

    # -- lookups ----------------------------------------------------------------------------

    def lookup(self, kind: str, table: dict[str, Any], gid: str) -> Any:
        record = table.get(gid)
        if record is None:
            raise not_found(kind, gid)
        return record

    def project(self, gid: str, kind: str = "project") -> Project:
        status = self.env.forbidden.get(gid)
        if status == 403:
            raise ApiError(403, "Forbidden")
        if status == 404:
            raise not_found(kind, gid)
        return self.lookup(kind, self.org.projects, gid)

    def task(self, gid: str, kind: str = "task") -> Task:
        task = self.lookup(kind, self.org.tasks, gid)
        project_gid = self.org.task_project(task)
        if project_gid in self.env.forbidden:
            self.project(project_gid, kind)
        return task

    def workspace(self, gid: str, kind: str = "workspace") -> None:
        if gid != self.org.workspace.gid:
            raise not_found(kind, gid)

    # -- responses --------------------------------------------------------------------------

    def one(self, kind: str, record: Any, status: int = 200) -> Reply:
        """A single resource: full form, or exactly the requested ``opt_fields``."""
        return status, {"data": self.env.renderer.render(kind, record, self.tree, full=True)}

    def many(
        self,
        kind: str | Callable[[Any], str],
        keys: KeySource,
        resolve: Callable[[str], Any],
        keep: Callable[[Any], bool] | None = None,
        *,
        full: bool = False,
        paginated: bool = True,
    ) -> Reply:
        """A listing: compact (or full) records, keyset-paginated when ``limit`` is sent;
        ``kind`` may name each record's kind (a portfolio's items mix projects and portfolios)."""
        limit = params.limit(self.param("limit")) if paginated else None
        signature = query_signature(self.path, self.params)
        looping = self.env.looping_offsets is not None and self.env.looping_offsets in self.path
        offset = self.param("offset") if paginated and not looping else None
        after = self.env.offsets.resume_key(offset, signature) if offset else None
        found = collect(keys(after), resolve, keep, page_size(limit))
        if limit is None:
            check_unpaginated(found)
        page = found[:limit] if limit is not None else found
        render = self.env.renderer.render
        data = [
            render(kind if isinstance(kind, str) else kind(record), record, self.tree, full=full)
            for _, record in page
        ]
        if kind == "task" and self.env.missing_gid:
            for item in data:
                if item.get("gid") in self.env.missing_gid:
                    del item["gid"]
        body: dict[str, Any] = {"data": data}
        if limit is not None:
            more = len(found) > limit
            body["next_page"] = self._next_page(page[-1][0], signature) if more else None
            if looping:
                body["next_page"] = {"offset": f"stuck-{signature}", "path": self.path, "uri": ""}
        return 200, body

    def _next_page(self, last_key: str, signature: str) -> dict[str, str]:
        token = self.env.offsets.issue(signature, last_key)
        query = [(k, v) for k, v in self.pairs if k != "offset"] + [("offset", token)]
        path = f"{self.path}?{urlencode(query)}"
        return {"offset": token, "path": path, "uri": f"{self.env.base_url}{path}"}
