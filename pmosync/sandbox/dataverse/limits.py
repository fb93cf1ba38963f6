"""Dataverse's service protection limits, per user over a sliding window.

Three limits, each with its own error code: the number of requests, their combined execution
time, and the requests in flight at once. Execution time here is emulated, charged per request
from the rows it returned (``base_cost_ms + cost_ms_per_row * rows``), never measured: a test of
the execution-time limit then fails or passes the same way on any machine.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from pmosync.sandbox.dataverse.errors import (
    CONCURRENCY_EXCEEDED,
    EXECUTION_TIME_EXCEEDED,
    REQUESTS_EXCEEDED,
    DataverseError,
)


@dataclass(frozen=True)
class ServiceLimits:
    """Dataverse's defaults; None switches a limit off."""

    requests: int | None = 6000
    execution_ms: float | None = 1_200_000
    concurrent: int | None = 52
    window_s: float = 300
    cost_ms_per_row: float = 0.2
    """Emulated execution time per row returned (expanded rows included): 5,000 rows ~ 1 s."""
    base_cost_ms: float = 20
    """Emulated execution time of any request, rows or not."""

    def cost(self, rows: int) -> float:
        return self.base_cost_ms + self.cost_ms_per_row * rows

    def requests_message(self) -> str:
        return (
            f"Number of requests exceeded the limit of {self.requests} over time window of "
            f"{self.window_s:g} seconds."
        )

    def execution_message(self) -> str:
        return (
            "Combined execution time of incoming requests exceeded limit of "
            f"{self.execution_ms:,.0f} milliseconds over time window of {self.window_s:g} "
            "seconds. Decrease number of concurrent requests or reduce the duration of requests "
            "and try again later."
        )

    def concurrency_message(self) -> str:
        return f"Number of concurrent requests exceeded the limit of {self.concurrent}."


def throttled(code: str, message: str, retry_after: int | None) -> DataverseError:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return DataverseError(429, code, message, headers=headers)


class Protection:
    """The limits' bookkeeping for every user: ``enter`` admits (or refuses with 429) a
    request, ``leave`` charges its emulated execution time and frees its concurrency slot."""

    def __init__(
        self, limits: ServiceLimits, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._requests: dict[str, deque[float]] = {}
        self._costs: dict[str, deque[tuple[float, float]]] = {}
        self._in_flight: dict[str, int] = {}
        self._lock = threading.Lock()

    def enter(self, user: str) -> None:
        limits = self.limits
        now = self._clock()
        with self._lock:
            requests = self._requests.setdefault(user, deque())
            costs = self._costs.setdefault(user, deque())
            horizon = now - limits.window_s
            while requests and requests[0] <= horizon:
                requests.popleft()
            while costs and costs[0][0] <= horizon:
                costs.popleft()
            if limits.requests is not None and len(requests) >= limits.requests:
                wait = requests[len(requests) - limits.requests] + limits.window_s - now
                raise throttled(REQUESTS_EXCEEDED, limits.requests_message(), _seconds(wait))
            if limits.execution_ms is not None:
                total = sum(cost for _, cost in costs)
                if total >= limits.execution_ms:
                    # Until enough of the oldest charges leave the window to bring it under.
                    wait = 0.0
                    for at, cost in costs:
                        total -= cost
                        wait = at + limits.window_s - now
                        if total < limits.execution_ms:
                            break
                    raise throttled(
                        EXECUTION_TIME_EXCEEDED, limits.execution_message(), _seconds(wait)
                    )
            in_flight = self._in_flight.get(user, 0)
            if limits.concurrent is not None and in_flight >= limits.concurrent:
                raise throttled(CONCURRENCY_EXCEEDED, limits.concurrency_message(), 1)
            requests.append(now)
            self._in_flight[user] = in_flight + 1

    def leave(self, user: str, rows: int) -> None:
        with self._lock:
            self._in_flight[user] = max(0, self._in_flight.get(user, 0) - 1)
            self._costs.setdefault(user, deque()).append((self._clock(), self.limits.cost(rows)))

    def remaining(self, user: str) -> tuple[int | None, float | None]:
        """(requests, execution ms) left in the window now, as Dataverse's
        ``x-ms-ratelimit-*-remaining-xrm-requests`` headers tell a client."""
        limits = self.limits
        now = self._clock()
        with self._lock:
            horizon = now - limits.window_s
            count = sum(1 for at in self._requests.get(user, ()) if at > horizon)
            spent = sum(cost for at, cost in self._costs.get(user, ()) if at > horizon)
        return (
            None if limits.requests is None else max(0, limits.requests - count),
            None if limits.execution_ms is None else max(0.0, limits.execution_ms - spent),
        )


def _seconds(wait: float) -> int:
    return max(1, math.ceil(wait))
