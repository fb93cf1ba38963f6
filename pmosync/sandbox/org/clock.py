"""Gids and mutation timestamps, both deterministic where the brief needs them to be."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

_GID_BASE = 1_200_000_000_000_000
_MS = timedelta(milliseconds=1)


class GidFactory:
    """Unique 16-digit gids that increase with creation order.

    Increasing gids give every listing a stable keyset order in which new records sort last,
    which is what lets the sandbox paginate without skipping or duplicating under edits.
    """

    def __init__(self, seed: int) -> None:
        self._next = _GID_BASE + (seed % 100_000) * 1_000_000_000 + 1

    def __call__(self) -> str:
        gid = self._next
        self._next += 1
        return str(gid)


def to_millis(moment: datetime) -> datetime:
    """Truncate to millisecond precision, the precision Asana timestamps carry."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class MutationClock:
    """Real UTC time at millisecond precision, strictly increasing across calls.

    Strictness matters: clients use ``modified_since`` cursors, and two mutations sharing a
    timestamp would make "changed since my last sync" ambiguous.
    """

    def __init__(self, floor: datetime) -> None:
        self._last = to_millis(floor)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            moment = to_millis(datetime.now(UTC))
            if moment <= self._last:
                moment = self._last + _MS
            self._last = moment
            return moment
