"""Report job sections: what to compute, when, in which formats, and where to deliver it.

Checks that need the rest of the file (does the named connector exist, is there an smtp
section) live on the top-level model in ``models.py``; this module checks each report alone.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, Self

from pydantic import ConfigDict, Field, SecretStr, field_validator, model_validator

from pmosync.config.errors import LocatedMessage, LocatedProblems
from pmosync.config.fields import ConfigModel, Cron, Email, FolderTemplate, NonEmptyStr
from pmosync.config.interpolate import UNSET_REFERENCE

ReportKind = Literal[
    "portfolio_status",
    "resource_utilisation",
    "timesheet_compliance",
    "governance",
    "raid_log",
    "board_pack",
    "intake_pipeline",
]
ReportFormat = Literal["html", "xlsx", "csv", "json", "pdf"]
GovernanceCheck = Literal[
    "owner", "dates", "budget", "status_update", "unassigned_overdue", "undated_milestones"
]
GOVERNANCE_CHECKS: tuple[str, ...] = GovernanceCheck.__args__
ProjectStatus = Literal["active", "on_hold", "completed", "archived"]
DELIVERY_TARGETS = ("sharepoint", "email", "teams", "folder")


class Filters(ConfigModel):
    """Narrow a report; an empty list means no restriction."""

    portfolios: list[NonEmptyStr] = Field(
        default=[], description="Portfolio names or ids to include."
    )
    sources: list[NonEmptyStr] = Field(
        default=[], description="Connector names to include; each must be configured."
    )
    teams: list[NonEmptyStr] = Field(default=[], description="Team names to include.")


class SharePointDelivery(ConfigModel):
    """Upload the rendered files to a SharePoint document library folder."""

    site: NonEmptyStr = Field(
        description="SharePoint site, e.g. contoso.sharepoint.com:/sites/pmo."
    )
    folder: FolderTemplate = Field(
        description=(
            "Folder in the site's documents; may use {year}, {month}, {day} (zero-padded), "
            "{week} (ISO week with its year: 2026-W48), {date} (2026-11-23), {report}, {kind}, "
            "all from the report date."
        )
    )
    connector: NonEmptyStr | None = Field(
        None,
        description="Microsoft connector whose sign-in to use; needed only when there are several.",
    )
    list: NonEmptyStr | None = Field(
        None,
        description=(
            "A list on the same site (name or id) that gets one item per project and report "
            "date: Title, Report, AsOf, RAG, ComputedRAG, PercentComplete, Link."
        ),
    )


class MailRoute(ConfigModel):
    """How a message leaves: the smtp section, or Microsoft Graph sendMail from a mailbox."""

    via: Literal["smtp", "graph"] = Field(
        "smtp", description="smtp: the top-level smtp section; graph: Microsoft Graph sendMail."
    )
    sender: Email | None = Field(None, description="Mailbox to send from with via: graph.")
    connector: NonEmptyStr | None = Field(
        None,
        description="Microsoft connector for via: graph; needed only when there are several.",
    )


class EmailDelivery(MailRoute):
    """Send the report by email, through the smtp section or Microsoft Graph sendMail."""

    to: list[Email] = Field(min_length=1, description="Recipients.")
    cc: list[Email] = Field(default=[], description="Copy recipients.")
    subject: str | None = Field(
        None, description="Subject line; default names the report and its date."
    )


class TeamsDelivery(ConfigModel):
    """Post a summary card to a Teams channel through a Workflows webhook."""

    webhook_url: SecretStr = Field(
        description="Workflows webhook URL; it is a credential, so write ${TEAMS_WEBHOOK_URL}."
    )

    @field_validator("webhook_url")
    @classmethod
    def _https(cls, value: SecretStr) -> SecretStr:
        # Teams Workflows webhooks are HTTPS only; the value itself is never echoed. A
        # ${VAR} left unset is reported as such by the loader, not as a wrong scheme.
        text = value.get_secret_value()
        if not text.startswith("https://") and not UNSET_REFERENCE.match(text):
            raise ValueError("must be an https:// Workflows webhook URL")
        return value


class FolderDelivery(ConfigModel):
    """Write the rendered files to a local or mounted folder."""

    path: FolderTemplate = Field(
        description="Folder path; may use the same placeholders as the SharePoint folder."
    )


class Delivery(ConfigModel):
    """One delivery target: exactly one of sharepoint, email, teams or folder."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1, "maxProperties": 1})

    sharepoint: SharePointDelivery | None = Field(
        None, description="Upload to a SharePoint document library folder."
    )
    email: EmailDelivery | None = Field(None, description="Send by email (smtp or graph).")
    teams: TeamsDelivery | None = Field(None, description="Post a card to a Teams channel.")
    folder: FolderDelivery | None = Field(None, description="Write the files to a folder.")

    @model_validator(mode="before")
    @classmethod
    def _one_target(cls, data: object) -> object:
        if isinstance(data, dict):
            given = [key for key in data if key in DELIVERY_TARGETS]  # as written
            if len(given) > 1:
                message = (
                    f"one target per delivery item (found {' and '.join(given)}); "
                    "start a new '- ' item for each"
                )
                raise LocatedProblems(
                    [LocatedMessage((key,), message, at_key=True) for key in given[1:]]
                )
        return data

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.target is None:
            raise ValueError(f"needs one of {', '.join(DELIVERY_TARGETS)}")
        return self

    @property
    def kind(self) -> str:
        """Which target this is: sharepoint, email, teams or folder."""
        return next(key for key in DELIVERY_TARGETS if getattr(self, key) is not None)

    @property
    def target(
        self,
    ) -> SharePointDelivery | EmailDelivery | TeamsDelivery | FolderDelivery | None:
        """The one target model that is set."""
        for key in DELIVERY_TARGETS:
            value = getattr(self, key)
            if value is not None:
                return value
        return None


class RagRules(ConfigModel):
    """When the computed RAG turns amber or red; the worst rule wins and each names its reason."""

    slip_amber_pct: float = Field(
        10,
        ge=0,
        description=(
            "Schedule slip (planned % - earned %) / planned % at which a project is amber; "
            "the same as (PV-EV)/PV, and judged with or without a budget."
        ),
    )
    slip_red_pct: float = Field(25, ge=0, description="Schedule slip in percent for red.")
    spi_t_amber: float = Field(
        0.9,
        gt=0,
        description=(
            "Earned schedule: SPI(t) = ES / AT below this is amber (time-based, so it keeps "
            "seeing lateness after the planned finish, where SPI = EV/PV returns to 1)."
        ),
    )
    spi_t_red: float = Field(0.8, gt=0, description="SPI(t) below this is red.")
    past_finish_grace_days: int = Field(
        0,
        ge=0,
        description=(
            "Red when the report date is more than this many days past the project's baseline "
            "finish (without a baseline: its due date, else its last task due date) while "
            "work is still open."
        ),
    )
    overdue_milestones_amber: int = Field(
        1, ge=1, description="Overdue milestones (open, due before as_of) for amber."
    )
    overdue_milestones_red: int = Field(2, ge=1, description="Overdue milestones for red.")
    cpi_amber: float = Field(0.95, gt=0, description="CPI below this is amber.")
    cpi_red: float = Field(0.85, gt=0, description="CPI below this is red.")
    status_stale_days: int = Field(
        14,
        ge=1,
        description=(
            "Amber when the last status update is older than this (or none); only for projects "
            "whose tool has status updates (not Planner plans without a status source)."
        ),
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.slip_red_pct < self.slip_amber_pct:
            raise ValueError("slip_red_pct must be at least slip_amber_pct")
        if self.overdue_milestones_red < self.overdue_milestones_amber:
            raise ValueError("overdue_milestones_red must be at least overdue_milestones_amber")
        if self.cpi_red > self.cpi_amber:
            raise ValueError("cpi_red must be at most cpi_amber")
        if self.spi_t_red > self.spi_t_amber:
            raise ValueError("spi_t_red must be at most spi_t_amber")
        return self


class GovernanceRules(ConfigModel):
    """Which governance checks a report runs."""

    checks: list[GovernanceCheck] = Field(
        default=list(GOVERNANCE_CHECKS),
        description=(
            "owner: project without owner; dates: without start or due date; budget: without "
            "budget; status_update: none in status_update_days; unassigned_overdue: overdue "
            "tasks without assignee; undated_milestones: milestones without a due date."
        ),
    )
    status_update_days: int = Field(
        14, ge=1, description="A project needs a status update at least this often."
    )


ApprovalState = Literal["draft", "submitted", "approved", "rejected"]


class ComplianceRules(ConfigModel):
    """Which logged time counts towards a timesheet, and how close to the contract is enough."""

    count_approvals: list[ApprovalState] = Field(
        default=["submitted", "approved"],
        min_length=1,
        description=(
            "Approval states of time entries that count as logged (draft, submitted, approved, "
            "rejected); entries from a tool without approvals (no state) always count."
        ),
    )
    tolerance_hours: float = Field(
        0.5,
        ge=0,
        le=40,
        description=(
            "Hours a week may fall short of the expected hours and still be ok (39.75 of 40 is "
            "ok with 0.5)."
        ),
    )
    tolerance_pct: float = Field(
        0,
        ge=0,
        le=100,
        description=(
            "Percent of the expected hours a week may fall short and still be ok; the larger "
            "of this and tolerance_hours applies."
        ),
    )
    over_is_compliant: bool = Field(
        False,
        description=(
            "Whether a week logged above over_logged_pct of the expected hours counts as "
            "compliant (it is still shown as over)."
        ),
    )

    @field_validator("count_approvals")
    @classmethod
    def _dedupe_states(cls, states: list[str]) -> list[str]:
        return list(dict.fromkeys(states))


class RaidRules(ConfigModel):
    """What the RAID log (and the RAID section of portfolio status) shows and flags."""

    top: int = Field(
        10, ge=1, le=100, description="Risks listed under top risks (open, highest score first)."
    )
    high_score: int = Field(
        15,
        ge=1,
        le=25,
        description=(
            "A risk scoring at least this (probability x impact on the 5x5 matrix, 1-25) is a "
            "top risk: counted in the 'risks scoring N+' figure and named in the executive "
            "summary's new top risks. 15 takes in 3 x 5, 4 x 4 and worse."
        ),
    )
    decision_warning_days: int = Field(
        7,
        ge=0,
        le=365,
        description="An open decision due within this many days of the report date is due soon.",
    )


class ReportRules(ConfigModel):
    """Thresholds and windows of a report's metrics."""

    rag: RagRules = Field(
        default_factory=RagRules, description="When the computed RAG turns amber or red."
    )
    governance: GovernanceRules = Field(
        default_factory=GovernanceRules, description="Which governance checks run, and how."
    )
    weeks: int = Field(
        4, ge=1, le=52, description="Complete weeks shown by utilisation, compliance, throughput."
    )
    forward_weeks: int = Field(
        4,
        ge=0,
        le=26,
        description=(
            "Resource utilisation: weeks ahead shown in the capacity heat map (the week in "
            "progress first), loaded from allocations and the open estimates of assigned tasks."
        ),
    )
    period_days: int = Field(
        7, ge=1, le=366, description="'This period' (milestones completed, costs): days to as_of."
    )
    scurve_weeks: int | None = Field(
        13,
        ge=1,
        le=520,
        description=(
            "S-curves (PV, EV and AC per week): the week ends shown before as_of (a quarter by "
            "default), and at most as many ahead (PV to the planned finish); null: the whole "
            "plan, from its start."
        ),
    )
    mta_weeks: int = Field(
        12,
        ge=0,
        le=104,
        description=(
            "Milestone trend analysis: weekly report dates read back from as_of in the store's "
            "field history, besides the dates of the report's earlier runs."
        ),
    )
    min_ac_coverage_pct: float = Field(
        80,
        ge=0,
        le=100,
        description=(
            "Earned value: below this share of logged hours costed (AC coverage), CPI, CV, the "
            "EACs, ETC, VAC and TCPI are withheld (n/a, with the reason); between it and 100 % "
            "they are shown labelled partial."
        ),
    )
    rollup_statuses: list[ProjectStatus] = Field(
        default=["active"],
        min_length=1,
        description=(
            "Portfolio roll-ups: the project statuses (active, on_hold, completed, archived) "
            "whose figures add up in the totals (% complete, PV/EV/AC, SPI/CPI, hours, overdue "
            "milestones); projects of other statuses are still listed and counted by RAG."
        ),
    )
    under_use_pct: float = Field(
        60, ge=0, le=100, description="Logged hours below this percent of capacity: under-used."
    )
    over_logged_pct: float = Field(
        120,
        ge=100,
        description=(
            "Timesheet compliance: logged above this percent of the week's expected hours "
            "(contract less holidays and leave) is over."
        ),
    )
    compliance: ComplianceRules = Field(
        default_factory=ComplianceRules,
        description="Timesheet compliance: which approval states count, and the tolerance.",
    )
    raid: RaidRules = Field(
        default_factory=RaidRules,
        description="RAID log: how many top risks, the top-risk score, decision warnings.",
    )
    pack_projects: Literal["all", "red_amber"] = Field(
        "all",
        description=(
            "Board pack: which projects get a one-pager after the summary: all (red, then "
            "amber, then the rest) or red_amber (only those needing attention)."
        ),
    )


class TimesheetReminders(MailRoute):
    """Opt-in: a timesheet compliance run emails each person whose last complete week is
    missing or short one short reminder of their own (once per person and week)."""

    enabled: bool = Field(False, description="Send the reminders when the report runs.")
    subject: str | None = Field(
        None,
        description=(
            "Subject line; may use {week} (2026-W48) and {name}; default 'Timesheet reminder: "
            "week {week}'."
        ),
    )
    where_to_log: str | None = Field(
        None,
        description=(
            "One line telling people where to log their time (a URL or the tool's name); "
            "default: no such line."
        ),
    )
    cc: list[Email] = Field(
        default=[],
        description="Copy every reminder to these addresses (e.g. the PMO mailbox); default none.",
    )


class Report(ConfigModel):
    """A report job."""

    title: str | None = Field(None, description="Heading and email subject; default the name.")
    kind: ReportKind = Field(
        description=(
            "What to compute: portfolio_status (RAG, progress and earned value per project), "
            "resource_utilisation (capacity, allocated and logged hours per person and week), "
            "timesheet_compliance (missing, short and over-logged weeks per person), "
            "governance (projects failing the checks of rules.governance), raid_log (risks, "
            "assumptions, issues, decisions and change requests), board_pack (the executive "
            "summary and a one-pager per project, for the PDF) or intake_pipeline (project "
            "requests by stage and age, scored and ranked, and the selection that fits funding "
            "and people)."
        )
    )
    schedule: Cron | None = Field(
        None,
        description=(
            "When the daemon runs it (cron: 5 fields, or 6 with seconds first); none means on "
            "demand only."
        ),
    )
    formats: list[ReportFormat] = Field(
        default=["html"],
        min_length=1,
        description=(
            "Files to render: html (one self-contained page, also the email body), xlsx "
            "(a sheet per section), csv (a file per section), json (the figures), pdf (the "
            "page for print, rendered by WeasyPrint)."
        ),
    )
    csv_delimiter: Literal[",", ";", "\t"] = Field(
        ",",
        description=(
            "What separates the fields of the csv files: ';' for Excel set to a European "
            "locale (where ',' is the decimal comma and Excel splits on ';'), a tab for TSV."
        ),
    )
    as_of: dt.date | None = Field(
        None, description="Fixed report date (YYYY-MM-DD); default is the day it runs."
    )
    filters: Filters = Field(
        default_factory=Filters,
        description="Restrict the report to some portfolios, sources or teams.",
    )
    deliver: list[Delivery] = Field(
        default=[],
        description="Where to send it; each item has one of sharepoint, email, teams, folder.",
    )
    rules: ReportRules = Field(
        default_factory=ReportRules, description="Thresholds of the computed RAG and checks."
    )
    reminders: TimesheetReminders | None = Field(
        None,
        description=(
            "timesheet_compliance only: email each person with a missing or short last "
            "complete week a personal reminder (opt-in with enabled: true)."
        ),
    )

    @model_validator(mode="after")
    def _reminders_on_compliance(self) -> Self:
        if self.reminders is not None and self.kind != "timesheet_compliance":
            raise LocatedProblems(
                [
                    LocatedMessage(
                        ("reminders",),
                        "reminders go with a timesheet_compliance report only",
                        at_key=True,
                    )
                ]
            )
        return self

    @field_validator("formats")
    @classmethod
    def _dedupe_formats(cls, formats: list[str]) -> list[str]:
        return list(dict.fromkeys(formats))
