"""The Asana emulator as a real HTTP/1.1 server on loopback.

Requests pass the same gates in the same order as at Asana (fault draw, latency, token,
quota, server error, route, scope, plan), then a route handler reads the org under its lock.
The server keeps connections alive and disables Nagle so clients measure the handler, not a
delayed ACK.
"""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pmosync.sandbox.asana.auth import NOT_AUTHORIZED, Tokens
from pmosync.sandbox.asana.call import Call, Env, Reply
from pmosync.sandbox.asana.control import handle_control
from pmosync.sandbox.asana.errors import ApiError
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
PREMIUM_ONLY = (
    "This feature is only available to premium organizations and workspaces; "
    "upgrade the workspace's plan to use it."
)
CORRUPTIONS = ("missing_gid", "unknown_custom_field_type")


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
        self._stats = RequestStats()
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

    def add_token(self, token: str, scopes: set[str] | None = None) -> None:
        """Accept another token; ``scopes`` None grants full access."""
        self._tokens.add(token, scopes)

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

    def throttle_next(self, n: int, retry_after_s: int = 1) -> None:
        """The next ``n`` requests get 429 with this Retry-After."""
        self._faults.throttle_next(n, retry_after_s)

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
        try:
            status, reply = self._gates(route, method, path, token, fault)
            if route is not None and status == 0:
                pairs = parse_qsl(url.query, keep_blank_values=True)
                status, reply = self._dispatch(route, path or "", args, pairs, body)
            headers: dict[str, str] = {}
        except ApiError as error:
            error.message = self._faults.echoed(error.message, handler.headers.get("Authorization"))
            status, reply, headers = error.status, error.body(), error.headers
        self._stats.record(method, url.path, url.query, endpoint, status)
        self._faults.hold_reply(method, url.path, status)
        pretty = "opt_pretty=true" in url.query or "opt_pretty=1" in url.query
        _send(handler, status, reply, headers, pretty)

    def _gates(
        self,
        route: Route | None,
        method: str,
        path: str | None,
        token: str | None,
        fault: str | None,
    ) -> Reply:
        """The checks before a handler runs; status 0 means "go ahead"."""
        if token is None or not self._tokens.known(token):
            raise ApiError(401, NOT_AUTHORIZED)
        failure = self._faults.forced_failure(path or "")
        if failure is not None:
            status, headers = failure
            message = "Service Unavailable" if status != 429 else "You have made too many requests"
            raise ApiError(status, message, headers=headers)
        forced = self._faults.forced_throttle()
        wait = forced if forced is not None else self._limiter.retry_after(token)
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

    def _dispatch(
        self, route: Route, path: str, args: dict[str, str], pairs: list[tuple[str, str]], body: Any
    ) -> Reply:
        with self.org.lock:
            self._env.index.refresh()
            call = Call(self._env, path, args, pairs, body, self.user_gid)
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
