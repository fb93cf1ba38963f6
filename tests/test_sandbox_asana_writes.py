"""The Asana sandbox's write endpoints keep Asana's rules: status updates, project and task
custom field edits, comments and the batch API, through the official ``asana`` SDK where it
has the call (plain HTTP otherwise), with answers checked against the official OpenAPI spec.

Ground truth is the sandbox's own organisation (its dataclasses, its notifications and change
journal), never what the endpoints answer about themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import asana
import pytest
from asana.rest import ApiException
from asana_spec import asana_spec_path
from test_sandbox_asana import Spec, api

from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.org import Org, OrgSize, generate_org

TODAY = date(2026, 3, 1)
SIZE = OrgSize(projects=3, tasks=60, people=6, time_entries=40, teams=2, portfolios=1)


@pytest.fixture(scope="module")
def spec() -> Spec:
    return Spec(asana_spec_path())


@pytest.fixture
def fresh() -> Iterator[Callable[..., AsanaSandbox]]:
    """Start sandboxes over a new org each (writes change it); stopped after the test."""
    started: list[AsanaSandbox] = []

    def start(**kwargs: Any) -> AsanaSandbox:
        running = AsanaSandbox(generate_org(seed=3, size=SIZE, today=TODAY), **kwargs).start()
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


def client(sandbox: AsanaSandbox, token: str | None = None) -> asana.ApiClient:
    configuration = asana.Configuration()
    configuration.host = sandbox.base_url
    configuration.access_token = token or sandbox.token
    return asana.ApiClient(configuration)


def refused(call: Callable[[], Any]) -> tuple[int, str, dict[str, str]]:
    """(status, message, headers) of an SDK call the sandbox refuses."""
    with pytest.raises(ApiException) as caught:
        call()
    error = caught.value
    return error.status, json.loads(error.body)["errors"][0]["message"], dict(error.headers)


def delivery_project(org: Org) -> str:
    """A delivery project (not the RAID log or the intake board) owned by someone other than
    the sandbox's own user, so its owner is a follower to notify."""
    me = min(org.people)
    special = {org.raid_log_gid, org.intake_gid}
    return min(g for g, p in org.projects.items() if g not in special and p.owner_gid != me)


def rag_field(org: Org, project: str) -> str:
    return org.add_custom_field(
        "PMO RAG", "enum", options=["Green", "Amber", "Red", "Retired"], projects=[project]
    )


def option(org: Org, field: str, name: str) -> str:
    return next(o.gid for o in org.custom_fields[field].options if o.name == name)


def shown(org: Org, project: str, field: str) -> str | None:
    value = org.projects[project].custom.get(field)
    found = org.custom_fields[field].option(value)
    return found.name if found else None


# -- status updates ------------------------------------------------------------------------------


def test_posting_a_status_update_notifies_followers_and_becomes_current(fresh, spec):
    running = fresh()
    org = running.org
    project = delivery_project(org)
    author = sorted(org.people)[1]
    follower = next(
        g for g in sorted(org.people) if g not in (author, org.projects[project].owner_gid)
    )
    running.add_token("author", user_gid=author)
    org.follow_project(project, follower)
    before = org.projects[project].modified_at
    statuses = asana.StatusUpdatesApi(client(running, "author"))
    made = statuses.create_status_for_object(
        {"data": {"parent": project, "status_type": "at_risk", "title": "W10", "text": "Late"}},
        {"opt_fields": "status_type,title,text,created_by,parent,created_at"},
    )
    gid = made["gid"]
    assert made == {
        "gid": gid, "status_type": "at_risk", "title": "W10", "text": "Late",
        "created_by": {"gid": author, "resource_type": "user", "name": org.people[author].name},
        "parent": {"gid": project, "resource_type": "project", "name": org.projects[project].name},
        "created_at": made["created_at"],
    }  # fmt: skip
    stored = org.status_updates[gid]
    assert (stored.author_gid, stored.status_type, stored.text) == (author, "at_risk", "Late")
    assert org.projects[project].current_status_gid == gid
    assert org.projects[project].modified_at > before
    owner = org.projects[project].owner_gid
    assert sorted(org.notified(gid)) == sorted([(owner, gid), (follower, gid)])
    full = api(running, "/status_updates", method="POST", token="author", body={
        "data": {"parent": project, "status_type": "on_track", "text": "Back"}})  # fmt: skip
    assert full.status == 201
    spec.validate_response("/status_updates", full.body, "post", 201)
    assert full.data["title"] == "" and full.data["author"]["gid"] == author
    assert len(org.notified()) == 4


def test_html_text_is_read_as_text_and_must_be_xml(fresh):
    running = fresh()
    project = delivery_project(running.org)
    made = api(running, "/status_updates", method="POST", body={"data": {
        "parent": project, "status_type": "off_track",
        "html_text": "<body>Now <strong>red</strong></body>"}})  # fmt: skip
    assert made.status == 201
    assert running.org.status_updates[made.data["gid"]].text == "Now red"
    bad = api(running, "/status_updates", method="POST", body={"data": {
        "parent": project, "status_type": "off_track", "html_text": "<body>red"}})  # fmt: skip
    assert (bad.status, bad.message) == (400, "html_text: XML is invalid")


@pytest.mark.parametrize(
    ("data", "status", "words"),
    [
        ({"status_type": "on_track", "text": "x"}, 400, "parent: Missing input"),
        ({"parent": "999", "status_type": "on_track", "text": "x"}, 404, "parent: Unknown object"),
        ({"parent": "abc", "status_type": "on_track", "text": "x"}, 400, "parent: Not a Long"),
        ({"parent": "{task}", "status_type": "on_track", "text": "x"}, 400, "not a project"),
        ({"parent": "{portfolio}", "status_type": "on_track", "text": "x"}, 400, "portfolio"),
        ({"parent": "{project}", "text": "x"}, 400, "status_type: Missing input"),
        ({"parent": "{project}", "status_type": "green", "text": "x"}, 400, "status_type"),
        ({"parent": "{project}", "status_type": "achieved", "text": "x"}, 400, "of a project"),
        ({"parent": "{project}", "status_type": "on_track"}, 400, "text: Missing input"),
        ({"parent": "{project}", "status_type": "on_track", "text": " "}, 400, "text: Missing"),
    ],
)
def test_status_updates_refused_as_asana_refuses_them(fresh, data, status, words):
    running = fresh()
    org = running.org
    names = {
        "{project}": delivery_project(org),
        "{task}": min(org.tasks),
        "{portfolio}": min(org.portfolios),
    }
    data = {k: names.get(v, v) for k, v in data.items()}
    before = set(org.status_updates)
    reply = api(running, "/status_updates", method="POST", body={"data": data})
    assert reply.status == status and words in reply.message
    assert not org.notifications and set(org.status_updates) == before


def test_status_updates_cannot_be_edited_but_can_be_deleted(fresh):
    running = fresh()
    org = running.org
    project = delivery_project(org)
    previous = org.projects[project].current_status_gid
    body = {"data": {"parent": project, "status_type": "on_hold", "text": "Paused"}}
    gid = api(running, "/status_updates", method="POST", body=body).data["gid"]
    edit = api(running, f"/status_updates/{gid}", method="PUT", body={"data": {"text": "y"}})
    assert edit.status == 404 and edit.message.startswith("No matching route for request: PUT")
    assert org.status_updates[gid].text == "Paused"
    asana.StatusUpdatesApi(client(running)).delete_status(gid)
    assert gid not in org.status_updates
    assert org.projects[project].current_status_gid == previous
    assert api(running, f"/status_updates/{gid}").status == 404


def test_status_updates_list_newest_first_and_since(fresh):
    running = fresh()
    org = running.org
    project = delivery_project(org)
    made = []
    for text in ("one", "two", "three"):
        body = {"data": {"parent": project, "status_type": "on_track", "text": text}}
        made.append(api(running, "/status_updates", method="POST", body=body).data["gid"])
    statuses = asana.StatusUpdatesApi(client(running))
    listed = [s["gid"] for s in statuses.get_statuses_for_object(project, {"limit": 2})]
    ordered = sorted(
        (s for s in org.status_updates.values() if s.project_gid == project),
        key=lambda s: (s.created_at, s.gid), reverse=True,
    )  # fmt: skip
    assert listed == [s.gid for s in ordered]
    assert listed[:3] == made[::-1]
    since = org.status_updates[made[1]].created_at.isoformat()
    recent = statuses.get_statuses_for_object(project, {"created_since": since})
    assert [s["gid"] for s in recent] == [made[2], made[1]]


def test_a_scoped_token_needs_default_to_post_a_status_update(fresh):
    running = fresh()
    project = delivery_project(running.org)
    running.add_token("read-only", {"projects:read", "tasks:read"})
    running.add_token("full", {"default"})
    body = {"data": {"parent": project, "status_type": "on_track", "text": "x"}}
    reply = api(running, "/status_updates", method="POST", token="read-only", body=body)
    assert reply.status == 403 and "required scope: default" in reply.message
    assert api(running, "/status_updates", method="POST", token="full", body=body).status == 201


# -- project edits ---------------------------------------------------------------------------


def test_put_project_sets_and_clears_an_enum_and_an_empty_body_changes_nothing(fresh, spec):
    running = fresh()
    org = running.org
    project = delivery_project(org)
    field = rag_field(org, project)
    projects = asana.ProjectsApi(client(running))
    before = org.projects[project].modified_at
    journal = len(org.changes)
    same = projects.update_project({"data": {}}, project, {"opt_fields": "name,modified_at"})
    assert same["name"] == org.projects[project].name
    assert org.projects[project].modified_at == before and len(org.changes) == journal
    amber = option(org, field, "Amber")
    updated = projects.update_project(
        {"data": {"custom_fields": {field: amber}, "notes": "Watched"}},
        project,
        {"opt_fields": "custom_fields.enum_value.name,custom_fields.gid,modified_at,notes"},
    )
    assert shown(org, project, field) == "Amber" and org.projects[project].notes == "Watched"
    value = next(f for f in updated["custom_fields"] if f["gid"] == field)
    assert value["enum_value"]["name"] == "Amber"
    assert org.projects[project].modified_at > before
    changed = [c for c in org.changes[journal:] if c.field == "custom_fields"]
    assert [(c.resource_type, c.gid, c.user_gid) for c in changed] == [
        ("project", project, running.user_gid)
    ]
    projects.update_project({"data": {"custom_fields": {field: None}}}, project, {})
    assert org.projects[project].custom[field] is None
    full = api(running, f"/projects/{project}", method="PUT", body={"data": {"name": "Renamed"}})
    spec.validate_response("/projects/{project_gid}", full.body, "put")
    assert org.projects[project].name == "Renamed"


def test_put_project_refuses_fields_options_and_values_as_asana_does(fresh):
    running = fresh()
    org = running.org
    project = delivery_project(org)
    field = rag_field(org, project)
    other = (
        sorted(org.projects)[0] if sorted(org.projects)[0] != project else sorted(org.projects)[1]
    )
    elsewhere = org.add_custom_field("Elsewhere", "enum", options=["A"], projects=[other])
    org.disable_option(field, "Retired")
    priority = org.field_named("Priority")
    cases = [
        ({elsewhere: option(org, elsewhere, "A")}, 400, "'Elsewhere'"),
        ({"777": "1"}, 400, "Custom field 777 is not on project"),
        ({field: priority.options[0].gid}, 400, "is not an enum option gid of custom field"),
        ({field: "Amber"}, 400, "is not an enum option gid"),
        ({field: option(org, field, "Retired")}, 400, "is disabled"),
        ({org.field_named("Budget").gid: "lots"}, 400, "is not a number"),
    ]
    projects = asana.ProjectsApi(client(running))
    for values, status, words in cases:
        got = refused(lambda v=values: projects.update_project(
            {"data": {"custom_fields": v, "name": "Not applied"}}, project, {}))  # fmt: skip
        assert got[0] == status and words in got[1], (values, got)
    assert org.projects[project].custom[field] is None
    assert org.projects[project].name != "Not applied"


def test_a_locked_field_is_read_only_to_everyone_but_its_owner(fresh):
    running = fresh()
    org = running.org
    project = delivery_project(org)
    field = rag_field(org, project)
    owner = sorted(org.people)[2]
    running.add_token("owner", user_gid=owner)
    org.lock_custom_field(field, owner)
    red, green = option(org, field, "Red"), option(org, field, "Green")
    fields = {"opt_fields": "custom_fields.is_value_read_only"}
    mine = asana.ProjectsApi(client(running))
    theirs = asana.ProjectsApi(client(running, "owner"))
    view = {f["gid"]: f for f in mine.get_project(project, fields)["custom_fields"]}
    assert view[field]["is_value_read_only"] is True
    view = {f["gid"]: f for f in theirs.get_project(project, fields)["custom_fields"]}
    assert view[field]["is_value_read_only"] is False
    status, message, _ = refused(
        lambda: mine.update_project({"data": {"custom_fields": {field: red}}}, project, {})
    )
    assert status == 403 and "'PMO RAG'" in message and "locked" in message
    assert shown(org, project, field) is None
    theirs.update_project({"data": {"custom_fields": {field: green}}}, project, {})
    assert shown(org, project, field) == "Green"
    # a human (the owner, in the app) edits it: journalled as theirs
    org.edit_project(project, custom={"PMO RAG": "Amber"}, by=owner)
    assert shown(org, project, field) == "Amber" and org.changes[-1].user_gid == owner
    org.lock_custom_field(field, None)
    mine.update_project({"data": {"custom_fields": {field: red}}}, project, {})
    assert shown(org, project, field) == "Red"


def test_formula_fields_are_read_only_and_writes_need_the_scope_and_the_plan(fresh):
    running = fresh()
    org = running.org
    project = delivery_project(org)
    formula = org.add_custom_field("Score", "number", projects=[project], formula=True)
    reply = api(running, f"/projects/{project}", method="PUT",
                body={"data": {"custom_fields": {formula: 3}}})  # fmt: skip
    assert reply.status == 403 and "'Score'" in reply.message and "formula" in reply.message
    running.add_token("reader", {"projects:read"})
    reply = api(running, f"/projects/{project}", method="PUT", token="reader", body={"data": {}})
    assert reply.status == 403 and "required scope: projects:write" in reply.message
    org.workspace.is_premium = False
    budget = org.field_named("Budget").gid
    reply = api(running, f"/projects/{project}", method="PUT",
                body={"data": {"custom_fields": {budget: 5}}})  # fmt: skip
    assert reply.status == 402
    assert api(running, f"/projects/{project}", method="PUT", body={"data": {}}).status == 200


def test_put_task_keeps_the_same_custom_field_rules(fresh):
    running = fresh()
    org = running.org
    project = delivery_project(org)
    task = min(g for g, t in org.tasks.items() if t.project_gid == project)
    priority = org.field_named("Priority")
    health = org.field_named("Health")
    tasks = asana.TasksApi(client(running))
    high = next(o.gid for o in priority.options if o.name == "High")
    tasks.update_task({"data": {"custom_fields": {priority.gid: high}}}, task, {})
    assert org.tasks[task].custom[priority.gid] == high
    status, message, _ = refused(lambda: tasks.update_task(
        {"data": {"custom_fields": {priority.gid: health.options[0].gid}}}, task, {}))  # fmt: skip
    assert status == 400 and "'Priority'" in message
    status, message, _ = refused(lambda: tasks.update_task(
        {"data": {"custom_fields": {health.gid: health.options[0].gid}}}, task, {}))  # fmt: skip
    assert status == 400 and f"'Health' ({health.gid}) is not on task {task}" in message
    org.lock_custom_field(priority.gid, sorted(org.people)[3])
    low = next(o.gid for o in priority.options if o.name == "Low")
    status, message, _ = refused(lambda: tasks.update_task(
        {"data": {"custom_fields": {priority.gid: low}}}, task, {}))  # fmt: skip
    assert status == 403 and "'Priority'" in message
    assert org.tasks[task].custom[priority.gid] == high


# -- comments --------------------------------------------------------------------------------------


def test_comments_are_created_by_the_token_user_and_listed_in_pages(fresh, spec):
    running = fresh()
    org = running.org
    task = min(org.tasks)
    author = sorted(org.people)[1]
    running.add_token("author", user_gid=author)
    before = org.tasks[task].modified_at
    stories = asana.StoriesApi(client(running, "author"))
    made = stories.create_story_for_task({"data": {"text": "Please update"}}, task, {})
    assert made["text"] == "Please update" and made["created_by"]["gid"] == author
    assert made["resource_subtype"] == "comment_added" and made["type"] == "comment"
    assert org.stories[made["gid"]].author_gid == author
    assert org.tasks[task].modified_at > before
    second = api(running, f"/tasks/{task}/stories", method="POST",
                 body={"data": {"html_text": "<body>Second <em>note</em></body>"}})  # fmt: skip
    assert second.status == 201 and second.data["text"] == "Second note"
    spec.validate_response("/tasks/{task_gid}/stories", second.body, "post", 201)
    page = api(running, f"/tasks/{task}/stories?limit=1")
    assert [s["gid"] for s in page.data] == [made["gid"]] and page.body["next_page"]
    spec.validate_response("/tasks/{task_gid}/stories", page.body)
    rest = api(running, page.body["next_page"]["path"])
    assert [s["gid"] for s in rest.data] == [second.data["gid"]]
    listed = asana.StoriesApi(client(running)).get_stories_for_task(task, {"limit": 1})
    assert [s["gid"] for s in listed] == [made["gid"], second.data["gid"]]


def test_comments_refused_as_asana_refuses_them(fresh):
    running = fresh()
    task = min(running.org.tasks)
    both = {"data": {"text": "a", "html_text": "<body>a</body>"}}
    reply = api(running, f"/tasks/{task}/stories", method="POST", body=both)
    assert (reply.status, reply.message) == (400, "text: Cannot be used with html_text")
    reply = api(running, f"/tasks/{task}/stories", method="POST", body={"data": {}})
    assert (reply.status, reply.message) == (400, "text: Missing input")
    reply = api(running, "/tasks/999/stories", method="POST", body={"data": {"text": "a"}})
    assert reply.status == 404
    running.add_token("tasks-only", {"tasks:read", "tasks:write"})
    reply = api(running, f"/tasks/{task}/stories", method="POST", token="tasks-only",
                body={"data": {"text": "a"}})  # fmt: skip
    assert reply.status == 403 and "stories:write" in reply.message
    assert not running.org.stories


def test_a_comment_is_an_event_of_its_task_and_project(fresh):
    running = fresh()
    org = running.org
    project = delivery_project(org)
    task = min(g for g, t in org.tasks.items() if t.project_gid == project)
    tokens = {r: api(running, f"/events?resource={r}").body["sync"] for r in (task, project)}
    made = api(running, f"/tasks/{task}/stories", method="POST", body={"data": {"text": "hi"}})
    for resource, sync in tokens.items():
        events = api(running, f"/events?resource={resource}&sync={sync}").data
        assert [(e["type"], e["action"], e["resource"]["gid"], e["parent"]["gid"])
                for e in events] == [("story", "added", made.data["gid"], task)]  # fmt: skip


# -- batch ---------------------------------------------------------------------------------------


def test_batch_runs_each_action_through_its_route_in_order(fresh, spec):
    running = fresh()
    org = running.org
    project = delivery_project(org)
    field = rag_field(org, project)
    amber = option(org, field, "Amber")
    actions = [
        {"method": "get", "relative_path": f"/projects/{project}",
         "options": {"fields": ["name", "custom_fields.enum_value.name"]}},
        {"method": "put", "relative_path": f"/projects/{project}",
         "data": {"custom_fields": {field: amber}}, "options": {"fields": ["modified_at"]}},
        {"method": "post", "relative_path": "/status_updates",
         "data": {"parent": project, "status_type": "at_risk", "text": "b"}},
        {"method": "get", "relative_path": "/projects/999"},
        {"method": "get", "relative_path": "/status_updates", "data": {"parent": project},
         "options": {"limit": 1}},
    ]  # fmt: skip
    running.reset_stats()
    results = list(
        asana.BatchAPIApi(client(running)).create_batch_request({"data": {"actions": actions}}, {})
    )
    assert [r["status_code"] for r in results] == [200, 200, 201, 404, 200]
    assert results[0]["body"]["data"]["name"] == org.projects[project].name
    assert set(results[1]["body"]["data"]) == {"gid", "modified_at"}
    assert shown(org, project, field) == "Amber"
    made = results[2]["body"]["data"]["gid"]
    assert org.projects[project].current_status_gid == made
    assert results[2]["headers"] == {"location": f"/status_updates/{made}"}
    assert "Unknown object: 999" in results[3]["body"]["errors"][0]["message"]
    assert [s["gid"] for s in results[4]["body"]["data"]] == [made]
    stats = running.stats()
    assert stats["batch_actions"] == 5 and stats["by_endpoint"]["POST /batch"] == 1
    assert stats["by_endpoint"]["PUT /projects/{project_gid}"] == 1
    assert stats["by_endpoint"]["GET /projects/{project_gid}"] == 2
    raw = api(running, "/batch", method="POST", body={"data": {"actions": actions[:1]}})
    spec.validate_response("/batch", raw.body, "post")


def test_batch_limits_and_malformed_actions(fresh):
    running = fresh()
    project = delivery_project(running.org)
    get = {"method": "get", "relative_path": f"/projects/{project}"}
    reply = api(running, "/batch", method="POST", body={"data": {"actions": [get] * 11}})
    assert reply.status == 400 and "at most 10 actions" in reply.message
    assert (
        api(running, "/batch", method="POST", body={"data": {"actions": [get] * 10}}).status == 200
    )
    for bad, words in (
        ({"relative_path": "/users/me"}, "actions[0].method"),
        ({"method": "fetch", "relative_path": "/users/me"}, "actions[0].method"),
        ({"method": "get"}, "actions[0].relative_path"),
    ):
        reply = api(running, "/batch", method="POST", body={"data": {"actions": [bad]}})
        assert reply.status == 400 and words in reply.message
    nested = {"method": "post", "relative_path": "/batch", "data": {"actions": [get]}}
    reply = api(running, "/batch", method="POST", body={"data": {"actions": [nested]}})
    assert reply.status == 200 and reply.data[0]["status_code"] == 400


def test_batch_actions_count_against_the_quota_and_keep_scopes_and_plan(fresh):
    running = fresh(requests_per_minute=3)
    org = running.org
    project = delivery_project(org)
    get = {"method": "get", "relative_path": f"/projects/{project}"}
    reply = api(running, "/batch", method="POST", body={"data": {"actions": [get] * 5}})
    assert [r["status_code"] for r in reply.data] == [200, 200, 200, 429, 429]
    assert int(reply.data[3]["headers"]["Retry-After"]) >= 1
    assert running.stats()["batch_actions_throttled"] == 2
    assert api(running, f"/projects/{project}").status == 429

    other = fresh()
    project = delivery_project(other.org)
    other.add_token("reader", {"projects:read"})
    put = {"method": "put", "relative_path": f"/projects/{project}", "data": {"notes": "n"}}
    portfolios = {"method": "get", "relative_path": "/portfolios",
                  "data": {"workspace": other.org.workspace.gid}}  # fmt: skip
    read = {**get, "relative_path": f"/projects/{project}"}
    reply = api(other, "/batch", method="POST", token="reader",
                body={"data": {"actions": [put, read]}})  # fmt: skip
    assert [r["status_code"] for r in reply.data] == [403, 200]
    assert "projects:write" in reply.data[0]["body"]["errors"][0]["message"]
    other.org.workspace.is_premium = False
    reply = api(other, "/batch", method="POST", body={"data": {"actions": [portfolios]}})
    assert reply.data[0]["status_code"] == 402


# -- faults on writes ------------------------------------------------------------------------------


def test_write_faults_throttle_fail_and_quota(fresh):
    running = fresh(requests_per_minute=2)
    org = running.org
    project = delivery_project(org)
    body = {"data": {"parent": project, "status_type": "on_track", "text": "x"}}
    statuses = asana.StatusUpdatesApi(client(running))
    running.throttle_next(1, retry_after_s=7, path_contains="/status_updates")
    status, _, headers = refused(lambda: statuses.create_status_for_object(body, {}))
    assert status == 429 and headers["Retry-After"] == "7"
    running.fail_next(1, 429)
    status, _, headers = refused(lambda: statuses.create_status_for_object(body, {}))
    assert status == 429 and "Retry-After" not in headers
    running.fail_next(1, 503, retry_after_s=2, path_contains="/stories")
    reply = api(running, f"/tasks/{min(org.tasks)}/stories", method="POST",
                body={"data": {"text": "x"}})  # fmt: skip
    assert reply.status == 503 and reply.headers["Retry-After"] == "2"
    assert not org.notifications and not org.stories
    assert statuses.create_status_for_object(body, {})["gid"] in org.status_updates
    assert api(running, f"/projects/{project}", method="PUT", body={"data": {}}).status == 200
    status, message, headers = refused(lambda: statuses.create_status_for_object(body, {}))
    assert status == 429 and int(headers["Retry-After"]) >= 1 and "too many" in message
    assert len([s for s in org.status_updates.values() if s.text == "x"]) == 1
