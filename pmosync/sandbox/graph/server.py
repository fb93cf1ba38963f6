"""The Microsoft Graph emulator as a real HTTP/1.1 server on loopback.

A request passes the gates in Graph's order (fault draw and latency, token, throttling,
injected server error, route, permission), then a route handler reads the tenant under its
lock. ``$batch`` items go through the same gates one by one. Pre-authenticated download and
upload URLs (``/_download``, ``/_upload``) stand for the SharePoint hosts Graph hands out:
served by this same server but under another host name (``file_host``, "localhost"), no token
there and no Graph quota either.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, unquote, urlsplit

from pmosync.sandbox.graph import aliases, batch, files, render, uploads
from pmosync.sandbox.graph.auth import Tokens, unauthenticated
from pmosync.sandbox.graph.call import Call, Env, Reply
from pmosync.sandbox.graph.control import handle_control
from pmosync.sandbox.graph.downloads import DownloadLinks
from pmosync.sandbox.graph.errors import GraphError, bad_request, error_body, item_not_found
from pmosync.sandbox.graph.odata import SkipTokens
from pmosync.sandbox.graph.paths import split_path
from pmosync.sandbox.graph.routes import ROUTES
from pmosync.sandbox.graph.routing import Router
from pmosync.sandbox.graph.uploads import UploadSessions
from pmosync.sandbox.http import Faults, LoopbackServer, RateLimiter, RequestStats, bearer, shut
from pmosync.sandbox.http.controls import SandboxControls
from pmosync.sandbox.tenant import SentMail, Tenant

API_PREFIX = "/v1.0"
CONTROL_PREFIX = "/_sandbox/"
JSON_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;charset=utf-8"
THROTTLED = "Too many requests. Retry after the number of seconds in the Retry-After header."
UNAVAILABLE = {
    "503": ("serviceNotAvailable", "The service is temporarily unavailable. Retry later."),
    "504": ("gatewayTimeout", "The gateway did not receive a timely response. Retry later."),
}


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    """Raw (percent-encoded) path below the version prefix, starting with ``/``."""
    query: str
    headers: Mapping[str, str]
    body: bytes
    token: str | None


class GraphSandbox(SandboxControls):
    """A Microsoft Graph v1.0 emulator serving ``tenant`` at ``base_url`` once started.

    In ``stats()`` a ``$batch`` is one request; its items are counted in ``batch_items`` (and
    ``batch_items_throttled`` for their 429s)."""

    def __init__(
        self,
        tenant: Tenant,
        *,
        token: str = "sandbox-graph-token",
        roles: set[str] | None = None,
        page_size: int = 100,
        requests_per_minute: int | None = None,
        rate_window_s: float = 60.0,
        latency_s: float = 0.0,
        error_rate: float = 0.0,
        drop_rate: float = 0.0,
        fault_seed: int = 0,
        file_host: str = "localhost",
    ) -> None:
        self.tenant = tenant
        self.file_host = file_host
        """Host name of the pre-authenticated download/upload URLs: another name for this
        server, as Graph's point at SharePoint rather than graph.microsoft.com, so a client
        whose token provider only trusts the API host sends them no token."""
        self.token = token
        self._tokens = Tokens()
        self._tokens.add(token, roles)
        self._limiter = RateLimiter(requests_per_minute, rate_window_s)
        self._faults = Faults(
            error_rate, latency_s, drop_rate, fault_seed, error_statuses=tuple(UNAVAILABLE)
        )
        self._stats = RequestStats(counters=("batch_items", "batch_items_throttled"))
        self._router = Router(ROUTES)
        self._env = Env(tenant, page_size, SkipTokens(), DownloadLinks(), UploadSessions())
        self._server = LoopbackServer(
            self.handle, name="graph-sandbox", server_version="GraphSandbox/1.0"
        )
        self.base_url = ""

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> GraphSandbox:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        port = self._server.start()
        self.base_url = f"http://127.0.0.1:{port}{API_PREFIX}"
        self._env.base_url = self.base_url
        files_url = f"http://{self.file_host}:{port}{API_PREFIX}"
        self._env.downloads.base_url = self._env.uploads.base_url = files_url
        return self

    # -- controls ----------------------------------------------------------------------------

    def add_token(self, token: str, roles: set[str] | None = None) -> None:
        """Accept another token; ``roles`` None grants every permission."""
        self._tokens.add(token, roles)

    def throttle_next(
        self, n: int, retry_after_s: int = 1, path_contains: str | None = None
    ) -> None:
        """The next ``n`` Graph requests (batch items included; only those whose decoded path
        contains ``path_contains`` when given) get 429 with this Retry-After."""
        self._faults.throttle_next(n, retry_after_s, path_contains)

    def fail_next(
        self,
        n: int,
        status: int,
        retry_after_s: int | None = None,
        path_contains: str | None = None,
    ) -> None:
        """The next ``n`` Graph requests (the outer ``$batch`` POST as ``/$batch``, batch items,
        only those whose path contains ``path_contains`` when given) get ``status`` (429, 503,
        504), with a Retry-After only when ``retry_after_s`` is given."""
        self._faults.fail_next(n, status, retry_after_s, path_contains)

    def conflict_next(self, item_id: str, count: int = 1) -> None:
        """The next ``count`` Planner writes to ``item_id`` (a task, its details, or a plan's
        details, by the id in the path) answer 409 Conflict, as Planner does when a write
        collides with a change made at that moment; 0 disarms."""
        self._env.conflicts.arm(item_id, count)

    def loop_next_links(self, path_contains: str | None) -> None:
        """Listings whose path contains the text answer with an ``@odata.nextLink`` to the very
        request just made, page after page, as a misbehaving server might; None repairs."""
        with self.tenant.lock:
            self._env.self_links = path_contains

    def break_upload_fragments(
        self, count: int = 1, *, skip: int = 0, status: int | None = 503
    ) -> None:
        """The next ``count`` fragment PUTs to upload URLs, after ``skip`` that go through,
        fail: refused with ``status`` before they are taken, or with ``status`` None stored and
        then the connection drops instead of the reply (the client cannot tell it landed)."""
        self._env.uploads.faults.arm(count, skip, status)

    def forget_upload_fragments(self, forget: bool = True) -> None:
        """Upload URLs answer every fragment 202 and drop it, so ``nextExpectedRanges`` never
        moves on (a server that would keep a client uploading forever); False repairs."""
        self._env.uploads.forgetful = forget

    @property
    def sent_mail(self) -> list[SentMail]:
        return self.tenant.sent_mail

    # -- HTTP --------------------------------------------------------------------------------

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        body = _read_body(handler)
        method = handler.command
        headers = {k: v for k, v in handler.headers.items()}
        ids = (str(uuid.uuid4()), _header(headers, "client-request-id") or str(uuid.uuid4()))
        if not url.path.startswith(API_PREFIX + "/"):
            reply = Reply(400, bad_request(f"Invalid version in {url.path}").body(*ids))
            self._stats.record(method, url.path, url.query, f"{method} (no version)", 400)
            _send(handler, reply, ids)
            return
        raw = url.path[len(API_PREFIX) :]
        token = bearer(_header(headers, "Authorization"))
        if raw.startswith(CONTROL_PREFIX):
            _send(handler, self._control(method, raw, token, body, ids), ids)
            return
        fault = self._faults.draw()
        if fault == "drop":
            self._stats.record(method, url.path, url.query, f"{method} {raw}", "dropped")
            handler.close_connection = True
            shut(handler.connection)
            return
        if self._faults.latency_s:
            time.sleep(self._faults.latency_s)
        request = ApiRequest(method, raw, url.query, headers, body, token)
        if raw.startswith(("/_download/", "/_upload/")):
            try:
                reply, endpoint = self._preauthenticated(request, fault, ids)
            except uploads.ReplyLost:
                self._stats.record(
                    method, url.path, url.query, f"{method} /_upload/{{key}}", "dropped"
                )
                handler.close_connection = True
                shut(handler.connection)
                return
        elif unquote(raw) == "/$batch":
            reply, endpoint = self._batch(request, fault, ids), "POST /$batch"
        else:
            reply, endpoint = self.execute(request, fault, ids)
        self._stats.record(method, url.path, url.query, endpoint, reply.status)
        self._faults.hold_reply(method, url.path, reply.status)
        _send(handler, reply, ids)

    # -- one API request (standalone or a batch item) ----------------------------------------

    def execute(
        self, request: ApiRequest, fault: str | None, ids: tuple[str, str]
    ) -> tuple[Reply, str]:
        """Run one Graph request through the gates and its route; (reply, endpoint label)."""
        segments = split_path(request.path)
        alias_error: GraphError | None = None
        try:
            with self.tenant.lock:
                segments = aliases.canonical(segments, self.tenant)
        except GraphError as error:
            alias_error = error
        route, args, path_known = self._router.match(request.method, segments)
        endpoint = route.endpoint if route else f"{request.method} (unknown)"
        try:
            token = self._tokens.check(request.token)
            self._throttle(token, unquote(request.path))
            if fault is not None:
                code, message = UNAVAILABLE[fault]
                raise GraphError(int(fault), code, message)
            if segments[:1] == ["me"]:
                raise bad_request("/me request is only valid with delegated authentication flow.")
            if alias_error is not None:
                raise alias_error
            if route is None:
                if path_known:
                    raise GraphError(
                        405,
                        "BadRequest",
                        "Specified HTTP method is not allowed for the request target.",
                    )
                last = segments[-1] if segments else ""
                raise bad_request(f"Resource not found for the segment '{last}'.")
            self._tokens.require(token, route.access)
            call = Call(
                self._env,
                request.method,
                request.path,
                args,
                parse_qsl(request.query, keep_blank_values=True),
                request.headers,
                request.body,
            )
            with self.tenant.lock:
                reply = route.handler(call)
            return _conditional(reply, request.headers), endpoint
        except GraphError as error:
            error.message = self._faults.echoed(
                error.message, _header(request.headers, "Authorization")
            )
            return Reply(error.status, error.body(*ids), dict(error.headers)), endpoint
        except Exception as error:  # a bug in the sandbox: say so as Graph would, keep serving
            message = f"Sandbox error: {type(error).__name__}: {error}"
            return Reply(500, error_body("generalException", message, *ids)), endpoint

    def _forced_failure(self, path: str) -> None:
        """A ``fail_next`` answer, as Graph words it."""
        failure = self._faults.forced_failure(path)
        if failure is not None:
            status, headers = failure
            code, message = (
                ("TooManyRequests", THROTTLED)
                if status == 429
                else UNAVAILABLE.get(str(status), ("generalException", "An error occurred."))
            )
            raise GraphError(status, code, message, headers=headers)

    def _throttle(self, token: str, path: str) -> None:
        self._forced_failure(path)
        wait = self._faults.forced_throttle(path)
        if wait is None:
            wait = self._limiter.retry_after(token)
        if wait is not None:
            raise GraphError(429, "TooManyRequests", THROTTLED, headers={"Retry-After": str(wait)})

    # -- $batch ------------------------------------------------------------------------------

    def _batch(self, request: ApiRequest, fault: str | None, ids: tuple[str, str]) -> Reply:
        try:
            self._tokens.check(request.token)
            if request.method != "POST":
                raise GraphError(405, "BadRequest", "$batch accepts POST only.")
            self._forced_failure("/$batch")  # the outer POST, as Graph may throttle it too
            if fault is not None:
                code, message = UNAVAILABLE[fault]
                raise GraphError(int(fault), code, message)
            items, order = batch.parse(request.body)
        except GraphError as error:
            return Reply(error.status, error.body(*ids), dict(error.headers))

        def run_item(item: batch.Item) -> Reply:
            self._stats.count("batch_items")
            if unquote(item.path) == "/$batch":
                reply = Reply(400, bad_request("A batch cannot hold a batch.").body(*ids))
            else:
                sub = ApiRequest(
                    item.method, item.path, item.query, item.headers, item.body, request.token
                )
                reply, _ = self.execute(sub, self._faults.draw(allow_drop=False), ids)
            if reply.status == 429:
                self._stats.count("batch_items_throttled")
            return reply

        return Reply(200, batch.run(items, run_item, order))

    # -- pre-authenticated download and upload URLs ------------------------------------------

    def _preauthenticated(
        self, request: ApiRequest, fault: str | None, ids: tuple[str, str]
    ) -> tuple[Reply, str]:
        kind, _, key = request.path.strip("/").partition("/")
        endpoint = f"{request.method} /{kind}/{{key}}"
        try:
            if fault is not None:
                code, message = UNAVAILABLE[fault]
                raise GraphError(int(fault), code, message)
            if kind == "_download":
                return self._download(request, key), endpoint
            return self._upload(request, key), endpoint
        except GraphError as error:
            return Reply(error.status, error.body(*ids), dict(error.headers)), endpoint

    def _download(self, request: ApiRequest, key: str) -> Reply:
        if request.method != "GET":
            raise GraphError(405, "BadRequest", "Download links accept GET only.")
        item_id = self._env.downloads.item_id(key)
        with self.tenant.lock:
            item = self.tenant.items.get(item_id)
            if item is None or item.content is None:
                raise item_not_found("The file no longer exists.")
            content = item.content
            mime = render.mime_type(item.name)
        return Reply(200, content, {"Content-Type": mime})

    def _upload(self, request: ApiRequest, key: str) -> Reply:
        if _header(request.headers, "Authorization") is not None:
            raise unauthenticated(
                "Upload URLs are pre-authenticated; send no Authorization header to them."
            )
        sessions = self._env.uploads
        session = sessions.get(key)
        if request.method == "DELETE":
            sessions.close(key)
            return Reply(204)
        if request.method == "GET":
            return Reply(200, session.progress())
        if request.method != "PUT":
            raise GraphError(405, "BadRequest", "Upload URLs accept PUT, GET and DELETE.")
        fragment = uploads.parse_fragment(
            _header(request.headers, "Content-Range"), len(request.body)
        )
        broken = sessions.faults.draw()
        if broken is not None and broken.status is not None:
            code, message = UNAVAILABLE.get(str(broken.status), ("generalException", "Failed."))
            raise GraphError(broken.status, code, message)
        if sessions.forgetful:
            return Reply(202, session.progress())
        with self.tenant.lock:
            if not uploads.accept(session, fragment, request.body):
                reply = Reply(202, session.progress())
            else:
                stored, created = files.write(
                    self.tenant, session.target, bytes(session.received), session.behaviour
                )
                sessions.close(key)
                body = render.drive_item(stored, self.tenant, self._env.downloads.url(stored.id))
                reply = Reply(201 if created else 200, body)
        if broken is not None:
            raise uploads.ReplyLost()
        return reply

    # -- control -----------------------------------------------------------------------------

    def _control(
        self, method: str, path: str, token: str | None, body: bytes, ids: tuple[str, str]
    ) -> Reply:
        try:
            self._tokens.check(token)
            return Reply(200, handle_control(self, method, path, body))
        except GraphError as error:
            return Reply(error.status, error.body(*ids), dict(error.headers))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def _conditional(reply: Reply, headers: Mapping[str, str]) -> Reply:
    """304 when ``If-None-Match`` names the entity's current etag."""
    wanted = _header(headers, "If-None-Match")
    if wanted is None or reply.status != 200 or not isinstance(reply.body, dict):
        return reply
    etag = reply.body.get("@odata.etag")
    if etag is not None and (
        wanted.strip() == "*" or etag in [t.strip() for t in wanted.split(",")]
    ):
        return Reply(304, None, {"ETag": etag})
    return reply


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The raw body (always drained, so a kept-alive connection stays in step)."""
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def _send(handler: BaseHTTPRequestHandler, reply: Reply, ids: tuple[str, str]) -> None:
    if isinstance(reply.body, dict):
        data = json.dumps(reply.body, separators=(",", ":")).encode()
        content_type: str | None = JSON_TYPE
    elif isinstance(reply.body, bytes):
        data, content_type = reply.body, "application/octet-stream"
    else:
        data, content_type = b"", None
    handler.send_response(reply.status)
    headers = dict(reply.headers)
    if content_type is not None:
        headers.setdefault("Content-Type", content_type)
    headers.setdefault("Cache-Control", "no-cache")
    headers["request-id"] = ids[0]
    headers["client-request-id"] = ids[1]
    if isinstance(reply.body, dict):
        headers["OData-Version"] = "4.0"
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    if data:
        handler.wfile.write(data)
