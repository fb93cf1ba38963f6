"""How a write pmosync made is recognised when it comes back: the write's mark.

Every text pmosync writes into a team's tool (a status update, a comment) ends with its mark,
``[pmosync <first 16 characters of the write's key>]``. Connectors and mapping skip marked
status updates on the way in, so the PMO's conclusion is never read back as the team's own
word (an echo that would silence the staleness rule and make reported equal computed);
write-back finds a write a crash left unconfirmed by its mark, before sending it again.
"""

from __future__ import annotations

import re

MARK_LENGTH = 16
MARK_PATTERN = re.compile(r"\[pmosync ([0-9a-f]{16})\]")


def mark(key: str) -> str:
    """The mark of the write whose idempotency key is ``key``."""
    return f"[pmosync {key[:MARK_LENGTH]}]"


def marked(text: str | None) -> str | None:
    """The key prefix a text carries, if pmosync wrote it; None for a human's text."""
    if not text:
        return None
    found = MARK_PATTERN.search(text)
    return found.group(1) if found else None
