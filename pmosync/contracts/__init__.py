"""What connectors hand over and the sync engine and mapping read: pages of raw records and
the reconciliations they carry.

Connectors and mapping know nothing of each other (docs: DESIGN.md's layering); both import
this package, which imports nothing of pmosync, so mapping needs no connector code to read what
a connector produced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Page", "Reconcile"]


@dataclass(frozen=True, slots=True)
class Reconcile:
    """A listing was read in full: records of ``kind`` under ``parent`` that it did not
    contain are gone upstream and become tombstones.

    ``parent`` is the source id of the container (a project, a task) or None for the whole
    source; ``present`` every source id the complete listing returned.
    """

    kind: str
    parent: str | None
    present: frozenset[str]
    since: str | None = None
    """For dated listings read over a trailing window: only records dated on or after this ISO
    date are in the listing's scope."""


@dataclass(slots=True)
class Page:
    """One page of raw records of one kind, as the source returned them."""

    kind: str
    """The mapping stream the records belong to (``tasks``, ``sections`` ...)."""
    records: list[dict[str, Any]] = field(default_factory=list)
    state: Mapping[str, Any] | None = None
    """The stream's checkpoint after this page; None leaves it as it was."""
    deleted: list[str] = field(default_factory=list)
    """Source ids of ``kind`` the source reported as deleted (e.g. from an events feed)."""
    reconcile: list[Reconcile] = field(default_factory=list)
    requests: int = 0
    """HTTP requests (retries included) this page cost since the previous page."""
