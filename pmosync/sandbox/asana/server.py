"""The Asana emulator as a real HTTP/1.1 server on loopback.

Requests pass the same gates in the same order as at Asana (fault draw, latency, token,
quota, server error, route, scope, plan), then a route handler reads the org under its lock.
The server keeps connections alive and disables Nagle so clients measure the handler, not a
delayed ACK.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from pmosync.sandbox.asana import batch
from pmosync.sandbox.asana.auth import NOT_AUTHORIZED, Tokens
from pmosync.sandbox.asana.call import Call, Env, Reply
from pmosync.sandbox.asana.control import handle_control
from pmosync.sandbox.asana.errors import PREMIUM_ONLY, ApiError, error_body
from pmosync.sandbox.asana.events import SyncTokens
from pmosync.sandbox.asana.index import OrgIndex
from pmosync.sandbox.asana.paging import OffsetTokens
from pmosync.sandbox.asana.resources import Renderer
from pmosync.sandbox.asana.routes import ROUTES
from pmosync.sandbox.asana.routing import Route, Router
from pmosync.sandbox.http import Faults, LoopbackServer, RateLimiter, RequestStats, bearer, shut
from pmosync.sandbox.http.controls import SandboxControls
from pmosync.sandbox.org import Org

API_PREFIX = "/api/1.0"
CONTROL_PREFIX = "/_sandbox/"
CORRUPTIONS = ("missing_gid", "unknown_custom_field_type")
BATCH = "POST /batch"


@dataclass(frozen=True)
class _Request:
    """What a route needs of a request, whether it came over HTTP or inside a batch."""

    method: str
    path: str | None
    pairs: list[tuple[str, str]]
    body: Any
    token: str | None
    authorization: str | None


class AsanaSandbox(SandboxControls):
    """An Asana API emulator serving ``org`` at ``base_url`` once started."""

    def __init__(
        self,
        org: Org,
        *,
        token: str = "sandbox-token",
        scopes: set[str] | None = None,
        requests_per_minute: int | None = None,
        rate_window_s: float = 60.0,
        latency_s: float = 0.0,
        error_rate: float = 0.0,
        drop_rate: float = 0.0,
        fault_seed: int = 0,
        offset_ttl_s: float = 600.0,
        sync_ttl_s: float = 86400.0,
        sync_secret: bytes | None = None,
    ) -> None:
        self.org = org
        self.token = token
        self.user_gid = min(org.people)
        self._tokens = Tokens()
        self._tokens.add(token, scopes)
        self._limiter = RateLimiter(requests_per_minute, rate_window_s)
        self._faults = Faults(error_rate, latency_s, drop_rate, fault_seed)
        self._stats = RequestStats(counters=("batch_actions", "batch_actions_throttled"))
        self._router = Router(ROUTES)
        index = OrgIndex(org)
        self._mystery: set[str] = set()
        self._env = Env(
            org=org,
            index=index,
            renderer=Renderer(org, index, self._mystery),
            offsets=OffsetTokens(offset_ttl_s),
            syncs=SyncTokens(sync_ttl_s, sync_secret),
        )
        self._server = LoopbackServer(
            self.handle, name="asana-sandbox", server_version="AsanaSandbox/1.0"
        )
        self.base_url = ""

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> AsanaSandbox:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        port = self._server.start()
        self.base_url = f"http://127.0.0.1:{port}{API_PREFIX}"
        self._env.base_url = self.base_url
        return self

    # -- controls ----------------------------------------------------------------------------

    def add_token(
        self, token: str, scopes: set[str] | None = None, user_gid: str | None = None
    ) -> None:
        """Accept another token; ``scopes`` None grants full access (a scoped token needs
        ``default`` for writes without a granular scope); ``user_gid`` is the person it acts
        as (``created_by`` of what it writes; a locked field's owner or not), by default the
        sandbox's own user."""
        if user_gid is not None and user_gid not in self.org.people:
            raise ValueError(f"user_gid {user_gid} is not a person of the organisation")
        self._tokens.add(token, scopes, user_gid)

    def forbid_project(self, gid: str, status: int = 403) -> None:
        """Answer ``status`` (403 or 404) for the project and everything reached through it."""
        if status not in (403, 404):
            raise ValueError("status must be 403 or 404")
        with self.org.lock:
            self._env.forbidden[gid] = status

    def corrupt_task(self, gid: str, kind: str) -> None:
        """Serve a task malformed: "missing_gid" in listings or "unknown_custom_field_type"."""
        if kind not in CORRUPTIONS:
            raise ValueError(f"kind must be one of {CORRUPTIONS}")
        with self.org.lock:
            (self._env.missing_gid if kind == "missing_gid" else self._mystery).add(gid)

    def repair_task(self, gid: str) -> None:
        """Serve a task corrupted by ``corrupt_task`` well-formed again."""
        with self.org.lock:
            self._env.missing_gid.discard(gid)
            self._mystery.discard(gid)

    def nest_portfolio(self, parent: str, child: str) -> None:
        """List portfolio ``child`` among ``parent``'s items (after its projects), as Asana
        lets a portfolio hold portfolios."""
        with self.org.lock:
            self._env.nested_portfolios.setdefault(parent, []).append(child)

    def loop_offsets(self, path_contains: str | None) -> None:
        """Listings whose path contains the text serve their first page again and again, each
        time with the same ``next_page`` offset, as a misbehaving server might; None repairs."""
        with self.org.lock:
            self._env.looping_offsets = path_contains

    def endless_events(self, mode: str | None) -> None:
        """``/events`` answers ``has_more`` forever: with a new sync token each time ("fresh")
        or with the caller's own token back ("same"); None repairs."""
        if mode not in (None, "fresh", "same"):
            raise ValueError('mode must be "fresh", "same" or None')
        with self.org.lock:
            self._env.endless_events = mode

    def expire_offsets(self) -> None:
        self._env.offsets.expire_all()

    def expire_sync_tokens(self) -> None:
        self._env.syncs.expire_all()

    def throttle_next(
        self, n: int, retry_after_s: int = 1, path_contains: str | None = None
    ) -> None:
        """The next ``n`` requests (whose path contains the text, when given; a batch's actions
        count) get 429 with this Retry-After."""
        self._faults.throttle_next(n, retry_after_s, path_contains)

    def fail_next(
        self,
        n: int,
        status: int,
        retry_after_s: int | None = None,
        path_contains: str | None = None,
    ) -> None:
        """The next ``n`` requests (whose path contains the text, when given) get ``status``
        (429, 500, 503 ...), with a Retry-After only when ``retry_after_s`` is given."""
        self._faults.fail_next(n, status, retry_after_s, path_contains)

    # -- request handling ----------------------------------------------------------------------

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        body = _read_body(handler)
        method = handler.command
        path = url.path[len(API_PREFIX) :] if url.path.startswith(API_PREFIX) else None
        token = bearer(handler.headers.get("Authorization"))
        if path is not None and path.startswith(CONTROL_PREFIX):
            self._control(handler, method, path, token, body)
            return
        route, args = self._router.match(method, path) if path is not None else (None, {})
        endpoint = route.endpoint if route else f"{method} {url.path}"
        fault = self._faults.draw()
        if fault == "drop":
            self._stats.record(method, url.path, url.query, endpoint, "dropped")
            handler.close_connection = True
            shut(handler.connection)
            return
        if self._faults.latency_s:
            time.sleep(self._faults.latency_s)
        authorization = handler.headers.get("Authorization")
        pairs = parse_qsl(url.query, keep_blank_values=True)
        request = _Request(method, path, pairs, body, token, authorization)
        if route is not None and route.endpoint == BATCH:
            status, reply, headers = self._batch(route, request, fault)
        else:
            status, reply, headers = self._execute(route, args, request, fault)
        self._stats.record(method, url.path, url.query, endpoint, status)
        self._faults.hold_reply(method, url.path, status)
        pretty = "opt_pretty=true" in url.query or "opt_pretty=1" in url.query
        _send(handler, status, reply, headers, pretty)

    def _execute(
        self, route: Route | None, args: dict[str, str], request: _Request, fault: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """One request (or one action of a batch) through the gates and its handler."""
        try:
            status, reply = self._gates(route, request.method, request.path, request.token, fault)
            if route is not None and status == 0:
                status, reply = self._dispatch(route, request, args)
            return status, reply, {}
        except ApiError as error:
            error.message = self._faults.echoed(error.message, request.authorization)
            return error.status, error.body(), error.headers

    def _batch(
        self, route: Route, request: _Request, fault: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """``POST /batch``: the outer request passes the gates but the quota (Asana counts the
        actions, not the envelope); each action then runs as a request of its own: gates,
        quota, scope, plan, its own fault draw (never a dropped socket) and accounting."""
        try:
            self._gates(route, request.method, request.path, request.token, fault, quota=False)
            actions = batch.parse(request.body)
        except ApiError as error:
            error.message = self._faults.echoed(error.message, request.authorization)
            return error.status, error.body(), error.headers
        results = []
        for action in actions:
            inner, args = self._router.match(action.method, action.path)
            endpoint = inner.endpoint if inner else f"{action.method} {API_PREFIX}{action.path}"
            sub = _Request(
                action.method, action.path, action.pairs, action.body, request.token,
                request.authorization,
            )  # fmt: skip
            if inner is not None and inner.endpoint == BATCH:
                status, reply, headers = 400, error_body(400, "A batch cannot hold a batch"), {}
            else:
                status, reply, headers = self._execute(
                    inner, args, sub, self._faults.draw(allow_drop=False)
                )
            query = urlencode(action.pairs)
            self._stats.record(action.method, f"{API_PREFIX}{action.path}", query, endpoint, status)
            self._stats.count("batch_actions")
            if status == 429:
                self._stats.count("batch_actions_throttled")
            results.append(batch.result(status, headers, reply))
        return 200, {"data": results}, {}

    def _gates(
        self,
        route: Route | None,
        method: str,
        path: str | None,
        token: str | None,
        fault: str | None,
        *,
        quota: bool = True,
    ) -> Reply:
        """The checks before a handler runs; status 0 means "go ahead"."""
        if token is None or not self._tokens.known(token):
            raise ApiError(401, NOT_AUTHORIZED)
        failure = self._faults.forced_failure(path or "")
        if failure is not None:
            status, headers = failure
            message = "Service Unavailable" if status != 429 else "You have made too many requests"
            raise ApiError(status, message, headers=headers)
        forced = self._faults.forced_throttle(path or "")
        wait = forced
        if wait is None and quota:
            wait = self._limiter.retry_after(token)
        if wait is not None:
            raise ApiError(
                429,
                "You have made too many requests recently. Please, be chill.",
                headers={"Retry-After": str(wait)},
            )
        if fault is not None:
            raise ApiError(int(fault), "Server Error" if fault == "500" else "Service Unavailable")
        if route is None:
            raise ApiError(404, f"No matching route for request: {method} {path}")
        scope = self._tokens.missing_scope(token, route.endpoint)
        if scope is not None:
            raise ApiError(403, f"Forbidden: your token does not have the required scope: {scope}")
        if route.premium and not self.org.workspace.is_premium:
            raise ApiError(402, PREMIUM_ONLY)
        return 0, {}

    def _dispatch(self, route: Route, request: _Request, args: dict[str, str]) -> Reply:
        user = self._tokens.user(request.token or "") or self.user_gid
        with self.org.lock:
            self._env.index.refresh()
            self._env.renderer.viewer = user
            call = Call(self._env, request.path or "", args, request.pairs, request.body, user)
            return route.handler(call)

    def _control(
        self,
        handler: BaseHTTPRequestHandler,
        method: str,
        path: str,
        token: str | None,
        body: Any,
    ) -> None:
        try:
            if token is None or not self._tokens.known(token):
                raise ApiError(401, NOT_AUTHORIZED)
            status, reply, headers = 200, handle_control(self, method, path, body), {}
        except ApiError as error:
            status, reply, headers = error.status, error.body(), error.headers
        _send(handler, status, reply, headers, False)


def _read_body(handler: BaseHTTPRequestHandler) -> Any:
    """The JSON body if any (always drained, so a kept-alive connection stays in step)."""
    length = int(handler.headers.get("Content-Length") or 0)
    raw = handler.rfile.read(length) if length else b""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: dict[str, Any],
    headers: dict[str, str],
    pretty: bool,
) -> None:
    payload = json.dumps(
        body, indent=2 if pretty else None, separators=None if pretty else (",", ":")
    )
    data = payload.encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json; charset=UTF-8")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)
