"""The working calendar: which days are worked, and how many hours a person has on each.

Planned value spreads over working days, capacity counts them, and timesheet compliance expects
hours only on them. Weekends come from the organisation's settings (Saturday and Sunday unless
it says otherwise), public holidays from a set of dates (the ``holidays`` package fills it from
a country and region, see ``pmosync.config``), and a person's leave takes hours off their days.
The calendar is a plain value: tests build one by hand and count the days on paper.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

DEFAULT_WEEKEND: frozenset[int] = frozenset({5, 6})
"""Saturday and Sunday (``date.weekday()`` numbers)."""


@dataclass(frozen=True)
class WorkingCalendar:
    """Weekend weekdays and public holidays; every other day is a working day."""

    weekend: frozenset[int] = DEFAULT_WEEKEND
    holidays: frozenset[date] = field(default_factory=frozenset)
    holiday_names: dict[date, str] = field(default_factory=dict, compare=False)

    def is_working_day(self, day: date) -> bool:
        """True on a day that is neither a weekend day nor a public holiday."""
        return day.weekday() not in self.weekend and day not in self.holidays

    def working_days(self, start: date, end: date) -> int:
        """Working days from ``start`` to ``end``, both included (0 when end < start)."""
        if end < start:
            return 0
        days = (end - start).days + 1
        full_weeks, rest = divmod(days, 7)
        count = full_weeks * (7 - len(self.weekend))
        for offset in range(rest):
            if (start + timedelta(days=full_weeks * 7 + offset)).weekday() not in self.weekend:
                count += 1
        count -= sum(
            1 for day in self.holidays if start <= day <= end and day.weekday() not in self.weekend
        )
        return count

    def days(self, start: date, end: date) -> Iterable[date]:
        """The working days from ``start`` to ``end``, in order."""
        day = start
        while day <= end:
            if self.is_working_day(day):
                yield day
            day += timedelta(days=1)

    @property
    def week_length(self) -> int:
        """Working days in a week without holidays: what a weekly capacity is spread over."""
        return 7 - len(self.weekend)


PLAIN = WorkingCalendar()
"""Saturday and Sunday off, no holidays: the calendar when the YAML names none."""
