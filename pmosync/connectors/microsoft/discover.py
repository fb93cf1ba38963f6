"""``pmosync discover`` for Microsoft 365: the groups, plans, sites and Teams channels an app
registration (or token) can see, with the ids the planner and sharepoint_files keys take.

It signs in and reads through the same Graph client as a sync. Only Microsoft 365 groups are
listed as groups (Planner lives in those; security and distribution groups have no plans). A
listing the app may not read (a missing permission) is one line; the others are still listed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from pmosync.config.connectors import MicrosoftAuth
from pmosync.connectors.base import Discovery, Found
from pmosync.connectors.errors import ConnectorError
from pmosync.connectors.microsoft.graph import GraphClient
from pmosync.connectors.retry import RetryPolicy

GROUPS = "groups?$select=id,displayName,groupTypes,resourceProvisioningOptions"
SITES = "sites?search=*&$select=id,displayName,webUrl"


def discover_microsoft(config: MicrosoftAuth, policy: RetryPolicy | None = None) -> Discovery:
    """Microsoft 365 groups and their plans, Teams and their channels, SharePoint sites."""
    client = GraphClient(config, policy=policy, max_concurrency=1)
    try:
        return client.run(_discover(client))
    finally:
        client.close()


async def _discover(client: GraphClient) -> Discovery:
    found = Discovery()
    groups = [g for g in await client.collect(GROUPS) if "Unified" in (g.get("groupTypes") or [])]
    for group in sorted(groups, key=_name):
        gid, name = str(group["id"]), _name(group)
        found.found.append(Found("group", gid, name, "groups"))
        plans = client.sdk.groups.by_group_id(gid).planner.plans.to_get_request_information()
        await _list(client, found, plans, f"plans of group {gid}", "plan", "-", name)
    for team in sorted(groups, key=_name):
        if "Team" not in (team.get("resourceProvisioningOptions") or []):
            continue
        tid, name = str(team["id"]), _name(team)
        found.found.append(Found("team", tid, name, "team"))
        await _list(client, found, f"teams/{tid}/channels", f"channels of team {tid}",
                    "channel", "channel", name)  # fmt: skip
    try:
        for site in sorted(await client.collect(SITES), key=_name):
            found.found.append(Found("site", _address(site), _name(site), "site"))
    except ConnectorError as error:
        if error.fatal_for_connector:
            raise
        found.unreadable.append(f"sites: {error}")
    return found


async def _list(
    client: GraphClient, found: Discovery, target: Any, what: str, kind: str, key: str, within: str
) -> None:
    """Add every record of one listing, or one line saying why it could not be read."""
    try:
        records = await client.collect(target)
    except ConnectorError as error:
        if error.fatal_for_connector:
            raise
        found.unreadable.append(f"{what}: {error}")
        return
    for record in sorted(records, key=_name):
        found.found.append(Found(kind, str(record["id"]), _name(record), key, within))


def _name(record: dict[str, Any]) -> str:
    return str(record.get("displayName") or record.get("title") or "")


def _address(site: dict[str, Any]) -> str:
    """``host:/sites/name``, the form the ``site`` key takes, from the site's web address;
    its Graph id when it has none."""
    parts = urlsplit(str(site.get("webUrl") or ""))
    if not parts.netloc:
        return str(site["id"])
    return f"{parts.netloc}:{unquote(parts.path) or '/'}"
