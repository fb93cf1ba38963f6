"""How every report kind shapes figures for people: trend series, warning colours, list sizes.

One reading of history: a figure an older snapshot lacks is a gap in the chart, never a 0. Kinds
do not round: the document keeps full precision and renderers round by column type
(``pmosync.reports.render.cells.rounded``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pmosync.reports.document import Chart, Series, TrendPoint, YType
from pmosync.reports.metrics.summary import value_at

LIST_LIMIT = 100
"""Rows of an item list (tasks, findings, person-weeks) shown in HTML and email; files hold all."""
HTML_COLUMNS = 8
"""Columns a table shows in HTML and email at most; the others are ``Column(detail=True)``,
in the XLSX, CSV and JSON only, so a table reads without scrolling sideways."""
TREND_POINTS = 2
"""Report dates an "over time" chart needs before it is built: one point is no trend."""


def trend_values(points: Iterable[TrendPoint], *path: str) -> tuple[float | None, ...]:
    """The number at ``path`` in each point's trend; None where a point lacks it (or holds
    something that is not a number)."""
    values = (value_at(point.trend, *path) for point in points)
    return tuple(None if value is None else float(value) for value in values)


def amber_if(count: int) -> str | None:
    """A headline count that should catch the eye when it is not zero."""
    return "amber" if count else None


def red_if(count: int) -> str | None:
    return "red" if count else None


def trend_chart(
    key: str,
    title: str,
    points: tuple[TrendPoint, ...],
    lines: tuple[tuple[str, str, str | None], ...],
    y_label: str,
    y_type: YType = "number",
) -> Chart:
    """A line chart over report dates: one line per (label, trend key, colour)."""
    return Chart(
        key=key,
        title=title,
        kind="line",
        x=tuple(p.as_of for p in points),
        series=tuple(
            Series(label, trend_values(points, name), color) for label, name, color in lines
        ),
        y_label=y_label,
        y_type=y_type,
    )


def over_time(*charts: Chart) -> tuple[Chart, ...]:
    """The charts over report dates worth drawing: those with values at ``TREND_POINTS`` dates
    or more (a first run's lone dots are left out; they appear from the second report)."""
    return tuple(chart for chart in charts if chart.points() >= TREND_POINTS)


def iso_date(day: date | None) -> str | None:
    """A row's date cell: the ISO day, or None (n/a) without one."""
    return None if day is None else day.isoformat()
