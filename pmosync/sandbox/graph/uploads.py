"""Resumable upload sessions (``createUploadSession`` and the ``uploadUrl`` they return).

The rules are the Graph reference's: fragments in order (anything else is 416), every
fragment but the last a multiple of 320 KiB, at most 60 MiB each, the same total in every
``Content-Range``; 202 with ``nextExpectedRanges`` until the last byte, then the driveItem
(201 created, 200 replaced, 409 if a ``fail`` upload meets an existing name). The upload URL
is pre-authenticated: a request carrying an Authorization header is refused (Graph warns it
"may result in an HTTP 401"), so clients must learn not to send one. DELETE cancels.

``FragmentFaults`` breaks chosen fragments on demand, the two ways a network breaks them: the
fragment is refused with a 5xx before it is taken, or it is stored and the reply is lost (the
connection drops), after which only ``nextExpectedRanges`` tells the client where it stands.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pmosync.sandbox.graph.errors import GraphError, bad_request, item_not_found
from pmosync.sandbox.graph.files import Target

FRAGMENT_UNIT = 320 * 1024
MAX_FRAGMENT = 60 * 1024 * 1024
SESSION_TTL_S = 3600.0
_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+)\s*$")


@dataclass
class Session:
    target: Target
    behaviour: str
    expires: float
    total: int | None = None
    received: bytearray = field(default_factory=bytearray)

    def expiration(self) -> str:
        moment = datetime.fromtimestamp(self.expires, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def progress(self) -> dict[str, object]:
        return {
            "expirationDateTime": self.expiration(),
            "nextExpectedRanges": [f"{len(self.received)}-"],
        }


class ReplyLost(Exception):
    """The fragment was stored; the server drops the connection instead of answering."""


@dataclass(frozen=True)
class FragmentFault:
    status: int | None
    """A 5xx refusing the fragment, or None: stored, then the reply is lost."""


class FragmentFaults:
    """Fragment PUTs to break: ``count`` of them after ``skip`` that go through."""

    def __init__(self) -> None:
        self._skip = 0
        self._count = 0
        self._fault = FragmentFault(503)
        self._lock = threading.Lock()

    def arm(self, count: int, skip: int, status: int | None) -> None:
        with self._lock:
            self._count, self._skip, self._fault = count, skip, FragmentFault(status)

    def draw(self) -> FragmentFault | None:
        with self._lock:
            if self._count <= 0:
                return None
            if self._skip > 0:
                self._skip -= 1
                return None
            self._count -= 1
            return self._fault


@dataclass(frozen=True)
class Fragment:
    start: int
    end: int
    total: int


class UploadSessions:
    """Open sessions by their opaque id; expired ones vanish when next looked at."""

    def __init__(self, ttl_s: float = SESSION_TTL_S) -> None:
        self.ttl_s = ttl_s
        self.base_url = ""
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self.faults = FragmentFaults()
        self.forgetful = False
        """A misbehaving server: every fragment answered 202 and dropped, so the session keeps
        asking for its first byte."""

    def open(self, target: Target, behaviour: str) -> tuple[str, Session]:
        """A new session; (upload URL, session)."""
        session = Session(target, behaviour, time.time() + self.ttl_s)
        key = secrets.token_urlsafe(24)
        with self._lock:
            self._purge()
            self._sessions[key] = session
        return f"{self.base_url}/_upload/{key}", session

    def get(self, key: str) -> Session:
        with self._lock:
            self._purge()
            session = self._sessions.get(key)
        if session is None:
            raise item_not_found("The upload session was not found or has expired.")
        return session

    def close(self, key: str) -> None:
        with self._lock:
            self._sessions.pop(key, None)

    def _purge(self) -> None:
        now = time.time()
        for key in [k for k, s in self._sessions.items() if s.expires < now]:
            del self._sessions[key]


def parse_fragment(header: str | None, length: int) -> Fragment:
    """Check a ``Content-Range`` against the body it came with."""
    found = _RANGE.match(header or "")
    if not found:
        raise bad_request("Content-Range header is missing or malformed; expected bytes a-b/total.")
    start, end, total = (int(g) for g in found.groups())
    if end < start or end >= total:
        raise bad_request(f"Content-Range {header} is not a valid range of the file.")
    if end - start + 1 != length:
        raise bad_request(
            f"Content-Range {header} announces {end - start + 1} bytes but {length} were sent."
        )
    if length > MAX_FRAGMENT:
        raise GraphError(413, "requestTooLarge", "A fragment may hold at most 60 MiB.")
    return Fragment(start, end, total)


def accept(session: Session, fragment: Fragment, data: bytes) -> bool:
    """Append a fragment; True when the file is complete. Raises for out-of-order fragments."""
    if session.total is None:
        session.total = fragment.total
    elif fragment.total != session.total:
        raise bad_request(
            f"The file size {fragment.total} differs from {session.total} given before."
        )
    if fragment.start != len(session.received):
        raise GraphError(
            416,
            "invalidRange",
            f"The fragment starts at {fragment.start}; the next expected byte is "
            f"{len(session.received)}.",
        )
    last = fragment.end == fragment.total - 1
    if not last and len(data) % FRAGMENT_UNIT:
        raise bad_request(
            f"Fragment of {len(data)} bytes: every fragment but the last must be a multiple of "
            "320 KiB (327,680 bytes)."
        )
    session.received.extend(data)
    return last
