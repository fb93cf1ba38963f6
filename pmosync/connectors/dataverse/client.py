"""The Dataverse Web API over a plain synchronous ``httpx.Client``.

Why httpx and not an SDK: httpx is already a dependency (msgraph-sdk runs on it), it is
synchronous like the sync engine's streams (no event loop to own, as the Graph connector must),
it keeps a pool of keep-alive connections, and its timeouts are explicit. The preview Dataverse
SDK for Python offers neither change tracking (``Prefer: odata.track-changes``, delta links)
nor control of paging (``odata.maxpagesize``, ``@odata.nextLink``), which are the whole of
this connector.

Every attempt takes a slot from the credential's limiter (one per environment host and app,
shared by every connector signing in so: the service protection limits are the user's), is
counted (``take_requests``), and goes through the connectors' one retry policy: a 429 pauses
the limiter for its Retry-After (or an exponential backoff without one), 5xx answers and
dropped connections back off with jitter, any other 4xx becomes one of our errors at once
(``errors.classify``). Every wait, and a request in flight, ends when the run's ``stop`` is set.

Links the server hands out (``@odata.nextLink``, ``@odata.deltaLink``) are followed relative to
the configured Web API root: the token is never sent to another host, and a delta link kept in
a checkpoint still works when the environment's address changed (a sandbox on a new port).
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from pmosync.config.connectors import PlannerPremiumConnector
from pmosync.connectors.dataverse.auth import TokenSource
from pmosync.connectors.dataverse.errors import classify
from pmosync.connectors.errors import FatalError, RetriableError, UnreachableError
from pmosync.connectors.limiter import Limiter, shared_limiter
from pmosync.connectors.microsoft.auth import quota_owner
from pmosync.connectors.paging import PageGuard
from pmosync.connectors.retry import Attempts, RetryPolicy, parse_retry_after
from pmosync.connectors.scrub import Scrubber, config_secrets

log = logging.getLogger(__name__)

SERVICE = "Dataverse"
API_PATH = "/api/data/v9.2/"
TRACK_CHANGES = "odata.track-changes"


class DataverseClient:
    """GETs against one environment's Web API, limited, counted and retried."""

    def __init__(
        self,
        config: PlannerPremiumConnector,
        *,
        policy: RetryPolicy | None = None,
        seed: int | None = None,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.api = config.api_url.rstrip("/")
        self.host = urlsplit(self.api).netloc
        self.page_size = config.page_size
        self.scrub = Scrubber(config_secrets(config))
        """Masks the configured secrets (and any Authorization value) in Dataverse's words."""
        self.limiter: Limiter = shared_limiter(
            SERVICE, self.host, quota_owner(config), config.requests_per_minute or math.inf
        )
        self.rng = random.Random(seed)
        self.requests = 0
        self.tokens = TokenSource(config)
        connect, read = self.policy.timeout_s
        self._http = httpx.Client(
            timeout=httpx.Timeout(read, connect=connect),
            headers={
                "Accept": "application/json",
                "OData-MaxVersion": "4.0",
                "OData-Version": "4.0",
            },
        )

    def close(self) -> None:
        self._http.close()
        self.tokens.close()

    def take_requests(self) -> int:
        """Requests made since the last call (what a page cost)."""
        count, self.requests = self.requests, 0
        return count

    # -- addresses ---------------------------------------------------------------------------

    def relative(self, url: str) -> str:
        """``url`` (absolute, as the server gave it, or already relative) relative to the Web
        API root: what a checkpoint keeps of a delta link."""
        if "://" not in url:
            return url.lstrip("/")
        parts = urlsplit(url)
        at = parts.path.find(API_PATH)
        if at < 0:
            raise FatalError(f"Dataverse handed out a link outside its Web API: {parts.path}")
        tail = parts.path[at + len(API_PATH) :]
        return f"{tail}?{parts.query}" if parts.query else tail

    def where(self, url: str) -> str:
        """``GET /msdyn_projects``: the request as messages name it (no query: it may be long)."""
        return f"GET /{self.relative(url).split('?', 1)[0]}"

    # -- requests ----------------------------------------------------------------------------

    def get(self, url: str, *, prefer: Sequence[str] = ()) -> dict[str, Any]:
        """GET ``url`` (relative to the API root, or a link the server gave) as JSON."""
        target = f"{self.api}/{self.relative(url)}"
        where = self.where(url)
        headers = {"Prefer": ", ".join(prefer)} if prefer else {}
        attempts = Attempts(self.policy, SERVICE, self.rng)
        policy = self.policy
        renewed = False
        while True:
            self.limiter.acquire(policy)
            headers["Authorization"] = f"Bearer {self.tokens.token()}"
            self.requests += 1
            try:
                response = policy.call_until_stopped(
                    lambda: self._http.get(target, headers=headers)
                )
            except httpx.TransportError as error:
                wait = attempts.after_drop()
                if wait is None:
                    raise UnreachableError(
                        f"cannot reach Dataverse at {self.host} ({where}: "
                        f"{type(error).__name__})"
                    ) from None
            else:
                status = response.status_code
                if status < 400:
                    try:
                        return response.json() if response.content else {}
                    except ValueError:
                        raise FatalError(f"{where}: the answer is not JSON") from None
                retry_after = response.headers.get("Retry-After")
                wait = attempts.after_status(status, retry_after)
                if status == 401 and self.tokens.renewable and not renewed:
                    self.tokens.forget()  # revoked or expired early: one try with a new one
                    renewed = True
                    continue
                if wait is None:
                    failure = classify(status, response.content, where, self.scrub)
                    if isinstance(failure, RetriableError):
                        failure.retry_after = parse_retry_after(retry_after)
                    raise failure
            log.info("%s: %s, waiting %.1f s", where, wait.reason, wait.seconds)
            if wait.throttled:  # the quota is the user's: every request to it holds back
                self.limiter.pause(wait.seconds, wait.reason)
            else:
                policy.sleep(wait.seconds, wait.reason)

    def pages(self, url: str, *, prefer: Sequence[str] = ()) -> Iterator[dict[str, Any]]:
        """Every page (the whole answer: ``value``, and ``@odata.deltaLink`` on the last) of a
        collection, following ``@odata.nextLink`` under a ``PageGuard``."""
        guard = PageGuard(self.where(url), stop=self.policy.stop)
        guard.first(self.relative(url))
        page = self.get(url, prefer=prefer)
        while True:
            yield page
            link = page.get("@odata.nextLink")
            if not link:
                return
            guard.follow(self.relative(str(link)), "@odata.nextLink")
            page = self.get(str(link), prefer=prefer)

    def page_prefer(self, *, track: bool = False) -> list[str]:
        """The Prefer header of a listing: the page size, and change tracking when asked."""
        size = f"odata.maxpagesize={self.page_size}"
        return [TRACK_CHANGES, size] if track else [size]
