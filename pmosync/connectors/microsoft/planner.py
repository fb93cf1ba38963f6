"""The Planner streams: plans of the configured groups, buckets, tasks, and the people behind
assignments.

Planner v1.0 has no delta query, so every sync lists each plan's tasks (one cheap request per
server page) and compares each task's ``@odata.etag`` with the one recorded in the checkpoint:
only new and changed tasks go to mapping. A task's description and checklist live in its
details, whose own etag moves when they are edited while the task's does not; so with
``task_details`` a sync reads the details of new and changed tasks (20 per ``$batch``), and once
per ``details_refresh_hours`` every listed task's, and a task is changed when either etag moved.
A complete listing is also what retires: a task missing from its plan's listing, a plan missing
from its group's, a bucket missing from its plan's. A listing that failed (a 403 on one group, a
plan deleted mid-run) retires nothing.

Each task record handed to mapping is ``{"task": <Graph task>, "details": <task details or
null>, "categoryDescriptions": <its plan's labels>}``, with ``"raid": true`` for a task of the
RAID bucket or carrying a RAID label (``raid_tasks``): mapping stays a pure function of the
record, even when a quarantined task is re-mapped on its own later. Work tasks and RAID tasks
are reconciled apart ("tasks" and "raid_tasks"), so a task moved across changes sides.

What a ``writeback:`` block owns (``owned``: the status bucket and its tasks, the owned label
slot) is dropped from every listing before anything reads it: pmosync's writes never come
back as the team's tasks, phases, tags, RAG or RAID items, and renaming the owned label does
not re-map the plan's tasks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pmosync.config.connectors import PlannerConnector
from pmosync.connectors.base import Page, Reconcile
from pmosync.connectors.errors import (
    ConnectorError,
    InvalidRequest,
    NotFound,
    PermissionDenied,
)
from pmosync.connectors.microsoft.graph import BatchAnswer, GraphClient, classify, gather
from pmosync.connectors.microsoft.lists import read_list
from pmosync.connectors.microsoft.owned import Owned
from pmosync.connectors.microsoft.raid_tasks import is_raid_task, raid_bucket_ids, raid_marker

USER_FIELDS = "id,displayName,mail,userPrincipalName"
GROUP_FIELDS = "id,displayName,description,mail,groupTypes"


def _short_etag(etag: str | None) -> str:
    """A checkpoint needs to know *whether* an etag changed, not the etag: 8 bytes do."""
    return hashlib.blake2b((etag or "").encode(), digest_size=8).hexdigest()


def _version(task: str, details: str | None) -> str:
    """What says a task changed: its etag's digest, and its details' when those were read (an
    edit of only the description or checklist moves the latter alone)."""
    return task if details is None else _short_etag(f"{task}|{details}")


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _people_of(task: Mapping[str, Any]) -> set[str]:
    """Every user a task mentions: assignees, creator, completer."""
    ids = set((task.get("assignments") or {}).keys())
    for key in ("createdBy", "completedBy"):
        user = ((task.get(key) or {}).get("user") or {}).get("id")
        if user:
            ids.add(user)
    return ids


def words(text: Any) -> str:
    """A name as plans, buckets and list columns are matched by: case and spacing aside."""
    return " ".join(str(text or "").split()).casefold()


def select_status_tasks(kind: str, name: str, tasks: list[dict], buckets: list[dict]) -> list[dict]:
    """The tasks a rag source names: titled ``name`` (label), titled starting with ``name``
    (task), or in the bucket named ``name`` (bucket); case and spacing do not matter."""
    wanted = words(name)
    if kind == "label":
        return [t for t in tasks if words(t.get("title")) == wanted]
    if kind == "task":
        return [t for t in tasks if words(t.get("title")).startswith(wanted)]
    bucket_ids = {b.get("id") for b in buckets if words(b.get("name")) == wanted}
    return [t for t in tasks if t.get("bucketId") in bucket_ids]


class PlannerRun:
    """What the streams of one run share: the client, the plans found, the people seen."""

    def __init__(self, config: PlannerConnector, client: GraphClient) -> None:
        self.config = config
        self.client = client
        self.plans: dict[str, dict[str, Any]] = {}
        """Plan id -> its plan details (``categoryDescriptions``), from the plans stream."""
        self.plans_complete = False
        self.people: set[str] = set()
        self.warnings: list[str] = []
        self.titles: dict[str, str] = {}
        """Plan id -> title: what a status or RAID list item's project column is matched
        against (``plans_by_title``)."""
        self.listed_tasks: dict[str, list[dict[str, Any]]] = {}
        """Plan id -> its tasks as the plans stream listed them for the rag source, handed
        to the tasks stream so one sync lists each plan's tasks once."""
        self.listed_buckets: dict[str, list[dict[str, Any]]] = {}
        self.raid_buckets: dict[str, set[str]] = {}
        """Plan id -> ids of its RAID bucket(s), from the buckets stream (with raid.bucket)."""
        self.owned = Owned(config.writeback)
        """What write-back owns in every plan: never read as the team's."""
        self.owned_buckets: dict[str, set[str]] = {}
        """Plan id -> ids of its status bucket(s) (write-back's), from the buckets stream."""

    def page(self, kind: str, records: list[dict[str, Any]], **extra: Any) -> Page:
        return Page(kind, records, requests=self.client.take_requests(), **extra)

    def plans_by_title(self) -> dict[str, list[str]]:
        """Title (``words``) -> ids of the plans so titled: several when plans share one."""
        found: dict[str, list[str]] = {}
        for plan_id, title in self.titles.items():
            found.setdefault(words(title), []).append(plan_id)
        return found

    def skip(self, what: str, error: ConnectorError) -> None:
        self.warnings.append(f"{what} skipped: {error}")

    async def windowed(self, items: list[str], work) -> list[tuple[str, Any]]:
        """``work(item)`` for every item, ``max_concurrency`` at a time, in item order."""
        return list(zip(items, await gather(*(work(item) for item in items)), strict=True))

    def windows(self, items: list[str]) -> Iterator[list[str]]:
        size = max(1, self.config.max_concurrency)
        for start in range(0, len(items), size):
            yield items[start : start + size]


class PlansStream:
    """Each configured group, its plans and their details (category labels)."""

    name = "plans"

    def __init__(self, run: PlannerRun) -> None:
        self.run = run

    def pages(self, state: Mapping[str, Any] | None, *, full: bool) -> Iterator[Page]:
        run, client = self.run, self.run.client
        complete, plan_ids = True, set()
        missing: list[str] = []
        for group_id in run.config.groups:
            try:
                group, plans, details = client.run(self._group(group_id))
            except (NotFound, PermissionDenied, InvalidRequest) as error:
                run.skip(f"group {group_id}", error)
                complete = False
                continue
            yield run.page("groups", [group])
            status = self._status_tasks(plans)
            records = []
            for plan in plans:
                answer = details.get(plan["id"])
                unread = "details" if answer is None or answer.status != 200 else None
                if isinstance(status.get(plan["id"]), ConnectorError):
                    unread = "tasks (for its rag source)"
                if unread is not None:
                    complete = False
                    run.warnings.append(f"plan {plan['id']}: its {unread} could not be read")
                    continue
                plan_details = run.owned.plan_details(answer.body)
                run.plans[plan["id"]] = plan_details
                run.titles[plan["id"]] = plan.get("title") or ""
                plan_ids.add(plan["id"])
                record = {**plan, "details": plan_details, "group": group}
                if plan["id"] in status:
                    record["statusTasks"] = status[plan["id"]]
                    if not status[plan["id"]]:
                        missing.append(plan.get("title") or plan["id"])
                records.append(record)
            yield run.page("plans", records)
        self._warn_missing(missing)
        run.plans_complete = complete
        if complete:
            reconcile = [
                Reconcile("groups", None, frozenset(run.config.groups)),
                Reconcile("plans", None, frozenset(plan_ids)),
            ]
            yield run.page("plans", [], reconcile=reconcile)

    def _status_tasks(self, plans: list[dict]) -> dict[str, list[dict] | ConnectorError]:
        """Per plan, the tasks its rag source names (label or task: by title; bucket: the
        status bucket's tasks), in Planner's order (``orderHint``); nothing without a rag
        source of those kinds. The listings are kept for the tasks and buckets streams.
        Write-back's own status tasks and label are never the rag source's."""
        run = self.run
        source = run.config.rag_source
        if source is None or source.kind == "list":
            return {}
        found: dict[str, list[dict] | ConnectorError] = {}
        ids = [p["id"] for p in plans]
        for window in run.windows(ids):
            for plan_id, (tasks, buckets, error) in run.client.run(
                run.windowed(window, self._listings)
            ):
                if error is not None:
                    found[plan_id] = error
                    continue
                run.listed_tasks[plan_id] = tasks
                if buckets is not None:
                    run.listed_buckets[plan_id] = buckets
                team = run.owned.team_tasks(tasks, run.owned.bucket_ids(buckets or []))
                found[plan_id] = sorted(
                    select_status_tasks(source.kind, getattr(source, source.kind), team,
                                        buckets or []),
                    key=lambda t: (str(t.get("orderHint") or ""), t.get("id") or ""),
                )  # fmt: skip
        return found

    async def _listings(self, plan_id: str) -> tuple[list[dict], list[dict] | None, Any]:
        client = self.run.client
        plan = client.sdk.planner.plans.by_planner_plan_id(plan_id)
        try:
            tasks = await client.collect(plan.tasks.to_get_request_information())
            buckets = None
            source = self.run.config.rag_source
            if (source and source.kind == "bucket") or self.run.owned.bucket is not None:
                buckets = await client.collect(plan.buckets.to_get_request_information())
        except NotFound as error:
            return [], None, error
        return tasks, buckets, None

    def _warn_missing(self, missing: list[str]) -> None:
        """One line naming the plans that lack what the rag source names."""
        source = self.run.config.rag_source
        if source is None or not missing:
            return
        what = {"label": "status task", "task": "task titled", "bucket": "bucket"}[source.kind]
        shown = ", ".join(repr(title) for title in sorted(missing)[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        self.run.warnings.append(
            f"rag_source {source.kind}: no {what} {getattr(source, source.kind)!r} in plan(s) "
            f"{shown}{more}; they have no reported RAG"
        )

    async def _group(self, group_id: str) -> tuple[dict, list[dict], dict[str, BatchAnswer]]:
        client = self.run.client
        group = await client.get(f"groups/{group_id}?$select={GROUP_FIELDS}")
        if "Unified" not in (group.get("groupTypes") or []):
            # A security group or distribution list may carry the team's very name; only a
            # Microsoft 365 group has plans.
            raise InvalidRequest(
                f"'{group.get('displayName')}' is not a Microsoft 365 group (a security group "
                "or distribution list has no plans); configure the Microsoft 365 group's id"
            )
        plans = await client.collect(
            client.sdk.groups.by_group_id(group_id).planner.plans.to_get_request_information()
        )
        details = await client.batch({p["id"]: f"planner/plans/{p['id']}/details" for p in plans})
        return group, plans, details


class BucketsStream:
    """Each plan's buckets (phases)."""

    name = "buckets"

    def __init__(self, run: PlannerRun) -> None:
        self.run = run

    def pages(self, state: Mapping[str, Any] | None, *, full: bool) -> Iterator[Page]:
        run, client = self.run, self.run.client
        for window in run.windows(sorted(run.plans)):
            answers = client.run(run.windowed(window, self._buckets))
            for plan_id, (buckets, error) in answers:
                if error is not None:
                    run.skip(f"buckets of plan {plan_id}", error)
                    continue
                run.owned_buckets[plan_id] = run.owned.bucket_ids(buckets)
                buckets = run.owned.team_buckets(buckets)
                run.raid_buckets[plan_id] = raid_bucket_ids(run.config.raid, buckets)
                present = frozenset(b["id"] for b in buckets)
                yield run.page(
                    "buckets", buckets, reconcile=[Reconcile("buckets", plan_id, present)]
                )

    async def _buckets(self, plan_id: str) -> tuple[list[dict], ConnectorError | None]:
        listed = self.run.listed_buckets.pop(plan_id, None)
        if listed is not None:
            return listed, None
        client = self.run.client
        builder = client.sdk.planner.plans.by_planner_plan_id(plan_id).buckets
        try:
            return await client.collect(builder.to_get_request_information()), None
        except NotFound as error:
            return [], error


class TasksStream:
    """Each plan's tasks; only new and changed ones (by etag) go on to mapping."""

    name = "tasks"

    def __init__(self, run: PlannerRun) -> None:
        self.run = run

    def pages(self, state: Mapping[str, Any] | None, *, full: bool) -> Iterator[Page]:
        run, client = self.run, self.run.client
        known: dict[str, Any] = {} if full or not state else dict(state.get("plans") or {})
        earlier = None if full or not state else state.get("details_swept_at")
        sweep = self._sweep_due(earlier, known)
        # A sweep counts once the last page is written: a sync stopped half-way sweeps again.
        swept_at = datetime.now(UTC).isoformat() if sweep else earlier
        seen: dict[str, Any] = {}
        assignments: set[str] = set()
        complete = run.plans_complete
        for window in run.windows(sorted(run.plans)):
            listed = client.run(run.windowed(window, self._list))
            for plan_id, (tasks, error) in listed:
                if error is not None:
                    run.skip(f"tasks of plan {plan_id}", error)
                    complete = False
                    if plan_id in known:
                        seen[plan_id] = known[plan_id]
                    continue
                raid = run.config.raid
                if raid is not None and raid.bucket is not None and plan_id not in run.raid_buckets:
                    # which tasks are RAID is unknown: keep what is stored, as for a failure
                    run.warnings.append(
                        f"tasks of plan {plan_id} skipped: its buckets (the RAID bucket's "
                        "tasks) could not be read"
                    )
                    complete = False
                    if plan_id in known:
                        seen[plan_id] = known[plan_id]
                    continue
                if run.owned.bucket is not None and plan_id not in run.owned_buckets:
                    # which tasks are write-back's own is unknown: keep what is stored
                    run.warnings.append(
                        f"tasks of plan {plan_id} skipped: its buckets (write-back's status "
                        "bucket) could not be read"
                    )
                    complete = False
                    if plan_id in known:
                        seen[plan_id] = known[plan_id]
                    continue
                tasks = run.owned.team_tasks(tasks, run.owned_buckets.get(plan_id, set()))
                categories = run.plans[plan_id].get("categoryDescriptions") or {}
                raid_ids = run.raid_buckets.get(plan_id, set())
                markers = [m for m in (raid_marker(raid, raid_ids), run.owned.marker) if m]
                labelled = _digest([categories, *markers] if markers else categories)
                previous = known.get(plan_id) or {}
                if previous.get("categories") != labelled:
                    previous = {}  # relabelled categories: every task's tags change
                own = {t["id"]: _short_etag(t.get("@odata.etag")) for t in tasks}
                before_own = previous.get("tasks") or {}
                moved = [t for t in tasks if before_own.get(t["id"]) != own[t["id"]]]
                reading = tasks if sweep else moved
                details = client.run(self._details(reading))
                kept = previous.get("details") or {}
                details_tags = {
                    t["id"]: _short_etag(details[t["id"]].get("@odata.etag"))
                    if t["id"] in details
                    else kept.get(t["id"])
                    for t in tasks
                }
                etags = {t["id"]: _version(own[t["id"]], details_tags[t["id"]]) for t in tasks}
                before = previous.get("etags") or {}
                changed = [t for t in tasks if before.get(t["id"]) != etags[t["id"]]]
                raid_tasks = {t["id"] for t in tasks if is_raid_task(raid, t, categories, raid_ids)}
                for task in tasks:
                    if task["id"] in raid_tasks:
                        continue  # a RAID item has an owner, not assignments
                    assignments.update(f"{task['id']}:{u}" for u in task.get("assignments") or {})
                for task in changed:
                    run.people |= _people_of(task)
                records = [
                    {
                        "task": task,
                        "details": details.get(task["id"]),
                        "categoryDescriptions": categories,
                        **({"raid": True} if task["id"] in raid_tasks else {}),
                    }
                    for task in changed
                ]
                seen[plan_id] = {"categories": labelled, "etags": etags, "tasks": own}
                if self.run.config.task_details:
                    seen[plan_id]["details"] = details_tags
                yield run.page(
                    "tasks",
                    records,
                    state={"plans": {**known, **seen}, "details_swept_at": earlier},
                    reconcile=[
                        Reconcile("tasks", plan_id, frozenset(etags) - raid_tasks),
                        Reconcile("raid_tasks", plan_id, frozenset(raid_tasks)),
                    ],
                )
        final = [Reconcile("assignments", None, frozenset(assignments))] if complete else []
        state = {"plans": seen, "details_swept_at": swept_at}
        yield run.page("tasks", [], state=state, reconcile=final)

    def _sweep_due(self, swept_at: str | None, known: Mapping[str, Any]) -> bool:
        """Whether this sync reads every task's details: the first sync (or ``--full``), a
        checkpoint from before details were kept per task, or the last sweep more than
        ``details_refresh_hours`` ago. Between sweeps only new and changed tasks' details are
        read: an edit of only the details waits for the next sweep."""
        config = self.run.config
        if not config.task_details:
            return False
        if swept_at is None or any("details" not in plan for plan in known.values()):
            return True
        try:
            last = datetime.fromisoformat(swept_at)
        except (TypeError, ValueError):
            return True
        return datetime.now(UTC) - last >= timedelta(hours=config.details_refresh_hours)

    async def _list(self, plan_id: str) -> tuple[list[dict], ConnectorError | None]:
        listed = self.run.listed_tasks.pop(plan_id, None)
        if listed is not None:
            return listed, None
        client = self.run.client
        builder = client.sdk.planner.plans.by_planner_plan_id(plan_id).tasks
        try:
            return await client.collect(builder.to_get_request_information()), None
        except NotFound as error:
            return [], error

    async def _details(self, tasks: list[dict]) -> dict[str, dict]:
        if not self.run.config.task_details or not tasks:
            return {}
        answers = await self.run.client.batch(
            {t["id"]: f"planner/tasks/{t['id']}/details" for t in tasks}
        )
        details = {}
        for task_id, answer in answers.items():
            if answer.status == 200:
                details[task_id] = answer.body
            elif answer.status != 404:  # a task deleted since the listing has no details
                raise classify(
                    answer.status,
                    answer.body,
                    "GET",
                    f"/planner/tasks/{task_id}/details",
                    self.run.client.scrub,
                )
        return details


class StatusListStream:
    """The rag source's status list: every item, with the plans its project column names.

    The list is read in full on every sync (a PMO's status list holds a few items per project
    and week), so an item deleted there retires its status update. The author of each item's
    last change joins the people resolved by the users stream."""

    name = "status_items"

    def __init__(self, run: PlannerRun) -> None:
        self.run = run

    def pages(self, state: Mapping[str, Any] | None, *, full: bool) -> Iterator[Page]:
        run = self.run
        source = run.config.rag_source
        if source is None or source.list is None:
            return
        wanted = source.list
        try:
            read = run.client.run(read_list(run.client, wanted.site, wanted.list))
        except (NotFound, PermissionDenied, InvalidRequest) as error:
            run.skip(f"rag_source list {wanted.list!r}", error)
            return
        by_title = run.plans_by_title()
        column = wanted.columns.get("project", "Project")
        records = []
        for item in read.items:
            fields = item.get("fields") if isinstance(item.get("fields"), Mapping) else {}
            author = ((item.get("lastModifiedBy") or {}).get("user") or {}).get("id")
            if isinstance(author, str) and author:
                run.people.add(author)
            records.append(
                {
                    "item": item,
                    "list": read.name,
                    "listId": read.id,
                    "planIds": sorted(by_title.get(words(fields.get(column)), [])),
                }
            )
        present = frozenset(f"{read.id}:{item.get('id')}" for item in read.items)
        reconcile = [Reconcile("status_items", None, present)] if run.plans_complete else []
        yield run.page("status_items", records, reconcile=reconcile)


class UsersStream:
    """The people behind assignments, resolved to name and email 20 per ``$batch``."""

    name = "users"

    def __init__(self, run: PlannerRun) -> None:
        self.run = run

    def pages(self, state: Mapping[str, Any] | None, *, full: bool) -> Iterator[Page]:
        run = self.run
        known = set() if full or not state else set(state.get("known") or ())
        wanted = sorted(run.people - known)
        answers = run.client.run(
            run.client.batch({u: f"users/{u}?$select={USER_FIELDS}" for u in wanted})
        )
        records = []
        for user_id in wanted:
            answer = answers[user_id]
            if answer.status == 200:
                records.append(answer.body)
            elif answer.status == 404:  # an account deleted since it was assigned
                records.append({"id": user_id, "displayName": None, "mail": None})
            else:
                raise classify(
                    answer.status, answer.body, "GET", f"/users/{user_id}", run.client.scrub
                )
        yield run.page("users", records, state={"known": sorted(known | set(wanted))})
