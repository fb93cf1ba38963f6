"""Identifiers shaped like the real ones, drawn from a seeded generator.

Real Graph ids are not all GUIDs: Planner ids are 28 URL-safe characters, SharePoint drive ids
start with ``b!``, drive item ids are 34 upper-case base32 characters starting ``01`` and Teams
channel ids look like ``19:...@thread.tacv2``. Giving the sandbox the same shapes makes a client
that forgets to percent-encode ``:``/``@``/``!`` or assumes GUIDs fail here, not in production.
Seeded, so one seed gives the same ids in every process (the benchmark recomputes ground truth).
"""

from __future__ import annotations

import base64
import random
import threading
import uuid


class IdFactory:
    """One seeded stream of ids; thread-safe because mutations may come from server threads."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"pmosync-tenant-ids:{seed}")
        self._lock = threading.Lock()

    def _bits(self, n: int) -> int:
        with self._lock:
            return self._rng.getrandbits(n)

    def guid(self) -> str:
        """A version-4 GUID string (users, groups, sites, lists, checklist items, the tenant)."""
        return str(uuid.UUID(int=self._bits(128), version=4))

    def planner(self) -> str:
        """28 URL-safe characters, like ``xqQg5FS2LkCp935s-FIFm2QAFkHM`` (plans, buckets, tasks)."""
        return base64.urlsafe_b64encode(self._bits(168).to_bytes(21, "big")).decode("ascii")

    def drive(self) -> str:
        """``b!`` plus 64 URL-safe characters, the shape of a SharePoint document library id."""
        raw = self._bits(384).to_bytes(48, "big")
        return "b!" + base64.urlsafe_b64encode(raw).decode("ascii")

    def item(self) -> str:
        """``01`` plus 32 base32 characters, the shape of a SharePoint drive item id."""
        raw = self._bits(160).to_bytes(20, "big")
        return "01" + base64.b32encode(raw).decode("ascii")

    def channel(self) -> str:
        """``19:<32 hex>@thread.tacv2``: clients must percent-encode it in a URL path."""
        return f"19:{self._bits(128):032x}@thread.tacv2"
