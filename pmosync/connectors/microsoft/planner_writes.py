"""Planner writes over msgraph-sdk: the few calls write-back makes, each one request.

Graph makes every Planner update conditional: a PATCH of a plan's details, a task or a task's
details must carry ``If-Match`` with the item's last etag, and is refused with 412 when the
item changed since (409 when another write is landing at that moment). Each PATCH here also
asks ``Prefer: return=representation``, so the item's new etag comes back in the same answer
and a write costs one request. A refused PATCH re-reads the item and raises ``PlannerChanged``
carrying it as Graph shows it now: the caller decides whether the change was a human's edit of
the very value it writes (a conflict) or of something else (write again with the new etag).
Requests go through the connector's ``GraphClient``: the same limiter, retries, Retry-After and
request count as the sync's reads; a 403 names Tasks.ReadWrite.All (``permissions``).
"""

from __future__ import annotations

import json
from typing import Any

from pmosync.connectors.errors import FatalError, PermissionDenied
from pmosync.connectors.microsoft.graph import GraphClient

ETAG = "@odata.etag"
STALE = (409, 412)
"""Graph's answers to a write whose If-Match no longer matches (412) or that raced another."""
NEVER_MATCHES = 'W/"pmosync-permission-probe"'
"""An If-Match no item ever has: a PATCH carrying it is refused (412) after the permission
check, so nothing is written whatever its body."""


class PlannerChanged(FatalError):
    """Graph refused a PATCH because the item changed since the etag sent (412, or 409 for a
    concurrent write); ``entity`` is the item as re-read right after."""

    def __init__(self, message: str, entity: dict[str, Any], status: int) -> None:
        super().__init__(message, status)
        self.entity = entity


def etag_of(entity: dict[str, Any]) -> str | None:
    value = entity.get(ETAG)
    return str(value) if value else None


class PlannerWrites:
    """The Planner reads and writes write-back needs, as coroutines on ``client``'s loop."""

    def __init__(self, client: GraphClient) -> None:
        self.client = client

    # -- reads ------------------------------------------------------------------------------

    async def plan_details(self, plan_id: str) -> dict[str, Any]:
        """The plan's details: ``categoryDescriptions`` (its label names) and etag."""
        builder = self.client.sdk.planner.plans.by_planner_plan_id(plan_id).details
        return await self.client.get(builder.to_get_request_information())

    async def buckets(self, plan_id: str) -> list[dict[str, Any]]:
        builder = self.client.sdk.planner.plans.by_planner_plan_id(plan_id).buckets
        return await self.client.collect(builder.to_get_request_information())

    async def bucket_tasks(self, bucket_id: str) -> list[dict[str, Any]]:
        builder = self.client.sdk.planner.buckets.by_planner_bucket_id(bucket_id).tasks
        return await self.client.collect(builder.to_get_request_information())

    async def task(self, task_id: str) -> dict[str, Any]:
        builder = self.client.sdk.planner.tasks.by_planner_task_id(task_id)
        return await self.client.get(builder.to_get_request_information())

    async def task_details(self, task_id: str) -> dict[str, Any]:
        builder = self.client.sdk.planner.tasks.by_planner_task_id(task_id).details
        return await self.client.get(builder.to_get_request_information())

    async def group_plans(self, group_id: str) -> list[dict[str, Any]]:
        builder = self.client.sdk.groups.by_group_id(group_id).planner.plans
        return await self.client.collect(builder.to_get_request_information())

    # -- creations --------------------------------------------------------------------------

    async def create_bucket(self, plan_id: str, name: str) -> dict[str, Any]:
        """A new bucket, first in the plan's board (``orderHint`` " !" puts it before all)."""
        body = {"name": name, "planId": plan_id, "orderHint": " !"}
        return await self._post("planner/buckets", body)

    async def create_task(
        self, plan_id: str, bucket_id: str, title: str, categories: dict[str, bool]
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"planId": plan_id, "bucketId": bucket_id, "title": title}
        if categories:
            body["appliedCategories"] = categories
        return await self._post("planner/tasks", body)

    # -- conditional updates ----------------------------------------------------------------

    async def patch_labels(self, plan_id: str, etag: str, labels: dict[str, str]) -> dict:
        """Name label slots (``{"category25": "PMO: Red"}``); the others are left as they are."""
        url = f"planner/plans/{plan_id}/details"
        return await self._patch(url, etag, {"categoryDescriptions": labels})

    async def patch_task(
        self,
        task_id: str,
        etag: str,
        *,
        title: str | None = None,
        categories: dict[str, bool] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if title is not None:
            body["title"] = title
        if categories:
            body["appliedCategories"] = categories
        return await self._patch(f"planner/tasks/{task_id}", etag, body)

    async def patch_task_details(self, task_id: str, etag: str, description: str) -> dict:
        url = f"planner/tasks/{task_id}/details"
        return await self._patch(url, etag, {"description": description})

    async def may_write(self, plan_id: str) -> bool:
        """Whether the app may update this plan, asked without writing: a PATCH of its
        details with an If-Match no item has is refused 403 without the permission and 412
        (or 409) with it."""
        url = f"planner/plans/{plan_id}/details"
        try:
            await self.client.send(self._request("PATCH", url, {}, NEVER_MATCHES))
        except PermissionDenied:
            return False
        except FatalError as error:
            if error.status in STALE:
                return True
            raise
        return True

    # -- plumbing ---------------------------------------------------------------------------

    def _request(self, method: str, url: str, body: Any, etag: str | None = None):
        info = self.client.request(method, url, body)
        if etag is not None:
            info.headers.try_add("If-Match", etag)
        info.headers.try_add("Prefer", "return=representation")
        return info

    async def _post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        content = await self.client.send(self._request("POST", url, body))
        return json.loads(content) if content else {}

    async def _patch(self, url: str, etag: str, body: dict[str, Any]) -> dict[str, Any]:
        """One conditional PATCH; the item as it is after it (a second request only when
        Graph ignored ``Prefer`` and answered 204)."""
        try:
            content = await self.client.send(self._request("PATCH", url, body, etag))
        except FatalError as error:
            if error.status not in STALE:
                raise
            fresh = await self.client.get(url)
            raise PlannerChanged(str(error), fresh, error.status or 412) from None
        if content:
            return json.loads(content)
        return await self.client.get(url)
