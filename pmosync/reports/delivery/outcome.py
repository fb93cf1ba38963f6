"""What one delivery attempt came to, as the CLI, the daemon and the run ledger show it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DeliveryStatus = Literal["delivered", "failed", "already_delivered"]


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """One target's result for one report period. ``label`` and ``error`` hold no secret."""

    label: str
    kind: str
    """sharepoint, email, teams or folder."""
    period: str
    """The report's as_of date (ISO): a target gets each period once."""
    status: DeliveryStatus
    error: str | None = None
    """One line; for a delivered email, recipients the server refused (the rest got it)."""
    location: str | None = None
    """Where it landed: the SharePoint link of the report, or the folder written."""


class DeliveryError(Exception):
    """A delivery that cannot be made as configured; ``str()`` is one line saying why."""
