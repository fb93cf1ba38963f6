"""The test-facing controls every emulator offers, written once.

An emulator subclass holds ``_server`` (a LoopbackServer), ``_tokens`` (with ``revoke``),
``_faults`` and ``_stats``, and defines ``start``; this base gives it the context manager, stop,
token revocation, fault switches and request accounting with identical behaviour.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from typing import Any, Self

from pmosync.sandbox.http.faults import Faults
from pmosync.sandbox.http.server import LoopbackServer
from pmosync.sandbox.http.stats import RequestStats


class SandboxControls(ABC):
    _server: LoopbackServer
    _tokens: Any
    _faults: Faults
    _stats: RequestStats

    @abstractmethod
    def start(self) -> Self:
        """Start serving on 127.0.0.1 (each emulator builds its own routes)."""

    def stop(self) -> None:
        """Stop serving and close kept-alive connections so clients fail fast."""
        self._server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def revoke(self, token: str) -> None:
        self._tokens.revoke(token)

    def set_faults(
        self,
        error_rate: float | None = None,
        latency_s: float | None = None,
        drop_rate: float | None = None,
        echo_authorization: bool | None = None,
    ) -> None:
        """``echo_authorization`` quotes the request's Authorization in every error answer."""
        self._faults.set(error_rate, latency_s, drop_rate, echo_authorization)

    def hold_replies(
        self, path_contains: str, seconds: float, count: int = 1, method: str | None = None
    ) -> None:
        """Handle the next ``count`` matching requests, then wait ``seconds`` before each
        answer (``_faults.held`` is set when one waits): a write made, its client not told."""
        self._faults.hold_replies(path_contains, seconds, count, method)

    @property
    def reply_held(self) -> Any:
        """The ``threading.Event`` set when a held answer starts waiting."""
        return self._faults.held

    def stats(self) -> dict[str, Any]:
        """Totals, by status and by endpoint (and any extra counters the emulator keeps)."""
        return self._stats.snapshot()

    def reset_stats(self) -> None:
        self._stats.reset()

    @property
    def requests(self) -> deque[tuple[str, str, str, int | str]]:
        """Recent requests as (method, path, query, status), oldest first (bounded)."""
        return self._stats.requests

    def request_times(self) -> list[tuple[float, str, int | str]]:
        """Recent requests as (time.time() on arrival, endpoint, status), oldest first."""
        return self._stats.timed()
