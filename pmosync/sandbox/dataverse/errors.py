"""Dataverse-shaped errors: an exception handlers raise and the body the server sends.

Dataverse's Web API answers ``{"error": {"code": "0x8...", "message": "..."}}``; the hex code is
what a client branches on (0x80044352 an expired delta token, 0x80072322 the request budget),
so every refusal the emulator makes carries the code Dataverse uses for it.
"""

from __future__ import annotations

from typing import Any

NOT_FOUND = "0x80060888"
"""Unknown entity set, unknown property, unparsable query: the OData layer's code."""
ROW_NOT_FOUND = "0x80040217"
NOT_MEMBER = "0x80072560"
MISSING_PRIVILEGE = "0x80040220"
TRACKING_DISABLED = "0x80044155"
TOKEN_EXPIRED = "0x80044352"
BAD_QUERY = "0x80040203"
REQUESTS_EXCEEDED = "0x80072322"
EXECUTION_TIME_EXCEEDED = "0x80072321"
CONCURRENCY_EXCEEDED = "0x80072326"
UNEXPECTED = "0x80040216"


class DataverseError(Exception):
    """Stops a request with an HTTP status, a Dataverse error code and message.

    ``body`` False sends no body at all (a 401 carries only its WWW-Authenticate header)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        body: bool = True,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.has_body = body

    def body(self) -> dict[str, Any] | None:
        if not self.has_body:
            return None
        return {"error": {"code": self.code, "message": self.message}}


def bad_request(message: str, code: str = BAD_QUERY) -> DataverseError:
    return DataverseError(400, code, message)


def unknown_property(name: str, table: str) -> DataverseError:
    return DataverseError(
        400,
        NOT_FOUND,
        f"Could not find a property named '{name}' on type 'Microsoft.Dynamics.CRM.{table}'.",
    )


def segment_not_found(segment: str) -> DataverseError:
    return DataverseError(404, NOT_FOUND, f"Resource not found for the segment '{segment}'.")


def row_not_found(table: str, key: str) -> DataverseError:
    return DataverseError(404, ROW_NOT_FOUND, f"{table} With Id = {key} Does Not Exist")


def tracking_not_supported(option: str) -> DataverseError:
    return bad_request(f"The query parameter {option} is not supported with change tracking.")
