"""Planner reads: a group's plans, plan details, buckets, tasks and task details (writes are
in :mod:`pmosync.sandbox.graph.routes.planner_writes`).

Plan and bucket task listings page with the server's fixed page size (``$top`` and
``$filter`` are ignored there, as Planner does), in creation order so new tasks come last.
``$expand=details`` on tasks inlines their details, saving a request per task.
"""

from __future__ import annotations

from typing import Any

from pmosync.sandbox.graph import odata, render
from pmosync.sandbox.graph.auth import Access
from pmosync.sandbox.graph.call import PLANNER_MISSING, Call, Reply
from pmosync.sandbox.graph.errors import item_not_found
from pmosync.sandbox.graph.routing import Route
from pmosync.sandbox.tenant import Bucket, Plan, PlannerTask


def _task_key(task: PlannerTask) -> list[Any]:
    return [render.iso(task.created_at), task.id]


def _task_shape(call: Call) -> Any:
    expand = odata.parse_expand(call.option("expand"))

    def shape(task: PlannerTask) -> dict[str, Any]:
        body = render.task(task)
        if "details" in expand:
            body["details"] = render.task_details(task)
        return body

    return shape


def _plan_shape(call: Call) -> Any:
    expand = odata.parse_expand(call.option("expand"))
    tenant = call.tenant

    def shape(plan: Plan) -> dict[str, Any]:
        body = render.plan(plan)
        if "details" in expand:
            body["details"] = render.plan_details(plan, tenant)
        return body

    return shape


def _bucket(call: Call) -> Bucket:
    found = call.tenant.buckets.get(call.args["bucket"])
    if found is None:
        raise item_not_found(PLANNER_MISSING)
    return found


def group_plans(call: Call) -> Reply:
    group = call.group(call.args["group"])
    plans = call.tenant.group_plans(group.id)
    return call.listing(
        "Collection(microsoft.graph.plannerPlan)",
        plans,
        lambda p: [render.iso(p.created_at), p.id],
        _plan_shape(call),
    )


def get_plan(call: Call) -> Reply:
    return call.entity("planner/plans/$entity", _plan_shape(call)(call.plan(call.args["plan"])))


def plan_details(call: Call) -> Reply:
    plan = call.plan(call.args["plan"])
    return call.entity(
        f"planner/plans('{plan.id}')/details/$entity", render.plan_details(plan, call.tenant)
    )


def plan_buckets(call: Call) -> Reply:
    plan = call.plan(call.args["plan"])
    return call.listing(
        f"planner/plans('{plan.id}')/buckets",
        call.tenant.plan_buckets(plan.id),
        lambda b: [b.order_hint, b.id],
        render.bucket,
        honour_top=False,
    )


def plan_tasks(call: Call) -> Reply:
    plan = call.plan(call.args["plan"])
    return call.listing(
        f"planner/plans('{plan.id}')/tasks",
        call.tenant.plan_tasks(plan.id),
        _task_key,
        _task_shape(call),
        honour_top=False,
    )


def get_bucket(call: Call) -> Reply:
    return call.entity("planner/buckets/$entity", render.bucket(_bucket(call)))


def bucket_tasks(call: Call) -> Reply:
    bucket = _bucket(call)
    return call.listing(
        f"planner/buckets('{bucket.id}')/tasks",
        call.tenant.bucket_tasks(bucket.id),
        _task_key,
        _task_shape(call),
        honour_top=False,
    )


def get_task(call: Call) -> Reply:
    return call.entity("planner/tasks/$entity", _task_shape(call)(call.task(call.args["task"])))


def task_details(call: Call) -> Reply:
    task = call.task(call.args["task"])
    return call.entity(f"planner/tasks('{task.id}')/details/$entity", render.task_details(task))


ROUTES = (
    Route("GET", "/groups/{group}/planner/plans", group_plans, Access.PLANNER_READ),
    Route("GET", "/planner/plans/{plan}", get_plan, Access.PLANNER_READ),
    Route("GET", "/planner/plans/{plan}/details", plan_details, Access.PLANNER_READ),
    Route("GET", "/planner/plans/{plan}/buckets", plan_buckets, Access.PLANNER_READ),
    Route("GET", "/planner/plans/{plan}/tasks", plan_tasks, Access.PLANNER_READ),
    Route("GET", "/planner/buckets/{bucket}", get_bucket, Access.PLANNER_READ),
    Route("GET", "/planner/buckets/{bucket}/tasks", bucket_tasks, Access.PLANNER_READ),
    Route("GET", "/planner/tasks/{task}", get_task, Access.PLANNER_READ),
    Route("GET", "/planner/tasks/{task}/details", task_details, Access.PLANNER_READ),
)
