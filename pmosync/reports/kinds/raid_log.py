"""The RAID log report: risks, assumptions, issues, decisions and change requests as a PMO reads
them, and the RAID sections of the portfolio status report.

Arranges ``metrics.raid`` results: headline counts, the 5x5 heat map of open risks, top risks,
overdue issues, decisions awaited, assumptions to validate, change requests, counts by kind and
status, and the full log for the files. Every list links each item to its page in the team's
tool; a project the item names is shown by name, an item naming none as "portfolio-wide".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from pmosync.config.reports import RaidRules
from pmosync.reports.dataset import Dataset, PersonRow, RaidRow
from pmosync.reports.document import (
    SHADE_SUFFIX,
    Chart,
    Column,
    Figure,
    ReportDocument,
    Section,
    TrendPoint,
)
from pmosync.reports.kinds import ReportContext
from pmosync.reports.kinds.shaping import LIST_LIMIT, amber_if, iso_date, red_if, trend_chart
from pmosync.reports.metrics.raid import (
    CR_OUTCOMES,
    RATINGS,
    HeatMap,
    change_request_outcome,
    change_requests,
    counts_by_kind,
    decisions_awaited,
    heat_map,
    high_risks,
    known_by,
    open_of_kind,
    overdue_issues,
    top_risks,
)
from pmosync.reports.metrics.summary import change
from pmosync.reports.render.cells import shade

PORTFOLIO_WIDE = "portfolio-wide"
"""The project column of an item naming no project."""
UNKNOWN_PROJECT = "(project not in this report)"
KIND_TITLES = {
    "risk": "Risk",
    "issue": "Issue",
    "assumption": "Assumption",
    "decision": "Decision",
    "change_request": "Change request",
}
STATUS_TITLES = {"open": "open", "in_progress": "in progress", "closed": "closed"}
PROBABILITY_WORDS = {1: "rare", 2: "unlikely", 3: "possible", 4: "likely", 5: "almost certain"}
IMPACT_WORDS = {1: "negligible", 2: "minor", 3: "moderate", 4: "major", 5: "severe"}
TREND_LINES = (
    ("Open risks", "open_risks", "#1f77b4"),
    ("Top risks", "high_risks", "#c62828"),
    ("Overdue issues", "overdue_issues", "#f5a623"),
    ("Decisions awaited", "decisions_awaited", "#6a1b9a"),
)


def build(dataset: Dataset, context: ReportContext) -> ReportDocument:
    """The RAID log of ``dataset`` at its ``as_of`` under ``context.rules.raid``."""
    rules = context.rules.raid
    as_of = dataset.as_of
    items = known_by(dataset.raid_items, as_of)
    names = Names(dataset)
    trend = trend_point(items, as_of, rules)
    previous = context.history[-1] if context.history else None
    return context.document(
        as_of,
        figures=figures(trend, rules, previous),
        charts=(_trend_chart(context.history, as_of, trend),),
        sections=_one_line_when_empty(
            items,
            (
                heat_map_section(heat_map(items)),
                top_risks_section(items, rules, names, LIST_LIMIT),
                overdue_section(items, as_of, names, LIST_LIMIT),
                decisions_section(items, as_of, rules, names, LIST_LIMIT),
                assumptions_section(items, names),
                change_requests_section(items, names),
                kinds_section(items),
                log_section(items, names),
            ),
        ),
        trend=trend,
        previous_as_of=previous.as_of if previous else None,
    )


def _one_line_when_empty(
    items: list[RaidRow], sections: tuple[Section, ...]
) -> tuple[Section, ...]:
    """With no item at all, the page says so once (the by-kind section's line) instead of
    "no risks", "no issues"... in every section; the files keep every section, empty."""
    if items:
        return sections
    return tuple(s if s.key == "raid_by_kind" else replace(s, empty=None) for s in sections)


def raid_sections(dataset: Dataset, rules: RaidRules) -> tuple[Section, ...]:
    """The RAID part of the portfolio status report: top risks, the heat map, overdue issues
    and decisions awaited, each listing at most ``rules.top`` rows in HTML (the files hold
    all). None at all when the portfolio keeps no RAID log (no item in scope), so a PMO that
    does not use one is not told "no risks" every week."""
    items = known_by(dataset.raid_items, dataset.as_of)
    if not items:
        return ()
    names = Names(dataset)
    return (
        top_risks_section(items, rules, names, rules.top, title="RAID: top risks"),
        heat_map_section(heat_map(items), title="RAID: risk heat map"),
        overdue_section(items, dataset.as_of, names, rules.top, title="RAID: overdue issues"),
        decisions_section(
            items, dataset.as_of, rules, names, rules.top, title="RAID: decisions awaited"
        ),
    )


class Names:
    """Project and owner names of a dataset, as the RAID tables show them."""

    def __init__(self, dataset: Dataset) -> None:
        self._projects = {p.id: p for p in dataset.projects}
        self._people = dataset.people

    def project(self, project_id: str | None) -> str:
        if project_id is None:
            return PORTFOLIO_WIDE
        project = self._projects.get(project_id)
        return project.name if project is not None else UNKNOWN_PROJECT

    def project_url(self, project_id: str | None) -> str | None:
        project = self._projects.get(project_id) if project_id is not None else None
        return project.source_url if project is not None else None

    def owner(self, person_id: str | None) -> str | None:
        return owner_label(self._people, person_id)


def owner_label(people: Mapping[str, PersonRow], person_id: str | None) -> str | None:
    """A person's name (else email) as RAID and board pack tables show it; an id the dataset
    does not know is shown as it is, not hidden."""
    if person_id is None:
        return None
    person = people.get(person_id)
    return person.label if person is not None else person_id


# --- figures and trend ------------------------------------------------------------------------


def trend_point(items: list[RaidRow], as_of: date, rules: RaidRules) -> dict[str, Any]:
    """This run's headline counts, kept in the snapshot for the trend chart and the changes."""
    return {
        "open_risks": len(open_of_kind(items, "risk")),
        "high_risks": len(high_risks(items, rules.high_score)),
        "overdue_issues": len(overdue_issues(items, as_of)),
        "decisions_awaited": len(decisions_awaited(items, as_of, rules.decision_warning_days)),
        "open_change_requests": change_requests(items)["open"],
        "open_issues": len(open_of_kind(items, "issue")),
    }


def figures(
    trend: dict[str, Any], rules: RaidRules, previous: TrendPoint | None = None
) -> tuple[Figure, ...]:
    before = previous.trend if previous is not None else None

    def figure(key: str, label: str, rag: str | None = None) -> Figure:
        return Figure(
            key, label, trend[key], rag=rag, change=change(float(trend[key]), before, key)
        )

    return (
        figure("open_risks", "Open risks"),
        figure("high_risks", f"Risks scoring {rules.high_score}+", red_if(trend["high_risks"])),
        figure("overdue_issues", "Overdue issues", red_if(trend["overdue_issues"])),
        figure("decisions_awaited", "Decisions awaited", amber_if(trend["decisions_awaited"])),
        figure("open_change_requests", "Open change requests"),
        figure("open_issues", "Open issues"),
    )


def _trend_chart(history: tuple[TrendPoint, ...], as_of: date, trend: dict[str, Any]) -> Chart:
    return trend_chart(
        "raid_trend",
        "RAID log over time",
        (*history, TrendPoint(as_of.isoformat(), trend)),
        TREND_LINES,
        "items",
        "int",
    )


# --- sections ----------------------------------------------------------------------------------


def _band(score: int | None) -> str | None:
    shaded = shade(score, "risk_score")
    return shaded[2] if shaded else None


def _item(item: RaidRow, names: Names, title_key: str = "item") -> dict[str, Any]:
    """The columns every list shares: the item linked to its page, its project and owner."""
    return {
        title_key: item.title,
        "url": item.source_url,
        "project": names.project(item.project_id),
        "project_url": names.project_url(item.project_id),
        "owner": names.owner(item.owner_id),
        "status": STATUS_TITLES.get(item.status, item.status),
    }


def _item_columns(key: str, title: str) -> tuple[Column, ...]:
    """The columns of ``_item``'s row every list opens with: the item, its project, its owner."""
    return (
        Column(key, title, link="url"),
        Column("project", "Project", link="project_url"),
        Column("owner", "Owner"),
    )


HEAT_NOTE = (
    "Each cell counts the open risks at that probability (rows) and impact (columns); its "
    "colour is the band of probability x impact: 1-4 low, 5-9 medium, 10-16 high, 20-25 "
    "critical."
)


def heat_map_section(matrix: HeatMap, title: str = "Risk heat map") -> Section:
    """The 5x5 matrix as a table: a row per probability (5 at the top), a column per impact
    (1 on the left). Each cell shows its count and is shaded by its score, probability x
    impact (the row's ``<key>__shade``), not by the count."""
    rows: tuple[dict[str, Any], ...] = ()
    if matrix.rated:
        rows = tuple(
            {
                "probability": f"{p} {PROBABILITY_WORDS[p]}",
                **{f"impact_{i}": matrix.count(p, i) for i in RATINGS},
                **{f"impact_{i}{SHADE_SUFFIX}": p * i for i in RATINGS},
            }
            for p in reversed(RATINGS)
        )
    unrated = (
        f" {matrix.unrated} open risk(s) lack a probability or impact and are not placed."
        if matrix.unrated
        else ""
    )
    return Section(
        key="risk_heat_map",
        title=title,
        columns=(
            Column("probability", "Probability \\ impact"),
            *(
                Column(f"impact_{i}", f"{i} {IMPACT_WORDS[i]}", "int", shade="risk_score")
                for i in RATINGS
            ),
        ),
        rows=rows,
        note=HEAT_NOTE + unrated,
        html_limit=None,
        empty="No open risks with a probability and impact." + unrated,
    )


def top_risks_section(
    items: list[RaidRow],
    rules: RaidRules,
    names: Names,
    html_limit: int | None,
    title: str = "Top risks",
) -> Section:
    """Open risks by score (highest first), then due date; the first ``rules.top`` of them."""
    rows = tuple(
        {
            **_item(r, names, "risk"),
            "score": r.score,
            "band": _band(r.score),
            "due": iso_date(r.due_date),
            "mitigation": r.mitigation,
            "probability": r.probability,
            "impact": r.impact,
            "raised": iso_date(r.raised_on),
        }
        for r in top_risks(items, rules.top)
    )
    return Section(
        key="top_risks",
        title=title,
        columns=(
            *_item_columns("risk", "Risk"),
            Column("score", "Score", "int", shade="risk_score"),
            Column("due", "Due", "date"),
            Column("status", "Status"),
            Column("mitigation", "Mitigation"),
            Column("band", "Band", detail=True),
            Column("probability", "Probability", "int", detail=True),
            Column("impact", "Impact", "int", detail=True),
            Column("raised", "Raised", "date", detail=True),
        ),
        rows=rows,
        note=f"The {rules.top} open risks with the highest score (probability x impact), "
        "then the earliest due date.",
        html_limit=html_limit,
        empty="No open risks.",
    )


def overdue_section(
    items: list[RaidRow],
    as_of: date,
    names: Names,
    html_limit: int | None,
    title: str = "Overdue issues",
) -> Section:
    rows = tuple(
        {
            **_item(o.item, names, "issue"),
            "due": iso_date(o.item.due_date),
            "days_overdue": o.days,
            "action": o.item.mitigation,
            "score": o.item.score,
            "raised": iso_date(o.item.raised_on),
        }
        for o in overdue_issues(items, as_of)
    )
    return Section(
        key="overdue_issues",
        title=title,
        columns=(
            *_item_columns("issue", "Issue"),
            Column("due", "Due", "date"),
            Column("days_overdue", "Days overdue", "days"),
            Column("status", "Status"),
            Column("action", "Action"),
            Column("score", "Score", "int", detail=True),
            Column("raised", "Raised", "date", detail=True),
        ),
        rows=rows,
        note="Open issues due before the report date, most overdue first (calendar days).",
        html_limit=html_limit,
        empty="No overdue issues.",
    )


def decisions_section(
    items: list[RaidRow],
    as_of: date,
    rules: RaidRules,
    names: Names,
    html_limit: int | None,
    title: str = "Decisions awaited",
) -> Section:
    rows = tuple(
        {
            **_item(a.item, names, "decision"),
            "raised": iso_date(a.item.raised_on),
            "age_days": a.age_days,
            "due": iso_date(a.item.due_date),
            "due_in_days": a.due_in_days,
            "state": a.state,
        }
        for a in decisions_awaited(items, as_of, rules.decision_warning_days)
    )
    return Section(
        key="decisions_awaited",
        title=title,
        columns=(
            *_item_columns("decision", "Decision"),
            Column("raised", "Raised", "date"),
            Column("age_days", "Age (days)", "days"),
            Column("due", "Due", "date"),
            Column("due_in_days", "Due in (days)", "days"),
            Column("state", "Flag"),
            Column("status", "Status", detail=True),
        ),
        rows=rows,
        note=(
            "Open decisions, the earliest due first; due soon: within "
            f"{rules.decision_warning_days} days of the report date."
        ),
        html_limit=html_limit,
        empty="No decisions awaited.",
    )


def assumptions_section(items: list[RaidRow], names: Names) -> Section:
    rows = tuple(
        {
            **_item(a, names, "assumption"),
            "due": iso_date(a.due_date),
            "validation": a.mitigation,
            "score": a.score,
            "raised": iso_date(a.raised_on),
        }
        for a in open_of_kind(items, "assumption")
    )
    return Section(
        key="assumptions",
        title="Assumptions to validate",
        columns=(
            *_item_columns("assumption", "Assumption"),
            Column("due", "Validate by", "date"),
            Column("status", "Status"),
            Column("validation", "Validation"),
            Column("score", "Score", "int", detail=True),
            Column("raised", "Raised", "date", detail=True),
        ),
        rows=rows,
        note="Open assumptions, the highest score first, then the earliest validate-by date.",
        html_limit=LIST_LIMIT,
        empty="No open assumptions.",
    )


def change_requests_section(items: list[RaidRow], names: Names) -> Section:
    """Every change request: open ones first, then approved, rejected and closed."""
    order = {outcome: n for n, outcome in enumerate(CR_OUTCOMES)}
    requests = sorted(
        (i for i in items if i.kind == "change_request"),
        key=lambda i: (order[change_request_outcome(i)], i.raised_on or date.max, i.title, i.id),
    )
    counts = change_requests(items)
    rows = tuple(
        {
            **_item(c, names, "change_request"),
            "outcome": change_request_outcome(c),
            "raised": iso_date(c.raised_on),
            "due": iso_date(c.due_date),
            "closed": iso_date(c.closed_on),
            "resolution": c.resolution,
        }
        for c in requests
    )
    return Section(
        key="change_requests",
        title="Change requests",
        columns=(
            *_item_columns("change_request", "Change request"),
            Column("outcome", "Outcome"),
            Column("raised", "Raised", "date"),
            Column("due", "Due", "date"),
            Column("resolution", "Resolution"),
            Column("closed", "Closed", "date", detail=True),
            Column("status", "Status", detail=True),
        ),
        rows=rows,
        note=", ".join(f"{counts[o]} {o}" for o in CR_OUTCOMES)
        + ". Approved or rejected: closed, with a resolution starting with that word.",
        html_limit=LIST_LIMIT,
        empty="No change requests.",
    )


def kinds_section(items: list[RaidRow]) -> Section:
    counts = counts_by_kind(items)
    rows = tuple(
        {
            "kind": KIND_TITLES[kind],
            "open": by_status["open"],
            "in_progress": by_status["in_progress"],
            "closed": by_status["closed"],
            "total": sum(by_status.values()),
        }
        for kind, by_status in counts.items()
    )
    return Section(
        key="raid_by_kind",
        title="RAID items by kind and status",
        columns=(
            Column("kind", "Kind"),
            Column("open", "Open", "int"),
            Column("in_progress", "In progress", "int"),
            Column("closed", "Closed", "int"),
            Column("total", "Total", "int"),
        ),
        rows=rows if items else (),
        html_limit=None,
        empty="No RAID items in scope: no source feeds a RAID log, or it is empty.",
    )


def log_section(items: list[RaidRow], names: Names) -> Section:
    """Every item of the log, for the files: the HTML names it and leaves the table out."""
    ordered = sorted(items, key=lambda i: (i.kind, i.title.casefold(), i.id))
    rows = tuple(
        {
            "kind": KIND_TITLES.get(i.kind, i.kind),
            **_item(i, names),
            "raised": iso_date(i.raised_on),
            "due": iso_date(i.due_date),
            "closed": iso_date(i.closed_on),
            "probability": i.probability,
            "impact": i.impact,
            "score": i.score,
            "band": _band(i.score) if i.kind == "risk" else None,
            "mitigation": i.mitigation,
            "resolution": i.resolution,
        }
        for i in ordered
    )
    return Section(
        key="raid_log",
        title="RAID log (every item)",
        columns=(
            Column("kind", "Kind"),
            *_item_columns("item", "Item"),
            Column("status", "Status"),
            Column("raised", "Raised", "date"),
            Column("due", "Due", "date"),
            Column("closed", "Closed", "date"),
            Column("probability", "Probability", "int"),
            Column("impact", "Impact", "int"),
            Column("score", "Score", "int"),
            Column("band", "Band"),
            Column("mitigation", "Mitigation or action"),
            Column("resolution", "Resolution"),
        ),
        rows=rows,
        detail=True,
        empty="No RAID items.",
    )
