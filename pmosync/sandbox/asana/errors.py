"""Asana-shaped errors: an exception the handlers raise and the body the server sends."""

from __future__ import annotations

from typing import Any

HELP = (
    "For more information on API status codes and how to handle them, "
    "read the docs on errors: https://developers.asana.com/docs/errors"
)
# Asana attaches a memorable phrase to 5xx errors so support can find the request.
_PHRASES = (
    "6 sad squid snuggle softly",
    "24 grumpy otters nap loudly",
    "9 brave llamas hum quietly",
    "15 shy pandas dance slowly",
)
PREMIUM_ONLY = (
    "This feature is only available to premium organizations and workspaces; "
    "upgrade the workspace's plan to use it."
)


class ApiError(Exception):
    """Stops a request with an HTTP status and an errors body (plus optional extra keys)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.message) | self.extra


def error_body(status: int, message: str) -> dict[str, Any]:
    """``{"errors": [{"message", "help", "phrase" (5xx only)}]}`` as the spec's ErrorResponse."""
    error: dict[str, Any] = {"message": message, "help": HELP}
    if status >= 500:
        error["phrase"] = _PHRASES[len(message) % len(_PHRASES)]
    return {"errors": [error]}


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found(kind: str, gid: str) -> ApiError:
    return ApiError(404, f"{kind}: Unknown object: {gid}")


def forbidden(message: str) -> ApiError:
    return ApiError(403, message)
