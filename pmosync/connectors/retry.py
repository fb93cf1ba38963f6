"""How long a connector keeps trying before a retriable failure becomes an error.

One policy shape for every connector (Asana's urllib3 client and Graph's httpx pipeline apply it
in their own request loops): 429s wait as long as Retry-After says, 5xx answers and dropped
connections back off with full jitter, and both give up after a bounded number in a row.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long to keep trying before a retriable failure becomes an error."""

    max_throttled: int = 12
    """429s in a row for one request; each waits as long as Retry-After says."""
    max_failures: int = 6
    """5xx answers or dropped connections in a row for one request."""
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    retry_after_cap_s: float = 120.0
    timeout_s: tuple[float, float] = (10.0, 60.0)
    """(connect, read) timeouts for each request."""

    def backoff(self, failures: int, rng: random.Random) -> float:
        """Full-jitter exponential backoff: spreads retries of parallel workers apart."""
        return rng.uniform(0, min(self.backoff_cap_s, self.backoff_base_s * 2**failures))
