"""Loading good configs: the example, interpolation, positions, several errors, the schema."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import jsonschema
import pytest
import yaml

from pmosync.config import (
    AsanaConnector,
    ConfigError,
    FilesConnector,
    PlannerConnector,
    PmosyncConfig,
    SharePointFilesConnector,
    config_json_schema,
    load_config,
)
from pmosync.config.interpolate import MalformedReference, interpolate

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "pmosync.yaml"
SECRET = "s3cr3t-token-value"
EXAMPLE_ENV = {
    "ASANA_TOKEN": SECRET,
    "AZURE_TENANT_ID": "contoso.onmicrosoft.com",
    "AZURE_CLIENT_ID": "11111111-2222-3333-4444-555555555555",
    "AZURE_CLIENT_SECRET": "azure-" + SECRET,
    "SMTP_PASSWORD": "smtp-" + SECRET,
    "TEAMS_WEBHOOK_URL": f"https://prod.logic.azure.com/workflows/{SECRET}",
}


def write(tmp_path: Path, text: str, name: str = "pmosync.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={} if environ is None else environ)
    return caught.value.problems


# --- the example ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example() -> PmosyncConfig:
    return load_config(EXAMPLE, environ=EXAMPLE_ENV)


def test_example_values_arrive_where_expected(example: PmosyncConfig) -> None:
    assert example.config_path == EXAMPLE
    assert example.store == "sqlite:///pmosync.db"  # ${PMOSYNC_STORE:-...} default

    asana = example.connectors["asana-eng"]
    assert isinstance(asana, AsanaConnector)
    assert asana.token.get_secret_value() == SECRET
    assert asana.workspace == "1200000000000001"
    assert asana.portfolios == ["1200000000000099"] and asana.projects == []
    assert asana.fields["estimate_hours"] == "Estimate (h)"
    assert asana.rag_vocabulary["At risk"] == "amber"
    assert asana.requests_per_minute == 150 and asana.max_concurrency == 4

    planner = example.connectors["planner-ops"]
    assert isinstance(planner, PlannerConnector)
    assert planner.tenant_id == "contoso.onmicrosoft.com"
    assert planner.client_secret is not None
    assert planner.client_secret.get_secret_value() == "azure-" + SECRET
    assert planner.task_details is True and len(planner.groups) == 2
    assert planner.base_url == "https://graph.microsoft.com/v1.0"

    sheets = example.connectors["ops-timesheets"]
    assert isinstance(sheets, SharePointFilesConnector)
    assert (sheets.team, sheets.channel, sheets.site) == ("Operations", "Timesheets", None)
    assert sheets.columns["billable"] == "Billable?" and sheets.patterns == ["*.xlsx", "*.csv"]

    costs = example.connectors["finance-costs"]
    assert isinstance(costs, FilesConnector)
    assert (costs.kind, costs.default_currency, costs.encoding) == ("cost", "EUR", "cp1252")

    assert example.people.aliases["j.doe@contoso.com"][1] == "jdoe.asana@gmail.com"
    assert example.people.canonical_email("Aisha.Khan@contoso.co.uk") == "a.khan@contoso.com"

    assert example.smtp is not None
    assert (example.smtp.port, example.smtp.from_address) == (587, "pmo-reports@contoso.com")

    weekly = example.reports["weekly-portfolio"]
    assert weekly.schedule == "0 7 * * MON" and weekly.formats == ["html", "xlsx"]
    assert [d.kind for d in weekly.deliver] == ["sharepoint", "email", "teams"]
    assert weekly.deliver[0].sharepoint is not None
    assert weekly.deliver[0].sharepoint.folder == "Reports/{year}/{week}"
    assert weekly.deliver[1].email is not None and weekly.deliver[1].email.via == "smtp"

    utilisation = example.reports["utilisation"]
    assert utilisation.filters.sources == ["asana-eng", "ops-timesheets"]
    assert utilisation.deliver[0].email is not None
    assert utilisation.deliver[0].email.via == "graph"
    assert example.reports["timesheets"].deliver == []
    assert example.sync.schedule == "*/30 * * * *" and example.sync.max_parallel_connectors == 2


def test_secrets_never_shown(example: PmosyncConfig, tmp_path: Path) -> None:
    for text in (repr(example), str(example), example.model_dump_json()):
        assert SECRET not in text
    # A secret that lands in a field of the wrong type is not quoted back either.
    path = write(
        tmp_path,
        "connectors:\n  a:\n    type: asana\n    token: ${ASANA_TOKEN}\n"
        "    workspace: ${ASANA_TOKEN}\n    max_concurrency: ${ASANA_TOKEN}\n"
        f"    projects: {{{SECRET}: 1}}\nsmtp: {{host: h, from: a@b.co, password: [{SECRET}]}}\n",
    )
    problems = problems_of(path, {"ASANA_TOKEN": SECRET})
    assert len(problems) == 4, problems
    assert all(SECRET not in line for line in problems)
    assert any("max_concurrency: must be a whole number" in line for line in problems)
    assert any("workspace: the value is not an Asana gid" in line for line in problems)


# --- interpolation -------------------------------------------------------------------------------


def test_interpolation_rules(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "store: postgresql+psycopg://${PGUSER}:${PGPASS}@${PGHOST:-localhost}/pmo\n"
        "smtp:\n"
        "  host: ${SMTP_HOST:-smtp.contoso.com}\n"
        "  port: ${SMTP_PORT}\n"
        "  from: ${SENDER:-pmo@contoso.com}\n"
        "reports:\n"
        "  r:\n"
        "    kind: governance\n"
        "    deliver:\n"
        "      - email: {to: [a@b.co], subject: 'Costs in $${CURRENCY} cost $5 ($$5)'}\n",
    )
    env = {
        "PGUSER": "pmo",
        "PGPASS": "pw",
        "SMTP_PORT": "2525",
        "SMTP_HOST": "",
        "SENDER": "x@y.co",
    }
    cfg = load_config(path, environ=env)
    assert cfg.store == "postgresql+psycopg://pmo:pw@localhost/pmo"  # several, with a default
    assert cfg.smtp is not None
    assert cfg.smtp.host == "smtp.contoso.com"  # empty counts as unset for :-
    assert cfg.smtp.port == 2525  # "2525" from the environment is a port
    assert cfg.smtp.from_address == "x@y.co"  # the variable wins over the default
    email = cfg.reports["r"].deliver[0].email
    assert email is not None and email.subject == "Costs in ${CURRENCY} cost $5 ($$5)"


def test_interpolate_function_edge_cases() -> None:
    env = {"A": "1", "EMPTY": ""}
    assert interpolate("${A}${A}-$A-${EMPTY}-${EMPTY:-d}-${B:-}-${B:-x:y}", env.get) == (
        "11-$A--d--x:y",
        [],
    )
    assert interpolate("${B} and ${C} and ${B}", env.get) == (" and  and ", ["B", "C"])
    for bad in ("${", "x ${A", "${}", "${1A}", "${A B}", "${A:x}"):
        with pytest.raises(MalformedReference):
            interpolate(bad, env.get)


def test_dotenv_beside_the_config(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "# local secrets\nASANA_TOKEN=from-dotenv\nPMOSYNC_TEST_ONLY_IN_DOTENV=1\n"
        "WORKSPACE='1200000000000001'\n"
    )
    path = write(
        tmp_path,
        "connectors:\n  a:\n    type: asana\n    token: ${ASANA_TOKEN}\n"
        "    workspace: ${WORKSPACE}\n",
    )
    token = load_config(path, environ={}).connectors["a"].token  # type: ignore[union-attr]
    assert token.get_secret_value() == "from-dotenv"
    overridden = load_config(path, environ={"ASANA_TOKEN": "from-env"}).connectors["a"]
    assert overridden.token.get_secret_value() == "from-env"  # type: ignore[union-attr]
    assert "PMOSYNC_TEST_ONLY_IN_DOTENV" not in os.environ


def test_dotenv_only_from_the_config_directory(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DB=sqlite:///elsewhere.db\n")
    (tmp_path / "conf").mkdir()
    path = write(tmp_path / "conf", "store: ${DB}\n")
    assert problems_of(path) == [f"{path}:1:8: store: environment variable DB is not set"]


# --- positions and multiple problems -------------------------------------------------------------


def test_position_of_a_value_deep_in_a_list(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "smtp: {host: h, from: a@b.co}\n"
        "reports:\n"
        "  weekly:\n"
        "    kind: governance\n"
        "    deliver:\n"
        "      - folder: {path: out}\n"
        "      - email:\n"
        "          to:\n"
        "            - pmo@contoso.com\n"
        "            - ops@contoso.com\n"
        "          cc: [a@contoso.com, b@contoso.com, not-an-email]\n",
    )
    assert problems_of(path) == [
        f"{path}:11:46: reports.weekly.deliver[1].email.cc[2]: "
        "'not-an-email' is not a valid email address"
    ]


def test_all_problems_reported_sorted_by_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sync:\n"  # 1
        "  max_parallel_connectors: 0\n"  # 2  out of range
        "connectors:\n"  # 3
        "  a:\n"  # 4
        "    type: asana\n"  # 5
        "    token: ${ASANA_TOKEN}\n"  # 6  unset variable
        "    workspace: '1'\n"  # 7
        "    requests_per_minute: many\n"  # 8  not a number
        "  a:\n"  # 9  duplicate key
        "    type: files\n"  # 10
        "stor: x\n",  # 11 unknown key
    )
    problems = problems_of(path)
    assert [line.split(":")[1] for line in problems] == ["2", "6", "8", "9", "11"]
    assert "must be at least 1 (got 0)" in problems[0]
    assert "environment variable ASANA_TOKEN is not set" in problems[1]
    assert "requests_per_minute: must be a whole number (got 'many')" in problems[2]
    assert "connectors.a: duplicate key (first defined at line 4)" in problems[3]
    assert problems[4].endswith(":11:1: unknown key 'stor'; did you mean 'store'?")


def test_unset_variable_adds_no_follow_on_errors(tmp_path: Path) -> None:
    """An unset client secret is one problem, not also "no way to sign in"."""
    path = write(
        tmp_path,
        "connectors:\n  p:\n    type: planner\n    tenant_id: t\n    client_id: c\n"
        "    client_secret: ${AZURE_CLIENT_SECRET}\n    groups: [g]\n    max_concurrency: ${N}\n",
    )
    assert [line.split(": ", 1)[1] for line in problems_of(path)] == [
        "connectors.p.client_secret: environment variable AZURE_CLIENT_SECRET is not set",
        "connectors.p.max_concurrency: environment variable N is not set",
    ]


# --- did you mean --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "sync: {schedual: '0 7 * * *'}\n",
            "sync: unknown key 'schedual'; did you mean 'schedule'?",
        ),
        (
            "sync: {wibble: 1}\n",
            "sync: unknown key 'wibble' (allowed: schedule, max_parallel_connectors, quota_store)",
        ),
        (
            "connectors:\n  p: {type: planer}\n",
            "connectors.p.type: unknown connector type 'planer'; did you mean 'planner'?",
        ),
        (
            "connectors:\n  p: {type: files, path: x, columns: {person: a, date: b, hours: c, "
            "project: d, descripton: e}}\n",
            "connectors.p.columns: unknown key 'descripton'; did you mean 'description'?",
        ),
        (
            "connectors:\n  p: {type: files, path: x, columns: {person: a, date: b, hours: c, "
            "project: d, vendr: e}}\n",
            "connectors.p.columns: unknown key 'vendr'; did you mean 'vendor'?",
        ),
        (
            "smtp: {host: h, from: a@b.co, security: tls}\n",
            "smtp.security: 'tls' is not one of starttls, ssl, none",
        ),
        (
            "reports:\n  r: {kind: portfolio, deliver: [{folder: {path: x}}]}\n",
            "reports.r.kind: 'portfolio' is not one of portfolio_status, resource_utilisation, "
            "timesheet_compliance, governance, raid_log, board_pack, intake_pipeline; did you mean "
            "'portfolio_status'?",
        ),
    ],
)
def test_did_you_mean(tmp_path: Path, text: str, message: str) -> None:
    (line,) = problems_of(write(tmp_path, text))
    assert message in line


# --- YAML features and checks across sections ----------------------------------------------------


def test_yaml_types_anchors_and_merge_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "connectors:\n"
        "  sheets-a: &sheets\n"
        "    type: files\n"
        "    path: /data/a\n"
        "    sheet: 2024\n"  # an unquoted number is still the sheet's name
        "    columns: {person: Email, date: Date, hours: Hours, project: Project}\n"
        "  sheets-b:\n"
        "    <<: *sheets\n"
        "    path: /data/b\n"
        "reports:\n"
        "  r: {kind: governance, as_of: 2024-06-28, formats: [csv, csv, json]}\n",
    )
    cfg = load_config(path, environ={})
    a, b = cfg.connectors["sheets-a"], cfg.connectors["sheets-b"]
    assert isinstance(a, FilesConnector) and isinstance(b, FilesConnector)
    assert (a.path, b.path, b.sheet, b.columns["hours"]) == ("/data/a", "/data/b", "2024", "Hours")
    assert cfg.reports["r"].as_of == dt.date(2024, 6, 28)
    assert cfg.reports["r"].formats == ["csv", "json"]


def test_smtp_ssl_defaults_to_port_465(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "smtp: {host: h, from: A@B.co, security: ssl}\n"), {})
    assert cfg.smtp is not None and (cfg.smtp.port, cfg.smtp.from_address) == (465, "a@b.co")
    cfg = load_config(
        write(tmp_path, "smtp: {host: h, from: a@b.co, security: ssl, port: 2465}\n"), {}
    )
    assert cfg.smtp is not None and cfg.smtp.port == 2465


def test_microsoft_connector_implied_only_when_unique(tmp_path: Path) -> None:
    planner = "    type: planner\n    token: t\n    groups: [g]\n"
    report = (
        "reports:\n  r:\n    kind: governance\n    deliver:\n"
        "      - sharepoint: {site: s, folder: 'Reports/{year}'}\n"
    )
    cfg = load_config(write(tmp_path, "connectors:\n  p1:\n" + planner + report), {})
    sharepoint = cfg.reports["r"].deliver[0].sharepoint
    assert sharepoint is not None and cfg.microsoft_connector_for(sharepoint.connector) == "p1"

    path = write(tmp_path, "connectors:\n  p1:\n" + planner + "  p2:\n" + planner + report)
    (line,) = problems_of(path)
    assert line.endswith(
        ":14:9: reports.r.deliver[0].sharepoint: a sharepoint delivery needs 'connector:' to say "
        "which Microsoft connector to sign in with (p1, p2)"
    )
    path = write(
        tmp_path, "connectors:\n  p1:\n" + planner + report.replace("'}", "', connector: p11}")
    )
    (line,) = problems_of(path)
    assert "deliver[0].sharepoint.connector: no connector named 'p11'; did you mean 'p1'?" in line


def test_minimal_config_uses_defaults(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "store: sqlite:///pmosync.db\n"), {})
    assert (cfg.connectors, cfg.reports, cfg.smtp, cfg.sync.schedule) == ({}, {}, None, None)
    assert cfg.sync.max_parallel_connectors == 2
    assert cfg.config_path.is_absolute() and cfg.config_path.name == "pmosync.yaml"


# --- JSON Schema ---------------------------------------------------------------------------------


def test_json_schema_is_valid_and_accepts_the_example() -> None:
    schema = config_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "pmosync configuration"
    jsonschema.Draft202012Validator.check_schema(schema)
    json.dumps(schema)  # serialisable as the file editors read
    validator = jsonschema.Draft202012Validator(schema)
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert list(validator.iter_errors(data)) == []


@pytest.mark.parametrize(
    "bad",
    [
        {"stor": "x"},
        {"connectors": {"Bad Name": {"type": "files", "path": "x", "columns": {}}}},
        {"connectors": {"a": {"type": "asna"}}},
        {
            "connectors": {
                "a": {"type": "asana", "token": "t", "workspace": "1", "fields": {"x": "y"}}
            }
        },
        {
            "reports": {
                "r": {"kind": "governance", "deliver": [{"folder": {"path": "x"}, "teams": {}}]}
            }
        },
        {"sync": {"max_parallel_connectors": 17}},
    ],
)
def test_json_schema_rejects_what_the_loader_rejects(bad: dict[str, object]) -> None:
    validator = jsonschema.Draft202012Validator(config_json_schema())
    assert list(validator.iter_errors(bad))


@pytest.mark.parametrize(
    ("schedule", "valid"),
    [
        ("0 7 * * MON", True),
        ("*/30 * * * *", True),
        ("30 6 1,15 * MON-FRI", True),
        ("  0   7 * * 1  ", True),
        ("@daily", False),
        ("0 7 * *", False),
        ("0 0 7 * * MON", True),  # six fields: seconds first
        ("*/2 * * * * *", True),
        ("61 0 7 * * MON", False),  # a 61st second
        ("0 0 7 * * MON 2027", False),
        ("61 7 * * *", False),
    ],
)
def test_cron_schedules(tmp_path: Path, schedule: str, valid: bool) -> None:
    path = write(tmp_path, f"sync:\n  schedule: '{schedule}'\n")
    if valid:
        assert load_config(path, environ={}).sync.schedule == " ".join(schedule.split())
    else:
        (line,) = problems_of(path)
        assert ":2:13: sync.schedule: " in line and "is not a valid cron expression" in line
