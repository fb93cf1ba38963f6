"""``pmosync sync`` with ``engine: temporal``: the connectors' sync workflows, started and awaited.

Each connector's sync starts under its one workflow id, the id its schedule's ticks use: if
that connector is syncing already (a tick, another person's command), this command does not
start a second sync; it waits for the running one and reports its outcome.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from temporalio.client import Client, WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from pmosync.config import PmosyncConfig
from pmosync.orchestration.temporal.connect import Target
from pmosync.orchestration.temporal.ids import workflow_id
from pmosync.orchestration.temporal.requests import SyncRequest, SyncSummary
from pmosync.orchestration.temporal.workflows import Sync


@dataclass(frozen=True)
class Submitted:
    """One connector's sync through the cluster."""

    connector: str
    workflow_id: str
    joined: bool
    """A sync of this connector was already running; this waited for it instead."""
    summary: SyncSummary | None = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None or self.summary is None or self.summary.status != "succeeded"


async def sync_on_temporal(
    client: Client,
    config: PmosyncConfig,
    target: Target,
    names: Sequence[str],
    *,
    full: bool = False,
    said: Callable[[str], None] = lambda _: None,
) -> list[Submitted]:
    """Start (or join) the sync of each of ``names`` and wait for them all."""

    async def one(name: str) -> Submitted:
        wid = workflow_id(config, "sync", name)
        request = SyncRequest.of(config, name, full=full)
        joined = False
        try:
            handle = await client.start_workflow(
                Sync.run,
                request,
                id=wid,
                task_queue=target.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            )
            said(f"{name}: started {wid}")
        except WorkflowAlreadyStartedError:
            handle = client.get_workflow_handle_for(Sync.run, wid)
            joined = True
            said(f"{name}: a sync is already running ({wid}); waiting for it")
        try:
            summary = await handle.result()
        except WorkflowFailureError as error:
            return Submitted(name, wid, joined, _summary_of(error), _cause(error))
        return Submitted(name, wid, joined, summary)

    return list(await asyncio.gather(*(one(name) for name in names)))


def _chain(error: BaseException) -> list[BaseException]:
    """``error`` and its causes, outermost first (workflow, activity, the activity's own)."""
    chain = [error]
    while chain[-1].__cause__ is not None:
        chain.append(chain[-1].__cause__)
    return chain


def _cause(error: WorkflowFailureError) -> str:
    """The innermost message: the activity's ApplicationError names connector and reason."""
    return str(_chain(error)[-1])


def _summary_of(error: WorkflowFailureError) -> SyncSummary | None:
    """The ledger's summary the failed activity sent with its error, when it sent one."""
    for cause in _chain(error):
        if isinstance(cause, ApplicationError) and cause.details:
            detail = cause.details[0]
            if isinstance(detail, dict):
                try:
                    return SyncSummary(**detail)
                except TypeError:
                    return None
    return None
