"""The Asana streams, declared explicitly and run in this order.

``users`` -> ``portfolios`` (with their items) -> ``projects`` -> ``tasks`` (each project's
sections, tasks and subtasks) -> ``time_entries`` -> ``status_updates`` -> ``allocations`` ->
``budgets``. The projects stream settles which projects are in scope; the streams after it
read per project, several projects at once.

Incremental rules, chosen to spend requests only where something changed:
- tasks: ``modified_since`` the last pass (minus an overlap for clock skew); deletions from the
  project's events feed; a missing or expired sync token (412) re-reads that project in full and
  tombstones what is gone; sections are re-read only when the feed mentions one.
- RAID items (with a ``raid:`` block) come through the same task listing: designated RAID
  projects are listed with the projects in scope (their tasks only, no sections or subtasks),
  every task is tagged ``_raid`` (see ``raid.py``), each project's RAID gids are kept in its
  state, and once every project is read the source's RAID items no project holds retire.
- requests (with an ``intake:`` block) likewise: intake projects are listed with the projects
  in scope (their tasks only), every task is tagged ``_request`` with its section and the
  project it became (see ``intake.py``); a task moved to another section is modified, so the
  next ``modified_since`` listing brings its new stage; deleted tasks come from the events feed,
  and once every project is read the source's requests no project holds retire.
- time entries: the trailing ``time_entries_window_days`` are re-read (entries are edited and
  approved after the fact); anything older is taken as settled.
- status updates: only projects whose ``current_status_update`` is newer than the last one read,
  with ``created_since``. When pmosync posted last (write-back) its update is the newer one,
  so the listing since the last one read still brings every update the team posted before it;
  mapping leaves pmosync's own (marked) updates out.
- projects: with a ``writeback:`` block, pmosync's own writes (a status update it posts, the
  field it owns) move the project's ``modified_at``; so each project's team-visible content
  (what is read, less the owned field and pmosync's update) is kept as a digest in the stream's
  state, and a project whose digest did not move is tagged ``_team_modified_at`` with the
  ``modified_at`` seen when it last did; a project whose current update is pmosync's is tagged
  ``_team_status_type`` with the type of the team's latest update seen before it: pmosync's
  write does not come back as a change.
- allocations and budgets: plan data, re-read in full once ``plan_refresh_minutes`` have passed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pmosync.connectors.asana import fields
from pmosync.connectors.asana.client import AsanaClient
from pmosync.connectors.asana.intake import IntakeRules
from pmosync.connectors.asana.raid import RaidRules, is_field
from pmosync.connectors.base import Page, Reconcile
from pmosync.connectors.errors import FatalError, NotFound, PermissionDenied
from pmosync.connectors.parallel import Finished, fan_out
from pmosync.contracts.writeback import marked

log = logging.getLogger(__name__)

_PROJECT_SKIPPED = (PermissionDenied, NotFound)
"""Errors confined to one project: it is skipped and reported, the others go on."""


def _now() -> datetime:
    return datetime.now(UTC)


def _gids(records: list[dict[str, Any]]) -> list[str]:
    """The gids of a page's records (a malformed one without a gid is the mapper's to report)."""
    return [record["gid"] for record in records if "gid" in record]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def team_current(project: Mapping[str, Any]) -> str | None | bool:
    """The gid of the project's current status update if the team posted it; False when
    pmosync did (its text carries the write mark); None when there is none."""
    current = project.get("current_status_update")
    if not isinstance(current, Mapping):
        return None
    if marked(current.get("text")) is not None:
        return False
    return str(current.get("gid") or "") or None


def team_digest(project: Mapping[str, Any], owned: tuple[str, ...], current: str | None) -> str:
    """What of a project the team can have changed, as a digest: the record less its
    ``modified_at``, the custom fields write-back owns and pmosync's status update (``current``
    is the team's latest update's gid)."""
    kept = {
        key: value
        for key, value in project.items()
        if key not in ("modified_at", "current_status_update") and not key.startswith("_")
    }
    fields = kept.get("custom_fields")
    if isinstance(fields, list):
        kept["custom_fields"] = [f for f in fields if not any(is_field(f, r) for r in owned)]
    text = json.dumps([kept, current], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


@dataclass(slots=True)
class Scope:
    """What the YAML asks to sync: one of portfolios, projects or teams, else the workspace."""

    workspace: str
    portfolios: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()


@dataclass(slots=True)
class AsanaRun:
    """What the streams of one sync share: the client, the scope, settings, and what earlier
    streams learned (the projects in scope, each with its latest status update)."""

    client: AsanaClient
    scope: Scope
    max_concurrency: int
    overlap: timedelta
    time_window_days: int
    plan_refresh: timedelta
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    projects_known: bool = False
    warnings: list[str] = field(default_factory=list)
    not_projects: dict[str, str] = field(default_factory=dict)
    """Items listed among a portfolio's projects that are not projects (gid -> resource_type):
    left out of portfolio items and projects, and counted in one warning."""
    raid: RaidRules | None = None
    """The ``raid:`` block: designated RAID projects are read by the tasks stream only (their
    tasks are RAID items), never synced as projects; listed tasks are tagged ``_raid``."""
    intake: IntakeRules | None = None
    """The ``intake:`` block: intake projects are read by the tasks stream only (their tasks
    are requests), never synced as projects; listed tasks are tagged ``_request``."""
    owned_fields: tuple[str, ...] | None = None
    """With a ``writeback:`` block, the custom fields (name or gid) it owns (maybe none);
    None without one: nothing pmosync writes can come back, projects keep Asana's stamps."""

    def page(self, kind: str, records: list[dict[str, Any]] | None = None, **parts: Any) -> Page:
        """A page charged with the requests made (by any worker) since the previous page took
        its count; what no page takes, the engine takes when the stream ends."""
        return Page(kind, records or [], requests=self.client.counter.take(), **parts)

    def warn(self, message: str) -> None:
        log.info(message)
        self.warnings.append(message)

    def skip_project(self, gid: str, reason: str) -> None:
        """Leave a project the token cannot read out of the rest of this run, and say so once."""
        if self.projects.pop(gid, None) is not None:
            self.warn(f"project {gid} skipped ({reason})")

    def only_projects(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The records of a listing of projects that are projects; the others are noted."""
        kept = []
        for record in records:
            kind = record.get("resource_type", "project")
            if kind == "project":
                kept.append(record)
            elif "gid" in record:
                self.not_projects[str(record["gid"])] = str(kind)
        return kept

    def project_gids(self) -> list[str]:
        if not self.projects_known:
            raise FatalError("not read: the projects stream did not complete in this run")
        return list(self.projects)

    @property
    def raid_projects(self) -> frozenset[str]:
        """The designated RAID projects' gids; none without a ``raid:`` block."""
        return self.raid.projects if self.raid else frozenset()

    @property
    def intake_projects(self) -> frozenset[str]:
        """The intake projects' gids; none without an ``intake:`` block."""
        return self.intake.projects if self.intake else frozenset()

    def delivery_projects(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The records that are not designated RAID or intake projects (those hold RAID items
        or requests only)."""
        special = self.raid_projects | self.intake_projects
        return [record for record in records if record.get("gid") not in special]


class _Stream:
    name = ""

    def __init__(self, run: AsanaRun) -> None:
        self.run = run
        self.client = run.client


class UsersStream(_Stream):
    """Every user of the workspace (one listing, reconciled: users removed become tombstones)."""

    name = "users"

    def pages(self, state: Mapping[str, Any] | None, *, full: bool) -> Iterator[Page]:
        present: set[str] = set()
        opts = {"workspace": self.run.scope.workspace, "opt_fields": fields.USER}
        for records in self.client.pages(self.client.users.get_users, opts=opts):
            present.update(_gids(records))
            yield self.run.page("users", records)
        yield self.run.page("users", reconcile=[Reconcile("users", None, frozenset(present))])


class PortfoliosStream(_Stream):
    """Portfolios (all of the workspace, or those in scope) and which projects each holds."""

    name = "portfolios"

    def pages(self, state: Mapping[str, Any] | None, *, full: bool) -> Iterator[Page]:
        wanted = set(self.run.scope.portfolios)
        opts = {"workspace": self.run.scope.workspace, "opt_fields": fields.PORTFOLIO}
        portfolios: list[str] = []
        present: set[str] = set()
        for records in self.client.pages(self.client.portfolios.get_portfolios,
                                         self.run.scope.workspace, opts=opts):  # fmt: skip
            if wanted:
                records = [r for r in records if r.get("gid") in wanted]
            portfolios += _gids(records)
            present.update(_gids(records))
            yield self.run.page("portfolios", records)
        for missing in sorted(wanted - set(portfolios)):
            self.run.warn(f"portfolio {missing} is not visible to this token; skipped")
        for gid in portfolios:
            items: set[str] = set()
            opts = {"opt_fields": fields.PORTFOLIO_ITEM}
            for records in self.client.pages(self.client.portfolios.get_items_for_portfolio,
                                             gid, opts=opts):  # fmt: skip
                records = self.run.only_projects(records)
                for record in records:
                    record["_portfolio"] = gid
                items.update(_gids(records))
                yield self.run.page("portfolio_items", records)
            yield self.run.page(
                "portfolio_items", reconcile=[Reconcile("portfolio_items", gid, frozenset(items))]
            )
        reconcile = [Reconcile("portfolios", None, frozenset(present))] if not wanted else []
        yield self.run.page("portfolios", reconcile=reconcile)


class ProjectsStream(_Stream):
    """The projects in scope, with owner, dates, custom fields and latest status update."""

    name = "projects"

    def pages(self, state: Mapping[str, Any] | None, *, full: bool) -> Iterator[Page]:
        scope = self.run.scope
        api = self.client.projects
        opts = {"opt_fields": fields.PROJECT}
        listings: list[tuple[Any, str]]
        self._modified: dict[str, Any] = dict((state or {}).get("team_modified") or {})
        if scope.projects:
            yield from self._by_gid(scope.projects)
            self.run.projects_known = True
            yield self.run.page("projects", state=self._state(complete=True))
            return
        if scope.portfolios:
            listings = [(self.client.portfolios.get_items_for_portfolio, g)
                        for g in scope.portfolios]  # fmt: skip
        elif scope.teams:
            listings = [(api.get_projects_for_team, team) for team in scope.teams]
        else:
            listings = [(api.get_projects_for_workspace, scope.workspace)]
        complete = True
        for call, parent in listings:
            try:
                for records in self.client.pages(call, parent, opts=opts):
                    records = self.run.delivery_projects(self.run.only_projects(records))
                    self._remember(records)
                    yield self.run.page("projects", records)
            except _PROJECT_SKIPPED as error:
                self.run.warn(f"{parent} skipped: {error}")
                complete = False
        if self.run.not_projects:
            others = Counter(self.run.not_projects.values())
            kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(others.items()))
            self.run.warn(
                f"projects: {others.total()} listed item(s) are not projects and were not "
                f"synced ({kinds}); a nested portfolio's projects are synced only when it is "
                "named under portfolios:"
            )
        self.run.projects_known = True
        # a listing we could not read says nothing about its projects: retire none of them
        present = frozenset(self.run.projects)
        reconcile = [Reconcile("projects", None, present)] if complete else []
        yield self.run.page("projects", reconcile=reconcile, state=self._state(complete))

    def _by_gid(self, gids: tuple[str, ...]) -> Iterator[Page]:
        for gid in gids:
            if gid in self.run.raid_projects or gid in self.run.intake_projects:
                continue
            try:
                record = self.client.get(self.client.projects.get_project, gid,
                                         {"opt_fields": fields.PROJECT})  # fmt: skip
            except _PROJECT_SKIPPED as error:
                self.run.warn(f"project {gid} skipped ({error})")
                continue
            self._remember([record])
            yield self.run.page("projects", [record])

    def _remember(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            if "gid" in record:
                self.run.projects[record["gid"]] = record
                self._team_modified(record)

    def _team_modified(self, record: dict[str, Any]) -> None:
        """With write-back, tag a project whose team-visible content did not move since the
        last sync with the ``modified_at`` seen when it last did (``_team_modified_at``), and
        one whose current status update is pmosync's with the status type of the team's
        latest update seen before (``_team_status_type``): a write of pmosync's (its status
        update, its field) is then no change of the project."""
        owned = self.run.owned_fields
        if owned is None:
            return
        gid = record["gid"]
        saved = self._modified.get(gid)
        saved = saved if isinstance(saved, dict) else {}
        latest = team_current(record)
        if latest is False:  # pmosync posted last: the team's latest is the one seen before
            current, status = saved.get("current"), saved.get("status_type")
            if isinstance(status, str):
                record["_team_status_type"] = status
        else:
            current = latest
            status = (record.get("current_status_update") or {}).get("status_type")
        seen = team_digest(record, owned, current)
        if saved.get("seen") == seen and isinstance(saved.get("modified"), str):
            record["_team_modified_at"] = saved["modified"]
        else:
            modified = record.get("modified_at")
            self._modified[gid] = {"seen": seen, "modified": modified, "current": current}
        self._modified[gid]["status_type"] = status

    def _state(self, complete: bool) -> dict[str, Any] | None:
        """The stream's checkpoint, with write-back: each project's team-visible digest, its
        ``modified_at`` when that last moved and the team's latest update (projects no
        complete listing holds any more are forgotten); None without write-back."""
        if self.run.owned_fields is None:
            return None
        if complete:
            self._modified = {g: m for g, m in self._modified.items() if g in self.run.projects}
        return {"team_modified": dict(self._modified)}


class _PerProjectStream(_Stream, ABC):
    """A stream read project by project, several at once; state is kept per project."""

    def pages(self, state: Mapping[str, Any] | None, *, full: bool) -> Iterator[Page]:
        saved: dict[str, Any] = dict((state or {}).get("projects", {}))
        gids = self._gids()
        failed = False
        for event in fan_out(
            gids,
            lambda gid: self._read_project(gid, saved.get(gid), full),
            workers=self.run.max_concurrency,
            skip=_PROJECT_SKIPPED,
        ):
            if isinstance(event, Finished):
                if event.error is not None:
                    failed = True
                    self._skipped(event.item, f"{self.name}: {event.error}")
                continue
            gid, (page, project_state) = event
            if project_state is not None:
                saved[gid] = project_state
                page.state = {"projects": dict(saved)}
            yield page
        yield from self._finish(gids, saved, complete=not failed)

    def _gids(self) -> list[str]:
        return self.run.project_gids()

    def _skipped(self, gid: str, reason: str) -> None:
        self.run.skip_project(gid, reason)

    def _finish(
        self, gids: list[str], saved: Mapping[str, Any], *, complete: bool
    ) -> Iterator[Page]:
        """Pages once every project is read (``complete``: none failed); none by default."""
        return iter(())

    @abstractmethod
    def _read_project(
        self, gid: str, saved: Mapping[str, Any] | None, full: bool
    ) -> Iterator[tuple[Page, dict[str, Any] | None]]:
        """Pages of one project; the last carries the project's new state."""


def _fingerprint(rules: RaidRules | None) -> str | None:
    """What the tags depend on, kept with each project's state."""
    if rules is None:
        return None
    return "|".join([*sorted(rules.projects), rules.type_field, rules.project_field or ""])


def _tag(records: list[dict[str, Any]], project: str) -> list[dict[str, Any]]:
    for record in records:
        record["_project"] = project
    return records


class TasksStream(_PerProjectStream):
    """Each project's sections, tasks and subtasks."""

    name = "tasks"
    intake_dropped = False
    """Set when a project's state holds requests but the connector no longer reads any."""

    def _gids(self) -> list[str]:
        extra = sorted(self.run.raid_projects | self.run.intake_projects)
        return [*self.run.project_gids(), *extra]

    def _skipped(self, gid: str, reason: str) -> None:
        if gid in self.run.raid_projects:
            self.run.warn(f"RAID project {gid} skipped ({reason})")
        if gid in self.run.intake_projects:
            self.run.warn(f"intake project {gid} skipped ({reason})")
        self.run.skip_project(gid, reason)

    def _read_project(
        self, gid: str, saved: Mapping[str, Any] | None, full: bool
    ) -> Iterator[tuple[Page, dict[str, Any] | None]]:
        started = _now()
        rules, intake = self.run.raid, self.run.intake
        special = gid in self.run.raid_projects or gid in self.run.intake_projects
        token = None if full or not saved else saved.get("sync")
        feed = _FeedSummary(gid)
        token, token_valid = self.client.events_since(gid, token, feed.add)
        # tasks were tagged under other RAID or intake rules (or none): read it again in full
        same_rules = (saved or {}).get("raid_rules") == _fingerprint(rules) and (
            (saved or {}).get("intake_rules") == (intake.fingerprint() if intake else None)
        )
        incremental = token_valid and saved is not None and not full and same_rules
        if intake is None and (saved or {}).get("requests"):
            self.intake_dropped = True  # the block is gone: its requests retire at the end
        if (not incremental or feed.sections_changed) and not special:
            yield from self._sections(gid)
        present: set[str] = set()
        raid_items: set[str] = set()
        requests: set[str] = set()
        parents: list[str] = []
        childless: list[str] = []
        opts: dict[str, Any] = {"project": gid, "opt_fields": fields.task_fields(
            raid=rules is not None, intake=intake is not None)}  # fmt: skip
        if incremental:
            since = datetime.fromisoformat(saved["since"]) - self.run.overlap
            opts["modified_since"] = _iso(since)
        for records in self.client.pages(self.client.tasks.get_tasks, opts=opts):
            present.update(_gids(records))
            if intake is not None:
                requests |= intake.tag(records, self.run.projects)
            if rules is not None:
                raid_items |= rules.tag(records, self.run.projects)
            work = [r for r in records if not r.get("_raid") and not r.get("_request")]
            parents += [r["gid"] for r in work if r.get("num_subtasks") and "gid" in r]
            childless += [r["gid"] for r in work if r.get("num_subtasks") == 0 and "gid" in r]
            yield self.run.page("tasks", _tag(records, gid)), None
        yield from self._subtasks(gid, parents, present)
        deleted = sorted(feed.deleted) if incremental else []
        if incremental:
            # a changed task that now has no subtasks has lost any it had, and saying so costs
            # no request (a full pass reconciles the whole project instead)
            reconcile = [Reconcile("subtasks", task, frozenset()) for task in childless]
            earlier = set((saved or {}).get("raid", ()))
            raid_items |= earlier - present - set(deleted)
            asked = set((saved or {}).get("requests", ()))
            requests |= asked - present - set(deleted)
        else:
            reconcile = [Reconcile("tasks", gid, frozenset(present))]
        done: dict[str, Any] = {"sync": token, "since": _iso(started)}
        if rules is not None:
            done |= {"raid": sorted(raid_items), "raid_rules": _fingerprint(rules)}
        if intake is not None:
            done |= {"requests": sorted(requests), "intake_rules": intake.fingerprint()}
        last = self.run.page("tasks", deleted=deleted, reconcile=reconcile)
        yield last, done

    def _finish(
        self, gids: list[str], saved: Mapping[str, Any], *, complete: bool
    ) -> Iterator[Page]:
        """With every project read, the RAID items (and requests) of all of them are every one
        the source has: the others (deleted while no token followed them, moved out) retire."""
        yield from self._finish_requests(gids, saved, complete=complete)
        rules = self.run.raid
        if rules is None:
            return
        if rules.unplaced:
            names = ", ".join(repr(name) for name in sorted(rules.unplaced)[:5])
            self.run.warn(
                f"raid: items name {len(rules.unplaced)} project(s) not in scope ({names}); "
                "they are kept as portfolio-wide items"
            )
        if not complete:
            return
        present = {item for gid in gids for item in (saved.get(gid) or {}).get("raid", ())}
        yield self.run.page("tasks", reconcile=[Reconcile("raid_items", None, frozenset(present))])

    def _finish_requests(
        self, gids: list[str], saved: Mapping[str, Any], *, complete: bool
    ) -> Iterator[Page]:
        intake = self.run.intake
        if intake is None:
            if self.intake_dropped and complete:
                yield self.run.page("tasks", reconcile=[Reconcile("requests", None, frozenset())])
            return
        if intake.unplaced:
            names = ", ".join(repr(name) for name in sorted(intake.unplaced)[:5])
            self.run.warn(
                f"intake: requests name {len(intake.unplaced)} project(s) not in scope "
                f"({names}); their project is kept as written only"
            )
        if not complete:
            return
        present = {r for gid in gids for r in (saved.get(gid) or {}).get("requests", ())}
        yield self.run.page("tasks", reconcile=[Reconcile("requests", None, frozenset(present))])

    def _sections(self, gid: str) -> Iterator[tuple[Page, None]]:
        position = 0
        present: set[str] = set()
        api = self.client.sections.get_sections_for_project
        for records in self.client.pages(api, gid, opts={"opt_fields": fields.SECTION}):
            for record in _tag(records, gid):
                record["_position"] = position
                position += 1
            present.update(_gids(records))
            yield self.run.page("sections", records), None
        reconcile = [Reconcile("sections", gid, frozenset(present))]
        yield self.run.page("sections", reconcile=reconcile), None

    def _subtasks(
        self, project: str, parents: list[str], present: set[str]
    ) -> Iterator[tuple[Page, None]]:
        """Subtasks are not project members: read them under each parent that has any, and
        their parents' subtasks in turn; each parent's list is complete, so it reconciles."""
        api = self.client.tasks.get_subtasks_for_task
        queue = list(parents)
        visited: set[str] = set()  # a server that nests a task under itself must not loop
        while queue:
            parent = queue.pop(0)
            if parent in visited:
                continue
            visited.add(parent)
            children: set[str] = set()
            for records in self.client.pages(api, parent, opts={"opt_fields": fields.TASK}):
                if self.run.raid is not None:
                    self.run.raid.tag(records, self.run.projects)  # a subtask is never one
                if self.run.intake is not None:
                    self.run.intake.tag(records, self.run.projects)  # nor a request
                children.update(_gids(records))
                queue += [r["gid"] for r in records if r.get("num_subtasks") and "gid" in r]
                yield self.run.page("tasks", _tag(records, project)), None
            present |= children
            reconcile = [Reconcile("subtasks", parent, frozenset(children))]
            yield self.run.page("tasks", reconcile=reconcile), None


class _FeedSummary:
    """What a project's events feed says, folded page by page so no event is kept: whether a
    section changed, and which tasks are deleted or removed from the project (in order: a task
    deleted then restored is not gone)."""

    def __init__(self, project: str) -> None:
        self.project = project
        self.sections_changed = False
        self.deleted: set[str] = set()

    def add(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            resource = event.get("resource") or {}
            kind = resource.get("resource_type") or event.get("type")
            if kind == "section":
                self.sections_changed = True
            if kind != "task" or "gid" not in resource:
                continue
            parent = event.get("parent") or {}
            action = event.get("action")
            if action == "deleted" or (action == "removed" and parent.get("gid") == self.project):
                self.deleted.add(resource["gid"])
            elif action in ("added", "undeleted", "changed"):
                self.deleted.discard(resource["gid"])


_BEFORE_ANY_ENTRY = "2008-01-01"
"""Asana was founded in 2008: no time entry is entered before this day."""


def date_windows(
    first: date, today: date, *, span_days: int, parts: int
) -> list[tuple[date, date | None]]:
    """Split [first, forever) into consecutive entered-on windows, newest first, so time
    entries can be listed by several workers at once: one for anything dated after today, up
    to ``parts`` of ``span_days`` back from today, and one for everything older."""
    windows: list[tuple[date, date | None]] = [(today + timedelta(days=1), None)]
    end = today
    while end >= first:
        begin = first
        if len(windows) <= parts:
            begin = max(first, end - timedelta(days=span_days - 1))
        windows.append((begin, end))
        end = begin - timedelta(days=1)
    return windows


class TimeEntriesStream(_Stream):
    """Time tracking entries, read by listing rather than per task (a workspace, portfolio or
    project listing costs one request per 100 entries; per task it would cost one per task).

    A workspace's entries are listed in date windows read side by side: one listing of 1,000
    pages would otherwise run at the pace of one round trip at a time, far under the quota.
    """

    name = "time_entries"
    full_windows = 12
    """A full read lists the last year in 30-day windows, then all that is older."""

    def pages(self, state: Mapping[str, Any] | None, *, full: bool) -> Iterator[Page]:
        scope = self.run.scope
        in_scope = set(self.run.project_gids())
        today = date.today()
        window_start: date | None = None
        if state and not full:
            window_start = today - timedelta(days=self.run.time_window_days)
        since = window_start.isoformat() if window_start else None
        if not in_scope:  # no entry can be attributed to a project in scope: ask for nothing
            reconcile = Reconcile("time_entries", None, frozenset(), since=since)
            yield self.run.page("time_entries", state={"read_at": _iso(_now())},
                                reconcile=[reconcile])  # fmt: skip
            return
        if scope.portfolios:
            listings = [{"portfolio": gid} for gid in scope.portfolios]
        elif scope.projects:
            listings = [{"attributable_to": gid} for gid in sorted(in_scope)]
        else:
            listings = [{"workspace": scope.workspace}]
        # a workspace listing must name a date; a full read starts before Asana had any entry
        first = window_start or date.fromisoformat(_BEFORE_ANY_ENTRY)
        if len(listings) > 1:  # already read side by side
            windows = date_windows(first, today, span_days=1, parts=0)
        elif window_start:
            parts = self.run.max_concurrency
            span = -(-(today - window_start).days // parts) or 1
            windows = date_windows(first, today, span_days=span, parts=parts)
        else:
            windows = date_windows(first, today, span_days=30, parts=self.full_windows)
        queries = [
            {
                "opt_fields": fields.TIME_ENTRY,
                **listing,
                "entered_on_start_date": begin.isoformat(),
                **({"entered_on_end_date": end.isoformat()} if end else {}),
            }
            for listing in listings
            for begin, end in windows
        ]

        def read(query: dict[str, Any]) -> Iterator[tuple[Page, Counter[str]]]:
            api = self.client.time_entries.get_time_tracking_entries
            for records in self.client.pages(api, opts=query):
                kept, left_out = [], Counter[str]()
                for record in records:
                    project = (record.get("attributable_to") or {}).get("gid")
                    if project in in_scope:
                        kept.append(record)
                    else:
                        left_out["outside the scope" if project else "on no project"] += 1
                yield self.run.page("time_entries", kept), left_out

        present: set[str] = set()
        left_out: Counter[str] = Counter()
        for event in fan_out(queries, read, workers=self.run.max_concurrency):
            if isinstance(event, Finished):
                continue
            _, (page, dropped) = event
            left_out.update(dropped)
            present.update(_gids(page.records))
            yield page
        if left_out:
            reasons = ", ".join(f"{count} {why}" for why, count in sorted(left_out.items()))
            self.run.warn(
                f"time_entries: {left_out.total()} entries listed were not kept ({reasons}): "
                "only entries attributed to a project in scope are synced"
            )
        reconcile = Reconcile("time_entries", None, frozenset(present), since=since)
        yield self.run.page("time_entries", state={"read_at": _iso(_now())}, reconcile=[reconcile])


class StatusUpdatesStream(_PerProjectStream):
    """Status updates of each project whose latest update is newer than the last one read."""

    name = "status_updates"

    def _read_project(
        self, gid: str, saved: Mapping[str, Any] | None, full: bool
    ) -> Iterator[tuple[Page, dict[str, Any] | None]]:
        current = (self.run.projects.get(gid) or {}).get("current_status_update") or {}
        latest = current.get("created_at")
        seen = (saved or {}).get("latest")
        incremental = saved is not None and not full
        if incremental and (latest is None or (seen is not None and latest <= seen)):
            return
        opts: dict[str, Any] = {"opt_fields": fields.STATUS_UPDATE}
        if incremental and seen:
            opts["created_since"] = seen
        present: set[str] = set()
        newest = seen
        api = self.client.status_updates.get_statuses_for_object
        for records in self.client.pages(api, gid, opts=opts):
            present.update(_gids(records))
            stamps = [r["created_at"] for r in records if isinstance(r.get("created_at"), str)]
            newest = max([newest or "", *stamps]) or None
            yield self.run.page("status_updates", records), None
        reconcile = [] if incremental else [Reconcile("status_updates", gid, frozenset(present))]
        page = self.run.page("status_updates", reconcile=reconcile)
        yield page, {"latest": newest or latest}


class _PlanStream(_PerProjectStream):
    """Plan data that changes on a planning cadence, re-read in full once it is due."""

    @abstractmethod
    def _listing(self, gid: str) -> Iterator[list[dict[str, Any]]]:
        """The pages of one project's complete listing."""

    def _read_project(
        self, gid: str, saved: Mapping[str, Any] | None, full: bool
    ) -> Iterator[tuple[Page, dict[str, Any] | None]]:
        if not self._due(saved, full):
            return
        started = _iso(_now())
        present: set[str] = set()
        for records in self._listing(gid):
            present.update(_gids(records))
            yield self.run.page(self.name, records), None
        reconcile = [Reconcile(self.name, gid, frozenset(present))]
        yield (
            self.run.page(self.name, reconcile=reconcile),
            {"read_at": started},
        )

    def _due(self, saved: Mapping[str, Any] | None, full: bool) -> bool:
        if full or not saved or "read_at" not in saved:
            return True
        read_at = datetime.fromisoformat(saved["read_at"])
        return _now() - read_at >= self.run.plan_refresh


class AllocationsStream(_PlanStream):
    """Who is allocated to each project, for which period, in hours or percent."""

    name = "allocations"

    def _listing(self, gid: str) -> Iterator[list[dict[str, Any]]]:
        opts = {"parent": gid, "opt_fields": fields.ALLOCATION}
        return self.client.pages(self.client.allocations.get_allocations, opts=opts)


class BudgetsStream(_PlanStream):
    """Each project's budget (Asana keeps at most one per project; the call is unpaginated)."""

    name = "budgets"

    def _listing(self, gid: str) -> Iterator[list[dict[str, Any]]]:
        yield self.client.get(self.client.budgets.get_budgets, gid)


STREAMS: tuple[type[_Stream], ...] = (
    UsersStream,
    PortfoliosStream,
    ProjectsStream,
    TasksStream,
    TimeEntriesStream,
    StatusUpdatesStream,
    AllocationsStream,
    BudgetsStream,
)
"""Every Asana stream, in the order a sync runs them."""
