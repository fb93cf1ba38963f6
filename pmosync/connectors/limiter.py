"""A client-side request limiter per token, shared by every connector and thread that uses it.

Requests are spaced evenly (one slot every ``60 / (quota x HEADROOM)`` seconds) rather than let
through in bursts: evenly spaced requests cannot exceed the quota in any sliding minute, so a
sync runs just under the quota instead of living on 429s. ``HEADROOM`` keeps 10 % of the quota
free: requests leave the client evenly but reach the server with network and scheduling jitter,
and a server counting exactly 1,500 in its own sliding minute would see the odd 1,501st.

The quota belongs to the token, not to a connector: two connectors configured with the same
Asana token share ONE limiter (``shared_limiter``, keyed by a hash of the service, the host and
the token, so the token itself is never kept as a key). A 429's Retry-After pauses every user of
that limiter, not only the request that saw it.

Several processes (Temporal workers, or a daemon beside a manual sync) share a token's quota
only through a quota store: ``use_quota_store(url)`` makes ``shared_limiter`` hand out limiters
kept in Redis (``pmosync.connectors.quota_store``), with the same interface (:class:`Limiter`).
"""

from __future__ import annotations

import hashlib
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from pmosync.connectors.errors import FatalError, UnreachableError
from pmosync.connectors.retry import NOTICE_S, RetryPolicy

if TYPE_CHECKING:
    from pmosync.connectors.quota_store import QuotaStore

HEADROOM = 0.9
"""Share of the published quota the limiter lets through (documented in docs/asana.md)."""


class QuotaStoreUnavailable(UnreachableError):
    """The quota store (``sync.quota_store``) cannot be reached or refuses pmosync.

    The connector fails rather than fall back to a limiter of its own: alone it would spend
    the whole quota of a token other workers are spending too, and every process would live
    on 429s. Retriable: the next sync (or Temporal's next attempt) tries the store again."""


class Limiter(Protocol):
    """What a connector needs of a limiter, in one process (:class:`RateLimiter`) or shared by
    all through a quota store (``quota_store.SharedRateLimiter``)."""

    per_minute: float
    reason: str

    def set_rate(self, per_minute: float) -> None: ...

    def acquire(self, policy: RetryPolicy) -> None: ...

    async def acquire_async(self, policy: RetryPolicy) -> None: ...

    def pause(self, seconds: float, reason: str) -> None: ...


class RateLimiter:
    """Hands out request slots at most ``per_minute x HEADROOM`` a minute."""

    def __init__(
        self,
        per_minute: float,
        *,
        reason: str = "request quota",
        headroom: float = HEADROOM,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._headroom = headroom
        self._next_slot = 0.0
        self._interval = 0.0
        self._paused_until = 0.0
        self._pause_reason = ""
        self.reason = reason
        """What a wait for a slot is called when the quota is the cause ("Asana quota")."""
        self.per_minute = per_minute
        self.set_rate(per_minute)

    def set_rate(self, per_minute: float) -> None:
        """Change the quota (e.g. once a workspace turns out to be on a free plan)."""
        with self._lock:
            self.per_minute = per_minute
            self._interval = 60.0 / (per_minute * self._headroom)

    def reserve(self) -> tuple[float, str]:
        """Take the next slot: how long the caller must wait before using it, and why.

        Split from :meth:`acquire` so an asyncio caller can wait without blocking its loop."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self._interval
            reason = self._pause_reason if now < self._paused_until else self.reason
        return slot - now, reason

    def acquire(self, policy: RetryPolicy) -> None:
        """Block until this caller may send one request (a stop cuts the wait short)."""
        wait, reason = self.reserve()
        if wait > 0:
            policy.sleep(wait, reason, self._notice_s(reason))

    async def acquire_async(self, policy: RetryPolicy) -> None:
        """:meth:`acquire` for a coroutine."""
        wait, reason = self.reserve()
        if wait > 0:
            await policy.sleep_async(wait, reason, self._notice_s(reason))

    def _notice_s(self, reason: str) -> float:
        """Pacing at the quota is told only from ``NOTICE_S`` up; a 429's pause always."""
        return NOTICE_S if reason == self.reason else 0.0

    def pause(self, seconds: float, reason: str) -> None:
        """Hold every caller back for ``seconds`` (the server asked us to, via a 429)."""
        with self._lock:
            until = self._clock() + seconds
            self._next_slot = max(self._next_slot, until)
            if until >= self._paused_until:
                self._paused_until, self._pause_reason = until, reason


_SHARED: weakref.WeakValueDictionary[str, Limiter] = weakref.WeakValueDictionary()
_SHARED_LOCK = threading.Lock()
_STORE_URL: str | None = None
_STORE: QuotaStore | None = None
"""The process's ``quota_store.QuotaStore`` once a limiter needed it (made lazily, so a
process that never syncs never connects, and ``limits`` is imported only when used)."""


def use_quota_store(url: str | None) -> None:
    """Choose, for the whole process, where ``shared_limiter`` keeps token quotas: in the Redis
    at ``url`` (shared by every process using it), or in this process alone (None, the default).

    Called at the start of every sync run with ``sync.quota_store``, and by a Temporal worker;
    calling it again with the same URL changes nothing. A new choice applies to limiters made
    from then on. Nothing connects here: a store that cannot be reached fails each connector
    that needs it, when it opens, with ``QuotaStoreUnavailable``."""
    global _SHARED, _STORE_URL, _STORE
    with _SHARED_LOCK:
        if url == _STORE_URL:
            return
        _STORE_URL, _STORE = url, None
        _SHARED = weakref.WeakValueDictionary()


def open_quota_store(url: str) -> QuotaStore:
    """The quota store at ``url``, answering a ping (``pmosync check`` probes it so too):
    ``QuotaStoreUnavailable`` when Redis does not answer, ``FatalError`` without the packages."""
    try:
        from pmosync.connectors.quota_store import QuotaStore
    except ImportError as error:
        raise FatalError(
            f"sync.quota_store needs the limits and redis packages ({error.name} is missing): "
            "pip install 'pmosync[temporal]'"
        ) from None
    store = QuotaStore(url)
    store.check()
    return store


def _new_limiter(key: str, per_minute: float, reason: str) -> Limiter:
    """A limiter of the chosen kind (called with ``_SHARED_LOCK`` held)."""
    global _STORE
    if _STORE_URL is None:
        return RateLimiter(per_minute, reason=reason)
    if _STORE is None:
        _STORE = open_quota_store(_STORE_URL)
    else:
        _STORE.check()
    from pmosync.connectors.quota_store import SharedRateLimiter

    return SharedRateLimiter(_STORE, key, per_minute, reason=reason)


def shared_limiter(service: str, host: str, credential: str, per_minute: float) -> Limiter:
    """The one limiter of this credential on this host, made on first use.

    Every connector of the process that signs in to ``host`` with the same ``credential`` gets
    the same limiter, so together they stay under the token's quota. When they were configured
    with different quotas the lowest holds. The registry keeps a SHA-256 of the three, never
    the credential, and forgets a limiter once no connector uses it. With a quota store
    (:func:`use_quota_store`) the limiter counts in Redis under that same SHA-256, so every
    process shares the budget; a store that cannot be reached raises ``QuotaStoreUnavailable``."""
    key = hashlib.sha256(f"{service}\n{host}\n{credential}".encode()).hexdigest()
    with _SHARED_LOCK:
        limiter = _SHARED.get(key)
        if limiter is None:
            limiter = _new_limiter(key, per_minute, f"{service} quota")
            _SHARED[key] = limiter
        elif per_minute < limiter.per_minute:
            limiter.set_rate(per_minute)
        return limiter
