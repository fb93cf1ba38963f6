"""``PremiumMapper``: one entry point from (stream, raw Dataverse row) to canonical records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from pmosync.contracts import Reconcile
from pmosync.mapping.dataverse import lifecycle
from pmosync.mapping.dataverse.records import (
    map_assignment,
    map_bucket,
    map_person,
    map_project,
    map_task,
)
from pmosync.mapping.priority import planner_vocabulary
from pmosync.mapping.result import Mapped, MappingError
from pmosync.mapping.scope import ReconcileScope
from pmosync.mapping.values import record_digest

ROW_KEYS = (
    "msdyn_projecttaskid",
    "msdyn_resourceassignmentid",
    "msdyn_projectbucketid",
    "msdyn_projectid",
    "key",
)
"""A row's own primary key column (a people record's person key), most specific first: a
task row carries its project as ``_msdyn_project_value``, never as ``msdyn_projectid``."""


class PremiumMapper:
    """Maps one Planner premium (Dataverse) connector's rows onto the canonical model; pure."""

    def __init__(
        self,
        source: str,
        *,
        environment: str,
        timezone: str = "UTC",
        priority_vocabulary: Mapping[str, str] | None = None,
    ) -> None:
        """``environment`` is the Dataverse environment's URL (records link back into it);
        ``timezone`` the zone the plans are used in, where a UTC datetime's day is read."""
        self.source = source
        self.environment = environment.rstrip("/")
        self.zone = ZoneInfo(timezone)
        self.priorities = planner_vocabulary(priority_vocabulary or {}, source=source)

    def map(self, stream: str, raw: Mapping[str, Any]) -> Mapped:
        if not isinstance(raw, Mapping):
            raise MappingError(f"record is not a JSON object: {type(raw).__name__}")
        if stream == "tasks":
            return map_task(self.source, raw, self.environment, self.zone, self.priorities)
        if stream == "assignments":
            return map_assignment(self.source, raw, self.zone)
        if stream == "projects":
            return map_project(self.source, raw, self.environment, self.zone)
        if stream == "buckets":
            return map_bucket(self.source, raw)
        if stream == "people":
            return map_person(self.source, raw)
        raise ValueError(f"unknown Planner premium stream {stream!r}")

    def record_key(self, raw: Any) -> str:
        """The row's primary key (a person's key), else a digest of the record."""
        if isinstance(raw, Mapping):
            for column in ROW_KEYS:
                found = raw.get(column)
                if isinstance(found, str) and found.strip():
                    return found
        return record_digest(raw)

    def deleted(self, kind: str, source_ids: list[str]) -> list[ReconcileScope]:
        return lifecycle.deleted(self.source, kind, source_ids)

    def scopes(self, reconcile: Reconcile) -> list[ReconcileScope]:
        return lifecycle.scopes(self.source, reconcile)
