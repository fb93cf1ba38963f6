"""The resource utilisation report: who is booked beyond capacity, who logs well below it.

Arranges ``metrics.utilisation`` into a per-person summary, the team per week, and every
person-week, with a chart of the weeks and a trend of team utilisation across runs.
"""

from __future__ import annotations

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
from pmosync.reports.kinds.shaping import LIST_LIMIT, trend_chart
from pmosync.reports.metrics.utilisation import (
    Totals,
    Utilisation,
    by_person,
    by_week,
    totals,
    utilisation,
)
from pmosync.reports.metrics.weeks import week_label

"""Rows of a long list shown in HTML and email; the files hold them all."""

UTILISATION_COLOR = "#1f77b4"
ALLOCATION_COLOR = "#ff7f0e"

PERSON_COLUMNS = (Column("person", "Person"), Column("email", "Email"))
TOTAL_COLUMNS = (
    Column("holiday_hours", "Holidays (h)", "hours"),
    Column("leave_hours", "Leave (h)", "hours"),
    Column("capacity", "Capacity (h)", "hours"),
    Column("allocated", "Allocated (h)", "hours"),
    Column("logged", "Logged (h)", "hours"),
    Column("utilisation_pct", "Utilisation %", "percent"),
    Column("allocation_pct", "Allocation %", "percent"),
)


def build(dataset: Dataset, context: ReportContext) -> ReportDocument:
    """The utilisation report of ``dataset`` under ``context``'s rules and resources."""
    result = utilisation(dataset, context.rules, context.resources, context.calendar)
    overall = totals(result.rows)
    trend = {
        "people": len(result.people),
        "utilisation_pct": overall.utilisation_pct,
        "allocation_pct": overall.allocation_pct,
        "logged_hours": overall.logged,
        "over_allocated": overall.over_allocated,
        "under_used": overall.under_used,
    }
    return context.document(
        dataset.as_of,
        figures=_figures(result, overall, context),
        charts=(
            _week_chart(result),
            _trend_chart(context.history, dataset.as_of.isoformat(), trend),
        ),
        sections=(
            _people_section(result, context),
            _weeks_section(result),
            _person_weeks_section(result, context),
        ),
        trend=trend,
    )


def _figures(result: Utilisation, overall: Totals, context: ReportContext) -> tuple[Figure, ...]:
    return (
        Figure("people", "People", len(result.people)),
        Figure(
            "over_allocated",
            "Over-allocated person-weeks",
            overall.over_allocated,
            rag="amber" if overall.over_allocated else None,
        ),
        Figure(
            "under_used",
            f"Person-weeks under {context.rules.under_use_pct:g} % utilised",
            overall.under_used,
            rag="amber" if overall.under_used else None,
        ),
        Figure("utilisation_pct", "Team utilisation", overall.utilisation_pct, "percent"),
        Figure("allocation_pct", "Team allocation", overall.allocation_pct, "percent"),
        Figure("logged_hours", "Hours logged", overall.logged, "hours"),
        Figure("leave_hours", "Hours on leave", overall.leave_hours, "hours"),
        Figure("holiday_hours", "Hours of public holidays", overall.holiday_hours, "hours"),
    )


def _total_cells(total: Totals) -> dict[str, Any]:
    return {
        "holiday_hours": total.holiday_hours,
        "leave_hours": total.leave_hours,
        "capacity": total.capacity,
        "allocated": total.allocated,
        "logged": total.logged,
        "utilisation_pct": total.utilisation_pct,
        "allocation_pct": total.allocation_pct,
    }


def _window_note(result: Utilisation) -> str:
    if not result.weeks:
        return "No complete weeks."
    first, last = week_label(result.weeks[0]), week_label(result.weeks[-1])
    return (
        f"Complete weeks {first} to {last}; capacity is contract hours less public holidays "
        "and leave, and percentages are of it."
    )


def _people_section(result: Utilisation, context: ReportContext) -> Section:
    rows = tuple(
        {
            "person": person.label,
            "email": person.email,
            **_total_cells(total),
            "weeks_over_allocated": total.over_allocated,
            "weeks_under_used": total.under_used,
        }
        for person, total in by_person(result)
    )
    return Section(
        key="people",
        title="Utilisation by person",
        columns=PERSON_COLUMNS
        + TOTAL_COLUMNS
        + (
            Column("weeks_over_allocated", "Weeks over-allocated", "int"),
            Column("weeks_under_used", "Weeks under-used", "int"),
        ),
        rows=rows,
        note=_window_note(result)
        + f" Under-used: logged below {context.rules.under_use_pct:g} % of capacity.",
        html_limit=LIST_LIMIT,
    )


def _weeks_section(result: Utilisation) -> Section:
    rows = tuple(
        {
            "week": week_label(monday),
            "week_start": monday.isoformat(),
            **_total_cells(total),
            "over_allocated": total.over_allocated,
            "under_used": total.under_used,
        }
        for monday, total in by_week(result)
    )
    return Section(
        key="weeks",
        title="Team utilisation by week",
        columns=(Column("week", "Week"), Column("week_start", "Starts", "date"))
        + TOTAL_COLUMNS
        + (
            Column("over_allocated", "People over-allocated", "int"),
            Column("under_used", "People under-used", "int"),
        ),
        rows=rows,
        note="Team percentages are total hours over total capacity.",
        html_limit=None,
    )


def _person_weeks_section(result: Utilisation, context: ReportContext) -> Section:
    rows = tuple(
        {
            "person": row.person.label,
            "email": row.person.email,
            "week": week_label(row.week),
            "holiday_hours": row.holiday_hours,
            "leave_hours": row.leave_hours,
            "capacity": row.capacity,
            "allocated": row.allocated,
            "logged": row.logged,
            "utilisation_pct": row.utilisation_pct,
            "allocation_pct": row.allocation_pct,
            "over_allocated": row.over_allocated,
            "under_used": row.under_used,
        }
        for row in result.rows
    )
    return Section(
        key="person_weeks",
        title="Utilisation by person and week",
        columns=PERSON_COLUMNS
        + (Column("week", "Week"),)
        + TOTAL_COLUMNS
        + (
            Column("over_allocated", "Over-allocated", "flag"),
            Column("under_used", "Under-used", "flag"),
        ),
        rows=rows,
        note=_window_note(result)
        + " Allocations are prorated by working days (weekends and public holidays excluded).",
        html_limit=LIST_LIMIT,
    )


def _week_chart(result: Utilisation) -> Chart:
    weeks = by_week(result)
    return Chart(
        key="utilisation_by_week",
        title="Team utilisation and allocation by week",
        kind="bar",
        x=tuple(week_label(monday) for monday, _ in weeks),
        series=(
            Series(
                "Utilisation %",
                tuple(t.utilisation_pct for _, t in weeks),
                UTILISATION_COLOR,
            ),
            Series("Allocation %", tuple(t.allocation_pct for _, t in weeks), ALLOCATION_COLOR),
        ),
        y_label="% of capacity",
    )


def _trend_chart(history: tuple[TrendPoint, ...], as_of: str, trend: dict[str, Any]) -> Chart:
    return trend_chart(
        "utilisation_trend",
        "Team utilisation over time",
        (*history, TrendPoint(as_of, trend)),
        (
            ("Utilisation %", "utilisation_pct", UTILISATION_COLOR),
            ("Allocation %", "allocation_pct", ALLOCATION_COLOR),
        ),
        "% of capacity",
    )
