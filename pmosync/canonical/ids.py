"""Stable canonical ids.

A canonical id is a UUIDv5 of (entity, source, source_id). Deriving it instead of letting the
database allocate one means mapping can compute a reference (a task's ``project_id``) from the
source's own ids without a store lookup, a re-sync produces the same ids, and two processes
writing the same record agree on its id without coordinating.
"""

from __future__ import annotations

import uuid

_NAMESPACE = uuid.UUID("8f0b7f2e-4a55-5b0e-9c1a-70a1d4c0e5a1")


def canonical_id(entity: str, source: str, source_id: str) -> str:
    """The canonical id of the ``entity`` that ``source`` calls ``source_id``."""
    return str(uuid.uuid5(_NAMESPACE, f"{entity}\x1f{source}\x1f{source_id}"))
