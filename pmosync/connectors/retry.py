"""The one retry policy of every connector: what is tried again, how long each wait is, and
how any wait is cut short.

Asana's urllib3 client, Graph's httpx pipeline (and its upload sessions) and the Teams webhook
all run their attempts through :class:`Attempts`, which decides once for everyone:

- 429 waits as long as Retry-After says (seconds or an HTTP-date), capped; a 429 without
  Retry-After backs off exponentially with jitter (1-2 s, 2-4 s, 4-8 s ... as Graph's
  throttling guidance asks), never a flat second that would hammer a throttled service;
- 500/502/503/504 and dropped connections back off exponentially with full jitter (so parallel
  workers spread apart), or wait for the server's Retry-After when it sends one;
- any other 4xx is never retried: the caller turns it into a one-line fatal error at once;
- a request gives up after ``max_throttled`` 429s or ``max_failures`` failures, or once its
  waits add up to ``max_total_wait_s``, whichever comes first.

Every wait, here and in the request limiter, goes through :meth:`RetryPolicy.sleep` (or
:meth:`RetryPolicy.sleep_async`): it is cut short by the run's ``stop`` flag, raising
``StopRequested``, so SIGTERM or Ctrl-C ends a sync within a fraction of a second even while
an API is down; and it tells ``on_wait(seconds, reason)`` first, so a progress display can say
"waiting 58 s: Asana quota". The sync run sets both with :meth:`RetryPolicy.for_run`. A request
in flight is abandoned at a stop too (:meth:`RetryPolicy.call_until_stopped`,
:meth:`RetryPolicy.until_stopped`), so a server that hangs cannot hold a stop either.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from pmosync.connectors.paging import StopRequested, StopSignal

T = TypeVar("T")
log = logging.getLogger(__name__)

OnWait = Callable[[float, str], None]
"""``on_wait(seconds, reason)``: called before every retry wait (a 429, a 5xx, a dropped
connection) and before every wait for a quota slot of ``NOTICE_S`` or longer.

``reason`` is short and says who is waiting on whom: "Asana quota", "HTTP 429 from Microsoft
Graph", "HTTP 503 from Asana", "cannot connect to Asana". Called from connector threads (and
Graph's event loop): it must be quick and thread-safe; what it raises is logged and ignored."""

NOTICE_S = 1.0
"""Shorter waits for a quota slot are the limiter's ordinary pacing: not worth a mention."""
POLL_S = 0.1
"""How often a wait looks at the stop flag: a stop is honoured within this much."""
RETRIABLE = frozenset({429, 500, 502, 503, 504})
"""Statuses worth another attempt; every other status of 400 and above is final at once."""


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for: delta-seconds or an HTTP-date; None when
    absent or unreadable (the caller then backs off on its own)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long to keep trying before a retriable failure becomes an error, and how to wait."""

    max_throttled: int = 12
    """429s for one request before it gives up."""
    max_failures: int = 6
    """5xx answers or dropped connections for one request before it gives up."""
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    throttle_base_s: float = 1.0
    """A 429 without Retry-After waits between this and twice this the first time; the span
    doubles with each 429 in a row (up to ``retry_after_cap_s``)."""
    retry_after_cap_s: float = 120.0
    max_total_wait_s: float = 600.0
    """All the waits of one request together: past this it gives up rather than wait more."""
    timeout_s: tuple[float, float] = (10.0, 60.0)
    """(connect, read) timeouts for each request."""
    stop: StopSignal | None = field(default=None, compare=False)
    """Set when the run must end: every wait then raises ``StopRequested`` at once."""
    on_wait: OnWait | None = field(default=None, compare=False)
    """Told of the waits worth a mention (see ``OnWait``)."""

    def for_run(self, stop: StopSignal | None, on_wait: OnWait | None = None) -> RetryPolicy:
        """This policy, its waits cut short by ``stop`` and reported to ``on_wait`` (each
        kept as it was when None is given)."""
        return replace(self, stop=stop or self.stop, on_wait=on_wait or self.on_wait)

    def backoff(self, failures: int, rng: random.Random) -> float:
        """Full-jitter exponential backoff: spreads retries of parallel workers apart."""
        return rng.uniform(0, min(self.backoff_cap_s, self.backoff_base_s * 2**failures))

    def throttle_backoff(self, throttled: int, rng: random.Random) -> float:
        """After the ``throttled``-th 429 without Retry-After: half the doubled step plus
        jitter, so the wait grows (1-2 s, 2-4 s, ...) and never drops to nothing."""
        step = min(self.retry_after_cap_s, self.throttle_base_s * 2**throttled)
        return rng.uniform(step / 2, step)

    def stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def check_stop(self) -> None:
        """Raise ``StopRequested`` if the run was asked to stop."""
        if self.stopped():
            raise StopRequested("shutdown requested while waiting to retry or for a quota slot")

    def _announce(self, seconds: float, reason: str, notice_s: float) -> None:
        self.check_stop()
        if seconds > 0 and seconds >= notice_s and self.on_wait is not None:
            try:
                self.on_wait(seconds, reason)
            except Exception:  # a display that fails must not fail the sync it shows
                log.debug("on_wait failed", exc_info=True)

    def sleep(self, seconds: float, reason: str, notice_s: float = 0.0) -> None:
        """Wait ``seconds`` (blocking this thread) unless the run is stopped meanwhile; tell
        ``on_wait`` first when the wait is ``notice_s`` or longer."""
        self._announce(seconds, reason, notice_s)
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(POLL_S, left))
            self.check_stop()

    def call_until_stopped(self, call: Callable[[], T]) -> T:
        """``call()`` (a blocking request), abandoned as soon as the run's stop is set.

        The call runs on a daemon thread of its own while this one watches the stop: a socket
        read cannot be interrupted, and a server that hangs must not hold a stop for the whole
        read timeout. An abandoned call ends on its own (its answer is dropped), and being a
        daemon thread it never keeps the process from exiting."""
        if self.stop is None:
            return call()
        outcome: list[tuple[bool, object]] = []
        done = threading.Event()

        def run() -> None:
            try:
                outcome.append((True, call()))
            except BaseException as error:  # handed to the waiting thread, which raises it
                outcome.append((False, error))
            finally:
                done.set()

        threading.Thread(target=run, name="request", daemon=True).start()
        while not done.wait(POLL_S):
            self.check_stop()
        ok, value = outcome[0]
        if not ok:
            raise value  # type: ignore[misc]
        return value  # type: ignore[return-value]

    async def until_stopped(self, work: Awaitable[T]) -> T:
        """Await ``work`` (a request in flight), abandoning it as soon as the run's stop is
        set: a server that hangs must not hold a stop for the whole read timeout."""
        if self.stop is None:
            return await work
        task = asyncio.ensure_future(work)
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=POLL_S)
                if done:
                    return task.result()
                self.check_stop()
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def sleep_async(self, seconds: float, reason: str, notice_s: float = 0.0) -> None:
        """``sleep`` for a coroutine: the event loop goes on with other requests meanwhile."""
        self._announce(seconds, reason, notice_s)
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(POLL_S, left))
            self.check_stop()


@dataclass(frozen=True, slots=True)
class Wait:
    """What to do before the next attempt: wait ``seconds`` because of ``reason``.

    ``throttled`` waits are the server's quota speaking: the caller holds back every request
    to that server for that long (``RateLimiter.pause``), not only this one."""

    seconds: float
    reason: str
    throttled: bool = False


class Attempts:
    """One request's attempts under a policy: after each failure, the wait before the next
    attempt, or None when the request must give up (final status, or retries used up)."""

    def __init__(self, policy: RetryPolicy, service: str, rng: random.Random) -> None:
        self.policy = policy
        self.service = service
        self.rng = rng
        self.throttled = 0
        self.failures = 0
        self.waited = 0.0

    @property
    def tries(self) -> int:
        """Failed attempts so far (the one just told of included)."""
        return self.throttled + self.failures

    def after_status(self, status: int, retry_after: str | None = None) -> Wait | None:
        """The wait after an answer with this ``status`` (and ``Retry-After`` header)."""
        if status not in RETRIABLE:
            return None
        asked = parse_retry_after(retry_after)
        reason = f"HTTP {status} from {self.service}"
        if status == 429:
            self.throttled += 1
            if self.throttled > self.policy.max_throttled:
                return None
            if asked is None:
                seconds = self.policy.throttle_backoff(self.throttled, self.rng)
            else:
                seconds = min(asked, self.policy.retry_after_cap_s)
            return self._budget(Wait(seconds, reason, throttled=True))
        self.failures += 1
        if self.failures > self.policy.max_failures:
            return None
        if asked is not None:
            seconds = min(asked, self.policy.retry_after_cap_s)
        else:
            seconds = self.policy.backoff(self.failures, self.rng)
        return self._budget(Wait(seconds, reason))

    def after_drop(self) -> Wait | None:
        """The wait after a dropped connection, a refused connect or a timeout."""
        self.failures += 1
        if self.failures > self.policy.max_failures:
            return None
        seconds = self.policy.backoff(self.failures, self.rng)
        return self._budget(Wait(seconds, f"cannot connect to {self.service}"))

    def _budget(self, wait: Wait) -> Wait | None:
        if self.waited + wait.seconds > self.policy.max_total_wait_s:
            return None
        self.waited += wait.seconds
        return wait
