"""Where a complete listing's absentees become tombstones, in canonical terms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pmosync.canonical.types import Record


@dataclass(frozen=True, slots=True)
class ReconcileScope:
    """Live records of ``model`` matching ``within`` (and ``on_or_after`` = (column, value))
    whose source id is not in ``present`` are gone upstream."""

    model: type[Record]
    present: set[str]
    within: dict[str, Any] = field(default_factory=dict)
    on_or_after: tuple[str, Any] | None = None
    cascade: tuple[type[Record], ...] = ()
    """Entities keyed by the same source id that go with each record (a task's assignment)."""
    dependents: tuple[tuple[type[Record], str], ...] = ()
    """(entity, column) pairs of records that point at a gone record through ``column`` and go
    with it (a task's time entries and subtasks); a dependent of the same entity as ``model``
    takes the same rules in turn, so a task's whole subtree goes."""
