"""The OData parts of Graph a client meets: ``$select``, simple ``$filter``, server paging.

Paging is keyset-based: a ``$skiptoken`` carries the sort key of the last record served,
signed so it cannot be forged or reused on another listing. Resuming from a key rather than a
position means records added or removed between pages neither repeat nor shift others out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pmosync.sandbox.graph.errors import GraphError, bad_request

T = TypeVar("T")
MAX_TOP = 999
_EQ = re.compile(r"^\s*([A-Za-z][\w/]*)\s+eq\s+'((?:[^']|'')*)'\s*$")
_TEAMS = re.compile(
    r"^\s*resourceProvisioningOptions/Any\(\s*(\w+)\s*:\s*\1\s+eq\s+'Team'\s*\)\s*$", re.I
)


def unsupported_query(text: str) -> GraphError:
    return GraphError(400, "Request_UnsupportedQuery", f"Unsupported query: {text}")


def parse_filter(text: str, allowed: Iterable[str]) -> tuple[str, str]:
    """``displayName eq 'O''Brien'`` -> ("displayName", "O'Brien"); anything else is a 400.

    The connectors need one equality at a time; accepting more grammar than that would let a
    client depend on filters the sandbox does not really evaluate.
    """
    if _TEAMS.match(text) and "resourceProvisioningOptions" in allowed:
        return "resourceProvisioningOptions", "Team"
    found = _EQ.match(text)
    if not found or found.group(1) not in allowed:
        raise unsupported_query(text)
    return found.group(1), found.group(2).replace("''", "'")


def parse_select(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [name.strip() for name in text.split(",") if name.strip()]


def parse_expand(text: str | None) -> set[str]:
    """Names to expand (``details``, ``fields``); nested options in parentheses are ignored."""
    if not text:
        return set()
    text = re.sub(r"\([^)]*\)", "", text)
    return {name.strip() for name in text.split(",") if name.strip()}


def select(record: dict[str, Any], names: list[str] | None) -> dict[str, Any]:
    """Keep the named properties (and the annotations); Graph returns only what was selected."""
    if names is None:
        return record
    wanted = set(names)
    return {k: v for k, v in record.items() if k in wanted or k.startswith("@odata.")}


def page_size(top: str | None, default: int, honour_top: bool) -> int:
    """Records per page: ``$top`` where the endpoint honours it (1..999), else the fixed size."""
    if top is None or not honour_top:
        return default
    try:
        size = int(top)
    except ValueError:
        raise bad_request(f"Invalid value '{top}' for $top query option.") from None
    if not 1 <= size <= MAX_TOP:
        raise bad_request(f"Invalid page size specified: '{size}'. Must be between 1 and 999.")
    return size


class SkipTokens:
    """Signed keyset tokens: (listing scope, last key) -> opaque string and back."""

    def __init__(self) -> None:
        self._secret = os.urandom(16)

    def issue(self, scope: str, key: list[Any]) -> str:
        payload = json.dumps([_digest(scope), key], separators=(",", ":")).encode()
        body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return f"{body}.{self._sign(body)}"

    def resume(self, token: str, scope: str) -> list[Any]:
        body, _, mac = token.partition(".")
        if not hmac.compare_digest(mac, self._sign(body)):
            raise bad_request("The $skiptoken is not valid.")
        try:
            digest, key = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            raise bad_request("The $skiptoken is not valid.") from None
        if digest != _digest(scope) or not isinstance(key, list):
            raise bad_request("The $skiptoken does not belong to this query.")
        return key

    def _sign(self, body: str) -> str:
        return hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()[:24]


def _digest(scope: str) -> str:
    return hashlib.sha256(scope.encode()).hexdigest()[:16]


def keyset_page(
    records: Iterable[T], key: Callable[[T], list[Any]], after: list[Any] | None, size: int
) -> tuple[list[T], bool]:
    """The ``size`` records after ``after`` in key order, and whether more follow."""
    keyed = sorted(((key(r), r) for r in records), key=lambda pair: pair[0])
    if after is not None:
        keyed = [pair for pair in keyed if pair[0] > after]
    page = [record for _, record in keyed[: size + 1]]
    return page[:size], len(page) > size
