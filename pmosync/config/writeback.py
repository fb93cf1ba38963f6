"""The ``writeback:`` block of a connector: what of the PMO's view pmosync may write into that
team's own tool, opt-in item by item.

Nothing is written unless its key is here. Every thing written is *owned* by pmosync: a status
update it posts, a custom field it alone sets, a Planner label or a task in a bucket it alone
uses. Owned things are never read back as the team's word (the connector skips them), and a
human edit of one since pmosync last wrote it is reported as a conflict, never overwritten.
The figures written are those of one report (``report``): its filters say which projects, its
rules what their computed RAG is.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from pmosync.config.errors import LocatedMessage, LocatedProblems
from pmosync.config.fields import ConfigModel, HttpUrl, NonEmptyStr, ReportName

WritebackRag = Literal["green", "amber", "red", "blue", "complete"]
"""The computed RAG's colours: what every owned value is written from."""

STATUS_PERIODS = ("week", "month")
PLANNER_CATEGORIES = tuple(f"category{n}" for n in range(1, 26))
"""Planner's 25 label slots (plan details' categoryDescriptions keys)."""
NUDGE_FINDINGS = ("unassigned_overdue", "undated_milestones")
"""The governance findings about one task (the others are about a project), which a comment
on that task can point out."""

ASANA_STATUS_TYPES: dict[str, str] = {
    "green": "on_track",
    "amber": "at_risk",
    "red": "off_track",
    "blue": "on_hold",
    "complete": "complete",
}
"""Computed RAG -> Asana status update ``status_type`` (the spec's five project types)."""

DEFAULT_RAG_OPTIONS: dict[str, str] = {
    "green": "Green",
    "amber": "Amber",
    "red": "Red",
    "blue": "On hold",
    "complete": "Complete",
}
"""Computed RAG -> the option name of a pmosync-owned single-select field, by default."""


def _fail(messages: list[LocatedMessage]) -> None:
    if messages:
        raise LocatedProblems(messages)


class WritebackBase(ConfigModel):
    """What every connector's write-back shares: whose figures, and where they link to."""

    report: ReportName = Field(
        description=(
            "The portfolio_status or board_pack report whose computed RAG and reasons are "
            "written: its filters choose the projects, its rules judge them."
        )
    )
    link: HttpUrl | None = Field(
        None,
        description=(
            "Link written with each status (the report's page for the PMO's readers); default: "
            "where the report's latest run was delivered on SharePoint, if anywhere."
        ),
    )


class AsanaStatusUpdates(ConfigModel):
    """A project status update (on_track / at_risk / off_track ...) posted by pmosync."""

    period: Literal["week", "month"] = Field(
        "week",
        description=(
            "Reporting period: at most one status update per project per period (ISO weeks, "
            "or calendar months, in the organisation's time zone)."
        ),
    )
    post: Literal["on_change", "every_period"] = Field(
        "on_change",
        description=(
            "on_change: post in a period only when the computed RAG or its reasons differ from "
            "pmosync's last update on the project; every_period: once in every period."
        ),
    )
    title: NonEmptyStr = Field(
        "PMO status: {rag}",
        description="Title of each update; {rag} is the colour's word, {period} the period.",
    )


class AsanaRagField(ConfigModel):
    """A single-select project custom field that only pmosync sets (e.g. "PMO RAG")."""

    field: NonEmptyStr = Field(
        description=(
            "Name or gid of the project custom field pmosync owns; it must not be the field "
            "the connector reads as the team's RAG (fields.rag)."
        )
    )
    options: dict[WritebackRag, NonEmptyStr] = Field(
        default={},
        description=(
            "Computed RAG -> the field's option name; adds to or overrides Green, Amber, Red, "
            "On hold, Complete."
        ),
    )

    def option_for(self, rag: str) -> str:
        """The option name ``rag`` is written as."""
        return self.options.get(rag) or DEFAULT_RAG_OPTIONS[rag]  # type: ignore[call-overload]


class AsanaNudges(ConfigModel):
    """Governance nudges: a comment on the task a governance finding is about."""

    findings: list[Literal["unassigned_overdue", "undated_milestones"]] = Field(
        default=["unassigned_overdue"],
        min_length=1,
        description=(
            "Which governance findings earn a comment on their task: unassigned_overdue "
            "(overdue with no assignee), undated_milestones (a milestone with no due date)."
        ),
    )
    max_per_run: int = Field(
        20, ge=1, le=500, description="At most this many comments per write-back run."
    )
    every_days: int = Field(
        14,
        ge=1,
        le=365,
        description="A task is nudged about the same finding at most once in this many days.",
    )


class AsanaWriteback(WritebackBase):
    """What pmosync writes into this Asana workspace; each key is opt-in."""

    status_updates: AsanaStatusUpdates | None = Field(
        None, description="Post the computed RAG as a project status update."
    )
    rag_field: AsanaRagField | None = Field(
        None, description="Set a pmosync-owned single-select project field to the computed RAG."
    )
    nudges: AsanaNudges | None = Field(
        None, description="Comment on tasks with governance findings (rate-capped)."
    )

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not (self.status_updates or self.rag_field or self.nudges):
            _fail([LocatedMessage((), "give status_updates, rag_field and/or nudges", at_key=True)])
        return self


class PlannerLabel(ConfigModel):
    """A plan label (category) pmosync owns: its name carries the computed RAG."""

    category: Literal[PLANNER_CATEGORIES] = Field(  # type: ignore[valid-type]
        "category25",
        description=(
            "The plan's label slot pmosync owns (category1..category25); its name is set to "
            "the text below, so every board's label list shows the PMO's status."
        ),
    )
    text: NonEmptyStr = Field(
        "PMO: {rag}", description="The label's name; {rag} is the colour's word."
    )


class PlannerStatusTask(ConfigModel):
    """A "PMO status" task pmosync owns, in a bucket only it uses."""

    bucket: NonEmptyStr = Field(
        "PMO",
        description=(
            "Name of the bucket pmosync keeps its status task in (created when missing); "
            "its tasks are never synced as the team's work."
        ),
    )
    title: NonEmptyStr = Field(
        "PMO status: {rag}", description="The task's title; {rag} is the colour's word."
    )


class PlannerWriteback(WritebackBase):
    """What pmosync writes into these Planner plans; each key is opt-in. Every write sends
    If-Match with the etag pmosync last saw."""

    label: PlannerLabel | None = Field(None, description="Name a pmosync-owned plan label.")
    status_task: PlannerStatusTask | None = Field(
        None, description="Keep a PMO status task in a pmosync-owned bucket."
    )

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not (self.label or self.status_task):
            _fail([LocatedMessage((), "give label and/or status_task", at_key=True)])
        return self


RAG_WORDS: dict[str, str] = {
    "green": "Green",
    "amber": "Amber",
    "red": "Red",
    "blue": "On hold",
    "complete": "Complete",
}
"""How ``{rag}`` reads in titles and labels."""
