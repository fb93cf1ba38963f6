"""The resource utilisation report: a capacity heat map with a forward view, and who logs above
capacity.

Arranges ``metrics.utilisation`` (past weeks: logged and allocated hours over capacity),
``metrics.forward_load`` (the weeks ahead: allocations and open task estimates) and
``metrics.heat_map`` into a person x week heat map, the same by team and by role, the
person-weeks logged above capacity, and the per-person and per-week totals. HTML shows at most
eight columns per table (``Column.detail`` keeps the rest for the files); the full person-week
lists are detail sections, in the files only.
"""

from __future__ import annotations

from datetime import date
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
from pmosync.reports.kinds.shaping import HTML_COLUMNS, LIST_LIMIT, amber_if, trend_chart
from pmosync.reports.metrics.forward_load import ForwardLoad, forward_load
from pmosync.reports.metrics.heat_map import (
    NO_ROLE,
    Cell,
    HeatMap,
    heat_map,
    over_capacity,
    roles_of,
    roll_up,
    teams_of,
)
from pmosync.reports.metrics.utilisation import (
    PersonWeek,
    Totals,
    Utilisation,
    by_person,
    by_week,
    percent,
    totals,
    utilisation,
)
from pmosync.reports.metrics.weeks import week_label
from pmosync.reports.render.cells import shade

UTILISATION_COLOR = "#1f77b4"
ALLOCATION_COLOR = "#ff7f0e"
PLANNED_COLOR = "#2ca02c"

SHOWN_WEEKS = HTML_COLUMNS - 1
"""Week columns HTML shows beside the name column (``HTML_COLUMNS`` in all); the others are in
the files. Up to four forward weeks, then the newest past weeks."""
SHOWN_FORWARD = 4

BANDS_NOTE = (
    "Bands: up to 50 % under-used, 85 % part-loaded, 100 % fully loaded, 110 % over capacity, "
    "above that overloaded."
)

PERSON_COLUMNS = (Column("person", "Person"), Column("email", "Email", detail=True))
TOTAL_COLUMNS = (
    Column("holiday_hours", "Holidays (h)", "hours", detail=True),
    Column("leave_hours", "Leave (h)", "hours", detail=True),
    Column("capacity", "Capacity (h)", "hours"),
    Column("allocated", "Allocated (h)", "hours"),
    Column("logged", "Logged (h)", "hours"),
    Column("utilisation_pct", "Utilisation %", "percent", shade="utilisation"),
    Column("allocation_pct", "Allocation %", "percent", shade="utilisation"),
)


def build(dataset: Dataset, context: ReportContext) -> ReportDocument:
    """The utilisation report of ``dataset`` under ``context``'s rules and resources."""
    result = utilisation(dataset, context.rules, context.resources, context.calendar)
    ahead = forward_load(dataset, context.rules.forward_weeks, context.resources, context.calendar)
    grid = heat_map(result, ahead)
    overall = totals(result.rows)
    flagged = over_capacity(result.rows)
    planned = sum(r.planned for r in ahead.rows)
    planned_pct = percent(planned, sum(r.capacity for r in ahead.rows))
    trend = {
        "people": len(result.people),
        "utilisation_pct": overall.utilisation_pct,
        "allocation_pct": overall.allocation_pct,
        "logged_hours": overall.logged,
        "over_allocated": overall.over_allocated,
        "under_used": overall.under_used,
        "over_capacity": len({r.person.id for r in flagged}),
        "planned_pct": planned_pct,
    }
    teams = teams_of(dataset, result, ahead)
    roles = roles_of(result.people, context.resources)
    return context.document(
        dataset.as_of,
        figures=_figures(trend, ahead, context),
        charts=(
            _week_chart(result, ahead),
            _trend_chart(context.history, dataset.as_of.isoformat(), trend),
        ),
        sections=(
            _heat_map_section(grid, teams, roles),
            _over_capacity_section(flagged),
            _group_section("team_weeks", "Heat map by team", "team", "Team", grid, teams, None),
            _group_section(
                "role_weeks",
                "Heat map by role",
                "role",
                "Role",
                grid,
                roles,
                None if context.resources.roles else "No roles configured (resources.roles).",
            ),
            _people_section(result, context),
            _weeks_section(result),
            _forward_section(ahead, dataset.as_of),
            _person_weeks_section(result),
        ),
        trend=trend,
    )


def _figures(
    trend: dict[str, Any], ahead: ForwardLoad, context: ReportContext
) -> tuple[Figure, ...]:
    count = len(ahead.weeks)
    return (
        Figure("people", "People", trend["people"]),
        Figure(
            "over_capacity",
            "People over capacity",
            trend["over_capacity"],
            rag=amber_if(trend["over_capacity"]),
        ),
        Figure(
            "over_allocated",
            "Over-allocated person-weeks",
            trend["over_allocated"],
            rag=amber_if(trend["over_allocated"]),
        ),
        Figure(
            "under_used",
            f"Person-weeks under {context.rules.under_use_pct:g} % utilised",
            trend["under_used"],
            rag=amber_if(trend["under_used"]),
        ),
        Figure("utilisation_pct", "Team utilisation", trend["utilisation_pct"], "percent"),
        Figure("allocation_pct", "Team allocation", trend["allocation_pct"], "percent"),
        Figure(
            "planned_pct",
            f"Planned load, next {count} week{'s' if count != 1 else ''}",
            trend["planned_pct"],
            "percent",
        ),
        Figure("logged_hours", "Hours logged", trend["logged_hours"], "hours"),
    )


# -- the heat maps -------------------------------------------------------------------------


def _week_key(index: int) -> str:
    """Grid column keys by position, so they stay slugs whatever the week labels look like."""
    return f"week_{index + 1}"


def _week_columns(grid: HeatMap) -> tuple[Column, ...]:
    """One column per week, oldest first; HTML shows the first ``SHOWN_FORWARD`` forward weeks
    and as many of the newest past weeks as fit in ``SHOWN_WEEKS``."""
    forward_shown = min(len(grid.forward), SHOWN_FORWARD)
    past_shown = min(len(grid.past), SHOWN_WEEKS - forward_shown)
    forward_shown = min(len(grid.forward), SHOWN_WEEKS - past_shown)
    columns = []
    for i, monday in enumerate(grid.past):
        hidden = i < len(grid.past) - past_shown
        columns.append(
            Column(_week_key(i), week_label(monday), "percent", detail=hidden, shade="utilisation")
        )
    for j, monday in enumerate(grid.forward):
        columns.append(
            Column(
                _week_key(len(grid.past) + j),
                f"{week_label(monday)} plan",
                "percent",
                detail=j >= forward_shown,
                shade="utilisation",
            )
        )
    return tuple(columns)


def _heat_note(grid: HeatMap) -> str:
    parts = []
    if grid.past:
        parts.append(
            f"{week_label(grid.past[0])} to {week_label(grid.past[-1])}: hours logged as a % "
            "of capacity"
        )
    if grid.forward:
        parts.append(
            f"{week_label(grid.forward[0])} to {week_label(grid.forward[-1])} (plan): "
            "allocations and open task estimates as a % of capacity"
        )
    return (
        "; ".join(parts)
        + ". Capacity: contract hours less public holidays and leave; n/a: no capacity that "
        "week. " + BANDS_NOTE
    )


def _heat_map_section(grid: HeatMap, teams: dict[str, str], roles: dict[str, str]) -> Section:
    weeks = grid.weeks
    rows = []
    for person in grid.people:
        row: dict[str, Any] = {
            "person": person.label,
            "email": person.email,
            "team": teams.get(person.id),
            "role": roles.get(person.id),
        }
        for i, monday in enumerate(weeks):
            cell = grid.cells.get((person.id, monday))
            row[_week_key(i)] = cell.pct if cell is not None else None
        rows.append(row)
    return Section(
        key="heat_map",
        title="Capacity heat map by person",
        columns=PERSON_COLUMNS
        + (Column("team", "Team", detail=True), Column("role", "Role", detail=True))
        + _week_columns(grid),
        rows=tuple(rows),
        note=_heat_note(grid),
        html_limit=LIST_LIMIT,
        empty="No active people in scope.",
    )


def _group_section(
    key: str,
    title: str,
    name_key: str,
    name_title: str,
    grid: HeatMap,
    group_of: dict[str, str],
    empty_reason: str | None,
) -> Section:
    rows: list[dict[str, Any]] = []
    if empty_reason is None:
        for group, members, cells in roll_up(grid, group_of):
            row: dict[str, Any] = {name_key: group, "people": members}
            for i, monday in enumerate(grid.weeks):
                row[_week_key(i)] = cells.get(monday, Cell(0.0, 0.0)).pct
            rows.append(row)
    note = (
        "A group's cell is its people's hours over their capacity (a part-timer weighs by their "
        "hours)."
    )
    if name_key == "team":
        note += (
            " A person's team is the team of the projects holding most of their hours (logged "
            "and planned in these weeks); No team: none of their hours are on a team's project."
        )
    else:
        note += f" Roles come from resources.roles; {NO_ROLE}: not listed there."
    return Section(
        key=key,
        title=title,
        columns=(Column(name_key, name_title), Column("people", "People", "int", detail=True))
        + _week_columns(grid),
        rows=tuple(rows),
        note=note,
        html_limit=None,
        empty=empty_reason or "No active people in scope.",
    )


def _over_capacity_section(flagged: list) -> Section:
    rows = []
    for row in flagged:
        band = shade(row.utilisation_pct, "utilisation")
        rows.append(
            {
                "person": row.person.label,
                "email": row.person.email,
                "week": week_label(row.week),
                "logged": row.logged,
                "capacity": row.capacity,
                "utilisation_pct": row.utilisation_pct,
                "band": band[2] if band is not None else "no capacity (holidays or leave)",
            }
        )
    return Section(
        key="over_capacity",
        title="Logged above capacity",
        columns=(
            Column("person", "Person"),
            Column("email", "Email", detail=True),
            Column("week", "Week"),
            Column("logged", "Logged (h)", "hours"),
            Column("capacity", "Capacity (h)", "hours"),
            Column("utilisation_pct", "Utilisation %", "percent", shade="utilisation"),
            Column("band", "Band"),
        ),
        rows=tuple(rows),
        note=(
            "Person-weeks with more hours logged than capacity (contract less public holidays "
            "and leave), newest week first: overtime, or time booked to the wrong week."
        ),
        html_limit=LIST_LIMIT,
        empty="Nobody logged more hours than their capacity in these weeks.",
    )


# -- totals --------------------------------------------------------------------------------


def _total_cells(total: Totals | PersonWeek) -> dict[str, Any]:
    """The ``TOTAL_COLUMNS`` cells of a group's totals or of one person-week."""
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
            Column("weeks_under_used", "Weeks under-used", "int", detail=True),
        ),
        rows=rows,
        note=_window_note(result)
        + f" Under-used: logged below {context.rules.under_use_pct:g} % of capacity.",
        html_limit=LIST_LIMIT,
        empty="No active people in scope.",
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
        columns=(Column("week", "Week"), Column("week_start", "Starts", "date", detail=True))
        + TOTAL_COLUMNS
        + (
            Column("over_allocated", "People over-allocated", "int"),
            Column("under_used", "People under-used", "int"),
        ),
        rows=rows,
        note="Team percentages are total hours over total capacity.",
        html_limit=None,
    )


def _forward_section(ahead: ForwardLoad, as_of: date) -> Section:
    rows = tuple(
        {
            "person": r.person.label,
            "email": r.person.email,
            "week": week_label(r.week),
            "holiday_hours": r.holiday_hours,
            "leave_hours": r.leave_hours,
            "capacity": r.capacity,
            "allocated": r.allocated,
            "estimated": r.estimated,
            "planned": r.planned,
            "planned_pct": r.planned_pct,
        }
        for r in ahead.rows
    )
    return Section(
        key="forward_weeks",
        title="Planned load by person and week",
        columns=PERSON_COLUMNS
        + (
            Column("week", "Week"),
            Column("holiday_hours", "Holidays (h)", "hours"),
            Column("leave_hours", "Leave (h)", "hours"),
            Column("capacity", "Capacity (h)", "hours"),
            Column("allocated", "Allocated (h)", "hours"),
            Column("estimated", "Open estimates (h)", "hours"),
            Column("planned", "Planned (h)", "hours"),
            Column("planned_pct", "Planned %", "percent", shade="utilisation"),
        ),
        rows=rows,
        note=(
            "Planned: per project, the larger of the allocation and the open task estimates "
            f"that week. Estimates left after {as_of.isoformat()} spread over working days to "
            "their due date; undated or overdue ones load the first week shown."
        ),
        detail=True,
    )


def _person_weeks_section(result: Utilisation) -> Section:
    rows = tuple(
        {
            "person": row.person.label,
            "email": row.person.email,
            "week": week_label(row.week),
            **_total_cells(row),
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
        detail=True,
    )


# -- charts --------------------------------------------------------------------------------


def _week_chart(result: Utilisation, ahead: ForwardLoad) -> Chart:
    """Past weeks' utilisation and allocation, then the forward weeks' allocation and planned
    load: one axis of weeks, so the view ahead reads on from the weeks behind."""
    weeks = by_week(result)
    ahead_totals: list[tuple[float, float, float]] = []
    for monday in ahead.weeks:
        rows = [r for r in ahead.rows if r.week == monday]
        capacity = sum(r.capacity for r in rows)
        ahead_totals.append(
            (capacity, sum(r.allocated for r in rows), sum(r.planned for r in rows))
        )
    gap = (None,) * len(ahead.weeks)
    return Chart(
        key="utilisation_by_week",
        title="Team utilisation, allocation and planned load by week",
        kind="bar",
        x=tuple(week_label(monday) for monday, _ in weeks)
        + tuple(f"{week_label(m)} plan" for m in ahead.weeks),
        series=(
            Series(
                "Utilisation %",
                tuple(t.utilisation_pct for _, t in weeks) + gap,
                UTILISATION_COLOR,
            ),
            Series(
                "Allocation %",
                tuple(t.allocation_pct for _, t in weeks)
                + tuple(percent(a, c) for c, a, _ in ahead_totals),
                ALLOCATION_COLOR,
            ),
            Series(
                "Planned %",
                (None,) * len(weeks) + tuple(percent(p, c) for c, _, p in ahead_totals),
                PLANNED_COLOR,
            ),
        ),
        y_label="% of capacity",
        y_type="percent",
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
