"""Pre-authenticated download links, like the ``@microsoft.graph.downloadUrl`` Graph hands out.

``GET .../content`` answers 302 to such a link; the link needs no Authorization header (the
token is in the URL) and expires after an hour. Links are signed, not stored: issuing one per
rendered file costs no memory however many listings a benchmark reads.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time

from pmosync.sandbox.graph.errors import GraphError

LINK_TTL_S = 3600.0


class DownloadLinks:
    def __init__(self, ttl_s: float = LINK_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._secret = os.urandom(16)
        self.base_url = ""

    def url(self, item_id: str) -> str:
        payload = json.dumps([item_id, round(time.time() + self.ttl_s)]).encode()
        body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return f"{self.base_url}/_download/{body}.{self._sign(body)}"

    def item_id(self, token: str) -> str:
        """The item a link is for; 401 for a forged or expired link."""
        body, _, mac = token.partition(".")
        if not hmac.compare_digest(mac, self._sign(body)):
            raise GraphError(401, "unauthenticated", "The download link is not valid.")
        item_id, expires = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        if time.time() > expires:
            raise GraphError(401, "unauthenticated", "The download link has expired.")
        return str(item_id)

    def _sign(self, body: str) -> str:
        return hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()[:32]
