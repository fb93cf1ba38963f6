"""The Asana writer: the PMO's status updates, its "PMO RAG" project field and its nudges.

Reads and writes go through the connector's own governed client (its token's quota, retry
policy and Retry-After). The owned field is read for every project before it is written, ten
projects a request (Asana's batch API), which is also how its gid and its options' gids are
learnt: the YAML names the field and options by name. A status update or a comment is a POST
sent once (never again after a 5xx or a lost connection), so a write whose answer was lost
stays pending and is found on the next run by the mark its text ends with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pmosync.config.connectors import AsanaConnector
from pmosync.config.writeback import ASANA_STATUS_TYPES, RAG_WORDS, AsanaWriteback
from pmosync.connectors.asana import writes
from pmosync.connectors.asana.client import AsanaClient
from pmosync.connectors.asana.raid import named_field, normal
from pmosync.connectors.errors import (
    AuthenticationError,
    ConnectorError,
    PermissionDenied,
    RetriableError,
)
from pmosync.connectors.paging import StopSignal
from pmosync.connectors.retry import OnWait, RetryPolicy
from pmosync.contracts.writeback import MARK_LENGTH, marked
from pmosync.store.write_ledger import WriteEntry
from pmosync.writeback.changes import (
    COMMENT,
    RAG_FIELD,
    STATUS_UPDATE,
    Change,
    Current,
    Refused,
    Written,
)

CONFIRM_SLACK = timedelta(days=1)
"""How far before a pending write's ledger time its status update is looked for (clocks and
Asana's created_at need not agree to the second)."""
PROBE_PROJECTS = 100
"""At most this many projects of the scope are probed for the owned field (one page)."""


@dataclass(frozen=True, slots=True)
class OwnedField:
    """The owned field as one project shows it: its gid, whether this token may set it, its
    enabled options (normalised name -> (gid, name)) and the option it shows now."""

    gid: str
    name: str
    read_only: bool
    options: Mapping[str, tuple[str, str]]
    shown: str | None


def owned_field(project: Mapping[str, Any], reference: str) -> OwnedField | None:
    """The field ``reference`` (name or gid) names on ``project``, None when it is not there."""
    found = named_field(project, reference)
    if found is None:
        return None
    options = {
        normal(str(o["name"])): (str(o["gid"]), str(o["name"]))
        for o in found.get("enum_options") or []
        if isinstance(o, Mapping) and o.get("gid") and o.get("name") and o.get("enabled", True)
    }
    value = found.get("enum_value")
    shown = value.get("name") if isinstance(value, Mapping) else None
    return OwnedField(
        gid=str(found.get("gid")),
        name=str(found.get("name") or reference),
        read_only=bool(found.get("is_value_read_only")),
        options=options,
        shown=shown,
    )


class AsanaTarget:
    """Write-back into one Asana connector's workspace (the ``Target`` protocol)."""

    def __init__(
        self,
        name: str,
        config: AsanaConnector,
        *,
        stop: StopSignal | None = None,
        on_wait: OnWait | None = None,
    ) -> None:
        """``stop`` cuts every wait and request short; ``on_wait`` hears of every retry wait
        and long quota wait (a progress display)."""
        if config.writeback is None:
            raise ValueError(f"connector {name!r} has no writeback block")
        self.connector = name
        self.config = config
        self.spec: AsanaWriteback = config.writeback
        self.client = AsanaClient(
            token=config.token.get_secret_value(),
            base_url=str(config.base_url),
            requests_per_minute=config.requests_per_minute,
            max_concurrency=config.max_concurrency,
            policy=RetryPolicy().for_run(stop, on_wait),
        )
        self._projects: dict[str, dict[str, Any]] = {}  # gid -> the project as last read

    @property
    def requests(self) -> int:
        return self.client.counter.total

    def close(self) -> None:
        self.client.close()

    # -- reading -------------------------------------------------------------------------------

    def current(self, changes: Sequence[Change]) -> dict[str, Current]:
        """The owned field's shown option of each rag_field change's project, read ten
        projects a request. A project whose field is missing is left out (its write is then
        refused with the reason); one that cannot be read is left out too (its write fails
        with Asana's answer), unless the token itself was refused."""
        wanted = [c for c in changes if c.field == RAG_FIELD]
        if not wanted or self.spec.rag_field is None:
            return {}
        reads = writes.read_projects(self.client, [c.item_id for c in wanted])
        for read in reads.values():
            if isinstance(read.error, AuthenticationError):
                raise read.error
            if read.project is not None:
                self._projects[read.gid] = read.project
            elif isinstance(read.error, RetriableError):
                # a batch action throttled (Asana counts each action against the quota) or
                # failed on the server: read that project alone, retried as every request is,
                # so no write goes out without its check
                self._projects[read.gid] = writes.read_project(self.client, read.gid)
        found: dict[str, Current] = {}
        for change in wanted:
            project = self._projects.get(change.item_id)
            owned = owned_field(project, self.spec.rag_field.field) if project else None
            if owned is not None:
                found[change.key] = Current(value=owned.shown)
        return found

    def _project(self, gid: str) -> dict[str, Any]:
        project = self._projects.get(gid)
        if project is None:
            project = self._projects[gid] = writes.read_project(self.client, gid)
        return project

    # -- writing -------------------------------------------------------------------------------

    def write(self, change: Change) -> Written:
        if change.field == STATUS_UPDATE:
            return self._status_update(change)
        if change.field == RAG_FIELD:
            return self._rag_field(change)
        if change.field.startswith(f"{COMMENT}:"):
            made = writes.post_comment(self.client, change.item_id, change.body)
            return Written(ref=_gid(made), source_modified=made.get("created_at"))
        raise Refused(f"{change.field} is not something pmosync writes into Asana")

    def _status_update(self, change: Change) -> Written:
        status_type = ASANA_STATUS_TYPES[change.rag or ""]
        title = (change.body.splitlines() or [change.value])[0].strip() or change.value
        made = writes.post_status_update(
            self.client, change.item_id, status_type, title, change.body
        )
        return Written(ref=_gid(made), source_modified=made.get("created_at"))

    def _rag_field(self, change: Change) -> Written:
        settings = self.spec.rag_field
        assert settings is not None
        project = self._project(change.item_id)
        shown_name = project.get("name") or change.item_name
        where = f"project {shown_name!r} ({change.item_id})"
        owned = owned_field(project, settings.field)
        if owned is None:
            raise Refused(f"field {settings.field.strip()!r} is not on {where}")
        if owned.read_only:
            raise Refused(
                f"field {owned.name!r} is locked on {where}: read-only for pmosync's token "
                "(unlock it, or have its owner share edit rights)"
            )
        option = owned.options.get(normal(change.value))
        if option is None:
            raise Refused(
                f"field {owned.name!r} on {where} has no option {change.value!r} "
                f"(it has: {', '.join(repr(name) for _, name in owned.options.values())})"
            )
        try:
            updated = writes.set_project_field(self.client, change.item_id, owned.gid, option[0])
        except PermissionDenied as error:
            self._projects.pop(change.item_id, None)
            raise Refused(
                f"field {owned.name!r} is locked on {where}, or the token may not edit the "
                f"project ({error})"
            ) from None
        self._projects.pop(change.item_id, None)  # what it shows now is no longer known
        return Written(source_modified=updated.get("modified_at"))

    # -- a write an earlier run left pending -----------------------------------------------------

    def confirm(self, entry: WriteEntry) -> Written | None:
        prefix = entry.key[:MARK_LENGTH]
        if entry.field == STATUS_UPDATE:
            since = (entry.updated_at or datetime.now(UTC)) - CONFIRM_SLACK
            for update in writes.status_updates_since(self.client, entry.item_id, since):
                if marked(update.get("text")) == prefix:
                    return Written(ref=_gid(update), source_modified=update.get("created_at"))
            return None
        if entry.field.startswith(f"{COMMENT}:"):
            for story in writes.task_stories(self.client, entry.item_id):
                if marked(story.get("text")) == prefix:
                    return Written(ref=_gid(story), source_modified=story.get("created_at"))
            return None
        if entry.field == RAG_FIELD and self.spec.rag_field is not None:
            project = writes.read_project(self.client, entry.item_id)
            owned = owned_field(project, self.spec.rag_field.field)
            shown = owned.shown if owned is not None else None
            if entry.intended is not None and normal(shown or "") == normal(entry.intended):
                return Written(source_modified=project.get("modified_at"))
            return None
        return None

    # -- what the token lacks ----------------------------------------------------------------------

    def probe(self) -> list[str]:
        """One line per thing the configured writes need and do not have. Writes nothing: a
        PUT with an empty body changes nothing, but is refused (403 naming the scope) when the
        token may not write. Comments also need ``stories:write``, which nothing short of
        posting one can test: a token without it has each nudge refused (403, one line)."""
        client = self.client
        try:
            client.get(client.users.get_user, "me", {"opt_fields": "gid"})
        except ConnectorError as error:
            return [f"the token cannot be used: {error}"]
        try:
            projects = self._scope_projects()
        except ConnectorError as error:
            return [f"the projects in scope cannot be listed: {error}"]
        if not projects:
            return ["no project in scope to probe the writes with"]
        lines: list[str] = []
        first = projects[0]
        if self.spec.status_updates is not None or self.spec.rag_field is not None:
            refused = writes.try_write(client, "project", first)
            if refused is not None:
                lines.append(f"cannot write projects (status updates, rag_field): {refused}")
        if self.spec.nudges is not None:
            lines += self._probe_tasks(projects)
        if self.spec.rag_field is not None:
            lines += self._probe_field(projects)
        return lines

    def _scope_projects(self) -> list[str]:
        """The projects of the connector's scope to probe: those listed in the YAML, else the
        first page of its teams' or workspace's unarchived projects."""
        client = self.client
        if self.config.projects:
            return list(self.config.projects)[:PROBE_PROJECTS]
        opts = {"limit": PROBE_PROJECTS, "archived": "false", "opt_fields": "gid"}
        if self.config.teams:
            listing = client.get(client.projects.get_projects_for_team, self.config.teams[0], opts)
        else:
            listing = client.get(
                client.projects.get_projects_for_workspace, self.config.workspace, opts
            )
        return [str(p["gid"]) for p in listing or [] if p.get("gid")]

    def _probe_tasks(self, projects: Sequence[str]) -> list[str]:
        client = self.client
        for project in projects:
            tasks = client.get(client.tasks.get_tasks, {"project": project, "limit": 1,
                                                        "opt_fields": "gid"})  # fmt: skip
            if tasks:
                refused = writes.try_write(client, "task", str(tasks[0]["gid"]))
                return [f"cannot comment on tasks (nudges): {refused}"] if refused else []
        return ["nudges: no task in the projects probed to try a write on"]

    def _probe_field(self, projects: Sequence[str]) -> list[str]:
        settings = self.spec.rag_field
        assert settings is not None
        needed = [settings.option_for(rag) for rag in RAG_WORDS]
        reads = writes.read_projects(self.client, projects)
        missing: list[str] = []
        lacking: dict[tuple[str, ...], list[str]] = {}
        locked: list[str] = []
        unread: list[str] = []
        for gid, read in reads.items():
            if read.project is None:
                unread.append(f"{gid} ({read.error})")
                continue
            self._projects[gid] = read.project
            named = f"{read.project.get('name', '?')!r} ({gid})"
            owned = owned_field(read.project, settings.field)
            if owned is None:
                missing.append(named)
                continue
            if owned.read_only:
                locked.append(named)
            absent = tuple(n for n in needed if normal(n) not in owned.options)
            if absent:
                lacking.setdefault(absent, []).append(named)
        field = repr(settings.field.strip())
        lines = []
        if missing:
            lines.append(f"rag_field: field {field} is not on project(s) {_few(missing)}")
        if locked:
            lines.append(f"rag_field: field {field} is locked (read-only) on {_few(locked)}")
        for absent, where in lacking.items():
            options = ", ".join(repr(name) for name in absent)
            lines.append(f"rag_field: field {field} has no option {options} on {_few(where)}")
        if unread:
            lines.append(f"rag_field: project(s) cannot be read: {_few(unread)}")
        return lines


def _few(names: Sequence[str], shown: int = 5) -> str:
    """Up to ``shown`` names, and how many more."""
    text = ", ".join(names[:shown])
    return text + (f" and {len(names) - shown} more" if len(names) > shown else "")


def _gid(record: Mapping[str, Any]) -> str | None:
    gid = record.get("gid")
    return str(gid) if gid else None
