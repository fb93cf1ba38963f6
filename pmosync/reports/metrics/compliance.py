"""Timesheet compliance: did each active person log their contract hours in each complete week?

Reports built on logged hours (utilisation, actual cost, earned value) are only as good as the
timesheets under them, so the PMO chases missing and short weeks. Logging far more than the
contract is flagged too: it is as likely a booking error as overtime. The week in progress is
never judged (``complete_weeks``), or every Wednesday report would flag everyone as short.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Literal

from pmosync.config.models import Resources
from pmosync.config.reports import ReportRules
from pmosync.reports.dataset import Dataset, PersonRow
from pmosync.reports.metrics.utilisation import (
    active_people,
    capacity_of,
    logged_minutes,
    percent,
)
from pmosync.reports.metrics.weeks import complete_weeks

Status = Literal["missing", "under", "ok", "over"]
STATUSES: tuple[Status, ...] = ("missing", "under", "ok", "over")


@dataclass(frozen=True, slots=True)
class PersonWeekStatus:
    """One person's timesheet for one week against their contract hours."""

    person: PersonRow
    week: date  # the Monday
    contract: float
    logged: float
    logged_pct: float | None  # None when the contract is 0 hours
    status: Status


@dataclass(frozen=True, slots=True)
class WeekCompliance:
    """One week across the roster; ``rate_pct`` = ok / people x 100 (None with nobody)."""

    week: date
    people: int
    counts: dict[str, int]  # status -> person count, every status present
    rate_pct: float | None


@dataclass(frozen=True, slots=True)
class Compliance:
    """The window (Mondays, oldest first), the roster, each person-week (people in label order,
    weeks oldest first) and each week's rate."""

    weeks: list[date]
    people: list[PersonRow]
    rows: list[PersonWeekStatus]
    by_week: list[WeekCompliance]


def status_of(minutes: int, contract: float, over_logged_pct: float) -> Status:
    """Judge ``minutes`` logged against ``contract`` hours, in whole minutes so that exactly the
    contract, or exactly ``over_logged_pct`` of it, is "ok" without float rounding deciding."""
    if minutes <= 0:
        return "missing"
    # Rounded to a millionth of a minute: 37.3 h must be 2238 minutes, not 2238.0000000000005.
    contract_minutes = round(contract * 60, 6)
    if minutes < contract_minutes:
        return "under"
    if minutes * 100 <= round(contract_minutes * over_logged_pct, 6):
        return "ok"
    return "over"


def compliance(dataset: Dataset, rules: ReportRules, resources: Resources) -> Compliance:
    """Every active person's status in each complete week of the window, and weekly rates."""
    weeks = complete_weeks(dataset.as_of, rules.weeks)
    people = active_people(dataset)
    minutes = logged_minutes(dataset.time_entries, weeks, (p.id for p in people))
    rows = []
    for person in people:
        contract = capacity_of(resources, person)
        for monday in weeks:
            logged = minutes.get((person.id, monday), 0)
            rows.append(
                PersonWeekStatus(
                    person=person,
                    week=monday,
                    contract=contract,
                    logged=logged / 60,
                    logged_pct=percent(logged / 60, contract),
                    status=status_of(logged, contract, rules.over_logged_pct),
                )
            )
    return Compliance(weeks=weeks, people=people, rows=rows, by_week=_by_week(weeks, rows))


def _by_week(weeks: list[date], rows: list[PersonWeekStatus]) -> list[WeekCompliance]:
    counts: dict[date, Counter[str]] = {w: Counter() for w in weeks}
    for row in rows:
        counts[row.week][row.status] += 1
    result = []
    for week in weeks:
        people = sum(counts[week].values())
        result.append(
            WeekCompliance(
                week=week,
                people=people,
                counts={s: counts[week][s] for s in STATUSES},
                rate_pct=percent(counts[week]["ok"], people),
            )
        )
    return result


def overall_rate(result: Compliance) -> float | None:
    """Compliant person-weeks over all person-weeks of the window, in percent."""
    ok = sum(1 for r in result.rows if r.status == "ok")
    return percent(ok, len(result.rows))
