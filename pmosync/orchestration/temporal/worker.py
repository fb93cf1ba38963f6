"""``pmosync worker``: a Temporal worker running pmosync's workflows and activities.

Any number of workers may serve one task queue; Temporal hands each activity to one of them.
``max_concurrent`` bounds the activities (syncs and reports) a worker runs at once, each in a
thread of its own, as ``sync.max_parallel_connectors`` bounds the daemon's. On SIGTERM the
worker stops polling, asks its running syncs to stop after their page in flight (they end
retriably and resume on another worker) and leaves within ``graceful_seconds``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from pmosync.orchestration.temporal.activities import Activities
from pmosync.orchestration.temporal.connect import Target
from pmosync.orchestration.temporal.workflows import Report, Sync, SyncTick
from pmosync.sync.engine import SyncObserver

log = logging.getLogger("pmosync.worker")


def identity() -> str:
    """``pmosync@host:pid``: what the Temporal UI shows as the worker of each attempt."""
    return f"pmosync@{socket.gethostname()}:{os.getpid()}"


async def run_worker(
    client: Client,
    target: Target,
    config_path: Path,
    stop: asyncio.Event,
    *,
    store_url: str | None = None,
    max_concurrent: int = 4,
    graceful_seconds: float = 30,
    observer: SyncObserver | None = None,
) -> None:
    """Serve ``target``'s task queue until ``stop`` is set."""
    activities = Activities(config_path, store_url, observer)
    with ThreadPoolExecutor(max_concurrent, thread_name_prefix="activity") as executor:
        worker = Worker(
            client,
            task_queue=target.task_queue,
            workflows=[Sync, SyncTick, Report],
            activities=activities.all(),
            activity_executor=executor,
            max_concurrent_activities=max_concurrent,
            graceful_shutdown_timeout=timedelta(seconds=graceful_seconds),
            identity=identity(),
        )
        try:
            async with worker:
                log.info(
                    "worker %s on %s, task queue %s, up to %d at once",
                    identity(),
                    target,
                    target.task_queue,
                    max_concurrent,
                )
                await stop.wait()
                log.info("stopping: running syncs stop after their page in flight")
        finally:
            activities.close()
    log.info("stopped")
