"""The names pmosync owns on a Temporal cluster, derived from the store and the job.

Several pmosync installations may share one namespace, so every id carries a key of the store
they write to: ``pmosync:<store key>:sync:<connector>``. A manual ``pmosync sync`` and a
scheduled one of the same connector use the same sync workflow id, and Temporal refuses a second
running workflow with an id already running: two syncs of one connector never overlap, whoever
started them. ``pmosync schedules apply`` touches only schedules under its store's prefix.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pmosync.config import PmosyncConfig
from pmosync.store.engine import store_identity

JobKind = Literal["sync", "report"]
WorkflowKind = Literal["sync", "report", "tick"]
"""``tick``: what a connector's schedule starts, which then starts the connector's sync."""
PREFIX = "pmosync"


def store_key(config: PmosyncConfig) -> str:
    """Twelve hex digits naming the store (its URL without the password, a relative SQLite
    path made absolute): the same on every worker reading the same config."""
    url = store_identity(config.store, config.config_path.parent)
    return hashlib.sha256(url.encode()).hexdigest()[:12]


def owned_prefix(config: PmosyncConfig) -> str:
    """What every schedule and workflow id of this store starts with."""
    return f"{PREFIX}:{store_key(config)}:"


def workflow_id(config: PmosyncConfig, kind: WorkflowKind, name: str) -> str:
    """The id of ``kind``'s workflow for ``name`` (a connector or a report)."""
    return f"{owned_prefix(config)}{kind}:{name}"


def schedule_id(config: PmosyncConfig, kind: JobKind, name: str) -> str:
    """A schedule's id: the id of the workflow it starts (Temporal appends each tick's time
    to it for the workflow it starts, so the two never clash)."""
    return workflow_id(config, kind, name)


def parse_schedule_id(config: PmosyncConfig, schedule: str) -> tuple[JobKind, str] | None:
    """(kind, name) of one of this store's schedule ids; None for anyone else's."""
    prefix = owned_prefix(config)
    if not schedule.startswith(prefix):
        return None
    kind, _, name = schedule[len(prefix) :].partition(":")
    if kind not in ("sync", "report") or not name:
        return None
    return kind, name  # type: ignore[return-value]
