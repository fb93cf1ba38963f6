"""The five streams of a premium-plans sync: projects, buckets, tasks (with their
dependencies), assignments and people, in that order, sharing one ``PremiumRun``.

Each stream reads its tables' changes (``tracking.TableRead``), drops the rows of projects out
of scope (a change-tracked read cannot ``$filter``), and hands pages to mapping as it reads
them: no stream holds a table's rows, only ids (for reconciles) and the dependency map. People
are handed over (kind "people") by the stream that first resolves them, before the rows naming
them, so a later stream's failure cannot leave a manager or assignee unknown; the people stream
ends with ``Reconcile("people", None, <every person a plan in scope names>)``.
Intermediate pages carry ``state=None``; the last page of a stream commits its checkpoint, so a
crash re-reads from the previous checkpoint and loses nothing.

Checkpoints (``state``) per stream, every table's as ``tracking`` describes:
- projects: ``{"table", "names": {project id: its name folded}, "scope": [ids]}``; the names
  of every project let a change of ``projects:`` take effect without a full read;
- buckets: ``{"table", "scope"}``; assignments: ``{"table", "scope", "persons":
  {bookableresourceid: person key}}``; people: ``{"table", "scope", "users": {systemuserid:
  person key}, "resources": {bookableresourceid: person key}}`` (the team table, and the
  people resolved so far);
- tasks: ``{"tasks", "dependencies", "deps": {dependency id: [successor, predecessor]},
  "scope"}``: the dependency map of in-scope projects, so a dependency added or deleted
  re-emits its successor with its new predecessors (and both links commit together with it).
A project in scope that a stream's checkpoint does not cover (a new plan, or ``projects:``
changed) has its rows read by project (``$filter`` on its id) and reconciled, beside the
changes: a change-tracked read before it entered the scope dropped them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pmosync.config.connectors import PlannerPremiumConnector
from pmosync.connectors.base import Page, Reconcile
from pmosync.connectors.dataverse.client import DataverseClient
from pmosync.connectors.dataverse.people import RESOURCE_EXPAND, PeopleBook
from pmosync.connectors.dataverse.tracking import (
    Table,
    TableRead,
    fetch,
    list_ids,
    listing,
    project_rows,
    tracking_flags,
)
from pmosync.connectors.errors import FatalError

PROJECTS = Table(
    "msdyn_project",
    "msdyn_projects",
    "msdyn_projectid",
    (
        "msdyn_projectid", "msdyn_subject", "msdyn_scheduledstart", "msdyn_finish",
        "msdyn_progress", "_msdyn_projectmanager_value", "statecode", "createdon", "modifiedon",
    ),
    project="msdyn_projectid",
    small=True,
)  # fmt: skip
BUCKETS = Table(
    "msdyn_projectbucket",
    "msdyn_projectbuckets",
    "msdyn_projectbucketid",
    ("msdyn_projectbucketid", "msdyn_name", "_msdyn_project_value", "modifiedon"),
    project="_msdyn_project_value",
)
TASKS = Table(
    "msdyn_projecttask",
    "msdyn_projecttasks",
    "msdyn_projecttaskid",
    (
        "msdyn_projecttaskid", "msdyn_subject", "_msdyn_project_value",
        "_msdyn_projectbucket_value", "_msdyn_parenttask_value", "msdyn_ismilestone",
        "msdyn_summary", "msdyn_duration", "msdyn_scheduledstart", "msdyn_scheduledend",
        "msdyn_progress", "msdyn_effort", "msdyn_priority", "msdyn_descriptionplaintext",
        "msdyn_actualend", "createdon", "modifiedon",
    ),
    project="_msdyn_project_value",
)  # fmt: skip
DEPENDENCIES = Table(
    "msdyn_projecttaskdependency",
    "msdyn_projecttaskdependencies",
    "msdyn_projecttaskdependencyid",
    (
        "msdyn_projecttaskdependencyid", "_msdyn_project_value",
        "_msdyn_predecessortask_value", "_msdyn_successortask_value", "modifiedon",
    ),
    project="_msdyn_project_value",
    small=True,
)  # fmt: skip
ASSIGNMENTS = Table(
    "msdyn_resourceassignment",
    "msdyn_resourceassignments",
    "msdyn_resourceassignmentid",
    (
        "msdyn_resourceassignmentid", "_msdyn_projectid_value", "_msdyn_taskid_value",
        "_msdyn_bookableresourceid_value", "msdyn_start", "msdyn_finish", "msdyn_effort",
        "modifiedon",
    ),
    project="_msdyn_projectid_value",
)  # fmt: skip
TEAM = Table(
    "msdyn_projectteam",
    "msdyn_projectteams",
    "msdyn_projectteamid",
    ("msdyn_projectteamid", "_msdyn_project_value", "_msdyn_bookableresourceid_value",
     "modifiedon", "versionnumber"),
    project="_msdyn_project_value",
    expand=RESOURCE_EXPAND,
)  # fmt: skip
TABLES = (PROJECTS, BUCKETS, TASKS, DEPENDENCIES, ASSIGNMENTS, TEAM)
"""Every table the streams read (EntityDefinitions is asked about these)."""


def plan_names(client: DataverseClient) -> dict[str, str]:
    """Every premium plan's name by id, as the environment spells it (``discover``, ``check``)."""
    url = f"{PROJECTS.entity_set}?$select={PROJECTS.key},msdyn_subject"
    return {
        str(row.get(PROJECTS.key)): str(row.get("msdyn_subject") or "")
        for page in client.pages(url, prefer=client.page_prefer())
        for row in page.get("value") or []
    }


def words(text: Any) -> str:
    """A plan's name as ``projects:`` matches it: case and spacing aside."""
    return " ".join(str(text or "").split()).casefold()


class PremiumRun:
    """What the streams of one run share: the client, which tables are tracked, the projects
    in scope, the people resolved, the warnings."""

    def __init__(self, config: PlannerPremiumConnector, client: DataverseClient) -> None:
        self.config = config
        self.client = client
        self.warnings: list[str] = []
        self.people = PeopleBook(client)
        self.scope: set[str] | None = None
        """In-scope project ids, once the projects stream has read them."""
        self.references: dict[str, set[str]] = {}
        """Person keys referenced by "managers" or "team", for each of those its stream read
        in full this run (the people stream lists the others)."""
        self.assignees: set[str] = set()
        """Person keys of the assignments read this run."""
        self._tracked: dict[str, bool] | None = None

    def tracked(self, table: Table) -> bool:
        """Whether ``table`` has change tracking (one EntityDefinitions request a run)."""
        if self._tracked is None:
            self._tracked = tracking_flags(self.client, TABLES)
        return self._tracked.get(table.logical, False)

    def read(self, table: Table, state: Mapping[str, Any] | None, full: bool) -> TableRead:
        return TableRead(
            self.client, table, self.tracked(table), state, full=full, warn=self.warnings.append
        )

    def page(self, kind: str, records: list[dict[str, Any]], **extra: Any) -> Page:
        return Page(kind, records, requests=self.client.take_requests(), **extra)

    def people_page(self) -> Iterator[Page]:
        """The people resolved since the last such page, before the records naming them."""
        fresh = self.people.take()
        if fresh:
            yield self.page("people", fresh)

    def in_scope(self) -> set[str]:
        if self.scope is None:
            raise FatalError(
                "skipped: the projects stream did not finish, so which plans are in scope is "
                "unknown (see its error)"
            )
        return self.scope

    def entered(self, state: Mapping[str, Any], read: TableRead) -> list[str]:
        """Projects in scope now that the stream's last read did not cover (a new plan, or
        ``projects:`` changed): their rows are read by project (``project_rows``), since a
        change-tracked read dropped them as out of scope or shows only their changes."""
        if read.full:
            return []
        return sorted(self.in_scope() - set(state.get("scope") or ()))

    def scoped(self, rows: Iterable[dict[str, Any]], table: Table) -> list[dict[str, Any]]:
        scope = self.in_scope()
        return [r for r in rows if r.get(table.project) in scope]

    def present(self, table: Table) -> dict[str, set[str]]:
        """Every in-scope row id of ``table`` by project: a complete id listing."""
        scope = self.in_scope()
        found: dict[str, set[str]] = {p: set() for p in scope}
        for row_id, project in list_ids(self.client, table):
            if project in scope:
                found[project].add(row_id)
        return found


def per_project(kind: str, scope: set[str], present: Mapping[str, set[str]]) -> list[Reconcile]:
    return [Reconcile(kind, p, frozenset(present.get(p, ()))) for p in sorted(scope)]


class ProjectsStream:
    """The premium plans in scope (``projects:`` names or ids; none: all)."""

    name = "projects"

    def __init__(self, run: PremiumRun) -> None:
        self.run = run

    def _matches(self, project_id: str, name: str) -> bool:
        wanted = self.run.config.projects
        if not wanted:
            return True
        return any(matching(w, {project_id: name}) for w in wanted)

    def pages(self, state: Mapping[str, Any] | None, *, full: bool) -> Iterator[Page]:
        run = self.run
        previous = {} if full or not state else dict(state)
        read = run.read(PROJECTS, previous.get("table"), full)
        names: dict[str, str] = dict(previous.get("names") or {})
        old_scope = set(previous.get("scope") or ())
        emitted: set[str] = set()
        gone: set[str] = set()
        self.managers: set[str] = set()
        cleared = False
        for chunk in read:
            if read.full and not cleared:
                names, cleared = {}, True
            records = []
            for row in chunk.rows:
                project_id = str(row.get(PROJECTS.key))
                names[project_id] = words(row.get("msdyn_subject"))
                if self._matches(project_id, names[project_id]):
                    records.append(row)
                    emitted.add(project_id)
            for project_id in chunk.deleted:
                names.pop(project_id, None)
            deleted = [p for p in chunk.deleted if p in old_scope]
            gone.update(deleted)
            yield from self._page(records, deleted)
        scope = {p for p, name in names.items() if self._matches(p, name)}
        entered = scope - emitted - (set() if read.full else old_scope)
        for rows in fetch(run.client, PROJECTS, entered):
            yield from self._page([r for r in rows if r.get(PROJECTS.key) in entered], [])
        run.scope = scope
        if read.full:
            run.references["managers"] = self.managers
        self._warn_names(names)
        reconcile = [Reconcile("projects", None, frozenset(scope))] if read.full else []
        left = sorted(old_scope - scope - gone) if not read.full else []
        state = {"table": read.state, "names": names, "scope": sorted(scope)}
        yield run.page("projects", [], state=state, reconcile=reconcile, deleted=left)

    def _page(self, records: list[dict[str, Any]], deleted: list[str]) -> Iterator[Page]:
        run = self.run
        keys = run.people.users(r.get("_msdyn_projectmanager_value") for r in records)
        for record in records:
            manager = record.get("_msdyn_projectmanager_value")
            record["manager"] = keys.get(manager) if manager else None
            if record["manager"]:
                self.managers.add(record["manager"])
        yield from run.people_page()
        if records or deleted:
            yield run.page("projects", records, deleted=deleted)

    def _warn_names(self, names: Mapping[str, str]) -> None:
        self.run.warnings += scope_problems(self.run.config.projects, names)


def matching(entry: str, names: Mapping[str, str]) -> list[str]:
    """Ids of the projects a ``projects:`` entry selects (``names``: id -> folded name)."""
    return sorted(
        p for p, name in names.items() if p.casefold() == entry.casefold() or name == words(entry)
    )


def scope_problems(wanted: Iterable[str], names: Mapping[str, str]) -> list[str]:
    """A line for each ``projects:`` entry that selects no plan, or several."""
    problems = []
    for entry in wanted:
        found = matching(entry, names)
        if not found:
            problems.append(f"projects: no premium plan is named or has the id {entry!r}")
        elif len(found) > 1:
            problems.append(
                f"projects: {len(found)} premium plans are named {entry!r} "
                f"({', '.join(found)}); all of them are synced (give an id to pick one)"
            )
    return problems


class RowsStream:
    """A table of rows that each belong to one project: read its changes, keep the in-scope
    ones, and reconcile each project's rows (or all of them, ``per_project`` False) whenever
    a complete listing was read."""

    name = ""
    table: Table
    per_project = True

    def __init__(self, run: PremiumRun) -> None:
        self.run = run

    def begin(self, previous: Mapping[str, Any]) -> None:
        """Before the read (``previous``: the checkpoint, {} for a full read)."""

    def emit(self, rows: list[dict[str, Any]], deleted: list[str]) -> Iterator[Page]:
        if rows or deleted:
            yield self.run.page(self.name, rows, deleted=deleted)

    def extra_state(self) -> dict[str, Any]:
        return {}

    def pages(self, state: Mapping[str, Any] | None, *, full: bool) -> Iterator[Page]:
        run, table = self.run, self.table
        scope = run.in_scope()
        previous = {} if full or not state else dict(state)
        read = run.read(table, previous.get("table"), full or not previous)
        self.begin(previous)
        present: dict[str, set[str]] = defaultdict(set)
        for chunk in read:
            rows = run.scoped(chunk.rows, table)
            if read.full:
                for row in rows:
                    present[str(row[table.project])].add(str(row[table.key]))
            yield from self.emit(rows, chunk.deleted)
        entered = run.entered(previous, read)
        for project_id in entered:
            for rows in project_rows(run.client, table, project_id):
                present[project_id].update(str(r[table.key]) for r in rows)
                yield from self.emit(rows, [])
        if read.listing:
            present = defaultdict(set, run.present(table))
        complete = read.full or read.listing
        reconcile = self.reconciles(scope if complete else set(entered), present, complete)
        state = {"table": read.state, "scope": sorted(scope), **self.extra_state()}
        self.finish()
        yield run.page(self.name, [], state=state, reconcile=reconcile)

    def finish(self) -> None:
        """After the read, before the last page."""

    def reconciles(
        self, projects: set[str], present: Mapping[str, set[str]], complete: bool
    ) -> list[Reconcile]:
        if self.per_project:
            return per_project(self.name, projects, present)
        if not complete:
            return []
        every = frozenset(i for p in self.run.in_scope() for i in present.get(p, ()))
        return [Reconcile(self.name, None, every)]


class BucketsStream(RowsStream):
    """Each plan's buckets (phases)."""

    name = "buckets"
    table = BUCKETS


class AssignmentsStream(RowsStream):
    """Resource assignments, each naming its person (``"person"``: the person key of its
    bookable resource); the people first resolved here are handed over before them."""

    name = "assignments"
    table = ASSIGNMENTS
    per_project = False

    def begin(self, previous: Mapping[str, Any]) -> None:
        self.persons: dict[str, str] = dict(previous.get("persons") or {})
        self.assignees: set[str] = set()

    def finish(self) -> None:
        self.run.assignees |= self.assignees

    def emit(self, rows: list[dict[str, Any]], deleted: list[str]) -> Iterator[Page]:
        run = self.run
        column = "_msdyn_bookableresourceid_value"
        keys = run.people.resources((r.get(column) for r in rows), self.persons)
        self.persons.update(keys)
        for row in rows:
            resource = row.get(column)
            row["person"] = keys.get(resource) if resource else None
            if row["person"]:
                self.assignees.add(row["person"])
        yield from run.people_page()
        yield from super().emit(rows, deleted)

    def extra_state(self) -> dict[str, Any]:
        return {"persons": dict(sorted(self.persons.items()))}


def predecessors(deps: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Successor task id -> its sorted predecessor ids."""
    found: dict[str, set[str]] = defaultdict(set)
    for successor, predecessor in deps.values():
        found[successor].add(predecessor)
    return {task: sorted(before) for task, before in found.items()}


class TasksStream:
    """Tasks, each with its ``"predecessors"``, and the dependencies between them: one stream,
    so the dependency map and both tables' checkpoints commit together with the last page."""

    name = "tasks"

    def __init__(self, run: PremiumRun) -> None:
        self.run = run

    def pages(self, state: Mapping[str, Any] | None, *, full: bool) -> Iterator[Page]:
        run = self.run
        scope = run.in_scope()
        previous = {} if full or not state else dict(state)
        old: dict[str, list[str]] = {
            k: list(v) for k, v in (previous.get("deps") or {}).items()
        }  # fmt: skip
        deps = self._dependencies(previous, old)
        before, after = predecessors(old), predecessors(deps)
        touched = {t for t in set(before) | set(after) if before.get(t) != after.get(t)}

        read = run.read(TASKS, previous.get("tasks"), full or not previous)
        present: dict[str, set[str]] = defaultdict(set)

        def decorate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            for row in rows:
                task_id = str(row[TASKS.key])
                row["predecessors"] = after.get(task_id, [])
                touched.discard(task_id)
            return rows

        for chunk in read:
            rows = decorate(run.scoped(chunk.rows, TASKS))
            if read.full:
                for row in rows:
                    present[str(row[TASKS.project])].add(str(row[TASKS.key]))
            if rows or chunk.deleted:
                yield run.page("tasks", rows, deleted=chunk.deleted)
        entered = run.entered(previous, read)
        for project_id in entered:
            for rows in project_rows(run.client, TASKS, project_id):
                present[project_id].update(str(r[TASKS.key]) for r in rows)
                yield run.page("tasks", decorate(rows))
        for rows in fetch(run.client, TASKS, touched):  # a dependency alone changed
            rows = decorate(run.scoped(rows, TASKS))
            if rows:
                yield run.page("tasks", rows)
        if read.listing:
            present = defaultdict(set, run.present(TASKS))
        complete = read.full or read.listing
        reconcile = per_project("tasks", scope if complete else set(entered), present)
        state = {
            "tasks": read.state,
            "dependencies": self.dependency_state,
            "deps": dict(sorted(deps.items())),
            "scope": sorted(scope),
        }
        yield run.page("tasks", [], state=state, reconcile=reconcile)

    def _dependencies(
        self, previous: Mapping[str, Any], old: Mapping[str, list[str]]
    ) -> dict[str, list[str]]:
        """The dependency map after this run's changes: {id: [successor, predecessor]}."""
        run = self.run
        read = run.read(DEPENDENCIES, previous.get("dependencies"), not previous)
        deps: dict[str, list[str]] = dict(old)
        cleared = False

        def add(rows: list[dict[str, Any]]) -> None:
            scope = run.in_scope()
            for row in rows:
                dep_id = str(row[DEPENDENCIES.key])
                successor = row.get("_msdyn_successortask_value")
                predecessor = row.get("_msdyn_predecessortask_value")
                if row.get(DEPENDENCIES.project) in scope and successor and predecessor:
                    deps[dep_id] = [str(successor), str(predecessor)]
                else:
                    deps.pop(dep_id, None)

        for chunk in read:
            if read.full and not cleared:
                deps, cleared = {}, True
            add(chunk.rows)
            for dep_id in chunk.deleted:
                deps.pop(dep_id, None)
        for project_id in run.entered(previous, read):
            for rows in project_rows(run.client, DEPENDENCIES, project_id):
                add(rows)
        self.dependency_state = read.state
        return deps


class PeopleStream:
    """The people of the plans' teams (``msdyn_projectteam``: read by ``modifiedon`` with the
    bookable resource and its user expanded, the table having no change tracking), any person
    resolved this run not yet handed over, and a complete listing of the people the plans in
    scope reference (managers, team members, assignees), so a person no plan names any more is
    retired. Managers and team members a stream did not read in full this run are listed by
    reference columns only (``LISTING_PAGE`` rows a request): a removed team member is noticed
    so (the team table has no change tracking). Assignees need no listing: Dataverse assigns
    a task to a team member (``_msdyn_projectteamid_value``)."""

    name = "people"

    def __init__(self, run: PremiumRun) -> None:
        self.run = run

    def pages(self, state: Mapping[str, Any] | None, *, full: bool) -> Iterator[Page]:
        run = self.run
        scope = run.in_scope()
        previous = {} if full or not state else dict(state)
        read = run.read(TEAM, previous.get("table"), full or not previous)
        self.members: set[str] = set()
        for chunk in read:
            yield from self._members(run.scoped(chunk.rows, TEAM))
        for project_id in run.entered(previous, read):
            for rows in project_rows(run.client, TEAM, project_id):
                yield from self._members(rows)
        if read.full:
            run.references["team"] = self.members
        users = dict(previous.get("users") or {})
        resources = dict(previous.get("resources") or {})
        reconcile = []
        try:
            referenced = self._referenced(users, resources)
        except FatalError as error:  # a table the role cannot list: retire nobody
            run.warnings.append(f"people: not reconciled ({error})")
        else:
            reconcile = [Reconcile("people", None, frozenset(referenced))]
        # every user and resource resolved so far (the environment's people: a small map),
        # so the next listing looks up only people it has never seen
        users.update(run.people.user_keys)
        resources.update(run.people.resource_keys)
        state = {"table": read.state, "scope": sorted(scope), "users": dict(sorted(users.items())),
                 "resources": dict(sorted(resources.items()))}  # fmt: skip
        yield run.page("people", run.people.take(), state=state, reconcile=reconcile)

    def _members(self, rows: list[dict[str, Any]]) -> Iterator[Page]:
        run = self.run
        lookup = []
        for row in rows:
            resource_id = row.get("_msdyn_bookableresourceid_value")
            resource = row.get("msdyn_bookableresourceid")
            if isinstance(resource, Mapping) and resource_id:
                self.members.add(run.people.resource(str(resource_id), resource))
            elif resource_id:  # a tracked read cannot expand: look the resource up
                lookup.append(str(resource_id))
        self.members.update(run.people.resources(lookup, {}).values())
        if len(run.people.pending) >= run.config.page_size:
            yield run.page("people", run.people.take())

    def _referenced(self, users: dict[str, str], resources: dict[str, str]) -> set[str]:
        """Every person key the plans in scope name; ``users`` and ``resources`` (the
        checkpoint's id -> key maps) spare lookups of people resolved before."""
        run = self.run
        scope = run.in_scope()
        found: set[str] = set()
        user_ids: set[str] = set()
        resource_ids: set[str] = set()
        if "managers" in run.references:
            found |= run.references["managers"]
        else:
            for row in listing(run.client, PROJECTS.entity_set,
                               (PROJECTS.key, "_msdyn_projectmanager_value")):  # fmt: skip
                if row.get(PROJECTS.key) in scope and row.get("_msdyn_projectmanager_value"):
                    user_ids.add(str(row["_msdyn_projectmanager_value"]))
        column = "_msdyn_bookableresourceid_value"
        if "team" in run.references:
            found |= run.references["team"]
        else:
            for row in listing(run.client, TEAM.entity_set, (TEAM.project, column)):
                if row.get(TEAM.project) in scope and row.get(column):
                    resource_ids.add(str(row[column]))
        # an assignment is to a team member (its msdyn_projectteamid): the team names every
        # assignee, and the assignees of the rows read this run are added for good measure
        found |= run.assignees
        user_keys = run.people.users(user_ids, users)
        resource_keys = run.people.resources(resource_ids, resources)
        return found | set(user_keys.values()) | set(resource_keys.values())
