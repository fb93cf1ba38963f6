"""S-curves: cumulative PV, EV and AC at the end of each week, from time-phased data.

A trend chart of earlier reports' PV, EV and AC is a lone dot on a first run; the S-curve is
drawn from the dated data itself, so it is whole from the start. Each figure is the report's
own, evaluated at another day, by the same rules and functions:

- **PV** at a day is BAC x the plan's cumulative planned fraction at that day, read from the
  very curve the report's PV came from (``Schedule.curve``, phased by ``plan.planned_curve``:
  working days, baseline or today's plan, default weights); the point at ``as_of`` is the
  report's PV. PV goes on past ``as_of`` to the planned finish.
- **EV** at a past week's end is BAC x the weight of the plan's tasks done by then (their
  completion day in the organisation's zone) over the plan's weight. Partial completion (a
  task 40 % done) is only known as it stands now, so past weeks count done tasks only, and
  the ``as_of`` point is the report's EV with today's partial percentages; a task done
  without a completion date counts from ``as_of`` only. The step into the current week can
  therefore be steeper than the past ones: that is the approximation, said in the notes.
- **AC** at a day is ``actual_cost``'s AC with that day as the report date: cost entries in
  BAC's currency dated by then, a source's own actual at the share of its logged minutes by
  then, and every other time entry by then at its rate card (hours: logged hours by then).

Points: the end (Sunday, as every weekly figure's ISO week) of each week before ``as_of``
from the week of the plan's start, or at most ``weeks`` of them; then ``as_of`` itself; then
the week ends after it up to the week holding the planned finish (PV only; at most ``weeks``
of them). A portfolio curve adds its projects' values at each point, per basis and currency
and over the projects whose PV, EV and AC are all defined, as the roll-up adds them; its
``as_of`` point equals the roll-up's totals.

Each project's values are kept as sorted days and running sums, so a point costs a bisection
rather than a pass over the tasks and time entries.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate

from pmosync.canonical.budgets import currency_code
from pmosync.config.models import Resources
from pmosync.reports.dataset import BudgetRow, CostRow, Dataset, TimeRow
from pmosync.reports.metrics.actual_cost import RateBook, source_actuals
from pmosync.reports.metrics.calendar import PLAIN, WorkingCalendar
from pmosync.reports.metrics.plan import WorkingDays, fraction_at
from pmosync.reports.metrics.portfolio import DEFAULT_ROLLUP_STATUSES, ProjectMetrics, by_project
from pmosync.reports.metrics.progress import Progress
from pmosync.reports.metrics.weeks import week_end

DEFAULT_WEEKS = 13
"""``rules.scurve_weeks`` when none is given: a quarter back (and ahead) of ``as_of``, 27
points at most: a chart whose week labels still read, and draws fast."""

PARTIAL_NOTE = (
    "EV of past weeks counts the tasks done by each week's end; partial completion is only "
    "known as it stands now, so it joins EV at the report date"
)


def curve_dates(
    start: date | None, as_of: date, finish: date | None, weeks: int | None
) -> tuple[date, ...]:
    """The points of a curve: week ends before ``as_of`` from the week of ``start`` (at most
    ``weeks`` of them; None: all), ``as_of``, then week ends after it up to the week of
    ``finish`` (at most ``weeks``). Without a ``start`` there is no past to show."""
    before: list[date] = []
    if start is not None:
        last = week_end(as_of) - timedelta(weeks=1)  # the last week end before as_of
        first = week_end(start)
        if weeks is not None:
            first = max(first, last - timedelta(weeks=weeks - 1))
        day = first
        while day <= last:
            before.append(day)
            day += timedelta(weeks=1)
    after: list[date] = []
    if finish is not None and finish > as_of:
        day = week_end(as_of)
        if day == as_of:
            day += timedelta(weeks=1)
        end = week_end(finish)
        while day <= end and (weeks is None or len(after) < weeks):
            after.append(day)
            day += timedelta(weeks=1)
    return (*before, as_of, *after)


@dataclass(frozen=True, slots=True)
class SCurve:
    """Cumulative PV, EV and AC at each of ``dates`` (week ends, ``as_of``, then week ends
    ahead), in ``basis`` (``money`` of ``currency``, or ``hours``). EV and AC are None after
    ``as_of``; ``projects`` is how many projects add up in it (1 for a project's own)."""

    basis: str
    currency: str | None
    as_of: date
    dates: tuple[date, ...]
    pv: tuple[float | None, ...]
    ev: tuple[float | None, ...]
    ac: tuple[float | None, ...]
    start: date | None
    planned_finish: date | None
    projects: int = 1
    notes: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """``money:EUR`` or ``hours``, as ``BasisTotals.key`` names the same group."""
        return f"{self.basis}:{self.currency}" if self.currency else self.basis


class _Running:
    """A running sum over sorted days: the total of the values dated on or before a day."""

    __slots__ = ("_days", "_sums", "_zero")

    def __init__(self, dated: Iterable[tuple[date, float | int | Decimal]], zero=0) -> None:
        pairs = sorted(dated, key=lambda pair: pair[0])
        self._days = [day for day, _ in pairs]
        self._sums = list(accumulate((value for _, value in pairs), initial=zero))
        self._zero = zero

    def upto(self, day: date):
        return self._sums[bisect_right(self._days, day)]


class _MoneyAc:
    """``actual_cost.money_actual``'s AC at any day, from one pass over the rows."""

    def __init__(
        self,
        currency: str | None,
        budgets: Sequence[BudgetRow],
        costs: Iterable[CostRow],
        entries: Iterable[TimeRow],
        rates: RateBook,
    ) -> None:
        self._actuals, _ = source_actuals(currency, budgets)
        self._costs = _Running(
            (
                (c.entry_date, c.amount)
                for c in costs
                if currency is not None and currency_code(c.currency) == currency
            ),
            Decimal(0),
        )
        # a rate applies to a person on a day: price each person-day's minutes once
        minutes: dict[tuple[str, date], int] = defaultdict(int)
        covered: dict[str, list[tuple[date, int]]] = defaultdict(list)
        for entry in entries:
            if entry.source in self._actuals:
                covered[entry.source].append((entry.entry_date, entry.minutes))
            else:
                minutes[(entry.person_id, entry.entry_date)] += entry.minutes
        labour: list[tuple[date, Decimal]] = []
        for (person, day), logged in minutes.items():
            found = rates.rate(person, day)
            if found is not None and found[1] == currency:
                labour.append((day, Decimal(logged) * found[0] / 60))
        self._labour = _Running(labour, Decimal(0))
        self._covered = {source: _Running(rows) for source, rows in covered.items()}
        self._covered_all = {source: sum(m for _, m in rows) for source, rows in covered.items()}

    def at(self, day: date) -> float:
        actual_total = Decimal(0)
        for source, amount in self._actuals.items():
            share = Decimal(1)
            everything = self._covered_all.get(source, 0)
            if everything:
                share = Decimal(self._covered[source].upto(day)) / Decimal(everything)
            actual_total += amount * share
        return float(self._costs.upto(day) + actual_total + self._labour.upto(day))


class _HoursAc:
    """``actual_cost.hours_actual``'s AC (logged hours) at any day."""

    def __init__(self, entries: Iterable[TimeRow]) -> None:
        self._minutes = _Running((e.entry_date, e.minutes) for e in entries)

    def at(self, day: date) -> float:
        return self._minutes.upto(day) / 60.0


class Phased:
    """One project's PV, EV and AC as functions of the day, each equal to the report's
    figure on ``as_of`` (see the module's rules)."""

    __slots__ = (
        "_ac",
        "_bac",
        "_curve",
        "_days",
        "_done",
        "_earned_pct",
        "_total",
        "as_of",
        "basis",
        "currency",
        "finish",
        "project_id",
        "start",
    )

    def __init__(
        self,
        project_id: str,
        basis: str,
        currency: str | None,
        bac: float,
        progress: Progress,
        days: WorkingDays,
        as_of: date,
        actual: _MoneyAc | _HoursAc,
    ) -> None:
        """``progress`` is the project's (``ProjectMetrics.progress``): its plan, planned
        curve and earned % are the very ones the report's PV and EV came from."""
        plan, schedule = progress.plan, progress.schedule
        if plan is None or schedule.start is None or schedule.earned_pct is None:
            raise ValueError(f"project {project_id} has no plan to phase")
        self.project_id, self.basis, self.currency, self.as_of = project_id, basis, currency, as_of
        self._bac, self._days, self._ac = bac, days, actual
        self._total = sum(t.weight for t in plan.tasks)
        self._earned_pct = schedule.earned_pct
        self.start, self._curve = schedule.start, schedule.curve
        self.finish = days.nth(self.start, len(self._curve)) if self._curve else self.start
        self._done = _Running(
            (t.completed_on, t.weight)
            for t in plan.tasks
            if t.completion >= 1.0 and t.completed_on is not None
        )

    def planned_fraction(self, day: date) -> float:
        """The plan's cumulative fraction at the end of ``day``, as ``progress.measure``
        reads it at ``as_of``."""
        return fraction_at(self._curve, self._days.count(self.start, day))

    def pv(self, day: date) -> float:
        return self._bac * (self.planned_fraction(day) * 100.0) / 100.0

    def ev(self, day: date) -> float:
        """EV by the end of ``day`` (``day`` on or before ``as_of``)."""
        if day >= self.as_of:
            return self._bac * self._earned_pct / 100.0
        return self._bac * (self._done.upto(day) / self._total * 100.0) / 100.0

    def ac(self, day: date) -> float:
        return self._ac.at(min(day, self.as_of))

    def curve(self, weeks: int | None = DEFAULT_WEEKS) -> SCurve:
        """This project's S-curve (see ``curve_dates`` for its points)."""
        dates = curve_dates(self.start, self.as_of, self.finish, weeks)
        return _curve_of([self], self.basis, self.currency, self.as_of, dates)


def _curve_of(
    projects: Sequence[Phased], basis: str, currency: str | None, as_of: date, dates: tuple
) -> SCurve:
    pv, ev, ac = [], [], []
    for day in dates:
        pv.append(sum(p.pv(day) for p in projects))
        past = day <= as_of
        ev.append(sum(p.ev(day) for p in projects) if past else None)
        ac.append(sum(p.ac(day) for p in projects) if past else None)
    starts = [p.start for p in projects]
    return SCurve(
        basis=basis,
        currency=currency,
        as_of=as_of,
        dates=dates,
        pv=tuple(pv),
        ev=tuple(ev),
        ac=tuple(ac),
        start=min(starts) if starts else None,
        planned_finish=max((p.finish for p in projects), default=None),
        projects=len(projects),
        notes=(PARTIAL_NOTE,),
    )


def phase_projects(
    dataset: Dataset,
    metrics: Sequence[ProjectMetrics],
    resources: Resources,
    calendar: WorkingCalendar = PLAIN,
) -> dict[str, Phased]:
    """Each project whose PV, EV and AC are defined (``metrics``' earned value), phased over
    time, by project id: the input of ``project_curve`` and ``portfolio_curves``."""
    measured = [
        m
        for m in metrics
        if m.earned_value.pv is not None
        and m.earned_value.ev is not None
        and m.earned_value.ac is not None
        and m.earned_value.bac is not None
        and m.earned_value.basis in ("money", "hours")
        and m.progress.plan is not None
        and m.progress.schedule.start is not None
        and m.progress.schedule.earned_pct is not None
    ]
    if not measured:
        return {}
    entries = by_project(dataset.time_entries)
    costs = by_project(dataset.costs)
    budgets = by_project(dataset.budgets)
    days = WorkingDays(calendar)
    phased: dict[str, Phased] = {}
    for item in measured:
        project, value = item.project, item.earned_value
        pid = project.id
        actual: _MoneyAc | _HoursAc
        if value.basis == "money":
            rates = RateBook(resources, project, dataset.people)
            actual = _MoneyAc(
                value.currency, budgets.get(pid, []), costs.get(pid, []), entries.get(pid, []),
                rates,
            )  # fmt: skip
        else:
            actual = _HoursAc(entries.get(pid, []))
        phased[pid] = Phased(
            pid, value.basis, value.currency, value.bac or 0.0, item.progress, days,
            dataset.as_of, actual,
        )  # fmt: skip
    return phased


def project_curve(phased: Phased | None, weeks: int | None = DEFAULT_WEEKS) -> SCurve | None:
    """A project's S-curve; None when its PV, EV or AC is undefined (not phased)."""
    return None if phased is None else phased.curve(weeks)


def portfolio_curves(
    phased: Mapping[str, Phased],
    metrics: Sequence[ProjectMetrics],
    weeks: int | None = DEFAULT_WEEKS,
    statuses: Collection[str] = DEFAULT_ROLLUP_STATUSES,
) -> tuple[SCurve, ...]:
    """One S-curve per basis and currency (money by currency first, then hours) over the
    projects of ``metrics`` whose status is in ``statuses`` and that are phased, added in
    ``metrics``' order as ``portfolio.basis_totals`` adds them."""
    groups: dict[tuple[str, str | None], list[Phased]] = defaultdict(list)
    for item in metrics:
        one = phased.get(item.project.id)
        if one is not None and item.project.status in statuses:
            groups[(one.basis, one.currency)].append(one)
    ordered = sorted(groups, key=lambda k: (k[0] != "money", k[0], k[1] or ""))
    curves = []
    for basis, currency in ordered:
        members = groups[(basis, currency)]
        as_of = members[0].as_of
        start = min(p.start for p in members)
        finish = max(p.finish for p in members)
        dates = curve_dates(start, as_of, finish, weeks)
        curves.append(_curve_of(members, basis, currency, as_of, dates))
    return tuple(curves)
