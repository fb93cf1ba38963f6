"""A person's hours in a week: their contract, less public holidays and their leave.

Utilisation divides by these hours and timesheet compliance expects them, so both take them
from here: a week with Christmas in it, or a week of annual leave, must neither read as idle
nor as a short timesheet. The contract is weekly; a day of it is the contract over the
calendar's week length (40 h over Monday to Friday: 8 h), and each working day lost to a
holiday or to leave takes that day's hours off.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from pmosync.reports.dataset import LeaveRow
from pmosync.reports.metrics.calendar import WorkingCalendar

WEEK = timedelta(days=6)
EPSILON = 1e-9
"""Hours are floats: 37.3 h less five days of 7.46 h must leave 0, not 7e-15."""


@dataclass(frozen=True, slots=True)
class WeekHours:
    """One person's week: the contract, the hours holidays and leave take off it, and what is
    left (``available``, never below 0)."""

    contract: float
    holiday_hours: float
    leave_hours: float
    available: float

    @property
    def on_leave(self) -> bool:
        """The whole week is off (holidays and leave), though the contract has hours in it."""
        return self.contract > 0 and self.available <= 0


def daily_hours(contract: float, calendar: WorkingCalendar) -> float:
    """A working day's share of a weekly contract (0 when the calendar has no working day)."""
    return contract / calendar.week_length if calendar.week_length else 0.0


def leave_by_person(leave: Iterable[LeaveRow]) -> dict[str, list[LeaveRow]]:
    """Leave rows grouped by person, so each person-week looks only at its own."""
    grouped: dict[str, list[LeaveRow]] = defaultdict(list)
    for row in leave:
        grouped[row.person_id].append(row)
    return grouped


def leave_hours(
    leave: Iterable[LeaveRow], start: date, end: date, daily: float, calendar: WorkingCalendar
) -> float:
    """Hours of ``leave`` on the working days from ``start`` to ``end``.

    Whole-day leave takes the person's ``daily`` hours off each working day it covers; part-day
    leave its ``hours_per_day``, never more than a day's hours. Weekends and public holidays
    inside a leave period take nothing (those hours are off already), and two overlapping
    leave rows never take more than the day has.
    """
    taken: dict[date, float] = defaultdict(float)
    for row in leave:
        first, last = max(row.start_date, start), min(row.end_date, end)
        per_day = daily if row.hours_per_day is None else min(row.hours_per_day, daily)
        for day in calendar.days(first, last):
            taken[day] = min(daily, taken[day] + per_day)
    return sum(taken.values(), 0.0)


def week_hours(
    contract: float, monday: date, leave: Iterable[LeaveRow], calendar: WorkingCalendar
) -> WeekHours:
    """The week from ``monday`` of a person with weekly ``contract`` hours and ``leave``."""
    sunday = monday + WEEK
    daily = daily_hours(contract, calendar)
    worked_days = calendar.working_days(monday, sunday)
    holiday_hours = daily * (calendar.week_length - worked_days)
    off = leave_hours(leave, monday, sunday, daily, calendar)
    available = contract - holiday_hours - off
    return WeekHours(
        contract=contract,
        holiday_hours=holiday_hours,
        leave_hours=off,
        available=available if available > EPSILON else 0.0,
    )
