"""Bad config files, each with the one error line it must produce.

Shared by the loader tests (tests/test_config_bad_input.py) and the CLI tests (which run
``pmosync check -c FILE`` on the same cases in a subprocess): ``write_case`` puts a case on
disk and returns the path to pass. ``expected`` is a substring of the single problem line and
includes the ``:line:col:`` location wherever the problem has one.

Cases that contain a credential use ``SECRET``, so a test can assert it is never echoed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

SECRET = "s3cr3t-token-value"

FILE = "file"  # content is written to pmosync.yaml
DIRECTORY = "directory"  # the path given is a directory
MISSING = "missing"  # the path given does not exist


@dataclass(frozen=True)
class BadConfig:
    """One bad config. ``env`` is the *whole* environment the loader is given: a CLI test
    should start from a minimal environment (PATH, HOME) plus ``env``, so that variables set
    on the developer's machine (ASANA_TOKEN...) do not change the outcome."""

    id: str
    kind: str  # FILE, DIRECTORY or MISSING
    content: bytes
    env: dict[str, str] = field(default_factory=dict)
    expected: str = ""
    #: Contents of a .env file beside the config, if any.
    dotenv: bytes | None = None


def write_case(case: BadConfig, tmp_path: Path) -> Path:
    """Materialise ``case`` under ``tmp_path``; return the path to load."""
    folder = tmp_path / case.id
    folder.mkdir(parents=True, exist_ok=True)
    if case.dotenv is not None:
        (folder / ".env").write_bytes(case.dotenv)
    if case.kind == DIRECTORY:
        target = folder / "conf"
        target.mkdir(exist_ok=True)
        return target
    if case.kind == MISSING:
        return folder / "missing.yaml"
    target = folder / "pmosync.yaml"
    target.write_bytes(case.content)
    return target


def _file(case_id: str, text: str, expected: str, env: dict[str, str] | None = None) -> BadConfig:
    return BadConfig(case_id, FILE, text.encode("utf-8"), env or {}, expected)


# A valid Asana connector to build cases on (lines 1-5 of the files that use it).
ASANA = f"""\
connectors:
  asana-eng:
    type: asana
    token: {SECRET}
    workspace: "1200000000000001"
"""

# A valid report (lines N..N+2 wherever it is used) to append cases to.
REPORT = """\
reports:
  weekly:
    kind: portfolio_status
"""

BAD_CONFIGS: list[BadConfig] = [
    # --- the file itself ---------------------------------------------------------------------
    BadConfig("missing_file", MISSING, b"", {}, "missing.yaml: no such file"),
    BadConfig("directory", DIRECTORY, b"", {}, "conf: is a directory, not a config file"),
    _file("empty_file", "", "pmosync.yaml: the config file is empty"),
    _file(
        "comments_only",
        "# pmosync config\n#\n#  connectors: {}\n\n",
        "pmosync.yaml: the config file is empty",
    ),
    BadConfig(
        "not_utf8_cp1252",
        FILE,
        "store: sqlite:///pmosync.db\n# Caf\u00e9 budget\n".encode("cp1252"),
        {},
        ":2:6: not valid UTF-8 (byte 0xe9); save the file as UTF-8",
    ),
    BadConfig(
        "utf16",
        FILE,
        "store: sqlite:///pmosync.db\n".encode("utf-16"),
        {},
        "pmosync.yaml: the file is UTF-16; save it as UTF-8",
    ),
    BadConfig(
        "bom_then_error",
        FILE,
        b"\xef\xbb\xbfstor: sqlite:///pmosync.db\n",
        {},
        ":1:1: unknown key 'stor'; did you mean 'store'?",
    ),
    # --- YAML ----------------------------------------------------------------------------------
    _file(
        "invalid_yaml",
        "store: sqlite:///pmosync.db\nsync:\n  schedule: '0 7 * * *\n",
        ":4:1: invalid YAML: found unexpected end of stream",
    ),
    _file(
        "flow_not_closed",
        "sync: {schedule: '0 7 * * *'\nstore: sqlite:///pmosync.db\n",
        ":2:1: invalid YAML: expected ',' or '}', but got '<scalar>' "
        "(while parsing a flow mapping started at line 1)",
    ),
    _file(
        "tab_indent",
        "sync:\n\tschedule: '0 7 * * *'\n",
        ":2:1: invalid YAML: a tab character; YAML indents with spaces",
    ),
    _file(
        "bad_indent",
        "sync:\n  schedule: '0 7 * * *'\n   max_parallel_connectors: 3\n",
        ":3:4: invalid YAML: expected <block end>, but found '<block mapping start>' "
        "(check the indentation against line 2)",
    ),
    _file(
        "top_level_list",
        "- store: sqlite:///pmosync.db\n",
        ":1:1: the top level must be a mapping of keys (store, connectors, ...)",
    ),
    _file(
        "top_level_scalar",
        "pmosync\n",
        ":1:1: the top level must be a mapping of keys",
    ),
    _file(
        "duplicate_connector",
        ASANA + "  asana-eng:\n    type: asana\n",
        ":6:3: connectors.asana-eng: duplicate key (first defined at line 2)",
    ),
    _file(
        "two_documents",
        "store: sqlite:///a.db\n---\nstore: sqlite:///b.db\n",
        ":2:1: invalid YAML: a second document",
    ),
    _file("unsupported_tag", "store: !Ref db_url\n", ":1:8: store: unsupported YAML tag '!Ref'"),
    _file(
        "impossible_date",
        REPORT + "    as_of: 2024-13-45\n",
        ":4:12: reports.weekly.as_of: not a valid YAML timestamp",
    ),
    _file("recursive_alias", "sync: &s\n  x: *s\n", ":1:7: sync.x: an alias refers to itself"),
    _file(
        "control_character",
        "store: sqlite:///pmo\x00.db\n",
        ":1:21: invalid YAML: control character #x0000 is not allowed",
    ),
    # --- environment variables -----------------------------------------------------------------
    _file(
        "missing_env_var",
        ASANA.replace(SECRET, "${ASANA_TOKEN}"),
        ":4:12: connectors.asana-eng.token: environment variable ASANA_TOKEN is not set",
        env={"ASANA_TOKN": SECRET},
    ),
    _file(
        "unclosed_reference",
        "store: postgresql+psycopg://pmo:${PG_PASSWORD@db/pmo\n",
        ":1:8: store: '${' is not closed by '}'",
        env={"PG_PASSWORD": SECRET},
    ),
    _file(
        "bad_variable_name",
        "smtp:\n  host: ${1SMTP_HOST}\n  from: pmo@contoso.com\n",
        ":2:9: smtp.host: invalid variable name '1SMTP_HOST'",
    ),
    _file("empty_reference", "store: ${}\n", ":1:8: store: empty variable name in '${}'"),
    BadConfig(
        "dotenv_not_utf8",
        FILE,
        b"store: ${DB_URL:-sqlite:///pmosync.db}\n",
        {},
        ".env: not valid UTF-8",
        dotenv="DB_URL=sqlite:///caf\u00e9.db\n".encode("cp1252"),
    ),
    # --- schema: keys ---------------------------------------------------------------------------
    _file(
        "unknown_top_level_key",
        "store: sqlite:///pmosync.db\nconectors: {}\n",
        ":2:1: unknown key 'conectors'; did you mean 'connectors'?",
    ),
    _file(
        "unknown_nested_key",
        REPORT + "    schedual: '0 7 * * MON'\n",
        ":4:5: reports.weekly: unknown key 'schedual'; did you mean 'schedule'?",
    ),
    _file(
        "misspelt_secret_key",
        f"smtp:\n  host: smtp.contoso.com\n  from: pmo@contoso.com\n  username: pmo\n"
        f"  pasword: {SECRET}\n",
        ":5:3: smtp: unknown key 'pasword'; did you mean 'password'?",
    ),
    _file(
        "unknown_asana_field",
        ASANA + "    fields: {rag: Health, budjet: Budget}\n",
        ":6:27: connectors.asana-eng.fields: unknown key 'budjet'; did you mean 'budget'?",
    ),
    _file(
        "unknown_connector_type",
        "connectors:\n  asana-eng:\n    type: asna\n",
        ":3:11: connectors.asana-eng.type: unknown connector type 'asna'; did you mean 'asana'? "
        "(known: asana, files, planner, planner_premium, sharepoint_files)",
    ),
    _file(
        "missing_connector_type",
        f"connectors:\n  asana-eng:\n    token: {SECRET}\n",
        ":2:3: connectors.asana-eng: missing required key 'type' "
        "(known: asana, files, planner, planner_premium, sharepoint_files)",
    ),
    _file(
        "missing_token",
        'connectors:\n  asana-eng:\n    type: asana\n    workspace: "1200000000000001"\n',
        ":2:3: connectors.asana-eng: missing required key 'token'",
    ),
    _file(
        "bad_connector_name",
        ASANA.replace("asana-eng", "Asana Eng"),
        ":2:3: connectors: connector name 'Asana Eng' is not allowed",
    ),
    _file(
        "key_of_other_connector_type",
        ASANA + "    groups: [abc]\n",
        ":6:5: connectors.asana-eng: unknown key 'groups' (allowed: type, token, workspace",
    ),
    # --- schema: values -------------------------------------------------------------------------
    _file(
        "wrong_type",
        ASANA + "    requests_per_minute: lots\n",
        ":6:26: connectors.asana-eng.requests_per_minute: must be a whole number (got 'lots')",
    ),
    _file(
        "out_of_range",
        ASANA + "    requests_per_minute: 5000\n",
        ":6:26: connectors.asana-eng.requests_per_minute: must be at most 1500 (got 5000)",
    ),
    _file(
        "workspace_not_gid",
        ASANA.replace('"1200000000000001"', "Engineering"),
        ":5:16: connectors.asana-eng.workspace: 'Engineering' is not an Asana gid",
    ),
    _file(
        "bad_cron",
        REPORT + "    schedule: '0 7 * * MOON'\n",
        ":4:15: reports.weekly.schedule: '0 7 * * MOON' is not a valid cron expression "
        "(minute hour day-of-month month day-of-week)",
    ),
    _file(
        "report_name_too_long",
        "reports:\n  " + "w" * 65 + ":\n    kind: governance\n",
        ":2:3: reports: report name is 65 characters long; at most 64",
    ),
    _file(
        "seven_field_cron",
        "sync:\n  schedule: '0 0 7 * * MON 2027'\n",
        ":2:13: sync.schedule: '0 0 7 * * MON 2027' is not a valid cron expression "
        "(minute hour day-of-month month day-of-week); it has 7 fields, not 5 (or 6 with seconds "
        "first)",
    ),
    _file(
        "format_typo",
        REPORT + "    formats: [html, xslx]\n",
        ":4:21: reports.weekly.formats[1]: 'xslx' is not one of html, xlsx, csv, json, pdf; "
        "did you mean 'xlsx'?",
    ),
    _file(
        "single_recipient_not_list",
        "smtp: {host: smtp.contoso.com, from: pmo@contoso.com}\n"
        + REPORT
        + "    deliver:\n      - email: {to: pmo@contoso.com}\n",
        ":6:21: reports.weekly.deliver[0].email.to: must be a list; for a single item write [item]",
    ),
    _file(
        "bad_email",
        "people:\n  aliases:\n    j.doe@contoso.com: [jane-at-contoso.com]\n",
        ":3:25: people.aliases.j.doe@contoso.com[0]: 'jane-at-contoso.com' is not a valid email",
    ),
    _file(
        "empty_section",
        "store: sqlite:///pmosync.db\nsync:\n",
        ":2:6: sync: has no value; expected a mapping of keys",
    ),
    _file(
        "store_url_with_password",
        f"store: postgres-{SECRET}@db/pmo\n",
        ":1:8: store: must be a database URL",
    ),
    _file(
        "unknown_folder_placeholder",
        REPORT + "    deliver:\n      - folder: {path: 'out/{yaer}'}\n",
        ":5:24: reports.weekly.deliver[0].folder.path: unknown placeholder '{yaer}'",
    ),
    # --- checks across keys ---------------------------------------------------------------------
    _file(
        "two_asana_scopes",
        ASANA + '    portfolios: ["1200000000000099"]\n    projects: ["1200000000000100"]\n',
        ":7:5: connectors.asana-eng.projects: use only one of portfolios, projects or teams "
        "(found portfolios and projects)",
    ),
    _file(
        "email_via_smtp_without_smtp",
        REPORT + "    deliver:\n      - email: {to: [pmo@contoso.com]}\n",
        ":5:9: reports.weekly.deliver[0].email: email via smtp needs a top-level 'smtp' section",
    ),
    _file(
        "sharepoint_without_microsoft_connector",
        ASANA
        + REPORT
        + "    deliver:\n      - sharepoint: {site: 'contoso.sharepoint.com:/sites/pmo', "
        "folder: Reports}\n",
        ":10:9: reports.weekly.deliver[0].sharepoint: a sharepoint delivery signs in through a "
        "planner or sharepoint_files connector or a top-level 'microsoft:' block, and none is "
        "configured",
    ),
    _file(
        "delivery_connector_not_microsoft",
        ASANA
        + REPORT
        + "    deliver:\n"
        + "      - email: {to: [pmo@contoso.com], via: graph, connector: asana-eng}\n",
        ":10:63: reports.weekly.deliver[0].email.connector: connector 'asana-eng' is of type "
        "asana; email via graph needs a planner or sharepoint_files connector",
    ),
    _file(
        "graph_mail_without_sender",
        "connectors:\n"
        "  planner-ops:\n"
        "    type: planner\n"
        "    tenant_id: 00000000-0000-0000-0000-000000000001\n"
        "    client_id: 00000000-0000-0000-0000-000000000002\n"
        "    client_secret: x\n"
        "    groups: ['00000000-0000-0000-0000-000000000003']\n"
        + REPORT
        + "    deliver:\n"
        + "      - email: {to: [pmo@contoso.com], via: graph}\n",
        ":12:9: reports.weekly.deliver[0].email: email via graph needs 'sender:', the mailbox to "
        "send from (an app signs in as no user, so there is no 'me' to send as)",
    ),
    _file(
        "filter_source_typo",
        ASANA + REPORT + "    filters: {sources: [asana-en]}\n",
        ":9:25: reports.weekly.filters.sources[0]: no connector named 'asana-en'; "
        "did you mean 'asana-eng'? (connectors: asana-eng)",
    ),
    _file(
        "two_delivery_targets",
        REPORT
        + "    deliver:\n      - folder: {path: out}\n        email: {to: [pmo@contoso.com]}\n",
        ":6:9: reports.weekly.deliver[0].email: one target per delivery item (found folder and "
        "email)",
    ),
    _file(
        "missing_timesheet_columns",
        "connectors:\n  sheets:\n    type: files\n    path: /srv/timesheets\n"
        "    columns: {person: Email, date: Date, hours: Hours}\n",
        ":5:5: connectors.sheets.columns: missing required column 'project' for kind time",
    ),
    _file(
        "planner_two_credentials",
        f"connectors:\n  planner-ops:\n    type: planner\n    token: {SECRET}\n"
        "    managed_identity: true\n    groups: [g1]\n",
        ":4:5: connectors.planner-ops.token: use only one way to sign in "
        "(found managed_identity and token)",
    ),
    _file(
        "alias_of_two_people",
        "people:\n  aliases:\n    a@contoso.com: [x@old.com]\n    b@contoso.com: [X@old.com]\n",
        ":4:21: people.aliases.b@contoso.com[0]: 'x@old.com' is already an alias of "
        "'a@contoso.com'",
    ),
    _file(
        "teams_webhook_not_https",
        REPORT + f"    deliver:\n      - teams: {{webhook_url: 'http://hooks.example/{SECRET}'}}\n",
        ":5:30: reports.weekly.deliver[0].teams.webhook_url: must be an https:// Workflows "
        "webhook URL",
    ),
]
