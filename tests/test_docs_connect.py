"""The permission and scope tables of docs/connect-asana.md and docs/connect-microsoft.md against
what they describe: the scopes Asana's OpenAPI description gives each request, the permissions
pmosync's Graph client names, and the requests a real check and sync make against the sandboxes.

A PSO tool expert grants exactly what these tables say, so a table that misses a request pmosync
makes, or names the wrong scope or permission for one, turns into a 403 at the first sync. Prose
is not tested; the tables are.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from asana_spec import asana_spec_path

from pmosync.config import load_config
from pmosync.connectors.asana import fields
from pmosync.connectors.microsoft import permissions
from pmosync.connectors.microsoft.permissions import permission_for
from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.org import generate_org
from pmosync.sandbox.tenant import generate_tenant
from pmosync.sandbox.tenant.pmo_lists import add_pmo_lists
from pmosync.store import Store
from pmosync.sync.run import run_sync
from pmosync.sync.sources import probe_source

DOCS = Path(__file__).resolve().parents[1] / "docs"
ASANA_PAGE = DOCS / "connect-asana.md"
MICROSOFT_PAGE = DOCS / "connect-microsoft.md"
ASANA_TABLE = "request"
"""First header cell of the Asana page's request/scope table."""
GRAPH_TABLE = "permission"
"""First header cell of the Microsoft page's permission table."""
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def table(page: Path, first_header: str) -> list[list[str]]:
    """The body rows (cells stripped) of the Markdown table whose header starts with
    ``first_header``; fails if the page has no such table."""
    lines = page.read_text(encoding="utf-8").splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |")]
    assert len(starts) == 1, f"{page.name}: expected one table headed '{first_header}'"
    rows = []
    for line in lines[starts[0] + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    assert rows, f"{page.name}: the '{first_header}' table is empty"
    return rows


def quoted(cell: str) -> list[str]:
    """Every `code` span of a cell."""
    return re.findall(r"`([^`]+)`", cell)


def shape(request: str) -> str:
    """``GET /projects/{project_gid}/sections`` -> ``GET /projects/{}/sections``: placeholder
    names differ between the docs, the spec and the sandboxes; their places do not."""
    return re.sub(r"\{[^}]*\}", "{}", request)


# -- Asana -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spec() -> dict:
    with asana_spec_path().open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_LOADER)


def spec_scopes(spec: dict) -> dict[str, set[str]]:
    """Request shape -> the OAuth scopes its ``security`` entry names (empty: none named)."""
    found: dict[str, set[str]] = {}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            security = operation.get("security") or []
            named = [entry["oauth2"] for entry in security if "oauth2" in entry]
            found[shape(f"{method.upper()} {path}")] = set(named[0]) if named else set()
    return found


def test_every_scope_the_asana_page_names_is_one_asana_defines(spec):
    defined = spec["components"]["securitySchemes"]["oauth2"]["flows"]["authorizationCode"]
    # The description asks for some scopes on fields that its list of scopes leaves out
    # (``project_sections:read`` for a task's memberships); those are Asana's own names too.
    for_fields = {
        scope
        for path, item in spec["paths"].items()
        for method in item
        if isinstance(item[method], dict) and "operationId" in item[method]
        for scopes in spec_field_scopes(spec, f"{method.upper()} {shape(path)}").values()
        for scope in scopes
    }
    known = set(defined["scopes"]) | for_fields
    text = ASANA_PAGE.read_text(encoding="utf-8")
    named = set(re.findall(r"`([a-z_]+:(?:read|write|delete))`", text))
    assert named, "the page names no scope"
    assert named <= known, named - known


def test_each_request_in_the_asana_table_has_the_scope_the_spec_gives_it(spec):
    scopes = spec_scopes(spec)
    for request_cell, scope_cell, *_ in table(ASANA_PAGE, ASANA_TABLE):
        (request,) = quoted(request_cell)
        assert shape(request) in scopes, f"{request} is not in Asana's API description"
        assert set(quoted(scope_cell)) == scopes[shape(request)], request


WRITEBACK_TABLE = "write-back request"
"""First header cell of the Asana page's table of the requests write-back makes."""


def test_each_write_back_request_has_the_scope_the_spec_gives_it(spec):
    scopes = spec_scopes(spec)
    rows = table(ASANA_PAGE, WRITEBACK_TABLE)
    documented = set()
    for request_cell, scope_cell, *_ in rows:
        (request,) = quoted(request_cell)
        documented.add(request.split(" ", 1)[0])
        assert shape(request) in scopes, f"{request} is not in Asana's API description"
        assert set(quoted(scope_cell)) == scopes[shape(request)], request
    assert {"POST", "PUT"} <= documented


FIELD_TABLE = "field"
"""First header cell of the Asana page's field-level scope table."""
FIELD_SOURCES = {
    "project": ("GET /projects/{}", fields.PROJECT),
    "task": ("GET /tasks/{}", fields.TASK),
}
"""Record kind -> the request whose description lists its field scopes, and the fields pmosync
asks for."""
_FIELD_SCOPE = re.compile(r"<td><code>(\w+)</code></td>\s*<td>(.*?)</td>", re.S)


def spec_field_scopes(spec: dict, request: str) -> dict[str, set[str]]:
    """Field -> the scopes the description of ``request`` asks for it besides its own."""
    method, path = request.split(" ", 1)
    for spec_path, item in spec["paths"].items():
        if shape(spec_path) == path:
            text = item[method.lower()].get("description") or ""
            return {
                f: set(re.findall(r"<code>([^<]+)</code>", s))
                for f, s in _FIELD_SCOPE.findall(text)
            }
    raise AssertionError(f"{request} is not in Asana's API description")


def test_the_field_scope_table_names_each_field_pmosync_reads_that_needs_its_own_scope(spec):
    needed = {}
    for kind, (request, asked) in FIELD_SOURCES.items():
        scoped = spec_field_scopes(spec, request)
        roots = {name.split(".")[0] for name in asked.split(",")}
        needed |= {(kind, root): scoped[root] for root in roots if root in scoped}
    assert ("task", "memberships") in needed  # the spec still asks for a scope of its own
    documented = {}
    for field_cell, scope_cell, *_ in table(ASANA_PAGE, FIELD_TABLE):
        (name,) = quoted(field_cell)
        kind = field_cell.rsplit(" of a ", 1)[1]
        documented[(kind, name)] = set(quoted(scope_cell))
    assert documented == needed


def _asana_config(folder: Path, sandbox: AsanaSandbox, scope: str):
    folder.mkdir()
    path = folder / "pmosync.yaml"
    path.write_text(
        "store: sqlite:///pmosync.db\n"
        "connectors:\n"
        "  asana:\n"
        "    type: asana\n"
        "    token: ${ASANA_TOKEN}\n"
        f'    workspace: "{sandbox.org.workspace.gid}"\n'
        f"    base_url: {sandbox.base_url}\n" + scope,
        encoding="utf-8",
    )
    return load_config(path, environ={"ASANA_TOKEN": sandbox.token})


def test_the_asana_table_lists_exactly_the_requests_check_and_sync_make(tmp_path):
    org = generate_org(seed=3, size="XS")
    parent = next(iter(org.tasks.values()))
    org.create_task(parent.project_gid, "Subtask of the first task", parent_gid=parent.gid)
    team, project = next(iter(org.teams)), next(iter(org.projects))
    scopes = {  # every way the connector can be scoped reaches a different listing
        "workspace": "",
        "teams": f'    teams: ["{team}"]\n',
        "projects": f'    projects: ["{project}"]\n',
    }
    with AsanaSandbox(org) as sandbox:
        for name, scope in scopes.items():
            config = _asana_config(tmp_path / name, sandbox, scope)
            assert all(r.level == "ok" for r in probe_source("asana", config.connectors["asana"]))
            with Store.open(config.store, base_dir=tmp_path / name) as store:
                assert not any(r.failed for r in run_sync(config, store).connectors)
        made = {shape(endpoint) for endpoint in sandbox.stats()["by_endpoint"]}
    documented = {shape(quoted(row[0])[0]) for row in table(ASANA_PAGE, ASANA_TABLE)}
    assert made - documented == set(), "requests pmosync makes that the table leaves out"
    assert documented - made == set(), "requests in the table that pmosync never makes"


# -- Microsoft Graph -------------------------------------------------------------------------


def graph_rows() -> dict[str, list[str]]:
    """Permission -> the requests its row lists."""
    rows = {}
    for permission_cell, *_, requests_cell in table(MICROSOFT_PAGE, GRAPH_TABLE):
        (permission,) = quoted(permission_cell)
        requests = [item for item in quoted(requests_cell) if " /" in item]
        assert requests, f"the {permission} row lists no request"
        rows[permission] = requests
    return rows


def test_the_graph_table_has_a_row_for_each_permission_pmosync_names_and_no_other():
    named = {permission for _, permission in permissions._NEEDS}
    named.add(permissions.WRITE_PERMISSION)
    named.add(permissions.PLANNER_WRITE_PERMISSION)
    assert set(graph_rows()) == named


def test_each_request_in_the_graph_table_needs_the_permission_of_its_row():
    for permission, requests in graph_rows().items():
        for request in requests:
            method, path = request.split(" ", 1)
            assert permission_for(method, path) == permission, request


def test_every_graph_request_of_a_check_and_a_sync_is_in_the_table(tmp_path):
    tenant = generate_tenant(seed=3, size="XS")
    add_pmo_lists(tenant)  # a status list and a leave list on the PMO site
    workbooks = (
        "    kind: time\n"
        "    sheet: Entries\n"
        "    columns: {person: Email, date: Date, hours: Hours, project: Project}\n"
    )
    with GraphSandbox(tenant) as sandbox:
        signed_in = f"    token: ${{GRAPH_TOKEN}}\n    base_url: {sandbox.base_url}\n"
        groups = ", ".join(f'"{group}"' for group in sorted(tenant.groups))
        path = tmp_path / "pmosync.yaml"
        path.write_text(
            "store: sqlite:///pmosync.db\n"
            "connectors:\n"
            "  planner:\n    type: planner\n" + signed_in
            + f"    groups: [{groups}]\n    task_details: true\n"
            "  channel-files:\n    type: sharepoint_files\n" + signed_in
            + "    team: Operations\n    channel: Timesheets\n" + workbooks
            + "  site-files:\n    type: sharepoint_files\n" + signed_in
            + "    site: contoso.sharepoint.com:/sites/operations\n    folder: Timesheets\n"
            + workbooks
            + "  status-planner:\n    type: planner\n" + signed_in + f"    groups: [{groups}]\n"
            "    rag_source: {list: {site: 'contoso.sharepoint.com:/sites/pmo',"
            " list: Project health}}\n"
            "  leave-list:\n    type: sharepoint_files\n" + signed_in
            + "    site: contoso.sharepoint.com:/sites/pmo\n    list: Leave\n    kind: leave\n"
            "    columns: {person: Employee, start: Start, end: End}\n",
            encoding="utf-8",
        )  # fmt: skip
        config = load_config(path, environ={"GRAPH_TOKEN": sandbox.token})
        for name, connector in config.connectors.items():
            assert all(r.level == "ok" for r in probe_source(name, connector)), name
        with Store.open(config.store, base_dir=tmp_path) as store:
            assert not any(r.failed for r in run_sync(config, store).connectors)
        made = set(sandbox.stats()["by_endpoint"])
    # $batch is authorised per item (the items are in the table); /_download/ and /_upload/
    # are the sandbox's pre-authenticated file URLs, which carry no token.
    made = {shape(e) for e in made if e != "POST /$batch" and not e.split(" ")[1].startswith("/_")}
    documented = {shape(request) for requests in graph_rows().values() for request in requests}
    assert made - documented == set(), "Graph requests pmosync makes that the table leaves out"
