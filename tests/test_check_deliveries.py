"""``pmosync check`` probes the delivery targets: the mail server's login (a real aiosmtpd on
loopback), writing in a SharePoint folder (the Graph sandbox, whose own drive says what was
left behind) and a Teams webhook's host (``responses``: the probe is built on requests)."""

from __future__ import annotations

import socket

import pytest
import requests
import responses
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cli import run_pmosync

from pmosync.config import load_config
from pmosync.reports.delivery.probe import probe_deliveries, static_folder
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.tenant import TenantSize, generate_tenant

USER, PASSWORD = "pmo", "correct horse battery"
WEBHOOK = "https://prod-42.westeurope.logic.azure.com/workflows/0a1b/triggers/manual/paths/invoke?sig=S3CR3TSIGNATURE"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler:
    def __init__(self) -> None:
        self.messages = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd hook
        self.messages += 1
        return "250 OK"


def _authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def mail_server():
    handler = _Handler()
    controller = Controller(
        handler, hostname="127.0.0.1", port=_free_port(), authenticator=_authenticator,
        auth_required=True, auth_require_tls=False,
    )  # fmt: skip
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def _email_config(tmp_path, port: int):
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        "smtp:\n"
        "  host: 127.0.0.1\n"
        f"  port: {port}\n"
        "  security: none\n"
        f"  username: {USER}\n"
        "  password: ${SMTP_PASSWORD}\n"
        "  from: pmo@contoso.example\n"
        "reports:\n"
        "  weekly:\n"
        "    kind: portfolio_status\n"
        "    deliver:\n"
        "      - email: {to: [board@contoso.example]}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_check_logs_in_to_the_mail_server_and_sends_nothing(tmp_path, mail_server):
    controller, handler = mail_server
    path = _email_config(tmp_path, controller.port)
    good = run_pmosync("check", "-c", path, env={"SMTP_PASSWORD": PASSWORD})
    assert good.returncode == 0, good.stderr
    assert (
        f"  smtp: ok: mail server 127.0.0.1:{controller.port} answers (no TLS, logged in as "
        f"'{USER}')" in good.stdout.splitlines()
    )
    bad = run_pmosync("check", "-c", path, env={"SMTP_PASSWORD": "wrong password"})
    assert bad.returncode == 1
    [line] = [line for line in bad.stderr.splitlines() if line.strip()]
    assert line.startswith(f"  smtp: error: mail server 127.0.0.1:{controller.port} refused")
    assert "wrong password" not in bad.stdout + bad.stderr
    assert handler.messages == 0  # a probe never sends


def test_check_names_a_mail_server_nobody_listens_on(tmp_path):
    path = _email_config(tmp_path, _free_port())
    result = run_pmosync("check", "-c", path, env={"SMTP_PASSWORD": PASSWORD})
    assert result.returncode == 1
    assert "smtp: error: cannot reach mail server 127.0.0.1:" in result.stderr


# -- SharePoint -----------------------------------------------------------------------------


@pytest.fixture
def tenant():
    return generate_tenant(seed=4, size=TenantSize(groups=2, plans=2, tasks=10, people=4,
                                                   timesheet_weeks=1))  # fmt: skip


def _sharepoint_config(tmp_path, sandbox, site: str, token_variable: str = "GRAPH_TOKEN"):
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        "microsoft:\n"
        f"  token: ${{{token_variable}}}\n"
        f"  base_url: {sandbox.base_url}\n"
        "reports:\n"
        "  weekly:\n"
        "    kind: portfolio_status\n"
        "    deliver:\n"
        f"      - sharepoint: {{site: '{site}', folder: 'Reports/{{year}}/{{week}}'}}\n"
        "  monthly:\n"
        "    kind: portfolio_status\n"
        "    deliver:\n"
        f"      - sharepoint: {{site: '{site}', folder: 'Reports/{{year}}'}}\n",
        encoding="utf-8",
    )
    return path


def _files(tenant) -> set[str]:
    return {item.name for item in tenant.items.values() if item.content is not None}


def test_check_writes_in_the_sharepoint_folder_and_leaves_nothing(tmp_path, tenant):
    site = next(iter(tenant.sites.values()))
    address = f"{site.hostname}:{site.path}"
    before = _files(tenant)
    with GraphSandbox(tenant) as sandbox:
        sandbox.add_token("read-only", {"Sites.Read.All", "Files.Read.All"})
        path = _sharepoint_config(tmp_path, sandbox, address)
        good = run_pmosync("check", "-c", path, env={"GRAPH_TOKEN": sandbox.token})
        refused = run_pmosync("check", "-c", path, env={"GRAPH_TOKEN": "read-only"})
    assert good.returncode == 0, good.stderr
    probes = [line for line in good.stdout.splitlines() if line.startswith("  sharepoint")]
    assert probes == [  # both reports write under Reports/: probed once
        f"  sharepoint {address}: ok: folder 'Reports' is writable (a test file was written "
        "and removed)"
    ]
    assert _files(tenant) == before  # the test file is gone again
    assert refused.returncode == 1
    [line] = [line for line in refused.stderr.splitlines() if line.strip()]
    assert line.startswith(f"  sharepoint {address}: error: cannot write in folder 'Reports'")
    assert "Sites.ReadWrite.All" in line


@pytest.mark.parametrize(
    ("template", "static"),
    [("Reports/{year}/{week}", "Reports"), ("{report}", ""), ("PMO/Weekly/", "PMO/Weekly"),
     ("PMO/W{week}", "PMO/W")],
)  # fmt: skip
def test_the_probed_folder_is_the_templates_fixed_start(template, static):
    assert static_folder(template) == static


# -- Teams ----------------------------------------------------------------------------------


def _teams_config(tmp_path):
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        "reports:\n"
        "  weekly:\n"
        "    kind: portfolio_status\n"
        "    deliver:\n"
        "      - teams: {webhook_url: '${TEAMS_WEBHOOK_URL}'}\n",
        encoding="utf-8",
    )
    return load_config(path, environ={"TEAMS_WEBHOOK_URL": WEBHOOK})


@responses.activate
def test_a_reachable_webhook_is_ok_and_nothing_is_posted(tmp_path):
    responses.add(responses.GET, WEBHOOK, status=405)
    [probed] = probe_deliveries(_teams_config(tmp_path))
    assert probed.target == "report weekly: teams"
    assert probed.result.level == "ok"
    assert probed.result.message == (
        "Teams webhook on prod-42.westeurope.logic.azure.com answers (HTTP 405 to a GET, "
        "which posts nothing)"
    )
    assert [call.request.method for call in responses.calls] == ["GET"]


@responses.activate
def test_an_unreachable_webhook_is_one_line_without_the_url(tmp_path):
    responses.add(responses.GET, WEBHOOK, body=requests.ConnectionError(f"cannot reach {WEBHOOK}"))
    [probed] = probe_deliveries(_teams_config(tmp_path))
    assert probed.result.level == "error"
    assert probed.result.message == (
        "Teams webhook on prod-42.westeurope.logic.azure.com: cannot connect"
    )
    assert "S3CR3T" not in probed.result.message
