"""What every connector hands the sync engine: streams that yield pages.

A stream is declared explicitly (its name and the mapping stream of each page) rather than
discovered, in the manner of the Singer SDK, so the engine, the ledger and the docs all list the
same streams. A page is the unit of durability: the engine maps and writes it in one
transaction together with ``state``, the checkpoint the stream resumes from. ``Page`` and
``Reconcile`` live in ``pmosync.contracts`` (mapping reads them too) and are re-exported here
for the connectors.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pmosync.contracts import Page, Reconcile

__all__ = ["CheckResult", "Discovery", "Found", "Page", "Reconcile", "Source", "Stream"]


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
