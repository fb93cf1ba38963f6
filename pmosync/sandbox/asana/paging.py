"""Keyset pagination with opaque, signed, expiring offset tokens.

A token carries the last key served, a digest of the query it belongs to and when it was
issued, signed with a per-sandbox secret: a client can neither forge one nor reuse it for a
different query, and it expires like Asana's do. Resuming from a key rather than a position
means edits between pages neither skip nor repeat records.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pmosync.sandbox.asana.errors import bad_request
from pmosync.sandbox.asana.index import key_gid

UNPAGINATED_MAX = 1000
TOO_LARGE = (
    "The result is too large. You should use pagination (may require specifying a workspace)!"
)
EXPIRED = "offset: Your pagination token has expired."
INVALID = "offset: Your pagination token is invalid."
# Parameters that may change between pages without invalidating the token.
_FREE_PARAMS = frozenset({"offset", "limit", "opt_fields", "opt_pretty"})


def query_signature(path: str, params: Mapping[str, str]) -> str:
    items = sorted((k, v) for k, v in params.items() if k not in _FREE_PARAMS)
    return hashlib.sha256(json.dumps([path, items]).encode()).hexdigest()[:16]


class OffsetTokens:
    """Issues and checks offset tokens; ``expire_all`` invalidates every token issued so far."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._secret = os.urandom(16)
        self._not_before = 0.0
        self._lock = threading.Lock()

    def expire_all(self) -> None:
        with self._lock:
            self._not_before = time.time()

    def issue(self, signature: str, key: str) -> str:
        payload = json.dumps([signature, key, time.time()], separators=(",", ":")).encode()
        body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return f"{body}.{self._sign(body)}"

    def resume_key(self, token: str, signature: str) -> str:
        """The key to resume after, or a 400 for a forged, foreign or expired token."""
        body, _, mac = token.partition(".")
        if not hmac.compare_digest(mac, self._sign(body)):
            raise bad_request(INVALID)
        try:
            sig, key, issued = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            raise bad_request(INVALID) from None
        if sig != signature:
            raise bad_request(INVALID)
        with self._lock:
            stale = issued <= self._not_before or time.time() - issued > self.ttl_s
        if stale:
            raise bad_request(EXPIRED)
        return str(key)

    def _sign(self, body: str) -> str:
        return hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()[:24]


def collect(
    keys: Iterable[str],
    resolve: Callable[[str], Any],
    keep: Callable[[Any], bool] | None,
    want: int,
) -> list[tuple[str, Any]]:
    """Up to ``want`` (key, record) pairs in key order, skipping vanished or filtered records."""
    out: list[tuple[str, Any]] = []
    for key in keys:
        record = resolve(key_gid(key))
        if record is None or (keep is not None and not keep(record)):
            continue
        out.append((key, record))
        if len(out) >= want:
            break
    return out


def page_size(limit: int | None) -> int:
    """How many records to collect: one extra reveals whether another page or error follows."""
    return (limit if limit is not None else UNPAGINATED_MAX) + 1


def check_unpaginated(found: list[tuple[str, Any]]) -> None:
    if len(found) > UNPAGINATED_MAX:
        raise bad_request(TOO_LARGE)
