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
    prefix: str | None = None
    """Only records whose source id starts with this (the rows of one workbook file)."""
    cascade: tuple[type[Record], ...] = ()
    """Entities keyed by the same source id that go with each record (a task's assignment)."""
    dependents: tuple[tuple[type[Record], str] | ReconcileScope, ...] = ()
    """Records that point at a gone record and go with it: (entity, column) pairs (a task's
    time entries and subtasks), or a scope whose single ``within`` key names the column and
    whose own rules then apply to what it retires (a plan's tasks, which take their
    assignments). A pair of the same entity as ``model`` takes the same rules in turn, so a
    task's whole subtree goes."""
