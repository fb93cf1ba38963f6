"""A Dataverse Web API (OData v4) emulator over loopback HTTP: the tables of Planner premium
plans (formerly Project for the web) for the synthetic tenant's people.

It shares no code with the connector on purpose.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from pmosync.sandbox.dataverse.churn import ChurnReport, churn
from pmosync.sandbox.dataverse.environment import TABLES, Environment
from pmosync.sandbox.dataverse.generate import (
    ENVIRONMENT_SIZES,
    EnvironmentSize,
    generate_environment,
)
from pmosync.sandbox.dataverse.limits import ServiceLimits
from pmosync.sandbox.dataverse.server import DataverseSandbox
from pmosync.sandbox.dataverse.snapshot import environment_snapshot

if TYPE_CHECKING:
    from pmosync.sandbox.tenant import Tenant

__all__ = [
    "ENVIRONMENT_SIZES",
    "TABLES",
    "ChurnReport",
    "DataverseSandbox",
    "Environment",
    "EnvironmentSize",
    "ServiceLimits",
    "churn",
    "environment_snapshot",
    "generate_environment",
    "serve",
]


def serve(
    size: str | EnvironmentSize = "S",
    seed: int = 1,
    *,
    people: Sequence[tuple[str, str]] | None = None,
    tenant: Tenant | None = None,
    today: date | None = None,
    token: str = "sandbox-dataverse-token",
    page_default: int = 5000,
    limits: ServiceLimits | None = None,
    latency_s: float = 0.0,
    error_rate: float = 0.0,
    fault_seed: int = 0,
    quirks: bool = True,
) -> DataverseSandbox:
    """Generate an environment and start a sandbox over it. ``people`` shares the Asana org's
    humans, ``tenant`` the Graph tenant's (its members, and its tenant id in the 401 sign-in
    hint); ``quirks`` adds the awkward rows (a NUL in a subject, a disabled user, a guest, a
    generic and a contact resource)."""
    environment = generate_environment(
        seed, size, today or date.today(), people, tenant, quirks=quirks
    )
    sandbox = DataverseSandbox(
        environment,
        token=token,
        page_default=page_default,
        limits=limits,
        latency_s=latency_s,
        error_rate=error_rate,
        fault_seed=fault_seed,
        tenant_id=getattr(tenant, "tenant_id", None),
    )
    return sandbox.start()
