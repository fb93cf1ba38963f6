"""Dataverse's failures as the connectors' one-line errors.

Dataverse answers a failure with ``{"error": {"code": "0x8...", "message": "..."}}``; the code
says more than the status (a 403 is either "not a member of the organization", which no request
of this connector can get past, or a missing table privilege, which fails one stream). Messages
are built from the status, the request path and Dataverse's scrubbed words, never from headers.
"""

from __future__ import annotations

import re
from typing import Any

from pmosync.connectors.errors import (
    AuthenticationError,
    ConnectorError,
    FatalError,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    RetriableError,
    odata_error,
)
from pmosync.connectors.retry import RETRIABLE
from pmosync.connectors.scrub import Scrubber

NOT_A_MEMBER = "0x80072560"
MISSING_PRIVILEGE = "0x80040220"
TOKEN_EXPIRED = "0x80044352"
TRACKING_OFF = "0x80044155"

_PRIVILEGE = re.compile(
    r"missing (prv(AppendTo|Append|Assign|Create|Delete|Read|Share|Write)(\w+)) privilege"
)
_ENTITY = re.compile(r"for entity '(\w+)'")


class DeltaTokenExpired(InvalidRequest):
    """A table's change-tracking token is older than Dataverse keeps changes for (400
    0x80044352): the stream warns and reads that table in full again, with complete-listing
    reconciles, so nothing deleted meanwhile is missed."""


class NotInEnvironment(AuthenticationError):
    """403 0x80072560: the app signed in, but the environment has no application user for it
    (or it is disabled); no request of the connector can succeed."""


def missing_privilege(message: str) -> tuple[str, str, str] | None:
    """(privilege, access, table) a 0x80040220 message names: ``prvReadmsdyn_projecttask``,
    ``Read``, ``msdyn_projecttask``."""
    found = _PRIVILEGE.search(message)
    if found is None:
        return None
    entity = _ENTITY.search(message)
    return found[1], found[2], entity[1] if entity else found[3]


def classify(status: int, body: Any, where: str, scrub: Scrubber) -> ConnectorError:
    """One of our errors, one line, for a failed answer to ``where`` ("GET /msdyn_projects")."""
    code, text = odata_error(body)
    said = scrub.one_line(f"{code}: {text}" if code and text else code or text, 300)
    detail = f" {said}" if said else ""
    if status == 401:
        return AuthenticationError(
            f"Dataverse refused the credentials ({where}: 401{detail}); check the token, "
            "secret or certificate and that it was issued for this environment; the app "
            "registration needs an application user in the environment",
            status,
        )
    if status == 403 and code == NOT_A_MEMBER:
        return NotInEnvironment(
            f"Dataverse: the app is not a member of the environment ({where}: 403{detail}); "
            "create an application user for the app registration in the Power Platform admin "
            "center (environment > Settings > Users + permissions > Application users) and "
            "give it a security role",
            status,
        )
    if status == 403:
        named = missing_privilege(text) if code == MISSING_PRIVILEGE else None
        if named is not None:
            privilege, access, table = named
            return PermissionDenied(
                f"{where}: missing privilege {privilege} ({access} on table {table}): add it "
                "to the application user's security role",
                status,
            )
        return PermissionDenied(f"{where}: 403{detail}", status)
    if status == 404:
        return NotFound(f"{where}: 404{detail}", status)
    if status == 400 and code == TOKEN_EXPIRED:
        return DeltaTokenExpired(f"{where}: change-tracking token expired ({said})", status)
    if status == 400:
        return InvalidRequest(f"{where}: 400{detail}", status)
    if status in RETRIABLE:
        return RetriableError(f"{where}: {status}{detail} (gave up after retries)")
    return FatalError(f"{where}: {status}{detail}", status)
