"""msgraph-sdk on one event loop, with this connector's one retry policy.

msgraph-sdk is async (httpx). The sync engine is not, so each connector owns exactly one event
loop for its whole run and drives every coroutine on it; the httpx client and the credential
are closed on that same loop before it closes, which is what keeps "Event loop is closed" out of
the logs. Requests go out through the SDK's request adapter (auth, URL templates, redirects)
but kiota's own RetryHandler is left out of the pipeline: it would retry behind the limiter's
back, go uncounted, and give up on a 429 storm after three tries. ``_Governor`` replaces it:
every attempt takes a slot from the app's limiter (shared by every connector signing in as the
same app) and is counted, and the connectors' one retry policy (``pmosync.connectors.retry``)
decides what is tried again: a 429 waits for Retry-After, or backs off exponentially without
one (pausing every concurrent request, the quota being per app), 5xx and dropped connections
back off with jitter, and any other 4xx becomes one of our one-line errors built from Graph's
error body, scrubbed of the configured secrets and of any Authorization value or token.

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
    odata_error,
)
from pmosync.connectors.limiter import RateLimiter, shared_limiter
from pmosync.connectors.microsoft.auth import (
    auth_provider,
    open_credential,
    quota_owner,
    sign_in_error,
)
from pmosync.connectors.microsoft.permissions import permission_for
from pmosync.connectors.paging import PageGuard
from pmosync.connectors.retry import RETRIABLE, Attempts, RetryPolicy, parse_retry_after
from pmosync.connectors.scrub import Scrubber

log = logging.getLogger(__name__)

BATCH_SIZE = 20
"""Graph's JSON batching limit."""
SERVICE = "Microsoft Graph"
T = TypeVar("T")


def _path_of(url: str, base_url: str) -> str:
    """The request path relative to the API root, without the query: safe to print."""
    path = urlsplit(url).path
    base = urlsplit(base_url).path.rstrip("/")
    return path[len(base) :] if base and path.startswith(base) else path


def _graph_message(body: bytes | str | Mapping[str, Any] | None) -> str:
    """Graph's own words from an ``{"error": {"code", "message"}}`` body."""
    code, message = odata_error(body)
    return f"{code}: {message}" if code and message else code or message


def classify(
    status: int, body: Any, method: str, path: str, scrub: Scrubber | None = None
) -> ConnectorError:
    """One of our errors, one line, from a failed Graph answer (never from headers); Graph's
    words are scrubbed (``scrub``: the configured secrets; always any Authorization value)."""
    where = f"{method} {path}"
    message = (scrub or Scrubber())(_graph_message(body) or f"HTTP {status}")
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
    if status in RETRIABLE:
        return RetriableError(f"{where}: {status} {message} (gave up after retries)")
    return FatalError(f"{where}: {status} {message}", status)


def _retry_after(headers: Mapping[str, str]) -> str | None:
    return headers.get("Retry-After") or headers.get("retry-after")


def _severity(failure: tuple[int, str | None]) -> tuple[bool, float]:
    """Orders a batch round's failures: a 429 first, then the longest Retry-After."""
    status, after = failure
    return status == 429, parse_retry_after(after) or 0.0


class _Governor(BaseMiddleware):
    """First in the pipeline: limit, count, retry, and turn failures into our errors."""

    def __init__(self, client: GraphClient) -> None:
        super().__init__()
        self._client = client

    async def send(self, request: httpx.Request, transport: httpx.AsyncBaseTransport):
        client, policy = self._client, self._client.policy
        path = _path_of(str(request.url), client.base_url)
        attempts = Attempts(policy, SERVICE, client.rng)
        while True:
            await client.limiter.acquire_async(policy)
            client.requests += 1
            try:
                response = await policy.until_stopped(super().send(request, transport))
            except httpx.TransportError as error:
                wait = attempts.after_drop()
                if wait is None:
                    raise UnreachableError(
                        f"cannot reach Microsoft Graph at {client.host} ({request.method} "
                        f"{path}: {type(error).__name__})"
                    ) from None
            else:
                status = response.status_code
                if status < 400:
                    return response
                body = await response.aread()
                wait = attempts.after_status(status, _retry_after(response.headers))
                if wait is None:
                    failure = classify(status, body, request.method, path, client.scrub)
                    if isinstance(failure, RetriableError):
                        failure.retry_after = parse_retry_after(_retry_after(response.headers))
                    raise failure
            log.info("%s %s: %s, waiting %.1f s", request.method, path, wait.reason, wait.seconds)
            if wait.throttled:  # the quota is the app's: every request to Graph holds back
                client.limiter.pause(wait.seconds, wait.reason)
            else:
                await policy.sleep_async(wait.seconds, wait.reason)


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
        """Retries and waits; its ``stop`` ends every wait and every listing of the run."""
        self.base_url = config.base_url.rstrip("/")
        self.host = urlsplit(self.base_url).netloc
        secrets = [s.get_secret_value() for s in (config.token, config.client_secret) if s]
        self.scrub = Scrubber(secrets)
        """Masks the configured secrets (and any Authorization value) in Graph's words."""
        self.limiter: RateLimiter = shared_limiter(
            SERVICE, self.host, quota_owner(config), config.requests_per_minute or math.inf
        )
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
                raise sign_in_error(error) from None
        return content or b""

    async def get(self, target: RequestInformation | str) -> dict[str, Any]:
        """GET a request built by the SDK (or an absolute URL such as a nextLink) as JSON."""
        info = target if isinstance(target, RequestInformation) else self.request("GET", target)
        content = await self.send(info)
        return json.loads(content) if content else {}

    def guard(self, target: RequestInformation | str) -> PageGuard:
        """The guard of one listing's ``@odata.nextLink`` chain (see ``PageGuard``), its first
        request already made: a link that repeats (to any page, the first included) or a
        listing past its cap fails it, a stop request ends it."""
        url = target if isinstance(target, str) else str(target.url)
        url = url if "://" in url else f"{self.base_url}/{url.lstrip('/')}"
        guard = PageGuard(f"GET {_path_of(url, self.base_url)}", stop=self.policy.stop)
        guard.first(url)
        return guard

    async def pages(self, target: RequestInformation | str) -> AsyncIterator[list[dict]]:
        """Every page of a collection, following ``@odata.nextLink`` to the end."""
        guard = self.guard(target)
        page = await self.get(target)
        while True:
            yield list(page.get("value") or [])
            next_link = page.get("@odata.nextLink")
            if not next_link:
                return
            guard.follow(str(next_link), "@odata.nextLink")
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
        again on their own, never the whole batch, after the wait the retry policy gives the
        round's worst answer (a 429 before a 5xx, the longest Retry-After); other statuses are
        returned for the caller to judge (a 404 for one task is not the batch's failure).
        """
        answers: dict[str, BatchAnswer] = {}
        pending = dict(urls)
        attempts = Attempts(self.policy, f"{SERVICE} ($batch item)", self.rng)
        while pending:
            ids = list(pending)
            chunks = [ids[i : i + BATCH_SIZE] for i in range(0, len(ids), BATCH_SIZE)]
            results = await gather(
                *(self._batch_once({i: pending[i] for i in chunk}) for chunk in chunks)
            )
            retry: dict[str, str] = {}
            worst: list[tuple[int, str | None]] = []
            for answered, again, failures in results:
                answers.update(answered)
                retry.update({i: pending[i] for i in again})
                worst += failures
            if retry:
                status, after = max(worst, key=_severity) if worst else (503, None)
                wait = attempts.after_status(status, after)
                if wait is None:
                    item = next(iter(retry.values()))
                    raise RetriableError(
                        f"GET {item} (in $batch): still failing after {attempts.tries} tries "
                        f"(last answer {status})"
                    )
                if wait.throttled:
                    self.limiter.pause(wait.seconds, wait.reason)
                else:
                    await self.policy.sleep_async(wait.seconds, wait.reason)
            pending = retry
        return answers

    async def _batch_once(
        self, urls: Mapping[str, str]
    ) -> tuple[dict[str, BatchAnswer], list[str], list[tuple[int, str | None]]]:
        """Items answered, items to send again, and (status, Retry-After) of each failure."""
        body = {
            "requests": [
                {"id": key, "method": "GET", "url": "/" + url.lstrip("/")}
                for key, url in urls.items()
            ]
        }
        reply = json.loads(await self.send(self.request("POST", "$batch", body)) or b"{}")
        answered: dict[str, BatchAnswer] = {}
        again: list[str] = []
        failures: list[tuple[int, str | None]] = []
        for item in reply.get("responses") or []:
            key, status = str(item.get("id")), int(item.get("status") or 0)
            if key not in urls:
                continue
            if status in RETRIABLE:
                again.append(key)
                failures.append((status, _retry_after(item.get("headers") or {})))
            else:
                answered[key] = BatchAnswer(status, item.get("body"))
        missing = [key for key in urls if key not in answered and key not in again]
        return answered, again + missing, failures

    async def download(self, url: str) -> bytes:
        """A file's bytes: Graph answers ``/content`` with a redirect the pipeline follows."""
        info = self.request("GET", url)
        info.headers.remove("Accept")
        return await self.send(info)
