"""The SQL store of the canonical model: one write path, checkpoints, run ledger, quarantine."""

from pmosync.store.errors import StoreError, StoreUrlError
from pmosync.store.store import Store
from pmosync.store.writer import StreamRun, WriteCounts, Writer

__all__ = ["Store", "StoreError", "StoreUrlError", "StreamRun", "WriteCounts", "Writer"]
