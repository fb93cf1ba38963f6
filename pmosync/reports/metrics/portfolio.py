"""Per-project metrics in one pass, and their roll-ups per portfolio.

Rows are grouped by project once (dicts), so a store of 200 projects and 100,000 time entries
costs one pass over each table, never a scan of all rows per project.

A portfolio adds up its projects; a project in two portfolios counts in both, and projects in
none roll up under "(no portfolio)" so nothing drops out of the totals. PV, EV and AC are added
only within one basis and currency: a sum of euros and hours is no figure at all.

Totals are over the projects in progress: by default only ``active`` ones add to % complete,
PV/EV/AC, SPI/CPI, hours logged and overdue milestones (``rules.rollup_statuses``), because a
finished project at 100 % or a paused one frozen at 30 % would pull the portfolio's figures
towards work nobody is doing. Every project is still listed, and counted in the RAG counts
(on hold as blue, completed and archived as complete), the disagreements, the milestones
completed this period and the governance findings.

% complete of a roll-up is weighted by BAC (sum of EV / sum of BAC, i.e. each project's earned
% weighted by its budget) when the projects with a BAC share one basis and currency; when they
do not (euros and dollars, money and hours) no sum of BACs exists, and it falls back to the
effort-weighted % (earned over estimated hours): ``pct_complete_weighting`` says which.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from pmosync.config.models import Resources
from pmosync.config.reports import ReportRules
from pmosync.reports.dataset import Dataset, ProjectRow
from pmosync.reports.metrics.calendar import PLAIN, WorkingCalendar
from pmosync.reports.metrics.earned_value import EarnedValue, earned_value, logged_hours, ratio
from pmosync.reports.metrics.governance import Finding, governance_findings
from pmosync.reports.metrics.progress import (
    Progress,
    parent_ids,
    project_progress,
    work_tasks,
)
from pmosync.reports.metrics.rag import Rag, project_rag

NO_PORTFOLIO = "(no portfolio)"
RAG_VALUES = ("green", "amber", "red", "blue", "complete")
DEFAULT_ROLLUP_STATUSES = frozenset({"active"})
"""Project statuses whose figures add up in a roll-up's totals (``rules.rollup_statuses``)."""
UNKNOWN_RAG = "none"
"""Counts key of projects whose reported RAG is unknown (no update, no health field)."""


class _ProjectScoped(Protocol):
    @property
    def project_id(self) -> str: ...


Row = TypeVar("Row", bound=_ProjectScoped)


@dataclass(frozen=True, slots=True)
class ProjectMetrics:
    """Everything the portfolio report shows about one project."""

    project: ProjectRow
    progress: Progress
    earned_value: EarnedValue
    rag: Rag
    hours_logged: float


@dataclass(frozen=True, slots=True)
class BasisTotals:
    """PV, EV and AC summed over the projects measured in one basis and currency, with the
    SPI and CPI of the sums. Only projects whose PV, EV and AC are all defined count.

    SPI = sum EV / sum PV and AC = sum AC over them all. CPI leaves out the projects whose cost
    figures are withheld (AC coverage below the minimum: ``withheld`` of them): CPI = sum EV /
    sum AC over the ``costed`` rest, so a project whose AC misses most of its cost cannot make
    the portfolio look efficient; ``ac_partial`` says some of the rest have a partial AC.
    ``bac`` sums their BACs and ``pct_complete`` = sum EV / sum BAC, the BAC-weighted %."""

    basis: str
    currency: str | None
    projects: int
    pv: float
    ev: float
    ac: float
    spi: float | None
    cpi: float | None
    bac: float = 0.0
    pct_complete: float | None = None
    costed: int = 0
    withheld: int = 0
    ac_partial: bool = False

    @property
    def key(self) -> str:
        """``money:EUR`` or ``hours``: names the group in trend points and chart titles."""
        return f"{self.basis}:{self.currency}" if self.currency else self.basis


@dataclass(frozen=True, slots=True)
class Rollup:
    """One portfolio's (or all projects') totals. ``portfolio_id`` is None for the
    "(no portfolio)" group and for the whole report."""

    portfolio_id: str | None
    name: str
    url: str | None
    projects: int
    computed: dict[str, int]
    reported: dict[str, int]
    pct_complete_effort: float | None
    pct_complete_count: float | None
    totals: tuple[BasisTotals, ...]
    overdue_milestones: int
    milestones_completed: int
    governance_findings: int
    hours_logged: float
    disagreements: int
    in_totals: int = 0
    """Projects whose figures add up in the totals (of ``rules.rollup_statuses``)."""
    pct_complete: float | None = None
    """% complete weighted by BAC, or by effort where BACs do not add up (see the weighting)."""
    pct_complete_weighting: str | None = None
    """``bac`` or ``effort``: what ``pct_complete`` is weighted by (None when undefined)."""


def by_project(rows: Iterable[Row]) -> dict[str, list[Row]]:
    """Rows grouped by their project id, in their order."""
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row.project_id].append(row)
    return grouped


def project_metrics(
    dataset: Dataset,
    rules: ReportRules,
    resources: Resources,
    calendar: WorkingCalendar = PLAIN,
) -> list[ProjectMetrics]:
    """Progress, earned value, RAG and hours of every project, ordered by name; days are
    ``calendar``'s (working days, and instants read in its zone)."""
    tasks = by_project(dataset.tasks)
    entries = by_project(dataset.time_entries)
    costs = by_project(dataset.costs)
    budgets = by_project(dataset.budgets)
    updates = by_project(dataset.status_updates)
    parents = parent_ids(dataset.tasks)
    as_of = dataset.as_of
    result = []
    for project in sorted(dataset.projects, key=lambda p: (p.name.casefold(), p.id)):
        pid = project.id
        progress = project_progress(
            tasks.get(pid, []),
            parents,
            as_of,
            rules.period_days,
            calendar,
            baseline=dataset.baselines.get(pid),
            project=project,
        )
        value = earned_value(
            progress,
            budgets.get(pid, []),
            costs.get(pid, []),
            entries.get(pid, []),
            as_of,
            resources,
            dataset.people,
            project=project,
            baseline=dataset.baselines.get(pid),
            work_task_ids={t.id for t in work_tasks(tasks.get(pid, []), parents)},
            min_coverage_pct=rules.min_ac_coverage_pct,
        )
        rag = project_rag(
            project,
            updates.get(pid, []),
            progress,
            value.cpi,
            as_of,
            rules.rag,
            calendar.zone,
        )
        hours = logged_hours(entries.get(pid, []), as_of)
        result.append(ProjectMetrics(project, progress, value, rag, hours))
    return result


def basis_totals(metrics: Iterable[ProjectMetrics]) -> tuple[BasisTotals, ...]:
    """PV/EV/AC sums per (basis, currency): money groups by currency first, then hours."""
    groups: dict[tuple[str, str | None], list[EarnedValue]] = defaultdict(list)
    for item in metrics:
        value = item.earned_value
        if value.pv is not None and value.ev is not None and value.ac is not None:
            groups[(value.basis, value.currency)].append(value)
    ordered = sorted(groups, key=lambda k: (k[0] != "money", k[0], k[1] or ""))
    return tuple(_totals(basis, currency, groups[(basis, currency)]) for basis, currency in ordered)


def _totals(basis: str, currency: str | None, values: Sequence[EarnedValue]) -> BasisTotals:
    pv = sum(v.pv or 0.0 for v in values)
    ev = sum(v.ev or 0.0 for v in values)
    ac = sum(v.ac or 0.0 for v in values)
    costed = [v for v in values if not v.ac_withheld]
    ac_costed = sum(v.ac or 0.0 for v in costed)
    ev_costed = sum(v.ev or 0.0 for v in costed)
    bac = sum(v.bac or 0.0 for v in values)
    pct = ratio(ev, bac)
    return BasisTotals(
        basis,
        currency,
        len(values),
        pv,
        ev,
        ac,
        spi=ratio(ev, pv),
        cpi=ratio(ev_costed, ac_costed),
        bac=bac,
        pct_complete=None if pct is None else pct * 100.0,
        costed=len(costed),
        withheld=len(values) - len(costed),
        ac_partial=any(v.ac_partial for v in costed),
    )


def rag_counts(values: Iterable[str | None]) -> dict[str, int]:
    """Projects per RAG value, every value present (0 when none), unknown under "none"."""
    counts = dict.fromkeys((*RAG_VALUES, UNKNOWN_RAG), 0)
    for value in values:
        key = value if value in counts else UNKNOWN_RAG
        counts[key] += 1
    return counts


def findings_per_project(findings: Iterable[Finding]) -> dict[str, int]:
    """Number of governance findings of each project."""
    counts: dict[str, int] = defaultdict(int)
    for finding in findings:
        counts[finding.project_id] += 1
    return counts


def rollup(
    name: str,
    metrics: Sequence[ProjectMetrics],
    findings: Mapping[str, int],
    portfolio_id: str | None = None,
    url: str | None = None,
    statuses: Collection[str] = DEFAULT_ROLLUP_STATUSES,
) -> Rollup:
    """Totals over ``metrics``: RAG counts, disagreements, completed milestones and governance
    findings of every project; % complete (BAC-weighted, effort-weighted, by count), PV/EV/AC
    per basis, overdue milestones and hours logged of those whose status is in ``statuses``."""
    counted = [m for m in metrics if m.project.status in statuses]
    estimate = sum(m.progress.estimate_hours for m in counted)
    earned = sum(m.progress.earned_hours for m in counted)
    work = sum(m.progress.work_tasks for m in counted)
    done = sum(m.progress.done_tasks for m in counted)
    totals = basis_totals(counted)
    effort = earned / estimate * 100.0 if estimate > 0 else None
    pct, weighting = weighted_complete(totals, effort)
    return Rollup(
        portfolio_id=portfolio_id,
        name=name,
        url=url,
        projects=len(metrics),
        computed=rag_counts(m.rag.computed for m in metrics),
        reported=rag_counts(m.rag.reported for m in metrics),
        pct_complete_effort=effort,
        pct_complete_count=done / work * 100.0 if work else None,
        totals=totals,
        overdue_milestones=sum(len(m.progress.milestones.overdue) for m in counted),
        milestones_completed=sum(len(m.progress.milestones.completed) for m in metrics),
        governance_findings=sum(findings.get(m.project.id, 0) for m in metrics),
        hours_logged=sum(m.hours_logged for m in counted),
        disagreements=sum(1 for m in metrics if m.rag.disagrees),
        in_totals=len(counted),
        pct_complete=pct,
        pct_complete_weighting=weighting,
    )


def weighted_complete(
    totals: Sequence[BasisTotals], effort_pct: float | None
) -> tuple[float | None, str | None]:
    """(% complete, weighting): sum EV / sum BAC when the measured projects share one basis and
    currency, else the effort-weighted % (BACs in several currencies or bases do not add up)."""
    weighed = [group for group in totals if group.pct_complete is not None]
    if len(weighed) == 1 and len(totals) == 1:
        return weighed[0].pct_complete, "bac"
    if effort_pct is not None:
        return effort_pct, "effort"
    return None, None


def portfolio_rollups(
    dataset: Dataset,
    metrics: Sequence[ProjectMetrics],
    findings: Mapping[str, int],
    statuses: Collection[str] = DEFAULT_ROLLUP_STATUSES,
) -> list[Rollup]:
    """One roll-up per portfolio of the dataset (by name), then "(no portfolio)" when some
    project is in none of them. A project in several portfolios counts in each."""
    known = {p.id for p in dataset.portfolios}
    members: dict[str | None, list[ProjectMetrics]] = defaultdict(list)
    for item in metrics:
        homes = [pid for pid in dict.fromkeys(item.project.portfolio_ids) if pid in known]
        for home in homes or [None]:
            members[home].append(item)
    result = [
        rollup(p.name, members[p.id], findings, p.id, p.source_url, statuses)
        for p in sorted(dataset.portfolios, key=lambda p: (p.name.casefold(), p.id))
    ]
    if members.get(None):
        result.append(rollup(NO_PORTFOLIO, members[None], findings, statuses=statuses))
    return result


def portfolio_metrics(
    dataset: Dataset,
    rules: ReportRules,
    resources: Resources,
    calendar: WorkingCalendar = PLAIN,
) -> tuple[list[ProjectMetrics], list[Rollup], Rollup]:
    """Project metrics, per-portfolio roll-ups and the roll-up of all projects together."""
    metrics = project_metrics(dataset, rules, resources, calendar)
    findings = findings_per_project(governance_findings(dataset, rules.governance, calendar.zone))
    statuses = frozenset(rules.rollup_statuses)
    rollups = portfolio_rollups(dataset, metrics, findings, statuses)
    return metrics, rollups, rollup("All projects", metrics, findings, statuses=statuses)
