"""The portfolio status report: every project's RAG (reported and computed), progress, earned
value and milestones, rolled up per portfolio, with throughput, costs and trends.

This module only arranges metric results (``pmosync.reports.metrics``) into figures, sections
and charts at full precision: the document is the frozen figures, and renderers round each value
by its column type (``render.cells.rounded``). Undefined values stay None so renderers show n/a,
never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from pmosync.reports.dataset import Dataset, ProjectRow, TaskRow
from pmosync.reports.document import (
    Chart,
    Column,
    Figure,
    ReportDocument,
    Section,
    Series,
    TrendPoint,
)
from pmosync.reports.kinds import ReportContext
from pmosync.reports.kinds.shaping import LIST_LIMIT, trend_chart, trend_values
from pmosync.reports.metrics.portfolio import (
    RAG_VALUES,
    BasisTotals,
    ProjectMetrics,
    Rollup,
    portfolio_metrics,
)
from pmosync.reports.metrics.progress import parent_ids, period_start, work_tasks
from pmosync.reports.metrics.throughput import (
    CostSummary,
    WeekThroughput,
    cost_summary,
    throughput,
)
from pmosync.reports.metrics.weeks import complete_weeks

RAG_COLORS = {
    "green": "#2e7d32",
    "amber": "#f9a825",
    "red": "#c62828",
    "blue": "#1565c0",
    "complete": "#757575",
}
RAG_ORDER = {"red": 0, "amber": 1, "green": 2, "blue": 3, "complete": 4}
"""Projects table order: the ones needing attention first."""
PROJECT_LIMIT = 500
"""HTML rows of per-project tables: a PMO reads every project, but an email must stay sane."""


def build(dataset: Dataset, context: ReportContext) -> ReportDocument:
    """The portfolio status document of ``dataset`` at its ``as_of``."""
    rules = context.rules
    metrics, rollups, overall = portfolio_metrics(dataset, rules, context.resources)
    work = work_tasks(dataset.tasks, parent_ids(dataset.tasks))
    weeks = throughput(work, complete_weeks(dataset.as_of, rules.weeks))
    costs = cost_summary(dataset.costs, dataset.as_of, rules.period_days)
    trend = trend_point(overall)
    history = (*context.history, TrendPoint(dataset.as_of.isoformat(), trend))
    portfolio_names = {p.id: p.name for p in dataset.portfolios}
    names = {p.id: p for p in dataset.projects}
    return context.document(
        dataset.as_of,
        figures=figures(overall),
        charts=charts(overall, weeks, history),
        sections=(
            portfolios_section(rollups, overall),
            portfolio_value_section(rollups, overall),
            projects_section(metrics, portfolio_names),
            earned_value_section(metrics),
            milestones_section(metrics, dataset.as_of),
            throughput_section(weeks),
            costs_section(costs, names, dataset.as_of, rules.period_days),
        ),
        trend=trend,
    )


# --- figures and trend ------------------------------------------------------------------------


def figures(overall: Rollup) -> tuple[Figure, ...]:
    """Headline counts first, then % complete and the portfolio SPI/CPI per basis."""
    counts = overall.computed
    result = [
        Figure("projects", "Projects", overall.projects),
        Figure("red", "Computed red", counts["red"], rag="red" if counts["red"] else None),
        Figure(
            "amber", "Computed amber", counts["amber"], rag="amber" if counts["amber"] else None
        ),
        Figure(
            "green", "Computed green", counts["green"], rag="green" if counts["green"] else None
        ),
        Figure("disagreements", "Reported and computed RAG differ", overall.disagreements),
        Figure(
            "overdue_milestones",
            "Overdue milestones",
            overall.overdue_milestones,
            rag="red" if overall.overdue_milestones else None,
        ),
        Figure(
            "milestones_completed", "Milestones completed this period", overall.milestones_completed
        ),
        Figure("governance_findings", "Governance findings", overall.governance_findings),
        Figure(
            "pct_complete_effort", "% complete (effort)", overall.pct_complete_effort, "percent"
        ),
        Figure("hours_logged", "Hours logged to date", overall.hours_logged, "hours"),
    ]
    return (*result, *index_figures(overall.totals))


def index_figures(totals: Sequence[BasisTotals]) -> list[Figure]:
    """Portfolio SPI and CPI: of the sums when every measured project shares one basis, else one
    pair per basis and currency (a single SPI over euros and hours would mean nothing)."""
    if len(totals) <= 1:
        only = totals[0] if totals else None
        return [
            Figure("spi", "Portfolio SPI", only.spi if only else None, "ratio"),
            Figure("cpi", "Portfolio CPI", only.cpi if only else None, "ratio"),
        ]
    result = []
    for group in totals:
        slug = group.key.replace(":", "_").lower()
        label = basis_label(group)
        result.append(Figure(f"spi_{slug}", f"SPI ({label})", group.spi, "ratio"))
        result.append(Figure(f"cpi_{slug}", f"CPI ({label})", group.cpi, "ratio"))
    return result


def basis_label(group: BasisTotals) -> str:
    """``EUR`` for a money basis, ``hours`` for an hours basis."""
    if group.basis == "money":
        return group.currency or "money"
    return group.basis


def trend_point(overall: Rollup) -> dict[str, Any]:
    """What the trend charts of later runs read from this one."""
    return {
        "projects": overall.projects,
        "rag_computed": {value: overall.computed[value] for value in RAG_VALUES},
        "rag_reported": dict(overall.reported),
        "disagreements": overall.disagreements,
        "overdue_milestones": overall.overdue_milestones,
        "pct_complete_effort": overall.pct_complete_effort,
        "pct_complete_count": overall.pct_complete_count,
        "burn": {
            group.key: {"pv": group.pv, "ev": group.ev, "ac": group.ac} for group in overall.totals
        },
    }


# --- charts -----------------------------------------------------------------------------------


def charts(
    overall: Rollup, weeks: Sequence[WeekThroughput], history: Sequence[TrendPoint]
) -> tuple[Chart, ...]:
    """RAG now and over time, % complete and burn over time, and weekly throughput."""
    dates = tuple(point.as_of for point in history)
    return (
        Chart(
            "rag_distribution",
            "Projects by RAG",
            "bar",
            RAG_VALUES,
            (
                Series("Computed", tuple(float(overall.computed[v]) for v in RAG_VALUES)),
                Series("Reported", tuple(float(overall.reported[v]) for v in RAG_VALUES)),
            ),
            "projects",
        ),
        Chart(
            "rag_history",
            "Computed RAG over time",
            "stacked_bar",
            dates,
            tuple(
                Series(v, trend_values(history, "rag_computed", v), RAG_COLORS[v])
                for v in RAG_VALUES
            ),
            "projects",
        ),
        trend_chart(
            "pct_complete_trend",
            "% complete over time",
            tuple(history),
            (("By effort", "pct_complete_effort", None), ("By count", "pct_complete_count", None)),
            "%",
        ),
        *(burn_chart(group, history) for group in overall.totals),
        Chart(
            "throughput",
            "Work tasks completed and planned per week",
            "bar",
            tuple(w.label for w in weeks),
            (
                Series("Completed", tuple(float(w.completed) for w in weeks)),
                Series("Planned", tuple(float(w.planned) for w in weeks)),
            ),
            "tasks",
        ),
    )


def burn_chart(group: BasisTotals, history: Sequence[TrendPoint]) -> Chart:
    """AC, EV and PV of one basis over time (points of another basis read as gaps)."""
    label = basis_label(group)
    return Chart(
        f"burn_{group.key.replace(':', '_').lower()}",
        f"Burn ({label}): PV, EV and AC",
        "line",
        tuple(point.as_of for point in history),
        tuple(
            Series(name, trend_values(history, "burn", group.key, key))
            for name, key in (("PV", "pv"), ("EV", "ev"), ("AC", "ac"))
        ),
        label,
    )


# --- sections ---------------------------------------------------------------------------------

RAG_COUNT_COLUMNS = tuple(
    Column(f"{kind}_{value}", f"{title} {value}", "int")
    for kind, title in (("computed", "Computed"), ("reported", "Reported"))
    for value in RAG_VALUES
)


def portfolios_section(rollups: Sequence[Rollup], overall: Rollup) -> Section:
    """One row per portfolio and a last row for all projects, each project counted once."""
    columns = (
        Column("portfolio", "Portfolio", link="url"),
        Column("projects", "Projects", "int"),
        *RAG_COUNT_COLUMNS,
        Column("reported_none", "Reported unknown", "int"),
        Column("disagreements", "RAG disagreements", "int"),
        Column("pct_complete_effort", "% complete (effort)", "percent"),
        Column("pct_complete_count", "% complete (count)", "percent"),
        Column("overdue_milestones", "Overdue milestones", "int"),
        Column("governance_findings", "Governance findings", "int"),
        Column("hours_logged", "Hours logged", "hours"),
    )
    return Section(
        "portfolios",
        "Portfolios",
        columns,
        tuple(_portfolio_row(r) for r in (*rollups, overall)),
        note="A project in several portfolios counts in each; the last row counts it once.",
        html_limit=PROJECT_LIMIT,
    )


def _portfolio_row(rollup: Rollup) -> dict[str, Any]:
    row: dict[str, Any] = {"portfolio": rollup.name, "url": rollup.url, "projects": rollup.projects}
    row.update({f"computed_{v}": rollup.computed[v] for v in RAG_VALUES})
    row.update({f"reported_{v}": n for v, n in rollup.reported.items()})
    row.update(
        disagreements=rollup.disagreements,
        pct_complete_effort=rollup.pct_complete_effort,
        pct_complete_count=rollup.pct_complete_count,
        overdue_milestones=rollup.overdue_milestones,
        governance_findings=rollup.governance_findings,
        hours_logged=rollup.hours_logged,
    )
    return row


def portfolio_value_section(rollups: Sequence[Rollup], overall: Rollup) -> Section:
    """PV/EV/AC sums per portfolio and basis: a separate table, as a portfolio may have
    several bases (one row each) and a sum across them would mean nothing."""
    columns = (
        Column("portfolio", "Portfolio", link="url"),
        Column("basis", "Basis"),
        Column("currency", "Currency"),
        Column("projects", "Projects measured", "int"),
        Column("pv", "PV", "money"),
        Column("ev", "EV", "money"),
        Column("ac", "AC", "money"),
        Column("spi", "SPI", "ratio"),
        Column("cpi", "CPI", "ratio"),
    )
    rows = tuple(
        {
            "portfolio": rollup.name,
            "url": rollup.url,
            "basis": group.basis,
            "currency": group.currency,
            "projects": group.projects,
            "pv": group.pv,
            "ev": group.ev,
            "ac": group.ac,
            "spi": group.spi,
            "cpi": group.cpi,
        }
        for rollup in (*rollups, overall)
        for group in rollup.totals
    )
    note = (
        "Sums per basis and currency over projects with PV, EV and AC defined; nothing is "
        "converted. Hours-basis rows are in hours (no currency)."
    )
    return Section(
        "portfolio_earned_value",
        "Portfolio earned value",
        columns,
        rows,
        note,
        PROJECT_LIMIT,
    )


def projects_section(metrics: Sequence[ProjectMetrics], portfolio_names: dict[str, str]) -> Section:
    """One row per project, those needing attention (red, amber) first."""
    columns = (
        Column("project", "Project", link="url"),
        Column("team", "Team"),
        Column("portfolios", "Portfolios"),
        Column("status", "Status"),
        Column("reported_rag", "Reported RAG", "rag"),
        Column("computed_rag", "Computed RAG", "rag"),
        Column("disagrees", "Disagree", "flag"),
        Column("reasons", "Reasons"),
        Column("pct_complete_count", "% complete (count)", "percent"),
        Column("pct_complete_effort", "% complete (effort)", "percent"),
        Column("next_milestone", "Next milestone", link="next_milestone_url"),
        Column("next_milestone_due", "Next milestone due", "date"),
        Column("overdue_milestones", "Overdue milestones", "int"),
        Column("sv_days", "Schedule variance (days)", "days"),
        Column("budget", "Budget", "money"),
        Column("actual", "Actual cost", "money"),
        Column("remaining", "Remaining", "money"),
        Column("spent_pct", "Spent %", "percent"),
        Column("basis", "Basis"),
        Column("currency", "Currency"),
        Column("last_update", "Last status update", "date"),
    )
    ordered = sorted(metrics, key=lambda m: RAG_ORDER.get(m.rag.computed, 9))
    note = (
        "Schedule variance in days is earned schedule minus actual time: negative is behind. "
        "Budget columns are in hours where the basis is hours."
    )
    rows = tuple(_project_row(m, portfolio_names) for m in ordered)
    return Section("projects", "Projects", columns, rows, note, PROJECT_LIMIT)


def _project_row(item: ProjectMetrics, portfolio_names: dict[str, str]) -> dict[str, Any]:
    project, progress, value, rag = item.project, item.progress, item.earned_value, item.rag
    upcoming = progress.milestones.next
    return {
        "project": project.name,
        "url": project.source_url,
        "team": project.team,
        "portfolios": ", ".join(
            portfolio_names[p] for p in project.portfolio_ids if p in portfolio_names
        ),
        "status": project.status,
        "reported_rag": rag.reported,
        "computed_rag": rag.computed,
        "disagrees": rag.disagrees,
        "reasons": "; ".join(rag.reasons),
        "pct_complete_count": progress.pct_count,
        "pct_complete_effort": progress.pct_effort,
        "next_milestone": upcoming.name if upcoming else None,
        "next_milestone_url": upcoming.source_url if upcoming else None,
        "next_milestone_due": _iso(upcoming.due_date) if upcoming else None,
        "overdue_milestones": len(progress.milestones.overdue),
        "sv_days": progress.schedule.sv_days,
        "budget": value.budget,
        "actual": value.ac,
        "remaining": value.remaining,
        "spent_pct": value.spent_pct,
        "basis": value.basis,
        "currency": value.currency,
        "last_update": _iso(rag.last_update),
    }


def earned_value_section(metrics: Sequence[ProjectMetrics]) -> Section:
    """Every earned value figure per project, with the notes on what AC left out."""
    money = ("bac", "pv", "ev", "ac", "sv", "cv", "eac", "etc", "vac")
    titles = {"etc": "ETC", "eac": "EAC", "vac": "VAC", "bac": "BAC"}
    columns = (
        Column("project", "Project", link="url"),
        Column("basis", "Basis"),
        Column("currency", "Currency"),
        *(Column(key, titles.get(key, key.upper()), "money") for key in money),
        Column("spi", "SPI", "ratio"),
        Column("cpi", "CPI", "ratio"),
        Column("slip_pct", "Schedule slip %", "percent"),
        Column("planned_pct", "Planned %", "percent"),
        Column("earned_pct", "Earned %", "percent"),
        Column("notes", "Notes"),
    )
    rows = tuple(
        {
            "project": m.project.name,
            "url": m.project.source_url,
            "basis": m.earned_value.basis,
            "currency": m.earned_value.currency,
            **{key: getattr(m.earned_value, key) for key in money},
            "spi": m.earned_value.spi,
            "cpi": m.earned_value.cpi,
            "slip_pct": m.earned_value.slip_pct,
            "planned_pct": m.progress.schedule.planned_pct,
            "earned_pct": m.progress.schedule.earned_pct,
            "notes": "; ".join(m.earned_value.notes),
        }
        for m in metrics
    )
    note = (
        "Money in the budget's currency, or hours where the basis is hours; costs in other "
        "currencies and hours without a rate are left out of AC (see notes)."
    )
    return Section("earned_value", "Earned value", columns, rows, note, PROJECT_LIMIT)


def milestones_section(metrics: Sequence[ProjectMetrics], as_of: date) -> Section:
    """Overdue milestones first (the oldest on top), then each project's next one, then those
    completed this period."""
    columns = (
        Column("project", "Project", link="project_url"),
        Column("milestone", "Milestone", link="url"),
        Column("state", "State"),
        Column("due_date", "Due", "date"),
        Column("completed", "Completed", "date"),
        Column("days_overdue", "Days overdue", "days"),
    )
    overdue, upcoming, done = [], [], []
    for m in metrics:
        marks = m.progress.milestones
        overdue += [_milestone_row(m, t, "overdue", as_of) for t in marks.overdue]
        if marks.next is not None:
            upcoming.append(_milestone_row(m, marks.next, "next", as_of))
        done += [_milestone_row(m, t, "completed", as_of) for t in marks.completed]
    overdue.sort(key=lambda r: (r["due_date"], r["project"].casefold()))
    upcoming.sort(key=lambda r: (r["due_date"], r["project"].casefold()))
    done.sort(key=lambda r: (r["completed"], r["project"].casefold()))
    note = "Overdue milestones, each project's next one, and those completed this period."
    return Section(
        "milestones", "Milestones", columns, (*overdue, *upcoming, *done), note, LIST_LIMIT
    )


def _milestone_row(item: ProjectMetrics, task: TaskRow, state: str, as_of: date) -> dict[str, Any]:
    days = (as_of - task.due_date).days if state == "overdue" and task.due_date else None
    return {
        "project": item.project.name,
        "project_url": item.project.source_url,
        "milestone": task.name,
        "url": task.source_url,
        "state": state,
        "due_date": _iso(task.due_date),
        "completed": _iso(task.completed_at.date()) if task.completed_at else None,
        "days_overdue": days,
    }


def throughput_section(weeks: Sequence[WeekThroughput]) -> Section:
    """The throughput chart's figures as a table, for the spreadsheet."""
    columns = (
        Column("week", "Week"),
        Column("week_start", "Monday", "date"),
        Column("completed", "Completed", "int"),
        Column("planned", "Planned (due)", "int"),
    )
    rows = tuple(
        {
            "week": w.label,
            "week_start": w.week.isoformat(),
            "completed": w.completed,
            "planned": w.planned,
        }
        for w in weeks
    )
    note = "Work tasks (leaf tasks, not milestones) completed in each week and due in it."
    return Section("throughput", "Throughput", columns, rows, note, None)


def costs_section(
    costs: Sequence[CostSummary], projects: dict[str, ProjectRow], as_of: date, period_days: int
) -> Section:
    """Expenses, invoices and labour cost entries per project, category and currency."""
    columns = (
        Column("project", "Project", link="url"),
        Column("category", "Category"),
        Column("currency", "Currency"),
        Column("period_total", "This period", "money"),
        Column("period_entries", "Entries this period", "int"),
        Column("to_date_total", "To date", "money"),
        Column("to_date_entries", "Entries to date", "int"),
    )
    rows = []
    for item in costs:
        project = projects.get(item.project_id)
        rows.append(
            {
                "project": project.name if project else item.project_id,
                "url": project.source_url if project else None,
                "category": item.category,
                "currency": item.currency,
                "period_total": float(item.period_total),
                "period_entries": item.period_entries,
                "to_date_total": float(item.to_date_total),
                "to_date_entries": item.to_date_entries,
            }
        )
    rows.sort(key=lambda r: (r["project"].casefold(), r["category"], r["currency"]))
    since = period_start(as_of, period_days)
    note = f"This period: {since.isoformat()} to {as_of.isoformat()}. Amounts are not converted."
    return Section("costs", "Expenses and invoices", columns, tuple(rows), note, LIST_LIMIT)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
