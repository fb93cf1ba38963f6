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
    """Seeded error/drop draws, fixed latency and a counter of forced 429s.

    ``error_statuses`` are the 5xx codes an error draw picks from: each API has its own
    favourites (Asana 500/503, Graph 503/504).
    """

    def __init__(
        self,
        error_rate: float,
        latency_s: float,
        drop_rate: float,
        seed: int,
        error_statuses: tuple[str, ...] = ("500", "503"),
    ) -> None:
        self.error_rate = error_rate
        self.latency_s = latency_s
        self.drop_rate = drop_rate
        self.error_statuses = error_statuses
        self._rng = random.Random(seed)
        self._drops = 0
        """Connections still to cut on demand (``drop_next``), before any seeded draw."""
        self._throttle = 0
        self._throttle_after = 1
        self._throttle_match: str | None = None
        self._failures: list[tuple[int, int | None, str | None]] = []
        """Forced answers still to give: (status, Retry-After or None, path filter)."""
        self._holds: list[tuple[str | None, str, float]] = []
        """Successful answers still to hold back: (method or None, path filter, seconds)."""
        self.held = threading.Event()
        """Set when a held answer starts waiting: its request's effect is made, its answer not
        yet sent (a test kills the client in that window)."""
        self.echo_authorization = False
        """Quote the request's Authorization header (and its token) in every error answer, as a
        misconfigured proxy or a careless API does: a client must never repeat it anywhere."""
        self._lock = threading.Lock()

    def set(
        self,
        error_rate: float | None = None,
        latency_s: float | None = None,
        drop_rate: float | None = None,
        echo_authorization: bool | None = None,
    ) -> None:
        with self._lock:
            if echo_authorization is not None:
                self.echo_authorization = echo_authorization
            if error_rate is not None:
                self.error_rate = error_rate
            if latency_s is not None:
                self.latency_s = latency_s
            if drop_rate is not None:
                self.drop_rate = drop_rate

    def echoed(self, message: str, authorization: str | None) -> str:
        """An error ``message`` as sent: with the Authorization header and its bare token
        quoted when ``echo_authorization`` is on."""
        if not self.echo_authorization or not authorization:
            return message
        token = authorization.split(" ", 1)[-1]
        return f"{message} (request had Authorization: {authorization}; token={token})"

    def drop_next(self, count: int) -> None:
        """Cut the connection of the next ``count`` requests (a draw answers "drop")."""
        with self._lock:
            self._drops = count

    def throttle_next(
        self, count: int, retry_after_s: int = 1, path_contains: str | None = None
    ) -> None:
        """Force 429 on the next ``count`` requests (only those whose path contains the text)."""
        with self._lock:
            self._throttle = count
            self._throttle_after = retry_after_s
            self._throttle_match = path_contains

    def fail_next(
        self,
        count: int,
        status: int,
        retry_after_s: int | None = None,
        path_contains: str | None = None,
    ) -> None:
        """Answer the next ``count`` requests (whose path contains the text, when given) with
        ``status``, and a Retry-After only when ``retry_after_s`` is given: what a real
        service sends on a bad day and ``throttle_next`` cannot, a 429 without Retry-After or a
        503/504 with one."""
        with self._lock:
            self._failures = [(status, retry_after_s, path_contains)] * count

    def hold_replies(
        self, path_contains: str, seconds: float, count: int = 1, method: str | None = None
    ) -> None:
        """After each of the next ``count`` successful requests (of ``method``, when given)
        whose path contains the text has been handled, wait ``seconds`` before answering: the
        server has done what was asked and the client does not know yet, the instant a killed
        or timed-out client leaves an unknown outcome behind."""
        with self._lock:
            self._holds = [(method, path_contains, seconds)] * count
            self.held.clear()

    def hold_reply(self, method: str, path: str, status: int) -> None:
        """Wait here (before sending the answer) when this handled request is a held one."""
        if status >= 300:
            return
        with self._lock:
            if not self._holds:
                return
            wanted, match, seconds = self._holds[0]
            if match not in path or (wanted is not None and wanted != method):
                return
            self._holds.pop(0)
        self.held.set()
        time.sleep(seconds)

    def forced_failure(self, path: str = "") -> tuple[int, dict[str, str]] | None:
        """(status, headers) when this request is one of the ``fail_next`` answers."""
        with self._lock:
            if not self._failures:
                return None
            status, after, match = self._failures[0]
            if match is not None and match not in path:
                return None
            self._failures.pop(0)
        return status, ({"Retry-After": str(after)} if after is not None else {})

    def forced_throttle(self, path: str = "") -> int | None:
        """Retry-After seconds when this request is one of the forced 429s."""
        with self._lock:
            if self._throttle <= 0:
                return None
            if self._throttle_match is not None and self._throttle_match not in path:
                return None
            self._throttle -= 1
            return self._throttle_after

    def draw(self, allow_drop: bool = True) -> str | None:
        """ "drop", one of ``error_statuses`` or None for this request.

        ``allow_drop`` False is for work inside a request that cannot cut the connection on its
        own (an item of a batch): a drop draw then counts as no fault.
        """
        with self._lock:
            if self._drops and allow_drop:
                self._drops -= 1
                return "drop"
            if self.drop_rate and self._rng.random() < self.drop_rate and allow_drop:
                return "drop"
            if self.error_rate and self._rng.random() < self.error_rate:
                return self._rng.choice(self.error_statuses)
            return None
