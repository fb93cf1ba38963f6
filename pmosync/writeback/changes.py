"""What write-back works with: the PMO's verdicts, the changes planned from them, and the one
interface every tool's writer (a ``Target``) offers.

A ``Change`` is one owned field of one item (a project's status update for a period, its
"PMO RAG" field, a plan's label, a task's comment) and what should happen to it. Planning is a
pure function of the verdicts and the write ledger (``writeback.plan``); a target is the only
thing that talks to a tool, and it raises one of the exceptions below for each way a write can
be refused, so the run decides the same way for every tool.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from pmosync.store.write_ledger import WriteEntry, WriteItem

# What a change does; plan and apply show the same ones.
WRITE = "write"  # send it
CONFLICT = "conflict"  # a human changed the owned value since pmosync wrote it: left alone
ADOPT = "adopt"  # the tool already shows the wanted value: recorded, nothing sent
SKIP = "skip"  # cannot be written (a locked or missing field, a held-back nudge): one line why

# Fields pmosync owns, per item kind.
STATUS_UPDATE = "status_update"  # Asana project: one status update per period
RAG_FIELD = "rag_field"  # Asana project: a single-select custom field
COMMENT = "comment"  # Asana task: a governance nudge (field is "comment:<finding>")
LABEL = "label"  # Planner plan: a label (category) name
STATUS_TASK = "status_task"  # Planner plan: the PMO status task's title
STATUS_NOTE = "status_note"  # Planner plan: the PMO status task's description


@dataclass(frozen=True, slots=True)
class Verdict:
    """One project's computed status in the report write-back follows."""

    project_id: str
    source: str  # the connector the project came from
    source_id: str  # the project's gid, the plan's id
    name: str
    rag: str  # green | amber | red | blue | complete
    reasons: tuple[str, ...]
    url: str | None = None  # the project in its tool


@dataclass(frozen=True, slots=True)
class Nudge:
    """One governance finding about one task, which a comment on the task can point out."""

    source: str
    task_id: str  # the task's id in its tool
    task_name: str
    project_id: str  # the project's id in its tool
    project_name: str
    finding: str  # unassigned_overdue | undated_milestones
    detail: str


@dataclass(frozen=True, slots=True)
class Change:
    """One owned field of one item, and what write-back does about it.

    ``value`` is what the field shows, in words ("Red", a title); ``body`` the full text sent
    with it (a status update's reasons and link, ending in the write's mark); ``value_hash``
    covers both, so a new reason is a change. ``before`` is pmosync's last written value
    (None: never written), ``current`` what the tool shows now when it was read."""

    key: str
    connector: str
    item_kind: str  # project | plan | task
    item_id: str
    item_name: str
    field: str
    value: str
    value_hash: str
    body: str = ""
    period: str | None = None
    rag: str | None = None
    before: str | None = None
    current: str | None = None
    action: str = WRITE
    note: str = ""
    ref: str | None = None  # from the ledger: the status task's id, the comment's story
    etag: str | None = None  # from the ledger: the etag after pmosync's last write
    project_id: str | None = None  # a task's project (nudges), a plan's own id otherwise

    @property
    def item(self) -> WriteItem:
        """The write ledger's name for what this change is about."""
        return WriteItem(self.key, self.connector, self.item_kind, self.item_id, self.field,
                         self.period)  # fmt: skip

    def but(self, **changes: object) -> Change:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Written:
    """What the tool answered to a write: the id it made (a status update, a story, a task),
    the item's etag and modified time after it, as far as the tool says."""

    ref: str | None = None
    etag: str | None = None
    source_modified: str | None = None


@dataclass(frozen=True, slots=True)
class Current:
    """An owned field as the tool shows it now: its value in words and the item's etag."""

    value: str | None
    etag: str | None = None
    ref: str | None = None


class Stale(Exception):
    """The tool refused the write because the item changed since ``change.etag`` (Graph 412,
    or 409 on a concurrent edit); ``current`` is the item as re-read after the refusal."""

    def __init__(self, message: str, current: Current) -> None:
        super().__init__(message)
        self.current = current


class Refused(Exception):
    """The write cannot be made as configured (a locked field, a field or option that does not
    exist, an item gone): skipped with this one line, the rest goes on."""


class Target(Protocol):
    """One connector's writer. Every request it makes obeys that connector's quota, retry
    policy and Retry-After, and is counted in ``requests``."""

    connector: str

    @property
    def requests(self) -> int:
        """HTTP requests made so far (every attempt, reads and writes)."""
        ...

    def current(self, changes: Sequence[Change]) -> dict[str, Current]:
        """The live value of the owned field of each change (by key) that must be checked
        before it is written; a tool that checks at write time (If-Match) returns {}."""
        ...

    def confirm(self, entry: WriteEntry) -> Written | None:
        """A write an earlier run left ``pending``: what the tool shows of it if it landed
        (found by its mark, or the owned value equal to it), else None (never arrived)."""
        ...

    def write(self, change: Change) -> Written:
        """Send one change. Raises ``Stale`` (re-read item), ``Refused`` (skip with a line)
        or a ``ConnectorError`` (retriable: its outcome is unknown; fatal: it did not land)."""
        ...

    def probe(self) -> list[str]:
        """What the configured writes need and the credentials lack, one line each; [] when
        every write is permitted. Writes nothing."""
        ...

    def close(self) -> None: ...


@dataclass
class ConnectorPlan:
    """The changes planned for one connector, with what held them back."""

    connector: str
    changes: list[Change] = field(default_factory=list)
    held_back: int = 0  # nudges beyond max_per_run
