"""Users, workspaces and teams."""

from __future__ import annotations

from pmosync.sandbox.asana.call import Call, KeySource, Reply
from pmosync.sandbox.asana.index import SortedKeys
from pmosync.sandbox.asana.routing import Route
from pmosync.sandbox.org import Org


def gid_keys(gids: list[str] | set[str]) -> KeySource:
    """Keyset over a small set of gids, sorted per request (people, teams, portfolios)."""
    keys = SortedKeys(gids)
    return keys.after


def team_members(org: Org, team_gid: str) -> set[str]:
    """People who own or are allocated to the team's projects (teams keep no roster)."""
    members: set[str] = set()
    for project in org.projects.values():
        if project.team_gid == team_gid:
            members.add(project.owner_gid)
    for allocation in org.allocations.values():
        if org.projects[allocation.project_gid].team_gid == team_gid:
            members.add(allocation.assignee_gid)
    return members


def get_user(call: Call) -> Reply:
    gid = call.arg("user_gid", allow_me=True)
    return call.one("user", call.lookup("user", call.org.people | call.org.guests, gid))


def list_users(call: Call) -> Reply:
    workspace = call.gid_param("workspace")
    team = call.gid_param("team")
    if workspace is not None:
        call.workspace(workspace)
    gids = set(call.org.people)
    if team is not None:
        call.lookup("team", call.org.teams, team)
        gids = team_members(call.org, team)
    return call.many("user", gid_keys(gids), call.org.people.get)


def workspace_users(call: Call) -> Reply:
    call.workspace(call.arg("workspace_gid"))
    return call.many("user", gid_keys(set(call.org.people)), call.org.people.get)


def list_workspaces(call: Call) -> Reply:
    workspace = call.org.workspace
    return call.many(
        "workspace", gid_keys({workspace.gid}), lambda g: workspace if g == workspace.gid else None
    )


def get_workspace(call: Call) -> Reply:
    call.workspace(call.arg("workspace_gid"))
    return call.one("workspace", call.org.workspace)


def workspace_teams(call: Call) -> Reply:
    call.workspace(call.arg("workspace_gid"))
    return call.many("team", gid_keys(set(call.org.teams)), call.org.teams.get)


def get_team(call: Call) -> Reply:
    return call.one("team", call.lookup("team", call.org.teams, call.arg("team_gid")))


ROUTES = (
    Route("GET", "/users", list_users),
    Route("GET", "/users/{user_gid}", get_user),
    Route("GET", "/workspaces", list_workspaces),
    Route("GET", "/workspaces/{workspace_gid}", get_workspace),
    Route("GET", "/workspaces/{workspace_gid}/users", workspace_users),
    Route("GET", "/workspaces/{workspace_gid}/teams", workspace_teams),
    Route("GET", "/teams/{team_gid}", get_team),
)
