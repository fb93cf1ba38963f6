"""What every connector hands the sync engine: streams that yield pages.

A stream is declared explicitly (its name and the mapping stream of each page) rather than
discovered, in the manner of the Singer SDK, so the engine, the ledger and the docs all list the
same streams. A page is the unit of durability: the engine maps and writes it in one
transaction together with ``state``, the checkpoint the stream resumes from.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


@dataclass(frozen=True, slots=True)
class Reconcile:
    """A listing was read in full: records of ``kind`` under ``parent`` that it did not
    contain are gone upstream and become tombstones.

    ``parent`` is the source id of the container (a project, a task) or None for the whole
    source; ``present`` every source id the complete listing returned.
    """

    kind: str
    parent: str | None
    present: frozenset[str]
    since: str | None = None
    """For dated listings read over a trailing window: only records dated on or after this ISO
    date are in the listing's scope."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One line of ``pmosync check``: what was probed and how it went."""

    level: Literal["ok", "warning", "error"]
    message: str


@dataclass(frozen=True, slots=True)
class Found:
    """One thing a connector's credentials can see, for ``pmosync discover``: its id is what
    the YAML's ``key`` takes."""

    kind: str
    """What it is, in the tool's words: workspace, team, portfolio, project, group, plan..."""
    id: str
    name: str
    key: str
    """Where its id goes in the connector's YAML (``workspace``, ``groups``, ``site`` ...)."""
    within: str = ""
    """The name of what holds it (a project's workspace, a plan's group), or ""."""


@dataclass(slots=True)
class Discovery:
    """What ``pmosync discover`` found, and the listings it could not read (one line each:
    a missing permission, a premium feature), which do not stop the others."""

    found: list[Found] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Page:
    """One page of raw records of one kind, as the source returned them."""

    kind: str
    """The mapping stream the records belong to (``tasks``, ``sections`` ...)."""
    records: list[dict[str, Any]] = field(default_factory=list)
    state: Mapping[str, Any] | None = None
    """The stream's checkpoint after this page; None leaves it as it was."""
    deleted: list[str] = field(default_factory=list)
    """Source ids of ``kind`` the source reported as deleted (e.g. from an events feed)."""
    reconcile: list[Reconcile] = field(default_factory=list)
    requests: int = 0
    """HTTP requests (retries included) this page cost since the previous page."""


class Stream(Protocol):
    """A named, resumable sequence of pages."""

    name: str

    def pages(self, state: Mapping[str, Any] | None, *, full: bool) -> Iterator[Page]:
        """Yield pages from ``state`` (None: first run); ``full`` re-reads everything."""
        ...


class Source(Protocol):
    """A configured connector: its streams, in the order they must run."""

    name: str

    def streams(self) -> list[Stream]: ...

    def warnings(self) -> list[str]:
        """Warnings gathered while streaming (skipped projects, premium-only features)."""
        ...

    def close(self) -> None: ...
