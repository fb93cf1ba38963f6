"""The Asana sandbox answers like Asana: shapes checked against the official OpenAPI spec.

Every request goes over real loopback HTTP (http.client); response bodies are validated with
jsonschema against the spec's own response schemas, with OpenAPI's ``nullable`` turned into
JSON Schema type unions.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jsonschema
import pytest
import yaml
from asana_spec import asana_spec_path

from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.org import Org, OrgSize, generate_org

TODAY = date(2026, 3, 1)
TOKEN = "sandbox-token"
SIZE = OrgSize(projects=3, tasks=300, people=6, time_entries=400, teams=2, portfolios=2)


# -- the spec as JSON Schema ---------------------------------------------------------------


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 ``nullable: true`` becomes ``anyOf: [null, schema]``.

    The spec often marks a reference nullable inside an ``allOf`` next to the ``$ref``
    (``allOf: [{$ref: UserCompact}, {nullable: true}]``); that makes the whole property nullable.
    """
    if isinstance(node, dict):
        out = {k: _json_schema(v) for k, v in node.items() if k != "nullable"}
        parts = node.get("allOf", [])
        nullable = node.get("nullable") or any(
            isinstance(p, dict) and p.get("nullable") for p in parts
        )
        return {"anyOf": [{"type": "null"}, out]} if nullable else out
    if isinstance(node, list):
        return [_json_schema(v) for v in node]
    return node


class Spec:
    def __init__(self, path: Path) -> None:
        raw = yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        self.paths = raw["paths"]
        self.raw_schemas = raw["components"]["schemas"]
        # EventResponse.parent says "The parent will be `null` for other event types" in its
        # description but lacks the nullable flag; the description is what Asana does.
        self.raw_schemas["EventResponse"]["properties"]["parent"]["nullable"] = True
        self.components = {"schemas": _json_schema(raw["components"]["schemas"])}

    def validate(self, schema: dict[str, Any], instance: Any) -> None:
        root = {"components": self.components, **_json_schema(schema)}
        jsonschema.Draft202012Validator(root).validate(instance)

    def response(self, template: str, method: str = "get", status: int = 200) -> dict[str, Any]:
        response = self.paths[template][method]["responses"][status]
        return response["content"]["application/json"]["schema"]

    def validate_response(self, template: str, body: Any, method: str = "get", status: int = 200):
        self.validate(self.response(template, method, status), body)

    def validate_ref(self, name: str, instance: Any) -> None:
        self.validate({"$ref": f"#/components/schemas/{name}"}, instance)

    def properties(self, name: str) -> set[str]:
        """Every property a schema declares, through allOf and $ref."""
        found: set[str] = set()

        def walk(node: dict[str, Any]) -> None:
            if "$ref" in node:
                walk(self.raw_schemas[node["$ref"].rsplit("/", 1)[1]])
                return
            for part in node.get("allOf", []):
                walk(part)
            found.update(node.get("properties", {}))

        walk(self.raw_schemas[name])
        return found


@pytest.fixture(scope="session")
def spec() -> Spec:
    return Spec(asana_spec_path())


# -- HTTP ------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def data(self) -> Any:
        return self.body["data"]

    @property
    def message(self) -> str:
        return self.body["errors"][0]["message"]


def api(
    sandbox: AsanaSandbox, path: str, *, method: str = "GET", token: str | None = TOKEN, body=None
) -> Reply:
    url = urlsplit(sandbox.base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    payload = json.dumps(body).encode() if body is not None else None
    if payload is not None:
        headers["Content-Type"] = "application/json"
    try:
        connection.request(method, url.path + path, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        return Reply(response.status, dict(response.getheaders()), json.loads(raw or b"null"))
    finally:
        connection.close()


def walk(sandbox: AsanaSandbox, path: str, limit: int) -> tuple[list[str], int]:
    """Follow next_page from ``path`` with ``limit``; returns gids and the number of pages."""
    separator = "&" if "?" in path else "?"
    reply = api(sandbox, f"{path}{separator}limit={limit}")
    gids, pages = [], 0
    while True:
        assert reply.status == 200, reply.body
        assert len(reply.data) <= limit
        gids += [item["gid"] for item in reply.data]
        pages += 1
        next_page = reply.body["next_page"]
        if next_page is None:
            return gids, pages
        assert next_page["uri"] == sandbox.base_url + next_page["path"]
        reply = api(sandbox, next_page["path"])


@pytest.fixture(scope="module")
def org() -> Org:
    return generate_org(seed=1, size=SIZE, today=TODAY)


@pytest.fixture(scope="module")
def sandbox(org: Org) -> Iterator[AsanaSandbox]:
    with AsanaSandbox(org) as running:
        yield running


@pytest.fixture
def fresh() -> Iterator[Any]:
    """A factory of private sandboxes (own org) for tests that mutate or misbehave."""
    started: list[AsanaSandbox] = []

    def make(size: str | OrgSize = "XS", **options: Any) -> AsanaSandbox:
        running = AsanaSandbox(generate_org(seed=2, size=size, today=TODAY), **options).start()
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop()


@dataclass
class Ids:
    workspace: str
    user: str
    team: str
    portfolio: str
    project: str
    section: str
    task: str
    parent: str
    dependent: str
    field: str
    status: str
    status_project: str
    budget_project: str


@pytest.fixture(scope="module")
def ids(org: Org) -> Ids:
    project = min(org.projects)
    tasks = [t for t in org.tasks.values() if t.project_gid]
    return Ids(
        workspace=org.workspace.gid,
        user=min(org.people),
        team=min(org.teams),
        portfolio=min(org.portfolios),
        project=project,
        section=org.projects[project].section_gids[0],
        task=min(t.gid for t in tasks if t.project_gid == project),
        parent=next(t.gid for t in tasks if t.subtask_gids),
        dependent=next(t.gid for t in tasks if t.dependencies),
        field=org.field_named("Priority").gid,
        status=min(org.status_updates),
        status_project=org.status_updates[min(org.status_updates)].project_gid,
        budget_project=min(b.project_gid for b in org.budgets.values()),
    )


# -- shapes against the spec -------------------------------------------------------------------

# (spec template, path with {placeholders} naming Ids attributes, compact schema or None)
LISTS = [
    ("/users", "/users?workspace={workspace}", "UserCompact"),
    ("/workspaces", "/workspaces", "WorkspaceCompact"),
    ("/workspaces/{workspace_gid}/users", "/workspaces/{workspace}/users", "UserCompact"),
    ("/workspaces/{workspace_gid}/teams", "/workspaces/{workspace}/teams", "TeamCompact"),
    ("/portfolios", "/portfolios?workspace={workspace}", "PortfolioCompact"),
    ("/portfolios/{portfolio_gid}/items", "/portfolios/{portfolio}/items", "ProjectCompact"),
    ("/projects", "/projects?workspace={workspace}", "ProjectCompact"),
    ("/workspaces/{workspace_gid}/projects", "/workspaces/{workspace}/projects", "ProjectCompact"),
    ("/teams/{team_gid}/projects", "/teams/{team}/projects", "ProjectCompact"),
    ("/projects/{project_gid}/sections", "/projects/{project}/sections", "SectionCompact"),
    ("/sections/{section_gid}/tasks", "/sections/{section}/tasks", "TaskCompact"),
    ("/tasks", "/tasks?project={project}", "TaskCompact"),
    ("/tasks/{task_gid}/subtasks", "/tasks/{parent}/subtasks", "TaskCompact"),
    ("/tasks/{task_gid}/dependencies", "/tasks/{dependent}/dependencies", "TaskCompact"),
    (
        "/projects/{project_gid}/custom_field_settings",
        "/projects/{project}/custom_field_settings",
        None,
    ),
    (
        "/time_tracking_entries",
        "/time_tracking_entries?attributable_to={project}",
        "TimeTrackingEntryCompact",
    ),
    (
        "/tasks/{task_gid}/time_tracking_entries",
        "/tasks/{task}/time_tracking_entries",
        "TimeTrackingEntryCompact",
    ),
    ("/status_updates", "/status_updates?parent={status_project}", "StatusUpdateCompact"),
    ("/allocations", "/allocations?parent={project}", None),
    ("/budgets", "/budgets?parent={budget_project}", None),
]
SINGLES = [
    ("/users/{user_gid}", "/users/me", "UserResponse"),
    ("/users/{user_gid}", "/users/{user}", "UserResponse"),
    ("/workspaces/{workspace_gid}", "/workspaces/{workspace}", "WorkspaceResponse"),
    ("/teams/{team_gid}", "/teams/{team}", "TeamResponse"),
    ("/portfolios/{portfolio_gid}", "/portfolios/{portfolio}", "PortfolioResponse"),
    ("/projects/{project_gid}", "/projects/{project}", "ProjectResponse"),
    ("/sections/{section_gid}", "/sections/{section}", "SectionResponse"),
    ("/tasks/{task_gid}", "/tasks/{task}", "TaskResponse"),
    ("/tasks/{task_gid}", "/tasks/{parent}", "TaskResponse"),
    ("/custom_fields/{custom_field_gid}", "/custom_fields/{field}", "CustomFieldResponse"),
    ("/status_updates/{status_update_gid}", "/status_updates/{status}", "StatusUpdateResponse"),
]


@pytest.mark.parametrize(("template", "path", "compact"), LISTS, ids=[x[1] for x in LISTS])
def test_list_routes_match_spec_and_are_compact(sandbox, spec, ids, template, path, compact):
    reply = api(sandbox, path.format(**vars(ids)))
    assert reply.status == 200, reply.body
    spec.validate_response(template, reply.body)
    assert reply.data, "every sample listing has records"
    assert "next_page" not in reply.body
    if compact is not None:
        for item in reply.data:
            assert set(item) == spec.properties(compact)


@pytest.mark.parametrize(("template", "path", "schema"), SINGLES, ids=[x[1] for x in SINGLES])
def test_single_routes_match_spec_and_are_full(sandbox, spec, ids, template, path, schema):
    reply = api(sandbox, path.format(**vars(ids)))
    assert reply.status == 200, reply.body
    spec.validate_response(template, reply.body)
    assert {"gid", "resource_type"} <= set(reply.data) <= spec.properties(schema)
    assert len(reply.data) > 3, "the full form, not the compact one"


@pytest.mark.parametrize(
    ("path", "schema"),
    [
        ("/tasks?project={project}", "TaskResponse"),
        ("/tasks/{parent}/subtasks", "TaskResponse"),
        ("/projects?workspace={workspace}", "ProjectResponse"),
        ("/portfolios?workspace={workspace}", "PortfolioResponse"),
        ("/projects/{project}/sections", "SectionResponse"),
        ("/workspaces/{workspace}/users", "UserResponse"),
        ("/time_tracking_entries?attributable_to={project}", "TimeTrackingEntryBase"),
        ("/status_updates?parent={status_project}", "StatusUpdateResponse"),
    ],
)
def test_every_full_field_through_opt_fields_matches_spec(sandbox, spec, ids, path, schema):
    fields = sorted(spec.properties(schema))
    path = path.format(**vars(ids))
    reply = api(sandbox, f"{path}{'&' if '?' in path else '?'}opt_fields={','.join(fields)}")
    assert reply.status == 200, reply.body
    for item in reply.data:
        spec.validate_ref(schema, item)
        assert "gid" in item and set(item) <= set(fields)


def test_error_bodies_match_spec(sandbox, spec, ids):
    for reply in (
        api(sandbox, "/tasks?project=1", token=None),
        api(sandbox, "/tasks/1"),
        api(sandbox, "/tasks/abc"),
        api(sandbox, "/nowhere"),
    ):
        assert reply.status in (400, 401, 404)
        spec.validate_ref("ErrorResponse", reply.body)
        assert reply.body["errors"][0]["help"]


# -- auth ------------------------------------------------------------------------------------


def test_missing_unknown_and_revoked_tokens_get_401(fresh):
    running = fresh()
    assert api(running, "/users/me", token=None).status == 401
    assert api(running, "/users/me", token="nope").message == "Not Authorized"
    running.add_token("other")
    assert api(running, "/users/me", token="other").status == 200
    running.revoke("other")
    assert api(running, "/users/me", token="other").status == 401


def test_missing_scope_is_403_naming_it(sandbox, ids):
    sandbox.add_token("scoped", {"projects:read"})
    assert api(sandbox, f"/projects/{ids.project}", token="scoped").status == 200
    reply = api(sandbox, f"/tasks?project={ids.project}", token="scoped")
    assert reply.status == 403 and "tasks:read" in reply.message


# -- opt_fields --------------------------------------------------------------------------------


def test_opt_fields_exact_grouping_nested_and_unknown(sandbox, ids):
    fields = (
        "name,assignee.email,memberships.(project|section).gid,"
        "custom_fields.(name|number_value),bogus"
    )
    reply = api(sandbox, f"/tasks?project={ids.project}&opt_fields={quote(fields)}")
    assert reply.status == 200
    for item in reply.data:
        assert set(item) == {"gid", "name", "assignee", "memberships", "custom_fields"}
        assert item["assignee"] is None or set(item["assignee"]) == {"gid", "email"}
        assert item["memberships"] == [
            {
                "project": {"gid": ids.project},
                "section": {"gid": item["memberships"][0]["section"]["gid"]},
            }
        ]
        for value in item["custom_fields"]:
            assert set(value) <= {"gid", "name", "number_value"} and "name" in value


def test_bare_nested_field_is_compact_and_pretty_is_accepted(sandbox, ids, org):
    reply = api(
        sandbox, f"/tasks/{ids.task}?opt_fields=assignee,parent,dependencies.gid&opt_pretty=true"
    )
    assert reply.status == 200
    assignee = org.tasks[ids.task].assignee_gid
    expected = {"gid": assignee, "resource_type": "user", "name": org.people[assignee].name}
    assert reply.data["assignee"] == (expected if assignee else None)
    assert reply.data["parent"] is None


def test_nested_groups_from_the_connector_contract(sandbox, ids):
    fields = (
        "custom_fields.(gid|name|type|number_value|display_value|enum_value.(gid|name)"
        "|date_value.date|currency_code|precision),current_status_update.(status_type|title)"
    )
    reply = api(sandbox, f"/projects/{ids.status_project}?opt_fields={quote(fields)}")
    budget, health = reply.data["custom_fields"]
    assert budget["type"] == "number" and isinstance(budget["number_value"], float)
    assert set(health["enum_value"]) == {"gid", "name"}
    assert set(reply.data["current_status_update"]) <= {"gid", "status_type", "title"}


# -- pagination ----------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 7, 100])
def test_pagination_walks_every_item_exactly_once(sandbox, org, ids, limit):
    expected = sorted(t.gid for t in org.tasks.values() if t.project_gid == ids.project)
    gids, pages = walk(sandbox, f"/tasks?project={ids.project}&opt_fields=name", limit)
    assert gids == expected
    assert pages == -(-len(expected) // limit)


def test_workspace_time_entries_by_window_paginate(sandbox, org, ids):
    start, end = TODAY - timedelta(days=200), TODAY - timedelta(days=20)
    expected = {e.gid for e in org.time_entries.values() if start <= e.entered_on <= end}
    path = (
        f"/time_tracking_entries?workspace={ids.workspace}"
        f"&entered_on_start_date={start}&entered_on_end_date={end}"
    )
    gids, pages = walk(sandbox, path, 100)
    assert sorted(gids) == sorted(expected) and len(gids) == len(set(gids)) and pages > 1
    assert api(sandbox, f"/time_tracking_entries?workspace={ids.workspace}").status == 400


def test_pagination_under_concurrent_edits_neither_skips_nor_repeats(fresh):
    running = fresh(SIZE)
    org = running.org
    project = min(org.projects)
    before = sorted(t.gid for t in org.tasks.values() if t.project_gid == project)
    first = api(running, f"/tasks?project={project}&limit=10")
    seen = [item["gid"] for item in first.data]
    deleted = before[20]
    org.delete_task(deleted)
    org.move_task(before[15], org.projects[project].section_gids[-1])
    org.edit_task(before[12], name="Renamed mid-walk")
    added = org.create_task(project, "Added mid-walk")
    reply = api(running, first.body["next_page"]["path"])
    while True:
        seen += [item["gid"] for item in reply.data]
        if reply.body["next_page"] is None:
            break
        reply = api(running, reply.body["next_page"]["path"])
    assert seen == [g for g in before if g != deleted] + [added]


def test_no_limit_means_no_next_page_and_too_large_is_400(fresh):
    running = fresh(
        OrgSize(projects=1, tasks=1001, people=3, time_entries=0, teams=1, portfolios=1)
    )
    project = min(running.org.projects)
    reply = api(running, f"/tasks?project={project}")
    assert reply.status == 400 and "result is too large" in reply.message
    first = api(running, f"/tasks?project={project}&limit=100")
    assert first.status == 200 and first.body["next_page"]["offset"]


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_limit_outside_range_is_400(sandbox, ids, limit):
    reply = api(sandbox, f"/tasks?project={ids.project}&limit={limit}")
    assert reply.status == 400 and "limit" in reply.message


def test_expired_garbage_and_foreign_offsets_are_400(fresh, spec):
    running = fresh(offset_ttl_s=0.3)
    project = min(running.org.projects)
    other = max(running.org.projects)
    next_page = api(running, f"/tasks?project={project}&limit=2").body["next_page"]
    assert api(running, f"/tasks?project={project}&limit=2&offset=garbage").status == 400
    foreign = api(running, f"/tasks?project={other}&limit=2&offset={next_page['offset']}")
    assert foreign.status == 400
    assert api(running, next_page["path"]).status == 200
    running.expire_offsets()
    expired = api(running, next_page["path"])
    assert expired.status == 400
    assert expired.message == "offset: Your pagination token has expired."
    spec.validate_ref("ErrorResponse", expired.body)
    fresh_page = api(running, f"/tasks?project={project}&limit=2").body["next_page"]
    time.sleep(0.35)
    assert api(running, fresh_page["path"]).message == "offset: Your pagination token has expired."


# -- filters and parameters --------------------------------------------------------------------


def test_modified_since_accepts_the_three_timestamp_forms(sandbox, org, ids):
    tasks = [t for t in org.tasks.values() if t.project_gid == ids.project]
    middle = sorted(t.modified_at for t in tasks)[len(tasks) // 2].replace(microsecond=0)
    expected = sorted(t.gid for t in tasks if t.modified_at >= middle)
    naive = middle.replace(tzinfo=None)
    for stamp in (
        naive.isoformat(timespec="microseconds"),
        naive.isoformat(timespec="milliseconds") + "Z",
        middle.isoformat(),
    ):
        reply = api(sandbox, f"/tasks?project={ids.project}&modified_since={quote(stamp)}")
        assert reply.status == 200, (stamp, reply.body)
        assert [item["gid"] for item in reply.data] == expected


def test_completed_since_keeps_open_and_recently_completed(sandbox, org, ids):
    since = datetime(2025, 9, 1, tzinfo=UTC)
    expected = sorted(
        t.gid
        for t in org.tasks.values()
        if t.project_gid == ids.project and (not t.completed or t.completed_at >= since)
    )
    reply = api(sandbox, f"/tasks?project={ids.project}&completed_since=2025-09-01T00:00:00Z")
    assert [item["gid"] for item in reply.data] == expected
    now = api(sandbox, f"/tasks?project={ids.project}&completed_since=now&opt_fields=completed")
    assert all(item["completed"] is False for item in now.data)


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/tasks/abc", "task"),
        ("/tasks?project={project}&modified_since=yesterday", "modified_since"),
        ("/status_updates", "parent"),
        ("/budgets", "parent"),
        ("/tasks", "project"),
        (
            "/time_tracking_entries?task={task}&entered_on_start_date=2026-13-01",
            "entered_on_start_date",
        ),
    ],
)
def test_bad_parameters_are_400_naming_them(sandbox, ids, path, named):
    reply = api(sandbox, path.format(**vars(ids)))
    assert reply.status == 400 and named in reply.message


def test_unknown_gids_are_404(sandbox):
    reply = api(sandbox, "/tasks/1234567890123456")
    assert reply.status == 404 and reply.message == "task: Unknown object: 1234567890123456"
    assert api(sandbox, "/tasks?project=1234567890123456").message.startswith("project:")


def test_time_entry_filters(sandbox, org, ids):
    user = min(org.people)
    reply = api(
        sandbox,
        f"/time_tracking_entries?user={user}&entered_on_end_date={TODAY - timedelta(days=100)}"
        "&opt_fields=entered_on,created_by.gid",
    )
    assert reply.data
    for item in reply.data:
        assert item["created_by"]["gid"] == user
        assert date.fromisoformat(item["entered_on"]) <= TODAY - timedelta(days=100)
    portfolio = org.portfolios[ids.portfolio]
    expected = {e.gid for e in org.time_entries.values() if e.project_gid in portfolio.project_gids}
    gids, _ = walk(sandbox, f"/time_tracking_entries?portfolio={ids.portfolio}", 100)
    assert set(gids) == expected and len(gids) == len(expected)


# -- writes -------------------------------------------------------------------------------------


def test_create_update_delete_task_and_post_time_and_status(fresh, spec):
    running = fresh()
    org = running.org
    project = org.projects[min(org.projects)]
    section = project.section_gids[1]
    created = api(
        running,
        "/tasks",
        method="POST",
        body={
            "data": {
                "name": "New",
                "memberships": [{"project": project.gid, "section": section}],
                "assignee": "me",
                "due_on": "2026-04-01",
            }
        },
    )
    assert created.status == 201
    spec.validate_response("/tasks", created.body, "post", 201)
    gid = created.data["gid"]
    assert created.data["memberships"][0]["section"]["gid"] == section
    assert org.tasks[gid].assignee_gid == running.user_gid

    estimate = org.field_named("Estimate (h)").gid
    updated = api(
        running,
        f"/tasks/{gid}",
        method="PUT",
        body={"data": {"name": "Renamed", "completed": True, "custom_fields": {estimate: 5}}},
    )
    assert updated.status == 200 and updated.data["name"] == "Renamed" and updated.data["completed"]
    assert (
        next(f for f in updated.data["custom_fields"] if f["gid"] == estimate)["number_value"] == 5
    )

    entry = api(
        running,
        f"/tasks/{gid}/time_tracking_entries",
        method="POST",
        body={"data": {"duration_minutes": 45, "entered_on": "2026-02-27"}},
    )
    assert entry.status == 201 and entry.data["duration_minutes"] == 45
    spec.validate_ref("TimeTrackingEntryBase", entry.data)

    status = api(
        running,
        "/status_updates",
        method="POST",
        body={"data": {"parent": project.gid, "status_type": "at_risk", "title": "T", "text": "x"}},
    )
    assert status.status == 201
    spec.validate_response("/status_updates", status.body, "post", 201)
    current = api(running, f"/projects/{project.gid}?opt_fields=current_status_update.status_type")
    assert current.data["current_status_update"] == {
        "gid": status.data["gid"],
        "status_type": "at_risk",
    }

    deleted = api(running, f"/tasks/{gid}", method="DELETE")
    assert deleted.status == 200 and deleted.body == {"data": {}}
    assert api(running, f"/tasks/{gid}").status == 404


# -- events -------------------------------------------------------------------------------------


def test_events_412_then_changes_deletions_and_expiry(fresh, spec):
    running = fresh()
    org = running.org
    project = min(org.projects)
    task = min(t.gid for t in org.tasks.values() if t.project_gid == project)
    first = api(running, f"/events?resource={project}")
    assert first.status == 412 and first.body["sync"]
    spec.validate_response("/events", first.body, status=412)
    quiet = api(running, f"/events?resource={project}&sync={first.body['sync']}")
    assert quiet.status == 200 and quiet.data == [] and quiet.body["has_more"] is False

    api(running, f"/tasks/{task}", method="PUT", body={"data": {"name": "Changed"}})
    changed = api(running, f"/events?resource={project}&sync={quiet.body['sync']}")
    spec.validate_response("/events", changed.body)
    assert [(e["action"], e["resource"]["gid"], e["change"]["field"]) for e in changed.data] == [
        ("changed", task, "name")
    ]
    assert changed.data[0]["resource"]["name"] == "Changed"

    org.delete_task(task)
    added = org.create_task(project, "Brand new")
    later = api(running, f"/events?resource={project}&sync={changed.body['sync']}")
    actions = [(e["action"], e["resource"]["gid"]) for e in later.data]
    assert ("deleted", task) in actions and actions[-1] == ("added", added)
    assert later.data[-1]["parent"] == {
        "gid": project,
        "resource_type": "project",
        "name": org.projects[project].name,
    }

    running.expire_sync_tokens()
    expired = api(running, f"/events?resource={project}&sync={later.body['sync']}")
    assert expired.status == 412 and expired.body["sync"] != later.body["sync"]


def test_events_of_a_task_and_has_more(fresh):
    running = fresh()
    org = running.org
    task = min(t.gid for t in org.tasks.values() if t.project_gid)
    sync = api(running, f"/events?resource={task}").body["sync"]
    for i in range(150):
        org.edit_task(task, notes=f"note {i}")
    page = api(running, f"/events?resource={task}&sync={sync}")
    assert len(page.data) == 100 and page.body["has_more"] is True
    rest = api(running, f"/events?resource={task}&sync={page.body['sync']}")
    assert len(rest.data) == 50 and rest.body["has_more"] is False


def test_sync_tokens_expire_with_time(fresh):
    running = fresh(sync_ttl_s=0.2)
    project = min(running.org.projects)
    sync = api(running, f"/events?resource={project}").body["sync"]
    time.sleep(0.25)
    assert api(running, f"/events?resource={project}&sync={sync}").status == 412


def test_sync_tokens_outlive_the_sandbox_that_issued_them(fresh):
    """A sandbox restarted over the same org and secret honours the old process's tokens (what
    lets a second ``pmosync demo`` sync incrementally); another secret's are stale (412)."""
    secret = b"the-same-world"
    first = fresh(sync_secret=secret)
    project = min(first.org.projects)
    sync = api(first, f"/events?resource={project}").body["sync"]
    task = min(t.gid for t in first.org.tasks.values() if t.project_gid == project)
    first.stop()

    again = fresh(sync_secret=secret)
    again.org.edit_task(task, name="Edited after the restart")
    after = api(again, f"/events?resource={project}&sync={sync}")
    assert after.status == 200
    assert [(e["action"], e["resource"]["gid"]) for e in after.data] == [("changed", task)]

    other = fresh(sync_secret=b"another-world")
    assert api(other, f"/events?resource={project}&sync={sync}").status == 412
    forged = sync[:-1] + ("0" if sync[-1] != "0" else "1")
    assert api(again, f"/events?resource={project}&sync={forged}").status == 412


# -- plans, quotas, faults -------------------------------------------------------------------------


def test_free_plan_gets_402_on_premium_endpoints(fresh, spec):
    running = fresh()
    org = running.org
    org.workspace.is_premium = False
    project, task = min(org.projects), min(t.gid for t in org.tasks.values() if t.project_gid)
    portfolio, workspace = min(org.portfolios), org.workspace.gid
    for path in (
        f"/time_tracking_entries?workspace={workspace}&entered_on_start_date=2026-01-01",
        f"/tasks/{task}/time_tracking_entries",
        f"/allocations?parent={project}",
        f"/budgets?parent={project}",
        f"/portfolios?workspace={workspace}",
        f"/portfolios/{portfolio}",
        f"/portfolios/{portfolio}/items",
        f"/rates?parent={project}",
    ):
        reply = api(running, path)
        assert reply.status == 402, path
        spec.validate_ref("ErrorResponse", reply.body)
    assert api(running, f"/tasks?project={project}").status == 200


def test_quota_gives_429_with_retry_after(fresh, spec):
    running = fresh(requests_per_minute=2, rate_window_s=1.0)
    assert api(running, "/users/me").status == 200
    assert api(running, "/users/me").status == 200
    limited = api(running, "/users/me")
    assert limited.status == 429 and limited.headers["Retry-After"] == "1"
    spec.validate_ref("ErrorResponse", limited.body)
    running.add_token("second")
    assert api(running, "/users/me", token="second").status == 200
    time.sleep(1.05)
    assert api(running, "/users/me").status == 200


def test_throttle_next(fresh):
    running = fresh()
    running.throttle_next(2, retry_after_s=3)
    replies = [api(running, "/users/me") for _ in range(3)]
    assert [r.status for r in replies] == [429, 429, 200]
    assert replies[0].headers["Retry-After"] == "3"


def test_server_errors_drops_and_latency(fresh, spec):
    running = fresh(error_rate=1.0)
    reply = api(running, "/users/me")
    assert reply.status in (500, 503) and reply.body["errors"][0]["phrase"]
    spec.validate_ref("ErrorResponse", reply.body)
    running.set_faults(error_rate=0.0, drop_rate=1.0)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        api(running, "/users/me")
    running.set_faults(drop_rate=0.0, latency_s=0.15)
    started = time.monotonic()
    assert api(running, "/users/me").status == 200
    assert time.monotonic() - started >= 0.15


def test_forbidden_projects(fresh):
    running = fresh()
    org = running.org
    project = min(org.projects)
    task = min(t.gid for t in org.tasks.values() if t.project_gid == project)
    running.forbid_project(project, 403)
    assert api(running, f"/projects/{project}").status == 403
    assert api(running, f"/tasks?project={project}").status == 403
    assert api(running, f"/tasks/{task}").status == 403
    running.forbid_project(project, 404)
    reply = api(running, f"/tasks?project={project}")
    assert reply.status == 404 and reply.message == f"project: Unknown object: {project}"


def test_corrupt_tasks(fresh):
    running = fresh()
    org = running.org
    project = min(org.projects)
    first, second = sorted(t.gid for t in org.tasks.values() if t.project_gid == project)[:2]
    running.corrupt_task(first, "missing_gid")
    running.corrupt_task(second, "unknown_custom_field_type")
    listing = api(
        running, f"/tasks?project={project}&opt_fields=name,custom_fields.(type|number_value)"
    )
    assert "gid" not in listing.data[0] and listing.data[1]["gid"] == second
    odd = listing.data[1]["custom_fields"][0]
    assert odd["type"] == "mystery" and "mystery_value" in odd and "number_value" not in odd
    assert api(running, f"/tasks/{first}").data["gid"] == first


# -- accounting and control ------------------------------------------------------------------


def test_stats_count_every_request(fresh):
    running = fresh(requests_per_minute=3, rate_window_s=60)
    project = min(running.org.projects)
    for _ in range(2):
        api(running, f"/tasks?project={project}")
    api(running, "/users/me", token=None)
    api(running, "/tasks/1234567890123456")
    api(running, "/users/me")
    stats = running.stats()
    assert stats["total"] == 5
    assert stats["by_status"] == {"200": 2, "401": 1, "404": 1, "429": 1}
    assert stats["by_endpoint"]["GET /tasks"] == 2
    assert stats["by_endpoint"]["GET /users/{user_gid}"] == 2
    assert len(running.requests) == 5 and running.requests[0][3] == 200
    running.reset_stats()
    assert running.stats()["total"] == 0


def test_control_endpoints(fresh):
    running = fresh()
    api(running, "/users/me")
    stats = api(running, "/_sandbox/stats")
    assert stats.status == 200 and stats.body["total"] == 1
    assert api(running, "/_sandbox/stats", token=None).status == 401
    assert api(running, "/_sandbox/reset_stats", method="POST").status == 200
    assert running.stats()["total"] == 0
    mutated = api(running, "/_sandbox/mutate", method="POST", body={"fraction": 0.1, "seed": 1})
    assert mutated.status == 200 and mutated.body["touched"]
    snapshot = api(running, "/_sandbox/snapshot").body
    assert {t["gid"] for t in snapshot["tasks"]} == set(running.org.tasks)
    assert running.stats()["total"] == 0
