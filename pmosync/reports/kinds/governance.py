"""The governance report: the gaps in project plans the PMO would otherwise chase by hand.

Arranges ``metrics.governance`` findings into a linked list, counts per check and per project,
with a chart of findings by check and a trend of the total across runs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from pmosync.config.reports import GOVERNANCE_CHECKS
from pmosync.reports.dataset import Dataset, ProjectRow
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
from pmosync.reports.kinds.shaping import LIST_LIMIT, amber_if, trend_chart
from pmosync.reports.metrics.governance import (
    RULE_TITLES,
    Finding,
    governance_findings,
    governed_projects,
)

"""Rows of a long list shown in HTML and email; the files hold them all."""

FINDINGS_COLOR = "#c62828"
PROJECTS_COLOR = "#1f77b4"


def build(dataset: Dataset, context: ReportContext) -> ReportDocument:
    """The governance report of ``dataset`` under ``context.rules.governance``."""
    rules = context.rules.governance
    enabled = [r for r in GOVERNANCE_CHECKS if r in rules.checks]
    findings = governance_findings(dataset, rules, context.timezone)
    checked = governed_projects(dataset)
    by_rule = Counter(f.rule for f in findings)
    flagged_projects = {f.project_id for f in findings}
    trend: dict[str, Any] = {
        "findings": len(findings),
        "projects_with_findings": len(flagged_projects),
        "projects_checked": len(checked),
        "by_rule": {r: by_rule[r] for r in enabled},
    }
    projects = {p.id: p for p in dataset.projects}
    return context.document(
        dataset.as_of,
        figures=(
            Figure("findings", "Governance findings", len(findings), rag=amber_if(len(findings))),
            Figure(
                "projects_with_findings",
                "Projects with findings",
                len(flagged_projects),
                rag=amber_if(len(flagged_projects)),
            ),
            Figure("projects_checked", "Projects checked", len(checked)),
            Figure(
                "projects_exempt",
                "Projects exempt (completed or archived)",
                len(dataset.projects) - len(checked),
            ),
        ),
        charts=(
            _rule_chart(enabled, by_rule),
            _trend_chart(context.history, dataset.as_of.isoformat(), trend),
        ),
        sections=(
            _by_rule_section(enabled, findings),
            _by_project_section(enabled, findings, projects),
            _findings_section(findings, projects, enabled, _task_urls(dataset, findings)),
        ),
        trend=trend,
    )


def _task_urls(dataset: Dataset, findings: list[Finding]) -> dict[str, str | None]:
    """The own link of each task a finding is about."""
    wanted = {f.task_id for f in findings if f.task_id is not None}
    return {t.id: t.source_url for t in dataset.tasks if t.id in wanted}


def _disabled_note(enabled: list[str]) -> str | None:
    off = [RULE_TITLES[r].lower() for r in GOVERNANCE_CHECKS if r not in enabled]
    return f"Checks switched off: {', '.join(off)}." if off else None


NO_NAME = "(no name)"
"""What the item column says for a task or milestone whose name is empty."""


def _findings_section(
    findings: list[Finding],
    projects: dict[str, ProjectRow],
    enabled: list[str],
    task_urls: dict[str, str | None],
) -> Section:
    """One row per finding. The item column names the task or milestone and links to its own
    page only; a finding about the project itself leaves it empty (the project column links to
    the project), so no cell ever shows a project's address in place of a task's name."""
    rows = tuple(
        {
            "check": RULE_TITLES[f.rule],
            "rule": f.rule,
            "project": f.project,
            "project_url": projects[f.project_id].source_url,
            "item": (f.item or NO_NAME) if f.task_id is not None else "",
            "url": task_urls.get(f.task_id) if f.task_id is not None else None,
            "detail": f.detail,
        }
        for f in findings
    )
    return Section(
        key="findings",
        title="Findings",
        columns=(
            Column("project", "Project", link="project_url"),
            Column("check", "Check"),
            Column("item", "Task or milestone", link="url"),
            Column("detail", "Detail"),
            Column("rule", "Rule"),
        ),
        rows=rows,
        note=_disabled_note(enabled),
        html_limit=LIST_LIMIT,
    )


def _by_rule_section(enabled: list[str], findings: list[Finding]) -> Section:
    counts = Counter(f.rule for f in findings)
    projects: dict[str, set[str]] = defaultdict(set)
    for f in findings:
        projects[f.rule].add(f.project_id)
    rows = tuple(
        {
            "check": RULE_TITLES[r],
            "rule": r,
            "findings": counts[r],
            "projects": len(projects[r]),
        }
        for r in enabled
    )
    return Section(
        key="by_rule",
        title="Findings by check",
        columns=(
            Column("check", "Check"),
            Column("rule", "Rule"),
            Column("findings", "Findings", "int"),
            Column("projects", "Projects", "int"),
        ),
        rows=rows,
        note=_disabled_note(enabled),
        html_limit=None,
    )


def _by_project_section(
    enabled: list[str], findings: list[Finding], projects: dict[str, ProjectRow]
) -> Section:
    """Projects with at least one finding, most findings first."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for f in findings:
        counts[f.project_id][f.rule] += 1
    ordered = sorted(
        counts,
        key=lambda pid: (-counts[pid].total(), projects[pid].name.casefold(), pid),
    )
    rows = tuple(
        {
            "project": projects[pid].name,
            "url": projects[pid].source_url,
            "status": projects[pid].status,
            "findings": counts[pid].total(),
            **{r: counts[pid][r] for r in enabled},
        }
        for pid in ordered
    )
    return Section(
        key="by_project",
        title="Findings by project",
        columns=(
            Column("project", "Project", link="url"),
            # the project's status is for the files: the HTML table keeps the project, its
            # total and one count per check (at most 8 columns with every check enabled)
            Column("status", "Status", detail=True),
            Column("findings", "Findings", "int"),
        )
        + tuple(Column(r, RULE_TITLES[r], "int") for r in enabled),
        rows=rows,
        html_limit=LIST_LIMIT,
    )


def _rule_chart(enabled: list[str], by_rule: Counter[str]) -> Chart:
    return Chart(
        key="findings_by_rule",
        title="Findings by check",
        kind="bar",
        x=tuple(RULE_TITLES[r] for r in enabled),
        series=(Series("Findings", tuple(float(by_rule[r]) for r in enabled), FINDINGS_COLOR),),
        y_label="findings",
        y_type="int",
    )


def _trend_chart(history: tuple[TrendPoint, ...], as_of: str, trend: dict[str, Any]) -> Chart:
    return trend_chart(
        "findings_trend",
        "Governance findings over time",
        (*history, TrendPoint(as_of, trend)),
        (
            ("Findings", "findings", FINDINGS_COLOR),
            ("Projects with findings", "projects_with_findings", PROJECTS_COLOR),
        ),
        "count",
    )
