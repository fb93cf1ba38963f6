"""The board pack: the executive summary, then one one-pager per project, for the PDF.

The summary is the portfolio status report's own (its figures with their change since the
previous pack, what changed this period, the projects table), built by that kind's public
functions, not copied. Each one-pager (``Section.page`` / ``Chart.page`` = the project's name)
holds what a board asks of one project: the latest status update as its manager wrote it, the
RAG reported and computed at each earlier pack, the key figures (% complete, SPI, CPI, EAC,
the finish to meet against the forecast), the next milestones against their baseline, the
milestone trend and S-curve charts, and the project's top RAID items.

Projects needing attention come first: red, then amber, then the rest, each by name;
``rules.pack_projects: red_amber`` leaves the others out (the summary still counts them).
With 500 projects the pack stays bounded: at most ``PACK_LIMIT`` one-pagers, each a handful
of short sections and at most two small charts, each list cut to its first few rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, tzinfo
from typing import Any

from pmosync.reports.dataset import Dataset, PersonRow, RaidRow, StatusRow
from pmosync.reports.document import Chart, Column, ReportDocument, Section, TrendPoint
from pmosync.reports.kinds import ReportContext, trends
from pmosync.reports.kinds import portfolio_status as status
from pmosync.reports.kinds.raid_log import owner_label
from pmosync.reports.kinds.shaping import iso_date
from pmosync.reports.metrics import raid
from pmosync.reports.metrics.calendar import local_day
from pmosync.reports.metrics.milestone_trend import MilestoneTrends
from pmosync.reports.metrics.portfolio import ProjectMetrics, by_project
from pmosync.reports.metrics.rag import latest_update
from pmosync.reports.metrics.scurve import phase_projects, project_curve

PACK_LIMIT = 200
"""One-pagers in one pack at most: WeasyPrint holds every laid-out page until it writes the
file (about 3 MB a page) and lays out about 0.1 s a page, and each page's two charts take
0.2 s to draw: 200 pages are about a minute and 800 MB (bench M); the summary says how many
projects were left without a page."""
ATTENTION = {"red": 0, "amber": 1}
"""One-pager order: red projects, then amber, then every other (by name within each)."""
MILESTONES_SHOWN = 5
MTA_SHOWN = 5
"""Lines of a one-pager's milestone trend chart: the milestones that slipped most."""
RISKS_SHOWN = 5
ISSUES_SHOWN = 3
DECISIONS_SHOWN = 3
REPORTED_RAG = "project_rag_reported"
"""Trend key: project id -> reported RAG, for the RAG history of later packs (the computed
one is the portfolio report's ``project_rag``)."""


def build(dataset: Dataset, context: ReportContext) -> ReportDocument:
    """The board pack of ``dataset`` at its ``as_of``."""
    head = status.executive_summary(dataset, context)
    metrics = head.metrics
    trend = {**head.trend, REPORTED_RAG: {m.project.id: m.rag.reported for m in metrics}}
    summary = (
        head.projects,
        portfolio_risks_section(dataset.raid_items, dataset.people, dataset.as_of),
    )
    history = (*context.history, TrendPoint(dataset.as_of.isoformat(), trend))
    ordered = pack_order(metrics, context.rules.pack_projects)
    if len(ordered) > PACK_LIMIT:
        projects = summary[0]
        note = (
            f"{projects.note or ''} The pack has a one-pager for the first {PACK_LIMIT:,} "
            f"projects in this order; the other {len(ordered) - PACK_LIMIT:,} are listed here "
            "only (narrow the pack with filters or rules.pack_projects: red_amber)."
        )
        summary = (replace(projects, note=note.strip()), *summary[1:])
        ordered = ordered[:PACK_LIMIT]
    pages, charts = one_pagers(dataset, context, ordered, history)
    before = head.previous
    return context.document(
        dataset.as_of,
        figures=head.figures,
        charts=charts,
        sections=(*summary, *pages),
        trend=trend,
        highlights=head.highlights,
        previous_as_of=before.as_of if before else None,
    )


def pack_order(metrics: Iterable[ProjectMetrics], which: str = "all") -> list[ProjectMetrics]:
    """Red, then amber, then the others, each by name; only red and amber for ``red_amber``."""
    chosen = [m for m in metrics if which != "red_amber" or m.rag.computed in ATTENTION]
    return sorted(
        chosen,
        key=lambda m: (ATTENTION.get(m.rag.computed, 2), m.project.name.casefold(), m.project.id),
    )


def page_names(metrics: Sequence[ProjectMetrics]) -> list[str]:
    """Each project's page name: its name, made unique with " (2)" (two projects may share a
    name, and a page is found by its name)."""
    used: set[str] = set()
    names = []
    for item in metrics:
        name, n = item.project.name.strip() or item.project.id, 1
        while name in used:
            n += 1
            name = f"{item.project.name.strip() or item.project.id} ({n})"
        used.add(name)
        names.append(name)
    return names


def one_pagers(
    dataset: Dataset,
    context: ReportContext,
    ordered: Sequence[ProjectMetrics],
    history: Sequence[TrendPoint],
) -> tuple[list[Section], list[Chart]]:
    """Every chosen project's sections and its two charts at most (the milestone trend and
    the S-curve), in pack order."""
    updates = by_project(dataset.status_updates)
    items = by_project(raid.known_by(dataset.raid_items, dataset.as_of))
    projects = {p.id: p for p in dataset.projects}
    chosen = [m.project.id for m in ordered]
    milestones = trends.trends_of(dataset, context, chosen)
    per_project = by_project(milestones.milestones)
    phased = phase_projects(dataset, ordered, context.resources, context.calendar)
    sections: list[Section] = []
    charts: list[Chart] = []
    for index, (item, page) in enumerate(zip(ordered, page_names(ordered), strict=True), 1):
        pid = item.project.id
        latest = latest_update(updates.get(pid, ()), dataset.as_of, context.timezone)
        own = MilestoneTrends(milestones.dates, tuple(per_project.get(pid, ())))
        sections += (
            status_section(index, page, latest, dataset.people, context.timezone),
            figures_section(index, page, item),
            rag_history_section(index, page, pid, history),
            milestones_section(index, page, own, projects),
            raid_section(index, page, items.get(pid, ()), dataset.people, dataset.as_of),
        )
        curve = project_curve(phased.get(pid), context.rules.scurve_weeks)
        charts += trends.drawn(
            (
                trends.mta_chart(own, projects, page=page, key=f"p{index}_mta", count=MTA_SHOWN),
                trends.scurve_chart(
                    curve,
                    f"S-curve ({trends.curve_unit(curve)}): cumulative PV, EV and AC"
                    if curve
                    else "S-curve",
                    page=page,
                    key=f"p{index}_scurve",
                ),
            )
        )
    return sections, charts


def status_section(
    index: int,
    page: str,
    latest: StatusRow | None,
    people: Mapping[str, PersonRow],
    zone: tzinfo,
) -> Section:
    """The latest status update as a card: its title, date, author and RAG, then its text."""
    columns = (
        Column("title", "Update"),
        Column("posted", "Posted", "date"),
        Column("author", "Author"),
        Column("rag", "Reported RAG", "rag"),
        Column("text", "Text"),
    )
    rows: tuple[dict[str, Any], ...] = ()
    if latest is not None:
        rows = (
            {
                "title": latest.title or "Status update",
                "posted": local_day(latest.posted_at, zone).isoformat(),
                "author": owner_label(people, latest.author_id),
                "rag": latest.rag,
                "text": latest.text or "(no text)",
            },
        )
    return Section(
        f"p{index}_status",
        "Latest status update",
        columns,
        rows,
        html_limit=1,
        layout="cards",
        page=page,
        empty="No status update posted by the report date.",
    )


def figures_section(index: int, page: str, item: ProjectMetrics) -> Section:
    """The key figures in one row: RAG, % complete, SPI, CPI, BAC, EAC, finish and forecast;
    why the RAG is what it is goes in the note, across the page (under the narrow RAG column
    it would make the row, and the one-pager, several lines taller)."""
    value, schedule = item.earned_value, item.progress.schedule
    amount = "hours" if value.basis == "hours" else "money"  # BAC and EAC in the budget's unit
    columns = (
        Column("computed_rag", "Computed", "rag"),
        Column("reasons", "Why", detail=True),  # said once, full width, in the note
        Column("pct_complete", "% complete", "percent"),
        Column("spi", "SPI", "ratio"),
        Column("cpi", "CPI", "ratio"),
        Column("bac", "BAC", amount),
        Column("eac", "EAC", amount),
        Column("finish_date", "Finish to meet", "date"),
        Column("forecast_finish", "Forecast finish", "date"),
        Column("forecast_slip_days", "Slip (days)", "days", detail=True),
    )
    pct = value.ev / value.bac * 100.0 if value.ev is not None and value.bac else None
    row = {
        "computed_rag": item.rag.computed,
        "reasons": "; ".join(item.rag.reasons) or None,
        "pct_complete": pct if pct is not None else item.progress.pct_effort,
        "spi": value.spi,
        "cpi": value.cpi,
        "bac": value.bac,
        "eac": value.eac,
        "currency": value.currency,
        "finish_date": iso_date(schedule.finish_date),
        "forecast_finish": iso_date(schedule.forecast_finish),
        "forecast_slip_days": schedule.forecast_slip_days,
    }
    why = "; ".join(item.rag.reasons)
    note = (
        (f"Computed {item.rag.computed}: {why}. " if why else "")
        + "% complete: EV / BAC (by effort without a BAC). EAC: BAC / CPI. Finish to meet: the "
        f"{schedule.finish_kind or 'baseline finish, else the due date'}; slip in working "
        f"days. Measured against {status.baseline_text(item)}."
    )
    return Section(f"p{index}_figures", "Key figures", columns, (row,), note, page=page)


def rag_history_section(
    index: int, page: str, project_id: str, history: Sequence[TrendPoint]
) -> Section:
    """The RAG reported and computed at each earlier pack and now (newest first); a pack that
    did not record the project (it was not in it, or an older snapshot) is left out."""
    columns = (
        Column("as_of", "Report date", "date"),
        Column("reported", "Reported", "rag"),
        Column("computed", "Computed", "rag"),
    )
    rows = []
    for point in reversed(history):
        computed = _at(point.trend, "project_rag", project_id)
        reported = _at(point.trend, REPORTED_RAG, project_id)
        if computed is None and reported is None:
            continue
        rows.append({"as_of": point.as_of, "reported": reported, "computed": computed})
    return Section(
        f"p{index}_rag_history",
        "RAG history",
        columns,
        tuple(rows),
        html_limit=6,
        page=page,
        empty="No earlier report recorded this project's RAG.",
    )


def _at(trend: Any, key: str, project_id: str) -> str | None:
    values = trend.get(key) if isinstance(trend, Mapping) else None
    value = values.get(project_id) if isinstance(values, Mapping) else None
    return value if isinstance(value, str) else None


def milestones_section(
    index: int, page: str, own: MilestoneTrends, projects: Mapping[str, Any]
) -> Section:
    """Baseline vs forecast of the project's next open milestones (the portfolio report's
    table, ``kinds.trends.milestone_section``, without its project column): those needing
    attention first (overdue, slipping), at most ``MILESTONES_SHOWN``."""
    upcoming = tuple(m for m in own.milestones if not m.done)[:MILESTONES_SHOWN]
    section = trends.milestone_section(
        MilestoneTrends(own.dates, upcoming), projects, page=page, key=f"p{index}_milestones"
    )
    more = sum(1 for m in own.milestones if not m.done) - len(upcoming)
    note = "Forecast: the due date. Slip: working days from the baseline date to the forecast."
    if more > 0:
        note += f" {more} more open milestones in the portfolio report."
    return replace(
        section,
        title="Next milestones: baseline vs forecast",
        columns=tuple(c for c in section.columns if c.key != "project"),
        note=note,
        empty="No open milestones.",
    )


def raid_section(
    index: int,
    page: str,
    items: Iterable[RaidRow],
    people: Mapping[str, PersonRow],
    as_of: date,
) -> Section:
    """The project's top open risks by score, then its open issues and awaited decisions."""
    items = list(items)
    chosen = [
        *raid.top_risks(items, RISKS_SHOWN),
        *raid.open_of_kind(items, "issue")[:ISSUES_SHOWN],
        *(a.item for a in raid.decisions_awaited(items, as_of)[:DECISIONS_SHOWN]),
    ]
    return Section(
        f"p{index}_raid",
        "Top RAID items",
        RAID_COLUMNS,
        tuple(_raid_row(item, people) for item in chosen),
        page=page,
        empty="No open risks, issues or decisions.",
    )


RAID_COLUMNS = (
    Column("kind", "Kind"),
    Column("title", "Item", link="url"),
    Column("owner", "Owner"),
    Column("score", "Score", "int", shade="risk_score"),
    Column("due_date", "Due", "date"),
    Column("status", "Status"),
    Column("action", "Mitigation or resolution"),
)


def _raid_row(item: RaidRow, people: Mapping[str, PersonRow]) -> dict[str, Any]:
    return {
        "kind": item.kind.replace("_", " "),
        "title": item.title,
        "url": item.source_url,
        "owner": owner_label(people, item.owner_id),
        "score": item.score,
        "due_date": iso_date(item.due_date),
        "status": item.status.replace("_", " "),
        "action": item.mitigation or item.resolution,
    }


def portfolio_risks_section(
    items: Iterable[RaidRow], people: Mapping[str, PersonRow], as_of: date
) -> Section:
    """The portfolio's top open risks (every project's and the portfolio-wide ones)."""
    top = raid.top_risks(raid.known_by(items, as_of), 10)
    return Section(
        "top_risks",
        "Top risks",
        RAID_COLUMNS,
        tuple(_raid_row(item, people) for item in top),
        empty="No open risks.",
    )
