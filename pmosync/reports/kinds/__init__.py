"""Report kinds: each turns a ``Dataset`` into a ``ReportDocument`` through the metrics.

A builder is ``build(dataset, context) -> ReportDocument``; it computes nothing itself beyond
arranging metric results into figures, sections and charts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from pmosync.config.models import Resources
from pmosync.config.reports import ReportRules
from pmosync.reports.dataset import PARTS, Dataset
from pmosync.reports.document import (
    Chart,
    Figure,
    Highlight,
    ReportDocument,
    Section,
    TrendPoint,
)
from pmosync.reports.metrics.calendar import PLAIN, WorkingCalendar


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
    "portfolio_status": PARTS,
    "resource_utilisation": ("time_entries", "allocations", "leave", "tasks"),
    "timesheet_compliance": ("time_entries", "leave"),
    "governance": ("tasks", "budgets", "status_updates"),
    "raid_log": ("raid_items",),
    "board_pack": PARTS,
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
    else:
        raise ValueError(f"unknown report kind {kind!r}")
    return build
