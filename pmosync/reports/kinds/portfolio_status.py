"""The portfolio status report: every project's RAG (reported and computed), progress, earned
value and milestones, rolled up per portfolio, with throughput, costs and trends.

This module only arranges metric results (``pmosync.reports.metrics``) into figures, sections
and charts at full precision: the document is the frozen figures, and renderers round each value
by its column type (``render.cells.rounded``). Undefined values stay None so renderers show n/a,
never 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, tzinfo
from typing import Any

from pmosync.reports.dataset import Dataset, PersonRow, ProjectRow, TaskRow
from pmosync.reports.document import (
    Chart,
    Column,
    Figure,
    Highlight,
    ReportDocument,
    Section,
    Series,
    TrendPoint,
)
from pmosync.reports.kinds import ReportContext
from pmosync.reports.kinds.raid_log import raid_sections
from pmosync.reports.kinds.shaping import (
    LIST_LIMIT,
    iso_date,
    over_time,
    trend_chart,
    trend_values,
)
from pmosync.reports.kinds.trends import portfolio_trend_pieces
from pmosync.reports.metrics import raid, summary
from pmosync.reports.metrics.calendar import PLAIN, WorkingCalendar, local_day
from pmosync.reports.metrics.earned_value import EarnedValue
from pmosync.reports.metrics.portfolio import (
    RAG_VALUES,
    UNKNOWN_RAG,
    BasisTotals,
    ProjectMetrics,
    Rollup,
    by_project,
    portfolio_metrics,
)
from pmosync.reports.metrics.progress import parent_ids, period_start, work_tasks
from pmosync.reports.metrics.rag import latest_update
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
    """The portfolio status document of ``dataset`` at its ``as_of``: the executive summary
    first (RAG counts with their change since the previous report, what changed this period,
    each project's latest status update), then the tables."""
    rules = context.rules
    head = executive_summary(dataset, context)
    metrics, overall, before = head.metrics, head.overall, head.previous
    work = work_tasks(dataset.tasks, parent_ids(dataset.tasks))
    weeks = throughput(work, complete_weeks(dataset.as_of, rules.weeks), context.timezone)
    costs = cost_summary(dataset.costs, dataset.as_of, rules.period_days)
    history = (*context.history, TrendPoint(dataset.as_of.isoformat(), head.trend))
    names = {p.id: p for p in dataset.projects}
    minimum = rules.min_ac_coverage_pct
    # S-curves, milestone trend and baseline vs forecast: kinds.trends (helper 6's pieces)
    scurves, baseline_vs_forecast = portfolio_trend_pieces(dataset, metrics, context)
    return context.document(
        dataset.as_of,
        figures=head.figures,
        charts=(*charts(overall, weeks, history), *scurves),
        sections=(
            rag_summary_section(overall, before),
            status_updates_section(dataset, metrics, context.timezone),
            head.projects,
            portfolios_section(head.rollups, overall, rules.rollup_statuses),
            totals_section(overall, rules.rollup_statuses),
            portfolio_value_section(head.rollups, overall),
            earned_value_section(metrics, minimum),
            forecasts_section(metrics, context.timezone),
            milestones_section(metrics, dataset.as_of, context.timezone),
            baseline_vs_forecast,
            *raid_sections(dataset, rules.raid),
            throughput_section(weeks),
            costs_section(costs, names, dataset.as_of, rules.period_days),
        ),
        trend=head.trend,
        highlights=head.highlights,
        previous_as_of=before.as_of if before else None,
    )


@dataclass(frozen=True)
class ExecutiveSummary:
    """What the portfolio status report and the board pack both open with, measured once by
    ``executive_summary``: the headline tiles, the projects table and what changed since
    ``previous`` (the newest earlier report, None on a first run), with the metrics and the
    trend point they come from."""

    metrics: list[ProjectMetrics]
    rollups: list[Rollup]
    overall: Rollup
    previous: TrendPoint | None
    trend: dict[str, Any]
    figures: tuple[Figure, ...]
    projects: Section
    highlights: tuple[Highlight, ...]


def executive_summary(dataset: Dataset, context: ReportContext) -> ExecutiveSummary:
    """The portfolio's metrics and the executive summary's pieces (``ExecutiveSummary``)."""
    rules = context.rules
    metrics, rollups, overall = portfolio_metrics(
        dataset, rules, context.resources, context.calendar
    )
    before = context.history[-1] if context.history else None
    milestones = open_milestones(dataset.tasks)
    baseline = baseline_milestones(dataset)
    slips = MilestoneDates(
        baseline, before.trend.get(summary.MILESTONES) if before else None, context.calendar
    )
    portfolio_names = {p.id: p.name for p in dataset.portfolios}
    return ExecutiveSummary(
        metrics,
        rollups,
        overall,
        before,
        trend_point(overall, metrics, milestones),
        figures(overall, before),
        projects_section(
            metrics,
            portfolio_names,
            rules.min_ac_coverage_pct,
            context.timezone,
            dataset.people,
            slips,
        ),
        highlights(dataset, context, metrics, milestones, baseline, before),
    )


# --- figures and trend ------------------------------------------------------------------------


def figures(overall: Rollup, previous: TrendPoint | None = None) -> tuple[Figure, ...]:
    """The headline tiles, at most eight with one basis: projects, computed red, amber and
    green, overdue milestones, % complete and the portfolio SPI and CPI (one pair per basis
    and currency when they differ), each with its change since ``previous`` (the newest
    earlier report; None on a first run). The secondary totals are in the "Portfolio totals"
    section (``totals_section``)."""
    before = previous.trend if previous is not None else None
    counts = overall.computed

    def rag_count(value: str) -> Figure:
        count = counts[value]
        return Figure(
            value,
            f"Computed {value}",
            count,
            rag=value if count else None,
            change=summary.change(count, before, "rag_computed", value),
        )

    result = [
        Figure(
            "projects",
            "Projects",
            overall.projects,
            change=summary.change(overall.projects, before, "projects"),
        ),
        rag_count("red"),
        rag_count("amber"),
        rag_count("green"),
        Figure(
            "overdue_milestones",
            "Overdue milestones",
            overall.overdue_milestones,
            rag="red" if overall.overdue_milestones else None,
            change=summary.change(overall.overdue_milestones, before, "overdue_milestones"),
        ),
        Figure(
            "pct_complete",
            _weighted_label(overall),
            overall.pct_complete,
            "percent",
            change=summary.change(overall.pct_complete, before, "pct_complete"),
        ),
    ]
    return (*result, *index_figures(overall.totals, before))


def index_figures(
    totals: Sequence[BasisTotals], previous: dict[str, Any] | None = None
) -> list[Figure]:
    """Portfolio SPI and CPI: of the sums when every measured project shares one basis, else one
    pair per basis and currency (a single SPI over euros and hours would mean nothing). A CPI
    that rests on partial cost, or leaves projects out, is followed by a note saying so: it
    never passes as complete. Each index's change is against the same basis' index in the
    ``previous`` trend point (``indices``), when it has one."""
    if len(totals) <= 1:
        only = totals[0] if totals else None
        spi, cpi = (only.spi, only.cpi) if only else (None, None)
        key = only.key if only else ""
        return [
            Figure(
                "spi",
                "Portfolio SPI",
                spi,
                "ratio",
                change=summary.change(spi, previous, "indices", key, "spi"),
            ),
            Figure(
                "cpi",
                "Portfolio CPI",
                cpi,
                "ratio",
                change=summary.change(cpi, previous, "indices", key, "cpi"),
            ),
            *_cpi_note_figure("cpi_note", "Portfolio CPI", only),
        ]
    result = []
    for group in totals:
        slug = group.key.replace(":", "_").lower()
        label = basis_label(group)
        for index, value in (("spi", group.spi), ("cpi", group.cpi)):
            result.append(
                Figure(
                    f"{index}_{slug}",
                    f"{index.upper()} ({label})",
                    value,
                    "ratio",
                    change=summary.change(value, previous, "indices", group.key, index),
                )
            )
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


def trend_point(
    overall: Rollup,
    metrics: Sequence[ProjectMetrics] = (),
    milestones: Mapping[str, date] | None = None,
) -> dict[str, Any]:
    """What the trend charts and the executive summary of later runs read from this one: the
    portfolio's counts and sums, each basis' SPI and CPI, and the compact per-project facts
    ``metrics.summary`` compares (each project's computed RAG; each open, dated milestone's
    due date). Kept small: a report's history reads the trend of its last 12 runs."""
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
        "indices": {group.key: {"spi": group.spi, "cpi": group.cpi} for group in overall.totals},
        summary.PROJECT_RAG: {m.project.id: m.rag.computed for m in metrics},
        summary.MILESTONES: {key: day.isoformat() for key, day in (milestones or {}).items()},
    }


def open_milestones(tasks: Iterable[TaskRow]) -> dict[str, date]:
    """Milestone task id -> due date of every open (not done), dated milestone."""
    return {
        t.id: t.due_date
        for t in tasks
        if t.is_milestone and t.status != "done" and t.due_date is not None
    }


def baseline_milestones(dataset: Dataset) -> dict[str, date]:
    """Milestone task id -> due date in its project's active baseline."""
    return {
        item.task_id: item.due_date
        for baseline in dataset.baselines.values()
        for item in baseline.tasks
        if item.kind == "milestone" and item.due_date is not None
    }


@dataclass(frozen=True)
class MilestoneDates:
    """What a milestone's slip in the projects table is measured against: its baseline date
    when baselined, else its date in the previous report (``previous``: that trend point's
    ``milestones``), else nothing."""

    baseline: Mapping[str, date]
    previous: Any = None
    calendar: WorkingCalendar = PLAIN

    def slip(self, task: TaskRow) -> tuple[int | None, str | None]:
        """(working days ``task`` is due later than it was, what it is compared with)."""
        if task.id in self.baseline:
            before, against = self.baseline[task.id], "baseline"
        else:
            known = self.previous if isinstance(self.previous, Mapping) else {}
            before, against = summary.iso_day(known.get(task.id)), "previous report"
        days = summary.slip_days(task.due_date, before, self.calendar)
        return (days, against) if days is not None else (None, None)


# --- charts -----------------------------------------------------------------------------------


def charts(
    overall: Rollup, weeks: Sequence[WeekThroughput], history: Sequence[TrendPoint]
) -> tuple[Chart, ...]:
    """RAG now, weekly throughput, and RAG and % complete over time; the "over time"
    ones only once two report dates hold their figures (``shaping.over_time``)."""
    dates = tuple(point.as_of for point in history)
    now = Chart(
        "rag_distribution",
        "Projects by RAG",
        "bar",
        RAG_VALUES,
        (
            Series("Computed", tuple(float(overall.computed[v]) for v in RAG_VALUES)),
            Series("Reported", tuple(float(overall.reported[v]) for v in RAG_VALUES)),
        ),
        "projects",
        "int",
    )
    trends = over_time(
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
            "int",
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
            "percent",
        ),
        # "Burn over time" (PV/EV/AC of earlier reports) gave way to the S-curves of
        # kinds.trends, drawn from dated data so they are whole on a first run.
    )
    flow = Chart(
        "throughput",
        "Work tasks completed and planned per week",
        "bar",
        tuple(w.label for w in weeks),
        (
            Series("Completed", tuple(float(w.completed) for w in weeks)),
            Series("Planned", tuple(float(w.planned) for w in weeks)),
        ),
        "tasks",
        "int",
    )
    return (now, *trends, flow)


# --- executive summary ------------------------------------------------------------------------

HIGHLIGHT_LIMIT = 8
"""Lines of one kind of change (turned red, slipped, ...) in "what changed"; the rest are
counted in one more line, and every one is in the tables and files."""
EXCERPT_CHARS = 600
"""Characters of a status update's text shown in HTML and email; the files hold all of it."""
UNKNOWN = "unknown"
"""The RAG summary's row of projects whose reported RAG is unknown."""


def person_label(people: Mapping[str, PersonRow] | None, person_id: str | None) -> str | None:
    """A person's name (else email) for a person id; None when unknown."""
    person = (people or {}).get(person_id) if person_id else None
    return person.label if person is not None else None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def milestone_text(task: TaskRow | None, slip: int | None, against: str | None) -> str | None:
    """The projects table's next milestone: its name and due date, and how many working days
    it moved against its baseline (or the previous report) when it did."""
    if task is None:
        return None
    text = task.name if task.due_date is None else f"{task.name}, due {task.due_date.isoformat()}"
    if slip and against:
        direction = "later" if slip > 0 else "earlier"
        text += f" ({_plural(abs(slip), 'working day')} {direction} than the {against})"
    return text


def excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str | None:
    """At most ``limit`` characters of ``text``, cut at a space where one is near, with an
    ellipsis saying the rest is in the files."""
    if text is None or len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space >= limit * 3 // 4:
        cut = cut[:space]
    return cut.rstrip() + " … (full text in the XLSX and CSV)"


def rag_summary_section(overall: Rollup, previous: TrendPoint | None = None) -> Section:
    """Projects per RAG, computed and reported, each with its change since the previous
    report (None on a first run, or where that report lacks the count)."""
    before = previous.trend if previous is not None else None
    rows = []
    for value in RAG_VALUES:
        computed, reported = overall.computed[value], overall.reported.get(value, 0)
        rows.append(
            {
                "rag": value,
                "computed": computed,
                "computed_change": summary.change(computed, before, "rag_computed", value),
                "reported": reported,
                "reported_change": summary.change(reported, before, "rag_reported", value),
            }
        )
    unknown = overall.reported.get(UNKNOWN_RAG, 0)
    unknown_before = summary.value_at(before, "rag_reported", UNKNOWN_RAG)
    if unknown or unknown_before:
        rows.append(
            {
                "rag": UNKNOWN,
                "computed": None,
                "computed_change": None,
                "reported": unknown,
                "reported_change": summary.change(unknown, before, "rag_reported", UNKNOWN_RAG),
            }
        )
    since = (
        f"Change since the report of {previous.as_of}."
        if previous is not None
        else "First report: no earlier report to compare with, so no change is shown yet."
    )
    columns = (
        Column("rag", "RAG", "rag"),
        Column("computed", "Computed", "int"),
        Column("computed_change", "Change (computed)", "change"),
        Column("reported", "Reported", "int"),
        Column("reported_change", "Change (reported)", "change"),
    )
    note = (
        f"{since} Computed: by the report's rules from each project's figures; reported: the "
        "team's latest status update (else the project's health field); unknown: neither."
    )
    return Section("rag_summary", "RAG counts", columns, tuple(rows), note, None)


def status_updates_section(
    dataset: Dataset, metrics: Sequence[ProjectMetrics], zone: tzinfo = UTC
) -> Section:
    """Each project's latest status update on or before the report date, as cards: reported
    red first, then amber, then the newest. HTML shows the first ``EXCERPT_CHARS`` characters
    of the text; the detail column ``text`` holds all of it for the files."""
    updates = by_project(dataset.status_updates)
    found = []
    for item in metrics:
        latest = latest_update(updates.get(item.project.id, ()), dataset.as_of, zone)
        if latest is not None:
            found.append((item.project, latest))
    found.sort(
        key=lambda pair: (
            RAG_ORDER.get(pair[1].rag or "", 9),
            -local_day(pair[1].posted_at, zone).toordinal(),
            pair[0].name.casefold(),
        )
    )
    rows = tuple(
        {
            "project": project.name,
            "url": project.source_url,
            "rag": update.rag,
            "title": update.title,
            "author": person_label(dataset.people, update.author_id),
            "posted": local_day(update.posted_at, zone).isoformat(),
            "text": update.text,
            "excerpt": excerpt(update.text),
        }
        for project, update in found
    )
    columns = (
        Column("project", "Project", link="url"),
        Column("rag", "Reported RAG", "rag"),
        Column("title", "Title"),
        Column("author", "Author"),
        Column("posted", "Posted", "date"),
        Column("text", "Full text", detail=True),
        Column("excerpt", "Status update"),
    )
    note = (
        "Each project's latest status update on or before the report date, reported red "
        f"first, then the newest. Texts longer than {EXCERPT_CHARS} characters are cut here; "
        "the XLSX and CSV hold them whole."
    )
    return Section(
        "status_updates",
        "Latest status updates",
        columns,
        rows,
        note,
        LIST_LIMIT,
        layout="cards",
        empty="No project has posted a status update by the report date.",
    )


def totals_section(overall: Rollup, statuses: Sequence[str] = ("active",)) -> Section:
    """The portfolio's secondary figures (the tiles keep to the eight a PMO reads first)."""
    columns = (
        Column("projects_in_totals", f"Projects in totals ({_statuses(statuses)})", "int"),
        Column("disagreements", "Reported and computed RAG differ", "int"),
        Column("milestones_completed", "Milestones completed this period", "int"),
        Column("governance_findings", "Governance findings", "int"),
        Column("pct_complete_effort", "% complete (effort)", "percent"),
        Column("pct_complete_count", "% complete (count)", "percent"),
        Column("hours_logged", "Hours logged to date", "hours"),
    )
    row = {
        "projects_in_totals": overall.in_totals,
        "disagreements": overall.disagreements,
        "milestones_completed": overall.milestones_completed,
        "governance_findings": overall.governance_findings,
        "pct_complete_effort": overall.pct_complete_effort,
        "pct_complete_count": overall.pct_complete_count,
        "hours_logged": overall.hours_logged,
    }
    note = (
        f"Totals (% complete, hours) add up {_statuses(statuses)} projects only; "
        "disagreements, milestones and findings count every project."
    )
    return Section("portfolio_totals", "Portfolio totals", columns, (row,), note, None)


def highlights(
    dataset: Dataset,
    context: ReportContext,
    metrics: Sequence[ProjectMetrics],
    milestones: Mapping[str, date],
    baseline: Mapping[str, date],
    previous: TrendPoint | None,
) -> tuple[Highlight, ...]:
    """What changed this period, bad news first: projects that turned red, milestones that
    slipped, new top risks, decisions needed, projects that recovered, milestones completed;
    "no change" when none of it happened, and a first report says it has nothing to compare
    with (definitions: ``metrics.summary``, docs/reports.md)."""
    as_of, rules = dataset.as_of, context.rules
    before = previous.trend if previous is not None else {}
    projects = {m.project.id: m for m in metrics}
    tasks = {t.id: t for t in dataset.tasks}
    names = {p.id: p.name for p in dataset.projects}
    now = {m.project.id: m.rag.computed for m in metrics}
    changes = summary.rag_changes(before.get(summary.PROJECT_RAG), now)
    red = [
        Highlight(
            f"{projects[c.project_id].project.name} turned red (was {c.before})"
            + _because(projects[c.project_id]),
            "red",
            projects[c.project_id].project.source_url,
        )
        for c in changes
        if c.kind == summary.TURNED_RED
    ]
    recovered = [
        Highlight(
            f"{projects[c.project_id].project.name} recovered: green (was {c.before})",
            "green",
            projects[c.project_id].project.source_url,
        )
        for c in changes
        if c.kind == summary.RECOVERED
    ]
    slipped = []
    for slip in summary.milestone_slips(
        before.get(summary.MILESTONES) if previous is not None else None,
        milestones,
        baseline,
        context.calendar,
    ):
        task = tasks[slip.task_id]
        was = (
            f"{slip.before.isoformat()} in the previous report"
            if slip.against == "previous report"
            else f"baseline {slip.before.isoformat()}"
        )
        slipped.append(
            Highlight(
                f"{names.get(task.project_id, task.project_id)}: milestone {task.name} slipped "
                f"{_plural(slip.working_days, 'working day')} to {slip.after.isoformat()} "
                f"(was {was})",
                "amber",
                task.source_url,
            )
        )
    completed = [
        Highlight(
            f"{m.project.name}: milestone {t.name} completed"
            + (
                f" on {context.calendar.day_of(t.completed_at).isoformat()}"
                if t.completed_at
                else ""
            ),
            "green",
            t.source_url,
        )
        for m in metrics
        for t in m.progress.milestones.completed
    ]
    known = raid.known_by(dataset.raid_items, as_of)
    since = period_start(as_of, rules.period_days)
    risks = [
        Highlight(
            f"New top risk (score {r.score}): {r.title} ({_where(r.project_id, names)})",
            "red",
            r.source_url,
        )
        for r in raid.new_top_risks(known, since, as_of, rules.raid.high_score)
    ]
    decisions = [
        Highlight(
            f"Decision needed: {a.item.title} ({_where(a.item.project_id, names)})"
            + (f", due {a.item.due_date.isoformat()} ({a.state})" if a.state else ""),
            "red" if a.state == "overdue" else "amber",
            a.item.source_url,
        )
        for a in raid.decisions_awaited(known, as_of, rules.raid.decision_warning_days)
        if a.state is not None or (a.item.raised_on is not None and a.item.raised_on >= since)
    ]
    lines = [
        *_capped(red, "projects turned red", "red"),
        *_capped(slipped, "milestones slipped", "amber"),
        *_capped(risks, "new top risks", "red"),
        *_capped(decisions, "decisions needed", "amber"),
        *_capped(recovered, "projects recovered", "green"),
        *_capped(completed, "milestones completed", "green"),
    ]
    if previous is None:
        first = Highlight(
            "First report: no earlier report to compare with, so changes since the previous "
            "report show from the next one."
        )
        return (first, *lines)
    if not lines:
        return (Highlight(f"No change since the report of {previous.as_of}."),)
    return tuple(lines)


def _because(item: ProjectMetrics) -> str:
    return f": {'; '.join(item.rag.reasons)}" if item.rag.reasons else ""


def _where(project_id: str | None, names: Mapping[str, str]) -> str:
    if project_id is None:
        return "portfolio-wide"
    return names.get(project_id, project_id)


def _capped(lines: list[Highlight], what: str, rag: str | None) -> list[Highlight]:
    if len(lines) <= HIGHLIGHT_LIMIT:
        return lines
    more = len(lines) - HIGHLIGHT_LIMIT
    return [*lines[:HIGHLIGHT_LIMIT], Highlight(f"… and {more} more {what}", rag)]


# --- sections ---------------------------------------------------------------------------------

RAG_COUNT_COLUMNS = tuple(
    Column(
        f"{kind}_{value}",
        f"{title} {value}",
        "int",
        detail=kind == "reported" or value not in ("red", "amber", "green"),
    )
    for kind, title in (("computed", "Computed"), ("reported", "Reported"))
    for value in RAG_VALUES
)
"""RAG counts of a portfolio: computed red, amber and green show; the rest are in the files."""


def portfolios_section(
    rollups: Sequence[Rollup], overall: Rollup, statuses: Sequence[str] = ("active",)
) -> Section:
    """One row per portfolio and a last row for all projects, each project counted once."""
    columns = (
        Column("portfolio", "Portfolio", link="url"),
        Column("projects", "Projects", "int"),
        Column("in_totals", "In totals", "int", detail=True),
        *RAG_COUNT_COLUMNS,
        Column("reported_none", "Reported unknown", "int", detail=True),
        Column("disagreements", "RAG disagreements", "int"),
        Column("pct_complete", "% complete", "percent"),
        Column("pct_complete_weighting", "Weighted by", detail=True),
        Column("pct_complete_effort", "% complete (effort)", "percent", detail=True),
        Column("pct_complete_count", "% complete (count)", "percent", detail=True),
        Column("overdue_milestones", "Overdue milestones", "int"),
        Column("governance_findings", "Governance findings", "int", detail=True),
        Column("hours_logged", "Hours logged", "hours", detail=True),
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
            "where the BACs share one currency (or all are hours), else weighted by effort. "
            "Blue, complete and reported counts, hours and findings are in the XLSX and CSV."
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
        Column("currency", "Currency", detail=True),  # HTML shows it with each amount
        Column("projects", "Projects measured", "int", detail=True),
        Column("bac", "BAC", "money"),
        Column("pct_complete", "% complete (EV / BAC)", "percent", detail=True),
        Column("pv", "PV", "money", detail=True),
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
        "minimum). PV, % complete and the projects measured are in the XLSX and CSV."
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
    people: Mapping[str, PersonRow] | None = None,
    slips: MilestoneDates | None = None,
) -> Section:
    """One row per project, those needing attention (red, amber) first. The eight columns a
    PMO reads in the email: who owns it, the reported and computed RAG (with why, under its
    badge), % complete, the next milestone with its slip, SPI(t) and CPI; every other figure
    (team, portfolios, cost, finish dates, baseline) is a detail column, in the XLSX, CSV and
    JSON."""
    columns = (
        Column("project", "Project", link="url"),
        Column("owner", "Owner"),
        Column("reported_rag", "Reported RAG", "rag"),
        Column("computed_rag", "Computed RAG", "rag", note="reasons"),
        Column("pct_complete", "% complete", "percent"),
        Column("next_milestone_shown", "Next milestone", link="next_milestone_url"),
        Column("spi_t", "SPI(t)", "ratio"),
        Column("cpi", "CPI", "ratio"),
        Column("reasons", "Why (computed)", detail=True),
        Column("team", "Team", detail=True),
        Column("portfolios", "Portfolios", detail=True),
        Column("status", "Status", detail=True),
        Column("disagrees", "Disagree", "flag", detail=True),
        Column("pct_complete_count", "% complete (count)", "percent", detail=True),
        Column("pct_complete_effort", "% complete (effort)", "percent", detail=True),
        Column("next_milestone", "Next milestone name", detail=True),
        Column("next_milestone_due", "Next milestone due", "date", detail=True),
        Column("next_milestone_slip_days", "Slip (working days)", "days", detail=True),
        Column("next_milestone_slip_against", "Slip against", detail=True),
        Column("overdue_milestones", "Overdue milestones", "int", detail=True),
        Column("sv_days", "SV(t) (working days)", "days", detail=True),
        Column("finish_date", "Finish to meet", "date", detail=True),
        Column("forecast_finish", "Forecast finish", "date", detail=True),
        Column("budget", "Budget", "money", detail=True),
        Column("actual", "Actual cost", "money", detail=True),
        Column("spent_pct", "Spent %", "percent", detail=True),
        Column("cost_figures", "Cost figures", detail=True),
        Column("currency", "Currency", detail=True),
        Column("baseline", "Baseline", detail=True),
        Column("last_update", "Last status update", "date", detail=True),
    )
    ordered = sorted(metrics, key=lambda m: RAG_ORDER.get(m.rag.computed, 9))
    note = (
        "% complete is by effort (estimated hours), by count of work tasks where no task has "
        "an estimate. The next milestone's slip is in working days against its baseline date, "
        "else against its date in the previous report. SPI(t) is earned schedule over actual "
        "time: below 1 is behind. CPI, cost, finish dates, baseline, team and portfolios are "
        "in the XLSX and CSV (and CPI in the earned value table below)."
    )
    rows = tuple(
        _project_row(m, portfolio_names, min_coverage_pct, zone, people, slips) for m in ordered
    )
    return Section("projects", "Projects", columns, rows, note, PROJECT_LIMIT)


def _project_row(
    item: ProjectMetrics,
    portfolio_names: dict[str, str],
    min_coverage_pct: float = 80.0,
    zone: tzinfo = UTC,
    people: Mapping[str, PersonRow] | None = None,
    slips: MilestoneDates | None = None,
) -> dict[str, Any]:
    project, progress, value, rag = item.project, item.progress, item.earned_value, item.rag
    upcoming = progress.milestones.next
    schedule = progress.schedule
    slip, against = (slips or MilestoneDates({})).slip(upcoming) if upcoming else (None, None)
    row = {
        "owner": person_label(people, project.owner_id),
        "pct_complete": (
            progress.pct_effort if progress.pct_effort is not None else progress.pct_count
        ),
        "next_milestone_shown": milestone_text(upcoming, slip, against),
        "next_milestone_slip_days": slip,
        "next_milestone_slip_against": against,
        "cpi": value.cpi,
    }
    return {
        **row,
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
        "next_milestone_due": iso_date(upcoming.due_date) if upcoming else None,
        "overdue_milestones": len(progress.milestones.overdue),
        "sv_days": schedule.sv_days,
        "spi_t": schedule.spi_t,
        "finish_date": iso_date(schedule.finish_date),
        "forecast_finish": iso_date(schedule.forecast_finish),
        "budget": value.budget,
        "actual": value.ac,
        "remaining": value.remaining,
        "spent_pct": value.spent_pct,
        "cost_figures": cost_figures(value, min_coverage_pct),
        "basis": value.basis,
        "currency": value.currency,
        "baseline": baseline_text(item, zone),
        "last_update": iso_date(rag.last_update),
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
    files_only = {"pv", "sv", "cv", "etc", "vac"}
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
        Column("tcpi", "TCPI", "ratio", detail=True),
        Column("ac_coverage_pct", "AC coverage %", "percent", detail=True),
        Column("cost_figures", "Cost figures"),
        Column("unearned_hours", "Hours earning nothing", "hours", detail=True),
        Column("slip_pct", "Schedule slip %", "percent", detail=True),
        Column("planned_pct", "Planned %", "percent", detail=True),
        Column("earned_pct", "Earned %", "percent", detail=True),
        Column("notes", "Notes", detail=True),
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
        "(BAC - EV) / (BAC - AC). PV, SV, CV, ETC, VAC, TCPI, AC coverage, hours earning "
        "nothing, slip, planned and earned % and the notes are in the XLSX and CSV."
    )
    return Section("earned_value", "Earned value", columns, rows, note, PROJECT_LIMIT)


FORECAST_COLUMNS = frozenset({
    "project", "baseline", "bac", "eac_cpi", "spi_t", "finish_date", "forecast_finish",
    "forecast_slip_days",
})  # fmt: skip
"""The forecasts' eight columns should its table ever be shown (it is for the files only)."""


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
    columns = tuple(replace(c, detail=c.key not in FORECAST_COLUMNS) for c in columns)
    rows = []
    for m in metrics:
        value, schedule = m.earned_value, m.progress.schedule
        set_at = schedule.baseline_set_at if schedule.baselined else None
        rows.append(
            {
                "project": m.project.name,
                "url": m.project.source_url,
                "baseline": schedule.baseline_name if schedule.baselined else "no baseline",
                "baseline_set": iso_date(local_day(set_at, zone)) if set_at else None,
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
                "planned_finish": iso_date(schedule.planned_finish),
                "finish_date": iso_date(schedule.finish_date),
                "finish_kind": schedule.finish_kind,
                "forecast_finish": iso_date(schedule.forecast_finish),
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
        "milestones",
        "Milestones",
        columns,
        (*overdue, *upcoming, *done),
        note,
        LIST_LIMIT,
        empty="No milestone is overdue, coming up or completed this period.",
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
        "due_date": iso_date(task.due_date),
        "completed": iso_date(local_day(task.completed_at, zone)) if task.completed_at else None,
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
    return Section(
        "throughput",
        "Throughput",
        columns,
        rows,
        note,
        None,
        empty="No complete weeks to count yet.",
    )


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
    return Section(
        "costs",
        "Expenses and invoices",
        columns,
        tuple(rows),
        note,
        LIST_LIMIT,
        empty="No expenses, invoices or labour cost entries to date.",
    )
