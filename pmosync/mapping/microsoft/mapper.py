"""``PlannerMapper``: one entry point from (stream, raw Graph record) to canonical records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from pmosync.contracts import Reconcile
from pmosync.mapping.microsoft import lifecycle
from pmosync.mapping.microsoft.planner import (
    map_bucket,
    map_group,
    map_plan,
    map_task,
    map_user,
)
from pmosync.mapping.microsoft.raid import (
    RaidRules,
    list_item_key,
    map_raid_list_item,
    map_raid_task,
)
from pmosync.mapping.microsoft.status import RagReader, map_status_item
from pmosync.mapping.priority import planner_vocabulary
from pmosync.mapping.result import Mapped, MappingError
from pmosync.mapping.scope import ReconcileScope
from pmosync.mapping.values import record_digest


class PlannerMapper:
    """Maps one Planner connector's records onto the canonical model; pure."""

    def __init__(
        self,
        source: str,
        *,
        group_as_portfolio: bool = True,
        milestone_category: str | None,
        priority_vocabulary: Mapping[str, str] | None = None,
        timezone: str = "UTC",
        rag_source: str | None = None,
        rag_source_name: str | None = None,
        rag_vocabulary: Mapping[str, str] | None = None,
        status_columns: Mapping[str, str] | None = None,
        raid: Mapping[str, Any] | None = None,
    ) -> None:
        """``rag_source`` is the kind (label, task, bucket or list) and ``rag_source_name``
        the status task, prefix, bucket or list it names; ``status_columns`` the status
        list's columns (project, rag, text); ``raid`` the YAML's raid block as plain data."""
        self.source = source
        self.group_as_portfolio = group_as_portfolio
        self.milestone_category = milestone_category
        self.priorities = planner_vocabulary(priority_vocabulary or {}, source=source)
        self.zone = ZoneInfo(timezone)
        """Where the plans are used: Planner's dates are midnight there (see ``map_task``)."""
        self.rag = RagReader(rag_source, rag_source_name, rag_vocabulary or {}, source=source)
        self.status_columns = dict(status_columns or {})
        self.raid = RaidRules(raid)

    def map(self, stream: str, raw: Mapping[str, Any]) -> Mapped:
        if not isinstance(raw, Mapping):
            raise MappingError(f"record is not a JSON object: {type(raw).__name__}")
        if stream == "tasks" and raw.get("raid") is True:
            return map_raid_task(self.source, raw, self.raid, self.zone)
        if stream == "raid_items":
            return map_raid_list_item(self.source, raw, self.raid, self.zone)
        if stream == "tasks":
            return map_task(
                self.source, raw, self.milestone_category, self.priorities, zone=self.zone
            )
        if stream == "plans":
            return map_plan(self.source, raw, self.group_as_portfolio, self.rag.plan_rag(raw))
        if stream == "status_items":
            return map_status_item(self.source, raw, self.status_columns, self.rag)
        if stream == "buckets":
            return map_bucket(self.source, raw)
        if stream == "users":
            return map_user(self.source, raw)
        if stream == "groups":
            return map_group(self.source, raw, self.group_as_portfolio)
        raise ValueError(f"unknown Planner stream {stream!r}")

    def record_key(self, raw: Any) -> str:
        """The Graph id of a raw record (a task record's task id), else a digest."""
        if isinstance(raw, Mapping) and isinstance(raw.get("raidItem"), Mapping):
            item = raw["raidItem"]  # a RAID list item: its source id, as a row's
            return list_item_key(str(raw.get("listId") or raw.get("list")), str(item.get("id")))
        if isinstance(raw, Mapping) and isinstance(raw.get("item"), Mapping):
            item = raw["item"]  # a status list item: list and item id
            return f"{raw.get('listId') or raw.get('list')}:{item.get('id')}"
        if isinstance(raw, Mapping):
            inner = raw.get("task") if isinstance(raw.get("task"), Mapping) else raw
            found = inner.get("id")
            if isinstance(found, str) and found.strip():
                return found
        return record_digest(raw)

    def deleted(self, kind: str, source_ids: list[str]) -> list[ReconcileScope]:
        raise ValueError("Planner reports no deletions; its listings are reconciled instead")

    def scopes(self, reconcile: Reconcile) -> list[ReconcileScope]:
        return lifecycle.scopes(self.source, reconcile)
