"""The portfolio status report: every project's RAG (reported and computed), progress, earned
value and milestones, rolled up per portfolio, with throughput, costs and trends.

This module only arranges metric results (``pmosync.reports.metrics``) into figures, sections
and charts at full precision: the document is the frozen figures, and renderers round each value
by its column type (``render.cells.rounded``). Undefined values stay None so renderers show n/a,
never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, tzinfo
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
from pmosync.reports.metrics.calendar import local_day
from pmosync.reports.metrics.earned_value import EarnedValue
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
    metrics, rollups, overall = portfolio_metrics(
        dataset, rules, context.resources, context.calendar
    )
    work = work_tasks(dataset.tasks, parent_ids(dataset.tasks))
    weeks = throughput(work, complete_weeks(dataset.as_of, rules.weeks), context.timezone)
    costs = cost_summary(dataset.costs, dataset.as_of, rules.period_days)
    trend = trend_point(overall)
    history = (*context.history, TrendPoint(dataset.as_of.isoformat(), trend))
    portfolio_names = {p.id: p.name for p in dataset.portfolios}
    names = {p.id: p for p in dataset.projects}
    minimum = rules.min_ac_coverage_pct
    return context.document(
        dataset.as_of,
        figures=figures(overall, rules.rollup_statuses),
        charts=charts(overall, weeks, history),
        sections=(
            portfolios_section(rollups, overall, rules.rollup_statuses),
            portfolio_value_section(rollups, overall),
            projects_section(metrics, portfolio_names, minimum, context.timezone),
            earned_value_section(metrics, minimum),
            forecasts_section(metrics, context.timezone),
            milestones_section(metrics, dataset.as_of, context.timezone),
            throughput_section(weeks),
            costs_section(costs, names, dataset.as_of, rules.period_days),
        ),
        trend=trend,
    )


# --- figures and trend ------------------------------------------------------------------------


def figures(overall: Rollup, statuses: Sequence[str] = ("active",)) -> tuple[Figure, ...]:
    """Headline counts first, then % complete and the portfolio SPI/CPI per basis (the first
    dozen are the Teams card's), then what the totals add up: the projects of ``statuses``
    (``rules.rollup_statuses``), % complete by effort and the hours logged."""
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
        Figure("pct_complete", _weighted_label(overall), overall.pct_complete, "percent"),
    ]
    totals = [
        Figure(
            "projects_in_totals", f"Projects in totals ({_statuses(statuses)})", overall.in_totals
        ),
        Figure(
            "pct_complete_effort", "% complete (effort)", overall.pct_complete_effort, "percent"
        ),
        Figure("hours_logged", "Hours logged to date", overall.hours_logged, "hours"),
    ]
    return (*result, *index_figures(overall.totals), *totals)


def index_figures(totals: Sequence[BasisTotals]) -> list[Figure]:
    """Portfolio SPI and CPI: of the sums when every measured project shares one basis, else one
    pair per basis and currency (a single SPI over euros and hours would mean nothing). A CPI
    that rests on partial cost, or leaves projects out, is followed by a note saying so: it
    never passes as complete."""
    if len(totals) <= 1:
        only = totals[0] if totals else None
        return [
            Figure("spi", "Portfolio SPI", only.spi if only else None, "ratio"),
            Figure("cpi", "Portfolio CPI", only.cpi if only else None, "ratio"),
            *_cpi_note_figure("cpi_note", "Portfolio CPI", only),
        ]
    result = []
    for group in totals:
        slug = group.key.replace(":", "_").lower()
        label = basis_label(group)
        result.append(Figure(f"spi_{slug}", f"SPI ({label})", group.spi, "ratio"))
        result.append(Figure(f"cpi_{slug}", f"CPI ({label})", group.cpi, "ratio"))
        result += _cpi_note_figure(f"cpi_{slug}_note", f"CPI ({label})", group)
    return result


def _cpi_note_figure(key: str, label: str, group: BasisTotals | None) -> list[Figure]:
    note = _cpi_note(group) if group is not None else None
    return [Figure(key, f"{label} is", note, "text", rag="amber")] if note else []


def _statuses(statuses: Sequence[str]) -> str:
    return ", ".join(status.replace("_", " ") for status in statuses)


def _weighted_label(rollup: Rollup) -> str:
    if rollup.pct_complete_weighting == "bac":
        return "% complete (weighted by BAC)"
    if rollup.pct_complete_weighting == "effort":
        return "% complete (weighted by effort: BACs in several currencies or bases)"
    return "% complete"


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
        "pct_complete": overall.pct_complete,
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
            (
                ("Weighted (BAC, else effort)", "pct_complete", None),
                ("By effort", "pct_complete_effort", None),
                ("By count", "pct_complete_count", None),
            ),
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


def portfolios_section(
    rollups: Sequence[Rollup], overall: Rollup, statuses: Sequence[str] = ("active",)
) -> Section:
    """One row per portfolio and a last row for all projects, each project counted once."""
    columns = (
        Column("portfolio", "Portfolio", link="url"),
        Column("projects", "Projects", "int"),
        Column("in_totals", "In totals", "int"),
        *RAG_COUNT_COLUMNS,
        Column("reported_none", "Reported unknown", "int"),
        Column("disagreements", "RAG disagreements", "int"),
        Column("pct_complete", "% complete", "percent"),
        Column("pct_complete_weighting", "Weighted by"),
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
        note=(
            "A project in several portfolios counts in each; the last row counts it once. "
            f"Totals (% complete, hours, overdue milestones) add up {_statuses(statuses)} "
            "projects only; every project counts by RAG. % complete is sum EV / sum BAC "
            "where the BACs share one currency (or all are hours), else weighted by effort."
        ),
        html_limit=PROJECT_LIMIT,
    )


def _portfolio_row(rollup: Rollup) -> dict[str, Any]:
    row: dict[str, Any] = {
        "portfolio": rollup.name,
        "url": rollup.url,
        "projects": rollup.projects,
        "in_totals": rollup.in_totals,
    }
    row.update({f"computed_{v}": rollup.computed[v] for v in RAG_VALUES})
    row.update({f"reported_{v}": n for v, n in rollup.reported.items()})
    row.update(
        disagreements=rollup.disagreements,
        pct_complete=rollup.pct_complete,
        pct_complete_weighting=_WEIGHTINGS.get(rollup.pct_complete_weighting or ""),
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
        Column("bac", "BAC", "money"),
        Column("pct_complete", "% complete (EV / BAC)", "percent"),
        Column("pv", "PV", "money"),
        Column("ev", "EV", "money"),
        Column("ac", "AC", "money"),
        Column("spi", "SPI", "ratio"),
        Column("cpi", "CPI", "ratio"),
        Column("cpi_note", "CPI note"),
    )
    rows = tuple(
        {
            "portfolio": rollup.name,
            "url": rollup.url,
            "basis": group.basis,
            "currency": group.currency,
            "projects": group.projects,
            "bac": group.bac,
            "pct_complete": group.pct_complete,
            "pv": group.pv,
            "ev": group.ev,
            "ac": group.ac,
            "spi": group.spi,
            "cpi": group.cpi,
            "cpi_note": _cpi_note(group),
        }
        for rollup in (*rollups, overall)
        for group in rollup.totals
    )
    note = (
        "Sums per basis and currency over projects with PV, EV and AC defined; nothing is "
        "converted. Hours-basis rows are in hours (no currency). CPI is sum EV / sum AC over "
        "the projects whose cost figures are not withheld (AC coverage at or above the "
        "minimum)."
    )
    return Section(
        "portfolio_earned_value",
        "Portfolio earned value",
        columns,
        rows,
        note,
        PROJECT_LIMIT,
    )


def projects_section(
    metrics: Sequence[ProjectMetrics],
    portfolio_names: dict[str, str],
    min_coverage_pct: float = 80.0,
    zone: tzinfo = UTC,
) -> Section:
    """One row per project, those needing attention (red, amber) first. The table a PMO reads
    in the email: status, schedule (SV(t), SPI(t), forecast against the finish to meet), cost
    (with whether its figures are complete) and the baseline measured against; every other
    figure is in the earned value and forecasts sections."""
    columns = (
        Column("project", "Project", link="url"),
        Column("team", "Team", detail=True),
        Column("portfolios", "Portfolios"),
        Column("status", "Status", detail=True),
        Column("reported_rag", "Reported RAG", "rag"),
        Column("computed_rag", "Computed RAG", "rag"),
        Column("disagrees", "Disagree", "flag"),
        Column("reasons", "Reasons"),
        Column("pct_complete_count", "% complete (count)", "percent", detail=True),
        Column("pct_complete_effort", "% complete (effort)", "percent"),
        Column("next_milestone", "Next milestone", link="next_milestone_url"),
        Column("next_milestone_due", "Next milestone due", "date"),
        Column("overdue_milestones", "Overdue milestones", "int"),
        Column("sv_days", "SV(t) (working days)", "days"),
        Column("spi_t", "SPI(t)", "ratio"),
        Column("finish_date", "Finish to meet", "date"),
        Column("forecast_finish", "Forecast finish", "date"),
        Column("budget", "Budget", "money"),
        Column("actual", "Actual cost", "money"),
        Column("spent_pct", "Spent %", "percent"),
        Column("cost_figures", "Cost figures"),
        Column("currency", "Currency", detail=True),  # HTML shows it with each amount
        Column("baseline", "Baseline"),
        Column("last_update", "Last status update", "date", detail=True),
    )
    ordered = sorted(metrics, key=lambda m: RAG_ORDER.get(m.rag.computed, 9))
    note = (
        "Team, status, % complete by count and the last status update are in the XLSX and "
        "CSV. SV(t) is earned schedule minus actual time in working days: negative is behind. The "
        "finish to meet is the baseline's finish, else the due date, else the plan's finish. "
        "Budget columns are in hours where the basis is hours. Cost figures says whether AC "
        "covers all logged hours (complete), part of them (partial) or too little to show "
        "CPI and EAC at all (n/a)."
    )
    rows = tuple(_project_row(m, portfolio_names, min_coverage_pct, zone) for m in ordered)
    return Section("projects", "Projects", columns, rows, note, PROJECT_LIMIT)


def _project_row(
    item: ProjectMetrics,
    portfolio_names: dict[str, str],
    min_coverage_pct: float = 80.0,
    zone: tzinfo = UTC,
) -> dict[str, Any]:
    project, progress, value, rag = item.project, item.progress, item.earned_value, item.rag
    upcoming = progress.milestones.next
    schedule = progress.schedule
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
        "sv_days": schedule.sv_days,
        "spi_t": schedule.spi_t,
        "finish_date": _iso(schedule.finish_date),
        "forecast_finish": _iso(schedule.forecast_finish),
        "budget": value.budget,
        "actual": value.ac,
        "remaining": value.remaining,
        "spent_pct": value.spent_pct,
        "cost_figures": cost_figures(value, min_coverage_pct),
        "basis": value.basis,
        "currency": value.currency,
        "baseline": baseline_text(item, zone),
        "last_update": _iso(rag.last_update),
    }


_WEIGHTINGS = {"bac": "BAC", "effort": "effort"}


def cost_figures(value: EarnedValue, min_coverage_pct: float) -> str | None:
    """Whether CPI and the EACs rest on all the cost: "complete", "partial: ..." (shown, and
    labelled), or "n/a: ..." (withheld below the minimum coverage); None without earned value."""
    if value.basis == "undefined" or value.ac is None:
        return None
    coverage = value.ac_coverage_pct
    if value.ac_withheld and coverage is not None:
        return f"n/a: AC coverage {coverage:.1f} % below {min_coverage_pct:g} %"
    if value.ac_partial:
        if coverage is not None and coverage < 100.0:
            return f"partial: AC covers {coverage:.1f} % of logged hours"
        return "partial: cost entries left out of AC"
    return "complete"


def _cpi_note(group: BasisTotals) -> str | None:
    parts = []
    if group.withheld:
        many = "project" if group.withheld == 1 else "projects"
        parts.append(f"leaves out {group.withheld} {many} below the AC coverage minimum")
    if group.ac_partial:
        parts.append("partial: some projects' AC leaves cost out")
    return "; ".join(parts) or None


def baseline_text(item: ProjectMetrics, zone: tzinfo = UTC) -> str:
    """Which baseline the schedule is measured against and when it was set, or "no baseline"
    (then today's plan is the measure)."""
    schedule = item.progress.schedule
    if not schedule.baselined:
        return "no baseline (today's plan)"
    name = schedule.baseline_name or "baseline"
    if schedule.baseline_set_at is None:
        return name
    return f"{name} (set {local_day(schedule.baseline_set_at, zone).isoformat()})"


def earned_value_section(
    metrics: Sequence[ProjectMetrics], min_coverage_pct: float = 80.0
) -> Section:
    """Every earned value figure per project, with whether its cost figures are complete,
    partial or withheld, and the notes on what AC left out."""
    money = ("bac", "pv", "ev", "ac", "sv", "cv", "eac", "etc", "vac")
    titles = {"etc": "ETC", "eac": "EAC (BAC / CPI)", "vac": "VAC", "bac": "BAC"}
    files_only = {"sv", "cv", "etc", "vac"}
    columns = (
        Column("project", "Project", link="url"),
        Column("basis", "Basis", detail=True),
        Column("currency", "Currency", detail=True),
        *(
            Column(key, titles.get(key, key.upper()), "money", detail=key in files_only)
            for key in money
        ),
        Column("spi", "SPI", "ratio"),
        Column("cpi", "CPI", "ratio"),
        Column("tcpi", "TCPI", "ratio"),
        Column("ac_coverage_pct", "AC coverage %", "percent"),
        Column("cost_figures", "Cost figures"),
        Column("unearned_hours", "Hours earning nothing", "hours"),
        Column("slip_pct", "Schedule slip %", "percent", detail=True),
        Column("planned_pct", "Planned %", "percent", detail=True),
        Column("earned_pct", "Earned %", "percent", detail=True),
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
            "tcpi": m.earned_value.tcpi,
            "ac_coverage_pct": m.earned_value.ac_coverage_pct,
            "cost_figures": cost_figures(m.earned_value, min_coverage_pct),
            "unearned_hours": m.earned_value.unearned_hours,
            "slip_pct": m.earned_value.slip_pct,
            "planned_pct": m.progress.schedule.planned_pct,
            "earned_pct": m.progress.schedule.earned_pct,
            "notes": "; ".join(m.earned_value.notes),
        }
        for m in metrics
    )
    note = (
        "Money in the budget's currency, or hours where the basis is hours; costs in other "
        "currencies and hours without a rate are left out of AC (see notes). AC coverage is "
        f"the share of logged hours that got a cost: below {min_coverage_pct:g} % CPI, CV, the "
        "EACs, ETC, VAC and TCPI are withheld (n/a), below 100 % they are partial. Hours "
        "earning nothing (no task, parent tasks, milestones) are in AC, not in EV. TCPI = "
        "(BAC - EV) / (BAC - AC). SV, CV, ETC, VAC, slip and planned and earned % are in "
        "the XLSX and CSV."
    )
    return Section("earned_value", "Earned value", columns, rows, note, PROJECT_LIMIT)


def forecasts_section(metrics: Sequence[ProjectMetrics], zone: tzinfo = UTC) -> Section:
    """Per project, for the files only: the baseline, the three named EACs, TCPI, earned
    schedule (ES, AT, SPI(t), SV(t), IEAC(t)), the forecast finish against the finish to meet,
    unearned hours and cost, and what the plan left out of the baseline."""
    columns = (
        Column("project", "Project", link="url"),
        Column("baseline", "Baseline"),
        Column("baseline_set", "Baseline set", "date"),
        Column("bac_source", "BAC from"),
        Column("basis", "Basis"),
        Column("currency", "Currency"),
        Column("bac", "BAC", "money"),
        Column("current_budget", "Current budget", "money"),
        Column("remaining", "Budget remaining", "money"),
        Column("ac", "AC", "money"),
        Column("ac_coverage_pct", "AC coverage %", "percent"),
        Column("ac_partial", "AC partial", "flag"),
        Column("ac_withheld", "Cost figures withheld", "flag"),
        Column("unearned_hours", "Hours earning nothing", "hours"),
        Column("unearned_cost", "Cost earning nothing", "money"),
        Column("eac_cpi", "EAC (BAC / CPI)", "money"),
        Column("eac_budget_rate", "EAC (AC + BAC - EV)", "money"),
        Column("eac_cpi_spi", "EAC (AC + (BAC - EV) / (CPI x SPI))", "money"),
        Column("tcpi", "TCPI", "ratio"),
        Column("es_days", "ES (working days)", "number"),
        Column("at_days", "AT (working days)", "number"),
        Column("sv_days", "SV(t) (working days)", "number"),
        Column("spi_t", "SPI(t)", "ratio"),
        Column("ieac_days", "IEAC(t) (working days)", "number"),
        Column("planned_finish", "Planned finish", "date"),
        Column("finish_date", "Finish to meet", "date"),
        Column("finish_kind", "Finish is"),
        Column("forecast_finish", "Forecast finish", "date"),
        Column("forecast_slip_days", "Forecast slip (working days)", "days"),
        Column("unbaselined_tasks", "Tasks not in the baseline", "int"),
        Column("removed_tasks", "Baseline tasks removed", "int"),
        Column("undated_tasks", "Undated tasks", "int"),
        Column("unestimated_tasks", "Unestimated tasks", "int"),
    )
    rows = []
    for m in metrics:
        value, schedule = m.earned_value, m.progress.schedule
        set_at = schedule.baseline_set_at if schedule.baselined else None
        rows.append(
            {
                "project": m.project.name,
                "url": m.project.source_url,
                "baseline": schedule.baseline_name if schedule.baselined else "no baseline",
                "baseline_set": _iso(local_day(set_at, zone)) if set_at else None,
                "bac_source": value.bac_source,
                "basis": value.basis,
                "currency": value.currency,
                "bac": value.bac,
                "current_budget": value.current_budget,
                "remaining": value.remaining,
                "ac": value.ac,
                "ac_coverage_pct": value.ac_coverage_pct,
                "ac_partial": value.ac_partial,
                "ac_withheld": value.ac_withheld,
                "unearned_hours": value.unearned_hours,
                "unearned_cost": value.unearned_cost,
                "eac_cpi": value.eac_cpi,
                "eac_budget_rate": value.eac_budget_rate,
                "eac_cpi_spi": value.eac_cpi_spi,
                "tcpi": value.tcpi,
                "es_days": schedule.es_days,
                "at_days": schedule.at_days,
                "sv_days": schedule.sv_days,
                "spi_t": schedule.spi_t,
                "ieac_days": schedule.ieac_days,
                "planned_finish": _iso(schedule.planned_finish),
                "finish_date": _iso(schedule.finish_date),
                "finish_kind": schedule.finish_kind,
                "forecast_finish": _iso(schedule.forecast_finish),
                "forecast_slip_days": schedule.forecast_slip_days,
                "unbaselined_tasks": schedule.unbaselined_tasks,
                "removed_tasks": schedule.removed_tasks,
                "undated_tasks": schedule.undated_tasks,
                "unestimated_tasks": schedule.unestimated_tasks,
            }
        )
    note = (
        "EACs as PMI names them: BAC / CPI assumes today's cost efficiency holds, AC + (BAC - "
        "EV) that the rest goes to budget, AC + (BAC - EV) / (CPI x SPI) that cost and schedule "
        "efficiency both weigh on it; withheld (empty) when AC coverage is below the minimum. "
        "Earned schedule per Lipke, in working days from the plan's start."
    )
    return Section(
        "forecasts", "Forecasts and baselines", columns, tuple(rows), note, PROJECT_LIMIT, True
    )


def milestones_section(
    metrics: Sequence[ProjectMetrics], as_of: date, zone: tzinfo = UTC
) -> Section:
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
        overdue += [_milestone_row(m, t, "overdue", as_of, zone) for t in marks.overdue]
        if marks.next is not None:
            upcoming.append(_milestone_row(m, marks.next, "next", as_of, zone))
        done += [_milestone_row(m, t, "completed", as_of, zone) for t in marks.completed]
    overdue.sort(key=lambda r: (r["due_date"], r["project"].casefold()))
    upcoming.sort(key=lambda r: (r["due_date"], r["project"].casefold()))
    done.sort(key=lambda r: (r["completed"], r["project"].casefold()))
    note = "Overdue milestones, each project's next one, and those completed this period."
    return Section(
        "milestones", "Milestones", columns, (*overdue, *upcoming, *done), note, LIST_LIMIT
    )


def _milestone_row(
    item: ProjectMetrics, task: TaskRow, state: str, as_of: date, zone: tzinfo = UTC
) -> dict[str, Any]:
    days = (as_of - task.due_date).days if state == "overdue" and task.due_date else None
    return {
        "project": item.project.name,
        "project_url": item.project.source_url,
        "milestone": task.name,
        "url": task.source_url,
        "state": state,
        "due_date": _iso(task.due_date),
        "completed": _iso(local_day(task.completed_at, zone)) if task.completed_at else None,
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
