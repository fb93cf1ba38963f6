"""A cron expression from the YAML as Temporal calendar specs, read with croniter's rules.

Temporal can parse cron strings itself, but its reading is not croniter's: the YAML is
validated with croniter (5 fields, or 6 with seconds first) and the daemon and ``pmosync run``
tick with croniter, so the schedules are given to Temporal as explicit calendars expanded by
croniter. One rule needs care: when both day-of-month and day-of-week are restricted, cron fires
on EITHER (``0 7 1 * MON``: the 1st, and every Monday), whereas a Temporal calendar matches
when ALL its fields do; that expression becomes two calendars.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from croniter import croniter
from temporalio.client import ScheduleCalendarSpec, ScheduleRange

_ALL = {"second": (0, 59), "minute": (0, 59), "hour": (0, 23), "day": (1, 31),
        "month": (1, 12), "dow": (0, 6)}  # fmt: skip


def _ranges(values: Sequence[int | str], field: str) -> list[ScheduleRange]:
    """croniter's expanded values of one field as the fewest contiguous ranges."""
    if values == ["*"]:
        low, high = _ALL[field]
        return [ScheduleRange(low, high)]
    numbers = sorted({0 if field == "dow" and v == 7 else int(v) for v in values})  # 7: Sunday
    found: list[ScheduleRange] = []
    start = previous = numbers[0]
    for number in [*numbers[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        found.append(ScheduleRange(start, previous))
        if number is not None:
            start = previous = number
    return found


def calendars(expression: str) -> list[ScheduleCalendarSpec]:
    """The calendar specs that fire exactly on ``expression``'s ticks."""
    fields = expression.split()
    with_seconds = len(fields) == 6
    expanded = croniter(expression, second_at_beginning=with_seconds).expanded
    minute, hour, day, month, dow = expanded[:5]
    second: Iterable[int | str] = expanded[5] if with_seconds else [0]
    common = {
        "second": _ranges(list(second), "second"),
        "minute": _ranges(minute, "minute"),
        "hour": _ranges(hour, "hour"),
        "month": _ranges(month, "month"),
        "comment": expression,
    }
    any_day, any_weekday = day == ["*"], dow == ["*"]
    if any_day or any_weekday:  # at most one is restricted: AND and OR agree
        return [
            ScheduleCalendarSpec(
                day_of_month=_ranges(day, "day"), day_of_week=_ranges(dow, "dow"), **common
            )
        ]
    return [  # both restricted: cron's OR is two calendars
        ScheduleCalendarSpec(day_of_month=_ranges(day, "day"), **common),
        ScheduleCalendarSpec(day_of_week=_ranges(dow, "dow"), **common),
    ]
