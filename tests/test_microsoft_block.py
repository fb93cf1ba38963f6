"""One top-level ``microsoft:`` sign-in shared by the Microsoft connectors and Graph deliveries.

The end-to-end tests sign in to the Graph sandbox only through the block; the ground truth is
the sandbox's own tenant (tests/graph_env.py), never pmosync's mapping.
"""

from __future__ import annotations

import pytest
from graph_env import TIMESHEETS, planner_differences, stored_entries, timesheet_entries

from pmosync.config import ConfigError, load_config
from pmosync.config.unset import UnsetSecret, unset_problems
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.tenant import TenantSize, generate_tenant
from pmosync.store import Store
from pmosync.sync.run import run_sync

SMALL = TenantSize(groups=2, plans=3, tasks=60, people=6, timesheet_weeks=1)

TIMESHEETS_SECTION = (
    f"  {TIMESHEETS}:\n"
    "    type: sharepoint_files\n"
    "    team: Operations\n"
    "    channel: Timesheets\n"
    "    kind: time\n"
    "    sheet: Entries\n"
    "    columns: {person: Email, date: Date, hours: Hours, project: Project, task: Task,"
    ' billable: "Billable?"}\n'
)


def _write(tmp_path, text: str):
    path = tmp_path / "pmosync.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def tenant():
    return generate_tenant(seed=11, size=SMALL)


@pytest.fixture
def sandbox(tenant):
    with GraphSandbox(tenant) as running:
        yield running


def _block_config(tmp_path, sandbox, planner_extra: str = ""):
    groups = ", ".join(f'"{g}"' for g in sorted(sandbox.tenant.groups))
    path = _write(
        tmp_path,
        "store: sqlite:///pmosync.db\n"
        "microsoft:\n"
        "  token: ${GRAPH_TOKEN}\n"
        f"  base_url: {sandbox.base_url}\n"
        "connectors:\n"
        "  planner-ops:\n"
        "    type: planner\n"
        f"    groups: [{groups}]\n" + planner_extra + TIMESHEETS_SECTION,
    )
    return path, load_config(path, environ={"GRAPH_TOKEN": sandbox.token})


def test_both_connectors_sign_in_through_the_block(tmp_path, tenant, sandbox):
    path, config = _block_config(tmp_path, sandbox)
    assert config.connectors["planner-ops"].token.get_secret_value() == sandbox.token
    with Store.open(config.store, base_dir=path.parent) as store:
        results = {r.name: r for r in run_sync(config, store).connectors}
        assert not results["planner-ops"].failed, results["planner-ops"]
        assert not results[TIMESHEETS].failed, results[TIMESHEETS]
        assert planner_differences(store, tenant, sorted(tenant.groups)) == []
        assert stored_entries(store) == timesheet_entries(tenant) != {}


def test_a_connector_may_override_the_block(tmp_path, tenant, sandbox):
    path, config = _block_config(tmp_path, sandbox, "    token: not-the-sandbox-token\n")
    with Store.open(config.store, base_dir=path.parent) as store:
        results = {r.name: r for r in run_sync(config, store).connectors}
    assert results["planner-ops"].failed  # its own token, which the sandbox refuses
    assert not results[TIMESHEETS].failed  # the block's token, which it accepts


def test_the_block_fills_in_only_what_a_connector_leaves_out(tmp_path):
    path = _write(
        tmp_path,
        "microsoft:\n"
        "  tenant_id: t-shared\n"
        "  client_id: c-shared\n"
        "  client_secret: ${SECRET}\n"
        "connectors:\n"
        "  plans:\n"
        "    type: planner\n"
        "    groups: [g]\n"
        "  other-app:\n"
        "    type: planner\n"
        "    client_id: c-own\n"
        "    certificate_path: app.pem\n"
        "    groups: [g]\n",
    )
    config = load_config(path, environ={"SECRET": "s3cret"})
    plans, other = config.connectors["plans"], config.connectors["other-app"]
    assert (plans.tenant_id, plans.client_id) == ("t-shared", "c-shared")
    assert plans.client_secret.get_secret_value() == "s3cret"
    assert (other.tenant_id, other.client_id) == ("t-shared", "c-own")
    assert other.client_secret is None  # it names its own credential: the block's is not added
    assert other.certificate_path == str(tmp_path / "app.pem")


def test_without_block_or_own_keys_the_connector_says_both_ways(tmp_path):
    path = _write(tmp_path, "connectors:\n  plans:\n    type: planner\n    groups: [g]\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert raised.value.problems == [
        f"{path}:2:3: connectors.plans: needs a way to sign in: one of client_secret, "
        "certificate_path, managed_identity: true or token (here or in a top-level "
        "'microsoft:')"
    ]


def test_an_app_secret_without_tenant_is_refused_in_the_block_too(tmp_path):
    path = _write(tmp_path, "microsoft:\n  client_id: c\n  client_secret: s\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert raised.value.problems == [
        f"{path}:1:1: microsoft: missing required key 'tenant_id' (needed with client_secret)"
    ]


def test_a_graph_delivery_signs_in_through_the_block_without_a_microsoft_connector(tmp_path):
    path = _write(
        tmp_path,
        "microsoft: {tenant_id: t, client_id: c, client_secret: '${SECRET}'}\n"
        "reports:\n"
        "  weekly:\n"
        "    kind: portfolio_status\n"
        "    deliver:\n"
        "      - sharepoint: {site: contoso.sharepoint.com:/sites/pmo, folder: Reports}\n"
        "      - email: {to: [pmo@contoso.example], via: graph, sender: pmo@contoso.example}\n",
    )
    config = load_config(path, environ={"SECRET": "s3cret"})
    assert config.microsoft_auth_for(None) is config.microsoft
    # Deferred like a connector's secret: the report that needs it names the variable.
    waiting = load_config(path, environ={}, defer_unset=True)
    assert isinstance(waiting.microsoft.client_secret, UnsetSecret)
    assert unset_problems(waiting, reports=["weekly"]) == [
        f"{path}:1:56: microsoft.client_secret: environment variable SECRET is not set"
    ]


def test_a_deferred_block_secret_is_deferred_in_every_connector_sharing_it(tmp_path):
    path = _write(
        tmp_path,
        "microsoft: {tenant_id: t, client_id: c, client_secret: '${SECRET}'}\n"
        "connectors:\n"
        "  plans: {type: planner, groups: [g]}\n"
        "  own: {type: planner, groups: [g], token: t0k3n}\n",
    )
    config = load_config(path, environ={}, defer_unset=True)
    assert isinstance(config.connectors["plans"].client_secret, UnsetSecret)
    assert unset_problems(config, connectors=["own"]) == []
    assert len(unset_problems(config, connectors=["plans"])) == 1


def test_planner_premium_shares_the_sign_in_but_not_graphs_host_or_quota(tmp_path):
    """The same app registration signs in to Graph and to Dataverse, so a planner_premium
    connector takes the block's tenant, client and credential; Graph's root and Graph's quota
    are not Dataverse's, so it takes neither (its host is its environment)."""
    path = _write(
        tmp_path,
        "microsoft:\n"
        "  tenant_id: t-shared\n"
        "  client_id: c-shared\n"
        "  client_secret: ${SECRET}\n"
        "  base_url: https://graph.example/v1.0\n"
        "  requests_per_minute: 300\n"
        "connectors:\n"
        "  plans: {type: planner, groups: [g]}\n"
        "  premium:\n"
        "    type: planner_premium\n"
        "    environment: https://contoso.crm4.dynamics.com/\n"
        "  premium-own:\n"
        "    type: planner_premium\n"
        "    environment: https://fabrikam.crm.dynamics.com\n"
        "    client_id: c-own\n"
        "    token: t0k3n\n"
        "    requests_per_minute: 1000\n",
    )
    config = load_config(path, environ={"SECRET": "s3cret"})
    plans, premium, own = (config.connectors[n] for n in ("plans", "premium", "premium-own"))
    assert (plans.requests_per_minute, str(plans.base_url)) == (300, "https://graph.example/v1.0")
    assert (premium.tenant_id, premium.client_id) == ("t-shared", "c-shared")
    assert premium.client_secret.get_secret_value() == "s3cret"
    assert premium.requests_per_minute is None  # Graph's quota is not Dataverse's
    assert "base_url" not in type(premium).model_fields  # its host is its environment
    assert premium.api_url == "https://contoso.crm4.dynamics.com/api/data/v9.2"
    # Its own keys override the block's, its own credential keeps the block's out.
    assert (own.tenant_id, own.client_id) == ("t-shared", "c-own")
    assert own.client_secret is None and own.token.get_secret_value() == "t0k3n"
    assert own.requests_per_minute == 1000
    assert own.api_url == "https://fabrikam.crm.dynamics.com/api/data/v9.2"


def test_planner_premium_without_block_or_credential_says_both_ways(tmp_path):
    path = _write(
        tmp_path,
        "connectors:\n"
        "  premium:\n"
        "    type: planner_premium\n"
        "    environment: https://contoso.crm4.dynamics.com\n",
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert raised.value.problems == [
        f"{path}:2:3: connectors.premium: needs a way to sign in: one of client_secret, "
        "certificate_path, managed_identity: true or token (here or in a top-level "
        "'microsoft:')"
    ]
