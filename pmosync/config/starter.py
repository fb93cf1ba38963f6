"""The commented starting configuration ``pmosync init`` writes for the chosen connectors.

Every value the operator must supply (a token, an id) is a ``${VAR}`` reference, so the file
is valid as written and complete once those variables are set: ``pmosync check`` then names
any that are still missing, and ``pmosync discover NAME`` lists the ids to choose from (it
needs only the sign-in variables). Ids may later be written into the YAML instead.
"""

from __future__ import annotations

from collections.abc import Sequence

CONNECTOR_TYPES = ("asana", "planner", "planner_premium", "sharepoint_files", "files")
"""The connector types ``init`` can write a section for, in the order they are written."""

_HEADER = """\
# pmosync configuration, written by `pmosync init`. docs/config.md explains every key;
# `pmosync config schema -o pmosync.schema.json` gives an editor completion for it.
#
# Secrets and ids come from environment variables (or a .env file beside this file); a
# variable still unset is an error, so `pmosync check -c THIS_FILE` names whatever is
# missing. `pmosync discover CONNECTOR -c THIS_FILE` lists the ids the credentials can see;
# write them here in place of the ${...} if you prefer.

store: sqlite:///pmosync.db          # or postgresql+psycopg://user@host/db
"""

_MICROSOFT = """
# One sign-in to Microsoft 365 for the Microsoft connectors and deliveries below (a
# connector may give its own). An app registration: docs/connect-microsoft.md.
microsoft:
  tenant_id: ${AZURE_TENANT_ID}
  client_id: ${AZURE_CLIENT_ID}
  client_secret: ${AZURE_CLIENT_SECRET}   # or certificate_path: app.pem
"""

_SECTIONS = {
    "asana": """
  # Asana: every project of one workspace. A token: docs/connect-asana.md.
  asana:
    type: asana
    token: ${ASANA_TOKEN}
    workspace: "${ASANA_WORKSPACE}"  # its gid: `pmosync discover asana` lists them
    # portfolios: ["..."]            # or projects: / teams: to sync only some projects
""",
    "planner": """
  # Microsoft Planner: the plans of Microsoft 365 groups, signed in as microsoft: says.
  planner:
    type: planner
    groups: ["${PLANNER_GROUP_ID}"]  # group ids: `pmosync discover planner` lists them
""",
    "planner_premium": """
  # Planner premium plans (formerly Project for the web), which Graph does not show: read
  # from the tables of a Dataverse environment, signed in as microsoft: says. The app needs
  # an application user there: docs/connect-microsoft.md.
  premium:
    type: planner_premium
    environment: ${DATAVERSE_ENVIRONMENT}  # https://<org>.crm4.dynamics.com
    # projects: ["..."]              # names or ids; none: every plan the app user can read
""",
    "sharepoint_files": """
  # Timesheet workbooks in a SharePoint folder (or team: + channel: for a Teams channel's
  # files), signed in as microsoft: says.
  timesheets:
    type: sharepoint_files
    site: "${SHAREPOINT_SITE}"       # host:/sites/name: `pmosync discover timesheets`
    folder: Timesheets
    kind: time
    columns:                         # canonical column -> the header in the workbooks
      person: Email
      date: Date
      hours: Hours
      project: Project
""",
    "files": """
  # Timesheet workbooks (XLSX, CSV) in a local or mounted folder.
  workbooks:
    type: files
    path: timesheets                 # relative to this file's folder
    kind: time
    columns:
      person: Email
      date: Date
      hours: Hours
      project: Project
""",
}

_REPORTS = """
# A first report, run by `pmosync run` (cron) or `pmosync daemon`; docs/reports.md.
reports:
  portfolio:
    kind: portfolio_status
    schedule: "0 7 * * MON"
    formats: [html, xlsx]
    deliver:
      - folder: {path: delivered}

sync:
  schedule: "0 * * * *"              # every hour, for `pmosync daemon`
"""


def starter_config(types: Sequence[str]) -> str:
    """The YAML for connectors of ``types`` (each once, in ``CONNECTOR_TYPES`` order); a
    ``ValueError`` names a type there is no section for."""
    unknown = [t for t in types if t not in CONNECTOR_TYPES]
    if unknown:
        raise ValueError(
            f"unknown connector type '{unknown[0]}' (known: {', '.join(sorted(CONNECTOR_TYPES))})"
        )
    chosen = [t for t in CONNECTOR_TYPES if t in types]
    text = _HEADER
    if {"planner", "planner_premium", "sharepoint_files"} & set(chosen):
        text += _MICROSOFT
    text += "\nconnectors:" + ("".join(_SECTIONS[t] for t in chosen) if chosen else " {}\n")
    return text + _REPORTS


def starter_variables(text: str) -> list[str]:
    """The variables a starter file refers to, in order of appearance."""
    import re

    return list(dict.fromkeys(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text)))
