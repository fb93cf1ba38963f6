"""Access tokens and the application permissions (roles) each kind of endpoint accepts.

An app-only Graph token carries ``roles``; an endpoint names the permissions any one of which
lets a call through. The sets follow the permission tables of the Graph reference (least
privileged first). A refused call's message names them, as Graph's does, so a user reading a
sync error learns which permission to grant.
"""

from __future__ import annotations

import threading
from enum import Enum

from pmosync.sandbox.graph.errors import GraphError


class Access(Enum):
    """What an endpoint does, as far as permissions go; the value is the accepted roles."""

    PLANNER_READ = ("Tasks.Read.All", "Tasks.ReadWrite.All")
    """App-only Planner takes only these: Group.Read.All opens Planner to a signed-in user
    (delegated), never to an app."""
    PLANNER_WRITE = ("Tasks.ReadWrite.All",)
    """Creating and changing plans, buckets and tasks as an app: Tasks.ReadWrite.All only
    (Group.ReadWrite.All writes Planner for a signed-in user, never for an app)."""
    GROUP_READ = (
        "Group.Read.All",
        "Group.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    )
    GROUP_MEMBERS = (
        "GroupMember.Read.All",
        "Group.Read.All",
        "Group.ReadWrite.All",
        "Directory.Read.All",
    )
    TEAM_READ = (
        "Team.ReadBasic.All",
        "TeamSettings.Read.All",
        "Group.Read.All",
        "Directory.Read.All",
    )
    CHANNEL_READ = (
        "Channel.ReadBasic.All",
        "ChannelSettings.Read.All",
        "Group.Read.All",
        "Directory.Read.All",
    )
    USER_READ = ("User.Read.All", "User.ReadWrite.All", "Directory.Read.All")
    FILES_READ = ("Files.Read.All", "Sites.Read.All", "Files.ReadWrite.All", "Sites.ReadWrite.All")
    FILES_WRITE = ("Files.ReadWrite.All", "Sites.ReadWrite.All")
    SITES_READ = ("Sites.Read.All", "Sites.ReadWrite.All")
    LIST_WRITE = ("Sites.ReadWrite.All",)
    LIST_MANAGE = ("Sites.Manage.All", "Sites.FullControl.All")
    """Creating lists (and their columns) is above writing items."""
    MAIL_SEND = ("Mail.Send",)

    @property
    def roles(self) -> tuple[str, ...]:
        return self.value

    @property
    def directory(self) -> bool:
        """Directory (Entra ID) endpoints answer ``Authorization_RequestDenied``."""
        return self in (Access.GROUP_READ, Access.GROUP_MEMBERS, Access.USER_READ)


class Tokens:
    """Known tokens and their roles; None means every permission (an admin-consented app)."""

    def __init__(self) -> None:
        self._tokens: dict[str, frozenset[str] | None] = {}
        self._lock = threading.Lock()

    def add(self, token: str, roles: set[str] | frozenset[str] | None = None) -> None:
        with self._lock:
            self._tokens[token] = frozenset(roles) if roles is not None else None

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def check(self, token: str | None) -> str:
        """The token, or 401 unless it is one this tenant issued and has not revoked."""
        if token is None:
            raise unauthenticated("Access token is empty.")
        with self._lock:
            known = token in self._tokens
        if not known:
            raise unauthenticated("Access token validation failure. Invalid audience.")
        return token

    def require(self, token: str, access: Access) -> None:
        """403 naming the accepted permissions when the token holds none of them."""
        with self._lock:
            roles = self._tokens.get(token)
        if roles is None or roles & set(access.roles):
            return
        accepted = ", ".join(access.roles)
        held = ", ".join(sorted(roles))
        message = (
            "Missing role permissions on the request. "
            f"API requires one of '{accepted}'. Roles on the request '{held}'."
        )
        code = "Authorization_RequestDenied" if access.directory else "accessDenied"
        raise GraphError(403, code, message)


def unauthenticated(message: str) -> GraphError:
    return GraphError(
        401,
        "InvalidAuthenticationToken",
        message,
        headers={"WWW-Authenticate": 'Bearer realm="", error="invalid_token"'},
    )
