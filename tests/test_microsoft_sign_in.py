"""A Microsoft sign-in service that cannot be reached is one line, not azure-identity's traceback.

azure-identity reads its authority from ``AZURE_AUTHORITY_HOST``; pointing it at a closed port on
loopback is a sign-in service that is down, with no network needed.
"""

from __future__ import annotations

import socket

from cli import run_pmosync


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _planner_config(tmp_path, credential: str):
    """A planner connector signing in with ``credential`` (one YAML line)."""
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        "connectors:\n"
        "  planner-ops:\n"
        "    type: planner\n"
        "    tenant_id: 00000000-0000-0000-0000-000000000001\n"
        "    client_id: 00000000-0000-0000-0000-000000000002\n"
        f"    {credential}\n"
        "    groups: ['00000000-0000-0000-0000-000000000003']\n",
        encoding="utf-8",
    )
    return path


def test_an_unreachable_sign_in_service_is_named_in_one_line(tmp_path):
    path = _planner_config(tmp_path, "client_secret: ${SECRET}")
    env = {"SECRET": "s3cret-value", "AZURE_AUTHORITY_HOST": f"https://127.0.0.1:{_closed_port()}"}
    result = run_pmosync("check", "-c", path, env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    problems = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(problems) == 1, result.stderr
    assert "planner-ops" in problems[0] and "cannot reach Microsoft Entra ID" in problems[0]
    assert "s3cret-value" not in result.stdout + result.stderr


def test_a_missing_or_broken_certificate_is_one_line_in_check_and_sync(tmp_path):
    """azure-identity reads the certificate when the credential is made, before any request;
    a wrong path or a file that is not a certificate is the connector's error, not a crash."""
    broken = tmp_path / "not-a-cert.pem"
    broken.write_text("-----BEGIN CERTIFICATE-----\nnonsense\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # a relative path is read from the config file's folder, wherever pmosync is started
    cases = {"missing.pem": "cannot read it", broken.name: "not a PEM or PKCS12"}
    for certificate, said in cases.items():
        path = _planner_config(tmp_path, f"certificate_path: {certificate}")
        checked = run_pmosync("check", "-c", path, cwd=elsewhere)
        assert checked.returncode == 1 and "Traceback" not in checked.stdout + checked.stderr
        [problem] = [line for line in checked.stderr.splitlines() if line.strip()]
        assert problem.startswith("  planner-ops: error: certificate_path") and said in problem
        synced = run_pmosync("sync", "-c", path, "--log-format", "json", cwd=elsewhere)
        assert synced.returncode == 1 and "Traceback" not in synced.stdout + synced.stderr
        assert said in synced.stdout + synced.stderr
