"""Keep secrets out of what a delivery records: every error passes through ``one_line``.

Connectors already build their messages without secrets; this is the second line of defence
for text that came from elsewhere (a server's reply, an unexpected exception): any secret of
the configuration, and any ``Authorization``/Bearer value, that shows up in it is masked before
it reaches the store or a log. The masking itself is the connectors' one ``Scrubber``.
"""

from __future__ import annotations

from pmosync.connectors.scrub import MASK, Scrubber, config_secrets

ERROR_LIMIT = 500

__all__ = ["ERROR_LIMIT", "MASK", "config_secrets", "one_line"]


def one_line(text: str, secrets: tuple[str, ...], limit: int = ERROR_LIMIT) -> str:
    """``text`` on one line, at most ``limit`` characters, with every secret masked."""
    return Scrubber(secrets).one_line(text, limit)
