"""Forced ``409 Conflict`` answers to writes, armed by tests per item.

Planner answers 409 when a write collides with another change being made to the same item at
that moment; a client must read the item again and decide. That race cannot be produced on
demand over loopback, so a test arms it: the next ``count`` writes to the item get the 409.
"""

from __future__ import annotations

import threading


class Conflicts:
    """Item id -> how many of its next writes are refused with 409."""

    def __init__(self) -> None:
        self._armed: dict[str, int] = {}
        self._lock = threading.Lock()

    def arm(self, item_id: str, count: int = 1) -> None:
        """The next ``count`` writes to ``item_id`` (a task, its details or a plan's details,
        all addressed by the id in their path) get 409; 0 disarms."""
        with self._lock:
            if count > 0:
                self._armed[item_id] = count
            else:
                self._armed.pop(item_id, None)

    def take(self, item_id: str) -> bool:
        """True (and one fewer armed) when this write is to be refused."""
        with self._lock:
            left = self._armed.get(item_id, 0)
            if left <= 0:
                return False
            if left == 1:
                del self._armed[item_id]
            else:
                self._armed[item_id] = left - 1
            return True
