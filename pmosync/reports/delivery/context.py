"""What every target of one delivery round shares: the rendered report, the SharePoint link
found so far, and the Graph clients (one per Microsoft connector, closed at the end)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pmosync.config import PmosyncConfig
from pmosync.config.connectors import MicrosoftAuth
from pmosync.reports.delivery.mime import EmailContent
from pmosync.reports.delivery.outcome import DeliveryError
from pmosync.reports.document import RenderedFile, ReportDocument

if TYPE_CHECKING:
    from pmosync.connectors.microsoft.graph import GraphClient
    from pmosync.connectors.paging import StopSignal
    from pmosync.connectors.retry import RetryPolicy


class GraphClients:
    """One ``GraphClient`` (and its event loop) per Microsoft connector a round signs in with."""

    def __init__(self, config: PmosyncConfig, policy: RetryPolicy | None = None) -> None:
        """``policy`` (default: the connectors' own) carries the round's stop."""
        self._config = config
        self._policy = policy
        self._open: dict[str, GraphClient] = {}

    def get(self, named: str | None) -> GraphClient:
        from pmosync.connectors.microsoft.graph import GraphClient

        auth: MicrosoftAuth | None = self._config.microsoft_auth_for(named)
        if auth is None:
            wanted = f"connector {named!r}" if named else "a single Microsoft connector"
            raise DeliveryError(f"cannot sign in to Microsoft Graph: {wanted} is not configured")
        key = named or ""  # the top-level microsoft: block or the only connector
        if key not in self._open:
            self._open[key] = GraphClient(auth, policy=self._policy)
        return self._open[key]

    def close(self) -> None:
        for client in self._open.values():
            client.close()
        self._open.clear()


@dataclass
class Round:
    """One report period delivered to some targets."""

    config: PmosyncConfig
    document: ReportDocument
    files: Sequence[RenderedFile]
    email: EmailContent | None
    graphs: GraphClients
    link: str | None = None
    """The report on SharePoint (this period's): what Teams cards and large mails point to."""
    secrets: tuple[str, ...] = field(default_factory=tuple)
    stop: StopSignal | None = None
    """The daemon's shutdown: every retry wait of the round ends when it is set."""

    @property
    def base_dir(self) -> Path:
        """The folder relative paths start from: the config file's own."""
        try:
            return self.config.config_path.parent
        except RuntimeError:
            return Path.cwd()
