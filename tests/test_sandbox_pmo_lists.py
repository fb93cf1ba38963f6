"""The Graph sandbox's hand-written PMO lists ("Project health", "Leave") over HTTP, as Graph
serves list items: who last changed an item and when, a choice column that refuses other
values, a Person column given only as a lookup id into the site's hidden "User Information
List". Expected values are read off the tenant the test built, never from pmosync's code."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import quote

import requests

from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.tenant import TenantSize, generate_tenant
from pmosync.sandbox.tenant.pmo_lists import HEALTH_LIST, LEAVE_LIST, add_pmo_lists

TOKEN_HEADER = "Authorization"
PMO = "/sites/contoso.sharepoint.com:/sites/pmo:"


def _tenant():
    size = TenantSize(groups=2, plans=4, tasks=40, people=6, timesheet_weeks=1)
    tenant = generate_tenant(seed=4, size=size, today=date(2026, 12, 4), quirks=True)
    return tenant, add_pmo_lists(tenant, seed=9)


def _get(sandbox, path):
    answer = requests.get(
        sandbox.base_url + path, headers={TOKEN_HEADER: f"Bearer {sandbox.token}"}, timeout=10
    )
    return answer


def test_items_say_who_changed_them_and_when_and_name_people_by_lookup_id():
    tenant, lists = _tenant()
    health, leave = tenant.lists[lists.health_id], tenant.lists[lists.leave_id]
    with GraphSandbox(tenant) as sandbox:
        items = _get(sandbox, f"{PMO}/lists/{quote(HEALTH_LIST)}/items?$expand=fields").json()
        for item in items["value"]:
            meta = health.meta[item["id"]]
            author = tenant.users[meta.modified_by]
            assert item["lastModifiedBy"]["user"] == {
                "id": author.id,
                "displayName": author.display_name,
                "email": author.mail,
            }
            assert item["lastModifiedDateTime"] == meta.modified_at.astimezone(UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
        first = next(iter(leave.items))
        item = _get(sandbox, f"{PMO}/lists/{LEAVE_LIST}/items/{first}?$expand=fields").json()
        assert "Employee" not in item["fields"]  # a person field comes only as its lookup id
        lookup = item["fields"]["EmployeeLookupId"]
        users = quote("User Information List")
        person = _get(sandbox, f"{PMO}/lists/{users}/items/{lookup}?$expand=fields").json()
        user = tenant.users[leave.items[first]["Employee"]]
        assert (person["fields"]["Title"], person["fields"]["EMail"]) == (
            user.display_name,
            user.mail,
        )
        names = [sp["displayName"] for sp in _get(sandbox, f"{PMO}/lists").json()["value"]]
        assert sorted(names) == ["Leave", "Project health", "Project status"]  # hidden: hidden
        columns = _get(sandbox, f"{PMO}/lists/{LEAVE_LIST}/columns").json()["value"]
        kinds = {c["name"]: c for c in columns}
        assert "personOrGroup" in kinds["Employee"]
        assert kinds["LeaveType"]["choice"]["choices"] == ["Annual", "Sick", "Training"]


def test_a_choice_column_refuses_a_value_it_does_not_offer():
    tenant, lists = _tenant()
    with GraphSandbox(tenant) as sandbox:
        answer = requests.post(
            f"{sandbox.base_url}{PMO}/lists/{quote(HEALTH_LIST)}/items",
            json={"fields": {"Title": "x", "Project": "x", "RAG": "Purple"}},
            headers={TOKEN_HEADER: f"Bearer {sandbox.token}"},
            timeout=10,
        )
    assert answer.status_code == 400
    assert "RAG" in answer.json()["error"]["message"]


def test_editing_an_item_moves_its_last_change_not_its_creation():
    tenant, lists = _tenant()
    health = tenant.lists[lists.health_id]
    first = next(iter(health.items))
    before = health.meta[first]
    editor = sorted(tenant.users)[-1]
    at = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
    tenant.edit_list_item(lists.health_id, first, {"RAG": "Off track"}, by=editor, at=at)
    after = health.meta[first]
    assert (after.created_at, after.created_by) == (before.created_at, before.created_by)
    assert (after.modified_at, after.modified_by) == (at, editor)
    assert health.items[first]["RAG"] == "Off track"
