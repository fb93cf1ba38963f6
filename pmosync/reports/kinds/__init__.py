"""Report kinds: each turns a ``Dataset`` into a ``ReportDocument`` through the metrics.

A builder is ``build(dataset, context) -> ReportDocument``; it computes nothing itself beyond
arranging metric results into figures, sections and charts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from pmosync.config.intake import Intake
from pmosync.config.models import Resources
from pmosync.config.reports import ReportRules
from pmosync.reports.dataset import PROJECT_PARTS, Dataset
from pmosync.reports.document import (
    Chart,
    Figure,
    Highlight,
    ReportDocument,
    Section,
    TrendPoint,
)
from pmosync.reports.metrics.calendar import PLAIN, WorkingCalendar

if TYPE_CHECKING:
    from pmosync.reports.intake_scores import KeptScore
    from pmosync.reports.metrics.intake import Scored


@dataclass(frozen=True)
class ReportContext:
    """What a builder needs beyond the rows: who it is for, its rules, and its history."""

    name: str
    kind: str
    title: str
    generated_at: datetime
    rules: ReportRules = field(default_factory=ReportRules)
    resources: Resources = field(default_factory=Resources)
    filters: dict[str, list[str]] = field(default_factory=dict)
    history: tuple[TrendPoint, ...] = ()
    """Earlier runs of this report (as_of before this one's), oldest first, at most 12."""
    calendar: WorkingCalendar = PLAIN
    """The organisation's working calendar (weekend, public holidays, closure days) and zone:
    pass it to every metric that counts working days or turns an instant into a day."""
    timezone: tzinfo = UTC
    """The organisation's time zone (the same as ``calendar.zone``)."""
    intake: Intake = field(default_factory=Intake)
    """The ``intake:`` block: required fields, scoring models, capacity (intake_pipeline)."""
    previous_scores: Mapping[tuple[str, str], KeptScore] = field(default_factory=dict)
    """The latest score kept before this run per (request id, model): the scoreboard's
    change column (``reports.intake_scores``)."""
    scored: list[Scored] | None = None
    """Where the intake_pipeline builder leaves every score it computed, so the run keeps
    them (``intake_scores.keep_scores``) without scoring twice; None: no one keeps them."""

    def document(
        self,
        as_of: date,
        *,
        figures: tuple[Figure, ...],
        charts: tuple[Chart, ...],
        sections: tuple[Section, ...],
        trend: dict[str, Any],
        highlights: tuple[Highlight, ...] = (),
        previous_as_of: str | None = None,
    ) -> ReportDocument:
        """This report's document: the builder's figures under the context's name and header."""
        return ReportDocument(
            report=self.name,
            kind=self.kind,
            title=self.title,
            as_of=as_of.isoformat(),
            generated_at=self.generated_at.isoformat(),
            filters={key: list(values) for key, values in self.filters.items()},
            figures=figures,
            charts=charts,
            sections=sections,
            trend=trend,
            highlights=highlights,
            previous_as_of=previous_as_of,
        )


Builder = Callable[[Dataset, ReportContext], ReportDocument]

DATASET_PARTS: dict[str, tuple[str, ...]] = {
    "portfolio_status": PROJECT_PARTS,
    "resource_utilisation": ("time_entries", "allocations", "leave", "tasks"),
    "timesheet_compliance": ("time_entries", "leave"),
    "governance": ("tasks", "budgets", "status_updates"),
    "raid_log": ("raid_items",),
    "board_pack": PROJECT_PARTS,
    "intake_pipeline": (
        "requests",
        "request_history",
        "allocations",
        "leave",
        "budgets",
        "costs",
        "time_entries",
    ),
}
"""The dataset rows each kind reads (projects, portfolios and people always come)."""


def builder(kind: str) -> Builder:
    """The builder of ``kind`` (imported on demand: matplotlib-free, but not free)."""
    if kind == "portfolio_status":
        from pmosync.reports.kinds.portfolio_status import build
    elif kind == "resource_utilisation":
        from pmosync.reports.kinds.resource_utilisation import build
    elif kind == "timesheet_compliance":
        from pmosync.reports.kinds.timesheet_compliance import build
    elif kind == "governance":
        from pmosync.reports.kinds.governance import build
    elif kind == "raid_log":
        from pmosync.reports.kinds.raid_log import build
    elif kind == "board_pack":
        from pmosync.reports.kinds.board_pack import build
    elif kind == "intake_pipeline":
        from pmosync.reports.kinds.intake_pipeline import build
    else:
        raise ValueError(f"unknown report kind {kind!r}")
    return build
