"""Tokens and the scopes each endpoint needs (from the spec's "Required scope" notes).

Endpoints whose spec entry names no scope need none beyond a valid token, except the writes
in DEFAULT_ONLY: Asana serves an endpoint without granular scopes to a scoped (OAuth) token only
when it was granted ``default`` (full access), and a write-back must learn that before it posts.
A token also names the user it acts as (``created_by`` of what it writes, the owner a locked
field checks); None is the sandbox's own user.
"""

from __future__ import annotations

import threading

NOT_AUTHORIZED = "Not Authorized"

SCOPES: dict[str, str] = {
    "GET /users/{user_gid}": "users:read",
    "GET /users": "users:read",
    "GET /workspaces": "workspaces:read",
    "GET /workspaces/{workspace_gid}": "workspaces:read",
    "GET /workspaces/{workspace_gid}/users": "users:read",
    "GET /workspaces/{workspace_gid}/teams": "teams:read",
    "GET /teams/{team_gid}": "teams:read",
    "GET /portfolios": "portfolios:read",
    "GET /portfolios/{portfolio_gid}": "portfolios:read",
    "GET /portfolios/{portfolio_gid}/items": "portfolios:read",
    "GET /projects": "projects:read",
    "GET /workspaces/{workspace_gid}/projects": "projects:read",
    "GET /teams/{team_gid}/projects": "projects:read",
    "GET /projects/{project_gid}": "projects:read",
    "GET /projects/{project_gid}/custom_field_settings": "projects:read",
    "GET /custom_fields/{custom_field_gid}": "custom_fields:read",
    "GET /sections/{section_gid}/tasks": "tasks:read",
    "GET /tasks": "tasks:read",
    "GET /tasks/{task_gid}": "tasks:read",
    "GET /tasks/{task_gid}/subtasks": "tasks:read",
    "GET /tasks/{task_gid}/dependencies": "tasks:read",
    "POST /tasks": "tasks:write",
    "PUT /tasks/{task_gid}": "tasks:write",
    "PUT /projects/{project_gid}": "projects:write",
    "GET /tasks/{task_gid}/stories": "stories:read",
    "POST /tasks/{task_gid}/stories": "stories:write",
    "GET /stories/{story_gid}": "stories:read",
    "DELETE /tasks/{task_gid}": "tasks:delete",
    "GET /time_tracking_entries": "time_tracking_entries:read",
    "GET /tasks/{task_gid}/time_tracking_entries": "time_tracking_entries:read",
}
FULL_ACCESS = "default"
DEFAULT_ONLY = frozenset({"POST /status_updates", "DELETE /status_updates/{status_update_gid}"})
"""Writes whose spec entry names no granular scope: a scoped token needs ``default``."""


class Tokens:
    """Known tokens, their scopes (None means a full-access token) and their users."""

    def __init__(self) -> None:
        self._tokens: dict[str, frozenset[str] | None] = {}
        self._users: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def add(
        self,
        token: str,
        scopes: set[str] | frozenset[str] | None = None,
        user_gid: str | None = None,
    ) -> None:
        with self._lock:
            self._tokens[token] = frozenset(scopes) if scopes is not None else None
            self._users[token] = user_gid

    def user(self, token: str) -> str | None:
        """The user a token acts as; None for the sandbox's own user."""
        with self._lock:
            return self._users.get(token)

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def known(self, token: str) -> bool:
        with self._lock:
            return token in self._tokens

    def missing_scope(self, token: str, endpoint: str) -> str | None:
        """The scope ``endpoint`` needs that ``token`` lacks, if any."""
        needed = SCOPES.get(endpoint)
        if needed is None and endpoint in DEFAULT_ONLY:
            needed = FULL_ACCESS
        with self._lock:
            scopes = self._tokens.get(token)
        if needed is None or scopes is None or needed in scopes or FULL_ACCESS in scopes:
            return None
        return needed
