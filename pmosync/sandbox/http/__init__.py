"""What every API emulator needs from HTTP, whatever API it speaks.

A loopback server that keeps connections alive (and can cut them), seeded fault injection,
a per-token sliding-window quota and request accounting. The Asana and Graph emulators share
these so a fix to connection handling or quotas reaches both.
"""

from pmosync.sandbox.http.faults import Faults, RateLimiter
from pmosync.sandbox.http.server import LoopbackServer, bearer, shut
from pmosync.sandbox.http.stats import RequestStats

__all__ = ["Faults", "LoopbackServer", "RateLimiter", "RequestStats", "bearer", "shut"]
