"""A sync observer for tests that also listens for waits, as the progress display does
(``waiting(connector, seconds, reason)``, told of every retry and quota wait)."""

from __future__ import annotations


class WaitWatcher:
    """Records every wait it is told of; ignores the rest of a sync's progress."""

    def __init__(self) -> None:
        self.waits: list[tuple[str, float, str]] = []

    def stream_started(self, connector, stream) -> None: ...

    def page_written(self, connector, stream, records, counts) -> None: ...

    def stream_finished(self, connector, result) -> None: ...

    def waiting(self, connector: str, seconds: float, reason: str) -> None:
        self.waits.append((connector, seconds, reason))
