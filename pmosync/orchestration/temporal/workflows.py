"""pmosync's workflows: thin and deterministic, the work is in the activities.

- ``SyncTick``: what a connector's schedule starts on each tick. It starts the connector's
  ``Sync`` under the connector's one workflow id; when a sync of that connector is already
  running (started by hand, or a tick before), the tick does not start another and says so.
  Temporal appends each tick's time to the ids of the workflows a schedule starts, which is
  why the tick is a workflow of its own: the sync's id must not change from tick to tick.
- ``Sync``: one activity runs the connector's streams in order through the engine (the
  streams share what earlier ones learned, e.g. the projects in scope), heartbeating as pages
  commit and while they wait. A worker that dies stops heartbeating: after ``heartbeat_seconds`` the
  activity is retried on another worker and resumes from the last committed checkpoint.
  Failures the connector says may pass (throttling, an outage) are retried with backoff,
  honouring Retry-After; fatal ones (a refused token) fail the workflow at once.
- ``Report``: waits for the syncs of the connectors the report reads that are running at its
  tick (at most ``wait_minutes``), then runs the report for the tick's day and, when it
  succeeded, the write-back of the connectors that follow it (a no-op when none does).

Activities are named by string, so this module imports nothing but the SDK and the payloads.
The workflows run outside the SDK's sandbox (``sandboxed=False``): they only call the SDK's
deterministic API on dataclasses, and the sandbox would re-import modules for every workflow
run, CPU a worker spends on nothing of ours (measured by bench/scale_out.py).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from pmosync.orchestration.temporal.requests import (
        ReportRequest,
        ReportSummary,
        SyncRequest,
        SyncSummary,
        TickResult,
        WritebackRequest,
        WritebackSummary,
    )

SYNC_ACTIVITY = "pmosync.sync_connector"
WAIT_ACTIVITY = "pmosync.wait_for_syncs"
REPORT_ACTIVITY = "pmosync.run_report"
WRITEBACK_ACTIVITY = "pmosync.write_back"
WRITEBACK_PATCH = "pmosync-writeback-after-report"
"""Marks report workflows that run the write-back activity, so one started by an older worker
replays as it ran (Temporal's ``workflow.patched``)."""

FATAL = ["SyncFailed", "NotConfigured"]
"""Error types an activity raises when trying again cannot help."""

SYNC_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    maximum_attempts=8,
    non_retryable_error_types=FATAL,
)
"""A lost worker, an unreachable store, a throttled or unreachable source: tried again, the
last about 20 minutes after the first failure (an ApplicationError's ``next_retry_delay``, set
from a Retry-After, overrides the interval)."""

SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")


@workflow.defn(name="pmosync.Sync", sandboxed=False)
class Sync:
    @workflow.run
    async def run(self, request: SyncRequest) -> SyncSummary:
        return await workflow.execute_activity(
            SYNC_ACTIVITY,
            request,
            result_type=SyncSummary,
            start_to_close_timeout=timedelta(minutes=request.stream_timeout_minutes),
            heartbeat_timeout=timedelta(seconds=request.heartbeat_seconds),
            retry_policy=SYNC_RETRY,
        )


@workflow.defn(name="pmosync.SyncTick", sandboxed=False)
class SyncTick:
    @workflow.run
    async def run(self, request: SyncRequest, sync_id: str) -> TickResult:
        try:
            handle = await workflow.start_child_workflow(
                Sync.run,
                request,
                id=sync_id,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
        except WorkflowAlreadyStartedError:
            note = f"a sync of {request.connector} is already running ({sync_id}): not started"
            workflow.logger.info(note)
            return TickResult(request.connector, ran=False, note=note)
        return TickResult(request.connector, ran=True, summary=await handle)


@workflow.defn(name="pmosync.Report", sandboxed=False)
class Report:
    @workflow.run
    async def run(self, request: ReportRequest) -> ReportSummary:
        as_of = request.as_of
        if as_of is None:  # the tick's instant; the activity makes it a day in the org's zone
            scheduled = workflow.info().typed_search_attributes.get(SCHEDULED_START)
            as_of = (scheduled or workflow.now()).isoformat()
        before = workflow.now()
        still_running = await workflow.execute_activity(
            WAIT_ACTIVITY,
            ReportRequest(request.report, request.wait_minutes, as_of),
            result_type=list[str],
            start_to_close_timeout=timedelta(minutes=request.wait_minutes + 5),
            heartbeat_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_attempts=3),
        )
        waited = (workflow.now() - before).total_seconds()
        summary: ReportSummary = await workflow.execute_activity(
            REPORT_ACTIVITY,
            ReportRequest(request.report, request.wait_minutes, as_of, bool(still_running)),
            result_type=ReportSummary,
            start_to_close_timeout=timedelta(hours=2),
            heartbeat_timeout=timedelta(minutes=2),
            retry_policy=RetryPolicy(maximum_attempts=3, non_retryable_error_types=FATAL),
        )
        written = None
        if summary.status == "succeeded" and workflow.patched(WRITEBACK_PATCH):
            written = await workflow.execute_activity(
                WRITEBACK_ACTIVITY,
                WritebackRequest(request.report, as_of),
                result_type=WritebackSummary,
                start_to_close_timeout=timedelta(hours=1),
                heartbeat_timeout=timedelta(minutes=2),
                retry_policy=RetryPolicy(maximum_attempts=3, non_retryable_error_types=FATAL),
            )
        return ReportSummary(
            summary.report,
            summary.run_id,
            summary.status,
            summary.error,
            waited_seconds=waited,
            still_running=still_running,
            writeback=written,
        )
