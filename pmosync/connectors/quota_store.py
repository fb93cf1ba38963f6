"""Request quotas shared by every process that signs in with one token, kept in Redis.

``RateLimiter`` keeps one process under a token's quota; several workers syncing connectors
that share the token would each spend the whole quota. With ``sync.quota_store`` set, every
process counts its requests in one Redis list per token instead, through the ``limits``
library's moving window (``MovingWindowRateLimiter`` over ``RedisStorage``): a Lua script
checks and records each request atomically, so no two processes ever take the same last slot.

The budget is ``per_minute x HEADROOM`` a minute, handed out in windows of a few seconds
(:func:`budget`): never more than that in any sliding minute, and never a whole minute's
requests in one burst, which would arrive at a server counting over a shorter window (as Graph
and the sandboxes do) as a storm. A 429's Retry-After is kept in Redis too (:meth:`pause`),
so it holds back every process using the token, not only the one that saw it.

Entries carry the client's clock (``limits`` stamps them with ``time.time()``): the hosts of
one token's workers need synchronised clocks (NTP), as any distributed limiter does. The
pause is timed by Redis's own clock (``TIME`` and ``PEXPIRE``), so it holds whatever the
hosts' clocks say.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import redis
from limits import RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from pmosync.connectors.limiter import HEADROOM, QuotaStoreUnavailable
from pmosync.connectors.retry import NOTICE_S, RetryPolicy

KEY_PREFIX = "pmosync:quota"
"""Every key pmosync writes in the quota store starts with this (then a SHA-256 of the
service, the host and the token; never the token)."""
WINDOWS_S = (1, 2, 3, 6, 12, 30, 60)
"""Window lengths the budget may be counted over. Each divides a minute, and those up to 6 s
divide 6 s: from about 230 requests a minute up (a window of at most 6 s), no sliding 6 s
holds more than a tenth of the minute's budget either."""
MIN_PER_WINDOW = 20
"""The shortest window holding at least this many requests is chosen: short windows spread a
minute's requests out, while rounding each window's share down costs at most 5 % of it."""
REDIS_TIMEOUT_S = 5.0
"""Connect and read timeout of every Redis call: a quota store that hangs fails the connector
in seconds rather than holding its sync."""
SETTLE_S = 0.01
"""Added to a wait for the window's oldest entry to leave it: the entry leaves only once it is
strictly older than the window."""

_PAUSE = """
local ms = tonumber(ARGV[1])
if ms <= redis.call('pttl', KEYS[1]) then
  return 0
end
local now = redis.call('time')
local until_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + ms
redis.call('hset', KEYS[1], 'until_ms', until_ms, 'reason', ARGV[2])
redis.call('pexpire', KEYS[1], ms)
return 1
"""
"""Raise a token's pause to ``ARGV[1]`` ms from now, never lower it (a later, shorter
Retry-After must not cut a longer one short); Redis expires the key when the pause ends."""


def budget(per_minute: float, headroom: float = HEADROOM) -> tuple[int, int] | None:
    """(requests, seconds): the most requests let through in any sliding window of that many
    seconds; None when there is no quota (``per_minute`` infinite).

    ``requests x 60 / seconds`` never exceeds ``per_minute x headroom``: any sliding minute is
    covered by ``60 / seconds`` consecutive windows, so the minute's quota holds too."""
    if math.isinf(per_minute):
        return None
    per_60s = per_minute * headroom
    for seconds in WINDOWS_S:
        if math.floor(per_60s * seconds / 60) >= MIN_PER_WINDOW:
            return math.floor(per_60s * seconds / 60), seconds
    return max(1, math.floor(per_60s)), 60


def describe(url: str) -> str:
    """Where the store is ("redis://host:port"), without its password or database number."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}"
    return f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}"


class QuotaStore:
    """One Redis connection pool per URL and process, shared by all its token limiters."""

    def __init__(self, url: str) -> None:
        self.where = describe(url)
        self._password = urlsplit(url).password or ""
        options: dict[str, float | str | bool] = {
            "socket_connect_timeout": REDIS_TIMEOUT_S,
            "socket_timeout": REDIS_TIMEOUT_S,
        }
        with self.guard():
            self._storage = RedisStorage(
                url, key_prefix=KEY_PREFIX, wrap_exceptions=True, **options
            )
            self._redis: redis.Redis = self._storage.storage
            self._pause = self._redis.register_script(_PAUSE)
        self.strategy = MovingWindowRateLimiter(self._storage)

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Turn any Redis failure into one line naming the store (never its password)."""
        try:
            yield
        except (redis.RedisError, StorageError, OSError, ValueError) as error:
            cause = error.storage_error if isinstance(error, StorageError) else error
            detail = str(cause).replace(self._password, "***") if self._password else str(cause)
            raise QuotaStoreUnavailable(
                f"cannot use the quota store {self.where} ({type(cause).__name__}: {detail})"
            ) from None

    def check(self) -> None:
        """Ping: a store that cannot be reached fails the connector before its first request."""
        with self.guard():
            self._redis.ping()

    def paused(self, key: str) -> tuple[float, str] | None:
        """(seconds left, reason) of the token's pause, None when it is not paused."""
        with self.guard():
            pipe = self._redis.pipeline(transaction=True)
            pipe.pttl(f"{KEY_PREFIX}:pause/{key}")
            pipe.hget(f"{KEY_PREFIX}:pause/{key}", "reason")
            left_ms, reason = pipe.execute()
        if left_ms is None or left_ms <= 0 or reason is None:
            return None
        return left_ms / 1000, reason.decode() if isinstance(reason, bytes) else str(reason)

    def pause(self, key: str, seconds: float, reason: str) -> None:
        with self.guard():
            self._pause(
                keys=[f"{KEY_PREFIX}:pause/{key}"], args=[math.ceil(seconds * 1000), reason]
            )


class SharedRateLimiter:
    """``RateLimiter``'s interface over a quota store: one token's budget for every process.

    ``key`` is ``shared_limiter``'s SHA-256 of the service, host and token."""

    def __init__(
        self,
        store: QuotaStore,
        key: str,
        per_minute: float,
        *,
        reason: str = "request quota",
        headroom: float = HEADROOM,
    ) -> None:
        self._store = store
        self.key = key
        self._headroom = headroom
        self._lock = threading.Lock()
        self._item: RateLimitItemPerSecond | None = None
        self.reason = reason
        """What a wait for a slot is called when the quota is the cause ("Asana quota")."""
        self.per_minute = per_minute
        self.set_rate(per_minute)

    def set_rate(self, per_minute: float) -> None:
        """Change the quota (e.g. once a workspace turns out to be on a free plan).

        The window's Redis key names its size, so processes holding different rates for one
        token count apart: give every connector of a token the same ``requests_per_minute``."""
        window = budget(per_minute, self._headroom)
        item = None if window is None else RateLimitItemPerSecond(*window, namespace="window")
        with self._lock:
            self.per_minute, self._item = per_minute, item

    def _try(self) -> tuple[float, str] | None:
        """Take a slot (None), or say how long to wait before trying again and why.

        A pause comes first and is waited out whole; a full window is waited out until its
        oldest request leaves it (``get_window_stats``'s reset)."""
        paused = self._store.paused(self.key)
        if paused is not None:
            return paused
        item = self._item
        if item is None:
            return None
        with self._store.guard():
            if self._store.strategy.hit(item, self.key):
                return None
            reset, remaining = self._store.strategy.get_window_stats(item, self.key)
        if remaining > 0:  # a slot freed since the hit: try again at once
            return 0.0, self.reason
        return max(0.0, reset - time.time()) + SETTLE_S, self.reason

    def acquire(self, policy: RetryPolicy) -> None:
        """Block until this caller may send one request (a stop cuts the wait short)."""
        while (wait := self._try()) is not None:
            seconds, reason = wait
            policy.sleep(seconds, reason, self._notice_s(reason))

    async def acquire_async(self, policy: RetryPolicy) -> None:
        """:meth:`acquire` for a coroutine: the Redis calls run on a thread, off the loop."""
        while (wait := await asyncio.to_thread(self._try)) is not None:
            seconds, reason = wait
            await policy.sleep_async(seconds, reason, self._notice_s(reason))

    def _notice_s(self, reason: str) -> float:
        """Pacing at the quota is told only from ``NOTICE_S`` up; a 429's pause always."""
        return NOTICE_S if reason == self.reason else 0.0

    def pause(self, seconds: float, reason: str) -> None:
        """Hold every caller of every process back for ``seconds`` (a 429's Retry-After)."""
        self._store.pause(self.key, seconds, reason)
