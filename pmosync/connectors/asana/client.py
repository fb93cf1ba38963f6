"""The official ``asana`` SDK, wrapped with this connector's one retry policy.

The SDK's own urllib3 retries are switched off: they would retry behind the limiter's back, go
uncounted in the run ledger, and give up on a 429 storm after five tries. Instead every attempt
passes through ``_GovernedApiClient.request``: it takes a slot from the token's limiter
(shared with every other connector using the same token), counts the request, and lets the
connectors' one retry policy (``pmosync.connectors.retry``) decide what is tried again and how
long to wait; whatever is not retried becomes a one-line ``ConnectorError`` built from Asana's
``errors`` body, never from headers, and scrubbed of the token and of any Authorization value
in case the server echoed the request into its answer. Writes that must not be made twice
(a POST creating a status update or a comment) are sent inside ``AsanaClient.sent_once()``:
after a 5xx or a lost connection they fail at once instead of being sent again.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from urllib.parse import urlsplit

import asana
import urllib3
from asana.rest import ApiException

from pmosync.connectors.errors import (
    AuthenticationError,
    ConnectorError,
    FatalError,
    InvalidRequest,
    NotFound,
    PaymentRequired,
    PermissionDenied,
    RetriableError,
    UnreachableError,
)
from pmosync.connectors.limiter import RateLimiter, shared_limiter
from pmosync.connectors.paging import MAX_EVENT_PAGES, PageGuard
from pmosync.connectors.retry import Attempts, RetryPolicy, parse_retry_after
from pmosync.connectors.scrub import Scrubber

log = logging.getLogger(__name__)

PAGE_SIZE = 100
"""Asana's maximum ``limit``: the fewest requests for any listing."""


def _error_message(error: ApiException) -> str:
    """Asana's own words from an ``{"errors": [{"message": ...}]}`` body, else the reason."""
    try:
        body = json.loads(error.body or b"{}")
        messages = [item.get("message", "") for item in body.get("errors", [])]
        text = "; ".join(message for message in messages if message)
    except (ValueError, AttributeError, TypeError):
        text = ""
    return text or (error.reason or "no reason given")


def _retry_after(error: ApiException) -> str | None:
    headers = error.headers or {}
    return headers.get("Retry-After") or headers.get("retry-after")


_FATAL_BY_STATUS: dict[int, type[FatalError]] = {
    400: InvalidRequest,
    401: AuthenticationError,
    402: PaymentRequired,
    403: PermissionDenied,
    404: NotFound,
}


def classify(
    error: ApiException, method: str, path: str, scrub: Scrubber | None = None
) -> ConnectorError:
    """Turn an SDK exception into one of our errors with a one-line message, the server's
    words scrubbed of secrets (``scrub``) and of any Authorization value."""
    status = int(error.status or 0)
    where = f"{method} {path}"
    message = (scrub or Scrubber())(_error_message(error))
    if status == 401:
        return AuthenticationError(
            f"the Asana token was refused ({where}: 401 {message}); check it is valid and "
            "not revoked",
            status,
        )
    if status == 412 and (token := _sync_token(error)):
        return InvalidSyncToken(f"{where}: 412 {message}", token)
    if status == 402:
        return PaymentRequired(
            f"{where}: 402 {message} (a paid Asana plan is needed for this)", status
        )
    kind = _FATAL_BY_STATUS.get(status)
    if kind is not None:
        return kind(f"{where}: {status} {message}", status)
    if status == 429 or status >= 500:
        return RetriableError(f"{where}: {status} {message} (gave up after retries)")
    return FatalError(f"{where}: {status} {message}", status)


class InvalidSyncToken(FatalError):
    """412 from ``/events``: the sync token is missing or too old; the body has a fresh one."""

    def __init__(self, message: str, token: str) -> None:
        super().__init__(message, 412)
        self.token = token


def _sync_token(error: ApiException) -> str | None:
    try:
        token = json.loads(error.body or b"{}").get("sync")
    except (ValueError, AttributeError):
        return None
    return token if isinstance(token, str) and token else None


class RequestCounter:
    """Every HTTP attempt (retries and failures included) since the count was last taken.

    One count for all threads: workers reading projects side by side charge their requests to
    whichever page is written next, and what no page took (a stream that failed or was skipped
    part-way) is taken by the engine when the stream ends, so the ledger misses no attempt."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._untaken = 0
        self.total = 0

    def add(self) -> None:
        with self._lock:
            self._untaken += 1
            self.total += 1

    def take(self) -> int:
        with self._lock:
            count, self._untaken = self._untaken, 0
        return count


class _GovernedApiClient(asana.ApiClient):
    """``asana.ApiClient`` whose every HTTP attempt is limited, counted and retried here."""

    def __init__(
        self,
        configuration: asana.Configuration,
        *,
        limiter: RateLimiter,
        counter: RequestCounter,
        policy: RetryPolicy,
        on_payment_required: Callable[[], None] | None,
        scrub: Scrubber,
    ) -> None:
        super().__init__(configuration)
        self._limiter = limiter
        self._counter = counter
        self._policy = policy
        self._on_payment_required = on_payment_required
        self._scrub = scrub
        self._rng = random.Random()
        self._once = threading.local()

    @contextmanager
    def sent_once(self) -> Iterator[None]:
        """Requests made inside (on this thread) are never sent a second time after an answer
        of 5xx or a dropped connection: the server may have acted on them (a POST that made a
        status update or a comment), so re-sending could make it twice. They fail at once with
        a ``RetriableError`` saying the outcome is unknown; a 429 is still waited out and
        retried, since Asana answers it before it acts on the request."""
        before = getattr(self._once, "on", False)
        self._once.on = True
        try:
            yield
        finally:
            self._once.on = before

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        policy = self._policy
        if kwargs.get("_request_timeout") is None:
            kwargs["_request_timeout"] = policy.timeout_s
        path = urlsplit(url).path
        attempts = Attempts(policy, "Asana", self._rng)
        send = super().request
        while True:
            self._limiter.acquire(policy)
            self._counter.add()
            try:
                return policy.call_until_stopped(lambda: send(method, url, *args, **kwargs))
            except ApiException as error:
                status = int(error.status or 0)
                if status >= 500 and getattr(self._once, "on", False):
                    message = self._scrub(_error_message(error))
                    raise RetriableError(
                        f"{method} {path}: {status} {message}; not sent again, as Asana may "
                        "have acted on it (the next run looks for it before sending it again)"
                    ) from None
                wait = attempts.after_status(status, _retry_after(error))
                if wait is None:
                    failure = classify(error, method, path, self._scrub)
                    if isinstance(failure, RetriableError):
                        failure.retry_after = parse_retry_after(_retry_after(error))
                    if isinstance(failure, PaymentRequired) and self._on_payment_required:
                        self._on_payment_required()
                    raise failure from None
            except urllib3.exceptions.HTTPError as error:
                if getattr(self._once, "on", False):
                    raise UnreachableError(
                        f"{method} {path}: the connection was lost ({type(error).__name__}) "
                        "before Asana answered; not sent again, as Asana may have acted on it "
                        "(the next run looks for it before sending it again)"
                    ) from None
                wait = attempts.after_drop()
                if wait is None:
                    host = urlsplit(url).netloc
                    raise UnreachableError(
                        f"{method} {path}: cannot reach {host} ({type(error).__name__}) "
                        f"after {attempts.tries} tries"
                    ) from None
            log.info("%s %s: %s, waiting %.1f s", method, path, wait.reason, wait.seconds)
            if wait.throttled:  # the quota is the token's: every request to it holds back
                self._limiter.pause(wait.seconds, wait.reason)
            else:
                policy.sleep(wait.seconds, wait.reason)


class AsanaClient:
    """The SDK's API objects over one governed HTTP client, plus page-wise listing."""

    def __init__(
        self,
        *,
        token: str,
        base_url: str,
        requests_per_minute: int,
        max_concurrency: int,
        policy: RetryPolicy | None = None,
        on_payment_required: Callable[[], None] | None = None,
    ) -> None:
        """``on_payment_required`` hears of every 402: the workspace is on a free plan.
        ``policy`` says how long to retry and wait, and its ``stop`` cuts every wait short and
        ends every listing before its next page."""
        self.policy = policy or RetryPolicy()
        configuration = asana.Configuration()
        configuration.host = base_url.rstrip("/")
        configuration.access_token = token
        configuration.retry_strategy = False
        configuration.connection_pool_maxsize = max_concurrency + 2
        self.limiter: RateLimiter = shared_limiter(
            "Asana", urlsplit(configuration.host).netloc, token, requests_per_minute
        )
        self.counter = RequestCounter()
        self.api_client = _GovernedApiClient(
            configuration,
            limiter=self.limiter,
            counter=self.counter,
            policy=self.policy,
            on_payment_required=on_payment_required,
            scrub=Scrubber([token]),
        )
        self.users = asana.UsersApi(self.api_client)
        self.workspaces = asana.WorkspacesApi(self.api_client)
        self.portfolios = asana.PortfoliosApi(self.api_client)
        self.projects = asana.ProjectsApi(self.api_client)
        self.sections = asana.SectionsApi(self.api_client)
        self.tasks = asana.TasksApi(self.api_client)
        self.events = asana.EventsApi(self.api_client)
        self.time_entries = asana.TimeTrackingEntriesApi(self.api_client)
        self.status_updates = asana.StatusUpdatesApi(self.api_client)
        self.allocations = asana.AllocationsApi(self.api_client)
        self.budgets = asana.BudgetsApi(self.api_client)
        self.stories = asana.StoriesApi(self.api_client)
        self.batch = asana.BatchAPIApi(self.api_client)

    def sent_once(self) -> AbstractContextManager[None]:
        """Requests made inside are not re-sent after a 5xx or a dropped connection (see
        ``_GovernedApiClient.sent_once``): for writes that are not idempotent."""
        return self.api_client.sent_once()

    def close(self) -> None:
        """Release the connections and the SDK's thread pool. The SDK makes a ThreadPool in every
        ApiClient (for async calls pmosync never makes) and closes it in ``__del__``; left to
        that, a client still referenced when the interpreter exits prints a traceback from a
        pipe already closed. Closing it here, and dropping it, leaves ``__del__`` nothing to do."""
        self.api_client.rest_client.pool_manager.clear()
        pool = self.api_client.__dict__.pop("pool", None)
        if pool is not None:
            pool.close()
            pool.join()

    def get(self, call: Callable[..., Any], *args: Any) -> Any:
        """One unpaginated call; returns the ``data`` member."""
        return call(*args, full_payload=True)["data"]

    def pages(
        self, call: Callable[..., Any], *args: Any, opts: Mapping[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        """Every page of a listing, ``limit`` 100, following ``next_page`` offsets.

        An offset that expired (Asana's answer is a 400 naming ``offset``) restarts the listing
        from its first page: the records already yielded are simply upserted again. An offset
        that comes back a second time, or a listing past ``MAX_PAGES_PER_LISTING``, ends it
        with ``PagingError``; a stop request ends it before the next request.
        """
        query = {**opts, "limit": PAGE_SIZE}
        guard = PageGuard(_listing(call, args, opts), stop=self.policy.stop)
        guard.first()
        offset: str | None = None
        restarts = 0
        while True:
            try:
                payload = call(*args, {**query, **({"offset": offset} if offset else {})},
                               full_payload=True)  # fmt: skip
            except InvalidRequest as error:
                if offset and "offset" in str(error).lower() and restarts < 3:
                    log.info("%s; reading the listing again from its start", error)
                    offset, restarts = None, restarts + 1
                    guard.check_stop()
                    continue
                raise
            yield payload.get("data") or []
            next_page = payload.get("next_page")
            if not next_page or not next_page.get("offset"):
                return
            offset = str(next_page["offset"])
            guard.follow(offset, "next_page offset")

    def events_since(
        self, resource: str, sync: str | None, on_page: Callable[[list[dict[str, Any]]], None]
    ) -> tuple[str, bool]:
        """Hand each page of events on ``resource`` since ``sync`` to ``on_page``, in order;
        returns (next token, token_was_valid).

        Events are not kept here (a feed that never ends must not grow memory): the caller
        folds each page into what it needs. Asana answers a missing or expired token with 412
        and a fresh token in the body; the caller must then read the resource in full, since
        what changed meanwhile is unknown. A feed whose ``has_more`` stays true past
        ``MAX_EVENT_PAGES``, or that hands out a token twice, ends with ``PagingError``.
        """
        guard = PageGuard(
            f"GET /events of {resource}",
            max_pages=MAX_EVENT_PAGES,
            stop=self.policy.stop,
            remedy="; `pmosync sync --full` reads the project afresh",
        )
        guard.first()
        token = sync
        while True:
            try:
                payload = self.events.get_events(
                    resource, {"sync": token} if token else {}, full_payload=True
                )
            except InvalidSyncToken as error:
                return error.token, False
            on_page(payload.get("data") or [])
            token = payload.get("sync") or token
            if not payload.get("has_more"):
                return token or "", True
            guard.follow(token or "", "sync token")


def _listing(call: Callable[..., Any], args: tuple[Any, ...], opts: Mapping[str, Any]) -> str:
    """How messages name a listing: the SDK call and the parent it reads (no secret in it)."""
    parents = [str(a) for a in args] + [
        f"{k}={opts[k]}" for k in ("project", "workspace", "portfolio", "parent") if k in opts
    ]
    return f"listing {getattr(call, '__name__', 'call')}({', '.join(parents)})"
