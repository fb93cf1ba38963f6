"""The operator's first hour: ``pmosync init`` writes a file ``check`` accepts once its
variables are set, and ``pmosync discover`` lists exactly the ids the sandboxes hold.

Ground truth for discover is read off the sandboxes' own organisation and tenant, never from
pmosync's code; the commands run as a user runs them, in a subprocess, through the real SDKs
over loopback HTTP.
"""

from __future__ import annotations

import json

import pytest
from cli import assert_one_clean_line, run_pmosync

from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.org import generate_org
from pmosync.sandbox.tenant import TenantSize, generate_tenant

ALL = ("asana", "planner", "sharepoint_files", "files")
VARIABLES = {
    "ASANA_TOKEN": "t0k3n",
    "ASANA_WORKSPACE": "1200000000000001",
    "AZURE_TENANT_ID": "00000000-0000-0000-0000-000000000001",
    "AZURE_CLIENT_ID": "00000000-0000-0000-0000-000000000002",
    "AZURE_CLIENT_SECRET": "s3cret",
    "PLANNER_GROUP_ID": "00000000-0000-0000-0000-000000000003",
    "SHAREPOINT_SITE": "contoso.sharepoint.com:/sites/ops",
}
UNSET = {name: "" for name in VARIABLES}


@pytest.fixture
def no_variables(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def _init(tmp_path, *types: str):
    args = [arg for t in types for arg in ("--connector", t)]
    return run_pmosync("init", *args, "-o", tmp_path / "pmosync.yaml")


def test_init_writes_a_file_check_accepts_once_its_variables_are_set(tmp_path, no_variables):
    written = _init(tmp_path, *ALL)
    assert written.returncode == 0, written.stderr
    path = tmp_path / "pmosync.yaml"
    for name in VARIABLES:
        assert name in written.stdout  # the command says which variables to set
    unset = run_pmosync("check", "--offline", "-c", path)
    assert unset.returncode == 2
    missing = {line.rsplit("environment variable ", 1)[1] for line in unset.stderr.splitlines()}
    assert missing == {f"{name} is not set" for name in VARIABLES}
    checked = run_pmosync("check", "--offline", "-c", path, env=VARIABLES)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.splitlines()[2] == (
        "  connectors: asana (asana), planner (planner), timesheets (sharepoint_files), "
        "workbooks (files)"
    )
    text = path.read_text(encoding="utf-8")
    assert text.count("# ") > 20  # commented
    assert "s3cret" not in text


@pytest.mark.parametrize("types", [("asana",), ("planner",), ("files",), ()])
def test_init_of_fewer_connectors_writes_only_what_they_need(tmp_path, no_variables, types):
    assert _init(tmp_path, *types).returncode == 0
    text = (tmp_path / "pmosync.yaml").read_text(encoding="utf-8")
    assert ("microsoft:" in text) == ("planner" in types)
    assert ("ASANA_TOKEN" in text) == ("asana" in types)
    checked = run_pmosync("check", "--offline", "-c", tmp_path / "pmosync.yaml", env=VARIABLES)
    assert checked.returncode == 0, checked.stderr


def test_init_never_overwrites_a_file(tmp_path):
    path = tmp_path / "pmosync.yaml"
    path.write_text("store: sqlite:///mine.db\n", encoding="utf-8")
    line = assert_one_clean_line(_init(tmp_path, "asana"), 2)
    assert line.startswith(f"{path}: already exists")
    assert path.read_text(encoding="utf-8") == "store: sqlite:///mine.db\n"


def test_init_of_an_unknown_type_is_one_line(tmp_path):
    line = assert_one_clean_line(_init(tmp_path, "jira"), 2)
    assert line == (
        "--connector: unknown connector type 'jira' (known: asana, files, planner, "
        "planner_premium, sharepoint_files)"
    )
    assert not (tmp_path / "pmosync.yaml").exists()


# -- discover: Asana ------------------------------------------------------------------------


def _asana_config(tmp_path, sandbox):
    """``init``'s Asana section, pointed at the sandbox; the workspace variable stays unset."""
    assert _init(tmp_path, "asana").returncode == 0
    path = tmp_path / "pmosync.yaml"
    text = path.read_text(encoding="utf-8")
    pointed = f"    token: ${{ASANA_TOKEN}}\n    base_url: {sandbox.base_url}\n"
    text = text.replace("    token: ${ASANA_TOKEN}\n", pointed)
    path.write_text(text, encoding="utf-8")
    return path


def _discovered(result) -> dict[str, set[str]]:
    assert result.returncode == 0, result.stderr
    found: dict[str, set[str]] = {}
    for item in json.loads(result.stdout)["found"]:
        found.setdefault(item["kind"], set()).add(item["id"])
    return found


def test_discover_lists_the_asana_ids_the_token_sees(tmp_path, no_variables):
    org = generate_org(seed=5, size="XS")
    with AsanaSandbox(org) as sandbox:
        path = _asana_config(tmp_path, sandbox)
        env = {"ASANA_TOKEN": sandbox.token}
        result = run_pmosync("discover", "asana", "-c", path, "--format", "json", env=env)
        table = run_pmosync("discover", "asana", "-c", path, env=env)
    found = _discovered(result)
    assert found == {
        "workspace": {org.workspace.gid},
        "team": set(org.teams),
        "portfolio": set(org.portfolios),
        "project": set(org.projects),
    }
    assert json.loads(result.stdout)["unreadable"] == []
    assert org.workspace.gid in table.stdout and org.workspace.name in table.stdout


def test_discover_on_a_free_asana_plan_names_what_it_cannot_list(tmp_path, no_variables):
    org = generate_org(seed=5, size="XS")
    org.workspace.is_premium = False
    with AsanaSandbox(org) as sandbox:
        path = _asana_config(tmp_path, sandbox)
        env = {"ASANA_TOKEN": sandbox.token}
        result = run_pmosync("discover", "asana", "-c", path, "--format", "json", env=env)
    found = _discovered(result)
    assert "portfolio" not in found and found["project"] == set(org.projects)
    assert json.loads(result.stdout)["unreadable"] == [
        f"portfolios of workspace {org.workspace.gid}: not on this Asana plan"
    ]


def test_discover_without_the_token_names_the_variable(tmp_path, no_variables):
    with AsanaSandbox(generate_org(seed=5, size="XS")) as sandbox:
        path = _asana_config(tmp_path, sandbox)
        line = assert_one_clean_line(run_pmosync("discover", "asana", "-c", path), 2)
    assert line.endswith("connectors.asana.token: environment variable ASANA_TOKEN is not set")


def test_discover_with_a_refused_token_is_one_line(tmp_path, no_variables):
    with AsanaSandbox(generate_org(seed=5, size="XS")) as sandbox:
        path = _asana_config(tmp_path, sandbox)
        result = run_pmosync("discover", "asana", "-c", path, env={"ASANA_TOKEN": "wrong"})
    line = assert_one_clean_line(result, 1)
    assert line.startswith("asana: ") and "wrong" not in line


# -- discover: Microsoft 365 ----------------------------------------------------------------


def test_discover_lists_the_microsoft_ids_the_app_sees(tmp_path, no_variables):
    size = TenantSize(groups=3, plans=4, tasks=20, people=6, timesheet_weeks=1)
    tenant = generate_tenant(seed=3, size=size)
    with GraphSandbox(tenant) as sandbox:
        assert _init(tmp_path, "planner").returncode == 0
        path = tmp_path / "pmosync.yaml"
        text = path.read_text(encoding="utf-8")
        start, end = text.index("microsoft:\n"), text.index("\nconnectors:")
        block = f"microsoft:\n  token: ${{GRAPH_TOKEN}}\n  base_url: {sandbox.base_url}\n"
        path.write_text(text[:start] + block + text[end:], encoding="utf-8")
        env = {"GRAPH_TOKEN": sandbox.token}
        result = run_pmosync("discover", "planner", "-c", path, "--format", "json", env=env)
    unified = {g.id for g in tenant.groups.values() if g.kind == "unified"}
    teams = {g.id for g in tenant.groups.values() if g.kind == "unified" and g.is_team}
    assert _discovered(result) == {
        "group": unified,
        "plan": {p.id for p in tenant.plans.values() if p.group_id in unified},
        "team": teams,
        "channel": {c.id for t in teams for c in tenant.team_channels(t)},
        "site": {f"{s.hostname}:{s.path}" for s in tenant.sites.values()},
    }
    assert unified and teams
