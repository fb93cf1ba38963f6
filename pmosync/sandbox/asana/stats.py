"""Request accounting: every request received, whatever became of it."""

from __future__ import annotations

import threading
from collections import Counter, deque
from typing import Any

LOG_SIZE = 10_000


class RequestStats:
    """Totals by status ("200", "429", "dropped", …) and by endpoint ("GET /tasks")."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: deque[tuple[str, str, str, int | str]] = deque(maxlen=LOG_SIZE)
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._total = 0
            self._by_status: Counter[str] = Counter()
            self._by_endpoint: Counter[str] = Counter()
            self.requests.clear()

    def record(self, method: str, path: str, query: str, endpoint: str, status: int | str) -> None:
        with self._lock:
            self._total += 1
            self._by_status[str(status)] += 1
            self._by_endpoint[endpoint] += 1
            self.requests.append((method, path, query, status))

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self._total,
                "by_status": dict(self._by_status),
                "by_endpoint": dict(self._by_endpoint),
            }
