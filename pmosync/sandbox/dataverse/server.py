"""The Dataverse Web API emulator as a real HTTP/1.1 server on loopback.

A request passes the gates in Dataverse's order: a dropped connection or fault draw, the token
(401 with the sign-in hint, no body), membership (403), forced failures and 429s, service
protection (requests, emulated execution time and concurrency per user over a sliding window,
each a 429 with Retry-After), latency, the route, the table privilege (403), then the read.
Errors carry Dataverse's ``{"error": {"code": "0x8...", "message"}}``.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import Counter, deque
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from pmosync.sandbox.dataverse.auth import Principal, Tokens, require_member, require_read
from pmosync.sandbox.dataverse.environment import BY_ENTITY_SET, Environment
from pmosync.sandbox.dataverse.errors import (
    REQUESTS_EXCEEDED,
    UNEXPECTED,
    DataverseError,
    segment_not_found,
)
from pmosync.sandbox.dataverse.limits import Protection, ServiceLimits, throttled
from pmosync.sandbox.dataverse.reads import Prefer, Reads, Result
from pmosync.sandbox.http import Faults, LoopbackServer, RequestStats, bearer, shut
from pmosync.sandbox.http.controls import SandboxControls

API_PREFIX = "/api/data/v9.2"
JSON_TYPE = "application/json; odata.metadata=minimal"
DEFAULT_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
_SEGMENT = re.compile(r"^(?P<name>[A-Za-z_][\w.]*)(?:\((?P<key>[^)]*)\))?$")
_UNAVAILABLE = "The service is temporarily unavailable. Retry later."
COUNTERS = ("throttled", "full_reads", "delta_reads", "full_listings", "delta_listings", "rows")
"""Extra ``stats()`` tallies: 429s; collection pages read in full and by delta token; the
first pages of each (one per listing); rows served (expanded rows included)."""


class DataverseSandbox(SandboxControls):
    """A Dataverse Web API v9.2 emulator serving ``environment`` once started.

    ``environment_url`` (``http://127.0.0.1:<port>``) is what a connector's ``environment:``
    takes; ``api_url`` is it plus ``/api/data/v9.2``."""

    def __init__(
        self,
        environment: Environment,
        *,
        token: str = "sandbox-dataverse-token",
        page_default: int = 5000,
        limits: ServiceLimits | None = None,
        latency_s: float = 0.0,
        error_rate: float = 0.0,
        fault_seed: int = 0,
        tenant_id: str | None = None,
    ) -> None:
        self.environment = environment
        self.token = token
        self.tenant_id = tenant_id or DEFAULT_TENANT
        """The Entra tenant a 401's ``WWW-Authenticate`` sends a client to sign in with."""
        self.page_default = page_default
        self.limits = limits or ServiceLimits()
        self._tokens = Tokens()
        # The sandbox's own token acts as the environment's application user, when it has one.
        self._tokens.add(token, user_id=getattr(environment, "application_user_id", None))
        self._protection = Protection(self.limits)
        self._faults = Faults(error_rate, latency_s, 0.0, fault_seed, error_statuses=("503",))
        self._stats = RequestStats(counters=COUNTERS)
        self._by_entity_set: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.requests_log: deque[dict[str, Any]] = deque(maxlen=10_000)
        """Recent requests, oldest first: method, path (decoded), query (raw), prefer,
        token_user, status."""
        self._reads = Reads(environment, lambda: self.api_url)
        self._server = LoopbackServer(
            self.handle, name="dataverse-sandbox", server_version="DataverseSandbox/1.0"
        )
        self.environment_url = ""
        self.api_url = ""

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> DataverseSandbox:
        port = self._server.start()
        self.environment_url = f"http://127.0.0.1:{port}"
        self.api_url = self.environment_url + API_PREFIX
        return self

    # -- controls ----------------------------------------------------------------------------

    def add_token(
        self, token: str, privileges: set[str] | None = None, member: bool = True
    ) -> None:
        """Accept another token: ``privileges`` None reads every table, else the set of table
        logical names it may read; ``member`` False is an app user not in the environment."""
        self._tokens.add(token, privileges, member)

    def revoke_token(self, token: str) -> None:
        """The token is no longer accepted (401)."""
        self._tokens.remove(token)

    def revoke(self, table: str, token: str | None = None) -> None:  # type: ignore[override]
        """Take ``prvRead<table>`` from one token, or from every token (None)."""
        self._tokens.set_privilege(table, token, False)

    def grant(self, table: str, token: str | None = None) -> None:
        """Give ``prvRead<table>`` to one token, or to every token (None)."""
        self._tokens.set_privilege(table, token, True)

    def throttle_next(
        self,
        n: int,
        retry_after_s: int = 1,
        path_contains: str | None = None,
        missing_retry_after: bool = False,
    ) -> None:
        """The next ``n`` requests (whose decoded path contains the text, when given) get 429
        0x80072322, with this Retry-After or, ``missing_retry_after``, none at all (as some
        gateways answer)."""
        if missing_retry_after:
            self._faults.fail_next(n, 429, None, path_contains)
        else:
            self._faults.throttle_next(n, retry_after_s, path_contains)

    def fail_next(
        self,
        n: int,
        status: int = 503,
        retry_after_s: int | None = None,
        path_contains: str | None = None,
    ) -> None:
        """The next ``n`` requests (matching ``path_contains``) get ``status``."""
        self._faults.fail_next(n, status, retry_after_s, path_contains)

    def drop_next(self, n: int) -> None:
        """Cut the connection of the next ``n`` requests without an answer."""
        self._faults.drop_next(n)

    def expire_delta_tokens(self) -> None:
        """Every delta token handed out so far answers 400 0x80044352 (read in full again)."""
        self.environment.expire_delta_tokens()

    def stats(self) -> dict[str, Any]:
        """``total``, ``by_status``, ``by_endpoint``, ``by_entity_set`` (requests naming each
        entity set), ``throttled``, ``full_reads``, ``delta_reads``, ``full_listings``,
        ``delta_listings``, ``rows``."""
        snap = self._stats.snapshot()
        with self._lock:
            snap["by_entity_set"] = dict(self._by_entity_set)
        return snap

    def reset_stats(self) -> None:
        self._stats.reset()
        with self._lock:
            self._by_entity_set.clear()
        self.requests_log.clear()

    # -- HTTP --------------------------------------------------------------------------------

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            handler.rfile.read(length)
        path = unquote(url.path)
        method = handler.command
        token = bearer(handler.headers.get("Authorization"))
        prefer = handler.headers.get_all("Prefer") or []
        fault = self._faults.draw()
        if fault == "drop":
            self._record(method, path, url.query, prefer, None, "dropped", None)
            handler.close_connection = True
            shut(handler.connection)
            return
        entity_set = None
        principal: Principal | None = None
        try:
            principal = self._tokens.find(token)
            if principal is None:
                raise DataverseError(401, "", "", headers=self._challenge(), body=False)
            require_member(principal)
            entity_set, result = self._admitted(
                principal, method, path, url.query, prefer, fault
            )
            status, body, headers = 200, result.body, result.headers
            self._count(result)
        except DataverseError as error:
            status, body, headers = error.status, error.body(), dict(error.headers)
            if body is not None:
                body["error"]["message"] = self._faults.echoed(
                    error.message, handler.headers.get("Authorization")
                )
        except Exception as error:  # a bug in the sandbox: say so as Dataverse would
            message = f"Sandbox error: {type(error).__name__}: {error}"
            status, body, headers = 500, {"error": {"code": UNEXPECTED, "message": message}}, {}
        if principal is not None and status != 401:
            burst, time_left = self._protection.remaining(principal.user_id)
            if burst is not None:
                headers["x-ms-ratelimit-burst-remaining-xrm-requests"] = str(burst)
            if time_left is not None:
                headers["x-ms-ratelimit-time-remaining-xrm-requests"] = f"{time_left:,.2f}"
        self._record(method, path, url.query, prefer, principal, status, entity_set)
        self._faults.hold_reply(method, path, status)
        _send(handler, status, body, headers)

    def _admitted(
        self,
        principal: Principal,
        method: str,
        path: str,
        query: str,
        prefer: list[str],
        fault: str | None,
    ) -> tuple[str | None, Result]:
        """The gates after sign-in, then the read (service protection charged either way)."""
        self._forced(path, fault)
        user = principal.user_id
        self._protection.enter(user)
        rows = 0
        try:
            if self._faults.latency_s:
                time.sleep(self._faults.latency_s)
            entity_set, result = self._route(principal, method, path, query, prefer)
            rows = result.rows
            return entity_set, result
        finally:
            self._protection.leave(user, rows)

    def _forced(self, path: str, fault: str | None) -> None:
        failure = self._faults.forced_failure(path)
        if failure is not None:
            status, headers = failure
            if status == 429:
                raise DataverseError(
                    429, REQUESTS_EXCEEDED, self.limits.requests_message(), headers=headers
                )
            raise DataverseError(status, UNEXPECTED, _UNAVAILABLE, headers=headers)
        wait = self._faults.forced_throttle(path)
        if wait is not None:
            raise throttled(REQUESTS_EXCEEDED, self.limits.requests_message(), wait)
        if fault is not None:
            raise DataverseError(int(fault), UNEXPECTED, _UNAVAILABLE)

    def _route(
        self, principal: Principal, method: str, path: str, query: str, prefer: list[str]
    ) -> tuple[str | None, Result]:
        if not path.startswith(API_PREFIX + "/"):
            raise segment_not_found(path.strip("/").split("/")[0] or path)
        rest = path[len(API_PREFIX) + 1 :]
        found = _SEGMENT.match(rest)
        if found is None:
            raise segment_not_found(rest)
        name, key = found.group("name"), found.group("key")
        if method != "GET":
            raise DataverseError(
                405, UNEXPECTED, f"The HTTP method {method} is not supported by this emulator."
            )
        params = parse_qsl(query, keep_blank_values=True)
        if name == "WhoAmI" and key in (None, ""):
            return None, self._reads.who_am_i(principal.user_id)
        if name == "EntityDefinitions" and key is None:
            return None, self._reads.entity_definitions(params)
        spec = BY_ENTITY_SET.get(name)
        if spec is None:
            raise segment_not_found(name)
        require_read(principal, spec.logical_name)

        def may_read(table: str) -> None:
            require_read(principal, table)

        if key is not None:
            return name, self._reads.row(spec, key.strip("{}"), params, may_read)
        return name, self._reads.collection(
            spec, params, Prefer.parse(prefer), may_read, self.page_default
        )

    def _count(self, result: Result) -> None:
        if result.kind in ("full", "delta"):
            self._stats.count(f"{result.kind}_reads")
            if result.first_page:
                self._stats.count(f"{result.kind}_listings")
        self._stats.count("rows", result.rows)

    def _challenge(self) -> dict[str, str]:
        return {
            "WWW-Authenticate": (
                f"Bearer authorization_uri=https://login.microsoftonline.com/{self.tenant_id}"
                f"/oauth2/authorize, resource_id={self.environment_url}"
            )
        }

    def _record(
        self,
        method: str,
        path: str,
        query: str,
        prefer: list[str],
        principal: Principal | None,
        status: int | str,
        entity_set: str | None,
    ) -> None:
        endpoint = f"{method} {_endpoint(path)}"
        self._stats.record(method, path, query, endpoint, status)
        if status == 429:
            self._stats.count("throttled")
        if entity_set is not None:
            with self._lock:
                self._by_entity_set[entity_set] += 1
        self.requests_log.append({
            "method": method, "path": path, "query": query, "prefer": ", ".join(prefer),
            "user": principal.user_id if principal else None, "status": status,
        })  # fmt: skip


def _endpoint(path: str) -> str:
    """``/api/data/v9.2/msdyn_projects(<guid>)`` -> ``msdyn_projects({id})``."""
    rest = path[len(API_PREFIX) + 1 :] if path.startswith(API_PREFIX + "/") else path
    return re.sub(r"\([^)]+\)$", "({id})", rest)


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: dict[str, Any] | None,
    headers: dict[str, str],
) -> None:
    data = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
    handler.send_response(status)
    if body is not None:
        handler.send_header("Content-Type", JSON_TYPE)
        handler.send_header("OData-Version", "4.0")
    handler.send_header("REQ_ID", str(uuid.uuid4()))
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    if data:
        handler.wfile.write(data)
