"""Connector sections: one model per ``type``, chosen by the ``type`` key.

These models describe *what to fetch and how to sign in*; they know nothing about HTTP. Each
check that needs more than one key (only one Asana scope, exactly one Microsoft credential, the
columns a timesheet needs) raises ``LocatedProblems`` so the message points at the key that is
wrong rather than at the whole connector.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator

from pmosync.canonical.types import RAG, KnownPriority, RaidKind, RaidStatus
from pmosync.config.asana_intake import AsanaIntake
from pmosync.config.asana_raid import AsanaRaid
from pmosync.config.errors import LocatedMessage, LocatedProblems, did_you_mean
from pmosync.config.fields import (
    ConfigModel,
    Cron,
    Currency,
    Encoding,
    Gid,
    HttpUrl,
    NonEmptyStr,
    described_keys,
)
from pmosync.config.intake import IntakeSourceFields
from pmosync.config.writeback import AsanaWriteback, PlannerWriteback

AsanaField = Literal[
    "budget", "rag", "estimate_hours", "priority", "percent_complete", "start_date"
]
WorkbookKind = Literal["time", "cost", "budget", "leave", "request"]
PLANNER_PRIORITY_NUMBERS = frozenset(str(number) for number in range(11))
"""Planner's ``priority`` scale, as the keys of its ``priority_vocabulary``."""

#: Columns per workbook kind: (required, optional). Keys are canonical names; values in the
#: YAML are the header text in the user's workbook.
WORKBOOK_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "time": (
        ("person", "date", "hours", "project"),
        ("task", "billable", "approval", "description"),
    ),
    "cost": (
        ("date", "amount", "project"),
        ("currency", "category", "description", "person", "vendor"),
    ),
    "budget": (
        ("project", "amount"),
        ("currency", "line", "measure"),
    ),
    "leave": (
        ("person", "start", "end"),
        ("hours_per_day", "kind"),
    ),
    "request": (
        ("title",),
        ("id", "requester", "sponsor", "submitted", "stage", "cost", "benefit", "currency",
         "start", "end", "risk", "project", "description"),
    ),
}  # fmt: skip
ColumnKey = Literal[
    "person", "date", "hours", "project", "task", "billable", "approval", "description",
    "amount", "currency", "category", "vendor", "line", "measure",
    "start", "end", "hours_per_day", "kind",
    "title", "id", "requester", "sponsor", "submitted", "stage", "cost", "benefit", "risk",
]  # fmt: skip


#: What each canonical Asana field reads, shown on hover and in docs/config.md.
ASANA_FIELD_DESCRIPTIONS: dict[str, str] = {
    "budget": "Number custom field (with a currency) holding a project's budget.",
    "rag": "Enum or text custom field holding a project's RAG, read through rag_vocabulary.",
    "estimate_hours": "Number (hours) or duration (minutes) custom field: a task's estimate.",
    "priority": "Enum custom field: a task's priority, read through priority_vocabulary.",
    "percent_complete": "Percentage custom field: how far a task is done.",
    "start_date": "Date custom field: a task's start, read when Asana's own start date is empty.",
}

#: What each canonical workbook column holds; whether it is required is added per kind.
COLUMN_DESCRIPTIONS: dict[str, str] = {
    "person": "Email of the person who logged the hours (time), spent the money (cost) or is "
    "away (leave).",
    "date": "Day of the entry; more than a week ahead is refused as a typo.",
    "hours": "Hours worked (a number, or h:mm); at most 24 in a day.",
    "project": "Project name, or its id in its tool; must name a project another connector syncs "
    "(a request's project is the project it became, kept as written).",
    "task": "Task name within the project.",
    "billable": "Billable or not: yes/no, y/n, true/false, 1/0, or x for yes.",
    "approval": "Approval status: draft, submitted, approved or rejected.",
    "description": "Free text kept with the entry (a request's description; rich text is read as "
    "text).",
    "title": "The request's title (a formula-like title stays text).",
    "id": "The request's own id (REQ-012): a row keeps its identity when the sheet is sorted; "
    "without it a row is known by its file, sheet and row (a list item by its item id).",
    "requester": "Email of who asked (a Person column on a list).",
    "sponsor": "Email of the request's sponsor (a Person column on a list).",
    "submitted": "When the request was submitted (a date).",
    "stage": "The request's stage word, read through stage_vocabulary (empty: submitted).",
    "cost": "Estimated cost, optionally written with its currency (120 EUR); a list's currency "
    "column gives its currency by its locale.",
    "benefit": "Estimated benefit, as cost.",
    "risk": "Delivery risk: 1-5 or a word through risk_vocabulary (Low, High...).",
    "amount": "The amount spent, optionally written with its currency (120 EUR, € 120).",
    "currency": "Currency code of the amount (a request's cost and benefit); else the one written "
    "with it, else default_currency.",
    "category": "expense, invoice or labour; default invoice when a vendor is named, else expense.",
    "vendor": "Supplier name.",
    "line": "Budget line (CAPEX, OPEX, a phase): a project's lines add up; empty for a whole "
    "budget.",
    "measure": "money or hours; default money (hours budgets take no currency).",
    "start": "First day away (leave); the target start (request).",
    "end": "Last day away, inclusive (leave), a one-day absence has end equal to start; the "
    "target end (request).",
    "hours_per_day": "Hours away on each working day of the period; empty means whole days.",
    "kind": "What kind of absence (annual, sick, training), kept as written.",
}


def _column_description(key: str) -> str:
    """The column's meaning plus, per workbook kind, whether it is required."""
    roles = {
        kind: "required" if key in required else "optional"
        for kind, (required, optional) in WORKBOOK_COLUMNS.items()
        if key in required + optional
    }
    if len(roles) == len(WORKBOOK_COLUMNS) and len(set(roles.values())) == 1:
        said = next(iter(roles.values()))
    else:
        said = ", ".join(f"{role} for kind {kind}" for kind, role in roles.items())
    return f"{COLUMN_DESCRIPTIONS[key]} {said.capitalize()}."


def known_zone(value: str) -> str:
    """``value`` if it is an IANA time zone name, else the one-line complaint."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a time zone name (e.g. Europe/Paris or UTC)") from None
    return value


def planner_priorities(value: dict[str, str], scale: str) -> dict[str, str]:
    """``value`` if every key is a priority number of Planner's 0-10 scale, else the one-line
    complaint naming ``scale`` ("Planner priority", "priority")."""
    for number in value:
        if number not in PLANNER_PRIORITY_NUMBERS:
            raise ValueError(f"{number!r} is not a {scale} (a whole number from 0 to 10)")
    return value


def _fail(messages: list[LocatedMessage]) -> None:
    if messages:
        raise LocatedProblems(messages)


def schedule_field() -> Any:
    """Every connector's ``schedule`` key, last among its keys."""
    return Field(
        None,
        description=(
            "When this connector syncs, if not at sync.schedule (cron: 5 fields, or 6 with "
            "seconds first); each connector with its own schedule syncs on its own."
        ),
    )


class AsanaConnector(ConfigModel):
    """Projects, tasks, time entries and status updates from one Asana workspace."""

    type: Literal["asana"] = Field(description="Selects the Asana connector.")
    token: SecretStr = Field(
        description="Personal access or service-account token; write ${ASANA_TOKEN}, not the value."
    )
    workspace: Gid = Field(
        description="Gid (digits) of the Asana workspace; quote it so YAML keeps it as text."
    )
    base_url: HttpUrl = Field(
        "https://app.asana.com/api/1.0",
        description="API root; change only to point at a sandbox or proxy.",
    )
    portfolios: list[NonEmptyStr] = Field(
        default=[],
        description=(
            "Portfolio gids to sync (with their projects). Use at most one of "
            "portfolios/projects/teams; none means every project of the workspace."
        ),
    )
    projects: list[NonEmptyStr] = Field(default=[], description="Project gids to sync.")
    teams: list[NonEmptyStr] = Field(default=[], description="Team gids whose projects to sync.")
    fields: dict[AsanaField, NonEmptyStr] = Field(
        default={},
        json_schema_extra=described_keys(
            {key: ASANA_FIELD_DESCRIPTIONS[key] for key in AsanaField.__args__}
        ),
        description="Canonical field -> Asana custom field name or gid.",
    )
    rag_vocabulary: dict[str, RAG] = Field(
        default={},
        description=(
            "Option of the RAG custom field -> green, amber, red, blue or complete; adds to or "
            "overrides the built-in names (On track, At risk, Off track, On hold, Complete...)."
        ),
    )
    priority_vocabulary: dict[str, KnownPriority] = Field(
        default={},
        description=(
            "Option of the priority custom field -> low, medium, high or urgent; adds to or "
            "overrides the built-in names (Low, Medium, Normal, High, Important, Urgent, "
            "Critical). Any other option is stored as priority unknown, with a warning."
        ),
    )
    requests_per_minute: int = Field(
        1500,
        ge=1,
        le=1500,
        description="Client-side quota (Asana allows 150 on free plans, 1500 on paid plans).",
    )
    max_concurrency: int = Field(4, ge=1, le=50, description="Requests in flight at once.")
    time_entries_window_days: int = Field(
        30,
        ge=0,
        le=366,
        description="Days of time entries each sync re-reads (entries are edited after the fact).",
    )
    plan_refresh_minutes: int = Field(
        360,
        ge=0,
        le=10080,
        description="How often allocations and budgets (plan data) are re-read in full.",
    )
    modified_since_overlap_minutes: int = Field(
        5, ge=0, le=1440, description="Overlap on incremental task fetches, to absorb clock skew."
    )
    raid: AsanaRaid | None = Field(
        None,
        description=(
            "Where the workspace keeps its RAID log (a RAID project, a 'RAID type' field); "
            "none means no RAID items are read."
        ),
    )
    intake: AsanaIntake | None = Field(
        None,
        description=(
            "Where the workspace collects project requests (intake projects fed by a form); "
            "none means no requests are read."
        ),
    )
    writeback: AsanaWriteback | None = Field(
        None,
        description=(
            "What of the PMO's view pmosync writes back into this workspace (status updates, "
            "a pmosync-owned field, governance comments); none means nothing is ever written."
        ),
    )
    schedule: Cron | None = schedule_field()

    @property
    def yields_status_updates(self) -> bool:
        """Asana projects have dated status updates, which can go stale."""
        return True

    @model_validator(mode="after")
    def _one_scope(self) -> Self:
        given = [name for name in ("portfolios", "projects", "teams") if getattr(self, name)]
        _fail(
            [
                LocatedMessage(
                    (name,),
                    f"use only one of portfolios, projects or teams (found {' and '.join(given)})",
                    at_key=True,
                )
                for name in given[1:]
            ]
        )
        return self


class MicrosoftSignIn(ConfigModel):
    """Sign-in to Microsoft Entra ID: the credential of the top-level ``microsoft:`` block, or
    a Microsoft connector's own keys, which override the block's.

    Exactly one credential: an app secret, a certificate, a managed identity, or a static
    bearer token (for the sandbox and quick trials). Graph's connectors add Graph's URL and
    quota (``MicrosoftAuth``); the Dataverse connector signs in the same way to its own
    environment.
    """

    #: The top-level block must say how to sign in; a connector may leave it to the block,
    #: so its checks wait until ``PmosyncConfig`` has filled in what the block shares.
    credential_required: ClassVar[bool] = True

    tenant_id: NonEmptyStr | None = Field(
        None,
        description="Directory (tenant) id; required with client_secret or certificate_path.",
    )
    client_id: NonEmptyStr | None = Field(
        None,
        description="Application (client) id; required with client_secret or certificate_path.",
    )
    client_secret: SecretStr | None = Field(
        None, description="App registration secret; write ${AZURE_CLIENT_SECRET}."
    )
    certificate_path: NonEmptyStr | None = Field(
        None,
        description=(
            "PEM file holding the certificate (uploaded to the app registration) and its "
            "private key; a relative path is read from this file's folder."
        ),
    )
    managed_identity: bool = Field(
        False, description="Sign in with the Azure managed identity of the host."
    )
    token: SecretStr | None = Field(
        None, description="A static bearer token (sandbox, short trials)."
    )

    def credentials_given(self) -> list[str]:
        """The ways to sign in this section names (one, when it is valid)."""
        return [name for name in MICROSOFT_CREDENTIALS if getattr(self, name)]

    def sign_in_problems(self) -> list[LocatedMessage]:
        """What keeps this section from signing in: no credential, or an app credential
        without its tenant and client ids."""
        given = self.credentials_given()
        if not given:
            choices = "client_secret, certificate_path, managed_identity: true or token"
            where = "" if self.credential_required else " (here or in a top-level 'microsoft:')"
            text = f"needs a way to sign in: one of {choices}{where}"
            return [LocatedMessage((), text, at_key=True)]
        if given[0] not in ("client_secret", "certificate_path"):
            return []
        return [
            LocatedMessage((), f"missing required key '{name}' (needed with {given[0]})", True)
            for name in ("tenant_id", "client_id")
            if getattr(self, name) is None
        ]

    @model_validator(mode="after")
    def _one_credential(self) -> Self:
        given = self.credentials_given()
        messages = [
            LocatedMessage(
                (name,), f"use only one way to sign in (found {' and '.join(given)})", at_key=True
            )
            for name in given[1:]
        ]
        if not messages and self.credential_required:
            messages = self.sign_in_problems()
        _fail(messages)
        return self


class MicrosoftAuth(MicrosoftSignIn):
    """Sign-in to Microsoft Graph: the top-level ``microsoft:`` block, or a Graph connector's
    own keys (planner, sharepoint_files), which override the block's.

    A planner_premium connector takes only the block's tenant_id, client_id and credential
    (the same app registration signs in to Dataverse); Graph's base_url and quota are not
    Dataverse's."""

    base_url: HttpUrl = Field(
        "https://graph.microsoft.com/v1.0",
        description="Graph API root; change only to point at a sandbox or proxy.",
    )
    requests_per_minute: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description=(
            "Client-side quota; Graph publishes none for Planner and files, and 429s are "
            "honoured either way. Set it to leave room for other apps of the tenant."
        ),
    )


INTAKE_KEYS = tuple(IntakeSourceFields.model_fields)
"""The keys of an intake source (criteria, effort...): a workbook's only with kind request."""


class WorkbookSource(IntakeSourceFields):
    """Timesheet, cost, budget, leave or request workbooks (XLSX/CSV), or a SharePoint list's
    items as rows: which columns mean what."""

    kind: WorkbookKind = Field(
        "time",
        description=(
            "time: timesheet rows (person, date, hours, project); cost: expenses; budget: "
            "project budgets (project, amount, optional line), one row per budget or line; leave: "
            "absences (person, start, end, optional hours_per_day and kind); request: project "
            "requests (title, optional id, requester, sponsor, stage, cost, benefit...), with "
            "criteria and effort columns."
        ),
    )
    columns: dict[ColumnKey, NonEmptyStr] = Field(
        json_schema_extra=described_keys(
            {key: _column_description(key) for key in ColumnKey.__args__}
        ),
        description="Canonical column -> header text in the workbook.",
    )
    sheet: NonEmptyStr | None = Field(
        None, description="Worksheet name; default is the first sheet."
    )
    patterns: list[NonEmptyStr] = Field(
        default=["*.xlsx", "*.csv"],
        min_length=1,
        description="File name patterns of the workbooks to read (XLSX and CSV).",
    )
    default_currency: Currency | None = Field(
        None, description="Currency for amounts without one (ISO code such as EUR)."
    )
    max_unpacked_mb: int = Field(
        200,
        ge=1,
        le=4096,
        description="Largest file read, in MB: an XLSX's XML as it unpacks (counted while it "
        "unpacks), a CSV's size; a SharePoint file larger than this is not even downloaded. A "
        "file over it is refused with one line; the others are read.",
    )
    max_rows: int = Field(
        1_048_576,
        ge=1,
        le=10_000_000,
        description="Most rows a sheet or CSV file may have (default: Excel's own limit); a "
        "file with more is refused with one line.",
    )
    max_cell_chars: int = Field(
        32_767,
        ge=1,
        le=100_000,
        description="Most characters one cell may hold (default: Excel's own limit); a file "
        "with a longer cell is refused with one line.",
    )

    @property
    def yields_status_updates(self) -> bool:
        """Workbooks and lists of rows hold no project status."""
        return False

    @property
    def read_columns(self) -> dict[str, str]:
        """Every column a row is read by: ``columns``, and for kind request each criterion's
        (``criteria.<name>``) and role's effort (``effort.<role>``)."""
        if self.kind != "request":
            return dict(self.columns)
        return {
            **self.columns,
            **{f"criteria.{name}": column for name, column in self.criteria.items()},
            **{f"effort.{role}": column for role, column in self.effort.items()},
        }

    @model_validator(mode="after")
    def _columns_fit_kind(self) -> Self:
        required, optional = WORKBOOK_COLUMNS[self.kind]
        messages = [
            LocatedMessage((key,), f"'{key}' needs kind request (found kind {self.kind})", True)
            for key in INTAKE_KEYS
            if key in self.model_fields_set and self.kind != "request"
        ]
        for key in self.columns:
            if key not in required + optional:
                allowed = ", ".join(required + optional)
                hint = did_you_mean(key, required + optional)
                messages.append(
                    LocatedMessage(
                        ("columns", key),
                        f"'{key}' is not a column of kind {self.kind}{hint} (allowed: {allowed})",
                        at_key=True,
                    )
                )
        missing = [key for key in required if key not in self.columns]
        if missing:
            names = ", ".join(f"'{key}'" for key in missing)
            plural = "s" if len(missing) > 1 else ""
            messages.append(
                LocatedMessage(
                    ("columns",),
                    f"missing required column{plural} {names} for kind {self.kind}",
                    at_key=True,
                )
            )
        _fail(messages)
        return self


STATUS_LIST_COLUMNS: dict[str, str] = {
    "project": "Column naming the project: the plan's title, as the project manager types it.",
    "rag": "Column holding the RAG word (On track, At risk, Green...), read through "
    "rag_vocabulary.",
    "text": "Column holding the comment kept as the status update's text.",
}
StatusListColumn = Literal["project", "rag", "text"]


class StatusList(ConfigModel):
    """A SharePoint list where project managers write their project's status, one item per
    update: each item becomes a status update dated by its last modification."""

    site: NonEmptyStr = Field(
        description="SharePoint site holding the list, e.g. contoso.sharepoint.com:/sites/pmo."
    )
    list: NonEmptyStr = Field(description="The list's name (or id), e.g. Project health.")
    columns: dict[StatusListColumn, NonEmptyStr] = Field(
        default={"project": "Project", "rag": "RAG", "text": "Comment"},
        json_schema_extra=described_keys(STATUS_LIST_COLUMNS),
        description="Canonical column -> the list column's internal name (project, rag, text).",
    )

    @field_validator("columns")
    @classmethod
    def _needs_project_and_rag(cls, value: dict[str, str]) -> dict[str, str]:
        missing = [key for key in ("project", "rag") if key not in value]
        if missing:
            raise ValueError(f"missing required column {' and '.join(repr(k) for k in missing)}")
        return value


RAG_SOURCE_KINDS = ("label", "task", "bucket", "list")


class PlannerRagSource(ConfigModel):
    """Where a Planner plan's RAG is written, since Planner has no status updates: exactly
    one of label, task, bucket or list."""

    label: NonEmptyStr | None = Field(
        None,
        description=(
            "Title of each plan's status task: the plan label (category) applied to it gives "
            "the RAG, read through rag_vocabulary (labels On track / At risk / Off track)."
        ),
    )
    task: NonEmptyStr | None = Field(
        None,
        description=(
            "Start of the title of each plan's status task, whose rest is the RAG word: with "
            "task: Status, a task titled 'Status: At risk' reads amber."
        ),
    )
    bucket: NonEmptyStr | None = Field(
        None,
        description=(
            "Name of each plan's status bucket: the title of its first task (in board order) "
            "starts with the RAG word ('Off track - vendor late' reads red)."
        ),
    )
    list: StatusList | None = Field(
        None,
        description=(
            "A SharePoint list the project managers write status items into (needs "
            "Sites.Read.All); each item is a status update, so staleness applies."
        ),
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        given = [kind for kind in RAG_SOURCE_KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            found = " and ".join(given) if given else "none"
            _fail(
                [
                    LocatedMessage(
                        (),
                        f"give exactly one of label, task, bucket or list (found {found})",
                        at_key=True,
                    )
                ]
            )
        return self

    @property
    def kind(self) -> str:
        """Which of label, task, bucket or list this source is."""
        return next(kind for kind in RAG_SOURCE_KINDS if getattr(self, kind) is not None)


RAID_LIST_COLUMNS: dict[str, str] = {
    "title": "Column holding the item's title (default Title).",
    "type": "Column whose value gives each item's kind (risk, issue...), through "
    "kind_vocabulary; instead of the list's kind.",
    "project": "Column naming the plan the item belongs to (its title, any case); an item "
    "naming no synced plan is portfolio-wide.",
    "owner": "Person column of the item's owner.",
    "status": "Column of the item's status, through status_vocabulary (empty: open).",
    "probability": "Number 1-5 or a word through rating_vocabulary (Low, High...).",
    "impact": "Number 1-5 or a word through rating_vocabulary.",
    "score": "The list's own score, a number 1-25 (default: probability x impact).",
    "description": "Text or multi-line (rich) text describing the item.",
    "mitigation": "A risk's response plan, an issue's action (rich text is read as text).",
    "resolution": "How an issue was resolved, what a decision decided.",
    "raised": "Date column: when the item was raised (default: when it was created).",
    "due": "Date column: when the mitigation, resolution or decision is due.",
    "closed": "Date column: when the item was closed.",
}
RaidListColumn = Literal[
    "title", "type", "project", "owner", "status", "probability", "impact", "score",
    "description", "mitigation", "resolution", "raised", "due", "closed",
]  # fmt: skip


class RaidList(ConfigModel):
    """A SharePoint list kept as a RAID log ("Risks", "Issues"): each item is a RAID item,
    read in full on every sync (an item deleted there retires its record)."""

    site: NonEmptyStr = Field(
        description="SharePoint site holding the list, e.g. contoso.sharepoint.com:/sites/pmo."
    )
    list: NonEmptyStr = Field(description="The list's name (or id), e.g. Risks.")
    kind: RaidKind | None = Field(
        None,
        description=(
            "The kind of every item of the list (risk, issue, assumption, decision, "
            "change_request), e.g. risk for a Risks list; or give a type column instead."
        ),
    )
    columns: dict[RaidListColumn, NonEmptyStr] = Field(
        default={"title": "Title"},
        json_schema_extra=described_keys(RAID_LIST_COLUMNS),
        description=(
            "Canonical field -> the list column's internal name (as Graph gives it, e.g. "
            "Probability0 or Due_x0020_date); fields not named are left empty."
        ),
    )

    @model_validator(mode="after")
    def _kind_or_type(self) -> Self:
        if (self.kind is None) == ("type" not in self.columns):
            message = "give either kind (every item's) or a 'type' column, exactly one"
            _fail([LocatedMessage(("kind",), message, at_key=True)])
        return self


class PlannerRaid(ConfigModel):
    """Where the plans' RAID log is kept: a RAID bucket in each plan, RAID labels on tasks,
    and/or SharePoint lists."""

    bucket: NonEmptyStr | None = Field(
        None,
        description=(
            "Name of each plan's RAID bucket (any case): its tasks are RAID items, not work "
            "tasks; each one's kind comes from a RAID label or a title prefix such as "
            "'Risk: ...' or '[Issue] ...' (through kind_vocabulary)."
        ),
    )
    label: dict[RaidKind, NonEmptyStr] = Field(
        default={},
        description=(
            "RAID kind -> a plan label (category) name, e.g. {risk: Risk, issue: Issue}: a "
            "task carrying one of them, in any bucket, is a RAID item of that kind."
        ),
    )
    lists: list[RaidList] = Field(
        default=[],
        description=(
            "SharePoint lists kept as RAID logs (needs Sites.Read.All), each with a fixed "
            "kind or a type column, and the list's columns by internal name."
        ),
    )
    kind_vocabulary: dict[str, RaidKind] = Field(
        default={},
        description=(
            "Title prefix or type-column value -> RAID kind; adds to the built-in names "
            "(Risk, Issue, Assumption, Decision, Change request, CR, and plurals)."
        ),
    )
    status_vocabulary: dict[str, RaidStatus] = Field(
        default={},
        description=(
            "Status-column value -> open, in_progress or closed; adds to the built-in names "
            "(Open, New, Active, In progress, Monitoring, Mitigating, Closed, Resolved...)."
        ),
    )
    rating_vocabulary: dict[str, Annotated[int, Field(ge=1, le=5)]] = Field(
        default={},
        description=(
            "Probability or impact word -> 1-5; adds to the built-in names (Very low 1, "
            "Low 2, Medium 3, High 4, Very high 5, and 1 - Low style choices)."
        ),
    )

    @model_validator(mode="after")
    def _somewhere(self) -> Self:
        if self.bucket is None and not self.label and not self.lists:
            message = "give at least one of bucket, label or lists"
            _fail([LocatedMessage((), message, at_key=True)])
        return self


class PlannerConnector(MicrosoftAuth):
    """Plans, buckets and tasks of Microsoft Planner, per Microsoft 365 group."""

    credential_required: ClassVar[bool] = False

    type: Literal["planner"] = Field(description="Selects the Microsoft Planner connector.")
    groups: list[NonEmptyStr] = Field(
        min_length=1, description="Microsoft 365 group ids whose plans to sync."
    )
    task_details: bool = Field(
        False,
        description=(
            "Also read tasks' details (description, checklist), 20 per $batch request: on every "
            "sync those of new and changed tasks, and every task's once per "
            "details_refresh_hours, so an edit of only the details reaches an incremental sync."
        ),
    )
    details_refresh_hours: float = Field(
        24,
        ge=0,
        le=24 * 31,
        description=(
            "With task_details: how often an incremental sync reads every task's details, to "
            "catch an edit of only a description or checklist item (Graph leaves the task's "
            "etag alone then); 0 reads them all on every sync (one $batch per 20 tasks each "
            "time). Between those sweeps only new and changed tasks' details are read."
        ),
    )
    group_as_portfolio: bool = Field(
        True, description="Report each group as a portfolio holding its plans."
    )
    milestone_category: NonEmptyStr | None = Field(
        "Milestone",
        description="Label of the plan category that marks a task as a milestone.",
    )
    timezone: NonEmptyStr = Field(
        "UTC",
        description=(
            "Time zone the plans are used in (IANA name, e.g. Europe/Paris): Planner stores a "
            "picked start or due date as midnight there, in UTC, so dates are read in this zone. "
            "Default: organisation.timezone when it is set, else UTC."
        ),
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)

    priority_vocabulary: dict[str, KnownPriority] = Field(
        default={},
        description=(
            "Planner priority number (0-10) -> low, medium, high or urgent; overrides Graph's "
            "bands (0-1 urgent, 2-4 important = high, 5-7 medium, 8-10 low). Any other value "
            "is stored as priority unknown, with a warning."
        ),
    )

    @field_validator("priority_vocabulary")
    @classmethod
    def _planner_priority_numbers(cls, value: dict[str, str]) -> dict[str, str]:
        return planner_priorities(value, "Planner priority")

    rag_source: PlannerRagSource | None = Field(
        None,
        description=(
            "Where each plan's RAG is read (Planner has no status updates): a label on a "
            "status task, a status task's title, a status bucket, or a SharePoint list. "
            "Without it plans have no reported RAG."
        ),
    )
    rag_vocabulary: dict[str, RAG] = Field(
        default={},
        description=(
            "Word or label of the rag_source -> green, amber, red, blue or complete; adds to "
            "or overrides the built-in names (On track, At risk, Off track, On hold, Green, "
            "Amber, Red...)."
        ),
    )
    raid: PlannerRaid | None = Field(
        None,
        description=(
            "The plans' RAID log (risks, issues, assumptions, decisions, change requests): "
            "a RAID bucket, RAID labels and/or SharePoint lists. Without it, no RAID items."
        ),
    )
    writeback: PlannerWriteback | None = Field(
        None,
        description=(
            "What of the PMO's view pmosync writes back into these plans (a label, a PMO "
            "status task), always with If-Match; none means nothing is ever written."
        ),
    )
    max_concurrency: int = Field(4, ge=1, le=50, description="Requests in flight at once.")
    schedule: Cron | None = schedule_field()

    @property
    def yields_status_updates(self) -> bool:
        """Only a status list gives dated updates that can go stale; labels and titles are
        a health field."""
        return self.rag_source is not None and self.rag_source.list is not None


class PlannerPremiumConnector(MicrosoftSignIn):
    """Planner premium plans (formerly Project for the web), read from the Dataverse tables of
    a Power Platform environment. Graph's Planner API does not show them."""

    credential_required: ClassVar[bool] = False
    shared_keys: ClassVar[tuple[str, ...]] = ("tenant_id", "client_id")

    type: Literal["planner_premium"] = Field(
        description="Selects the Planner premium plans (Dataverse) connector."
    )
    environment: HttpUrl = Field(
        description=(
            "The Dataverse environment's URL, e.g. https://contoso.crm4.dynamics.com (Power "
            "Platform admin center > the environment > Environment URL). The Web API is read "
            "at {environment}/api/data/v9.2; the token's scope is {environment}/.default."
        )
    )
    projects: list[NonEmptyStr] = Field(
        default=[],
        description=(
            "Premium plans to sync, by name or id (msdyn_projectid); none: every plan the "
            "application user can read."
        ),
    )
    page_size: int = Field(
        500,
        ge=1,
        le=5000,
        description=(
            "Rows per page (Prefer: odata.maxpagesize; Dataverse's own limit is 5000). Smaller "
            "pages keep each request short and memory low; larger ones cost fewer requests."
        ),
    )
    timezone: NonEmptyStr = Field(
        "UTC",
        description=(
            "Time zone the plans are scheduled in (IANA name, e.g. Europe/Paris): Dataverse "
            "keeps a task's start and finish as UTC times, read as days in this zone. Default: "
            "organisation.timezone when it is set, else UTC."
        ),
    )
    requests_per_minute: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description=(
            "Client-side quota. Dataverse's service protection allows 6,000 requests and 20 "
            "minutes of execution time per user in 5 minutes and answers 429 with Retry-After "
            "past them (honoured either way); set it to leave room for other apps."
        ),
    )
    priority_vocabulary: dict[str, KnownPriority] = Field(
        default={},
        description=(
            "Task priority number (msdyn_priority, 0-10) -> low, medium, high or urgent; "
            "overrides the bands the plans' UI uses (0-1 urgent, 2-4 important = high, 5-7 "
            "medium, 8-10 low)."
        ),
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)

    @field_validator("priority_vocabulary")
    @classmethod
    def _priority_numbers(cls, value: dict[str, str]) -> dict[str, str]:
        return planner_priorities(value, "priority")

    schedule: Cron | None = schedule_field()

    @property
    def yields_status_updates(self) -> bool:
        """Premium plans have no dated status updates, so none can go stale."""
        return False

    @property
    def environment_url(self) -> str:
        """The environment's URL without a trailing slash (pydantic adds one to a bare host):
        the root of record links, the token's scope and the Web API."""
        return str(self.environment).rstrip("/")

    @property
    def api_url(self) -> str:
        """The Web API root: ``{environment}/api/data/v9.2``."""
        return f"{self.environment_url}/api/data/v9.2"


class SharePointFilesConnector(MicrosoftAuth, WorkbookSource):
    """Workbooks kept in a SharePoint library folder or a Teams channel's files."""

    credential_required: ClassVar[bool] = False

    type: Literal["sharepoint_files"] = Field(
        description="Selects the SharePoint/Teams files connector."
    )
    site: NonEmptyStr | None = Field(
        None,
        description="SharePoint site, e.g. contoso.sharepoint.com:/sites/ops (use with folder).",
    )
    team: NonEmptyStr | None = Field(
        None, description="Team name or id (use with channel) instead of site."
    )
    channel: NonEmptyStr | None = Field(None, description="Channel whose files hold the workbooks.")
    folder: NonEmptyStr | None = Field(
        None, description="Folder in the site's documents, or inside the channel's files."
    )
    list: NonEmptyStr | None = Field(
        None,
        description=(
            "A SharePoint list of the site (name or id) whose items are the rows, instead of "
            "a folder of workbooks (e.g. a Leave list); columns name the list's columns by "
            "their internal names. Needs Sites.Read.All."
        ),
    )
    timezone: NonEmptyStr = Field(
        "UTC",
        description=(
            "With list: the site's regional time zone (IANA name). SharePoint keeps a date "
            "column's day as midnight there, in UTC, so list dates are read in this zone. "
            "Default: organisation.timezone when it is set, else UTC."
        ),
    )

    schedule: Cron | None = schedule_field()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)

    @model_validator(mode="after")
    def _one_location(self) -> Self:
        if self.site is not None and self.team is not None:
            message = "give either site + folder or team + channel, not both"
            _fail([LocatedMessage(("team",), message, at_key=True)])
        if self.site is None and self.team is None:
            message = "needs a location: site + folder, site + list, or team + channel"
            _fail([LocatedMessage((), message, at_key=True)])
        if self.list is not None and (self.site is None or self.folder is not None):
            message = "list needs site and no folder (a list's items are the rows)"
            _fail([LocatedMessage(("list",), message, at_key=True)])
        if self.site is not None and self.folder is None and self.list is None:
            message = "missing required key 'folder' or 'list' (needed with site)"
            _fail([LocatedMessage((), message, True)])
        if self.team is not None and self.channel is None:
            _fail([LocatedMessage((), "missing required key 'channel' (needed with team)", True)])
        if self.channel is not None and self.team is None:
            _fail([LocatedMessage(("channel",), "channel needs team", at_key=True)])
        return self


class FilesConnector(WorkbookSource):
    """Workbooks in a local or mounted folder."""

    type: Literal["files"] = Field(description="Selects the local files connector.")
    path: NonEmptyStr = Field(
        description="A folder (files matching patterns) or a glob such as /data/timesheets/*.xlsx."
    )
    encoding: Encoding | None = Field(
        None, description="Text encoding of CSV files; default is to detect it."
    )
    schedule: Cron | None = schedule_field()


Connector = Annotated[
    AsanaConnector
    | PlannerConnector
    | PlannerPremiumConnector
    | SharePointFilesConnector
    | FilesConnector,
    Field(discriminator="type"),
]
MICROSOFT_TYPES = ("planner", "sharepoint_files")
"""The connectors that sign in to Microsoft Graph (a delivery may sign in through one)."""
MICROSOFT_CREDENTIALS = ("client_secret", "certificate_path", "managed_identity", "token")
"""The ways to sign in to Microsoft Graph; a section names exactly one."""
MICROSOFT_SHARED = ("tenant_id", "client_id", "base_url", "requests_per_minute")
"""Keys a Graph connector takes from the top-level ``microsoft:`` block when it leaves them out
(a connector's ``shared_keys``: planner_premium takes only the tenant and client ids, its host
and quota being Dataverse's)."""
