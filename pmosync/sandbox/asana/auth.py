"""Tokens and the scopes each endpoint needs (from the spec's "Required scope" notes).

Endpoints whose spec entry names no scope need none beyond a valid token.
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
    "DELETE /tasks/{task_gid}": "tasks:delete",
    "GET /time_tracking_entries": "time_tracking_entries:read",
    "GET /tasks/{task_gid}/time_tracking_entries": "time_tracking_entries:read",
}


class Tokens:
    """Known tokens and their scopes; None means a full-access token."""

    def __init__(self) -> None:
        self._tokens: dict[str, frozenset[str] | None] = {}
        self._lock = threading.Lock()

    def add(self, token: str, scopes: set[str] | frozenset[str] | None = None) -> None:
        with self._lock:
            self._tokens[token] = frozenset(scopes) if scopes is not None else None

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def known(self, token: str) -> bool:
        with self._lock:
            return token in self._tokens

    def missing_scope(self, token: str, endpoint: str) -> str | None:
        """The scope ``endpoint`` needs that ``token`` lacks, if any."""
        needed = SCOPES.get(endpoint)
        with self._lock:
            scopes = self._tokens.get(token)
        if needed is None or scopes is None or needed in scopes:
            return None
        return needed
