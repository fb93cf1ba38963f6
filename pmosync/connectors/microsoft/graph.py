"""msgraph-sdk on one event loop, with this connector's one retry policy.

msgraph-sdk is async (httpx). The sync engine is not, so each connector owns exactly one event
loop for its whole run and drives every coroutine on it; the httpx client and the credential
are closed on that same loop before it closes, which is what keeps "Event loop is closed" out of
the logs. Requests go out through the SDK's request adapter (auth, URL templates, redirects)
but kiota's own RetryHandler is left out of the pipeline: it would retry behind the limiter's
back, go uncounted, and give up on a 429 storm after three tries. ``_Governor`` replaces it:
every attempt takes a limiter slot and is counted; 429 waits for Retry-After (pausing every
concurrent request, the quota being per app), 5xx and dropped connections back off with jitter,
and any other 4xx becomes one of our one-line errors built from Graph's error body.

Responses are kept as the raw JSON Graph sent (etags and all): mapping reads them as dicts, and a
record that fails mapping is quarantined exactly as it came.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
from collections.abc import AsyncIterator, Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from kiota_http.middleware import (
    ParametersNameDecodingHandler,
    RedirectHandler,
    UserAgentHandler,
)
from kiota_http.middleware.middleware import BaseMiddleware
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph_core import GraphClientFactory

from pmosync.config.connectors import MicrosoftAuth
from pmosync.connectors.errors import (
    AuthenticationError,
    ConnectorError,
    FatalError,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    RetriableError,
    UnreachableError,
)
from pmosync.connectors.limiter import RateLimiter
from pmosync.connectors.microsoft.auth import auth_provider, open_credential
from pmosync.connectors.microsoft.permissions import permission_for
from pmosync.connectors.retry import RetryPolicy

log = logging.getLogger(__name__)

BATCH_SIZE = 20
"""Graph's JSON batching limit."""
_RETRIABLE = {429, 500, 502, 503, 504}
T = TypeVar("T")


def _path_of(url: str, base_url: str) -> str:
    """The request path relative to the API root, without the query: safe to print."""
    path = urlsplit(url).path
    base = urlsplit(base_url).path.rstrip("/")
    return path[len(base) :] if base and path.startswith(base) else path


def _graph_message(body: bytes | str | Mapping[str, Any] | None) -> str:
    """Graph's own words from an ``{"error": {"code", "message"}}`` body."""
    try:
        data = json.loads(body) if isinstance(body, bytes | str) else body
        error = (data or {}).get("error") or {}
        code, message = error.get("code") or "", error.get("message") or ""
    except (ValueError, AttributeError, TypeError):
        return ""
    return f"{code}: {message}" if code and message else code or message


def classify(status: int, body: Any, method: str, path: str) -> ConnectorError:
    """One of our errors, one line, from a failed Graph answer (never from headers)."""
    where = f"{method} {path}"
    message = _graph_message(body) or f"HTTP {status}"
    if status == 401:
        return AuthenticationError(
            f"Microsoft Graph refused the credentials ({where}: 401 {message}); check the "
            "token, secret or certificate",
            status,
        )
    if status == 403:
        needed = permission_for(method, path)
        hint = f"; the app needs the {needed} permission (with admin consent)" if needed else ""
        return PermissionDenied(f"{where}: 403 {message}{hint}", status)
    if status == 404:
        return NotFound(f"{where}: 404 {message}", status)
    if status == 400:
        return InvalidRequest(f"{where}: 400 {message}", status)
    if status in _RETRIABLE:
        return RetriableError(f"{where}: {status} {message} (gave up after retries)")
    return FatalError(f"{where}: {status} {message}", status)


def _retry_after(headers: Mapping[str, str], default: float) -> float:
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default


class _Governor(BaseMiddleware):
    """First in the pipeline: limit, count, retry, and turn failures into our errors."""

    def __init__(self, client: GraphClient) -> None:
        super().__init__()
        self._client = client

    async def send(self, request: httpx.Request, transport: httpx.AsyncBaseTransport):
        client, policy = self._client, self._client.policy
        path = _path_of(str(request.url), client.base_url)
        throttled = failures = 0
        while True:
            wait = client.limiter.reserve()
            if wait > 0:
                await asyncio.sleep(wait)
            client.requests += 1
            try:
                response = await super().send(request, transport)
            except httpx.TransportError as error:
                failures += 1
                if failures > policy.max_failures:
                    raise UnreachableError(
                        f"cannot reach Microsoft Graph at {client.host} ({request.method} "
                        f"{path}: {type(error).__name__})"
                    ) from None
                await asyncio.sleep(policy.backoff(failures, client.rng))
                continue
            status = response.status_code
            if status < 400:
                return response
            body = await response.aread()
            if status == 429:
                throttled += 1
                if throttled > policy.max_throttled:
                    raise classify(status, body, request.method, path)
                pause = min(_retry_after(response.headers, 1.0), policy.retry_after_cap_s)
                log.info("Graph throttled %s %s; waiting %.1fs", request.method, path, pause)
                client.limiter.pause(pause)
                continue
            if status in _RETRIABLE:
                failures += 1
                if failures > policy.max_failures:
                    raise classify(status, body, request.method, path)
                delay = policy.backoff(failures, client.rng)
                await asyncio.sleep(_retry_after(response.headers, delay))
                continue
            raise classify(status, body, request.method, path)


async def gather(*work: Awaitable[T]) -> list[T]:
    """Run ``work`` concurrently; on the first failure cancel the rest and raise that failure.

    ``asyncio.gather`` would leave the siblings of a failed request running on the loop, to
    be torn down half-way when the loop closes ("aclose(): asynchronous generator is already
    running"); a TaskGroup cancels and awaits them first."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(item) for item in work]
    except BaseExceptionGroup as failures:
        raise failures.exceptions[0] from None
    return [task.result() for task in tasks]


@dataclass(frozen=True, slots=True)
class BatchAnswer:
    """One item's answer inside a JSON ``$batch`` response."""

    status: int
    body: Any


class GraphClient:
    """msgraph-sdk's ``GraphServiceClient`` and its event loop, for one connector's run."""

    def __init__(
        self,
        config: MicrosoftAuth,
        *,
        policy: RetryPolicy | None = None,
        max_concurrency: int = 4,
        seed: int | None = None,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.base_url = config.base_url.rstrip("/")
        self.host = urlsplit(self.base_url).netloc
        self.limiter = RateLimiter(config.requests_per_minute or math.inf)
        self.rng = random.Random(seed)
        self.requests = 0
        self._loop = asyncio.new_event_loop()
        self._max_concurrency = max_concurrency
        self._gate: asyncio.Semaphore | None = None
        self._credential = open_credential(config)
        connect, read = self.policy.timeout_s
        http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(read, connect=connect),
            limits=httpx.Limits(max_connections=max_concurrency * 2),
        )
        middleware = [
            _Governor(self),
            RedirectHandler(),
            ParametersNameDecodingHandler(),
            UserAgentHandler(),
        ]
        self._http = GraphClientFactory.create_with_custom_middleware(middleware, client=http)
        self.adapter = GraphRequestAdapter(auth_provider(config, self._credential), self._http)
        self.adapter.base_url = self.base_url
        self.sdk = GraphServiceClient(request_adapter=self.adapter)

    # -- the loop ----------------------------------------------------------------------------

    def run(self, work: Awaitable[T]) -> T:
        """Drive one coroutine to completion on this client's loop."""
        return self._loop.run_until_complete(work)

    def close(self) -> None:
        """Close httpx and the credential on the loop they live on, then the loop."""
        if self._loop.is_closed():
            return
        try:
            self._loop.run_until_complete(self._http.aclose())
            if self._credential is not None:
                self._loop.run_until_complete(self._credential.close())
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        finally:
            self._loop.close()

    def take_requests(self) -> int:
        """Requests made since the last call (what a page cost)."""
        count, self.requests = self.requests, 0
        return count

    # -- requests ----------------------------------------------------------------------------

    async def send(self, info: RequestInformation) -> bytes:
        """Send through the SDK's adapter; bounded concurrency; errors are ours."""
        if self._gate is None:
            self._gate = asyncio.Semaphore(self._max_concurrency)
        async with self._gate:
            try:
                content = await self.adapter.send_primitive_async(info, "bytes", None)
            except ConnectorError:
                raise
            except Exception as error:  # noqa: BLE001 - sign-in failures come from azure-identity
                raise _sign_in_error(error) from None
        return content or b""

    async def get(self, target: RequestInformation | str) -> dict[str, Any]:
        """GET a request built by the SDK (or an absolute URL such as a nextLink) as JSON."""
        info = target if isinstance(target, RequestInformation) else self.request("GET", target)
        content = await self.send(info)
        return json.loads(content) if content else {}

    async def pages(self, target: RequestInformation | str) -> AsyncIterator[list[dict]]:
        """Every page of a collection, following ``@odata.nextLink`` to the end."""
        page = await self.get(target)
        followed: set[str] = set()
        while True:
            yield list(page.get("value") or [])
            next_link = page.get("@odata.nextLink")
            if not next_link:
                return
            if next_link in followed:  # a server bug must not become an endless sync
                path = _path_of(next_link, self.base_url)
                raise RetriableError(f"GET {path}: the server returned the same page link twice")
            followed.add(next_link)
            page = await self.get(next_link)

    async def collect(self, target: RequestInformation | str) -> list[dict]:
        """A whole collection in one list (for the small ones: plans, buckets, channels)."""
        return [item async for page in self.pages(target) for item in page]

    def request(self, method: str, url: str, body: Any = None) -> RequestInformation:
        """A request for a URL relative to the API root or absolute (a nextLink)."""
        info = RequestInformation(Method[method])
        info.url = url if "://" in url else f"{self.base_url}/{url.lstrip('/')}"
        info.headers.try_add("Accept", "application/json")
        if body is not None:
            info.set_stream_content(json.dumps(body).encode(), "application/json")
        return info

    async def batch(self, urls: Mapping[str, str]) -> dict[str, BatchAnswer]:
        """GET many relative URLs through JSON ``$batch``, 20 per request, concurrently.

        Items Graph throttles (429 inside a successful batch) or fails transiently are sent
        again on their own after Retry-After, never the whole batch; other statuses are
        returned for the caller to judge (a 404 for one task is not the batch's failure).
        """
        answers: dict[str, BatchAnswer] = {}
        pending = dict(urls)
        rounds = 0
        while pending:
            ids = list(pending)
            chunks = [ids[i : i + BATCH_SIZE] for i in range(0, len(ids), BATCH_SIZE)]
            results = await gather(
                *(self._batch_once({i: pending[i] for i in chunk}) for chunk in chunks)
            )
            retry: dict[str, str] = {}
            wait = 0.0
            for answered, again, pause in results:
                answers.update(answered)
                retry.update({i: pending[i] for i in again})
                wait = max(wait, pause)
            if retry:
                rounds += 1
                if rounds > self.policy.max_throttled:
                    item = next(iter(retry.values()))
                    raise RetriableError(
                        f"GET {item} (in $batch): still throttled after {rounds} rounds"
                    )
                self.limiter.pause(min(wait, self.policy.retry_after_cap_s))
            pending = retry
        return answers

    async def _batch_once(
        self, urls: Mapping[str, str]
    ) -> tuple[dict[str, BatchAnswer], list[str], float]:
        body = {
            "requests": [
                {"id": key, "method": "GET", "url": "/" + url.lstrip("/")}
                for key, url in urls.items()
            ]
        }
        reply = json.loads(await self.send(self.request("POST", "$batch", body)) or b"{}")
        answered: dict[str, BatchAnswer] = {}
        again: list[str] = []
        pause = 0.0
        for item in reply.get("responses") or []:
            key, status = str(item.get("id")), int(item.get("status") or 0)
            if key not in urls:
                continue
            if status in _RETRIABLE:
                again.append(key)
                pause = max(pause, _retry_after(item.get("headers") or {}, 1.0))
            else:
                answered[key] = BatchAnswer(status, item.get("body"))
        missing = [key for key in urls if key not in answered and key not in again]
        return answered, again + missing, pause

    async def download(self, url: str) -> bytes:
        """A file's bytes: Graph answers ``/content`` with a redirect the pipeline follows."""
        info = self.request("GET", url)
        info.headers.remove("Accept")
        return await self.send(info)


def _sign_in_error(error: Exception) -> ConnectorError:
    """azure-identity's failure to get a token, as one line without any secret."""
    from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError

    first = (getattr(error, "message", None) or str(error)).strip().splitlines()
    reason = first[0] if first else type(error).__name__
    if isinstance(error, ClientAuthenticationError):
        return AuthenticationError(f"could not sign in to Microsoft Entra ID: {reason}")
    if isinstance(error, ServiceRequestError):  # the sign-in service itself is out of reach
        return UnreachableError(f"cannot reach Microsoft Entra ID to sign in: {reason}")
    raise error
