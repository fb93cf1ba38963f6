"""The organisation: every record by gid, one lock, and a journal of mutations.

Readers (the emulators) hold ``lock`` while they look at the data so a response never sees a
half-applied mutation; every mutation takes the same lock, stamps what it touched with a
strictly increasing ``modified_at`` and appends :class:`Change` entries to ``changes``, from
which the emulators derive event feeds and keep their query indexes current.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from pmosync.sandbox.org import writes
from pmosync.sandbox.org.clock import GidFactory, MutationClock
from pmosync.sandbox.org.costing import entry_cost
from pmosync.sandbox.org.model import (
    Allocation,
    Budget,
    Change,
    CustomField,
    IntakeEntry,
    Person,
    Portfolio,
    Project,
    RaidEntry,
    Section,
    StatusUpdate,
    Story,
    Task,
    Team,
    TimeEntry,
    Workspace,
)

TASK_FIELDS = ("name", "due_on", "start_on", "assignee_gid", "notes")
ENTRY_FIELDS = (
    "entered_on",
    "duration_minutes",
    "description",
    "billable_status",
    "approval_status",
)


class Org:
    """A workspace's worth of data plus the mutation API the sandboxes and benchmarks drive."""

    def __init__(self, workspace: Workspace, today: date, gids: GidFactory) -> None:
        self.workspace = workspace
        self.today = today
        self.teams: dict[str, Team] = {}
        self.people: dict[str, Person] = {}
        self.custom_fields: dict[str, CustomField] = {}
        self.portfolios: dict[str, Portfolio] = {}
        self.projects: dict[str, Project] = {}
        self.sections: dict[str, Section] = {}
        self.tasks: dict[str, Task] = {}
        self.time_entries: dict[str, TimeEntry] = {}
        self.status_updates: dict[str, StatusUpdate] = {}
        self.allocations: dict[str, Allocation] = {}
        self.budgets: dict[str, Budget] = {}
        # Task gid -> what that task is as a RAID item (see sandbox.org.raid); the RAID log
        # project holds RAID items only, the others sit in delivery projects.
        self.raid: dict[str, RaidEntry] = {}
        self.raid_log_gid: str | None = None
        # Task gid -> what that task is as a project request (see sandbox.org.intake), and
        # the intake project holding them; guests: users outside the organisation's people
        # (an external email) who submitted a request.
        self.intake: dict[str, IntakeEntry] = {}
        self.intake_gid: str | None = None
        self.guests: dict[str, Person] = {}
        # Person gid -> hourly rate (workspace currency): what their logged time costs.
        self.rates: dict[str, float] = {}
        # Written at run time only (never by generation, so generated orgs stay identical):
        # comments on tasks; who was notified of which status update (user gid, status gid);
        # locked custom fields (field gid -> the user who locked it, the only one who may set
        # its values); formula fields (values nobody may set); people following a project
        # besides its owner.
        self.stories: dict[str, Story] = {}
        self.notifications: list[tuple[str, str]] = []
        self.locked_fields: dict[str, str] = {}
        self.formula_fields: set[str] = set()
        self.project_followers: dict[str, list[str]] = {}
        self.changes: list[Change] = []
        self.lock = threading.RLock()
        self.new_gid = gids
        self._clock: MutationClock | None = None

    # -- lookups -----------------------------------------------------------------------------

    def field_named(self, name: str) -> CustomField:
        """The custom field definition with this name (KeyError names it when absent)."""
        for custom_field in self.custom_fields.values():
            if custom_field.name == name:
                return custom_field
        raise KeyError(f"no custom field named {name!r}")

    def user(self, gid: str | None) -> Person | None:
        """A member of the organisation or a guest, by gid."""
        if gid is None:
            return None
        return self.people.get(gid) or self.guests.get(gid)

    def task_project(self, task: Task) -> str | None:
        """The project a task or (through its parents) a subtask belongs to."""
        while task.project_gid is None and task.parent_gid is not None:
            task = self.tasks[task.parent_gid]
        return task.project_gid

    def budget_of(self, project_gid: str) -> Budget | None:
        return next((b for b in self.budgets.values() if b.project_gid == project_gid), None)

    def _spend(self, project_gid: str, user_gid: str, minutes: int) -> None:
        """Keep the project's budget actual equal to its logged time at people's rates, as
        Asana computes it from time tracking (``minutes`` < 0 takes time back out)."""
        budget = self.budget_of(project_gid)
        if budget is not None:
            budget.actual = round(budget.actual + entry_cost(self, user_gid, minutes), 2)

    def _task(self, gid: str) -> Task:
        try:
            return self.tasks[gid]
        except KeyError:
            raise KeyError(f"task: Unknown object: {gid}") from None

    # -- journal -----------------------------------------------------------------------------

    def _now(self) -> datetime:
        """The timestamp of a mutation: never before anything generated, strictly increasing."""
        if self._clock is None:
            self._clock = MutationClock(datetime.combine(self.today, time(), UTC))
        return self._clock.now()

    def _record(
        self,
        at: datetime,
        resource_type: str,
        gid: str,
        action: str,
        projects: Iterable[str | None] = (),
        *,
        field: str | None = None,
        parent: tuple[str, str] | None = None,
        name: str = "",
        user: str | None = None,
    ) -> None:
        self.changes.append(
            Change(
                seq=len(self.changes) + 1,
                at=at,
                resource_type=resource_type,
                gid=gid,
                action=action,
                projects=tuple(p for p in projects if p),
                field=field,
                parent_gid=parent[0] if parent else None,
                parent_type=parent[1] if parent else None,
                user_gid=user,
                name=name,
            )
        )

    # -- tasks -------------------------------------------------------------------------------

    def create_task(
        self,
        project_gid: str | None,
        name: str,
        *,
        section_gid: str | None = None,
        assignee_gid: str | None = None,
        due_on: date | None = None,
        start_on: date | None = None,
        milestone: bool = False,
        parent_gid: str | None = None,
        notes: str = "",
        created_by_gid: str | None = None,
        custom: Mapping[str, Any] | None = None,
    ) -> str:
        """Add a task to a project (first section unless named) or, with ``parent_gid``, a subtask.

        A subtask has no project membership; creating one also changes its parent. ``custom``
        maps a field name to its value, as in :meth:`edit_task`.
        """
        with self.lock:
            if parent_gid is not None:
                parent = self._task(parent_gid)
                project_gid, section_gid = None, None
            else:
                parent = None
                if project_gid not in self.projects:
                    raise KeyError(f"project: Unknown object: {project_gid}")
                project = self.projects[project_gid]
                section_gid = section_gid or (project.section_gids or [None])[0]
                if section_gid is not None and section_gid not in project.section_gids:
                    raise ValueError(f"section {section_gid} is not in project {project_gid}")
            if assignee_gid is not None and assignee_gid not in self.people:
                raise KeyError(f"assignee: Unknown object: {assignee_gid}")
            values = dict(self._custom_key(n, v) for n, v in (custom or {}).items())
            at = self._now()
            gid = self.new_gid()
            self.tasks[gid] = Task(
                gid=gid,
                name=name,
                project_gid=project_gid,
                section_gid=section_gid,
                parent_gid=parent_gid,
                assignee_gid=assignee_gid,
                created_by_gid=created_by_gid or next(iter(self.people)),
                created_at=at,
                modified_at=at,
                start_on=None if milestone else start_on,
                due_on=due_on,
                resource_subtype="milestone" if milestone else "default_task",
                notes=notes,
                custom=values,
            )
            if parent is not None:
                parent.subtask_gids.append(gid)
                parent.modified_at = at
                root = self.task_project(parent)
                self._record(at, "task", gid, "added", (), parent=(parent.gid, "task"), name=name)
                self._record(
                    at, "task", parent.gid, "changed", (root,), field="subtasks", name=parent.name
                )
            else:
                self._record(
                    at,
                    "task",
                    gid,
                    "added",
                    (project_gid,),
                    parent=(project_gid, "project"),
                    name=name,
                )
            return gid

    def edit_task(
        self,
        gid: str,
        *,
        custom: Mapping[str, Any] | None = None,
        by: str | None = None,
        **fields: Any,
    ) -> None:
        """Change plain fields (name, due_on, start_on, assignee_gid, notes) and custom values.

        ``custom`` maps a field name (or gid) to a number, an enum option name (or gid) or
        None; ``by`` is the user making the edit, as the events feed names them.
        """
        with self.lock:
            task = self._task(gid)
            unknown = set(fields) - set(TASK_FIELDS)
            if unknown:
                raise ValueError(f"cannot edit task fields {sorted(unknown)}")
            if fields.get("assignee_gid") not in (None, *self.people):
                raise KeyError(f"assignee: Unknown object: {fields['assignee_gid']}")
            resolved = {self._custom_key(n, v) for n, v in (custom or {}).items()}
            at = self._now()
            projects = (self.task_project(task),)
            for key, value in fields.items():
                if getattr(task, key) != value:
                    setattr(task, key, value)
                    self._record(
                        at,
                        "task",
                        gid,
                        "changed",
                        projects,
                        field=key.removesuffix("_gid"),
                        name=task.name,
                        user=by,
                    )
            for field_gid, value in resolved:
                task.custom[field_gid] = value
                self._record(
                    at,
                    "task",
                    gid,
                    "changed",
                    projects,
                    field="custom_fields",
                    name=task.name,
                    user=by,
                )
            task.modified_at = at

    def _custom_key(self, name: str, value: Any) -> tuple[str, Any]:
        """(field gid, stored value) for a field named (or a field gid) and a value whose enum
        option is named (or an option gid)."""
        custom_field = self.custom_fields.get(name) or self.field_named(name)
        if custom_field.type == "enum" and value is not None:
            option = custom_field.option(value) or next(
                (o for o in custom_field.options if o.name == value), None
            )
            if option is None:
                raise ValueError(f"{name!r} has no option {value!r}")
            return custom_field.gid, option.gid
        return custom_field.gid, value

    def complete_task(self, gid: str, completed: bool = True) -> None:
        """Mark done (stamping completed_at) or reopen."""
        with self.lock:
            task = self._task(gid)
            at = self._now()
            task.completed = completed
            task.completed_at = at if completed else None
            task.modified_at = at
            self._record(
                at,
                "task",
                gid,
                "changed",
                (self.task_project(task),),
                field="completed",
                name=task.name,
            )

    def move_task(self, gid: str, section_gid: str) -> None:
        """Move a project task into another section of the same project."""
        with self.lock:
            task = self._task(gid)
            section = self.sections.get(section_gid)
            if section is None or section.project_gid != task.project_gid:
                raise ValueError(f"section {section_gid} is not in the task's project")
            at = self._now()
            task.section_gid = section_gid
            task.modified_at = at
            self._record(
                at,
                "task",
                gid,
                "added",
                (task.project_gid,),
                parent=(section_gid, "section"),
                name=task.name,
            )

    def delete_task(self, gid: str) -> None:
        """Delete a task with its subtasks and time entries; dependents lose the dependency."""
        with self.lock:
            task = self._task(gid)
            at = self._now()
            project_gid = self.task_project(task)
            if task.parent_gid is not None:
                parent = self.tasks[task.parent_gid]
                parent.subtask_gids.remove(gid)
                parent.modified_at = at
                self._record(
                    at,
                    "task",
                    parent.gid,
                    "changed",
                    (project_gid,),
                    field="subtasks",
                    name=parent.name,
                )
            self._delete_tree(task, project_gid, at)

    def _delete_tree(self, task: Task, project_gid: str | None, at: datetime) -> None:
        for child in list(task.subtask_gids):
            self._delete_tree(self.tasks[child], project_gid, at)
        for entry in [e for e in self.time_entries.values() if e.task_gid == task.gid]:
            del self.time_entries[entry.gid]
            self._spend(entry.project_gid, entry.user_gid, -entry.duration_minutes)
            self._record(at, "time_tracking_entry", entry.gid, "deleted", (entry.project_gid,))
        if task.project_gid is not None:
            for other in self.tasks.values():
                if task.gid in other.dependencies:
                    other.dependencies.remove(task.gid)
                    other.modified_at = at
                    self._record(
                        at,
                        "task",
                        other.gid,
                        "changed",
                        (project_gid,),
                        field="dependencies",
                        name=other.name,
                    )
        del self.tasks[task.gid]
        self.raid.pop(task.gid, None)
        self.intake.pop(task.gid, None)
        projects = (project_gid,) if task.parent_gid is None else ()
        self._record(at, "task", task.gid, "deleted", projects, name=task.name)

    def add_section(self, project_gid: str, name: str) -> str:
        """Append a section to a project's ordered list."""
        with self.lock:
            if project_gid not in self.projects:
                raise KeyError(f"project: Unknown object: {project_gid}")
            at = self._now()
            gid = self.new_gid()
            self.sections[gid] = Section(gid, name, project_gid, at)
            self.projects[project_gid].section_gids.append(gid)
            self._record(
                at,
                "section",
                gid,
                "added",
                (project_gid,),
                parent=(project_gid, "project"),
                name=name,
            )
            return gid

    # -- time, status --------------------------------------------------------------------------

    def add_time_entry(
        self, task_gid: str, user_gid: str, entered_on: date, minutes: int, **opt: Any
    ) -> str:
        """Log time on a task; attributable to the task's project. ``opt`` sets ENTRY_FIELDS."""
        with self.lock:
            task = self._task(task_gid)
            if user_gid not in self.people:
                raise KeyError(f"user: Unknown object: {user_gid}")
            project_gid = self.task_project(task)
            if project_gid is None:
                raise ValueError(f"task {task_gid} belongs to no project")
            at = self._now()
            gid = self.new_gid()
            entry = TimeEntry(
                gid=gid,
                task_gid=task_gid,
                project_gid=project_gid,
                user_gid=user_gid,
                entered_on=entered_on,
                duration_minutes=minutes,
                billable_status=opt.pop("billable_status", "billable"),
                approval_status=opt.pop("approval_status", "DRAFT"),
                description=opt.pop("description", ""),
                created_at=at,
            )
            if opt:
                raise ValueError(f"unknown time entry fields {sorted(opt)}")
            self.time_entries[gid] = entry
            self._spend(project_gid, user_gid, minutes)
            self._record(at, "time_tracking_entry", gid, "added", (project_gid,))
            return gid

    def edit_time_entry(self, gid: str, **fields: Any) -> None:
        """Change ENTRY_FIELDS of a time entry."""
        with self.lock:
            entry = self.time_entries.get(gid)
            if entry is None:
                raise KeyError(f"time_tracking_entry: Unknown object: {gid}")
            unknown = set(fields) - set(ENTRY_FIELDS)
            if unknown:
                raise ValueError(f"cannot edit time entry fields {sorted(unknown)}")
            at = self._now()
            if "duration_minutes" in fields:
                moved = fields["duration_minutes"] - entry.duration_minutes
                self._spend(entry.project_gid, entry.user_gid, moved)
            for key, value in fields.items():
                setattr(entry, key, value)
                self._record(
                    at, "time_tracking_entry", gid, "changed", (entry.project_gid,), field=key
                )

    def delete_time_entry(self, gid: str) -> None:
        with self.lock:
            entry = self.time_entries.pop(gid, None)
            if entry is None:
                raise KeyError(f"time_tracking_entry: Unknown object: {gid}")
            self._spend(entry.project_gid, entry.user_gid, -entry.duration_minutes)
            self._record(self._now(), "time_tracking_entry", gid, "deleted", (entry.project_gid,))

    def add_status_update(
        self, project_gid: str, status_type: str, title: str, text: str, author_gid: str
    ) -> str:
        """Post a status update; it becomes the project's current status update."""
        with self.lock:
            project = self.projects.get(project_gid)
            if project is None:
                raise KeyError(f"parent: Unknown object: {project_gid}")
            if author_gid not in self.people:
                raise KeyError(f"author: Unknown object: {author_gid}")
            at = self._now()
            gid = self.new_gid()
            self.status_updates[gid] = StatusUpdate(
                gid, project_gid, status_type, title, text, author_gid, at, at
            )
            project.current_status_gid = gid
            project.modified_at = at
            self._record(
                at,
                "status_update",
                gid,
                "added",
                (project_gid,),
                parent=(project_gid, "project"),
                name=title,
                user=author_gid,
            )
            self._record(
                at,
                "project",
                project_gid,
                "changed",
                (project_gid,),
                field="current_status_update",
                name=project.name,
                user=author_gid,
            )
            # Asana sends a status update to the parent's followers (its author excepted).
            for follower in self.followers_of(project_gid):
                if follower != author_gid:
                    self.notifications.append((follower, gid))
            return gid

    # -- write-back surfaces (run time only; see sandbox.org.writes) ---------------------------

    def followers_of(self, project_gid: str) -> list[str]:
        """The project's followers: its owner, then anyone added with ``follow_project``."""
        project = self.projects[project_gid]
        extra = self.project_followers.get(project_gid, [])
        return [project.owner_gid, *(g for g in extra if g != project.owner_gid)]

    def notified(self, status_gid: str | None = None) -> list[tuple[str, str]]:
        """(user gid, status update gid) notifications sent, all or for one status update."""
        with self.lock:
            return [n for n in self.notifications if status_gid in (None, n[1])]

    # A person's edits in the app, and the fields a test adds: each is a function of
    # sandbox.org.writes taking the organisation first, so they are its methods as they are.
    follow_project = writes.follow_project
    add_custom_field = writes.add_custom_field
    lock_custom_field = writes.lock_custom_field
    disable_option = writes.disable_option
    edit_project = writes.edit_project
    add_story = writes.add_story
    delete_status_update = writes.delete_status_update

    def mutate_fraction(self, fraction: float, seed: int) -> list[str]:
        """Benchmark helper: edit a fraction of project tasks, delete and create a few."""
        from pmosync.sandbox.org.churn import mutate_fraction

        return mutate_fraction(self, fraction, seed)

    def org_snapshot(self) -> dict[str, Any]:
        """Plain JSON-able dump of every collection (see :func:`org_snapshot`)."""
        from pmosync.sandbox.org.snapshot import org_snapshot

        return org_snapshot(self)
