"""The one guard every pager loop runs through: a server cannot hold a sync forever.

A listing follows cursors the server hands out (Asana's ``next_page.offset``, the events feed's
``sync`` with ``has_more``, Graph's ``@odata.nextLink``). A server that misbehaves (a cursor
that repeats, a ``has_more`` that never turns false) would otherwise keep a stream reading
until the process is killed, growing as it goes. ``PageGuard`` is asked before every request
of a listing: it ends the listing with ``PagingError`` (a ``FatalError``, so only that stream
fails and the connector's other streams go on) when a cursor comes back a second time or the
listing passes its cap, and with ``StopRequested`` as soon as the process was asked to stop
(SIGTERM, Ctrl-C), so a stop is honoured between any two requests, not only between pages the
engine writes.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

from pmosync.connectors.errors import ConnectorError, FatalError
from pmosync.connectors.parallel import abandoned

MAX_PAGES_PER_LISTING = 10_000
"""Pages one listing may take (a million records at 100 a page): far above any real project,
portfolio or plan, and a bound on what a server that never stops paging can cost."""

MAX_EVENT_PAGES = 100
"""Pages of one project's events feed read in one sync: thousands of changes to one project
since the last sync, whose sync token Asana expires after a day anyway. Past that the feed is
not followed further; ``--full`` reads the project afresh instead, with a new sync token."""


class StopSignal(Protocol):
    """What the sync engine's stop request looks like to a connector (a ``threading.Event``)."""

    def is_set(self) -> bool: ...


class PagingError(FatalError):
    """The server's paging went wrong (a cursor repeated, no end in sight): the listing, and
    with it the stream, is abandoned; nothing it already delivered is lost."""


class StopRequested(ConnectorError):
    """The process was asked to stop while a listing was being read; the stream is recorded
    as interrupted and the next run resumes from its last checkpoint."""


STOP_MESSAGE = "shutdown requested while reading {what}"


class PageGuard:
    """Watches one listing's cursors; call ``follow`` before each request after the first.

    Cursors are remembered as 8-byte digests, so even a listing at its cap holds at most
    ``max_pages`` small entries, whatever the server sends.
    """

    def __init__(
        self,
        what: str,
        *,
        max_pages: int = MAX_PAGES_PER_LISTING,
        stop: StopSignal | None,
        remedy: str = "",
    ) -> None:
        """``what`` names the listing in messages (``GET /projects/1/tasks``), never a token;
        ``remedy`` ends them with what the operator can do."""
        self.what = what
        self.max_pages = max_pages
        self.remedy = remedy
        self.pages = 0
        self._stop = stop
        self._seen: set[bytes] = set()

    def check_stop(self) -> None:
        """Raise ``StopRequested`` if the process was asked to stop, or if this listing runs
        in a fan-out worker whose fan-out was given up (its error then goes nowhere)."""
        if (self._stop is not None and self._stop.is_set()) or abandoned():
            raise StopRequested(STOP_MESSAGE.format(what=self.what))

    def first(self, cursor: str | None = None) -> None:
        """Before the listing's first request (``cursor``: its URL, when a link may lead back
        to it)."""
        self.check_stop()
        if cursor is not None:
            self._seen.add(_digest(cursor))
        self.pages = 1

    def follow(self, cursor: str, kind: str = "page cursor") -> None:
        """Before the request that ``cursor`` (an offset, a sync token, a link) leads to."""
        self.check_stop()
        digest = _digest(cursor)
        if digest in self._seen:
            raise PagingError(
                f"{self.what}: the server returned the same {kind} twice (at page "
                f"{self.pages + 1}); the listing was abandoned so it cannot loop forever"
                f"{self.remedy}"
            )
        if self.pages >= self.max_pages:
            raise PagingError(
                f"{self.what}: still more pages after {self.pages} (the cap is "
                f"{self.max_pages}); the listing was abandoned so it cannot run forever"
                f"{self.remedy}"
            )
        self._seen.add(digest)
        self.pages += 1


def _digest(cursor: str) -> bytes:
    return hashlib.blake2b(cursor.encode(), digest_size=8).digest()
