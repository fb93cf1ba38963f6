"""A local SMTP server that keeps each message it is given as an ``.eml`` file.

The demo's email deliveries go through pmosync's real SMTP transport to this sink, so what
lands in ``demo/out/mail/`` is exactly what a mail server would have been handed; any mail
client opens the files.
"""

from __future__ import annotations

import re
import socket
import threading
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class _Keeper:
    """The aiosmtpd handler: writes each message to the next numbered ``.eml`` file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.kept: list[Path] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        content: bytes = envelope.original_content or envelope.content
        subject = message_from_bytes(content, policy=policy.default).get("Subject", "message")
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            number = len(list(self.folder.glob("*.eml"))) + 1
            name = _UNSAFE.sub("-", str(subject)).strip("-").lower()[:60] or "message"
            path = self.folder / f"{number:03d}-{name}.eml"
            path.write_bytes(content)
            self.kept.append(path)
        return "250 Message accepted for delivery"


class MailSink:
    """An SMTP sink on 127.0.0.1 (no TLS, no login) writing into ``folder``."""

    def __init__(self, folder: Path) -> None:
        self._keeper = _Keeper(folder)
        self.port = _free_port()
        self._controller = Controller(self._keeper, hostname="127.0.0.1", port=self.port)

    @property
    def kept(self) -> list[Path]:
        """The files written by this sink, in the order the messages arrived."""
        return list(self._keeper.kept)

    def start(self) -> MailSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


def _free_port() -> int:
    """A port free right now on loopback (aiosmtpd needs a number before it listens)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
