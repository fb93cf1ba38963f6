"""Graph-shaped errors: an exception handlers raise and the body the server sends.

Graph's error body is ``{"error": {"code", "message", "innerError": {"date", "request-id",
"client-request-id"}}}``; clients (msgraph-sdk's ``ODataError``) read ``code`` and
``message``, and support staff ask for the request id, so every error carries them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


class GraphError(Exception):
    """Stops a request with an HTTP status, a Graph error code and message."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self, request_id: str, client_request_id: str) -> dict[str, Any]:
        return error_body(self.code, self.message, request_id, client_request_id)


def error_body(code: str, message: str, request_id: str, client_request_id: str) -> dict[str, Any]:
    stamp = datetime.now(UTC).replace(microsecond=0, tzinfo=None).isoformat()
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": stamp,
                "request-id": request_id,
                "client-request-id": client_request_id,
            },
        }
    }


def bad_request(message: str, code: str = "BadRequest") -> GraphError:
    return GraphError(400, code, message)


def invalid_request(message: str) -> GraphError:
    """The drive/SharePoint flavour of a 400."""
    return GraphError(400, "invalidRequest", message)


def item_not_found(message: str = "The resource could not be found.") -> GraphError:
    """Files, sites and Planner say ``itemNotFound`` (Planner's message is its own)."""
    return GraphError(404, "itemNotFound", message)


def directory_not_found(key: str) -> GraphError:
    """Users and groups: the directory's ``Request_ResourceNotFound``."""
    return GraphError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{key}' does not exist or one of its queried reference-property objects "
        "are not present.",
    )


def conflict(name: str) -> GraphError:
    return GraphError(409, "nameAlreadyExists", f"The specified item name already exists. {name}")
