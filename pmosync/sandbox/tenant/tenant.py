"""The tenant: every record by id, one lock, lookups and the mutations the emulator applies.

Readers (the Graph emulator's handler threads) hold ``lock`` while they look at the data so a
response never sees a half-applied change; every mutation takes the same (re-entrant) lock and
bumps ``version`` on what it touched, which is what the emulator turns into ``@odata.etag`` /
``eTag`` / ``cTag``. Planner does not bump a plan's etag when its tasks or buckets change, so
neither do we.

Mutate through the methods, not by writing the dicts: they keep the per-plan task index (so a
page of plan tasks costs O(page), not O(all tasks)) and the timesheet ground truth consistent.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from pmosync.sandbox.org.clock import MutationClock
from pmosync.sandbox.tenant.columns import ListValueError, typed_fields
from pmosync.sandbox.tenant.ids import IdFactory
from pmosync.sandbox.tenant.model import (
    Bucket,
    Channel,
    ChecklistItem,
    Drive,
    DriveItem,
    Group,
    ItemMeta,
    ListColumn,
    Plan,
    PlannerTask,
    SentMail,
    SharePointList,
    Site,
    Timesheet,
    TimesheetRow,
    User,
)
from pmosync.sandbox.tenant.workbooks import TIMESHEET_SHEET, render_timesheet

TASK_FIELDS = frozenset(
    {
        "title",
        "bucket_id",
        "order_hint",
        "percent_complete",
        "priority",
        "start_at",
        "due_at",
        "assignee_ids",
        "applied_categories",
        "description",
        "checklist",
        "preview_type",
        "assignee_priority",
        "conversation_thread_id",
        "completed_by",
    }
)
"""What ``add_task``/``edit_task`` accept (``add_task`` also takes ``created_by``)."""

USER_LIST = "User Information List"
USER_LOOKUP_START = 7
"""SharePoint's first lookup ids go to system accounts; people start a little later."""
_CATEGORY = re.compile(r"category([1-9]|1\d|2[0-5])")
DETAILS_FIELDS = ("description", "checklist", "preview_type")
"""Task fields kept in the task's details (their own etag)."""
PREVIEW_TYPES = ("automatic", "noPreview", "checklist", "description", "reference")
_BAD_NAME = re.compile(r'["*:<>?/\\|]')
CONFLICT_BEHAVIOURS = ("replace", "fail", "rename")


class Tenant:
    """A Microsoft 365 tenant's worth of data plus the mutation API the emulator drives."""

    def __init__(
        self,
        today: date,
        *,
        seed: int = 0,
        tenant_id: str | None = None,
        domain: str = "contoso.example",
    ) -> None:
        self.ids = IdFactory(seed)
        self.tenant_id = tenant_id or self.ids.guid()
        self.today = today
        self.domain = domain
        self.planner_zone = "UTC"
        """The IANA zone the plans are used in: Planner stores a picked date as midnight there,
        in UTC (``2026-11-23T23:00:00Z`` is 24 November in Europe/Paris)."""
        self.users: dict[str, User] = {}
        self.groups: dict[str, Group] = {}
        self.channels: dict[str, Channel] = {}
        self.plans: dict[str, Plan] = {}
        self.buckets: dict[str, Bucket] = {}
        self.tasks: dict[str, PlannerTask] = {}
        self.sites: dict[str, Site] = {}
        self.drives: dict[str, Drive] = {}
        self.items: dict[str, DriveItem] = {}
        self.timesheets: dict[str, Timesheet] = {}
        self.lists: dict[str, SharePointList] = {}
        self.sent_mail: list[SentMail] = []
        self.lock = threading.RLock()
        self._plan_tasks: dict[str, dict[str, None]] = {}
        self._hints = 0
        self._clock: MutationClock | None = None

    # -- clock and ids -----------------------------------------------------------------------

    def now(self) -> datetime:
        """The timestamp of a mutation: after everything generated, strictly increasing."""
        if self._clock is None:
            self._clock = MutationClock(datetime.combine(self.today, time(), UTC))
        return self._clock.now()

    def next_order_hint(self) -> str:
        """An opaque, increasing Planner ``orderHint`` (real ones are digit strings too)."""
        with self.lock:
            self._hints += 1
            return f"8585{self._hints:015d}"

    # -- building (the generator uses these; they index what they add) -----------------------

    def insert_task(self, task: PlannerTask) -> None:
        """Add a fully formed task (generation) and index it under its plan."""
        with self.lock:
            if task.plan_id not in self.plans:
                raise KeyError(f"plan {task.plan_id} not found")
            self.tasks[task.id] = task
            self._plan_tasks.setdefault(task.plan_id, {})[task.id] = None

    def insert_item(self, item: DriveItem) -> DriveItem:
        """Add a fully formed drive item (generation); no name-conflict handling."""
        with self.lock:
            self.items[item.id] = item
            return item

    # -- lookups -----------------------------------------------------------------------------

    def user(self, key: str) -> User:
        """A user by id, mail or user principal name (case-insensitive), as ``/users/{key}``."""
        with self.lock:
            found = self.users.get(key)
            if found is not None:
                return found
            folded = key.casefold()
            for user in self.users.values():
                if folded in (
                    user.id.casefold(),
                    (user.mail or "").casefold(),
                    user.user_principal_name.casefold(),
                ):
                    return user
            raise KeyError(f"user {key!r} not found")

    def site_by_path(self, hostname: str, path: str) -> Site:
        """A site by host and server-relative path (``/sites/pmo``; slashes and case ignored)."""
        wanted = (hostname.casefold(), "/" + path.strip("/").casefold())
        with self.lock:
            for site in self.sites.values():
                if (site.hostname.casefold(), site.path.rstrip("/").casefold()) == wanted:
                    return site
            raise KeyError(f"site {hostname}:{path} not found")

    def drive_root(self, drive_id: str) -> DriveItem:
        with self.lock:
            try:
                return self.items[self.drives[drive_id].root_id]
            except KeyError:
                raise KeyError(f"drive {drive_id} not found") from None

    def children(self, item_id: str) -> list[DriveItem]:
        """The items directly in a folder, sorted by name (case-insensitive, then exact)."""
        with self.lock:
            if item_id not in self.items:
                raise KeyError(f"item {item_id} not found")
            found = [i for i in self.items.values() if i.parent_id == item_id]
            return sorted(found, key=lambda i: (i.name.casefold(), i.name))

    def child_named(self, parent_id: str, name: str) -> DriveItem | None:
        """A folder's child with this name; SharePoint names are case-insensitive."""
        folded = name.casefold()
        with self.lock:
            for item in self.items.values():
                if item.parent_id == parent_id and item.name.casefold() == folded:
                    return item
            return None

    def item_by_path(self, drive_id: str, path: str) -> DriveItem | None:
        """The item at ``a/b/c.xlsx`` below the drive root ("" or "/" is the root); None if
        absent. Paths are matched case-insensitively, segment by segment."""
        with self.lock:
            item: DriveItem | None = self.drive_root(drive_id)
            for segment in (s for s in path.split("/") if s):
                if item is None or not item.is_folder:
                    return None
                item = self.child_named(item.id, segment)
            return item

    def item_path(self, item_id: str) -> str:
        """``/Timesheets/Timesheet 2026-W47.xlsx``: the path from the drive root ("/" itself)."""
        with self.lock:
            names: list[str] = []
            item = self.items[item_id]
            while item.parent_id is not None:
                names.append(item.name)
                item = self.items[item.parent_id]
            return "/" + "/".join(reversed(names))

    def plan_tasks(self, plan_id: str) -> list[PlannerTask]:
        """A plan's tasks in creation order (stable for paging: new tasks come last)."""
        with self.lock:
            if plan_id not in self.plans:
                raise KeyError(f"plan {plan_id} not found")
            return [self.tasks[t] for t in self._plan_tasks.get(plan_id, {})]

    def plan_buckets(self, plan_id: str) -> list[Bucket]:
        """A plan's buckets in creation order."""
        with self.lock:
            if plan_id not in self.plans:
                raise KeyError(f"plan {plan_id} not found")
            return [b for b in self.buckets.values() if b.plan_id == plan_id]

    def bucket_tasks(self, bucket_id: str) -> list[PlannerTask]:
        """A bucket's tasks in creation order."""
        with self.lock:
            bucket = self.buckets.get(bucket_id)
            if bucket is None:
                raise KeyError(f"bucket {bucket_id} not found")
            return [t for t in self.plan_tasks(bucket.plan_id) if t.bucket_id == bucket_id]

    def group_plans(self, group_id: str) -> list[Plan]:
        """The plans a group owns, in creation order."""
        with self.lock:
            if group_id not in self.groups:
                raise KeyError(f"group {group_id} not found")
            return [p for p in self.plans.values() if p.group_id == group_id]

    def team_channels(self, team_id: str) -> list[Channel]:
        with self.lock:
            group = self.groups.get(team_id)
            if group is None or not group.is_team:
                raise KeyError(f"team {team_id} not found")
            return [c for c in self.channels.values() if c.team_id == team_id]

    def site_list(self, site_id: str, key: str) -> SharePointList:
        """A site's list by id or display name (case-insensitive), as Graph addresses lists."""
        with self.lock:
            for sp_list in self.lists.values():
                if sp_list.site_id == site_id and (
                    sp_list.id == key or sp_list.display_name.casefold() == key.casefold()
                ):
                    return sp_list
            raise KeyError(f"list {key!r} not found in site {site_id}")

    # -- Planner mutations -------------------------------------------------------------------

    def _task(self, task_id: str) -> PlannerTask:
        try:
            return self.tasks[task_id]
        except KeyError:
            raise KeyError(f"task {task_id} not found") from None

    def _checked(self, plan_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Validate and normalise task fields; raises ValueError/KeyError naming the field."""
        unknown = set(fields) - TASK_FIELDS
        if unknown:
            raise ValueError(f"cannot set task fields {sorted(unknown)}")
        out = dict(fields)
        bucket_id = out.get("bucket_id")
        if bucket_id is not None:
            bucket = self.buckets.get(bucket_id)
            if bucket is None or bucket.plan_id != plan_id:
                raise ValueError(f"bucket {bucket_id} is not in plan {plan_id}")
        if "title" in out and (not isinstance(out["title"], str) or not out["title"].strip()):
            raise ValueError("title must be a non-empty string")
        for key, top in (("percent_complete", 100), ("priority", 10)):
            if key in out:
                value = out[key]
                if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
                    raise ValueError(f"{key} must be an integer 0..{top}")
        for key in ("start_at", "due_at"):
            value = out.get(key)
            if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
                raise ValueError(f"{key} must be an aware datetime or None")
        for user_id in [*out.get("assignee_ids", ()), out.get("completed_by")]:
            if user_id is not None and user_id not in self.users:
                raise KeyError(f"user {user_id} not found")
        if "assignee_ids" in out:
            out["assignee_ids"] = list(dict.fromkeys(out["assignee_ids"]))
        if "applied_categories" in out:
            categories = list(dict.fromkeys(out["applied_categories"]))
            bad = [c for c in categories if not _CATEGORY.fullmatch(c)]
            if bad:
                raise ValueError(f"not Planner categories (category1..category25): {bad}")
            out["applied_categories"] = categories
        if "checklist" in out:
            out["checklist"] = [self._checklist_item(c) for c in out["checklist"]]
        if "preview_type" in out and out["preview_type"] not in PREVIEW_TYPES:
            raise ValueError(f"preview_type must be one of {PREVIEW_TYPES}")
        return out

    def _checklist_item(self, entry: ChecklistItem | str | Mapping[str, Any]) -> ChecklistItem:
        if isinstance(entry, ChecklistItem):
            return entry
        if isinstance(entry, str):
            return ChecklistItem(self.ids.guid(), entry)
        return ChecklistItem(
            str(entry.get("id") or self.ids.guid()),
            str(entry["title"]),
            bool(entry.get("is_checked", False)),
        )

    def add_task(self, plan_id: str, title: str, **fields: Any) -> str:
        """Create a task (Graph: POST /planner/tasks); ``created_by`` defaults to the plan's
        creator. A task created at 100 % is completed now by ``completed_by`` or its creator."""
        with self.lock:
            plan = self.plans.get(plan_id)
            if plan is None:
                raise KeyError(f"plan {plan_id} not found")
            created_by = fields.pop("created_by", None) or plan.created_by
            values = self._checked(plan_id, {"title": title, **fields})
            at = self.now()
            task = PlannerTask(
                id=self.ids.planner(),
                plan_id=plan_id,
                bucket_id=values.pop("bucket_id", None),
                title=values.pop("title"),
                order_hint=values.pop("order_hint", None) or self.next_order_hint(),
                created_by=created_by,
                created_at=at,
            )
            completed_by = values.pop("completed_by", None)
            for key, value in values.items():
                setattr(task, key, value)
            if task.percent_complete == 100:
                task.completed_at = at
                task.completed_by = completed_by or created_by
            self.insert_task(task)
            return task.id

    def edit_task(self, task_id: str, *, touch: str | None = None, **fields: Any) -> PlannerTask:
        """Change task fields (Graph: PATCH /planner/tasks/{id} and its /details), as a person
        editing the task in Planner would (title, categories, description...).

        ``version`` (the task etag) moves when anything the task resource shows changes,
        including hasDescription and the checklist counts; ``details_version`` moves when the
        description or checklist changes. Reaching 100 % stamps completion; leaving it clears it.
        ``touch`` "task" or "details" moves that etag even when nothing changed: an accepted
        API write always gives the item a new version.
        """
        with self.lock:
            task = self._task(task_id)
            values = self._checked(task.plan_id, fields)
            completed_by = values.pop("completed_by", None)
            shown_before = _details_summary(task)
            changed = details_changed = False
            for key, value in values.items():
                if getattr(task, key) != value:
                    setattr(task, key, value)
                    changed = changed or key not in DETAILS_FIELDS
                    details_changed = details_changed or key in DETAILS_FIELDS
            if task.percent_complete == 100 and task.completed_at is None:
                task.completed_at = self.now()
                task.completed_by = completed_by or (task.assignee_ids or [task.created_by])[0]
                changed = True
            elif task.percent_complete < 100 and task.completed_at is not None:
                task.completed_at = task.completed_by = None
                changed = True
            if details_changed or touch == "details":
                task.details_version += 1
                changed = changed or _details_summary(task) != shown_before
            if changed or touch == "task":
                task.version += 1
            return task

    def add_bucket(self, plan_id: str, name: str, order_hint: str | None = None) -> str:
        """Create a bucket in a plan (Graph: POST /planner/buckets); it lists after the
        plan's others unless ``order_hint`` says otherwise."""
        with self.lock:
            if plan_id not in self.plans:
                raise KeyError(f"plan {plan_id} not found")
            if not isinstance(name, str) or not name.strip():
                raise ValueError("a bucket needs a name")
            bucket = Bucket(self.ids.planner(), name, plan_id, order_hint or self.next_order_hint())
            self.buckets[bucket.id] = bucket
            return bucket.id

    def label_categories(
        self, plan_id: str, labels: Mapping[str, str | None], *, touch: bool = False
    ) -> Plan:
        """Name (or, with None, unname) a plan's categories, as a person does in Planner's
        label picker (Graph: PATCH /planner/plans/{id}/details with categoryDescriptions).

        Only the given categories change; the plan details' etag moves when any label did,
        the plan's own etag never (labels live in its details); ``touch`` moves it even when
        nothing changed, as an accepted API write does."""
        with self.lock:
            plan = self.plans.get(plan_id)
            if plan is None:
                raise KeyError(f"plan {plan_id} not found")
            bad = [key for key in labels if not _CATEGORY.fullmatch(key)]
            if bad:
                raise ValueError(f"not Planner categories (category1..category25): {bad}")
            for key, label in labels.items():
                if label is not None and not isinstance(label, str):
                    raise ValueError(f"the label of {key} must be text or None")
            current = dict(plan.category_descriptions)
            for key, label in labels.items():
                if label is None:
                    current.pop(key, None)
                else:
                    current[key] = label
            if current != plan.category_descriptions or touch:
                plan.category_descriptions = current
                plan.details_version += 1
            return plan

    def delete_task(self, task_id: str) -> None:
        with self.lock:
            task = self._task(task_id)
            del self.tasks[task_id]
            self._plan_tasks.get(task.plan_id, {}).pop(task_id, None)

    def delete_plan(self, plan_id: str) -> None:
        """Delete a plan with its buckets and tasks (Graph: DELETE /planner/plans/{id})."""
        with self.lock:
            if plan_id not in self.plans:
                raise KeyError(f"plan {plan_id} not found")
            for task_id in self._plan_tasks.pop(plan_id, {}):
                del self.tasks[task_id]
            for bucket_id in [b.id for b in self.buckets.values() if b.plan_id == plan_id]:
                del self.buckets[bucket_id]
            del self.plans[plan_id]

    def mutate_fraction(self, fraction: float, seed: int) -> list[str]:
        """Benchmark churn: edit about ``fraction`` of all tasks (title, percent, due date,
        assignees, categories); returns the touched task ids, deterministic for the seed."""
        from pmosync.sandbox.tenant.churn import mutate_fraction

        return mutate_fraction(self, fraction, seed)

    # -- files -------------------------------------------------------------------------------

    def _folder(self, drive_id: str, parent_id: str | None) -> DriveItem:
        root = self.drive_root(drive_id)
        if parent_id is None:
            return root
        parent = self.items.get(parent_id)
        if parent is None or parent.drive_id != drive_id:
            raise KeyError(f"item {parent_id} not found in drive {drive_id}")
        if not parent.is_folder:
            raise ValueError(f"{parent.name!r} is a file, not a folder")
        return parent

    def _new_item(self, folder: DriveItem, name: str, content: bytes | None) -> DriveItem:
        at = self.now()
        return self.insert_item(
            DriveItem(self.ids.item(), folder.drive_id, folder.id, name, at, at, content)
        )

    def put_file(
        self,
        drive_id: str,
        parent_id: str | None,
        name: str,
        content: bytes,
        conflict: str = "replace",
    ) -> DriveItem:
        """Upload ``content`` as ``name`` into a folder (None = the drive root).

        ``conflict`` is Graph's ``@microsoft.graph.conflictBehavior``: ``replace`` overwrites a
        same-named file (new version), ``fail`` raises ``ValueError("nameAlreadyExists")``,
        ``rename`` stores ``name 1.ext`` (then ``name 2.ext`` ...) as OneDrive does. A folder
        of that name can never be replaced by a file. Overwriting a generated timesheet drops its
        ground truth: the rows are whatever the uploader wrote.
        """
        _check_name(name)
        if conflict not in CONFLICT_BEHAVIOURS:
            raise ValueError(f"conflictBehavior must be one of {CONFLICT_BEHAVIOURS}")
        with self.lock:
            folder = self._folder(drive_id, parent_id)
            existing = self.child_named(folder.id, name)
            if existing is not None and conflict == "rename":
                name = self._free_name(folder.id, name)
                existing = None
            if existing is None:
                return self._new_item(folder, name, bytes(content))
            if conflict == "fail" or existing.is_folder:
                raise ValueError("nameAlreadyExists")
            existing.content = bytes(content)
            existing.version += 1
            existing.modified_at = self.now()
            self.timesheets.pop(existing.id, None)
            return existing

    def _free_name(self, folder_id: str, name: str) -> str:
        stem, dot, suffix = name.rpartition(".")
        if not dot or not stem:
            stem, suffix = name, ""
        n = 1
        while True:
            candidate = f"{stem} {n}" + (f".{suffix}" if suffix else "")
            if self.child_named(folder_id, candidate) is None:
                return candidate
            n += 1

    def make_folder(self, drive_id: str, parent_id: str | None, name: str) -> DriveItem:
        """Create a folder, or return the existing one of that name (a file of that name:
        ``ValueError("nameAlreadyExists")``). Idempotent so upload paths can create parents."""
        _check_name(name)
        with self.lock:
            folder = self._folder(drive_id, parent_id)
            existing = self.child_named(folder.id, name)
            if existing is not None:
                if not existing.is_folder:
                    raise ValueError("nameAlreadyExists")
                return existing
            return self._new_item(folder, name, None)

    def ensure_folders(self, drive_id: str, path: str) -> DriveItem:
        """The folder at ``a/b`` below the root, creating missing ones (Graph's path uploads
        create intermediate folders)."""
        with self.lock:
            folder = self.drive_root(drive_id)
            for segment in (s for s in path.split("/") if s):
                folder = self.make_folder(drive_id, folder.id, segment)
            return folder

    def delete_item(self, item_id: str) -> None:
        """Delete a file or a folder with everything in it; a drive root cannot be deleted."""
        with self.lock:
            item = self.items.get(item_id)
            if item is None:
                raise KeyError(f"item {item_id} not found")
            if item.parent_id is None:
                raise ValueError("cannot delete a drive root")
            doomed = [item_id]
            for current in doomed:
                doomed.extend(i.id for i in self.items.values() if i.parent_id == current)
            for gone in doomed:
                del self.items[gone]
                self.timesheets.pop(gone, None)

    def write_timesheet(self, item_id: str, rows: Sequence[TimesheetRow]) -> Timesheet:
        """Make a file hold exactly ``rows`` (re-rendered, new version): edits a generated
        timesheet, or turns any file into one with known ground truth."""
        with self.lock:
            item = self.items.get(item_id)
            if item is None or item.is_folder:
                raise KeyError(f"file {item_id} not found")
            rows = list(rows)
            sheet = self.timesheets.get(item_id)
            if sheet is None:
                first = min((r.day for r in rows), default=self.today)
                sheet = Timesheet(
                    item_id,
                    date.fromordinal(first.toordinal() - first.weekday()),
                    TIMESHEET_SHEET,
                    [],
                )
                self.timesheets[item_id] = sheet
            sheet.rows = rows
            item.content = render_timesheet(rows, sheet.sheet)
            item.version += 1
            item.modified_at = self.now()
            return sheet

    # -- lists and mail ----------------------------------------------------------------------

    def add_list_item(
        self,
        list_id: str,
        fields: Mapping[str, object],
        *,
        by: str | None = None,
        at: datetime | None = None,
    ) -> str:
        """Append a list item, its fields typed by the list's columns (``ListValueError`` for
        a field the list has no column for or a value its column refuses); ids are "1", "2",
        ... as SharePoint numbers them. ``by`` (a user id) and ``at`` stamp who wrote it and
        when; without both it reads as the System Account's."""
        with self.lock:
            sp_list = self.lists.get(list_id)
            if sp_list is None:
                raise KeyError(f"list {list_id} not found")
            if by is not None and by not in self.users:
                raise KeyError(f"user {by} not found")
            typed = typed_fields(sp_list.columns, fields, sp_list.zone)
            self._people_known(sp_list, typed)
            item_id = str(max((int(i) for i in sp_list.items), default=0) + 1)
            sp_list.items[item_id] = {k: v for k, v in typed.items() if v is not None}
            if by is not None or at is not None:
                when = at or self.now()
                sp_list.meta[item_id] = ItemMeta(when, by, when, by)
            return item_id

    def edit_list_item(
        self,
        list_id: str,
        item_id: str,
        fields: Mapping[str, object],
        *,
        by: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Change an item's fields (None clears one), as ``by`` at ``at`` (default now):
        lastModifiedBy and lastModifiedDateTime move, createdBy stays."""
        with self.lock:
            sp_list = self.lists[list_id]
            if item_id not in sp_list.items:
                raise KeyError(f"item {item_id} not found")
            typed = typed_fields(sp_list.columns, fields, sp_list.zone)
            self._people_known(sp_list, typed)
            current = sp_list.items[item_id]
            for name, value in typed.items():
                if value is None:
                    current.pop(name, None)
                else:
                    current[name] = value
            when = at or self.now()
            before = sp_list.meta.get(item_id)
            created = (before.created_at, before.created_by) if before else (when, None)
            sp_list.meta[item_id] = ItemMeta(*created, when, by)

    def delete_list_item(self, list_id: str, item_id: str) -> None:
        with self.lock:
            sp_list = self.lists[list_id]
            del sp_list.items[item_id]
            sp_list.meta.pop(item_id, None)

    def _people_known(self, sp_list: SharePointList, typed: Mapping[str, object]) -> None:
        """A person field names a user of the tenant, who joins the site's user list."""
        for name, value in typed.items():
            if value is not None and sp_list.columns[name].kind == "personOrGroup":
                for user in value if isinstance(value, list) else [value]:
                    if user not in self.users:
                        raise ListValueError(f"The user '{user}' does not exist.")
                    self.site_user(sp_list.site_id, str(user))

    def site_user(self, site_id: str, user_id: str) -> int:
        """The user's lookup id on the site: its item in the site's hidden "User Information
        List" (Title, EMail, UserName), added the first time the site refers to them."""
        with self.lock:
            users = next(
                (sp for sp in self.lists.values() if sp.site_id == site_id and sp.hidden), None
            )
            if users is None:
                users = SharePointList(self.ids.guid(), site_id, USER_LIST, hidden=True)
                for name in ("EMail", "UserName"):
                    users.columns[name] = ListColumn(name, "text")
                self.lists[users.id] = users
            for item_id, fields in users.items.items():
                if fields.get("_user") == user_id:
                    return int(item_id)
            user = self.users[user_id]
            lookup = max((int(i) for i in users.items), default=USER_LOOKUP_START - 1) + 1
            users.items[str(lookup)] = {
                "Title": user.display_name,
                "EMail": user.mail,
                "UserName": user.user_principal_name,
                "_user": user_id,
            }
            return lookup

    def add_list(self, site_id: str, display_name: str, columns: Iterable[ListColumn]) -> str:
        """Create a list with a Title column and ``columns``; ``ValueError`` if the site
        already has a list of that name or a column name repeats."""
        with self.lock:
            if site_id not in self.sites:
                raise KeyError(f"site {site_id} not found")
            taken = {
                sp.display_name.casefold() for sp in self.lists.values() if sp.site_id == site_id
            }
            if display_name.casefold() in taken:
                raise ValueError(
                    f"A list, survey, discussion board, or document library with "
                    f"the specified title '{display_name}' already exists in this "
                    "Web site.  Please choose another title."
                )
            sp_list = SharePointList(self.ids.guid(), site_id, display_name)
            for column in columns:
                if column.name in sp_list.columns:
                    raise ValueError(f'A duplicate field name "{column.name}" was found.')
                sp_list.columns[column.name] = column
            self.lists[sp_list.id] = sp_list
            return sp_list.id

    def record_mail(self, sender: str, message: Mapping[str, object], save: bool) -> SentMail:
        """Keep a message accepted by sendMail (already normalised to camelCase)."""
        with self.lock:
            mail = SentMail(sender, dict(message), save, self.now())
            self.sent_mail.append(mail)
            return mail

    def tenant_snapshot(self) -> dict[str, Any]:
        """Plain JSON-able ground truth (see :func:`tenant_snapshot`)."""
        from pmosync.sandbox.tenant.snapshot import tenant_snapshot

        return tenant_snapshot(self)


def _details_summary(task: PlannerTask) -> tuple[bool, int, int, str]:
    """What the task resource shows of its details: hasDescription, checklist counts and
    previewType."""
    active = sum(not c.is_checked for c in task.checklist)
    return bool(task.description), len(task.checklist), active, task.preview_type


def _check_name(name: str) -> None:
    """SharePoint refuses these names; Graph answers 400 invalidRequest."""
    if not name or not name.strip() or _BAD_NAME.search(name) or name.endswith((" ", ".")):
        raise ValueError(f"invalid file or folder name {name!r}")
