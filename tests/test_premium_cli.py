"""The command line around Planner premium plans: ``pmosync check`` warns a configuration that
reads Planner through Graph alone that premium plans are invisible to it, and stops warning
once a planner_premium connector is configured.

Graph's Planner API lists basic plans only; a premium plan (formerly Project for the web) lives
in Dataverse. A planner connector therefore misses those plans without any error, which is
why the check says it, once per planner connector, as a warning (exit code 0).
"""

from __future__ import annotations

import json
from datetime import date

from cli import assert_one_clean_line, run_pmosync
from graph_env import planner_yaml

from pmosync.sandbox.dataverse import DataverseSandbox, EnvironmentSize, generate_environment
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.tenant import TenantSize, generate_tenant

WARNING = ": warning: premium plans (formerly Project for the web) are not in Graph's Planner API"
PREMIUM = (
    "  premium:\n"
    "    type: planner_premium\n"
    "    environment: https://contoso.crm4.dynamics.com\n"
    "    token: ${DATAVERSE_TOKEN}\n"
)
TODAY = date(2026, 12, 1)
OFFLINE_ENV = {"GRAPH_TOKEN": "t0k3n", "DATAVERSE_TOKEN": "t0k3n"}


def _write(tmp_path, connectors: str):
    path = tmp_path / "pmosync.yaml"
    path.write_text(f"store: sqlite:///pmosync.db\nconnectors:\n{connectors}", encoding="utf-8")
    return path


def _planner(name: str) -> str:
    return (
        f"  {name}:\n"
        "    type: planner\n"
        "    token: ${GRAPH_TOKEN}\n"
        "    groups: ['00000000-0000-0000-0000-000000000003']\n"
    )


def _warnings(output: str) -> list[str]:
    return [line for line in output.splitlines() if WARNING in line]


def test_check_warns_each_planner_connector_once_without_a_premium_connector(tmp_path):
    path = _write(tmp_path, _planner("plans-eu") + _planner("plans-us"))
    result = run_pmosync("check", "--offline", "-c", path, env=OFFLINE_ENV)
    assert result.returncode == 0, result.stderr
    assert _warnings(result.stdout) == [
        "  plans-eu: warning: premium plans (formerly Project for the web) are not in Graph's "
        "Planner API and this connector cannot see them; sync them with a planner_premium "
        "connector (docs/connect-microsoft.md)",
        "  plans-us: warning: premium plans (formerly Project for the web) are not in Graph's "
        "Planner API and this connector cannot see them; sync them with a planner_premium "
        "connector (docs/connect-microsoft.md)",
    ]
    assert result.stderr == ""  # a warning is not an error


def test_a_premium_connector_beside_it_ends_the_warning(tmp_path):
    path = _write(tmp_path, _planner("plans") + PREMIUM)
    result = run_pmosync("check", "--offline", "-c", path, env=OFFLINE_ENV)
    assert result.returncode == 0, result.stderr
    assert _warnings(result.stdout) == []
    assert "premium (planner_premium)" in result.stdout


def test_a_configuration_without_planner_is_not_warned(tmp_path):
    path = _write(tmp_path, PREMIUM)
    result = run_pmosync("check", "--offline", "-c", path, env=OFFLINE_ENV)
    assert result.returncode == 0, result.stderr
    assert _warnings(result.stdout) == []


def test_the_warning_follows_the_planner_probe_against_graph(tmp_path):
    """Online, the warning is one more line of the planner connector's results, after its
    permission probes, and the check still succeeds."""
    tenant = generate_tenant(
        seed=5, size=TenantSize(groups=1, plans=1, tasks=5, people=3, timesheet_weeks=1)
    )
    with GraphSandbox(tenant) as sandbox:
        path = _write(tmp_path, planner_yaml(sandbox, sorted(tenant.groups)))
        result = run_pmosync("check", "-c", path, env={"GRAPH_TOKEN": sandbox.token})
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("  planner-ops: ")]
    assert [line.split(": ")[1] for line in lines] == ["ok"] * (len(lines) - 1) + ["warning"]
    assert len(lines) > 1 and WARNING in lines[-1]


def test_init_writes_a_premium_section_that_signs_in_through_the_block(tmp_path):
    path = tmp_path / "pmosync.yaml"
    written = run_pmosync(
        "init", "--connector", "planner", "--connector", "planner_premium", "-o", path
    )
    assert written.returncode == 0, written.stderr
    assert "DATAVERSE_ENVIRONMENT" in written.stdout  # named among the variables to set
    env = {
        "AZURE_TENANT_ID": "00000000-0000-0000-0000-000000000001",
        "AZURE_CLIENT_ID": "00000000-0000-0000-0000-000000000002",
        "AZURE_CLIENT_SECRET": "s3cret",
        "PLANNER_GROUP_ID": "00000000-0000-0000-0000-000000000003",
        "DATAVERSE_ENVIRONMENT": "https://contoso.crm4.dynamics.com",
    }
    checked = run_pmosync("check", "--offline", "-c", path, env=env)
    assert checked.returncode == 0, checked.stderr
    assert "premium (planner_premium)" in checked.stdout
    assert _warnings(checked.stdout) == []
    alone = tmp_path / "alone.yaml"
    assert run_pmosync("init", "--connector", "planner_premium", "-o", alone).returncode == 0
    text = alone.read_text(encoding="utf-8")
    assert "microsoft:" in text and "PLANNER_GROUP_ID" not in text
    checked = run_pmosync("check", "--offline", "-c", alone, env=env)
    assert checked.returncode == 0, checked.stderr


def test_premium_plans_are_not_expected_to_post_status_updates(tmp_path):
    """Premium plans have no status updates: the RAG rule for a stale update must not wait
    for one from them (a report job asks every configured connector)."""
    from pmosync.config import load_config
    from pmosync.reports.job import status_sources

    path = _write(tmp_path, _planner("plans") + PREMIUM)
    config = load_config(path, environ=OFFLINE_ENV)
    assert "premium" not in status_sources(config)


def test_discover_lists_the_premium_plans_the_application_user_reads(tmp_path):
    """Ground truth: the sandbox environment's own msdyn_project rows; the ids are what the
    connector's ``projects:`` key takes. A token the environment refuses is one line."""
    environment = generate_environment(7, EnvironmentSize(projects=3, tasks=12, people=4), TODAY)
    expected = {
        row["msdyn_projectid"]: row["msdyn_subject"]
        for row in environment.table_rows("msdyn_project")
    }
    with DataverseSandbox(environment) as sandbox:
        path = _write(
            tmp_path,
            "  premium:\n"
            "    type: planner_premium\n"
            f"    environment: {sandbox.environment_url}\n"
            "    token: ${DATAVERSE_TOKEN}\n",
        )
        env = {"DATAVERSE_TOKEN": sandbox.token}
        result = run_pmosync("discover", "premium", "-c", path, "--format", "json", env=env)
        refused = run_pmosync("discover", "premium", "-c", path, env={"DATAVERSE_TOKEN": "x"})
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)["found"]
    assert {item["id"]: item["name"] for item in found} == expected
    assert {(item["kind"], item["key"]) for item in found} == {("premium plan", "projects")}
    line = assert_one_clean_line(refused, 1)
    assert line.startswith("premium: Dataverse refused the credentials"), line
