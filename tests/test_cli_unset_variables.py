"""Commands that use no connector start without the connectors' secrets; the ones that do
use a connector name the missing variable in one line before anything is fetched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli import assert_one_clean_line, run_pmosync

from pmosync.config import ConfigError, load_config
from pmosync.config.unset import MissingVariable, unset_problems

TOKEN = "PMOSYNC_TEST_UNSET_ASANA_TOKEN"
SECRET = "PMOSYNC_TEST_UNSET_CLIENT_SECRET"
TENANT = "PMOSYNC_TEST_UNSET_TENANT"
HOOK = "PMOSYNC_TEST_UNSET_WEBHOOK"
UNSET = (TOKEN, SECRET, TENANT, HOOK)


def _write_config(folder: Path, *, microsoft: bool = False) -> Path:
    """An Asana connector whose token is unset, a files connector that needs nothing, and
    (``microsoft``) a Planner connector and a Teams delivery whose variables are unset too."""
    (folder / "Timesheets").mkdir(exist_ok=True)
    (folder / "Timesheets" / "W45.csv").write_text(
        "Email,Date,Hours,Project\r\nann@contoso.example,2026-11-02,7.5,Website\r\n",
        encoding="utf-8",
    )
    text = (
        "store: sqlite:///pmosync.db\n"
        "connectors:\n"
        "  asana:\n"
        "    type: asana\n"
        f"    token: ${{{TOKEN}}}\n"
        "    workspace: '12345'\n"
        "  timesheets:\n"
        "    type: files\n"
        "    path: Timesheets\n"
        "    columns: {person: Email, date: Date, hours: Hours, project: Project}\n"
    )
    if microsoft:
        text += (
            "  planner:\n"
            "    type: planner\n"
            f"    tenant_id: ${{{TENANT}}}\n"
            "    client_id: 00000000-0000-0000-0000-000000000001\n"
            f"    client_secret: ${{{SECRET}}}\n"
            "    groups: [g1]\n"
            "reports:\n"
            "  weekly:\n"
            "    kind: portfolio_status\n"
            "    deliver:\n"
            f"      - teams: {{webhook_url: '${{{HOOK}}}'}}\n"
            "  board:\n"
            "    kind: portfolio_status\n"
            "    deliver:\n"
            "      - sharepoint: {site: contoso.sharepoint.com:/sites/pmo, folder: Reports}\n"
        )
    path = folder / "pmosync.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def unset_env(monkeypatch):
    """The variables the configs name are unset in this process and its children."""
    for name in UNSET:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    "command",
    [
        ("status",),
        ("runs",),
        ("export", "task"),
        ("quarantine", "list"),
        ("report", "list"),
        ("people",),
    ],
)
def test_commands_that_use_no_connector_start_without_its_secrets(tmp_path, unset_env, command):
    config = _write_config(tmp_path, microsoft=True)
    assert run_pmosync("db", "upgrade", "-c", config).returncode == 0
    result = run_pmosync(*command, "-c", config)
    assert result.returncode == 0, result.stderr
    assert "is not set" not in result.stderr + result.stdout


def test_sync_names_the_missing_variable_in_one_line(tmp_path, unset_env):
    config = _write_config(tmp_path)
    line = assert_one_clean_line(run_pmosync("sync", "-c", config), 2)
    assert line == (
        f"{config}:5:12: connectors.asana.token: environment variable {TOKEN} is not set"
    )
    assert not (tmp_path / "pmosync.db").exists()  # stopped before anything was opened


def test_sync_of_connectors_that_need_no_unset_variable_runs(tmp_path, unset_env):
    config = _write_config(tmp_path)
    result = run_pmosync("sync", "timesheets", "-c", config)
    assert result.returncode == 0, result.stderr
    status = run_pmosync("status", "-c", config, "--format", "json")
    assert {row["connector"] for row in json.loads(status.stdout)} == {"timesheets"}


def test_check_still_reports_every_unset_variable(tmp_path, unset_env):
    config = _write_config(tmp_path, microsoft=True)
    result = run_pmosync("check", "--offline", "-c", config)
    assert result.returncode == 2
    for name in UNSET:
        assert f"environment variable {name} is not set" in result.stderr


def test_a_report_whose_delivery_needs_an_unset_variable_says_so(tmp_path, unset_env):
    config = _write_config(tmp_path, microsoft=True)
    assert run_pmosync("db", "upgrade", "-c", config).returncode == 0
    teams = assert_one_clean_line(run_pmosync("report", "weekly", "-c", config), 2)
    assert teams.endswith(
        f"reports.weekly.deliver[0].teams.webhook_url: environment variable {HOOK} is not set"
    )
    # The SharePoint delivery signs in through the planner connector: its two unset values.
    board = run_pmosync("report", "board", "-c", config)
    assert board.returncode == 2
    lines = board.stderr.strip().splitlines()
    assert [line.split(": ", 1)[1] for line in lines] == [
        f"connectors.planner.tenant_id: environment variable {TENANT} is not set",
        f"connectors.planner.client_secret: environment variable {SECRET} is not set",
    ]


def test_a_deferred_secret_cannot_be_read(tmp_path, unset_env):
    config = load_config(_write_config(tmp_path, microsoft=True), defer_unset=True)
    with pytest.raises(MissingVariable) as raised:
        config.connectors["asana"].token.get_secret_value()
    assert str(raised.value).endswith(f"environment variable {TOKEN} is not set")
    assert str(config.connectors["asana"].token) == "**********"
    assert unset_problems(config, connectors=["timesheets"]) == []
    assert len(unset_problems(config, connectors=["asana", "planner"])) == 3
    # Loaded as check loads it, the same file is refused.
    with pytest.raises(ConfigError):
        load_config(tmp_path / "pmosync.yaml")


def test_an_unset_store_variable_is_still_an_error(tmp_path, unset_env):
    config = tmp_path / "pmosync.yaml"
    config.write_text(f"store: ${{{TOKEN}}}\n", encoding="utf-8")
    line = assert_one_clean_line(run_pmosync("status", "-c", config), 2)
    assert line == f"{config}:1:8: store: environment variable {TOKEN} is not set"
