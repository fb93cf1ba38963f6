"""A client-side request limiter shared by every thread of one connector.

Requests are spaced evenly (one slot every ``60 / per_minute`` seconds) rather than let through
in bursts: evenly spaced requests can never exceed the quota in any sliding minute, so a sync
runs at the quota instead of living on 429s. A 429's Retry-After pauses every thread, not only
the one that saw it, because the quota is per token.
"""

from __future__ import annotations

import threading
import time


class RateLimiter:
    """Hands out request slots at most ``per_minute`` a minute."""

    def __init__(self, per_minute: float, *, clock=time.monotonic, sleep=time.sleep) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self._next_slot = 0.0
        self._interval = 0.0
        self.per_minute = per_minute
        self.set_rate(per_minute)

    def set_rate(self, per_minute: float) -> None:
        """Change the quota (e.g. once a workspace turns out to be on a free plan)."""
        with self._lock:
            self.per_minute = per_minute
            self._interval = 60.0 / per_minute

    def reserve(self) -> float:
        """Take the next slot; returns how long the caller must wait before using it.

        Split from :meth:`acquire` so an asyncio caller can ``await asyncio.sleep`` the wait
        instead of blocking its event loop."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self._interval
        return slot - now

    def acquire(self) -> None:
        """Block until this caller may send one request."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """Hold every caller back for ``seconds`` (the server asked us to, via Retry-After)."""
        with self._lock:
            self._next_slot = max(self._next_slot, self._clock() + seconds)
