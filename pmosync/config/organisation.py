"""The ``organisation:`` section: the time zone and working calendar every report shares.

One zone turns instants into days everywhere (a task completed at 23:30 UTC on 3 December is
done on the 4th in Berlin), dates the reports and reads the cron schedules; one calendar says
which days are worked, for planned value, capacity and timesheet compliance. Public holidays
come from the ``holidays`` package by country and region, so nobody types them in each year.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from pmosync.config.errors import LocatedMessage, LocatedProblems
from pmosync.config.fields import ConfigModel, NonEmptyStr

DayName = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
DAY_NAMES: tuple[str, ...] = DayName.__args__
"""In ``date.weekday()`` order: the index of a name is its weekday number."""


@lru_cache(maxsize=1)
def supported_countries() -> dict[str, tuple[str, ...]]:
    """Country code -> its subdivision codes, as the installed ``holidays`` package knows them
    (read once: the list is the same for the life of the process)."""
    import holidays

    return {code: tuple(subs) for code, subs in holidays.list_supported_countries().items()}


class PublicHolidays(ConfigModel):
    """Which country's (and region's) public holidays are days off."""

    country: NonEmptyStr = Field(
        description=(
            "ISO 3166-1 alpha-2 country code whose public holidays are days off (DE, GB, FR, "
            "US, ...), as the holidays package knows them."
        )
    )
    subdivision: NonEmptyStr | None = Field(
        None,
        description=(
            "Region whose own holidays are added (ISO 3166-2 code without the country: BY for "
            "Bavaria, ENG for England, CA for California); none takes the nationwide ones only."
        ),
    )

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        code = value.strip().upper()
        if code not in supported_countries():
            raise ValueError(
                f"{value!r} is not a country the holidays package knows (an ISO 3166-1 alpha-2 "
                "code such as DE, GB or US)"
            )
        return code

    @model_validator(mode="after")
    def _known_subdivision(self) -> Self:
        if self.subdivision is None:
            return self
        known = supported_countries()[self.country]
        match = next((s for s in known if s.upper() == self.subdivision.strip().upper()), None)
        if match is None:
            shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
            text = (
                f"{self.subdivision!r} is not a subdivision of {self.country} "
                f"({shown or 'it has none'})"
            )
            raise LocatedProblems([LocatedMessage(("subdivision",), text)])
        self.subdivision = match
        return self


class CalendarSettings(ConfigModel):
    """Which days are worked: weekends, public holidays and company closure days."""

    weekend: list[DayName] = Field(
        default=["saturday", "sunday"],
        max_length=6,
        description=(
            "Days of the week nobody works (lower-case English day names); a weekly capacity "
            "is spread over the other days."
        ),
    )
    holidays: PublicHolidays | None = Field(
        None,
        description=(
            "Public holidays that are days off, by country and optional subdivision; none "
            "means no public holidays."
        ),
    )
    extra_holidays: list[dt.date] = Field(
        default=[],
        description="Further days off for everyone (company closure days), as YYYY-MM-DD.",
    )

    @field_validator("weekend")
    @classmethod
    def _dedupe(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @property
    def weekend_days(self) -> frozenset[int]:
        """The weekend as ``date.weekday()`` numbers (Monday 0)."""
        return frozenset(DAY_NAMES.index(name) for name in self.weekend)


class Organisation(ConfigModel):
    """The organisation's time zone and working calendar, shared by every report."""

    timezone: NonEmptyStr | None = Field(
        None,
        description=(
            "IANA time zone (e.g. Europe/Berlin) in which instants become days (a task "
            "completed at 23:30 UTC on 3 December counts on the 4th in Berlin), the default "
            "report date is today, and the schedules' cron times are read; also the default "
            "of a planner connector's timezone. Unset: the machine's zone (TZ, /etc/localtime), "
            "as cron itself would use."
        ),
    )
    calendar: CalendarSettings = Field(
        default_factory=CalendarSettings,
        description="Working days: weekend, public holidays, closure days.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not a time zone name (e.g. Europe/Berlin or UTC)"
            ) from None
        return value

    def zone(self) -> dt.tzinfo:
        """The zone ``timezone`` names, else the machine's own."""
        if self.timezone is not None:
            return ZoneInfo(self.timezone)
        from tzlocal import get_localzone

        return get_localzone()

    def today(self, now: dt.datetime | None = None) -> dt.date:
        """The date in the organisation's zone at ``now`` (default: this instant)."""
        return (now or dt.datetime.now(dt.UTC)).astimezone(self.zone()).date()
