"""Put a file into a drive by path, replacing what is there: one PUT or an upload session.

Small files go up in one ``PUT .../content``. Larger ones use an upload session, sent here with
httpx directly: msgraph-core's ``LargeFileUploadTask`` is broken, and the session's upload URL
is pre-authenticated, so it must get no Authorization header (Graph answers 401 to one) and
none of the Graph pipeline's limiter or retries (it is SharePoint's host, not Graph's quota).

Fragments are multiples of 320 KiB, as Graph requires. A fragment that fails (dropped
connection, 5xx, 416 because an earlier try did land) is never simply resent: the session is
asked for ``nextExpectedRanges`` and the upload resumes where the server says. If the session is
gone after the last fragment, the reply to that fragment was lost; the file is then fetched
and compared before it counts as uploaded.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx

from pmosync.connectors.errors import FatalError, NotFound, RetriableError
from pmosync.connectors.microsoft.graph import GraphClient, classify
from pmosync.connectors.retry import RETRIABLE, Attempts

SIMPLE_UPLOAD_MAX = 4 * 1024 * 1024
"""Above this an upload session is used."""
FRAGMENT_UNIT = 320 * 1024
FRAGMENT_SIZE = 10 * FRAGMENT_UNIT
"""3.125 MiB per fragment: within Graph's 60 MiB, a multiple of 320 KiB."""
MAX_STALLS = 3
"""Accepted fragments in a row that may leave the server wanting no later byte (a lost reply
retried is one; a server that never moves on is not)."""
REPLACE = "@microsoft.graph.conflictBehavior"


def drive_path(path: str) -> str:
    """``Reports/2026/a b.html`` as a percent-encoded path for ``root:/{path}:``."""
    return quote("/".join(s for s in path.split("/") if s), safe="/")


async def upload_file(
    client: GraphClient,
    drive_id: str,
    path: str,
    content: bytes,
    media_type: str,
    *,
    fragment_size: int = FRAGMENT_SIZE,
) -> dict[str, Any]:
    """Store ``content`` at ``path`` below the drive's root (folders are created); the driveItem
    Graph answers with (its ``webUrl`` is where people open it)."""
    if fragment_size <= 0 or fragment_size % FRAGMENT_UNIT:
        raise ValueError("fragment_size must be a positive multiple of 320 KiB")
    address = f"drives/{quote(drive_id, safe='')}/root:/{drive_path(path)}:"
    if len(content) <= SIMPLE_UPLOAD_MAX:
        info = client.request("PUT", f"{address}/content?{REPLACE}=replace")
        info.set_stream_content(content, media_type or "application/octet-stream")
        return json.loads(await client.send(info) or b"{}")
    body = {"item": {REPLACE: "replace"}}
    session = await client.get(client.request("POST", f"{address}/createUploadSession", body))
    url = session.get("uploadUrl")
    if not isinstance(url, str) or not url:
        raise FatalError(f"POST {address}/createUploadSession: the answer holds no uploadUrl")
    return await _Session(client, address, url, content, fragment_size).run()


class _Session:
    """One upload session's fragments, resumed from the server's own account of them."""

    def __init__(
        self, client: GraphClient, address: str, url: str, content: bytes, fragment_size: int
    ) -> None:
        self.client = client
        self.address = address
        self.url = url
        self.content = content
        self.fragment_size = fragment_size
        self.where = f"upload session of {address.split(':/', 1)[-1].rstrip(':')}"
        self.attempts = self._fresh_attempts()
        self.stalls = 0
        """Accepted fragments in a row after which the server still wanted no later byte."""

    def _fresh_attempts(self) -> Attempts:
        """The retry count of the fragment in flight (each fragment that lands starts anew)."""
        return Attempts(self.client.policy, "SharePoint upload", self.client.rng)

    async def run(self) -> dict[str, Any]:
        policy = self.client.policy
        connect, read = policy.timeout_s
        timeout = httpx.Timeout(read, connect=connect)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:
            offset = 0
            while True:
                answer = await self._put(http, offset)
                if isinstance(answer, dict):
                    return answer
                if answer is not None:
                    offset = answer
                    continue
                offset = await self._resume(http)
                if offset < 0:
                    return await self._landed_anyway()

    async def _put(self, http: httpx.AsyncClient, offset: int) -> dict[str, Any] | int | None:
        """The finished driveItem, the next offset, or None when the fragment failed."""
        total = len(self.content)
        end = min(offset + self.fragment_size, total)
        headers = {"Content-Range": f"bytes {offset}-{end - 1}/{total}"}
        try:
            response = await http.put(self.url, content=self.content[offset:end], headers=headers)
        except httpx.TransportError as error:
            await self._failed(f"{type(error).__name__}")
            return None
        status = response.status_code
        if status in (200, 201):
            self.attempts = self._fresh_attempts()
            return response.json()
        if status == 202:
            return self._accepted(_next_offset(response, default=end), offset, total)
        if status == 429:
            await self._throttle(response)
            return offset
        if status == 416 or status >= 500:
            await self._failed(f"{status}", status=status, retry_after=_retry_after(response))
            return None
        if status == 404:
            return None  # the session is gone: _resume finds out what became of the file
        raise classify(status, response.content, "PUT", self.where, self.client.scrub)

    def _accepted(self, wanted: int, offset: int, total: int) -> int:
        """The offset after a fragment the server accepted (202). A server that asks for bytes
        outside the file, or for the same bytes again and again, would keep the upload going
        forever: past ``MAX_STALLS`` answers without progress the upload is abandoned."""
        if not 0 <= wanted < total:
            raise FatalError(
                f"{self.where}: the server asked for bytes from {wanted} of a {total}-byte file;"
                " the upload was abandoned"
            )
        if wanted > offset:
            self.stalls = 0
            self.attempts = self._fresh_attempts()
            return wanted
        self.stalls += 1
        if self.stalls > MAX_STALLS:
            raise FatalError(
                f"{self.where}: the server accepted {self.stalls} fragments but still asks for "
                f"bytes from {wanted}; the upload was abandoned so it cannot loop forever"
            )
        return wanted

    async def _resume(self, http: httpx.AsyncClient) -> int:
        """Where the server wants the next byte; -1 when the session no longer exists."""
        while True:
            try:
                response = await http.get(self.url)
            except httpx.TransportError as error:
                await self._failed(f"GET {type(error).__name__}")
                continue
            if response.status_code == 404:
                return -1
            if response.status_code == 200:
                return _next_offset(response, default=0)
            if response.status_code == 429:
                await self._throttle(response)
                continue
            if response.status_code >= 500:
                status = response.status_code
                await self._failed(
                    f"GET {status}", status=status, retry_after=_retry_after(response)
                )
                continue
            raise classify(
                response.status_code, response.content, "GET", self.where, self.client.scrub
            )

    async def _landed_anyway(self) -> dict[str, Any]:
        """The session vanished: either our last fragment completed it (and its reply was lost)
        or it expired. Only identical content on the server counts as done."""
        item: dict[str, Any] | None = None
        try:
            item = await self.client.get(self.address)
            same = item.get("size") == len(self.content) and (
                await self.client.download(f"{self.address}/content") == self.content
            )
        except NotFound:
            same = False
        if item is None or not same:
            raise RetriableError(f"{self.where}: the session expired before the file was complete")
        return item

    async def _failed(
        self, what: str, *, status: int | None = None, retry_after: str | None = None
    ) -> None:
        """A dropped connection (``status`` None), a 5xx or a 416 (an earlier try did land:
        no wait, the session says where to resume); gives up when the policy says so."""
        policy = self.client.policy
        if status is None:
            wait = self.attempts.after_drop()
        elif status == 416:
            wait = self.attempts.after_status(503, "0")
        else:  # every 5xx here: an upload session's fragment is safe to send again
            wait = self.attempts.after_status(status if status in RETRIABLE else 503, retry_after)
        if wait is None:
            raise RetriableError(
                f"{self.where}: {what} (gave up after {self.attempts.tries} tries)"
            )
        await policy.sleep_async(wait.seconds, wait.reason)

    async def _throttle(self, response: httpx.Response) -> None:
        wait = self.attempts.after_status(429, _retry_after(response))
        if wait is None:
            raise RetriableError(f"{self.where}: still throttled after {self.attempts.tries} tries")
        await self.client.policy.sleep_async(wait.seconds, wait.reason)


def _retry_after(response: httpx.Response) -> str | None:
    return response.headers.get("Retry-After")


def _next_offset(response: httpx.Response, default: int) -> int:
    """The start of the first of ``nextExpectedRanges`` (``"26-"`` or ``"26-100"``)."""
    try:
        ranges = response.json().get("nextExpectedRanges") or []
        return int(str(ranges[0]).split("-", 1)[0])
    except (ValueError, IndexError, AttributeError, TypeError):
        return default
