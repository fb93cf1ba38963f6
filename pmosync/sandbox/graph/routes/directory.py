"""Users, groups (and their members), teams and channels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pmosync.sandbox.graph import odata, render
from pmosync.sandbox.graph.auth import Access
from pmosync.sandbox.graph.call import Call, Reply
from pmosync.sandbox.graph.errors import item_not_found
from pmosync.sandbox.graph.routing import Route
from pmosync.sandbox.tenant import Channel, Group, User

_USER_FILTERS: dict[str, Callable[[User], Any]] = {
    "mail": lambda u: u.mail,
    "userPrincipalName": lambda u: u.user_principal_name,
    "displayName": lambda u: u.display_name,
    "id": lambda u: u.id,
}
_GROUP_FILTERS: dict[str, Callable[[Group], Any]] = {
    "displayName": lambda g: g.display_name,
    "mailNickname": lambda g: g.mail_nickname,
    "id": lambda g: g.id,
    "resourceProvisioningOptions": lambda g: "Team" if g.is_team else None,
}


def _filtered(call: Call, records: list[Any], getters: dict[str, Callable[[Any], Any]]) -> list:
    """Records passing an equality ``$filter`` (directory string matches ignore case)."""
    text = call.option("filter")
    if not text:
        return records
    name, value = odata.parse_filter(text, getters)
    getter = getters[name]
    folded = value.casefold()
    return [r for r in records if str(getter(r) or "").casefold() == folded]


def list_users(call: Call) -> Reply:
    users = _filtered(call, list(call.tenant.users.values()), _USER_FILTERS)
    return call.listing("users", users, lambda u: [u.id], render.user)


def get_user(call: Call) -> Reply:
    return call.entity("users/$entity", render.user(call.user(call.args["user"])))


def list_groups(call: Call) -> Reply:
    groups = _filtered(call, list(call.tenant.groups.values()), _GROUP_FILTERS)
    tenant = call.tenant
    return call.listing("groups", groups, lambda g: [g.id], lambda g: render.group(g, tenant))


def get_group(call: Call) -> Reply:
    group = call.group(call.args["group"])
    return call.entity("groups/$entity", render.group(group, call.tenant))


def _people(call: Call, ids: list[str], fragment: str) -> Reply:
    users = [call.tenant.users[i] for i in ids if i in call.tenant.users]

    def shape(user: User) -> dict[str, Any]:
        return {"@odata.type": "#microsoft.graph.user", **render.user(user)}

    return call.listing(fragment, users, lambda u: [u.id], shape)


def list_members(call: Call) -> Reply:
    return _people(call, call.group(call.args["group"]).member_ids, "directoryObjects")


def list_owners(call: Call) -> Reply:
    return _people(call, call.group(call.args["group"]).owner_ids, "directoryObjects")


def get_team(call: Call) -> Reply:
    return call.entity("teams/$entity", render.team(call.team(call.args["team"]), call.tenant))


def _channel(call: Call) -> Channel:
    team = call.team(call.args["team"])
    found = call.tenant.channels.get(call.args["channel"])
    if found is None or found.team_id != team.id:
        raise item_not_found(f"Channel {call.args['channel']} not found in team {team.id}.")
    return found


def list_channels(call: Call) -> Reply:
    team = call.team(call.args["team"])
    channels = call.tenant.team_channels(team.id)
    text = call.option("filter")
    if text:
        _, value = odata.parse_filter(text, ("displayName",))
        channels = [c for c in channels if c.display_name.casefold() == value.casefold()]
    tenant = call.tenant
    return call.listing(
        f"teams('{team.id}')/channels",
        channels,
        lambda c: [c.id],
        lambda c: render.channel(c, tenant),
    )


def get_channel(call: Call) -> Reply:
    channel = _channel(call)
    return call.entity(
        f"teams('{channel.team_id}')/channels/$entity", render.channel(channel, call.tenant)
    )


def channel_files_folder(call: Call) -> Reply:
    channel = _channel(call)
    folder = call.tenant.items.get(channel.folder_id)
    if folder is None:
        raise item_not_found("The channel's files folder could not be found.")
    return call.entity(
        f"teams('{channel.team_id}')/channels('{channel.id}')/filesFolder/$entity",
        render.drive_item(folder, call.tenant, None),
    )


ROUTES = (
    Route("GET", "/users", list_users, Access.USER_READ),
    Route("GET", "/users/{user}", get_user, Access.USER_READ),
    Route("GET", "/groups", list_groups, Access.GROUP_READ),
    Route("GET", "/groups/{group}", get_group, Access.GROUP_READ),
    Route("GET", "/groups/{group}/members", list_members, Access.GROUP_MEMBERS),
    Route("GET", "/groups/{group}/owners", list_owners, Access.GROUP_MEMBERS),
    Route("GET", "/teams/{team}", get_team, Access.TEAM_READ),
    Route("GET", "/teams/{team}/channels", list_channels, Access.CHANNEL_READ),
    Route("GET", "/teams/{team}/channels/{channel}", get_channel, Access.CHANNEL_READ),
    Route(
        "GET",
        "/teams/{team}/channels/{channel}/filesFolder",
        channel_files_folder,
        Access.FILES_READ,
    ),
)
