"""Trend pieces every kind can place: S-curves, the milestone trend chart and the baseline vs
forecast table, shaped from ``metrics.scurve`` and ``metrics.milestone_trend``.

The portfolio status report shows the portfolio's curves and every in-progress project's
milestones; a board pack's one-pager passes one project's curve and trends with ``page`` set
to the project's name. Values keep full precision; dates in charts are ``date.toordinal()``
numbers under ``y_type="date"`` (the chart renderer turns them back into dates).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from pmosync.reports.dataset import Dataset, ProjectRow
from pmosync.reports.document import Chart, Column, Section, Series
from pmosync.reports.kinds import ReportContext
from pmosync.reports.kinds.shaping import LIST_LIMIT, iso_date
from pmosync.reports.metrics.milestone_trend import (
    MilestoneTrend,
    MilestoneTrends,
    milestone_trends,
    most_slipped,
    report_dates,
)
from pmosync.reports.metrics.portfolio import ProjectMetrics
from pmosync.reports.metrics.scurve import (
    SCurve,
    phase_projects,
    portfolio_curves,
)

MTA_LINES = 8
"""Milestones an MTA chart draws: the ones that slipped most (the table lists them all)."""


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.lower())


def curve_unit(curve: SCurve) -> str:
    """``EUR`` for money, ``hours`` for hours: the axis label and the chart title's unit."""
    return (curve.currency or "money") if curve.basis == "money" else "hours"


def scurve_chart(
    curve: SCurve | None, title: str, page: str | None = None, key: str | None = None
) -> Chart | None:
    """A line chart of cumulative PV, EV and AC at each week end (EV and AC stop at the report
    date, PV runs on to the planned finish); None when there is no curve or fewer than two
    points (no trend to draw)."""
    if curve is None or len(curve.dates) < 2:
        return None
    return Chart(
        key=key or f"scurve_{_slug(curve.key)}",
        title=title,
        kind="line",
        x=tuple(day.isoformat() for day in curve.dates),
        series=(
            Series("PV", curve.pv),
            Series("EV", curve.ev),
            Series("AC", curve.ac),
        ),
        y_label=curve_unit(curve),
        y_type="money" if curve.basis == "money" else "hours",
        page=page,
    )


def history_dates(context: ReportContext) -> list[date]:
    """The report dates of the earlier runs (an unreadable one is skipped)."""
    found = []
    for point in context.history:
        try:
            found.append(date.fromisoformat(point.as_of[:10]))
        except (TypeError, ValueError):
            continue
    return found


def trends_of(
    dataset: Dataset, context: ReportContext, projects: Collection[str] | None = None
) -> MilestoneTrends:
    """The milestone trends of ``projects`` (ids; None: every project of the dataset) over the
    earlier runs' dates and ``rules.mta_weeks`` weekly dates."""
    wanted = {p.id for p in dataset.projects} if projects is None else set(projects)
    dates = report_dates(dataset.as_of, history_dates(context), context.rules.mta_weeks)
    return milestone_trends(
        (t for t in dataset.tasks if t.is_milestone and t.project_id in wanted),
        dataset.milestone_history,
        dataset.baselines,
        dates,
        dataset.as_of,
        context.calendar,
    )


def mta_chart(
    trends: MilestoneTrends,
    projects: Mapping[str, ProjectRow],
    title: str = "Milestone trend: forecast date at each report date",
    page: str | None = None,
    key: str = "milestone_trend",
    count: int = MTA_LINES,
) -> Chart | None:
    """One line per milestone (the ``count`` that slipped most) over the report dates; a line
    that climbs is a milestone slipping. None when no milestone has two known points."""
    drawn = most_slipped(trends.milestones, count)
    if not drawn:
        return None
    chart = Chart(
        key=key,
        title=title,
        kind="line",
        x=tuple(day.isoformat() for day in trends.dates),
        series=tuple(
            Series(
                _milestone_label(m.name, projects.get(m.project_id), page),
                tuple(None if day is None else float(day.toordinal()) for day in m.series),
            )
            for m in drawn
        ),
        y_label="forecast date",
        y_type="date",
        page=page,
    )
    return chart if chart.points() >= 2 else None


def _milestone_label(name: str, project: ProjectRow | None, page: str | None) -> str:
    """The milestone, and its project when the chart shows several projects' milestones."""
    if project is None or page is not None:
        return name
    return f"{name} ({project.name})"


def milestone_section(
    trends: MilestoneTrends,
    projects: Mapping[str, ProjectRow],
    page: str | None = None,
    key: str = "baseline_vs_forecast",
    done_since: date | None = None,
) -> Section:
    """Baseline vs forecast: each milestone's baseline date, today's forecast, the slip in
    working days and its status, the ones needing attention first. With ``done_since``,
    milestones done before that day are left out (history, not news: the portfolio report
    keeps those done within its trend's dates)."""
    columns = (
        Column("milestone", "Milestone", link="url"),
        Column("project", "Project", link="project_url"),
        Column("baseline", "Baseline", "date"),
        Column("forecast", "Forecast", "date"),
        Column("slip_days", "Slip (working days)", "days"),
        Column("status", "Status"),
        Column("moved_days", "Moved since first forecast (working days)", "days", detail=True),
        Column("first_forecast", "First forecast", "date", detail=True),
    )
    shown = [
        m
        for m in trends.milestones
        if done_since is None or not m.done or (m.forecast is not None and m.forecast >= done_since)
    ]
    rows = tuple(_row(m, projects) for m in shown)
    since = f" Done before {done_since.isoformat()}: left out." if done_since else ""
    note = (
        "Forecast: the completion day once done, else the due date. Slip: working days from "
        "the baseline date to the forecast (negative: earlier). Overdue: open past its baseline "
        "date (else its due date); slipping: forecast after the baseline date (without a "
        f"baseline, after its first forecast in the milestone trend).{since}"
    )
    return Section(
        key,
        "Baseline vs forecast",
        columns,
        rows,
        note,
        LIST_LIMIT,
        page=page,
        empty="No milestones.",
    )


def _row(m: MilestoneTrend, projects: Mapping[str, ProjectRow]) -> dict[str, Any]:
    project = projects.get(m.project_id)
    first = next((day for day in m.series if day is not None), None)
    return {
        "milestone": m.name,
        "url": m.url,
        "project": project.name if project is not None else m.project_id,
        "project_url": project.source_url if project is not None else None,
        "baseline": iso_date(m.baseline),
        "forecast": iso_date(m.forecast),
        "slip_days": m.slip_days,
        "status": m.status,
        "moved_days": m.moved_days,
        "first_forecast": iso_date(first),
    }


def portfolio_trend_pieces(
    dataset: Dataset, metrics: Sequence[ProjectMetrics], context: ReportContext
) -> tuple[tuple[Chart, ...], Section]:
    """The portfolio status report's pieces: one S-curve per basis and currency over the
    projects in the totals, the MTA chart and the baseline vs forecast table of their
    milestones."""
    rules = context.rules
    statuses = frozenset(rules.rollup_statuses)
    phased = phase_projects(dataset, metrics, context.resources, context.calendar)
    curves = portfolio_curves(phased, metrics, rules.scurve_weeks, statuses)
    projects = {p.id: p for p in dataset.projects}
    trends = trends_of(dataset, context, [p.id for p in dataset.projects if p.status in statuses])
    charts: list[Chart | None] = [
        scurve_chart(curve, f"S-curve ({curve_unit(curve)}): cumulative PV, EV and AC per week")
        for curve in curves
    ]
    charts.append(mta_chart(trends, projects))
    return drawn(charts), milestone_section(trends, projects, done_since=trends.dates[0])


def drawn(charts: Iterable[Chart | None]) -> tuple[Chart, ...]:
    """The charts that exist (the others had nothing to draw)."""
    return tuple(c for c in charts if c is not None)
