"""``pmosync discover`` for Asana: the workspaces, teams, portfolios and projects a token sees.

It reads through the same SDK client as a sync (one limiter per token, the same retries), so
it works wherever a sync would, and it needs only the token: the configured workspace may be
a ``${VAR}`` still unset, since choosing it is what discover is for. A listing the token
cannot read (portfolios on a free plan, teams of a personal workspace) is one line and the
others are still listed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import asana

from pmosync.config.connectors import AsanaConnector
from pmosync.connectors.asana.client import AsanaClient
from pmosync.connectors.base import Discovery, Found
from pmosync.connectors.errors import ConnectorError, PaymentRequired
from pmosync.connectors.retry import RetryPolicy


def discover_asana(config: AsanaConnector, policy: RetryPolicy | None = None) -> Discovery:
    """Every workspace of the token, and in each its teams, portfolios and projects."""
    client = AsanaClient(
        token=config.token.get_secret_value(),
        base_url=str(config.base_url),
        requests_per_minute=config.requests_per_minute,
        max_concurrency=1,
        policy=policy,
    )
    teams = asana.TeamsApi(client.api_client)
    found = Discovery()
    try:
        workspaces = _all(client, client.workspaces.get_workspaces)
        for workspace in workspaces:
            gid, name = str(workspace["gid"]), str(workspace.get("name") or "")
            found.found.append(Found("workspace", gid, name, "workspace"))
            listings: list[tuple[str, str, Callable[..., Any], str]] = [
                ("team", "teams", teams.get_teams_for_workspace, "name"),
                ("portfolio", "portfolios", client.portfolios.get_portfolios, "name"),
                ("project", "projects", client.projects.get_projects_for_workspace, "name"),
            ]
            for kind, key, call, fields in listings:
                try:
                    for record in _all(client, call, gid, fields=fields):
                        item = Found(kind, str(record["gid"]), str(record.get("name") or ""), key)
                        found.found.append(_within(item, name))
                except PaymentRequired:
                    found.unreadable.append(f"{key} of workspace {gid}: not on this Asana plan")
                except ConnectorError as error:
                    if error.fatal_for_connector:
                        raise
                    found.unreadable.append(f"{key} of workspace {gid}: {error}")
    finally:
        client.close()
    return found


def _within(item: Found, workspace: str) -> Found:
    return Found(item.kind, item.id, item.name, item.key, workspace)


def _all(
    client: AsanaClient, call: Callable[..., Any], *args: str, fields: str = "name"
) -> Iterator[dict[str, Any]]:
    for page in client.pages(call, *args, opts={"opt_fields": fields}):
        yield from page
