"""The Graph sandbox answers like Microsoft Graph v1.0, over real loopback HTTP.

Expected values come from the generated tenant (the ground truth) or are worked out by hand
from the Graph reference (status codes, error codes, 320 KiB fragments, 20-item batches),
never from the emulator's own rendering. The last tests drive it with the real msgraph-sdk.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import pytest
import requests
from graph_env import sdk_client

from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.tenant import Tenant, TenantSize, generate_tenant, tenant_snapshot

TOKEN = "sandbox-graph-token"
TODAY = date(2026, 3, 2)
SIZE = TenantSize(groups=2, plans=3, tasks=240, people=8, timesheet_weeks=2)
HOST = "contoso.sharepoint.com"
KIB320 = 320 * 1024
# msgraph-sdk warns about its own generated classes on every call; not ours to fix.
SDK_WARNINGS = pytest.mark.filterwarnings("ignore:This class is deprecated:DeprecationWarning")


def _tenant() -> Tenant:
    return generate_tenant(7, SIZE, TODAY)


@pytest.fixture(scope="module")
def shared() -> Iterator[GraphSandbox]:
    """A read-only sandbox for tests that change nothing."""
    with GraphSandbox(_tenant(), page_size=25) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox() -> Iterator[GraphSandbox]:
    """A fresh sandbox for tests that write or change settings."""
    with GraphSandbox(_tenant(), page_size=25) as fresh:
        yield fresh


def _session(token: str | None = TOKEN) -> requests.Session:
    session = requests.Session()
    if token is not None:
        session.headers["Authorization"] = f"Bearer {token}"
    return session


def _get(sandbox: GraphSandbox, path: str, **kwargs: Any) -> requests.Response:
    return _session().get(sandbox.base_url + path, **kwargs)


def _ops(tenant: Tenant) -> Any:
    return next(g for g in tenant.groups.values() if g.display_name == "Operations")


def _biggest_plan(tenant: Tenant) -> Any:
    return max(tenant.plans.values(), key=lambda p: len(tenant.plan_tasks(p.id)))


def _all_pages(session: requests.Session, url: str) -> tuple[list[dict[str, Any]], int]:
    values: list[dict[str, Any]] = []
    pages = 0
    while url:
        assert pages < 500, "the nextLinks never end"
        response = session.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        values.extend(body["value"])
        pages += 1
        url = body.get("@odata.nextLink")
    return values, pages


def _files_url(sandbox: GraphSandbox) -> str:
    """Pre-authenticated links point at another host name for the same server, as Graph's
    point at SharePoint: a token provider trusting only the API host sends them no token."""
    return sandbox.base_url.replace("127.0.0.1", "localhost")


def _graph_error(response: requests.Response) -> dict[str, Any]:
    error = response.json()["error"]
    assert set(error["innerError"]) == {"date", "request-id", "client-request-id"}
    return error


# -- paging ----------------------------------------------------------------------------------


def test_plan_tasks_page_at_the_server_size_and_cover_each_task_once(shared):
    tenant = shared.tenant
    plan = _biggest_plan(tenant)
    expected = {t.id for t in tenant.plan_tasks(plan.id)}
    assert len(expected) > 25
    session = _session()
    first = session.get(f"{shared.base_url}/planner/plans/{plan.id}/tasks?$top=5").json()
    assert len(first["value"]) == 25, "$top is ignored on plan tasks: fixed server page size"
    assert first["@odata.nextLink"].startswith(shared.base_url + "/planner/plans/")
    values, pages = _all_pages(session, f"{shared.base_url}/planner/plans/{plan.id}/tasks")
    ids = [v["id"] for v in values]
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == expected
    assert pages == -(-len(expected) // 25)


def test_paging_neither_repeats_nor_skips_when_tasks_change_between_pages(sandbox):
    tenant = sandbox.tenant
    plan = _biggest_plan(tenant)
    before = [t.id for t in tenant.plan_tasks(plan.id)]
    session = _session()
    first = session.get(f"{sandbox.base_url}/planner/plans/{plan.id}/tasks").json()
    served = [v["id"] for v in first["value"]]
    unserved = [i for i in before if i not in served]
    tenant.delete_task(unserved[0])
    tenant.delete_task(served[0])
    added = tenant.add_task(plan.id, "Added between pages")
    rest, _ = _all_pages(session, first["@odata.nextLink"])
    ids = served + [v["id"] for v in rest]
    assert len(ids) == len(set(ids))
    assert set(ids) == (set(before) - {unserved[0]}) | {added}


def test_a_forged_or_foreign_skip_token_is_refused(shared):
    tenant = shared.tenant
    plans = sorted(tenant.plans.values(), key=lambda p: len(tenant.plan_tasks(p.id)))
    small, big = plans[0], plans[-1]
    link = _get(shared, f"/planner/plans/{big.id}/tasks").json()["@odata.nextLink"]
    token = link.split("$skiptoken=")[1]
    forged = _get(shared, f"/planner/plans/{big.id}/tasks?$skiptoken={token[:-2]}xx")
    foreign = _get(shared, f"/planner/plans/{small.id}/tasks?$skiptoken={token}")
    assert forged.status_code == foreign.status_code == 400
    assert _graph_error(forged)["code"] == "BadRequest"


def test_users_page_with_top_and_select_and_filter_by_mail(shared):
    tenant = shared.tenant
    session = _session()
    values, pages = _all_pages(session, f"{shared.base_url}/users?$top=3&$select=id,mail")
    assert pages == -(-len(tenant.users) // 3)
    assert {v["id"] for v in values} == set(tenant.users)
    assert all(set(v) == {"id", "mail"} for v in values)
    someone = sorted(tenant.users.values(), key=lambda u: u.id)[3]
    found = _get(shared, f"/users?$filter=mail eq '{someone.mail.upper()}'").json()["value"]
    assert [u["id"] for u in found] == [someone.id]
    by_upn = _get(shared, f"/users/{quote(someone.user_principal_name)}").json()
    assert by_upn["id"] == someone.id and by_upn["displayName"] == someone.display_name


def test_groups_filter_by_display_name_and_unsupported_filters_are_refused(shared):
    ops = _ops(shared.tenant)
    found = _get(shared, "/groups?$filter=displayName eq 'Operations'").json()["value"]
    assert [(g["id"], g["resourceProvisioningOptions"]) for g in found] == [(ops.id, ["Team"])]
    teams = _get(shared, "/groups?$filter=resourceProvisioningOptions/Any(x:x eq 'Team')").json()[
        "value"
    ]
    assert {g["id"] for g in teams} == {g.id for g in shared.tenant.groups.values() if g.is_team}
    bad = _get(shared, "/groups?$filter=startswith(displayName,'Op')")
    assert bad.status_code == 400
    assert _graph_error(bad)["code"] == "Request_UnsupportedQuery"


# -- Planner shapes and etags ------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_tasks_carry_every_planner_field_from_the_tenant(shared):
    tenant = shared.tenant
    task = next(t for t in tenant.tasks.values() if t.completed_at and t.applied_categories)
    body = _get(shared, f"/planner/tasks/{task.id}").json()
    assert body["@odata.etag"].startswith('W/"')
    assert (body["planId"], body["bucketId"], body["title"]) == (
        task.plan_id,
        task.bucket_id,
        task.title,
    )
    assert body["percentComplete"] == task.percent_complete == 100
    assert body["priority"] == task.priority
    assert body["dueDateTime"] == _iso(task.due_at)
    assert body["startDateTime"] == _iso(task.start_at)
    assert body["completedDateTime"] == _iso(task.completed_at)
    assert body["completedBy"] == {"user": {"displayName": None, "id": task.completed_by}}
    assert body["createdBy"]["user"]["id"] == task.created_by
    assert body["appliedCategories"] == {c: True for c in task.applied_categories}
    assert set(body["assignments"]) == set(task.assignee_ids)
    for assignment in body["assignments"].values():
        assert assignment["@odata.type"] == "#microsoft.graph.plannerAssignment"
    assert body["hasDescription"] == bool(task.description)
    assert body["checklistItemCount"] == len(task.checklist)
    assert body["conversationThreadId"] is None


def test_task_details_hold_description_and_checklist(shared):
    tenant = shared.tenant
    task = next(t for t in tenant.tasks.values() if t.checklist and t.description)
    body = _get(shared, f"/planner/tasks/{task.id}/details").json()
    assert body["id"] == task.id and body["description"] == task.description
    assert body["references"] == {}
    assert set(body["checklist"]) == {c.id for c in task.checklist}
    for item in task.checklist:
        shown = body["checklist"][item.id]
        assert shown["@odata.type"] == "#microsoft.graph.plannerChecklistItem"
        assert (shown["title"], shown["isChecked"]) == (item.title, item.is_checked)
    listed = _get(shared, f"/planner/plans/{task.plan_id}/tasks?$expand=details").json()
    # the task may sit on a later page; every listed task carries its details inline
    assert all(v["details"]["id"] == v["id"] for v in listed["value"])


def test_plan_details_label_categories_1_to_25(shared):
    plan = next(iter(shared.tenant.plans.values()))
    body = _get(shared, f"/planner/plans/{plan.id}/details").json()
    categories = body["categoryDescriptions"]
    for n in range(1, 26):
        assert categories[f"category{n}"] == plan.category_descriptions.get(f"category{n}")
    members = shared.tenant.groups[plan.group_id].member_ids
    assert set(body["sharedWith"]) == set(members)
    buckets = _get(shared, f"/planner/plans/{plan.id}/buckets").json()["value"]
    assert {b["id"] for b in buckets} == {b.id for b in shared.tenant.plan_buckets(plan.id)}
    plans = _get(shared, f"/groups/{plan.group_id}/planner/plans").json()["value"]
    assert plan.id in {p["id"] for p in plans}


def test_etags_change_exactly_when_the_record_changes(sandbox):
    tenant = sandbox.tenant
    task, other = list(tenant.tasks.values())[:2]
    path = f"/planner/tasks/{task.id}"
    etag = _get(sandbox, path).json()["@odata.etag"]
    details_etag = _get(sandbox, path + "/details").json()["@odata.etag"]
    assert _get(sandbox, path).json()["@odata.etag"] == etag
    tenant.edit_task(other.id, title=other.title + " (moved)")
    assert _get(sandbox, path).json()["@odata.etag"] == etag
    unchanged = _get(sandbox, path, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    tenant.edit_task(task.id, title=task.title + " (renamed)")
    renamed = _get(sandbox, path, headers={"If-None-Match": etag})
    assert renamed.status_code == 200
    assert renamed.json()["@odata.etag"] != etag
    assert renamed.headers["ETag"] == renamed.json()["@odata.etag"]
    assert _get(sandbox, path + "/details").json()["@odata.etag"] == details_etag
    tenant.edit_task(task.id, description="A new description")
    assert _get(sandbox, path + "/details").json()["@odata.etag"] != details_etag


# -- auth and errors ---------------------------------------------------------------------------


def test_missing_unknown_or_revoked_tokens_get_401(sandbox):
    url = f"{sandbox.base_url}/groups"
    sandbox.add_token("short-lived")
    assert _session("short-lived").get(url).status_code == 200
    sandbox.revoke("short-lived")
    for session in (_session(None), _session("not-a-token"), _session("short-lived")):
        response = session.get(url, headers={"client-request-id": "abc-123"})
        assert response.status_code == 401
        error = _graph_error(response)
        assert error["code"] == "InvalidAuthenticationToken"
        assert error["innerError"]["client-request-id"] == "abc-123"
        assert response.headers["client-request-id"] == "abc-123"
        assert response.headers["request-id"] == error["innerError"]["request-id"]


def test_403_names_the_permissions_the_endpoint_needs(sandbox):
    tenant = sandbox.tenant
    plan = next(iter(tenant.plans.values()))
    sandbox.add_token("users-only", {"User.Read.All"})
    sandbox.add_token("tasks", {"Tasks.Read.All"})
    narrow, tasks = _session("users-only"), _session("tasks")
    base = sandbox.base_url
    assert narrow.get(f"{base}/users").status_code == 200
    refused = narrow.get(f"{base}/planner/plans/{plan.id}/tasks")
    assert refused.status_code == 403
    error = _graph_error(refused)
    assert error["code"] == "accessDenied"
    assert "Tasks.Read.All" in error["message"] and "Group.Read.All" not in error["message"]
    sandbox.add_token("groups", {"Group.Read.All"})
    groups_only = _session("groups")
    assert groups_only.get(f"{base}/planner/plans/{plan.id}/tasks").status_code == 403
    assert groups_only.get(f"{base}/groups").status_code == 200
    directory = narrow.get(f"{base}/groups")
    assert directory.status_code == 403
    assert _graph_error(directory)["code"] == "Authorization_RequestDenied"
    assert "Group.Read.All" in _graph_error(directory)["message"]
    assert tasks.get(f"{base}/planner/plans/{plan.id}/tasks").status_code == 200
    mail = tasks.post(f"{base}/users/{next(iter(tenant.users))}/sendMail", json={})
    assert mail.status_code == 403 and "Mail.Send" in _graph_error(mail)["message"]
    upload = tasks.put(f"{base}/sites/{HOST}:/sites/pmo:/drive/root:/x.txt:/content", data=b"x")
    assert upload.status_code == 403
    assert "Sites.ReadWrite.All" in _graph_error(upload)["message"]


def test_unknown_ids_are_404_with_graph_codes(shared):
    task = _get(shared, "/planner/tasks/AAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    user = _get(shared, "/users/nobody@contoso.example")
    item = _get(shared, f"/sites/{HOST}:/sites/pmo:/drive/root:/No such folder:")
    site = _get(shared, f"/sites/{HOST}:/sites/nowhere")
    assert [r.status_code for r in (task, user, item, site)] == [404] * 4
    assert _graph_error(task)["code"] == "itemNotFound"
    assert _graph_error(user)["code"] == "Request_ResourceNotFound"
    assert _graph_error(item)["code"] == "itemNotFound"
    unknown = _get(shared, "/planner/nonsense")
    assert unknown.status_code == 400
    assert _get(shared, "/me/drive").status_code == 400


# -- $batch ----------------------------------------------------------------------------------


def _batch(sandbox: GraphSandbox, requests_: list[dict[str, Any]]) -> requests.Response:
    return _session().post(f"{sandbox.base_url}/$batch", json={"requests": requests_})


def _by_id(response: requests.Response) -> dict[str, dict[str, Any]]:
    assert response.status_code == 200, response.text
    return {r["id"]: r for r in response.json()["responses"]}


def test_batch_runs_each_item_through_the_router(sandbox):
    task = next(iter(sandbox.tenant.tasks.values()))
    sandbox.reset_stats()
    answers = _by_id(
        _batch(
            sandbox,
            [
                {"id": "1", "method": "GET", "url": f"/planner/tasks/{task.id}"},
                {"id": "2", "method": "GET", "url": f"planner/tasks/{task.id}/details"},
                {"id": "3", "method": "GET", "url": "/planner/tasks/AAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
            ],
        )
    )
    assert [answers[k]["status"] for k in "123"] == [200, 200, 404]
    assert answers["1"]["body"]["title"] == task.title
    assert answers["2"]["body"]["description"] == task.description
    assert answers["3"]["body"]["error"]["code"] == "itemNotFound"
    stats = sandbox.stats()
    assert stats["total"] == 1 and stats["by_endpoint"] == {"POST /$batch": 1}
    assert stats["batch_items"] == 3


def test_batch_limits_and_dependencies(sandbox):
    task = next(iter(sandbox.tenant.tasks.values()))
    ok = {"method": "GET", "url": f"/planner/tasks/{task.id}"}
    too_many = _batch(sandbox, [{"id": str(n), **ok} for n in range(21)])
    assert too_many.status_code == 400 and "20" in _graph_error(too_many)["message"]
    assert _batch(sandbox, [{"id": str(n), **ok} for n in range(20)]).status_code == 200
    duplicate = _batch(sandbox, [{"id": "a", **ok}, {"id": "A", **ok}])
    assert duplicate.status_code == 400
    answers = _by_id(
        _batch(
            sandbox,
            [
                {"id": "3", "dependsOn": ["2"], **ok},
                {"id": "1", "method": "GET", "url": "/planner/tasks/AAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
                {"id": "2", "dependsOn": ["1"], **ok},
                {"id": "4", **ok},
            ],
        )
    )
    assert {k: v["status"] for k, v in answers.items()} == {"1": 404, "2": 424, "3": 424, "4": 200}


def test_batch_items_are_throttled_one_by_one(sandbox):
    task = next(iter(sandbox.tenant.tasks.values()))
    sandbox.throttle_next(2, retry_after_s=7, path_contains="/details")
    items = [
        {"id": "t", "method": "GET", "url": f"/planner/tasks/{task.id}"},
        {"id": "d1", "method": "GET", "url": f"/planner/tasks/{task.id}/details"},
        {"id": "d2", "method": "GET", "url": f"/planner/tasks/{task.id}/details"},
        {"id": "d3", "method": "GET", "url": f"/planner/tasks/{task.id}/details"},
    ]
    answers = _by_id(_batch(sandbox, items))
    assert [answers[k]["status"] for k in ("t", "d1", "d2", "d3")] == [200, 429, 429, 200]
    assert answers["d1"]["headers"]["Retry-After"] == "7"
    assert sandbox.stats()["batch_items_throttled"] == 2


def test_batch_items_count_against_the_quota():
    tenant = _tenant()
    task = next(iter(tenant.tasks.values()))
    with GraphSandbox(tenant, requests_per_minute=5) as limited:
        items = [
            {"id": str(n), "method": "GET", "url": f"/planner/tasks/{task.id}"} for n in range(8)
        ]
        statuses = sorted(r["status"] for r in _by_id(_batch(limited, items)).values())
        assert statuses == [200] * 5 + [429] * 3


# -- throttling and faults ---------------------------------------------------------------------


def test_quota_per_token_answers_429_with_retry_after():
    with GraphSandbox(_tenant(), requests_per_minute=3, rate_window_s=60) as limited:
        limited.add_token("other")
        session = _session()
        statuses = [session.get(f"{limited.base_url}/groups").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        throttled = session.get(f"{limited.base_url}/groups")
        assert 1 <= int(throttled.headers["Retry-After"]) <= 60
        assert _graph_error(throttled)["code"] == "TooManyRequests"
        assert _session("other").get(f"{limited.base_url}/groups").status_code == 200


def test_server_errors_and_dropped_connections_on_demand(sandbox):
    sandbox.set_faults(error_rate=1.0)
    failed = _get(sandbox, "/groups")
    assert failed.status_code in (503, 504)
    assert _graph_error(failed)["code"] in ("serviceNotAvailable", "gatewayTimeout")
    sandbox.set_faults(error_rate=0.0, drop_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        _get(sandbox, "/groups")
    sandbox.set_faults(drop_rate=0.0)
    assert _get(sandbox, "/groups").status_code == 200
    assert sandbox.stats()["by_status"]["dropped"] >= 1


# -- sites, drives, downloads and uploads ------------------------------------------------------


def test_sites_and_items_are_found_by_every_path_form(shared):
    tenant = shared.tenant
    site = tenant.site_by_path(HOST, "/sites/operations")
    forms = [
        f"/sites/{HOST}:/sites/operations",
        f"/sites/{HOST}:/sites/operations:",
        f"/sites/{quote(f'{HOST}:/sites/operations', safe='')}",
        f"/sites/{quote(f'{HOST}:/sites/operations:', safe='')}",
        f"/sites/{quote(site.id, safe='')}",
    ]
    for form in forms:
        response = _get(shared, form)
        assert response.status_code == 200, form
        assert response.json()["id"] == site.id
    drive_id = _get(shared, f"/sites/{HOST}:/sites/operations:/drive").json()["id"]
    assert drive_id == site.drive_id
    folder = tenant.item_by_path(site.drive_id, "Timesheets")
    item_forms = [
        f"/drives/{site.drive_id}/root:/Timesheets",
        f"/drives/{site.drive_id}/root:/timesheets:",
        f"/drives/{quote(site.drive_id, safe='')}/items/{quote('root:/Timesheets:', safe='')}",
        f"/sites/{site.id}/drive/root:/Timesheets:",
        f"/drives/{site.drive_id}/items/{folder.id}",
    ]
    for form in item_forms:
        response = _get(shared, form)
        assert response.status_code == 200, form
        assert response.json()["id"] == folder.id
    sheet = tenant.children(folder.id)[0]
    by_parent = _get(shared, f"/drives/{site.drive_id}/items/{folder.id}:/{quote(sheet.name)}:")
    assert by_parent.json()["id"] == sheet.id
    assert by_parent.json()["parentReference"]["driveId"] == site.drive_id
    children = _get(shared, f"/drives/{site.drive_id}/root:/Timesheets:/children").json()
    assert [c["name"] for c in children["value"]] == [c.name for c in tenant.children(folder.id)]


def test_channel_files_folder_is_a_drive_item_in_the_team_site(shared):
    tenant = shared.tenant
    ops = _ops(tenant)
    channels = _get(shared, f"/teams/{ops.id}/channels?$filter=displayName eq 'Timesheets'")
    [channel] = channels.json()["value"]
    expected = next(c for c in tenant.channels.values() if c.display_name == "Timesheets")
    assert channel["id"] == expected.id
    folder = _get(shared, f"/teams/{ops.id}/channels/{quote(channel['id'], safe='')}/filesFolder")
    body = folder.json()
    assert body["id"] == expected.folder_id
    assert body["parentReference"]["driveId"] == tenant.sites[ops.site_id].drive_id


def test_download_redirects_to_a_link_that_needs_no_token(shared):
    tenant = shared.tenant
    sheet_id = next(iter(tenant.timesheets))
    item = tenant.items[sheet_id]
    redirect = _get(
        shared, f"/drives/{item.drive_id}/items/{item.id}/content", allow_redirects=False
    )
    assert redirect.status_code == 302
    location = redirect.headers["Location"]
    assert location.startswith(_files_url(shared) + "/_download/")
    fetched = requests.get(location)
    assert fetched.status_code == 200 and fetched.content == item.content
    followed = _get(shared, f"/drives/{item.drive_id}/items/{item.id}/content")
    assert followed.content == item.content
    forged = requests.get(location[:-3] + "abc")
    assert forged.status_code == 401


def test_simple_upload_creates_folders_and_honours_conflict_behaviour(sandbox):
    tenant = sandbox.tenant
    pmo = tenant.site_by_path(HOST, "/sites/pmo")
    base = f"{sandbox.base_url}/drives/{pmo.drive_id}/root:/Reports/2026/status.html:/content"
    session = _session()
    created = session.put(base, data=b"<p>one</p>")
    assert created.status_code == 201
    item = created.json()
    stored = tenant.item_by_path(pmo.drive_id, "Reports/2026/status.html")
    assert stored is not None and stored.id == item["id"] and stored.content == b"<p>one</p>"
    assert item["size"] == 10 and item["file"]["mimeType"] == "text/html"
    replaced = session.put(base, data=b"<p>two</p>")
    assert replaced.status_code == 200 and replaced.json()["id"] == item["id"]
    assert replaced.json()["eTag"] != item["eTag"]
    failed = session.put(base + "?@microsoft.graph.conflictBehavior=fail", data=b"x")
    assert failed.status_code == 409 and _graph_error(failed)["code"] == "nameAlreadyExists"
    renamed = session.put(base + "?@microsoft.graph.conflictBehavior=rename", data=b"three")
    assert renamed.status_code == 201 and renamed.json()["name"] == "status 1.html"
    folder = tenant.item_by_path(pmo.drive_id, "Reports/2026")
    by_parent = session.put(
        f"{sandbox.base_url}/drives/{pmo.drive_id}/items/{folder.id}:/notes.txt:/content",
        data=b"notes",
    )
    assert by_parent.status_code == 201
    assert by_parent.json()["parentReference"]["id"] == folder.id
    assert tenant.item_by_path(pmo.drive_id, "Reports/2026/status.html").content == b"<p>two</p>"


def _open_session(
    sandbox: GraphSandbox, drive_id: str, path: str, behaviour: str | None = "replace"
) -> requests.Response:
    item = {"@microsoft.graph.conflictBehavior": behaviour} if behaviour else {}
    return _session().post(
        f"{sandbox.base_url}/drives/{drive_id}/root:/{path}:/createUploadSession",
        json={"item": item},
    )


def _put(url: str, data: bytes, start: int, total: int, **headers: str) -> requests.Response:
    content_range = f"bytes {start}-{start + len(data) - 1}/{total}"
    return requests.put(url, data=data, headers={"Content-Range": content_range, **headers})


def test_upload_session_in_320_kib_fragments(sandbox):
    tenant = sandbox.tenant
    pmo = tenant.site_by_path(HOST, "/sites/pmo")
    content = bytes(range(256)) * (KIB320 * 2 // 256) + b"tail bytes"
    opened = _open_session(sandbox, pmo.drive_id, "Reports/big.xlsx")
    assert opened.status_code == 200
    url = opened.json()["uploadUrl"]
    assert url.startswith(_files_url(sandbox) + "/_upload/")
    assert opened.json()["nextExpectedRanges"] == ["0-"]
    total = len(content)
    first = _put(url, content[:KIB320], 0, total)
    assert first.status_code == 202
    assert first.json()["nextExpectedRanges"] == [f"{KIB320}-"]
    assert _put(url, content[:KIB320], 0, total).status_code == 416, "already received"
    assert _put(url, content[2 * KIB320 :], 2 * KIB320, total).status_code == 416, "a gap"
    assert _put(url, content[KIB320 : KIB320 + 1000], KIB320, total).status_code == 400
    assert _put(url, content[KIB320 : 2 * KIB320], KIB320, total).status_code == 202
    status = requests.get(url).json()
    assert status["nextExpectedRanges"] == [f"{2 * KIB320}-"]
    done = _put(url, content[2 * KIB320 :], 2 * KIB320, total)
    assert done.status_code == 201
    assert done.json()["size"] == total and done.json()["name"] == "big.xlsx"
    assert tenant.item_by_path(pmo.drive_id, "Reports/big.xlsx").content == content
    assert requests.get(url).status_code == 404, "a finished session is gone"


def test_upload_url_refuses_a_token_and_can_be_cancelled(sandbox):
    pmo = sandbox.tenant.site_by_path(HOST, "/sites/pmo")
    url = _open_session(sandbox, pmo.drive_id, "Reports/cancel.txt").json()["uploadUrl"]
    with_token = _put(url, b"abc", 0, 3, Authorization=f"Bearer {TOKEN}")
    assert with_token.status_code == 401
    assert requests.delete(url).status_code == 204
    assert _put(url, b"abc", 0, 3).status_code == 404
    assert sandbox.tenant.item_by_path(pmo.drive_id, "Reports/cancel.txt") is None


def test_upload_session_defaults_to_fail_on_an_existing_name(sandbox):
    tenant = sandbox.tenant
    ops = tenant.site_by_path(HOST, "/sites/operations")
    sheet = tenant.items[next(iter(tenant.timesheets))]
    path = f"Timesheets/{sheet.name}"
    refused = _open_session(sandbox, ops.drive_id, path, behaviour=None)
    assert refused.status_code == 409
    url = _open_session(sandbox, ops.drive_id, path, behaviour="replace").json()["uploadUrl"]
    replaced = _put(url, b"new bytes", 0, 9)
    assert replaced.status_code == 200 and replaced.json()["id"] == sheet.id
    assert tenant.items[sheet.id].content == b"new bytes"


# -- lists and mail ----------------------------------------------------------------------------


def test_list_items_are_created_and_listed(sandbox):
    base = f"{sandbox.base_url}/sites/{HOST}:/sites/pmo:/lists/{quote('Project status')}/items"
    session = _session()
    created = session.post(base, json={"fields": {"Title": "Data centre move", "RAG": "Amber"}})
    assert created.status_code == 201
    assert created.json()["fields"]["Title"] == "Data centre move"
    [sp_list] = [sp for sp in sandbox.tenant.lists.values() if sp.display_name == "Project status"]
    assert list(sp_list.items.values()) == [{"Title": "Data centre move", "RAG": "Amber"}]
    listed = session.get(base + "?$expand=fields").json()["value"]
    assert [i["fields"]["RAG"] for i in listed] == ["Amber"]
    assert "fields" not in session.get(base).json()["value"][0]
    assert session.post(base, json={"fields": {"Title": {"nested": 1}}}).status_code == 400
    missing = session.post(base.replace("Project%20status", "Nope"), json={"fields": {"A": 1}})
    assert missing.status_code == 404


STATUS_ITEMS = f"/sites/{HOST}:/sites/pmo:/lists/{quote('Project status')}/items"
NON_INDEXED = {"Prefer": "HonorNonIndexedQueriesWarningMayFailRandomly"}


def test_a_field_the_list_has_no_column_for_is_refused_as_graph_refuses_it(sandbox):
    session = _session()
    refused = session.post(
        sandbox.base_url + STATUS_ITEMS, json={"fields": {"Title": "A", "Owner": "Jo"}}
    )
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert (error["code"], error["message"]) == (
        "invalidRequest",
        "Field 'Owner' is not recognized",
    )
    [status] = [sp for sp in sandbox.tenant.lists.values() if sp.display_name == "Project status"]
    assert status.items == {}  # nothing half-written
    wrong = session.post(
        sandbox.base_url + STATUS_ITEMS, json={"fields": {"Title": "A", "PercentComplete": "lots"}}
    )
    assert wrong.status_code == 400 and "PercentComplete" in wrong.json()["error"]["message"]


def test_typed_columns_come_back_typed_and_filter_by_value(sandbox):
    session = _session()
    url = sandbox.base_url + STATUS_ITEMS
    for title, as_of, percent in (("A", "2026-11-24", "92.5"), ("B", "2026-11-25", 40)):
        fields = {"Title": title, "AsOf": as_of, "PercentComplete": percent}
        assert session.post(url, json={"fields": fields}).status_code == 201
    listed = session.get(url + "?$expand=fields").json()["value"]
    # A Date column answers with a UTC date-time; a Number column with a JSON number.
    assert [(i["fields"]["AsOf"], i["fields"]["PercentComplete"]) for i in listed] == [
        ("2026-11-24T00:00:00Z", 92.5),
        ("2026-11-25T00:00:00Z", 40),
    ]
    by_date = f"{url}?$expand=fields&$filter=fields/AsOf eq '2026-11-24T00:00:00Z'"
    assert session.get(by_date).status_code == 400  # not indexed: needs the Prefer header
    found = session.get(by_date, headers=NON_INDEXED).json()["value"]
    assert [i["fields"]["Title"] for i in found] == ["A"]
    # The same instant written another way is the same value.
    other_zone = f"{url}?$expand=fields&$filter=fields/AsOf eq '2026-11-25T01:00:00%2B01:00'"
    assert [i["id"] for i in session.get(other_zone, headers=NON_INDEXED).json()["value"]] == ["2"]
    # A bare date is text, not an instant; a quoted number is text, not a number.
    for wrong in ("fields/AsOf eq '2026-11-24'", "fields/PercentComplete eq '40'"):
        answer = session.get(f"{url}?$filter={wrong}", headers=NON_INDEXED)
        assert answer.status_code == 400, wrong
    by_number = session.get(f"{url}?$filter=fields/PercentComplete eq 40", headers=NON_INDEXED)
    assert [i["id"] for i in by_number.json()["value"]] == ["2"]
    unknown = session.get(f"{url}?$filter=fields/Owner eq 'Jo'", headers=NON_INDEXED)
    assert unknown.json()["error"]["message"] == "Field 'Owner' is not recognized"


def test_a_date_is_a_day_of_the_sites_time_zone_answered_in_utc(sandbox):
    [status] = [sp for sp in sandbox.tenant.lists.values() if sp.display_name == "Project status"]
    status.zone = "Europe/Paris"  # the site's regional settings
    session = _session()
    url = sandbox.base_url + STATUS_ITEMS
    # A bare date is that day in Paris; an instant is the Paris day it falls on (00:30 UTC on
    # 25 Nov is 01:30 in Paris: the 25th; 23:30 UTC on 25 Nov is 00:30 on the 26th there).
    written = {"A": "2026-11-24", "B": "2026-11-25T00:30:00Z", "C": "2026-11-25T23:30:00Z"}
    for title, as_of in written.items():
        session.post(url, json={"fields": {"Title": title, "AsOf": as_of}})
    listed = session.get(url + "?$expand=fields").json()["value"]
    assert {i["fields"]["Title"]: i["fields"]["AsOf"] for i in listed} == {
        "A": "2026-11-23T23:00:00Z",
        "B": "2026-11-24T23:00:00Z",
        "C": "2026-11-25T23:00:00Z",
    }
    window = "fields/AsOf ge '2026-11-24T12:00:00Z' and fields/AsOf lt '2026-11-25T12:00:00Z'"
    found = session.get(f"{url}?$expand=fields&$filter={window}", headers=NON_INDEXED).json()
    assert [i["fields"]["Title"] for i in found["value"]] == ["B"]


def test_a_list_is_created_with_its_columns(sandbox):
    pmo = sandbox.tenant.site_by_path(HOST, "/sites/pmo")
    session = _session()
    body = {
        "displayName": "Risks",
        "columns": [
            {"name": "Raised", "dateTime": {"format": "dateOnly"}},
            {"name": "Score", "number": {}, "indexed": True},
        ],
        "list": {"template": "genericList"},
    }
    created = session.post(f"{sandbox.base_url}/sites/{pmo.id}/lists", json=body)
    assert created.status_code == 201
    columns = {c["name"]: c for c in created.json()["columns"]}
    assert columns["Raised"]["dateTime"]["format"] == "dateOnly"
    assert "number" in columns["Score"] and columns["Score"]["indexed"] is True
    assert columns["Title"]["text"]["maxLength"] == 255 and columns["Created"]["readOnly"]
    listed = _get(sandbox, f"/sites/{pmo.id}/lists/Risks/columns").json()["value"]
    assert {c["name"] for c in listed} >= {"Title", "Raised", "Score"}
    again = session.post(f"{sandbox.base_url}/sites/{pmo.id}/lists", json=body)
    assert again.status_code == 409
    items = f"{sandbox.base_url}/sites/{pmo.id}/lists/Risks/items"
    session.post(items, json={"fields": {"Title": "Flood", "Raised": "2026-03-02", "Score": 9}})
    # An indexed column filters without the Prefer header.
    found = session.get(f"{items}?$expand=fields&$filter=fields/Score eq 9").json()["value"]
    assert [i["fields"]["Raised"] for i in found] == ["2026-03-02T00:00:00Z"]


def test_creating_a_list_needs_sites_manage(sandbox):
    pmo = sandbox.tenant.site_by_path(HOST, "/sites/pmo")
    sandbox.add_token("writer", {"Sites.ReadWrite.All"})
    refused = _session("writer").post(
        f"{sandbox.base_url}/sites/{pmo.id}/lists", json={"displayName": "Risks"}
    )
    assert refused.status_code == 403


def test_send_mail_accepts_camel_and_pascal_case(sandbox):
    sender = next(iter(sandbox.tenant.users.values()))
    url = f"{sandbox.base_url}/users/{sender.id}/sendMail"
    pdf = base64.b64encode(b"%PDF-1.4 tiny").decode()
    camel = {
        "message": {
            "subject": "Weekly status",
            "body": {"contentType": "HTML", "content": "<b>Green</b>"},
            "toRecipients": [{"emailAddress": {"address": "pmo@contoso.example"}}],
            "attachments": [
                {
                    "@odata.type": "#microsoft.graph.fileAttachment",
                    "name": "status.pdf",
                    "contentType": "application/pdf",
                    "contentBytes": pdf,
                }
            ],
        },
        "saveToSentItems": False,
    }
    pascal = {
        "Message": {
            "Subject": "Weekly status",
            "Body": {"ContentType": "HTML", "Content": "<b>Green</b>"},
            "ToRecipients": [{"EmailAddress": {"Address": "pmo@contoso.example"}}],
            "Attachments": [
                {
                    "@odata.type": "#microsoft.graph.fileAttachment",
                    "Name": "status.pdf",
                    "ContentType": "application/pdf",
                    "ContentBytes": pdf,
                }
            ],
        },
        "SaveToSentItems": False,
    }
    session = _session()
    for body in (camel, pascal):
        response = session.post(url, json=body)
        assert response.status_code == 202 and response.content == b""
    first, second = sandbox.sent_mail
    assert first.message == second.message == camel["message"]
    assert first.sender == sender.mail and first.save_to_sent_items is False


def test_send_mail_refuses_bad_messages(sandbox):
    sender = next(iter(sandbox.tenant.users.values()))
    url = f"{sandbox.base_url}/users/{sender.id}/sendMail"
    session = _session()
    nobody = session.post(url, json={"message": {"subject": "x", "toRecipients": []}})
    assert nobody.status_code == 400
    assert _graph_error(nobody)["code"] == "ErrorInvalidRecipients"
    big = base64.b64encode(b"\0" * (3 * 1024 * 1024 + 1)).decode()
    heavy = {
        "message": {
            "toRecipients": [{"emailAddress": {"address": "pmo@contoso.example"}}],
            "attachments": [
                {"@odata.type": "#microsoft.graph.fileAttachment", "name": "a", "contentBytes": big}
            ],
        }
    }
    assert session.post(url, json=heavy).status_code == 413
    stranger = f"{sandbox.base_url}/users/ghost@contoso.example/sendMail"
    assert session.post(stranger, json={"message": {}}).status_code == 404
    assert sandbox.sent_mail == []


# -- control endpoints -------------------------------------------------------------------------


def test_control_endpoints(sandbox):
    session = _session()
    base = sandbox.base_url
    session.get(f"{base}/groups")
    stats = session.get(f"{base}/_sandbox/stats").json()
    assert stats["total"] == 1 and stats["by_endpoint"] == {"GET /groups": 1}
    assert session.get(f"{base}/_sandbox/stats").json()["total"] == 1, "controls are not counted"
    snapshot = session.get(f"{base}/_sandbox/snapshot").json()
    assert snapshot == json.loads(json.dumps(tenant_snapshot(sandbox.tenant)))
    task_id = snapshot["tasks"][0]["id"]
    before = session.get(f"{base}/planner/tasks/{task_id}").json()["@odata.etag"]
    touched = session.post(f"{base}/_sandbox/mutate", json={"fraction": 1.0, "seed": 3}).json()
    assert set(touched["touched"]) == set(sandbox.tenant.tasks)
    assert session.get(f"{base}/planner/tasks/{task_id}").json()["@odata.etag"] != before
    assert session.post(f"{base}/_sandbox/reset_stats").json() == {"ok": True}
    assert sandbox.stats()["total"] == 0
    assert _session(None).get(f"{base}/_sandbox/stats").status_code == 401


# -- the real msgraph-sdk ------------------------------------------------------------------------


@SDK_WARNINGS
def test_msgraph_sdk_lists_a_groups_plans_and_tasks(shared):
    from kiota_abstractions.api_error import APIError

    tenant = shared.tenant
    plan = _biggest_plan(tenant)

    async def scenario() -> tuple[list[str], list[str], Any, Any]:
        client = sdk_client(shared, TOKEN)
        plans = await client.groups.by_group_id(plan.group_id).planner.plans.get()
        tasks_api = client.planner.plans.by_planner_plan_id(plan.id).tasks
        page = await tasks_api.get()
        ids = [t.id for t in page.value]
        first = page.value[0]
        while page.odata_next_link:
            assert len(ids) < 10_000, "the nextLinks never end"
            page = await tasks_api.with_url(page.odata_next_link).get()
            ids.extend(t.id for t in page.value)
        try:
            await client.planner.tasks.by_planner_task_id("AAAAAAAAAAAAAAAAAAAAAAAAAAAA").get()
            missing = None
        except APIError as error:
            missing = error
        return [p.id for p in plans.value], ids, first, missing

    plan_ids, task_ids, first, missing = asyncio.run(scenario())
    assert set(plan_ids) == {p.id for p in tenant.group_plans(plan.group_id)}
    assert sorted(task_ids) == sorted(t.id for t in tenant.plan_tasks(plan.id))
    truth = tenant.tasks[first.id]
    assert first.title == truth.title and first.percent_complete == truth.percent_complete
    assert first.due_date_time == truth.due_at
    assert set(first.assignments.additional_data) == set(truth.assignee_ids)
    assert missing is not None and missing.response_status_code == 404
    assert missing.error.code == "itemNotFound"


@SDK_WARNINGS
def test_msgraph_sdk_reads_files_by_path_and_follows_the_download_redirect(shared):
    tenant = shared.tenant
    ops = _ops(tenant)
    sheet = tenant.items[next(iter(tenant.timesheets))]

    async def scenario() -> tuple[Any, Any, bytes]:
        client = sdk_client(shared, TOKEN)
        site = await client.sites.by_site_id(f"{HOST}:/sites/operations").get()
        folder = (
            await client.drives.by_drive_id(sheet.drive_id)
            .items.by_drive_item_id("root:/Timesheets:")
            .children.get()
        )
        content = (
            await client.drives.by_drive_id(sheet.drive_id)
            .items.by_drive_item_id(sheet.id)
            .content.get()
        )
        return site, folder, content

    site, folder, content = asyncio.run(scenario())
    assert site.id == ops.site_id
    assert sheet.id in {item.id for item in folder.value}
    assert content == sheet.content


# -- the other routes ----------------------------------------------------------------------------


def test_members_teams_buckets_and_libraries(shared):
    tenant = shared.tenant
    ops = _ops(tenant)
    members = _get(shared, f"/groups/{ops.id}/members").json()["value"]
    assert {m["id"] for m in members} == set(ops.member_ids)
    assert all(m["@odata.type"] == "#microsoft.graph.user" for m in members)
    owners = _get(shared, f"/groups/{ops.id}/owners").json()["value"]
    assert {o["id"] for o in owners} == set(ops.owner_ids)
    assert _get(shared, f"/teams/{ops.id}").json()["displayName"] == "Operations"
    plain = next(g for g in tenant.groups.values() if not g.is_team)
    assert _get(shared, f"/teams/{plain.id}").status_code == 404
    channel = next(iter(tenant.team_channels(ops.id)))
    got = _get(shared, f"/teams/{ops.id}/channels/{quote(channel.id, safe='')}").json()
    assert got["displayName"] == channel.display_name
    bucket = next(iter(tenant.buckets.values()))
    in_bucket, _ = _all_pages(_session(), f"{shared.base_url}/planner/buckets/{bucket.id}/tasks")
    assert {t["id"] for t in in_bucket} == {t.id for t in tenant.bucket_tasks(bucket.id)}
    assert all(t["bucketId"] == bucket.id for t in in_bucket)
    site = tenant.sites[ops.site_id]
    libraries = _get(shared, f"/sites/{site.id}/drives").json()["value"]
    assert [d["id"] for d in libraries] == [site.drive_id]
    assert _get(shared, f"/groups/{ops.id}/drive").json()["id"] == site.drive_id
    root = _get(shared, f"/groups/{ops.id}/drive/root").json()
    assert root["id"] == tenant.drive_root(site.drive_id).id and "root" in root
    pmo = tenant.site_by_path(HOST, "/sites/pmo")
    lists = _get(shared, f"/sites/{pmo.id}/lists").json()["value"]
    assert [sp["displayName"] for sp in lists] == ["Project status"]
    by_name = _get(shared, f"/sites/{pmo.id}/lists/{quote('Project status')}").json()
    assert by_name["id"] == lists[0]["id"]


def test_folders_are_created_and_items_deleted(sandbox):
    tenant = sandbox.tenant
    pmo = tenant.site_by_path(HOST, "/sites/pmo")
    session = _session()
    children = f"{sandbox.base_url}/drives/{pmo.drive_id}/root:/Reports:/children"
    made = session.post(children, json={"name": "2026", "folder": {}})
    assert made.status_code == 201 and "folder" in made.json()
    again = session.post(children, json={"name": "2026", "folder": {}})
    assert again.status_code == 409
    renamed = session.post(
        children,
        json={"name": "2026", "folder": {}, "@microsoft.graph.conflictBehavior": "rename"},
    )
    assert renamed.status_code == 201 and renamed.json()["name"] == "2026 1"
    folder_id = made.json()["id"]
    item_url = f"{sandbox.base_url}/drives/{pmo.drive_id}/items/{folder_id}"
    assert session.delete(item_url).status_code == 204
    assert folder_id not in tenant.items
    assert session.get(item_url).status_code == 404
    root = tenant.drive_root(pmo.drive_id).id
    assert (
        session.delete(f"{sandbox.base_url}/drives/{pmo.drive_id}/items/{root}").status_code == 403
    )


def test_batch_items_carry_binary_bodies_base64(sandbox):
    pmo = sandbox.tenant.site_by_path(HOST, "/sites/pmo")
    data = bytes(range(200))
    answers = _by_id(
        _batch(
            sandbox,
            [
                {
                    "id": "up",
                    "method": "PUT",
                    "url": f"/drives/{pmo.drive_id}/root:/Reports/b.bin:/content",
                    "headers": {"Content-Type": "application/octet-stream"},
                    "body": base64.b64encode(data).decode(),
                },
                {
                    "id": "get",
                    "dependsOn": ["up"],
                    "method": "GET",
                    "url": f"/drives/{pmo.drive_id}/root:/Reports/b.bin",
                },
            ],
        )
    )
    assert answers["up"]["status"] == 201
    assert answers["get"]["body"]["size"] == 200
    assert sandbox.tenant.item_by_path(pmo.drive_id, "Reports/b.bin").content == data
    no_type = _batch(sandbox, [{"id": "1", "method": "POST", "url": "/x", "body": {"a": 1}}])
    assert no_type.status_code == 400


def test_throttle_next_without_a_path_hits_the_next_requests(sandbox):
    sandbox.throttle_next(2, retry_after_s=3)
    statuses = [_get(sandbox, "/groups") for _ in range(3)]
    assert [r.status_code for r in statuses] == [429, 429, 200]
    assert statuses[0].headers["Retry-After"] == "3"


# -- quirks: what real directories hold ------------------------------------------------------------


def test_a_real_looking_directory_has_guests_mailless_users_and_lookalike_groups():
    tenant = generate_tenant(7, SIZE, TODAY, quirks=True)
    with GraphSandbox(tenant, page_size=25) as sandbox:
        named = _get(sandbox, "/groups?$filter=displayName eq 'Operations'").json()["value"]
        shapes = sorted(
            (g["groupTypes"], g["mailEnabled"], g["securityEnabled"],
             g["resourceProvisioningOptions"])
            for g in named
        )  # fmt: skip
        assert shapes == [
            ([], False, True, []),  # security group: no mail
            ([], True, False, []),  # distribution list
            (["Unified"], True, False, ["Team"]),  # the team
        ]
        security = next(g for g in named if g["securityEnabled"])
        assert _get(sandbox, f"/teams/{security['id']}").status_code == 404
        guest = _get(
            sandbox, "/users/wei_li_northwind.example%23EXT%23@contoso.onmicrosoft.com"
        ).json()
        assert (guest["displayName"], guest["mail"]) == ("Wei Li", None)
        robot = next(u for u in tenant.users.values() if u.display_name == "Planner Robot")
        body = {
            "message": {
                "subject": "x",
                "body": {"contentType": "Text", "content": "x"},
                "toRecipients": [{"emailAddress": {"address": "a@b.example"}}],
            }
        }
        refused = _session().post(f"{sandbox.base_url}/users/{robot.id}/sendMail", json=body)
        assert refused.status_code == 404
        assert refused.json()["error"]["code"] == "MailboxNotEnabledForRESTAPI"
