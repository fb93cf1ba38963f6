"""The Graph sandbox takes Planner writes by Planner's rules, over real loopback HTTP.

Every PATCH needs ``If-Match`` with the item's current etag (missing or stale: 412, a
collision: 409), answers 204 or, with ``Prefer: return=representation``, 200 and the entity;
an accepted write moves the etag. Creations answer 201 and list last. Expected values are the
tenant's own records or worked out by hand from the Graph reference, never read back from the
emulator's rendering of the same write. The msgraph-sdk tests drive it as the connector does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import requests
from graph_env import sdk_client

from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.tenant import Tenant, TenantSize, generate_tenant

TOKEN = "sandbox-graph-token"
TODAY = date(2026, 3, 2)
SIZE = TenantSize(groups=2, plans=3, tasks=60, people=6, timesheet_weeks=1)
REPRESENTATION = {"Prefer": "return=representation"}
MISSING = "The If-Match header must be specified for this kind of request."
MISMATCH = "The If-Match header contains an invalid value."
SDK_WARNINGS = pytest.mark.filterwarnings("ignore:This class is deprecated:DeprecationWarning")


@pytest.fixture
def sandbox() -> Iterator[GraphSandbox]:
    with GraphSandbox(generate_tenant(7, SIZE, TODAY), page_size=25) as fresh:
        yield fresh


def _session(token: str = TOKEN) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def _get(sandbox: GraphSandbox, path: str) -> dict[str, Any]:
    response = _session().get(sandbox.base_url + path)
    assert response.status_code == 200, response.text
    return response.json()


def _etag(sandbox: GraphSandbox, path: str) -> str:
    return _get(sandbox, path)["@odata.etag"]


def _patch(
    sandbox: GraphSandbox,
    path: str,
    body: dict[str, Any],
    etag: str | None,
    token: str = TOKEN,
    **headers: str,
) -> requests.Response:
    sent = dict(headers)
    if etag is not None:
        sent["If-Match"] = etag
    return _session(token).patch(sandbox.base_url + path, json=body, headers=sent)


def _error(response: requests.Response) -> dict[str, Any]:
    return response.json()["error"]


def _task(tenant: Tenant) -> Any:
    """A task with a bucket, some categories free to apply and no start date."""
    return next(
        t
        for t in tenant.tasks.values()
        if t.bucket_id and "category25" not in t.applied_categories and t.start_at is None
    )


def _all(sandbox: GraphSandbox, path: str) -> list[dict[str, Any]]:
    session, url, values = _session(), sandbox.base_url + path, []
    while url:
        body = session.get(url).json()
        values.extend(body["value"])
        url = body.get("@odata.nextLink")
    return values


# -- PATCH /planner/tasks/{id} ---------------------------------------------------------------


def test_a_task_patch_with_the_current_etag_applies_and_moves_the_etag(sandbox):
    tenant = sandbox.tenant
    task = _task(tenant)
    path = f"/planner/tasks/{task.id}"
    before = _etag(sandbox, path)
    first = task.applied_categories[0] if task.applied_categories else None
    categories = {"category25": True} | ({first: False} if first else {})
    due = "2026-04-30T00:00:00Z"
    body = {"title": "PMO: Amber", "appliedCategories": categories, "dueDateTime": due}
    answer = _patch(sandbox, path, body, before, **REPRESENTATION)
    assert answer.status_code == 200, answer.text
    shown = answer.json()
    assert shown["title"] == "PMO: Amber" and shown["id"] == task.id
    assert shown["appliedCategories"].get("category25") is True
    assert first is None or first not in shown["appliedCategories"]
    assert shown["@odata.etag"] != before and answer.headers["ETag"] == shown["@odata.etag"]
    # the tenant holds it, and a later read gives the same new etag
    assert task.title == "PMO: Amber" and "category25" in task.applied_categories
    assert task.due_at == datetime(2026, 4, 30, tzinfo=UTC)
    assert _etag(sandbox, path) == shown["@odata.etag"]


def test_without_prefer_a_patch_answers_204_and_still_moves_the_etag(sandbox):
    task = _task(sandbox.tenant)
    path = f"/planner/tasks/{task.id}"
    before = _etag(sandbox, path)
    answer = _patch(sandbox, path, {"percentComplete": 50}, before)
    assert answer.status_code == 204 and answer.content == b""
    assert task.percent_complete == 50
    after = _etag(sandbox, path)
    assert after != before
    # an accepted write that changes nothing still gives the item a new version
    assert _patch(sandbox, path, {"percentComplete": 50}, after).status_code == 204
    assert _etag(sandbox, path) != after


def test_if_match_missing_or_stale_is_412_and_nothing_changes(sandbox):
    tenant = sandbox.tenant
    task = _task(tenant)
    path = f"/planner/tasks/{task.id}"
    old = _etag(sandbox, path)
    title = task.title
    missing = _patch(sandbox, path, {"title": "x"}, None)
    assert missing.status_code == 412
    assert _error(missing)["code"] == "" and _error(missing)["message"] == MISSING
    tenant.edit_task(task.id, title=title + " (edited by a person)")
    stale = _patch(sandbox, path, {"title": "x"}, old)
    assert stale.status_code == 412 and _error(stale)["message"] == MISMATCH
    details = _etag(sandbox, path + "/details")  # another item's etag is no better
    assert _patch(sandbox, path, {"title": "x"}, details).status_code == 412
    assert task.title == title + " (edited by a person)"
    assert _patch(sandbox, path, {"title": "y"}, "*").status_code == 204
    assert task.title == "y"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"colour": "red"}, "does not exist on type 'microsoft.graph.plannerTask'"),
        ({"planId": "x"}, "read-only"),
        ({"appliedCategories": {"category26": True}}, "category26"),
        ({"appliedCategories": {"category3": "yes"}}, "true or false"),
        ({"percentComplete": 101}, "0 to 100"),
        ({"priority": -1}, "0 to 10"),
        ({"title": ""}, "title"),
        ({"dueDateTime": "next week"}, "Edm.DateTimeOffset"),
        ({"startDateTime": "2026-05-02T00:00:00Z", "dueDateTime": "2026-05-01T00:00:00Z"},
         "later than its due date"),
        ({"assignments": {"u": {"orderHint": " !"}}}, "plannerAssignment"),
        ({"bucketId": "not-a-bucket"}, "bucket"),
    ],
)  # fmt: skip
def test_a_task_patch_planner_would_refuse_is_400_and_changes_nothing(sandbox, body, words):
    task = _task(sandbox.tenant)
    path = f"/planner/tasks/{task.id}"
    before = _etag(sandbox, path)
    answer = _patch(sandbox, path, body, before)
    assert answer.status_code == 400, answer.text
    assert words in _error(answer)["message"]
    assert _etag(sandbox, path) == before


def test_a_bucket_of_another_plan_is_refused(sandbox):
    tenant = sandbox.tenant
    task = _task(tenant)
    foreign = next(b for b in tenant.buckets.values() if b.plan_id != task.plan_id)
    path = f"/planner/tasks/{task.id}"
    answer = _patch(sandbox, path, {"bucketId": foreign.id}, _etag(sandbox, path))
    assert answer.status_code == 400 and task.bucket_id != foreign.id
    own = next(b for b in tenant.plan_buckets(task.plan_id) if b.id != task.bucket_id)
    assert _patch(sandbox, path, {"bucketId": own.id}, _etag(sandbox, path)).status_code == 204
    assert task.bucket_id == own.id


def test_assignments_add_and_remove_people(sandbox):
    tenant = sandbox.tenant
    task = _task(tenant)
    path = f"/planner/tasks/{task.id}"
    newcomer = next(u for u in tenant.users if u not in task.assignee_ids)
    leaving = task.assignee_ids[0] if task.assignee_ids else None
    assignments: dict[str, Any] = {
        newcomer: {"@odata.type": "#microsoft.graph.plannerAssignment", "orderHint": " !"}
    }
    if leaving:
        assignments[leaving] = None
    answer = _patch(sandbox, path, {"assignments": assignments}, _etag(sandbox, path))
    assert answer.status_code == 204
    assert newcomer in task.assignee_ids and (leaving is None or leaving not in task.assignee_ids)
    assert set(_get(sandbox, path)["assignments"]) == set(task.assignee_ids)


# -- details ---------------------------------------------------------------------------------


def test_task_details_take_a_description_and_checklist_changes(sandbox):
    tenant = sandbox.tenant
    task = next(t for t in tenant.tasks.values() if not t.description and not t.checklist)
    path = f"/planner/tasks/{task.id}"
    task_etag, details_etag = _etag(sandbox, path), _etag(sandbox, path + "/details")
    body = {
        "description": "PMO status: Amber",
        "previewType": "description",
        "checklist": {
            "95e27074-6c4a-447a-aa24-9d718a0b86fa": {
                "@odata.type": "microsoft.graph.plannerChecklistItem",
                "title": "Check the budget",
            }
        },
    }
    stale = _patch(sandbox, path + "/details", body, task_etag)  # the task's etag, not its details'
    assert stale.status_code == 412
    answer = _patch(sandbox, path + "/details", body, details_etag, **REPRESENTATION)
    assert answer.status_code == 200, answer.text
    shown = answer.json()
    assert shown["description"] == "PMO status: Amber" and shown["previewType"] == "description"
    assert list(shown["checklist"]) == ["95e27074-6c4a-447a-aa24-9d718a0b86fa"]
    assert shown["@odata.etag"] != details_etag
    assert task.description == "PMO status: Amber" and len(task.checklist) == 1
    # the task shows hasDescription and the checklist count, so its own etag moved too
    now = _get(sandbox, path)
    assert now["@odata.etag"] != task_etag and now["hasDescription"] is True
    assert now["checklistItemCount"] == 1
    removed = _patch(
        sandbox,
        path + "/details",
        {"checklist": {"95e27074-6c4a-447a-aa24-9d718a0b86fa": None}},
        shown["@odata.etag"],
    )
    assert removed.status_code == 204 and task.checklist == []
    refused = _patch(sandbox, path + "/details", {"notes": "x"}, _etag(sandbox, path + "/details"))
    assert refused.status_code == 400
    assert "microsoft.graph.plannerTaskDetails" in _error(refused)["message"]


def test_plan_details_name_and_unname_categories(sandbox):
    tenant = sandbox.tenant
    plan = next(iter(tenant.plans.values()))
    path = f"/planner/plans/{plan.id}/details"
    plan_etag, before = _etag(sandbox, f"/planner/plans/{plan.id}"), _etag(sandbox, path)
    labels = dict(plan.category_descriptions)
    body = {"categoryDescriptions": {"category25": "PMO: Green"}}
    answer = _patch(sandbox, path, body, before, **REPRESENTATION)
    assert answer.status_code == 200, answer.text
    shown = answer.json()["categoryDescriptions"]
    assert shown["category25"] == "PMO: Green"
    assert {k: v for k, v in shown.items() if k.startswith("category") and v} == labels | {
        "category25": "PMO: Green"
    }
    assert plan.category_descriptions == labels | {"category25": "PMO: Green"}
    after = _etag(sandbox, path)
    assert after != before and _etag(sandbox, f"/planner/plans/{plan.id}") == plan_etag
    cleared = _patch(sandbox, path, {"categoryDescriptions": {"category25": None}}, after)
    assert cleared.status_code == 204 and plan.category_descriptions == labels
    for bad in ({"categoryDescriptions": {"category26": "x"}}, {"title": "x"}):
        assert _patch(sandbox, path, bad, _etag(sandbox, path)).status_code == 400
    assert _patch(sandbox, path, body, None).status_code == 412


def test_a_forced_conflict_is_409_once_and_then_the_write_goes_through(sandbox):
    task = _task(sandbox.tenant)
    path = f"/planner/tasks/{task.id}"
    etag = _etag(sandbox, path)
    sandbox.conflict_next(task.id)
    refused = _patch(sandbox, path, {"title": "PMO: Red"}, etag)
    assert refused.status_code == 409 and _error(refused)["code"] == "Conflict"
    assert task.title != "PMO: Red" and _etag(sandbox, path) == etag
    assert _patch(sandbox, path, {"title": "PMO: Red"}, etag).status_code == 204
    assert task.title == "PMO: Red"
    # the control endpoint arms the same, for a sandbox in another process
    control = _session().post(
        sandbox.base_url + "/_sandbox/conflict", json={"item": task.id, "count": 2}
    )
    assert control.json() == {"ok": True}
    etag = _etag(sandbox, path)
    statuses = [_patch(sandbox, path, {"priority": 1}, etag).status_code for _ in range(3)]
    assert statuses == [409, 409, 204]


# -- creations ---------------------------------------------------------------------------------


def test_created_tasks_and_buckets_answer_201_and_list_last(sandbox):
    tenant = sandbox.tenant
    plan = next(iter(tenant.plans.values()))
    base = sandbox.base_url
    made = _session().post(
        f"{base}/planner/buckets", json={"name": "PMO", "planId": plan.id, "orderHint": " !"}
    )
    assert made.status_code == 201, made.text
    bucket = made.json()
    assert bucket["name"] == "PMO" and bucket["planId"] == plan.id and bucket["@odata.etag"]
    assert bucket["id"] in tenant.buckets
    assert [b["id"] for b in _all(sandbox, f"/planner/plans/{plan.id}/buckets")][-1] == bucket["id"]
    body = {
        "planId": plan.id,
        "bucketId": bucket["id"],
        "title": "PMO status: Green",
        "appliedCategories": {"category25": True},
    }
    created = _session().post(f"{base}/planner/tasks", json=body)
    assert created.status_code == 201, created.text
    task = created.json()
    assert task["title"] == "PMO status: Green" and task["bucketId"] == bucket["id"]
    assert task["appliedCategories"] == {"category25": True} and task["@odata.etag"]
    record = tenant.tasks[task["id"]]
    assert (record.plan_id, record.title) == (plan.id, "PMO status: Green")
    listed = [t["id"] for t in _all(sandbox, f"/planner/plans/{plan.id}/tasks")]
    assert listed[-1] == task["id"] and len(listed) == len(set(listed))
    in_bucket = _all(sandbox, f"/planner/buckets/{bucket['id']}/tasks")
    assert [t["id"] for t in in_bucket] == [task["id"]]
    # the new task is written like any other: its etag from the 201 is current
    patched = _patch(sandbox, f"/planner/tasks/{task['id']}", {"title": "PMO status: Red"},
                     task["@odata.etag"])  # fmt: skip
    assert patched.status_code == 204


def test_a_creation_planner_would_refuse_is_400_or_404(sandbox):
    tenant = sandbox.tenant
    plan = next(iter(tenant.plans.values()))
    foreign = next(b for b in tenant.buckets.values() if b.plan_id != plan.id)
    url = f"{sandbox.base_url}/planner/tasks"
    count = len(tenant.tasks)
    cases = [
        ({"planId": plan.id, "title": "x", "bucketId": foreign.id}, 400),
        ({"planId": plan.id}, 400),
        ({"title": "x"}, 400),
        ({"planId": plan.id, "title": "x", "colour": "red"}, 400),
        ({"planId": "AAAAAAAAAAAAAAAAAAAAAAAAAAAA", "title": "x"}, 404),
    ]
    for body, status in cases:
        assert _session().post(url, json=body).status_code == status, body
    assert len(tenant.tasks) == count
    buckets = f"{sandbox.base_url}/planner/buckets"
    assert _session().post(buckets, json={"planId": plan.id}).status_code == 400
    assert _session().post(buckets, json={"name": "x", "planId": "nope"}).status_code == 404


# -- permissions, quotas, faults, batch ----------------------------------------------------------


def test_writes_need_tasks_readwrite_all(sandbox):
    task = _task(sandbox.tenant)
    path = f"/planner/tasks/{task.id}"
    sandbox.add_token("reader", {"Tasks.Read.All", "Group.ReadWrite.All"})
    sandbox.add_token("writer", {"Tasks.ReadWrite.All"})
    etag = _etag(sandbox, path)
    refused = _patch(sandbox, path, {"title": "x"}, etag, token="reader")
    assert refused.status_code == 403
    assert _error(refused)["code"] == "accessDenied"
    assert "Tasks.ReadWrite.All" in _error(refused)["message"]
    assert _session("reader").get(sandbox.base_url + path).status_code == 200
    create = _session("reader").post(
        f"{sandbox.base_url}/planner/tasks", json={"planId": task.plan_id, "title": "x"}
    )
    assert create.status_code == 403
    assert _patch(sandbox, path, {"title": "x"}, etag, token="writer").status_code == 204


def test_writes_obey_throttling_and_injected_failures(sandbox):
    task = _task(sandbox.tenant)
    path = f"/planner/tasks/{task.id}"
    etag = _etag(sandbox, path)
    sandbox.throttle_next(1, retry_after_s=7, path_contains=f"/planner/tasks/{task.id}")
    throttled = _patch(sandbox, path, {"title": "x"}, etag)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"
    sandbox.fail_next(1, 503, path_contains="/planner/tasks")
    assert _patch(sandbox, path, {"title": "x"}, etag).status_code == 503
    assert task.title != "x" and _etag(sandbox, path) == etag
    assert _patch(sandbox, path, {"title": "x"}, etag).status_code == 204


def test_batch_routes_patch_and_post_with_their_headers(sandbox):
    tenant = sandbox.tenant
    task = _task(tenant)
    other = next(t for t in tenant.tasks.values() if t.id != task.id)
    etag = _etag(sandbox, f"/planner/tasks/{task.id}")
    stale = _etag(sandbox, f"/planner/tasks/{other.id}")
    tenant.edit_task(other.id, title=other.title + " (moved on)")
    json_type = {"Content-Type": "application/json"}
    requests_ = [
        {"id": "1", "method": "PATCH", "url": f"/planner/tasks/{task.id}",
         "headers": json_type | {"If-Match": etag} | REPRESENTATION,
         "body": {"title": "PMO: Blue"}},
        {"id": "2", "method": "PATCH", "url": f"/planner/tasks/{other.id}",
         "headers": json_type | {"If-Match": stale}, "body": {"title": "lost"}},
        {"id": "3", "method": "PATCH", "url": f"/planner/tasks/{other.id}",
         "headers": json_type, "body": {"title": "lost"}},
        {"id": "4", "method": "POST", "url": "/planner/tasks", "headers": json_type,
         "body": {"planId": task.plan_id, "title": "Made in a batch"}},
    ]  # fmt: skip
    answer = _session().post(f"{sandbox.base_url}/$batch", json={"requests": requests_})
    assert answer.status_code == 200
    by_id = {r["id"]: r for r in answer.json()["responses"]}
    assert by_id["1"]["status"] == 200 and by_id["1"]["body"]["title"] == "PMO: Blue"
    assert by_id["2"]["status"] == 412 and by_id["2"]["body"]["error"]["message"] == MISMATCH
    assert by_id["3"]["status"] == 412 and by_id["3"]["body"]["error"]["message"] == MISSING
    assert by_id["4"]["status"] == 201
    assert task.title == "PMO: Blue" and other.title.endswith("(moved on)")
    assert tenant.tasks[by_id["4"]["body"]["id"]].title == "Made in a batch"


# -- a person editing in Planner between two syncs --------------------------------------------


def test_in_process_edits_move_the_etags_a_sync_compares(sandbox):
    tenant = sandbox.tenant
    task = _task(tenant)
    plan = tenant.plans[task.plan_id]
    task_path, plan_path = f"/planner/tasks/{task.id}", f"/planner/plans/{plan.id}/details"
    seen = {
        "task": _etag(sandbox, task_path),
        "details": _etag(sandbox, task_path + "/details"),
        "plan": _etag(sandbox, plan_path),
    }
    tenant.edit_task(task.id, title="Renamed by hand", applied_categories=["category2"])
    assert _get(sandbox, task_path)["title"] == "Renamed by hand"
    assert _get(sandbox, task_path)["appliedCategories"] == {"category2": True}
    assert _etag(sandbox, task_path) != seen["task"]
    assert _etag(sandbox, task_path + "/details") == seen["details"]
    tenant.edit_task(task.id, description=task.description + " More words.")
    assert _etag(sandbox, task_path + "/details") != seen["details"]
    tenant.label_categories(plan.id, {"category25": "Renamed label"})
    assert _get(sandbox, plan_path)["categoryDescriptions"]["category25"] == "Renamed label"
    moved = _etag(sandbox, plan_path)
    assert moved != seen["plan"]
    tenant.label_categories(plan.id, {"category25": "Renamed label"})  # the same name again
    assert _etag(sandbox, plan_path) == moved
    with pytest.raises(ValueError):
        tenant.label_categories(plan.id, {"category26": "x"})


# -- the real msgraph-sdk ------------------------------------------------------------------------


def _headers(**values: str) -> Any:
    from kiota_abstractions.base_request_configuration import RequestConfiguration

    config = RequestConfiguration()
    for name, value in values.items():
        config.headers.add(name.replace("_", "-"), value)
    return config


@SDK_WARNINGS
def test_msgraph_sdk_patches_tasks_and_plan_details_with_if_match(sandbox):
    from kiota_abstractions.api_error import APIError
    from msgraph.generated.models.planner_applied_categories import PlannerAppliedCategories
    from msgraph.generated.models.planner_category_descriptions import (
        PlannerCategoryDescriptions,
    )
    from msgraph.generated.models.planner_plan_details import PlannerPlanDetails
    from msgraph.generated.models.planner_task import PlannerTask
    from msgraph.generated.models.planner_task_details import PlannerTaskDetails

    tenant = sandbox.tenant
    task = _task(tenant)
    plan = tenant.plans[task.plan_id]

    async def scenario() -> tuple[Any, Any, Any]:
        client = sdk_client(sandbox, TOKEN)
        tasks = client.planner.tasks.by_planner_task_id(task.id)
        read = await tasks.get()
        body = PlannerTask(
            title="PMO: Amber",
            applied_categories=PlannerAppliedCategories(additional_data={"category25": True}),
        )
        shown = await tasks.patch(
            body, _headers(If_Match=read.additional_data["@odata.etag"], **REPRESENTATION)
        )
        try:
            await tasks.patch(
                PlannerTask(title="lost"), _headers(If_Match=read.additional_data["@odata.etag"])
            )
            stale = None
        except APIError as error:
            stale = error
        details = await tasks.details.get()
        await tasks.details.patch(
            PlannerTaskDetails(description="PMO status: Amber"),
            _headers(If_Match=details.additional_data["@odata.etag"]),
        )
        plan_details = client.planner.plans.by_planner_plan_id(plan.id).details
        current = await plan_details.get()
        labels = PlannerCategoryDescriptions(category25="PMO: Amber")
        await plan_details.patch(
            PlannerPlanDetails(category_descriptions=labels),
            _headers(If_Match=current.additional_data["@odata.etag"]),
        )
        return read, shown, stale

    read, shown, stale = asyncio.run(scenario())
    assert shown.title == "PMO: Amber" and shown.applied_categories.additional_data.get(
        "category25"
    )
    assert shown.additional_data["@odata.etag"] != read.additional_data["@odata.etag"]
    assert stale is not None and stale.response_status_code == 412
    assert task.title == "PMO: Amber" and "category25" in task.applied_categories
    assert task.description == "PMO status: Amber"
    assert plan.category_descriptions["category25"] == "PMO: Amber"


@SDK_WARNINGS
def test_msgraph_sdk_creates_a_bucket_and_a_task_in_it(sandbox):
    from msgraph.generated.models.planner_applied_categories import PlannerAppliedCategories
    from msgraph.generated.models.planner_bucket import PlannerBucket
    from msgraph.generated.models.planner_task import PlannerTask

    tenant = sandbox.tenant
    plan = next(iter(tenant.plans.values()))

    async def scenario() -> tuple[Any, Any]:
        client = sdk_client(sandbox, TOKEN)
        bucket = await client.planner.buckets.post(
            PlannerBucket(name="PMO", plan_id=plan.id, order_hint=" !")
        )
        created = await client.planner.tasks.post(
            PlannerTask(
                plan_id=plan.id,
                bucket_id=bucket.id,
                title="PMO status: Green",
                applied_categories=PlannerAppliedCategories(additional_data={"category25": True}),
            )
        )
        return bucket, created

    bucket, created = asyncio.run(scenario())
    assert tenant.buckets[bucket.id].name == "PMO" and tenant.buckets[bucket.id].plan_id == plan.id
    record = tenant.tasks[created.id]
    assert (record.title, record.bucket_id) == ("PMO status: Green", bucket.id)
    assert record.applied_categories == ["category25"]
    assert created.additional_data["@odata.etag"]
