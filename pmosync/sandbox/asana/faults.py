"""Misbehaviour on demand: quotas, forced 429s, server errors, latency and dropped sockets.

A connector is only as good as its handling of the bad day; these switches let tests and
benchmarks produce that bad day deterministically (seeded) and change it while running.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque


class RateLimiter:
    """A sliding window per token: at most ``per_window`` accepted requests per window."""

    def __init__(self, per_window: int | None, window_s: float) -> None:
        self.per_window = per_window
        self.window_s = window_s
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, token: str) -> int | None:
        """None to accept (and count) the request, else whole seconds until a slot frees."""
        if self.per_window is None:
            return None
        now = time.monotonic()
        with self._lock:
            seen = self._seen.setdefault(token, deque())
            while seen and seen[0] <= now - self.window_s:
                seen.popleft()
            if len(seen) < self.per_window:
                seen.append(now)
                return None
            return max(1, math.ceil(seen[0] + self.window_s - now))


class Faults:
    """Seeded error/drop draws, fixed latency and a counter of forced 429s."""

    def __init__(self, error_rate: float, latency_s: float, drop_rate: float, seed: int) -> None:
        self.error_rate = error_rate
        self.latency_s = latency_s
        self.drop_rate = drop_rate
        self._rng = random.Random(seed)
        self._throttle = 0
        self._throttle_after = 1
        self._lock = threading.Lock()

    def set(
        self,
        error_rate: float | None = None,
        latency_s: float | None = None,
        drop_rate: float | None = None,
    ) -> None:
        with self._lock:
            if error_rate is not None:
                self.error_rate = error_rate
            if latency_s is not None:
                self.latency_s = latency_s
            if drop_rate is not None:
                self.drop_rate = drop_rate

    def throttle_next(self, count: int, retry_after_s: int = 1) -> None:
        with self._lock:
            self._throttle = count
            self._throttle_after = retry_after_s

    def forced_throttle(self) -> int | None:
        """Retry-After seconds when this request is one of the forced 429s."""
        with self._lock:
            if self._throttle <= 0:
                return None
            self._throttle -= 1
            return self._throttle_after

    def draw(self) -> str | None:
        """ "drop", "500", "503" or None for this request."""
        with self._lock:
            if self.drop_rate and self._rng.random() < self.drop_rate:
                return "drop"
            if self.error_rate and self._rng.random() < self.error_rate:
                return self._rng.choice(("500", "503"))
            return None
