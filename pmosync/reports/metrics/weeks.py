"""Week arithmetic every weekly metric shares: ISO weeks, Monday first (working days are the
``WorkingCalendar``'s)."""

from __future__ import annotations

from datetime import date, timedelta


def week_start(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def week_end(day: date) -> date:
    """The Sunday ending ``day``'s ISO week."""
    return day + timedelta(days=6 - day.weekday())


def week_label(monday: date) -> str:
    """``2026-W47``: the ISO year and week number."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def complete_weeks(as_of: date, count: int) -> list[date]:
    """The Mondays of the last ``count`` ISO weeks that have ended by ``as_of`` (its Sunday is
    on or before ``as_of``), oldest first. A week in progress is never judged: a Wednesday
    report would otherwise flag everyone's timesheet as short."""
    last_sunday = as_of if as_of.weekday() == 6 else week_start(as_of) - timedelta(days=1)
    last_monday = week_start(last_sunday)
    return [last_monday - timedelta(weeks=n) for n in range(count - 1, -1, -1)]
