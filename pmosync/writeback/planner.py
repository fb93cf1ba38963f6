"""The Planner writer: a plan's pmosync-owned label and its PMO status task.

Every item written is pmosync's: one label slot of the plan (its name carries the computed
RAG), one bucket (created when missing) holding one task whose title carries the RAG and whose
description the reasons. Graph checks each update at write time (``If-Match`` with the etag
the ledger kept from pmosync's last write), so ``current`` reads only what was never written:
a first write has no etag, and what the tool shows then decides (adopt, write, or a human's
value). A refused update (412/409) is re-read and handed to the run as ``Stale``: a human's
edit of the owned value is a conflict, an edit of anything else just moved the etag.

The task and its details have an etag each, so they are two ledger rows (``status_task``,
``status_note``), both with the task's id as ``ref``. A task found in the owned bucket without
a ledger row is pmosync's own (a run killed between the POST and the ledger): it is adopted
and updated, never doubled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pmosync.config import PmosyncConfig
from pmosync.config.connectors import PlannerConnector
from pmosync.connectors.errors import ConnectorError, NotFound
from pmosync.connectors.microsoft.graph import GraphClient
from pmosync.connectors.microsoft.permissions import PLANNER_WRITE_PERMISSION
from pmosync.connectors.microsoft.planner import words
from pmosync.connectors.microsoft.planner_writes import PlannerChanged, PlannerWrites, etag_of
from pmosync.connectors.paging import StopSignal
from pmosync.connectors.retry import RetryPolicy
from pmosync.store.write_ledger import WriteEntry
from pmosync.writeback.changes import (
    LABEL,
    STATUS_NOTE,
    STATUS_TASK,
    Change,
    Current,
    Refused,
    Stale,
    Written,
)


def _same(left: str | None, right: str | None) -> bool:
    return " ".join((left or "").split()) == " ".join((right or "").split())


class PlannerTarget:
    """Writes one Planner connector's changes; one ``GraphClient`` (and loop) per run."""

    def __init__(
        self,
        config: PmosyncConfig,
        name: str,
        connector: PlannerConnector,
        *,
        stop: StopSignal | None = None,
    ) -> None:
        spec = connector.writeback
        if spec is None:
            raise ValueError(f"connector {name!r} has no writeback block")
        self.connector = name
        self.spec = spec
        self.groups = list(connector.groups)
        auth = config.microsoft_auth_for(name) or connector
        self.client = GraphClient(
            auth, policy=RetryPolicy().for_run(stop), max_concurrency=connector.max_concurrency
        )
        self.graph = PlannerWrites(self.client)
        self._details: dict[str, dict[str, Any]] = {}
        """Plan id -> its details as last read or written this run."""
        self._tasks: dict[str, dict[str, Any] | None] = {}
        """Plan id -> the PMO status task (None: the bucket holds none), as last seen."""
        self._buckets: dict[str, str | None] = {}
        """Plan id -> the owned bucket's id (None: the plan has none yet)."""
        self._task_details: dict[str, dict[str, Any]] = {}
        """Task id -> its details as last read or written this run."""
        self._notes: dict[str, str] = {}
        """Plan id -> the description this run is about to write (see ``_first_note``)."""

    @property
    def requests(self) -> int:
        return self.client.requests

    def close(self) -> None:
        self.client.close()

    # -- what the tool shows ----------------------------------------------------------------

    def current(self, changes: Sequence[Change]) -> dict[str, Current]:
        """First writes (no etag yet) only: the label's name, the status task's title, its
        description as the tool shows them now; the rest are checked by If-Match."""
        found: dict[str, Current] = {}
        for change in changes:
            if change.field == STATUS_NOTE:
                self._notes[change.item_id] = change.value
            if change.etag is not None:
                continue
            found[change.key] = self.client.run(self._current(change))
        return found

    async def _current(self, change: Change) -> Current:
        plan_id = change.item_id
        if change.field == LABEL:
            details = await self._plan_details(plan_id)
            return Current(self._label_of(details), etag_of(details))
        task = await self._status_task(plan_id)
        if task is None:
            return Current(None)
        if change.field == STATUS_TASK:
            return Current(task.get("title"), etag_of(task), task["id"])
        details = await self._details_of(task["id"])
        return Current(details.get("description"), etag_of(details), task["id"])

    def confirm(self, entry: WriteEntry) -> Written | None:
        """A pending write of an earlier run: landed when the tool shows its value."""
        return self.client.run(self._confirm(entry))

    async def _confirm(self, entry: WriteEntry) -> Written | None:
        plan_id = entry.item_id
        try:
            if entry.field == LABEL:
                details = await self._plan_details(plan_id, fresh=True)
                shown, etag, ref = self._label_of(details), etag_of(details), None
            else:
                task = await self._task_by_ref(plan_id, entry.ref)
                if task is None:
                    return None
                if entry.field == STATUS_TASK:
                    shown, etag, ref = task.get("title"), etag_of(task), task["id"]
                else:
                    details = await self._details_of(task["id"], fresh=True)
                    shown, etag, ref = details.get("description"), etag_of(details), task["id"]
        except NotFound:
            return None
        return Written(ref=ref, etag=etag) if _same(shown, entry.intended) else None

    # -- writes -----------------------------------------------------------------------------

    def write(self, change: Change) -> Written:
        try:
            return self.client.run(self._write(change))
        except PlannerChanged as changed:
            raise Stale(
                f"{change.field} of plan {change.item_name!r} changed since pmosync read it "
                f"({changed})",
                self._current_of(change, changed.entity),
            ) from None

    async def _write(self, change: Change) -> Written:
        if change.field == LABEL:
            return await self._write_label(change)
        if change.field == STATUS_TASK:
            return await self._write_task(change)
        if change.field == STATUS_NOTE:
            return await self._write_note(change)
        raise Refused(f"a Planner plan has no owned field {change.field!r}")

    async def _write_label(self, change: Change) -> Written:
        plan_id = change.item_id
        etag = change.etag or etag_of(await self._plan_details(plan_id))
        if etag is None:
            raise Refused(f"plan {change.item_name!r}: its details carry no etag")
        category = self.spec.label.category  # type: ignore[union-attr]
        details = await self.graph.patch_labels(plan_id, etag, {category: change.value})
        self._details[plan_id] = details
        return Written(etag=etag_of(details))

    async def _write_task(self, change: Change) -> Written:
        plan_id = change.item_id
        categories = self._categories()
        task = None
        if change.ref is not None and change.etag is not None:
            try:
                task = await self.graph.patch_task(
                    change.ref, change.etag, title=change.value, categories=categories
                )
            except NotFound:  # deleted by a human: the bucket decides below
                self._tasks.pop(plan_id, None)
        if task is None:
            existing = await self._status_task(plan_id)
            if existing is not None:  # pmosync's own task, its row lost or first written
                task = await self.graph.patch_task(
                    existing["id"], etag_of(existing) or "", title=change.value,
                    categories=categories,
                )  # fmt: skip
            else:
                bucket = await self._bucket(plan_id, create=True)
                assert bucket is not None
                task = await self.graph.create_task(plan_id, bucket, change.value, categories)
        task = await self._first_note(plan_id, task)
        self._tasks[plan_id] = task
        return Written(ref=task["id"], etag=etag_of(task))

    async def _first_note(self, plan_id: str, task: dict[str, Any]) -> dict[str, Any]:
        """A task without a description gets this run's description now, and is read again.

        A task's first description moves the task's own etag too (it shows hasDescription):
        written after the task's row is recorded, it would leave that row's etag stale, and
        the next title write would cost a 412 and a re-read."""
        note = self._notes.get(plan_id)
        if note is None or task.get("hasDescription"):
            return task
        details = await self._details_of(task["id"], fresh=True)
        if _same(details.get("description"), note):
            return task
        written = await self.graph.patch_task_details(task["id"], etag_of(details) or "", note)
        self._task_details[task["id"]] = written
        return await self.graph.task(task["id"])

    async def _write_note(self, change: Change) -> Written:
        plan_id = change.item_id
        known = self._tasks.get(plan_id)
        ref = change.ref
        if ref is not None and change.etag is not None and (known is None or known["id"] == ref):
            try:  # the ledger's etag: one request
                details = await self.graph.patch_task_details(ref, change.etag, change.value)
            except NotFound:  # the task was deleted: the bucket's task, if any, is described
                self._tasks.pop(plan_id, None)
                ref = None
            else:
                self._task_details[ref] = details
                return Written(ref=ref, etag=etag_of(details))
        task = await self._task_by_ref(plan_id, ref)
        if task is None:
            raise Refused(f"plan {change.item_name!r} has no PMO status task to describe")
        shown = self._task_details.get(task["id"])
        if shown is not None and _same(shown.get("description"), change.value):
            return Written(ref=task["id"], etag=etag_of(shown))  # written with the task's title
        etag = change.etag if change.ref == task["id"] else None
        if etag is None:
            etag = etag_of(await self._details_of(task["id"]))
        details = await self.graph.patch_task_details(task["id"], etag or "", change.value)
        self._task_details[task["id"]] = details
        return Written(ref=task["id"], etag=etag_of(details))

    def _current_of(self, change: Change, entity: dict[str, Any]) -> Current:
        """A re-read item (after a 412) as the owned field's current value."""
        if change.field == LABEL:
            self._details[change.item_id] = entity
            return Current(self._label_of(entity), etag_of(entity))
        if change.field == STATUS_TASK:
            self._tasks[change.item_id] = entity
            return Current(entity.get("title"), etag_of(entity), entity.get("id"))
        task_id = entity.get("id") or change.ref
        if task_id:
            self._task_details[task_id] = entity
        return Current(entity.get("description"), etag_of(entity), task_id)

    # -- the owned items --------------------------------------------------------------------

    def _label_of(self, details: dict[str, Any]) -> str | None:
        category = self.spec.label.category if self.spec.label else None
        return (details.get("categoryDescriptions") or {}).get(category) if category else None

    def _categories(self) -> dict[str, bool]:
        """The owned label on the status task too, when a label is configured."""
        return {self.spec.label.category: True} if self.spec.label is not None else {}

    async def _plan_details(self, plan_id: str, *, fresh: bool = False) -> dict[str, Any]:
        if fresh or plan_id not in self._details:
            self._details[plan_id] = await self.graph.plan_details(plan_id)
        return self._details[plan_id]

    async def _details_of(self, task_id: str, *, fresh: bool = False) -> dict[str, Any]:
        if fresh or task_id not in self._task_details:
            self._task_details[task_id] = await self.graph.task_details(task_id)
        return self._task_details[task_id]

    async def _bucket(self, plan_id: str, *, create: bool = False) -> str | None:
        """The owned bucket's id (by name, case and spacing aside); made when ``create``."""
        if plan_id not in self._buckets:
            wanted = words(self.spec.status_task.bucket)  # type: ignore[union-attr]
            named = [b for b in await self.graph.buckets(plan_id) if words(b.get("name")) == wanted]
            named.sort(key=lambda b: (str(b.get("orderHint") or ""), b.get("id") or ""))
            self._buckets[plan_id] = named[0]["id"] if named else None
        if self._buckets[plan_id] is None and create:
            name = self.spec.status_task.bucket  # type: ignore[union-attr]
            self._buckets[plan_id] = (await self.graph.create_bucket(plan_id, name))["id"]
        return self._buckets[plan_id]

    async def _status_task(self, plan_id: str) -> dict[str, Any] | None:
        """The task in the owned bucket (the first by order, should a human add more)."""
        if plan_id not in self._tasks:
            bucket = await self._bucket(plan_id)
            tasks = await self.graph.bucket_tasks(bucket) if bucket is not None else []
            tasks.sort(key=lambda t: (str(t.get("orderHint") or ""), t.get("id") or ""))
            self._tasks[plan_id] = tasks[0] if tasks else None
        return self._tasks[plan_id]

    async def _task_by_ref(self, plan_id: str, ref: str | None) -> dict[str, Any] | None:
        """The status task: the one this run saw, else ``ref`` (a deleted one: the bucket's)."""
        known = self._tasks.get(plan_id)
        if known is not None:
            return known
        if ref is not None:
            try:
                task = await self.graph.task(ref)
            except NotFound:
                self._tasks.pop(plan_id, None)
            else:
                self._tasks[plan_id] = task
                return task
        return await self._status_task(plan_id)

    # -- set-up check -----------------------------------------------------------------------

    def probe(self) -> list[str]:
        """One line for a missing write permission, one per group or plan out of reach;
        nothing is written (the permission is asked with an If-Match no plan has)."""
        return self.client.run(self._probe())

    async def _probe(self) -> list[str]:
        problems: list[str] = []
        plans: list[dict[str, Any]] = []
        for group in self.groups:
            try:
                plans += await self.graph.group_plans(group)
            except ConnectorError as error:
                problems.append(f"{self.connector}: the plans of group {group} cannot be read: "
                                f"{error}")  # fmt: skip
                if error.fatal_for_connector:
                    return problems
        for plan in plans:
            try:
                await self.graph.plan_details(plan["id"])
            except ConnectorError as error:
                title = plan.get("title") or plan["id"]
                problems.append(f"{self.connector}: plan {title!r} cannot be read: {error}")
        if plans and not await self.graph.may_write(plans[0]["id"]):
            problems.append(
                f"{self.connector}: write-back needs the {PLANNER_WRITE_PERMISSION} application "
                "permission (with admin consent); the app may only read Planner"
            )
        return problems
