"""The timesheet compliance report: whose timesheets to chase, and how the team is doing.

Arranges ``metrics.compliance`` into a person x week status grid, the weekly compliance rate,
and the list of non-compliant person-weeks (newest week first: that is the one to chase), with
charts of the weeks and a trend of the compliance rate across runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from pmosync.reports.dataset import Dataset
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
from pmosync.reports.kinds.shaping import (
    HTML_COLUMNS,
    LIST_LIMIT,
    amber_if,
    red_if,
    trend_chart,
)
from pmosync.reports.metrics.compliance import (
    STATUSES,
    Compliance,
    PersonWeekStatus,
    compliance,
    overall_rate,
)
from pmosync.reports.metrics.utilisation import usual_projects
from pmosync.reports.metrics.weeks import week_label

STATUS_COLORS = {
    "ok": "#2e7d32",
    "under": "#f9a825",
    "over": "#6a1b9a",
    "missing": "#c62828",
    "on_leave": "#90a4ae",
}
RATE_COLOR = "#1f77b4"
REMINDED = ("missing", "under")
"""The statuses a timesheet reminder chases."""
PERSON_COLUMNS = (
    Column("person", "Person"),
    Column("email", "Email", detail=True),
    Column("contract", "Contract (h/week)", "hours"),
)
"""Who: the email is in the files (a reminder list to mail merge), not in the page."""


def build(dataset: Dataset, context: ReportContext) -> ReportDocument:
    """The compliance report of ``dataset`` under ``context``'s rules and resources."""
    result = compliance(dataset, context.rules, context.resources, context.calendar)
    counts = {s: sum(1 for r in result.rows if r.status == s) for s in STATUSES}
    last_week = result.by_week[-1].rate_pct if result.by_week else None
    trend: dict[str, Any] = {
        "people": len(result.people),
        "compliance_pct": overall_rate(result),
        "last_week_pct": last_week,
        **counts,
    }
    to_chase = last_week_to_chase(result)
    unreachable = [r.person.label for r in to_chase if not r.person.email]
    return context.document(
        dataset.as_of,
        figures=_figures(trend, context.rules.compliance.over_is_compliant),
        charts=(
            _rate_chart(result),
            _status_chart(result),
            _trend_chart(context.history, dataset.as_of.isoformat(), trend),
        ),
        sections=(
            _weeks_section(result, context),
            _status_section(result),
            _non_compliant_section(result, unreachable),
            _to_remind_section(to_chase, dataset, unreachable),
        ),
        trend=trend,
    )


def _figures(trend: dict[str, Any], over_is_compliant: bool) -> tuple[Figure, ...]:
    not_ok = trend["missing"] + trend["under"] + (0 if over_is_compliant else trend["over"])
    return (
        Figure("people", "People", trend["people"]),
        Figure("on_leave", "Person-weeks on leave", trend["on_leave"]),
        Figure("non_compliant", "Non-compliant person-weeks", not_ok, rag=amber_if(not_ok)),
        Figure("missing", "Missing timesheets", trend["missing"], rag=red_if(trend["missing"])),
        Figure("under", "Short timesheets", trend["under"], rag=amber_if(trend["under"])),
        Figure("over", "Over-logged timesheets", trend["over"], rag=amber_if(trend["over"])),
        Figure("last_week_pct", "Compliance last week", trend["last_week_pct"], "percent"),
        Figure("compliance_pct", "Compliance over the weeks", trend["compliance_pct"], "percent"),
    )


def _week_key(index: int) -> str:
    """Grid column keys by position, so they stay slugs whatever the week labels look like."""
    return f"week_{index + 1}"


def _weeks_section(result: Compliance, context: ReportContext) -> Section:
    rows = tuple(
        {
            "week": week_label(w.week),
            "week_start": w.week.isoformat(),
            "people": w.people,
            **w.counts,
            "compliance_pct": w.rate_pct,
        }
        for w in result.by_week
    )
    return Section(
        key="weeks",
        title="Compliance by week",
        columns=(
            Column("week", "Week"),
            Column("week_start", "Starts", "date", detail=True),
            Column("people", "People", "int"),
            Column("ok", "OK", "int"),
            Column("under", "Short", "int"),
            Column("over", "Over", "int"),
            Column("missing", "Missing", "int"),
            Column("on_leave", "On leave", "int"),
            Column("compliance_pct", "Compliance %", "percent"),
        ),
        rows=rows,
        note=_rule_note(context),
        html_limit=None,
    )


def _rule_note(context: ReportContext) -> str:
    """The verdicts in words, with this report's thresholds."""
    rules = context.rules.compliance
    states = " and ".join(rules.count_approvals)
    tolerance = f"{rules.tolerance_hours:g} h"
    if rules.tolerance_pct:
        tolerance = f"the larger of {tolerance} and {rules.tolerance_pct:g} %"
    compliant = "OK or over" if rules.over_is_compliant else "OK"
    return (
        "Expected: contract hours less public holidays and leave. OK: logged at least the "
        f"expected hours less {tolerance}, and at most {context.rules.over_logged_pct:g} % of "
        f"them; counted: {states} time and time from tools without approvals. On leave: "
        f"nothing expected that week. Compliance = {compliant} / people not on leave."
    )


def _status_section(result: Compliance) -> Section:
    """One row per person, one column per week of the window."""
    by_person: dict[str, list[PersonWeekStatus]] = defaultdict(list)
    for r in result.rows:
        by_person[r.person.id].append(r)
    column_of = {w: _week_key(i) for i, w in enumerate(result.weeks)}
    rows = []
    for person in result.people:
        weeks = by_person.get(person.id, [])
        row: dict[str, Any] = {
            "person": person.label,
            "email": person.email,
            "contract": weeks[0].contract if weeks else None,
        }
        row.update({column_of[r.week]: r.status for r in weeks})
        rows.append(row)
    return Section(
        key="status",
        title="Timesheet status by person and week",
        columns=PERSON_COLUMNS + week_columns(result.weeks, column_of),
        rows=tuple(rows),
        html_limit=LIST_LIMIT,
    )


def week_columns(weeks: Sequence[date], column_of: dict[date, str]) -> tuple[Column, ...]:
    """One column per week, the newest that fit beside the person's two in HTML's eight; the
    older weeks are in the files only."""
    shown = HTML_COLUMNS - sum(1 for c in PERSON_COLUMNS if not c.detail)
    first_shown = max(len(weeks) - shown, 0)
    return tuple(
        Column(column_of[w], week_label(w), detail=index < first_shown)
        for index, w in enumerate(weeks)
    )


def last_week_to_chase(result: Compliance) -> list[PersonWeekStatus]:
    """The person-weeks of the last complete week that are missing or short: whom a timesheet
    reminder goes to (over-logged weeks are not chased by reminder)."""
    if not result.weeks:
        return []
    last = result.weeks[-1]
    return [r for r in result.rows if r.week == last and r.status in REMINDED]


def _no_email_note(unreachable: list[str]) -> str:
    if not unreachable:
        return ""
    count = len(unreachable)
    who = "person" if count == 1 else "people"
    return f" {count} {who} could not be reminded: no email ({', '.join(unreachable)})."


def _to_remind_section(
    to_chase: list[PersonWeekStatus], dataset: Dataset, unreachable: list[str]
) -> Section:
    """The last complete week's missing and short timesheets with what a personal reminder
    says: the week, expected and logged hours, and the projects the person usually logs to
    (``reports.delivery.reminders`` sends it from this section, so a retry sends the same)."""
    names = {p.id: p.name for p in dataset.projects}
    last_day = to_chase[0].week + timedelta(days=6) if to_chase else dataset.as_of
    usual = usual_projects(dataset.time_entries, (r.person.id for r in to_chase), last_day)
    rows = tuple(
        {
            "person": r.person.label,
            "email": r.person.email,
            "week": week_label(r.week),
            "week_start": r.week.isoformat(),
            "expected": r.expected,
            "logged": r.logged,
            "status": r.status,
            "projects": "; ".join(names.get(p, p) for p in usual.get(r.person.id, ())),
        }
        for r in to_chase
    )
    return Section(
        key="to_remind",
        title="Last week's timesheets to chase",
        columns=(
            Column("person", "Person"),
            Column("email", "Email"),
            Column("week", "Week"),
            Column("week_start", "Starts", "date"),
            Column("expected", "Expected (h)", "hours"),
            Column("logged", "Logged (h)", "hours"),
            Column("status", "Status"),
            Column("projects", "Usually logs to"),
        ),
        rows=rows,
        note="Missing and short timesheets of the last complete week."
        + _no_email_note(unreachable),
        detail=True,
    )


def _non_compliant_section(result: Compliance, unreachable: list[str]) -> Section:
    flagged = sorted(
        (r for r in result.rows if not r.compliant and r.status != "on_leave"),
        key=lambda r: (-r.week.toordinal(), r.person.label.casefold(), r.person.id),
    )
    rows = tuple(
        {
            "person": r.person.label,
            "email": r.person.email,
            "contract": r.contract,
            "week": week_label(r.week),
            "holiday_hours": r.holiday_hours,
            "leave_hours": r.leave_hours,
            "expected": r.expected,
            "logged": r.logged,
            "logged_pct": r.logged_pct,
            "uncounted": r.uncounted,
            "status": r.status,
        }
        for r in flagged
    )
    return Section(
        key="non_compliant",
        title="Timesheets to chase",
        columns=PERSON_COLUMNS
        + (
            Column("week", "Week"),
            Column("holiday_hours", "Holidays (h)", "hours", detail=True),
            Column("leave_hours", "Leave (h)", "hours", detail=True),
            Column("expected", "Expected (h)", "hours"),
            Column("logged", "Logged (h)", "hours"),
            Column("logged_pct", "Logged % of expected", "percent"),
            Column("uncounted", "Not counted (h)", "hours", detail=True),
            Column("status", "Status"),
        ),
        rows=rows,
        note=(
            "Newest week first. Not counted: time in an approval state the report does not "
            "count (drafts, rejected time)."
        )
        + _no_email_note(unreachable),
        html_limit=LIST_LIMIT,
    )


def _rate_chart(result: Compliance) -> Chart:
    return Chart(
        key="compliance_by_week",
        title="Timesheet compliance by week",
        kind="bar",
        x=tuple(week_label(w.week) for w in result.by_week),
        series=(Series("Compliance %", tuple(w.rate_pct for w in result.by_week), RATE_COLOR),),
        y_label="% of people",
    )


def _status_chart(result: Compliance) -> Chart:
    return Chart(
        key="status_by_week",
        title="Timesheet status by week",
        kind="stacked_bar",
        x=tuple(week_label(w.week) for w in result.by_week),
        series=tuple(
            Series(s, tuple(float(w.counts[s]) for w in result.by_week), STATUS_COLORS[s])
            for s in ("ok", "under", "over", "missing", "on_leave")
        ),
        y_label="people",
    )


def _trend_chart(history: tuple[TrendPoint, ...], as_of: str, trend: dict[str, Any]) -> Chart:
    return trend_chart(
        "compliance_trend",
        "Timesheet compliance over time",
        (*history, TrendPoint(as_of, trend)),
        (
            ("Compliance %", "compliance_pct", RATE_COLOR),
            ("Last week %", "last_week_pct", STATUS_COLORS["ok"]),
        ),
        "% of person-weeks",
    )
