"""What pmosync's workflows are started with and return: plain dataclasses, the payloads.

Timeouts travel in the request rather than being read by the workflow: workflow code must be
deterministic and never reads a file, so what the YAML says is fixed when the schedule is
applied (or when ``pmosync sync`` starts the workflow). Change the YAML, apply again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pmosync.config import PmosyncConfig


@dataclass(frozen=True)
class SyncRequest:
    """Sync one connector, every stream in order."""

    connector: str
    full: bool = False
    heartbeat_seconds: int = 60
    stream_timeout_minutes: int = 240

    @classmethod
    def of(cls, config: PmosyncConfig, connector: str, *, full: bool = False) -> SyncRequest:
        """The request for ``connector`` with the YAML's timeouts."""
        settings = config.temporal
        return cls(
            connector,
            full=full,
            heartbeat_seconds=settings.heartbeat_timeout_seconds,
            stream_timeout_minutes=settings.stream_timeout_minutes,
        )


@dataclass(frozen=True)
class SyncSummary:
    """What a connector's sync did, as the ledger recorded it."""

    connector: str
    run_id: str
    status: str
    """succeeded, failed or interrupted (the ledger's words)."""
    error: str | None = None
    streams: dict[str, str] = field(default_factory=dict)
    """stream -> its outcome."""
    records: int = 0
    """Records inserted, updated or deleted."""
    requests: int = 0


@dataclass(frozen=True)
class TickResult:
    """What a scheduled tick of a connector's sync came to."""

    connector: str
    ran: bool
    """False: a sync of this connector was already running (started by hand or by a tick
    before), so this tick did not start another."""
    summary: SyncSummary | None = None
    note: str | None = None


@dataclass(frozen=True)
class ReportRequest:
    """Run one report for a tick, after the running syncs of the connectors it reads."""

    report: str
    wait_minutes: int = 30
    as_of: str | None = None
    """The tick's instant (ISO), made the report's day in the organisation's zone; or a date."""
    waited_out: bool = False
    """The wait for syncs ran out: run on the data there is, saying how stale it is."""


@dataclass(frozen=True)
class ReportSummary:
    report: str
    run_id: str
    status: str
    error: str | None = None
    waited_seconds: float = 0.0
    """How long the report waited for syncs of its connectors to end."""
    still_running: list[str] = field(default_factory=list)
    """Connectors whose sync was still running when the wait ran out: the report ran on the
    data of their previous sync and says how stale it is."""
    writeback: WritebackSummary | None = None
    """The write-back that followed the report (None: the report did not succeed, or the
    workflow started before write-back existed)."""


@dataclass(frozen=True)
class WritebackRequest:
    """Write a report's verdicts back into the tools of the connectors following it."""

    report: str
    as_of: str | None = None
    """As the report's request had it: the tick's instant (ISO) or a date."""


@dataclass(frozen=True)
class WritebackSummary:
    """What a write-back after a report did: its ledger run and, per connector, the count of
    each action (write, adopt, conflict, skip, failed) or its error."""

    report: str
    run_id: str | None
    status: str
    """succeeded, failed, skipped (no connector follows the report) or the ledger's words."""
    error: str | None = None
    connectors: dict[str, dict[str, int]] = field(default_factory=dict)
