"""The Dataverse sandbox answers like the Dataverse Web API v9.2, over real loopback HTTP.

Every environment here is built by hand with ``Environment.upsert``, with ids chosen so their
order is known (``_id(n)`` sorts by ``n``): the expected rows, pages, orders and error bodies
are worked out in each test from what it inserted, never read back from the emulator.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from pmosync.sandbox.dataverse.environment import Environment
from pmosync.sandbox.dataverse.limits import ServiceLimits
from pmosync.sandbox.dataverse.server import DataverseSandbox

TOKEN = "sandbox-dataverse-token"
TODAY = date(2026, 3, 2)
NOT_FOUND = "0x80060888"


def _id(n: int, prefix: str = "0") -> str:
    """A GUID whose place in key order is ``n`` (within one prefix)."""
    return f"{prefix * 8}-0000-4000-8000-{n:012d}"


PROJECT, OTHER_PROJECT = _id(1, "a"), _id(2, "a")
USER_ANN, USER_BOB = _id(1, "b"), _id(2, "b")
RESOURCE_ANN, RESOURCE_GENERIC = _id(1, "c"), _id(2, "c")
TEAM_ANN, TEAM_GENERIC = _id(1, "d"), _id(2, "d")


def _environment(tasks: int = 12) -> Environment:
    env = Environment(TODAY)
    env.upsert("systemuser", {"systemuserid": USER_ANN, "fullname": "Ann O'Hara",
                              "azureactivedirectoryobjectid": _id(9, "e"), "isdisabled": False})
    env.upsert("systemuser", {"systemuserid": USER_BOB, "fullname": "Bob", "isdisabled": True})
    env.upsert("bookableresource", {"bookableresourceid": RESOURCE_ANN, "name": "Ann (resource)",
                                    "resourcetype": 3, "_userid_value": USER_ANN})
    env.upsert("bookableresource", {"bookableresourceid": RESOURCE_GENERIC, "name": "Designer",
                                    "resourcetype": 1})
    env.upsert("msdyn_project", {"msdyn_projectid": PROJECT, "msdyn_subject": "Apollo",
                                 "_msdyn_projectmanager_value": USER_ANN, "msdyn_progress": 0.34})
    env.upsert("msdyn_project", {"msdyn_projectid": OTHER_PROJECT, "msdyn_subject": "Borealis",
                                 "msdyn_progress": 1})
    env.upsert("msdyn_projectteam", {"msdyn_projectteamid": TEAM_ANN, "msdyn_name": "Ann",
                                     "_msdyn_project_value": PROJECT,
                                     "_msdyn_bookableresourceid_value": RESOURCE_ANN})
    env.upsert("msdyn_projectteam", {"msdyn_projectteamid": TEAM_GENERIC, "msdyn_name": "Designer",
                                     "_msdyn_project_value": PROJECT,
                                     "_msdyn_bookableresourceid_value": RESOURCE_GENERIC})
    for n in range(1, tasks + 1):
        env.upsert("msdyn_projecttask", {
            "msdyn_projecttaskid": _id(n), "msdyn_subject": f"Task {n}",
            "_msdyn_project_value": PROJECT if n % 3 else OTHER_PROJECT,
            "msdyn_displaysequence": float(n % 4),  # ties on purpose: 1,2,3,0,1,2,3,0,...
            "msdyn_progress": n / 10, "msdyn_priority": 1 if n % 2 else 9,
            "msdyn_scheduledstart": f"2026-03-{n:02d}T08:00:00Z",
            "msdyn_summary": False, "msdyn_outlinelevel": 1,
        })  # fmt: skip
    return env


@pytest.fixture
def env() -> Environment:
    return _environment()


@pytest.fixture
def sandbox(env: Environment) -> Iterator[DataverseSandbox]:
    with DataverseSandbox(env) as fresh:
        yield fresh


def _get(
    sandbox: DataverseSandbox,
    path: str,
    params: dict[str, str] | None = None,
    *,
    token: str | None = TOKEN,
    prefer: str | None = None,
) -> httpx.Response:
    url = path if path.startswith("http") else f"{sandbox.api_url}/{path}"
    headers = {"Accept": "application/json", "OData-MaxVersion": "4.0", "OData-Version": "4.0"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if prefer is not None:
        headers["Prefer"] = prefer
    return httpx.get(url, params=params, headers=headers, timeout=10)


def _error(response: httpx.Response, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    return response.json()["error"]


def _all_pages(
    sandbox: DataverseSandbox, path: str, params: dict[str, str] | None, prefer: str
) -> tuple[list[list[dict[str, Any]]], dict[str, Any]]:
    """Every page of a listing by its nextLinks; (pages' values, last body)."""
    body = _get(sandbox, path, params, prefer=prefer).json()
    pages = [body["value"]]
    while "@odata.nextLink" in body:
        assert "@odata.deltaLink" not in body
        link = body["@odata.nextLink"]
        assert link.startswith(sandbox.api_url + "/")
        body = _get(sandbox, link, prefer=prefer).json()
        pages.append(body["value"])
    return pages, body


# -- sign-in check and metadata -------------------------------------------------------------


def test_who_am_i_and_entity_definitions(sandbox: DataverseSandbox, env: Environment) -> None:
    assert sandbox.api_url == sandbox.environment_url + "/api/data/v9.2"
    who = _get(sandbox, "WhoAmI").json()
    assert who["OrganizationId"] == env.organization_id
    assert {"BusinessUnitId", "UserId"} <= set(who)
    body = _get(sandbox, "EntityDefinitions", {
        "$select": "LogicalName,EntitySetName,ChangeTrackingEnabled",
        "$filter": "LogicalName eq 'msdyn_project' or LogicalName eq 'msdyn_projectteam'",
    }).json()  # fmt: skip
    found = {row["LogicalName"]: row for row in body["value"]}
    assert set(found) == {"msdyn_project", "msdyn_projectteam"}
    assert found["msdyn_project"]["EntitySetName"] == "msdyn_projects"
    assert found["msdyn_project"]["ChangeTrackingEnabled"] is True
    assert found["msdyn_projectteam"]["ChangeTrackingEnabled"] is False
    assert set(found["msdyn_project"]) == {
        "LogicalName", "EntitySetName", "ChangeTrackingEnabled", "MetadataId"}  # fmt: skip


# -- rows, $select, paging ------------------------------------------------------------------


def test_select_returns_the_selected_columns_the_key_and_the_etag(
    sandbox: DataverseSandbox, env: Environment
) -> None:
    env.upsert("msdyn_projecttask", {"msdyn_projecttaskid": _id(3), "msdyn_subject": "a\x00b"})
    version = env.get("msdyn_projecttask", _id(3))["versionnumber"]
    row = _get(sandbox, f"msdyn_projecttasks({_id(3)})", {"$select": "msdyn_subject"}).json()
    assert row["msdyn_subject"] == "a\x00b"  # NUL kept, escaped by JSON
    assert row["@odata.etag"] == f'W/"{version}"'
    assert set(row) == {"@odata.context", "@odata.etag", "msdyn_subject", "msdyn_projecttaskid"}
    full = _get(sandbox, f"msdyn_projects({PROJECT})").json()
    assert full["msdyn_subject"] == "Apollo" and full["msdyn_progress"] == 0.34
    assert "_msdyn_projectmanager_value" in full and "statecode" in full
    error = _error(_get(sandbox, f"msdyn_projects({_id(77, 'a')})"), 404)
    assert _id(77, "a") in error["message"]
    error = _error(_get(sandbox, "msdyn_projecttasks", {"$select": "msdyn_subject,nope"}), 400)
    assert error == {"code": NOT_FOUND, "message": "Could not find a property named 'nope' on "
                     "type 'Microsoft.Dynamics.CRM.msdyn_projecttask'."}  # fmt: skip
    error = _error(_get(sandbox, "msdyn_projectz"), 404)
    assert error == {"code": NOT_FOUND,
                     "message": "Resource not found for the segment 'msdyn_projectz'."}


def test_pages_serve_every_row_once_and_stay_stable_when_rows_are_inserted(
    sandbox: DataverseSandbox, env: Environment
) -> None:
    first = _get(sandbox, "msdyn_projecttasks", {"$select": "msdyn_subject"},
                 prefer="odata.maxpagesize=5")  # fmt: skip
    assert first.headers["Preference-Applied"] == "odata.maxpagesize=5"
    body = first.json()
    # Keyset on the primary key: _id(1).._id(5) first.
    assert [r["msdyn_projecttaskid"] for r in body["value"]] == [_id(n) for n in range(1, 6)]
    # Mid-listing: one row sorting before the cursor (not served, and shifts nothing) and one
    # after everything (served on the last page).
    env.upsert("msdyn_projecttask", {"msdyn_projecttaskid": _id(0), "msdyn_subject": "early"})
    env.upsert("msdyn_projecttask", {"msdyn_projecttaskid": _id(99), "msdyn_subject": "late"})
    env.delete("msdyn_projecttask", _id(7))
    seen = [r["msdyn_projecttaskid"] for r in body["value"]]
    sizes = [len(body["value"])]
    while "@odata.nextLink" in body:
        body = _get(sandbox, body["@odata.nextLink"], prefer="odata.maxpagesize=5").json()
        seen += [r["msdyn_projecttaskid"] for r in body["value"]]
        sizes.append(len(body["value"]))
    # 12 - 1 deleted + 1 late = 12 rows: pages of 5, 5, 2.
    expected = [_id(n) for n in (1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 99)]
    assert seen == expected and sizes == [5, 5, 2]
    assert "@odata.deltaLink" not in body  # no change tracking asked


def test_orderby_pages_by_the_columns_then_the_key(sandbox: DataverseSandbox) -> None:
    pages, _ = _all_pages(
        sandbox, "msdyn_projecttasks",
        {"$select": "msdyn_displaysequence", "$orderby": "msdyn_displaysequence desc"},
        "odata.maxpagesize=4",
    )  # fmt: skip
    # displaysequence = n % 4: 3 for n=3,7,11; 2 for 2,6,10; 1 for 1,5,9; 0 for 4,8,12; ties
    # broken by the key ascending.
    order = [3, 7, 11, 2, 6, 10, 1, 5, 9, 4, 8, 12]
    assert [len(p) for p in pages] == [4, 4, 4]
    assert [r["msdyn_projecttaskid"] for p in pages for r in p] == [_id(n) for n in order]
    top = _get(sandbox, "msdyn_projecttasks",
               {"$orderby": "msdyn_subject asc", "$top": "3", "$select": "msdyn_subject"},
               prefer="odata.maxpagesize=2").json()  # fmt: skip
    # String order: "Task 1" < "Task 10" < "Task 11"; $top caps the listing, no nextLink.
    assert [r["msdyn_subject"] for r in top["value"]] == ["Task 1", "Task 10", "Task 11"]
    assert "@odata.nextLink" not in top


# -- $filter ---------------------------------------------------------------------------------


def _ids(sandbox: DataverseSandbox, set_name: str, expression: str) -> list[str]:
    response = _get(sandbox, set_name, {"$filter": expression})
    assert response.status_code == 200, response.text
    key = set_name[:-1] + "id"
    return [row[key] for row in response.json()["value"]]


def test_filter_operators_literals_and_in(sandbox: DataverseSandbox, env: Environment) -> None:
    tasks = "msdyn_projecttasks"
    # Tasks of OTHER_PROJECT: n divisible by 3.
    assert _ids(sandbox, tasks, f"_msdyn_project_value eq {OTHER_PROJECT}") == [
        _id(n) for n in (3, 6, 9, 12)]  # fmt: skip
    # progress n/10 > 0.95 -> n >= 10; priority 1 for odd n: 11 only.
    assert _ids(sandbox, tasks, "msdyn_progress gt 0.95 and msdyn_priority eq 1") == [_id(11)]
    # not/parentheses: n in 1..3 or n = 12, minus odd ones -> 2, 12.
    expression = ("(msdyn_progress le 0.3 or msdyn_progress ge 1.2) and "
                  "not (msdyn_priority eq 1)")  # fmt: skip
    assert _ids(sandbox, tasks, expression) == [_id(2), _id(12)]
    # Datetimes unquoted: starts on March 10th 08:00Z or later -> 10, 11, 12.
    assert _ids(sandbox, tasks, "msdyn_scheduledstart ge 2026-03-10T08:00:00Z") == [
        _id(10), _id(11), _id(12)]  # fmt: skip
    in_ = ("Microsoft.Dynamics.CRM.In(PropertyName='msdyn_projecttaskid',"
           f"PropertyValues=['{_id(4)}','{_id(8)}','{_id(50)}'])")  # fmt: skip
    assert _ids(sandbox, tasks, in_) == [_id(4), _id(8)]
    users = "systemusers"
    assert _ids(sandbox, users, "fullname eq 'Ann O''Hara'") == [USER_ANN]
    assert _ids(sandbox, users, "azureactivedirectoryobjectid eq null") == [USER_BOB]
    assert _ids(sandbox, users, "azureactivedirectoryobjectid ne null") == [USER_ANN]
    assert _ids(sandbox, users, "isdisabled eq true") == [USER_BOB]


@pytest.mark.parametrize(
    "expression",
    [
        "contains(msdyn_subject,'Task')",
        "msdyn_progress add 1 gt 1",
        "msdyn_subject eq",
        "(msdyn_subject eq 'x'",
        "msdyn_subject eq 'x' xor msdyn_subject eq 'y'",
        "startswith(msdyn_subject, 'T')",
    ],
)
def test_unsupported_filters_are_a_400(sandbox: DataverseSandbox, expression: str) -> None:
    error = _error(_get(sandbox, "msdyn_projecttasks", {"$filter": expression}), 400)
    assert error["code"].startswith("0x8") and error["message"]


def test_filter_on_an_unknown_column_names_it(sandbox: DataverseSandbox) -> None:
    error = _error(_get(sandbox, "msdyn_projecttasks", {"$filter": "nope eq 1"}), 400)
    assert error["message"] == (
        "Could not find a property named 'nope' on type 'Microsoft.Dynamics.CRM.msdyn_projecttask'."
    )
    error = _error(_get(sandbox, "msdyn_projects", {"$filter": "tasks/any(t:t/x eq 1)"}), 400)
    assert "tasks" in error["message"]


# -- $expand ---------------------------------------------------------------------------------


def test_nested_expand_follows_lookups_and_is_null_when_empty(sandbox: DataverseSandbox) -> None:
    expand = "msdyn_bookableresourceid($select=name;$expand=UserId($select=fullname))"
    body = _get(sandbox, "msdyn_projectteams",
                {"$select": "msdyn_name", "$expand": expand}).json()  # fmt: skip
    by_id = {row["msdyn_projectteamid"]: row for row in body["value"]}
    ann = by_id[TEAM_ANN]["msdyn_bookableresourceid"]
    assert ann["name"] == "Ann (resource)" and ann["bookableresourceid"] == RESOURCE_ANN
    assert ann["UserId"]["fullname"] == "Ann O'Hara"
    assert ann["UserId"]["systemuserid"] == USER_ANN
    assert ann["UserId"]["@odata.etag"].startswith('W/"')
    generic = by_id[TEAM_GENERIC]["msdyn_bookableresourceid"]
    assert generic["name"] == "Designer" and generic["UserId"] is None
    projects = _get(sandbox, "msdyn_projects",
                    {"$select": "msdyn_subject",
                     "$expand": "msdyn_projectmanager($select=fullname)"}).json()  # fmt: skip
    managers = {r["msdyn_projectid"]: r["msdyn_projectmanager"] for r in projects["value"]}
    assert managers[PROJECT]["fullname"] == "Ann O'Hara" and managers[OTHER_PROJECT] is None
    error = _error(_get(sandbox, "msdyn_projects", {"$expand": "msdyn_projecttasks"}), 400)
    assert "msdyn_projecttasks" in error["message"]


# -- change tracking -------------------------------------------------------------------------


TRACK5 = "odata.track-changes,odata.maxpagesize=5"


def test_change_tracking_full_read_then_paged_deltas_with_deletions(
    sandbox: DataverseSandbox, env: Environment
) -> None:
    pages, last = _all_pages(sandbox, "msdyn_projecttasks", {"$select": "msdyn_subject"}, TRACK5)
    assert [len(p) for p in pages] == [5, 5, 2]  # 12 tasks
    assert {r["msdyn_projecttaskid"] for p in pages for r in p} == {_id(n) for n in range(1, 13)}
    delta_link = last["@odata.deltaLink"]
    assert delta_link.startswith(sandbox.api_url + "/msdyn_projecttasks?")
    assert "$deltatoken=" in delta_link and "%21" in delta_link
    # 3 updates, 4 inserts, 2 deletions: 9 entries, pages of 3.
    for n in (1, 2, 3):
        env.upsert("msdyn_projecttask", {"msdyn_projecttaskid": _id(n), "msdyn_subject": "moved"})
    for n in (20, 21, 22, 23):
        env.upsert("msdyn_projecttask", {"msdyn_projecttaskid": _id(n), "msdyn_subject": "new"})
    env.delete("msdyn_projecttask", _id(10))
    env.delete("msdyn_projecttask", _id(11))
    pages, last = _all_pages(sandbox, delta_link, None, "odata.track-changes,odata.maxpagesize=3")
    assert [len(p) for p in pages] == [3, 3, 3]
    entries = [e for p in pages for e in p]
    changed = {e["msdyn_projecttaskid"]: e for e in entries if "reason" not in e}
    deleted = [e for e in entries if "reason" in e]
    assert set(changed) == {_id(n) for n in (1, 2, 3, 20, 21, 22, 23)}
    assert changed[_id(1)]["msdyn_subject"] == "moved"
    assert set(changed[_id(20)]) == {"@odata.etag", "msdyn_subject", "msdyn_projecttaskid"}
    assert {e["id"] for e in deleted} == {_id(10), _id(11)}
    assert all(e["reason"] == "deleted" and e["@odata.context"].endswith(
        "$metadata#msdyn_projecttasks/$deletedEntity") for e in deleted)  # fmt: skip
    # Nothing changed since: an empty delta with a fresh deltaLink.
    quiet = _get(sandbox, last["@odata.deltaLink"], prefer=TRACK5).json()
    assert quiet["value"] == [] and "@odata.deltaLink" in quiet
    stats = sandbox.stats()
    assert stats["full_reads"] == 3 and stats["full_listings"] == 1
    assert stats["delta_reads"] == 4 and stats["delta_listings"] == 2
    assert stats["by_entity_set"] == {"msdyn_projecttasks": 7}


def test_a_row_changed_while_paging_the_full_read_comes_with_the_next_delta(
    sandbox: DataverseSandbox, env: Environment
) -> None:
    body = _get(sandbox, "msdyn_projecttasks", {"$select": "msdyn_subject"}, prefer=TRACK5).json()
    env.upsert("msdyn_projecttask", {"msdyn_projecttaskid": _id(2), "msdyn_subject": "edited"})
    while "@odata.nextLink" in body:
        body = _get(sandbox, body["@odata.nextLink"], prefer=TRACK5).json()
    delta = _get(sandbox, body["@odata.deltaLink"], prefer=TRACK5).json()
    assert [(r["msdyn_projecttaskid"], r["msdyn_subject"]) for r in delta["value"]] == [
        (_id(2), "edited")]  # fmt: skip


def test_an_expired_delta_token_asks_for_a_full_sync(
    sandbox: DataverseSandbox, env: Environment
) -> None:
    _, last = _all_pages(sandbox, "msdyn_projects", {"$select": "msdyn_subject"}, TRACK5)
    sandbox.expire_delta_tokens()
    error = _error(_get(sandbox, last["@odata.deltaLink"], prefer=TRACK5), 400)
    assert error == {"code": "0x80044352", "message": "The version stamp associated with the "
                     "client has expired. Please perform a full sync."}  # fmt: skip
    _, fresh = _all_pages(sandbox, "msdyn_projects", {"$select": "msdyn_subject"}, TRACK5)
    assert _get(sandbox, fresh["@odata.deltaLink"], prefer=TRACK5).status_code == 200


def test_track_changes_is_refused_without_it_on_the_table_or_with_query_options(
    sandbox: DataverseSandbox,
) -> None:
    error = _error(_get(sandbox, "msdyn_projectteams", {"$select": "msdyn_name"},
                        prefer=TRACK5), 400)  # fmt: skip
    assert error["code"] == "0x80044155" and "msdyn_projectteam" in error["message"]
    for option, value in (("$filter", "msdyn_progress gt 0"), ("$orderby", "msdyn_subject"),
                          ("$top", "2"), ("$expand", "msdyn_projectmanager")):  # fmt: skip
        response = _get(sandbox, "msdyn_projects", {option: value}, prefer=TRACK5)
        error = _error(response, 400)
        assert option in error["message"] and "not supported with change tracking" in (
            error["message"])  # fmt: skip
    # Without change tracking the team table reads fine.
    assert len(_get(sandbox, "msdyn_projectteams").json()["value"]) == 2


# -- tokens and privileges -------------------------------------------------------------------


def test_401_has_no_body_and_says_where_to_sign_in(sandbox: DataverseSandbox) -> None:
    for token in (None, "forged"):
        response = _get(sandbox, "WhoAmI", token=token)
        assert response.status_code == 401 and response.content == b""
        assert response.headers["WWW-Authenticate"] == (
            "Bearer authorization_uri=https://login.microsoftonline.com/"
            f"{sandbox.tenant_id}/oauth2/authorize, resource_id={sandbox.environment_url}"
        )
    sandbox.revoke_token(TOKEN)
    assert _get(sandbox, "WhoAmI").status_code == 401


def test_403_for_outsiders_and_for_a_missing_read_privilege(sandbox: DataverseSandbox) -> None:
    sandbox.add_token("outsider", member=False)
    error = _error(_get(sandbox, "WhoAmI", token="outsider"), 403)
    assert error == {"code": "0x80072560", "message": "The user is not a member of the "
                     "organization."}  # fmt: skip
    sandbox.add_token("narrow", privileges={"msdyn_project"})
    assert _get(sandbox, "msdyn_projects", token="narrow").status_code == 200
    assert _get(sandbox, "EntityDefinitions", token="narrow").status_code == 200
    error = _error(_get(sandbox, "msdyn_projecttasks", token="narrow"), 403)
    assert error["code"] == "0x80040220"
    assert "is missing prvReadmsdyn_projecttask privilege" in error["message"]
    assert "OTC=10130 for entity 'msdyn_projecttask'" in error["message"]
    # $expand into a table it may not read.
    error = _error(_get(sandbox, "msdyn_projects", {"$expand": "msdyn_projectmanager"},
                        token="narrow"), 403)  # fmt: skip
    assert "prvReadsystemuser" in error["message"] and "entity 'systemuser'" in error["message"]
    sandbox.grant("systemuser", "narrow")
    assert _get(sandbox, "msdyn_projects", {"$expand": "msdyn_projectmanager"},
                token="narrow").status_code == 200  # fmt: skip
    sandbox.revoke("msdyn_projecttask")  # every token, the default one included
    error = _error(_get(sandbox, "msdyn_projecttasks"), 403)
    assert "prvReadmsdyn_projecttask" in error["message"]
    assert _get(sandbox, "msdyn_projects").status_code == 200


# -- service protection ----------------------------------------------------------------------


def test_the_request_budget_is_per_user_with_retry_after(env: Environment) -> None:
    with DataverseSandbox(env, limits=ServiceLimits(requests=3)) as sandbox:
        sandbox.add_token("second")
        remaining = []
        for _ in range(3):
            response = _get(sandbox, "WhoAmI")
            assert response.status_code == 200
            remaining.append(response.headers["x-ms-ratelimit-burst-remaining-xrm-requests"])
        assert remaining == ["2", "1", "0"]
        response = _get(sandbox, "WhoAmI")
        error = _error(response, 429)
        assert error == {"code": "0x80072322", "message": "Number of requests exceeded the limit "
                         "of 3 over time window of 300 seconds."}  # fmt: skip
        # The oldest request leaves the 300 s window ~300 s from now.
        assert 290 <= int(response.headers["Retry-After"]) <= 300
        assert _get(sandbox, "WhoAmI", token="second").status_code == 200
        assert sandbox.stats()["throttled"] == 1


def test_the_execution_time_budget_charges_rows_not_wall_time(env: Environment) -> None:
    limits = ServiceLimits(execution_ms=1000, base_cost_ms=100, cost_ms_per_row=10)
    with DataverseSandbox(env, limits=limits) as sandbox:
        # 12 task rows: 100 + 12 * 10 = 220 ms a read. After 4 reads 880 < 1000 (admitted),
        # after 5 reads 1100 >= 1000: the sixth is refused.
        for _ in range(5):
            assert _get(sandbox, "msdyn_projecttasks").status_code == 200
        response = _get(sandbox, "msdyn_projecttasks")
        error = _error(response, 429)
        assert error["code"] == "0x80072321"
        assert error["message"].startswith("Combined execution time of incoming requests "
                                           "exceeded limit of 1,000 milliseconds over time "
                                           "window of 300 seconds.")  # fmt: skip
        assert 290 <= int(response.headers["Retry-After"]) <= 300


def test_the_concurrency_limit(env: Environment) -> None:
    limits = ServiceLimits(concurrent=2)
    with DataverseSandbox(env, limits=limits, latency_s=1.5) as sandbox:
        statuses: list[tuple[int, str | None]] = []
        start = threading.Barrier(4)

        def call() -> None:
            start.wait()
            response = _get(sandbox, "WhoAmI")
            code = response.json()["error"]["code"] if response.status_code == 429 else None
            statuses.append((response.status_code, code))

        threads = [threading.Thread(target=call) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Two in flight for 1.5 s; the other two arrive meanwhile and are refused.
        assert sorted(statuses, key=str) == sorted(
            [(200, None), (200, None), (429, "0x80072326"), (429, "0x80072326")], key=str)


def test_forced_throttles_failures_and_drops(sandbox: DataverseSandbox) -> None:
    sandbox.throttle_next(2, retry_after_s=7, path_contains="msdyn_projects")
    assert _get(sandbox, "WhoAmI").status_code == 200  # not matching the path
    for _ in range(2):
        response = _get(sandbox, "msdyn_projects")
        assert response.status_code == 429 and response.headers["Retry-After"] == "7"
        assert response.json()["error"]["code"] == "0x80072322"
    assert _get(sandbox, "msdyn_projects").status_code == 200
    sandbox.throttle_next(1, missing_retry_after=True)
    response = _get(sandbox, "msdyn_projects")
    assert response.status_code == 429 and "Retry-After" not in response.headers
    sandbox.fail_next(1, 503)
    assert _get(sandbox, "msdyn_projects").status_code == 503
    sandbox.drop_next(1)
    with pytest.raises(httpx.TransportError):
        _get(sandbox, "msdyn_projects")
    assert _get(sandbox, "msdyn_projects").status_code == 200
    stats = sandbox.stats()
    assert stats["throttled"] == 3 and stats["by_status"]["dropped"] == 1
    sandbox.reset_stats()
    assert sandbox.stats()["total"] == 0 and sandbox.stats()["by_entity_set"] == {}


# -- serve() and defaults --------------------------------------------------------------------


def test_page_default_applies_without_a_prefer_header(env: Environment) -> None:
    with DataverseSandbox(env, page_default=5) as sandbox:
        response = _get(sandbox, "msdyn_projecttasks")
        assert "Preference-Applied" not in response.headers
        body = response.json()
        assert len(body["value"]) == 5 and "@odata.nextLink" in body
        capped = _get(sandbox, "msdyn_projecttasks", prefer="odata.maxpagesize=9000")
        # Dataverse's pages hold 5,000 rows at most; all 12 fit.
        assert capped.headers["Preference-Applied"] == "odata.maxpagesize=5000"
        assert len(capped.json()["value"]) == 12


def test_serve_generates_an_environment_and_signs_in_as_its_application_user() -> None:
    from pmosync.sandbox.dataverse import serve

    sandbox = serve("XS", 3, today=TODAY)
    try:
        who = _get(sandbox, "WhoAmI").json()
        assert who["UserId"] == sandbox.environment.application_user_id
        projects = _get(sandbox, "msdyn_projects", {"$select": "msdyn_subject"}).json()["value"]
        assert len(projects) == 3  # size XS: three projects
    finally:
        sandbox.stop()


def test_seeded_server_errors_repeat_with_the_seed(env: Environment) -> None:
    def statuses() -> list[int]:
        with DataverseSandbox(env, error_rate=0.5, fault_seed=3) as sandbox:
            return [_get(sandbox, "WhoAmI").status_code for _ in range(16)]

    first = statuses()
    assert set(first) == {200, 503}  # P(all 16 alike) = 2 * 0.5**16: never, for this seed
    assert statuses() == first
