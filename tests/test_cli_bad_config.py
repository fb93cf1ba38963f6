"""Every broken configuration, through the real ``pmosync check``: exit 2, one line that says
where the problem is, no traceback, no secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli import assert_one_clean_line, run_pmosync
from config_cases import BAD_CONFIGS, write_case


@pytest.mark.parametrize("case", BAD_CONFIGS, ids=lambda case: case.id)
def test_check_rejects_a_broken_config_in_one_line(case, tmp_path):
    path = write_case(case, tmp_path)
    result = run_pmosync("check", "-c", path, cwd=tmp_path, env=case.env)
    line = assert_one_clean_line(result, 2)
    assert case.expected in line
    assert line.startswith(str(path))
    assert "s3cr3t-token-value" not in result.stdout + result.stderr


def test_check_rejects_a_store_url_that_is_not_one(tmp_path):
    config = tmp_path / "pmosync.yaml"
    config.write_text("store: 'postgresql//pmo:s3cr3t-token-value@db/pmo'\n", encoding="utf-8")
    result = run_pmosync("check", "-c", config, cwd=tmp_path)
    line = assert_one_clean_line(result, 2)
    assert "store" in line and "s3cr3t-token-value" not in line


def test_check_accepts_the_example_and_says_what_it_configures(tmp_path):
    example = Path(__file__).resolve().parent.parent / "examples" / "pmosync.yaml"
    env = {
        name: "s3cr3t-token-value"
        for name in ("ASANA_TOKEN", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")
    }
    env["SMTP_PASSWORD"] = "s3cr3t-token-value"
    env["TEAMS_WEBHOOK_URL"] = (
        "https://prod.westeurope.logic.azure.com/workflows/1?sig=s3cr3t-token-value"
    )
    result = run_pmosync("check", "--offline", "-c", example, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout and "asana" in result.stdout
    assert "s3cr3t-token-value" not in result.stdout + result.stderr
