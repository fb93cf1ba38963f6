"""Access tokens, the application users behind them, and their read privileges per table.

A Dataverse token is only as good as the application user it maps to: not a member of the
environment is a 403 on every call, and each table needs its ``prvRead<table>`` privilege (a
security role). The refusals quote what Dataverse's do, so a user reading a sync error learns
which privilege to grant.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass

from pmosync.sandbox.dataverse.environment import TABLES
from pmosync.sandbox.dataverse.errors import MISSING_PRIVILEGE, NOT_MEMBER, DataverseError

_NAMESPACE = uuid.UUID("6f1d2b1e-5a0c-4b8e-9d0a-2c4f0e9d7a11")


@dataclass
class Principal:
    """The application user a token signs in as."""

    token: str
    user_id: str
    privileges: set[str] | None
    """Tables it may read (logical names); None: every table."""
    member: bool


class Tokens:
    def __init__(self) -> None:
        self._principals: dict[str, Principal] = {}
        self._lock = threading.Lock()

    def add(
        self,
        token: str,
        privileges: set[str] | None = None,
        member: bool = True,
        user_id: str | None = None,
    ) -> None:
        """``user_id`` is the application user's systemuserid (a GUID derived from the token
        when not given)."""
        unknown = set(privileges or ()) - set(TABLES)
        if unknown:
            raise KeyError(f"no such table(s): {sorted(unknown)}")
        user_id = user_id or str(uuid.uuid5(_NAMESPACE, f"user:{token}"))
        with self._lock:
            self._principals[token] = Principal(
                token, user_id, None if privileges is None else set(privileges), member
            )

    def remove(self, token: str) -> None:
        with self._lock:
            self._principals.pop(token, None)

    def find(self, token: str | None) -> Principal | None:
        if token is None:
            return None
        with self._lock:
            return self._principals.get(token)

    def set_privilege(self, table: str, token: str | None, granted: bool) -> None:
        """Grant or revoke ``prvRead<table>`` for one token, or for every token (None)."""
        if table not in TABLES:
            raise KeyError(f"no such table: {table}")
        with self._lock:
            targets = (
                list(self._principals.values()) if token is None else [self._principals[token]]
            )
            for principal in targets:
                if principal.privileges is None:
                    if granted:
                        continue
                    principal.privileges = set(TABLES)
                (principal.privileges.add if granted else principal.privileges.discard)(table)


def require_member(principal: Principal) -> None:
    if not principal.member:
        raise DataverseError(403, NOT_MEMBER, "The user is not a member of the organization.")


def require_read(principal: Principal, table: str) -> None:
    """403 naming ``prvRead<table>``, the table's OTC and the caller, as Dataverse words it."""
    privileges = principal.privileges
    if privileges is None or table in privileges:
        return
    spec = TABLES[table]
    privilege_id = uuid.uuid5(_NAMESPACE, f"prvRead{table}")
    user = principal.user_id
    raise DataverseError(
        403,
        MISSING_PRIVILEGE,
        f"Principal user (Id={user}, type=8, roleCount=1, privilegeCount={len(privileges)}), "
        f"is missing prvRead{table} privilege (Id={privilege_id}) on "
        f"OTC={spec.object_type_code} for entity '{table}'. context.Caller={user}",
    )
