"""Timesheet compliance: did each active person log their contract hours in each complete week?

Reports built on logged hours (utilisation, actual cost, earned value) are only as good as the
timesheets under them, so the PMO chases missing and short weeks. Logging far more than the
contract is flagged too: it is as likely a booking error as overtime. The week in progress is
never judged (``complete_weeks``), or every Wednesday report would flag everyone as short.

A week expects the contract less public holidays and the person's leave (``metrics.capacity``);
a week with nothing left to expect is "on leave", neither chased nor counted in the rate. Only
time in the approval states ``rules.compliance.count_approvals`` counts (a draft is not a
timesheet handed in; a rejected one must be redone), and a week short by no more than the
tolerance is ok: nobody chases 39.75 h of 40.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from pmosync.config.models import Resources
from pmosync.config.reports import ComplianceRules, ReportRules
from pmosync.reports.dataset import Dataset, PersonRow, TimeRow
from pmosync.reports.metrics.calendar import PLAIN, WorkingCalendar
from pmosync.reports.metrics.capacity import leave_by_person, week_hours
from pmosync.reports.metrics.utilisation import MondayOf, active_people, capacity_of, percent
from pmosync.reports.metrics.weeks import complete_weeks

Status = Literal["missing", "under", "ok", "over", "on_leave"]
STATUSES: tuple[Status, ...] = ("missing", "under", "ok", "over", "on_leave")


@dataclass(frozen=True, slots=True)
class PersonWeekStatus:
    """One person's timesheet for one week against the hours expected of them: the contract
    less ``holiday_hours`` and ``leave_hours``. ``logged`` counts only the approval states the
    rules count; ``uncounted`` is the rest (drafts, rejected time)."""

    person: PersonRow
    week: date  # the Monday
    contract: float
    logged: float
    logged_pct: float | None  # of expected; None when nothing is expected
    status: Status
    expected: float = 0.0
    holiday_hours: float = 0.0
    leave_hours: float = 0.0
    uncounted: float = 0.0
    compliant: bool = False  # ok, or over when rules.compliance.over_is_compliant


@dataclass(frozen=True, slots=True)
class WeekCompliance:
    """One week across the roster; ``rate_pct`` = compliant / (people - on leave) x 100 (None
    when nobody is judged)."""

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


def tolerance_minutes(expected_minutes: float, rules: ComplianceRules) -> float:
    """How many minutes short of ``expected_minutes`` is still ok: the larger of the hours and
    the percent tolerance."""
    return max(rules.tolerance_hours * 60, expected_minutes * rules.tolerance_pct / 100)


def status_of(
    minutes: int,
    expected: float,
    over_logged_pct: float,
    tolerance: float = 0.0,
    *,
    on_leave: bool = False,
) -> Status:
    """Judge ``minutes`` logged against ``expected`` hours, in whole minutes so that exactly
    the expected hours less ``tolerance`` minutes, or exactly ``over_logged_pct`` of them, is
    "ok" without float rounding deciding. A week with nothing to expect though the contract
    has hours (``on_leave``: holidays and leave took it all) is "on_leave", whatever it holds."""
    if on_leave:
        return "on_leave"
    if minutes <= 0:
        return "missing"
    # Rounded to a millionth of a minute: 37.3 h must be 2238 minutes, not 2238.0000000000005.
    expected_minutes = round(expected * 60, 6)
    if minutes < round(expected_minutes - tolerance, 6):
        return "under"
    if minutes * 100 <= round(expected_minutes * over_logged_pct, 6):
        return "ok"
    return "over"


def logged_by_week(
    entries: Iterable[TimeRow], weeks: list[date], roster: Iterable[str], rules: ComplianceRules
) -> tuple[dict[tuple[str, date], int], dict[tuple[str, date], int]]:
    """Minutes per (person id, Monday) inside the window's weeks, in one pass: those in an
    approval state that counts (an entry from a tool without approvals, ``approval`` None,
    always counts), and those that do not (drafts, rejected time)."""
    counted: dict[tuple[str, date], int] = defaultdict(int)
    uncounted: dict[tuple[str, date], int] = defaultdict(int)
    if not weeks:
        return counted, uncounted
    first, last = weeks[0], weeks[-1] + timedelta(days=6)
    people = set(roster)
    states = set(rules.count_approvals)
    monday_of = MondayOf()
    for entry in entries:
        if first <= entry.entry_date <= last and entry.person_id in people:
            key = (entry.person_id, monday_of[entry.entry_date])
            if entry.approval is None or entry.approval in states:
                counted[key] += entry.minutes
            else:
                uncounted[key] += entry.minutes
    return counted, uncounted


def compliance(
    dataset: Dataset,
    rules: ReportRules,
    resources: Resources,
    calendar: WorkingCalendar = PLAIN,
) -> Compliance:
    """Every active person's status in each complete week of the window, and weekly rates;
    ``calendar``'s holidays and ``dataset.leave`` reduce the hours each week expects."""
    weeks = complete_weeks(dataset.as_of, rules.weeks)
    people = active_people(dataset)
    minutes, uncounted = logged_by_week(
        dataset.time_entries, weeks, (p.id for p in people), rules.compliance
    )
    leave = leave_by_person(dataset.leave)
    rows = []
    for person in people:
        contract = capacity_of(resources, person)
        own_leave = leave.get(person.id, [])
        for monday in weeks:
            hours = week_hours(contract, monday, own_leave, calendar)
            logged = minutes.get((person.id, monday), 0)
            tolerance = tolerance_minutes(hours.available * 60, rules.compliance)
            status = status_of(
                logged, hours.available, rules.over_logged_pct, tolerance, on_leave=hours.on_leave
            )
            rows.append(
                PersonWeekStatus(
                    person=person,
                    week=monday,
                    contract=contract,
                    logged=logged / 60,
                    logged_pct=percent(logged / 60, hours.available),
                    status=status,
                    expected=hours.available,
                    holiday_hours=hours.holiday_hours,
                    leave_hours=hours.leave_hours,
                    uncounted=uncounted.get((person.id, monday), 0) / 60,
                    compliant=status == "ok"
                    or (status == "over" and rules.compliance.over_is_compliant),
                )
            )
    return Compliance(weeks=weeks, people=people, rows=rows, by_week=_by_week(weeks, rows))


def _by_week(weeks: list[date], rows: list[PersonWeekStatus]) -> list[WeekCompliance]:
    counts: dict[date, Counter[str]] = {w: Counter() for w in weeks}
    compliant: Counter[date] = Counter()
    for row in rows:
        counts[row.week][row.status] += 1
        compliant[row.week] += row.compliant
    result = []
    for week in weeks:
        people = sum(counts[week].values())
        result.append(
            WeekCompliance(
                week=week,
                people=people,
                counts={s: counts[week][s] for s in STATUSES},
                rate_pct=percent(compliant[week], people - counts[week]["on_leave"]),
            )
        )
    return result


def overall_rate(result: Compliance) -> float | None:
    """Compliant person-weeks over the person-weeks judged (those not on leave), in percent."""
    judged = [r for r in result.rows if r.status != "on_leave"]
    return percent(sum(1 for r in judged if r.compliant), len(judged))
