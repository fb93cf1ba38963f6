"""An Asana REST API emulator over loopback HTTP, serving a synthetic organisation.

It answers the way the official OpenAPI spec says Asana does (compact and full records,
``opt_fields``, keyset pagination with expiring offsets, sync-token events, 401/402/403/404/412/
429/5xx errors) so connectors built on any client, including the official SDK, can be tested
and benchmarked without the network. It shares no code with the connectors on purpose.
"""

from __future__ import annotations

from datetime import date

from pmosync.sandbox.asana.server import AsanaSandbox
from pmosync.sandbox.org import OrgSize, generate_org

__all__ = ["AsanaSandbox", "serve"]


def serve(
    size: str | OrgSize = "S",
    seed: int = 1,
    *,
    requests_per_minute: int | None = None,
    latency_s: float = 0.0,
    free: bool = False,
    token: str = "sandbox-token",
    today: date | None = None,
) -> AsanaSandbox:
    """Generate an org and start a sandbox over it (``free`` switches off premium features)."""
    org = generate_org(seed, size, today)
    org.workspace.is_premium = not free
    sandbox = AsanaSandbox(
        org, token=token, requests_per_minute=requests_per_minute, latency_s=latency_s
    )
    return sandbox.start()
