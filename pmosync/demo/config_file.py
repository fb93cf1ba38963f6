"""``demo/pmosync.yaml`` and ``demo/.env``: the configuration a newcomer reads after the tour.

It is a real configuration, commented like one a PSO tool expert would write, pointing at the
sandboxes of this run; tokens go in ``.env`` beside it, never in the YAML. Each run rewrites
both, because the sandboxes listen on new ports each time.
"""

from __future__ import annotations

import json
from pathlib import Path

from pmosync.config import config_json_schema
from pmosync.demo.costs import COLUMNS as COST_COLUMNS
from pmosync.demo.costs import FOLDER as COST_FOLDER
from pmosync.demo.costs import SHEET as COST_SHEET
from pmosync.demo.world import ASANA_TOKEN, DATAVERSE_TOKEN, GRAPH_TOKEN, PMO_RAG_FIELD, World
from pmosync.sandbox.org.costing import RATE_LEVELS, ROLE_NAMES, role_of_rate
from pmosync.sandbox.tenant.intake_list import REQUESTS_LIST
from pmosync.sandbox.tenant.pmo_lists import HEALTH_LIST, LEAVE_LIST

CONFIG_FILE = "pmosync.yaml"
SCHEMA_FILE = "pmosync.schema.json"
ENV_FILE = ".env"
TOKEN_VARIABLES = ("ASANA_TOKEN", "GRAPH_TOKEN", "DATAVERSE_TOKEN")
PMO_SITE = "contoso.sharepoint.com:/sites/pmo"
PMO_MAILBOX = "pmo@contoso.example"
PMO_STATUS_LIST = "Project status"
"""The PMO site's list the portfolio report writes one item per project into."""
PREMIUM_CONNECTOR = "premium"
"""The connector of the Planner premium plans (the summary counts its projects)."""
INTAKE_REPORT = "intake"
"""The demo's intake pipeline report (the summary points at it)."""
WRITEBACK_REPORT = "portfolio"
"""The report whose computed RAG the demo writes back into Asana and Planner."""

_TEMPLATE = """\
# yaml-language-server: $schema=./pmosync.schema.json
#
# Written by `pmosync demo` for this run's sandboxes (it is rewritten by the next run: the
# sandboxes listen on new ports each time). Copy it as the start of your own configuration;
# docs/config.md explains every key. Tokens come from .env beside this file.

store: sqlite:///pmosync.db          # the canonical model, next to this file

# One sign-in to Microsoft 365 for the Planner and SharePoint connectors and the SharePoint
# delivery (a connector may still give its own). A real tenant needs an app registration:
# docs/connect-microsoft.md.
microsoft:
  token: ${{GRAPH_TOKEN}}            # the sandbox's; a tenant uses tenant_id, client_id, ...
  base_url: {graph_url}              # leave out for the real Microsoft Graph

connectors:
  # Asana: every project of the workspace (two portfolios), with time tracking and status
  # updates. A real one needs a token: docs/connect-asana.md.
  asana:
    type: asana
    token: ${{ASANA_TOKEN}}
    workspace: "{workspace}"
    base_url: {asana_url}            # leave out for the real Asana
    fields:                          # canonical field -> the workspace's custom field
      budget: Budget
      rag: Health
      estimate_hours: "Estimate (h)"
      priority: Priority
      percent_complete: "% Complete"
    rag_vocabulary:
      On track: green
      At risk: amber
      Off track: red
      On hold: blue
    # The RAID log: every task of the "RAID log" project, which names its delivery project in
    # a "Project" field, and tasks with "RAID type" set in delivery projects.
    raid:
      projects: ["{raid_log}"]
      type_field: RAID type
      project_field: Project
      fields: {{probability: Probability, impact: Impact, status: RAID status,
                mitigation: Mitigation, raised: Raised on}}
      type_vocabulary: {{Opportunity: risk}}   # a type the built-in names do not know
    # Project requests: every task of the "Project intake" project (the request form's
    # submissions); its board's sections are the stages, its custom fields the answers.
    intake:
      projects: ["{intake_project}"]
      fields: {{sponsor: Sponsor, estimated_cost: Estimated cost,
                estimated_benefit: Expected benefit, risk: Risk, target_start: Target start,
                target_end: Target end, project: Converted to}}
      criteria: {{strategic_fit: Strategic alignment, regulatory: Regulatory}}
      effort: {{Consultant: Consultant effort (d), Analyst: Analyst effort (d)}}
      effort_unit: days
    # Write-back (docs/writeback.md): after each run of the portfolio report, its computed RAG
    # goes back into Asana as a weekly status update (posted when the RAG or its reasons
    # change) and into the "{pmo_rag}" project field, which only pmosync sets. A human's edit
    # of that field is reported as a conflict and left alone.
    writeback:
      report: {writeback_report}
      status_updates: {{period: week, post: on_change, title: "PMO status: {{rag}}"}}
      rag_field: {{field: {pmo_rag}}}

  # Microsoft Planner: the plans of two Microsoft 365 groups, signed in as microsoft: says.
  # Planner has no status updates: the project managers write each plan's RAG into the PMO
  # site's "Project health" list, read here as the plans' status updates.
  planner:
    type: planner
    groups:
{groups}    rag_source:
      list:
        site: "{pmo_site}"
        list: {health_list}
        columns: {{project: Project, rag: RAG, text: Comment}}
    # The RAID log: each plan's "RAID log" bucket (the kind from the title: "Risk: ...",
    # "[Issue] ...", "Decision - ..."; "P3 I4" gives probability and impact), tasks labelled
    # "RAID risk" or "RAID issue" anywhere, and the PMO site's Risks and Issues lists, whose
    # columns are named by their internal names (Site settings > the column's URL: Field=).
    raid:
      bucket: RAID log
      label: {{risk: RAID risk, issue: RAID issue}}
      lists:
        - site: "{pmo_site}"
          list: Risks
          kind: risk                     # every item a risk
          columns: {{title: Title, project: Project, owner: Owner, status: Status0,
                     probability: Probability0, impact: Impact, mitigation: Mitigation,
                     raised: Date_x0020_raised, due: Due_x0020_date}}
        - site: "{pmo_site}"
          list: Issues                   # issues, decisions, assumptions, change requests
          columns: {{title: Title, type: IssueType, project: Project, owner: AssignedTo,
                     status: Status0, description: Description, resolution: Resolution,
                     due: Due_x0020_date, closed: Closed}}
    # Write-back: each plan's last label slot is named after the computed RAG ("PMO: Red"),
    # and a "PMO status" task in a "PMO" bucket (both pmosync's alone) carries the reasons.
    writeback:
      report: {writeback_report}
      label: {{category: category25, text: "PMO: {{rag}}"}}
      status_task: {{bucket: PMO, title: "PMO status: {{rag}}"}}

  # Planner premium plans (formerly Project for the web): Graph's Planner API does not show
  # them, so they are read from the tables of the Dataverse environment they live in, with
  # change tracking after the first sync. A real environment signs in as microsoft: says and
  # needs an application user with a read role: docs/connect-microsoft.md. A summary task's
  # effort is its subtasks' (never counted twice), a milestone is no work.
  {premium}:
    type: planner_premium
    environment: {dataverse_url}   # a real one: https://<org>.crm4.dynamics.com
    token: ${{DATAVERSE_TOKEN}}        # the sandbox's; leave out to sign in as microsoft: says
    # projects: ["..."]              # names or ids; none: every plan the app user can read

  # Weekly timesheet workbooks in the Operations team's "Timesheets" channel.
  timesheets:
    type: sharepoint_files
    team: Operations
    channel: Timesheets
    kind: time
    sheet: Entries
    columns:                         # canonical column -> header in the workbook
      person: Email
      date: Date
      hours: Hours
      project: Project
      task: Task
      billable: "Billable?"

  # Absences, kept by the PMO in its site's "Leave" list: capacity, utilisation and timesheet
  # compliance expect fewer hours from someone away.
  leave:
    type: sharepoint_files
    site: "{pmo_site}"
    list: {leave_list}
    kind: leave
    columns:
      person: Employee
      start: Start
      end: End
      hours_per_day: HoursPerDay
      kind: LeaveType

  # Project requests, collected in the PMO site's "Project requests" list: the intake
  # pipeline report scores them (criteria and effort by role, as the intake: models read them).
  requests:
    type: sharepoint_files
    site: "{pmo_site}"
    list: {requests_list}
    kind: request
    columns: {{title: Title, requester: Requester, sponsor: Sponsor, submitted: Submitted,
               stage: Stage, cost: EstimatedCost, benefit: ExpectedBenefit, start: TargetStart,
               end: TargetEnd, risk: Risk, project: ConvertedProject, description: Description}}
    criteria: {{strategic_fit: StrategicFit, regulatory: Regulatory}}
    effort: {{Consultant: ConsultantDays, Analyst: AnalystDays}}
    effort_unit: days
    stage_vocabulary: {{"Parked - awaiting funding": on_hold}}

  # The finance team's workbook of expenses and suppliers' invoices per project, in a local
  # folder beside this file (costs/). Costs in another currency are kept but not converted.
  costs:
    type: files
    path: {cost_folder}
    kind: cost
    sheet: {cost_sheet}
    default_currency: EUR
    columns:
{cost_columns}
# The email deliveries below go to the demo's local mail sink, which keeps each message
# as a file in out/mail/.
smtp:
  host: 127.0.0.1
  port: {smtp_port}
  security: none                     # a real relay: starttls or ssl, with username/password
  from: pmo-reports@contoso.example

resources:
  weekly_capacity_hours: 40
  # What an hour of each person's time costs, by role: logged hours x rate is the labour in
  # actual cost (Asana's budgets price time tracking at the same rates). A rate card may also
  # name a person or a project, and the days it applies (from/to).
  roles:
{roles}
  rate_cards:
{rate_cards}
  hourly_rates: {{currency: EUR, default: 85}}   # anyone without a role

# The organisation's clock and working days: report dates, the day a task was completed on and
# the schedules below are read in this zone (UTC, so the demo reads the same on any machine);
# the calendar says which days are worked: weekends and Germany's public holidays are not.
organisation:
  timezone: UTC
  calendar:
    weekend: [saturday, sunday]
    holidays: {{country: DE}}

# Project requests (the intake sources above map them): what a complete request holds, three
# scoring models the intake report ranks them by, and the money and people a selection must
# fit. Criteria are read under criteria.<name> (the sources' criteria: keys); effort by role
# uses the role names of resources.roles.
intake:
  currency: EUR
  required: [sponsor, estimated_cost, effort, target_start, criteria.strategic_fit]
  models:
    strategic:
      description: Alignment with the strategy and regulatory need.
      criteria:
        strategic_fit:
          weight: 50
          points: {{High: 10, Medium: 6, Low: 2}}
        regulatory:                  # yes/no, from a choice or a boolean column
          weight: 25
          points: {{"yes": 10, "no": 0}}
        sponsor:
          weight: 10
          source: sponsor
          points_if_set: 10
        risk:                        # 1 very low ... 5 very high
          weight: 15
          source: risk
          range: {{best: 1, worst: 5}}
      gates:
        - {{source: sponsor, set: true, label: a sponsor named}}
    financial:
      description: Return on the money.
      criteria:
        bcr:
          weight: 50
          source: bcr
          bands:                     # the points of the highest threshold met
            - {{at_least: 1, points: 3}}
            - {{at_least: 1.5, points: 6}}
            - {{at_least: 2.5, points: 10}}
        npv:
          weight: 30
          source: npv
          bands: [{{at_least: 0, points: 5}}, {{at_least: 250000, points: 10}}]
        estimated_cost:              # the cheaper the better, within reason
          weight: 20
          source: estimated_cost
          range: {{best: 25000, worst: 500000}}
      gates:
        - {{source: estimated_cost, at_most: 750000, label: within the PMO's approval limit}}
      finance: {{discount_rate: 0.08, years: 3}}
    balanced:
      description: Strategy, return and risk together; it ranks for the selection.
      criteria:
        strategic_fit:
          weight: 40
          points: {{High: 10, Medium: 6, Low: 2}}
        bcr:
          weight: 30
          source: bcr
          range: {{best: 3, worst: 0.5}}
        regulatory:
          weight: 15
          points: {{"yes": 10, "no": 0}}
        risk:
          weight: 15
          source: risk
          range: {{best: 1, worst: 5}}
      gates:
        - {{source: sponsor, set: true, label: a sponsor named}}
  capacity:
    model: balanced
    horizon_months: 12
    funding: 6000000                 # EUR over the horizon, before what projects still spend
    commitments: remaining_budgets

output_dir: out                      # every report run keeps its files in out/<report>-<date>/

reports:
  portfolio:
    title: Portfolio status
    kind: portfolio_status
    schedule: "0 7 * * MON"
    formats: [html, xlsx]
    deliver:
      - sharepoint:
          site: "{pmo_site}"
          folder: "Reports/{{year}}/{{week}}"
          list: {status_list}       # one list item per project and report date
      - email:
          to: [{pmo_mailbox}]
          subject: Weekly portfolio status

  utilisation:
    title: Resource utilisation
    kind: resource_utilisation
    schedule: "30 6 1 * *"
    formats: [html, xlsx]
    deliver:
      - email: {{to: [resourcing@contoso.example]}}

  timesheets:
    title: Timesheet compliance
    kind: timesheet_compliance
    schedule: "0 9 * * MON"
    formats: [html, csv]
    rules: {{weeks: 2}}
    deliver:
      - email: {{to: [{pmo_mailbox}]}}

  governance:
    title: PMO governance checks
    kind: governance
    schedule: "0 8 * * MON"
    formats: [html, xlsx]
    deliver:
      - sharepoint: {{site: "{pmo_site}", folder: "Reports/{{year}}/{{week}}"}}

  raid:
    title: RAID log
    kind: raid_log
    schedule: "15 8 * * MON"
    formats: [html, xlsx]
    rules: {{raid: {{top: 10, high_score: 15}}}}

  # Project requests by stage and age, ranked under each model of intake:, and the selection
  # that fits the funding and people left.
  {intake_report}:
    title: Intake pipeline
    kind: intake_pipeline
    schedule: "30 8 * * MON"
    formats: [html, xlsx]
    deliver:
      - email: {{to: [{pmo_mailbox}]}}

  # The board pack: the executive summary, then a one-pager per project (red, then amber,
  # then the rest), as a PDF to print and as a page.
  board:
    title: Board pack
    kind: board_pack
    schedule: "0 6 1 * *"            # monthly, before the board meets
    formats: [pdf, html]
    deliver:
      - sharepoint: {{site: "{pmo_site}", folder: "Reports/{{year}}/{{week}}"}}

sync:
  schedule: "*/30 * * * *"
"""


def write_config(folder: Path, world: World, smtp_port: int) -> Path:
    """Write ``pmosync.yaml``, its ``.env`` and the JSON Schema an editor completes it from
    into ``folder``; returns the YAML's path."""
    groups = "".join(f'      - "{group_id}"\n' for group_id in sorted(world.tenant.groups))
    org = world.org
    people = sorted(org.people.values(), key=lambda person: person.email)
    roles = "".join(f"    {p.email}: {role_of_rate(org.rates[p.gid])}\n" for p in people)
    cards = "".join(
        f"    - {{role: {role}, rate: {rate:g}, currency: EUR}}\n"
        for role, rate in zip(ROLE_NAMES, RATE_LEVELS, strict=True)
    )
    cost_columns = "".join(f'      {key}: "{header}"\n' for key, header in COST_COLUMNS.items())
    text = _TEMPLATE.format(
        workspace=world.org.workspace.gid,
        raid_log=world.org.raid_log_gid,
        intake_project=world.org.intake_gid,
        asana_url=world.asana.base_url,
        graph_url=world.graph.base_url,
        dataverse_url=world.dataverse.environment_url,
        premium=PREMIUM_CONNECTOR,
        groups=groups,
        roles=roles.rstrip("\n"),
        rate_cards=cards.rstrip("\n"),
        cost_folder=COST_FOLDER,
        cost_sheet=COST_SHEET,
        cost_columns=cost_columns.rstrip("\n"),
        smtp_port=smtp_port,
        pmo_site=PMO_SITE,
        health_list=HEALTH_LIST,
        leave_list=LEAVE_LIST,
        requests_list=REQUESTS_LIST,
        status_list=PMO_STATUS_LIST,
        pmo_mailbox=PMO_MAILBOX,
        intake_report=INTAKE_REPORT,
        writeback_report=WRITEBACK_REPORT,
        pmo_rag=PMO_RAG_FIELD,
    )
    path = folder / CONFIG_FILE
    path.write_text(text, encoding="utf-8")
    (folder / ENV_FILE).write_text(
        "# The sandboxes' tokens (a real token belongs here or in the environment, never in\n"
        "# the YAML).\n"
        f"ASANA_TOKEN={ASANA_TOKEN}\nGRAPH_TOKEN={GRAPH_TOKEN}\n"
        f"DATAVERSE_TOKEN={DATAVERSE_TOKEN}\n",
        encoding="utf-8",
    )
    schema = json.dumps(config_json_schema(), indent=2) + "\n"
    (folder / SCHEMA_FILE).write_text(schema, encoding="utf-8")
    return path
