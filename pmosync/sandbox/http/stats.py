"""Request accounting: every request received, whatever became of it."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from typing import Any

LOG_SIZE = 10_000


class RequestStats:
    """Totals by status ("200", "429", "dropped", …) and by endpoint ("GET /tasks").

    ``counters`` names extra tallies an emulator keeps beside the requests (Graph counts the
    items inside ``$batch`` requests); they appear in the snapshot even when zero.
    """

    def __init__(self, counters: tuple[str, ...] = ()) -> None:
        self._lock = threading.Lock()
        self._counter_names = counters
        self.requests: deque[tuple[str, str, str, int | str]] = deque(maxlen=LOG_SIZE)
        self.times: deque[tuple[float, str, int | str]] = deque(maxlen=LOG_SIZE)
        """(wall-clock time, endpoint, status) of each recent request, oldest first: what a
        test needs to count the requests of any sliding window (a quota is per minute, and
        the totals alone cannot say when the requests came)."""
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._total = 0
            self._by_status: Counter[str] = Counter()
            self._by_endpoint: Counter[str] = Counter()
            self._counters: Counter[str] = Counter()
            self.requests.clear()
            self.times.clear()

    def record(self, method: str, path: str, query: str, endpoint: str, status: int | str) -> None:
        with self._lock:
            self._total += 1
            self._by_status[str(status)] += 1
            self._by_endpoint[endpoint] += 1
            self.requests.append((method, path, query, status))
            self.times.append((time.time(), endpoint, status))

    def timed(self) -> list[tuple[float, str, int | str]]:
        """A copy of ``times``, taken under the lock the request threads append under."""
        with self._lock:
            return list(self.times)

    def count(self, name: str, n: int = 1) -> None:
        """Add to one of the extra counters named at construction."""
        if name not in self._counter_names:
            raise KeyError(name)
        with self._lock:
            self._counters[name] += n

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            snap: dict[str, Any] = {
                "total": self._total,
                "by_status": dict(self._by_status),
                "by_endpoint": dict(self._by_endpoint),
            }
            for name in self._counter_names:
                snap[name] = self._counters[name]
            return snap
