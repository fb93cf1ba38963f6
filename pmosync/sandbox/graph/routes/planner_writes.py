"""Planner writes: PATCH a task, its details and a plan's details; POST tasks and buckets.

Each PATCH passes Planner's precondition first (``If-Match`` with the item's current etag,
see :mod:`pmosync.sandbox.graph.preconditions`), then its body is read the way Planner reads
it (:mod:`pmosync.sandbox.graph.planner_input`), then the tenant changes and the item gets a
new etag, so a sync reading afterwards sees the change. Creations need no etag and answer 201
with the new entity; a new task or bucket lists after the plan's others.
"""

from __future__ import annotations

from pmosync.sandbox.graph import planner_input, render
from pmosync.sandbox.graph.auth import Access
from pmosync.sandbox.graph.call import Call, Reply
from pmosync.sandbox.graph.errors import bad_request
from pmosync.sandbox.graph.preconditions import require_match, written
from pmosync.sandbox.graph.routing import Route


def patch_task(call: Call) -> Reply:
    task = call.task(call.args["task"])
    require_match(call, render.task(task)["@odata.etag"], task.id)
    changes = planner_input.task_changes(call.json(), call.tenant, task.plan_id, task)
    try:
        call.tenant.edit_task(task.id, touch="task", **changes)
    except (KeyError, ValueError) as error:
        raise bad_request(str(error).strip("'\"")) from None
    return written(call, "planner/tasks/$entity", render.task(task))


def patch_task_details(call: Call) -> Reply:
    task = call.task(call.args["task"])
    require_match(call, render.task_details(task)["@odata.etag"], task.id)
    changes = planner_input.details_changes(call.json(), task, call.tenant.now())
    call.tenant.edit_task(task.id, touch="details", **changes)
    return written(call, f"planner/tasks('{task.id}')/details/$entity", render.task_details(task))


def patch_plan_details(call: Call) -> Reply:
    plan = call.plan(call.args["plan"])
    require_match(call, render.plan_details(plan, call.tenant)["@odata.etag"], plan.id)
    labels = planner_input.category_labels(call.json())
    call.tenant.label_categories(plan.id, labels, touch=True)
    return written(
        call,
        f"planner/plans('{plan.id}')/details/$entity",
        render.plan_details(plan, call.tenant),
    )


def create_task(call: Call) -> Reply:
    plan_id, fields = planner_input.new_task(call.json(), call.tenant)
    title = fields.pop("title")
    try:
        task_id = call.tenant.add_task(plan_id, title, **fields)
    except (KeyError, ValueError) as error:
        raise bad_request(str(error).strip("'\"")) from None
    return call.entity("planner/tasks/$entity", render.task(call.tenant.tasks[task_id]), 201)


def create_bucket(call: Call) -> Reply:
    plan_id, name = planner_input.new_bucket(call.json(), call.tenant)
    bucket_id = call.tenant.add_bucket(plan_id, name)
    return call.entity(
        "planner/buckets/$entity", render.bucket(call.tenant.buckets[bucket_id]), 201
    )


ROUTES = (
    Route("POST", "/planner/tasks", create_task, Access.PLANNER_WRITE),
    Route("POST", "/planner/buckets", create_bucket, Access.PLANNER_WRITE),
    Route("PATCH", "/planner/tasks/{task}", patch_task, Access.PLANNER_WRITE),
    Route("PATCH", "/planner/tasks/{task}/details", patch_task_details, Access.PLANNER_WRITE),
    Route("PATCH", "/planner/plans/{plan}/details", patch_plan_details, Access.PLANNER_WRITE),
)
