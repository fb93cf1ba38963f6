"""The working calendar: which days are worked, and how many hours a person has on each.

Planned value spreads over working days, capacity counts them, and timesheet compliance expects
hours only on them. Weekends come from the organisation's settings (Saturday and Sunday unless
it says otherwise), public holidays from a set of dates (the ``holidays`` package fills it from
a country and region, see ``pmosync.config``), and a person's leave takes hours off their days.
The calendar is a plain value: tests build one by hand and count the days on paper.

It also carries the organisation's time zone, because a day is only a day somewhere: a task
completed at 23:30 UTC on 3 December is done on the 4th in Berlin, and every metric that turns
an instant into a day asks the calendar (``day_of``) rather than taking the UTC date.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pmosync.config.organisation import CalendarSettings

DEFAULT_WEEKEND: frozenset[int] = frozenset({5, 6})
"""Saturday and Sunday (``date.weekday()`` numbers)."""


@dataclass(frozen=True)
class WorkingCalendar:
    """Weekend weekdays and public holidays; every other day is a working day."""

    weekend: frozenset[int] = DEFAULT_WEEKEND
    holidays: frozenset[date] = field(default_factory=frozenset)
    holiday_names: dict[date, str] = field(default_factory=dict, compare=False)
    zone: tzinfo = UTC
    """The organisation's time zone: the one instants are read in (``day_of``)."""
    _weekday_holidays: tuple[date, ...] = field(init=False, repr=False, compare=False)
    """The holidays that fall on working weekdays, sorted: counted by bisection, as a report
    asks for the working days of thousands of spans and a calendar holds decades of holidays."""

    _partial: tuple[tuple[int, ...], ...] = field(init=False, repr=False, compare=False)
    """Working weekdays among the first ``rest`` days from weekday ``first``: a lookup, so
    counting a span is week arithmetic, never a walk day by day."""

    def __post_init__(self) -> None:
        on_weekdays = sorted(d for d in self.holidays if d.weekday() not in self.weekend)
        object.__setattr__(self, "_weekday_holidays", tuple(on_weekdays))
        partial = tuple(
            tuple(
                sum(1 for k in range(rest) if (first + k) % 7 not in self.weekend)
                for rest in range(7)
            )
            for first in range(7)
        )
        object.__setattr__(self, "_partial", partial)

    def day_of(self, instant: datetime) -> date:
        """The day ``instant`` falls on in the calendar's zone (a naive instant is UTC)."""
        return local_day(instant, self.zone)

    def is_working_day(self, day: date) -> bool:
        """True on a day that is neither a weekend day nor a public holiday."""
        return day.weekday() not in self.weekend and day not in self.holidays

    def working_days(self, start: date, end: date) -> int:
        """Working days from ``start`` to ``end``, both included (0 when end < start)."""
        if end < start:
            return 0
        full_weeks, rest = divmod((end - start).days + 1, 7)
        count = full_weeks * self.week_length + self._partial[start.weekday()][rest]
        holidays = self._weekday_holidays
        if not holidays:
            return count
        return count - (bisect_right(holidays, end) - bisect_left(holidays, start))

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

    def holidays_between(self, start: date, end: date) -> list[date]:
        """Public holidays from ``start`` to ``end`` that fall on a working weekday, in order
        (a holiday on a weekend takes no hours off anyone)."""
        holidays = self._weekday_holidays
        return list(holidays[bisect_left(holidays, start) : bisect_right(holidays, end)])


def local_day(instant: datetime, zone: tzinfo) -> date:
    """The date of ``instant`` in ``zone``; a naive instant is UTC, as the store keeps them."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(zone).date()


@lru_cache(maxsize=64)
def public_holidays(
    country: str, subdivision: str | None, first_year: int, last_year: int
) -> tuple[tuple[date, str], ...]:
    """(day, name) of each public holiday of ``country`` (and ``subdivision``) in the years,
    from the ``holidays`` package; cached, as every report of a run asks for the same years."""
    import holidays

    found = holidays.country_holidays(
        country, subdiv=subdivision, years=range(first_year, last_year + 1)
    )
    return tuple(sorted(found.items()))


def calendar_for(
    settings: CalendarSettings, first_year: int, last_year: int, zone: tzinfo = UTC
) -> WorkingCalendar:
    """The working calendar the YAML describes for ``first_year``..``last_year``: its weekend,
    the public holidays of its country (and region) and its closure days."""
    names: dict[date, str] = {}
    if settings.holidays is not None:
        names.update(
            public_holidays(
                settings.holidays.country, settings.holidays.subdivision, first_year, last_year
            )
        )
    for day in settings.extra_holidays:
        names.setdefault(day, "Closure day")
    return WorkingCalendar(
        weekend=settings.weekend_days,
        holidays=frozenset(names),
        holiday_names=names,
        zone=zone,
    )


PLAIN = WorkingCalendar()
"""Saturday and Sunday off, no holidays: the calendar when the YAML names none."""
