"""``pmosync check`` with ``engine: temporal``: the cluster, its workers and its schedules.

Three questions a PSO expert asks before relying on the cluster: does it answer (address,
namespace, credentials), is any worker polling our task queue (or will the ticks wait for
nobody), and are its schedules the YAML's (or was ``apply`` forgotten after an edit).
"""

from __future__ import annotations

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.service import RPCError

from pmosync.config import PmosyncConfig
from pmosync.connectors.base import CheckResult
from pmosync.orchestration.temporal.connect import Target, TemporalUnavailable, connect
from pmosync.orchestration.temporal.schedules import plan


async def probe_engine(config: PmosyncConfig, target: Target) -> list[CheckResult]:
    try:
        client = await connect(config, target)
        await client.count_workflows("WorkflowType = 'pmosync.Sync'")
    except TemporalUnavailable as error:
        return [CheckResult("error", str(error))]
    except RPCError as error:
        return [CheckResult("error", f"{target}: {error.message}")]
    found = [CheckResult("ok", f"{target} answers")]
    try:
        response = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=target.namespace,
                task_queue=TaskQueue(name=target.task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
            )
        )
        workers = sorted({poller.identity for poller in response.pollers})
        if workers:
            names = ", ".join(workers[:5]) + (" …" if len(workers) > 5 else "")
            found.append(CheckResult(
                "ok", f"{len(workers)} worker(s) on task queue {target.task_queue}: {names}"
            ))  # fmt: skip
        else:
            found.append(CheckResult(
                "warning",
                f"no worker polls task queue {target.task_queue}: the ticks will wait until "
                "one runs (`pmosync worker -c FILE`)",
            ))  # fmt: skip
        planned = await plan(client, config, target)
    except RPCError as error:
        found.append(CheckResult("error", f"{target}: {error.message}"))
        return found
    if planned.changes:
        found.append(CheckResult(
            "warning",
            f"the cluster's schedules differ from the YAML ({len(planned.create)} to create, "
            f"{len(planned.update)} to update, {len(planned.delete)} to delete): run "
            "`pmosync schedules apply`",
        ))  # fmt: skip
    else:
        found.append(CheckResult("ok", f"{len(planned.unchanged)} schedule(s) as in the YAML"))
    return found
