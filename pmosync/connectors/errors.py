"""Errors a connector raises, split the Singer way: retriable ones are retried by the
connector's one retry policy and only surface once it gives up; fatal ones end the stream (or
the whole connector) at once with a message the user can act on.

Messages never contain a token: they are built from the status, the API's own error text and
the request path, never from headers.
"""

from __future__ import annotations

import json
from typing import Any


class ConnectorError(Exception):
    """A problem talking to a source; ``str()`` is one line naming what went wrong."""

    fatal_for_connector = False
    """True when no other stream of this connector can work either (bad token, no host)."""


class RetriableError(ConnectorError):
    """Worth another try later: throttling, a 5xx, a dropped connection (retries exhausted)."""

    retry_after: float | None = None
    """Seconds the server's last Retry-After asked for, when it sent one: an engine that tries
    the whole run again later (Temporal) waits at least this long."""


class FatalError(ConnectorError):
    """Trying again will not help: a 4xx other than 429."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthenticationError(FatalError):
    """The credentials are refused (401): nothing this connector does can succeed."""

    fatal_for_connector = True


class UnreachableError(RetriableError):
    """The host cannot be reached at all after the retries."""

    fatal_for_connector = True


class PermissionDenied(FatalError):
    """403: the token lacks a scope, or the user cannot see this object."""


class NotFound(FatalError):
    """404: the object is gone or was never visible."""


class PaymentRequired(FatalError):
    """402: the feature needs a paid plan; the stream is skipped, the rest goes on."""


class InvalidRequest(FatalError):
    """400: a parameter the API refused (for Asana also an expired pagination offset)."""


def odata_error(body: Any) -> tuple[str, str]:
    """(code, message) of the ``{"error": {"code", "message"}}`` body Microsoft's OData APIs
    (Graph, Dataverse) answer a failure with; empty strings when it has none."""
    try:
        data = json.loads(body) if isinstance(body, bytes | str) else body
        error = (data or {}).get("error") or {}
        return str(error.get("code") or ""), str(error.get("message") or "")
    except (ValueError, AttributeError, TypeError):
        return "", ""
