"""A Microsoft Graph v1.0 emulator over loopback HTTP, serving a synthetic tenant.

It answers the way the Graph reference says Graph does (camelCase JSON with ``@odata``
annotations, server-driven paging with absolute nextLinks, Planner etags, JSON ``$batch``,
drive uploads and pre-authenticated downloads, sendMail, 401/403/404/409/416/429/5xx with
Graph's error body), so connectors built on any client, msgraph-sdk included, can be tested
and benchmarked without a tenant. It shares no code with the connectors on purpose.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pmosync.sandbox.graph.server import GraphSandbox
from pmosync.sandbox.tenant import TenantSize, generate_tenant

__all__ = ["GraphSandbox", "serve"]


def serve(
    size: str | TenantSize = "S",
    seed: int = 1,
    *,
    people: Sequence[tuple[str, str]] | None = None,
    today: date | None = None,
    token: str = "sandbox-graph-token",
    roles: set[str] | None = None,
    page_size: int = 100,
    requests_per_minute: int | None = None,
    latency_s: float = 0.0,
    quirks: bool = False,
) -> GraphSandbox:
    """Generate a tenant and start a sandbox over it (``people`` shares the Asana org's humans;
    ``quirks`` adds guests, a mailless account, same-named groups and Paris Planner dates)."""
    tenant = generate_tenant(seed, size, today, people, quirks=quirks)
    sandbox = GraphSandbox(
        tenant,
        token=token,
        roles=roles,
        page_size=page_size,
        requests_per_minute=requests_per_minute,
        latency_s=latency_s,
    )
    return sandbox.start()
