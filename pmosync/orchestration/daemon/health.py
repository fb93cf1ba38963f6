"""``/healthz`` and ``/metrics`` over HTTP, for a service manager, Kubernetes and Prometheus.

``/healthz`` answers 200 while the process works, whatever its role (a standby is healthy: it
is doing its job), and 503 when the store cannot be read, which is the one thing a restart or an
operator must look at. Its body says the role, the lease and the last run of each kind.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import Engine, exc, select

from pmosync.orchestration.daemon.lease import Lease
from pmosync.orchestration.daemon.metrics import LedgerCollector, metrics_text
from pmosync.store.engine import describe_db_error
from pmosync.store.schema import runs

log = logging.getLogger(__name__)

RUN_KINDS = ("sync", "report")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def last_runs(engine: Engine) -> dict[str, dict[str, Any] | None]:
    """The latest run of each kind: its status and when it started and ended."""
    out: dict[str, dict[str, Any] | None] = {}
    with engine.connect() as connection:
        for kind in RUN_KINDS:
            row = connection.execute(
                select(runs.c.id, runs.c.job, runs.c.status, runs.c.started_at, runs.c.ended_at)
                .where(runs.c.kind == kind)
                .order_by(runs.c.started_at.desc())
                .limit(1)
            ).first()
            out[kind] = None if row is None else {
                "run_id": row.id,
                "job": row.job,
                "status": row.status,
                "started_at": _iso(row.started_at),
                "ended_at": _iso(row.ended_at),
            }  # fmt: skip
    return out


def health_report(lease: Lease, is_active: Callable[[], bool]) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) of ``/healthz``."""
    role = "active" if is_active() else "standby"
    try:
        state = lease.read()
        latest = last_runs(lease.engine)
    except (exc.SQLAlchemyError, OSError) as error:
        reason = describe_db_error(lease.engine.url, error)
        reason = reason.replace("cannot be opened", "cannot be read")
        return 503, {"status": "error", "role": role, "error": reason}
    sync = latest["sync"]
    degraded = sync is not None and sync["status"] == "failed"
    return 200, {
        "status": "degraded" if degraded else "ok",
        "role": role,
        "holder": lease.holder,
        "lease": {
            "holder": state.holder,
            "expires_at": _iso(state.expires_at),
            "live": state.seconds_left() > 0,
        },
        "last_runs": latest,
    }


class HealthServer:
    """A small threaded HTTP server on its own daemon thread."""

    def __init__(self, host: str, port: int, lease: Lease, is_active: Callable[[], bool]) -> None:
        """Binds at once: a port in use raises ``OSError`` here, before anything starts."""
        collector = LedgerCollector(lease.engine, is_active)

        class Handler(BaseHTTPRequestHandler):
            server_version = "pmosync"
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
                path = self.path.split("?", 1)[0]
                if path == "/healthz":
                    status, body = health_report(lease, is_active)
                    self._send(status, "application/json", json.dumps(body).encode() + b"\n")
                elif path == "/metrics":
                    try:
                        text = metrics_text(collector)
                    except (exc.SQLAlchemyError, OSError) as error:
                        reason = describe_db_error(lease.engine.url, error)
                        self._send(503, "text/plain; charset=utf-8", reason.encode() + b"\n")
                        return
                    self._send(200, "text/plain; version=0.0.4; charset=utf-8", text)
                else:
                    self._send(404, "text/plain; charset=utf-8", b"not found: try /healthz\n")

            def _send(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                log.debug("health: " + format, *args)

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="health", daemon=True
        )

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
