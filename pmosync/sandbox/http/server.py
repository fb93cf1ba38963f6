"""A real HTTP/1.1 server on loopback that hands every request to one callable.

Connections are kept alive and Nagle is off, so a client measures the handler and not a
delayed ACK (~40 ms per response otherwise). Open connections are tracked so ``stop`` can cut
them: a client holding a kept-alive socket must fail fast, not hang, when its sandbox stops.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handle = Callable[[BaseHTTPRequestHandler], None]


class LoopbackServer:
    """Serves ``handle`` on 127.0.0.1 (a free port) in a daemon thread once started."""

    def __init__(self, handle: Handle, *, name: str, server_version: str) -> None:
        self._handle = handle
        self._name = name
        self._server_version = server_version
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self.port = 0

    def start(self) -> int:
        """Bind and serve; the port it listens on."""
        handler = type(
            "Handler", (_Handler,), {"server_version": self._server_version, "owner": self}
        )
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name=self._name, daemon=True
        )
        self._thread.start()
        return self.port

    def stop(self) -> None:
        """Stop serving and close kept-alive connections so clients fail fast."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        with self._connections_lock:
            for connection in list(self._connections):
                shut(connection)
        self._server = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def track(self, connection: socket.socket, alive: bool) -> None:
        with self._connections_lock:
            (self._connections.add if alive else self._connections.discard)(connection)

    def dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        self._handle(handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    owner: LoopbackServer

    def setup(self) -> None:
        super().setup()
        self.owner.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.owner.track(self.connection, False)

    def _handle(self) -> None:
        self.owner.dispatch(self)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Silence: a benchmark's million requests do not belong on stderr."""


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, None when absent or empty."""
    if not header or not header.startswith("Bearer "):
        return None
    return header[len("Bearer ") :].strip() or None


def shut(connection: socket.socket) -> None:
    """Cut a connection both ways (a dropped connection, or a server stopping)."""
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
