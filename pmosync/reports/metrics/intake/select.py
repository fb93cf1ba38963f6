"""Each request's demand, and the selection of requests that fits what is left.

Demand: a request's effort by role is spread evenly over the working days from its target
start to its target end (no target start: the first day of the month after the report month;
no target end: ``default_months`` months from the start), and counted by month for the part
from the report date to the horizon's end; its cost is its whole estimated cost in the
pipeline's currency.

Selection, among the candidates (scored under the selection model, every gate passed, in an
eligible stage; with funding, a cost in the pipeline's currency):

1. with ``approved_first``, approved candidates are committed first, in rank order, even when
   they overrun what is left (the overrun is named in the notes);
2. of the others, ``greedy`` takes them by score per unit of cost (a cost of 0 first; without
   funding, by score per hour of effort; when neither applies, by score), each one that fits
   every constraint (the funding left, and the hours left of each role in each month);
   ``exact`` finds the set with the highest total score that fits (the 0/1 knapsack over every
   constraint, by depth-first branch and bound; of equally good sets, the one with the
   higher-ranked requests); ``auto`` runs exact up to ``exact_max`` candidates, else greedy.

Every request not selected gets a reason, and one that did not fit its shortfalls: what it
needs beyond what is left after the selected set.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from pmosync.canonical.budgets import currency_code
from pmosync.config.intake import Intake
from pmosync.reports.collector import collector_paused
from pmosync.reports.dataset import RequestRow
from pmosync.reports.metrics.calendar import WorkingCalendar
from pmosync.reports.metrics.intake import (
    Capacity,
    Demand,
    Exclusion,
    Scored,
    Selection,
    Shortfall,
)
from pmosync.reports.metrics.intake.capacity import add_months, month_span, role_key

TOLERANCE = 1e-6
"""Hours are floats: a demand equal to what is left fits."""
EXACT_NODES = 100_000
"""Branches the exact search visits at most (a second or two). 20 candidates (auto's
default) end well before; 30 with near-equal scores per cost may reach it."""


class Spreader:
    """Spreads hours over ``months`` from ``first`` on, under one calendar: what every
    request's demand in one selection shares, so each month's span is read once, each
    stretch's working days counted once (most are whole months), and each pair of dates'
    shares by month computed once for all its roles (the calendar is fixed for a run)."""

    def __init__(self, months: Sequence[str], first: date, calendar: WorkingCalendar) -> None:
        self.months = tuple(months)
        self.first = first
        self._calendar = calendar
        self._spans = [(label, *month_span(label)) for label in self.months]
        self._days: dict[tuple[date, date], int] = {}
        self._shares: dict[tuple[date, date], list[tuple[str, float]]] = {}

    def _working_days(self, start: date, end: date) -> int:
        key = (start, end)
        found = self._days.get(key)
        if found is None:
            self._days[key] = found = self._calendar.working_days(start, end)
        return found

    def shares(self, start: date, end: date) -> list[tuple[str, float]]:
        """The share of ``start``..``end``'s working days in each month of the horizon from
        ``first`` on (those with a share); no working day between them: calendar days."""
        key = (start, end)
        found = self._shares.get(key)
        if found is not None:
            return found
        total = self._working_days(start, end)
        first = self.first
        found = []
        for label, month_first, month_last in self._spans:
            if month_first > end or month_last < start:
                continue
            low, high = max(start, month_first, first), min(end, month_last)
            if high < low:
                continue
            if total:
                share = self._working_days(low, high) / total
            else:
                share = ((high - low).days + 1) / ((end - start).days + 1)
            if share:
                found.append((label, share))
        self._shares[key] = found
        return found

    def spread(self, hours: float, start: date, end: date) -> tuple[dict[str, float], float]:
        """``hours`` spread evenly over the working days of ``start``..``end``, by month of
        ``months`` from ``first`` on; and the hours that fall outside (before first, after the
        horizon). Dates with no working day between them spread over calendar days instead."""
        by_month = {label: hours * share for label, share in self.shares(start, end)}
        return by_month, hours - sum(by_month.values())


def demand(
    request: RequestRow,
    intake: Intake,
    months: Sequence[str],
    calendar: WorkingCalendar,
    as_of: date,
    spreader: Spreader | None = None,
) -> Demand:
    """What ``request`` asks for over ``months``: hours by (role, month), and its cost.
    ``spreader``: one shared by the demands of the same ``months``, ``calendar`` and
    ``as_of`` (else one is made for this request)."""
    assumed: list[str] = []
    start, end = request.target_start, request.target_end
    default = intake.capacity.default_months
    if start is None:
        start = add_months(as_of, 1)
        if end is not None and end < start:
            start = end.replace(day=1)
        assumed.append(f"no target start: starts {start.isoformat()}")
    if end is None:
        end = _same_day_months_later(start, default)
        assumed.append(f"no target end: {default} months assumed, to {end.isoformat()}")
    hours: dict[tuple[str, str], float] = {}
    outside = 0.0
    if spreader is None:
        spreader = Spreader(months, as_of, calendar)
    for role, amount in request.effort_hours.items():
        if not amount:
            continue
        spread, rest = spreader.spread(float(amount), start, end)
        outside += rest
        for label, value in spread.items():
            hours[(role, label)] = hours.get((role, label), 0.0) + value
    if outside > TOLERANCE:
        assumed.append(
            f"{outside:,.1f} h outside the horizon from {as_of.isoformat()}: not counted"
        )
    currency = currency_code(intake.currency)
    cost = request.estimated_cost
    if cost is not None and (currency is None or currency_code(request.currency) != currency):
        cost = None
    return Demand(request_id=request.id, cost=cost, hours=hours, assumed=tuple(assumed))


def _same_day_months_later(start: date, months: int) -> date:
    """The day before the same day ``months`` months later (the 15th to the 14th); a day the
    later month lacks falls to its last day."""
    first = add_months(start, months)
    last_day = (add_months(first, 1) - timedelta(days=1)).day
    return first.replace(day=min(start.day, last_day)) - timedelta(days=1)


class _Budget:
    """What is left while the selection is made: money (None: unbounded) and role-months."""

    def __init__(self, capacity: Capacity) -> None:
        self.money: Decimal | None = capacity.money
        self.hours: dict[tuple[str, str], float] = {}
        self.names: dict[str, str] = {}
        self._keys: dict[str, str] = {}
        """Each role as written -> its key: a few roles over thousands of demands."""
        for (role, month), value in capacity.hours.items():
            self.hours[(self._key(role), month)] = value

    def _key(self, role: str) -> str:
        key = self._keys.get(role)
        if key is None:
            self._keys[role] = key = role_key(role)
            self.names.setdefault(key, role)
        return key

    def needs(self, item: Demand) -> tuple[Decimal, dict[tuple[str, str], float]]:
        wanted: dict[tuple[str, str], float] = defaultdict(float)
        role_of = self._key
        for (role, month), value in item.hours.items():
            wanted[(role_of(role), month)] += value
        return item.cost or Decimal(0), dict(wanted)

    def shortfalls(self, cost: Decimal, hours: Mapping[tuple[str, str], float]) -> list[Shortfall]:
        found = []
        if self.money is not None and cost > 0 and cost > self.money:
            found.append(Shortfall("funding", float(cost), max(0.0, float(self.money))))
        left = self.hours
        short = [
            (month, key, value, have)
            for (key, month), value in hours.items()
            if value > 0 and value > (have := left.get((key, month), 0.0)) + TOLERANCE
        ]
        short.sort(key=lambda item: (item[0], item[1]))  # by month, then role
        names = self.names
        for month, key, value, have in short:
            found.append(Shortfall(f"{names[key]} {month}", value, max(0.0, have)))
        return found

    def take(self, cost: Decimal, hours: Mapping[tuple[str, str], float]) -> None:
        if self.money is not None:
            self.money -= cost
        for key, value in hours.items():
            self.hours[key] = self.hours.get(key, 0.0) - value

    def capacity(self, base: Capacity, notes: Sequence[str]) -> Capacity:
        left = {
            (self.names[key], month): max(0.0, value) for (key, month), value in self.hours.items()
        }
        money = None if self.money is None else max(Decimal(0), self.money)
        return replace(base, hours=left, money=money, notes=(*base.notes, *notes))


def _describe(shortfalls: Sequence[Shortfall]) -> str:
    parts = []
    for s in shortfalls:
        if s.what == "funding":
            parts.append(f"funding by {s.needs - s.left:,.2f}")
        else:
            parts.append(f"{s.what} by {s.needs - s.left:,.1f} h")
    return ", ".join(parts)


def select(
    scored: Sequence[Scored],
    requests: Mapping[str, RequestRow],
    capacity: Capacity,
    intake: Intake,
    calendar: WorkingCalendar,
    as_of: date,
) -> Selection:
    """The requests that fit ``capacity`` under the selection model, and why the others do
    not (see the module docstring for the method)."""
    with collector_paused():  # thousands of small dicts, no cycles: see reports.collector
        return _select(scored, requests, capacity, intake, calendar, as_of)


def _select(
    scored: Sequence[Scored],
    requests: Mapping[str, RequestRow],
    capacity: Capacity,
    intake: Intake,
    calendar: WorkingCalendar,
    as_of: date,
) -> Selection:
    model = intake.selection_model() or ""
    settings = intake.capacity
    currency = currency_code(intake.currency) or ""
    funded = capacity.money is not None
    budget = _Budget(capacity)
    excluded: list[Exclusion] = []
    candidates: list[tuple[Scored, Demand]] = []
    eligible = set(intake.eligible_stages)
    spreader = Spreader(capacity.months, as_of, calendar)
    for result in scored:
        if result.model != model:
            continue
        request = requests.get(result.request_id)
        if request is None:
            excluded.append(Exclusion(result.request_id, "not in the pipeline"))
        elif request.stage not in eligible:
            excluded.append(Exclusion(result.request_id, f"stage {request.stage} not eligible"))
        elif result.score is None:
            excluded.append(
                Exclusion(result.request_id, "not scored: " + "; ".join(result.problems))
            )
        elif failed := [g for g in result.gates if not g.passed]:
            reasons = "; ".join(
                f"{g.label!r} ({g.reason})" if g.reason else repr(g.label) for g in failed
            )
            excluded.append(Exclusion(result.request_id, f"fails gate {reasons}"))
        else:
            item = demand(request, intake, capacity.months, calendar, as_of, spreader)
            if funded and item.cost is None:
                excluded.append(Exclusion(result.request_id, f"no cost in {currency}"))
            else:
                candidates.append((result, item))
    candidates.sort(key=lambda pair: pair[0].rank or 0)
    rank_of = {s.request_id: place for place, (s, _) in enumerate(candidates)}
    committed: list[str] = []
    notes: list[str] = []
    rest: list[tuple[Scored, Demand]] = []
    for result, item in candidates:
        request = requests[result.request_id]
        if settings.approved_first and request.stage == "approved":
            cost, hours = budget.needs(item)
            short = budget.shortfalls(cost, hours)
            if short:
                notes.append(
                    f"approved request {request.title!r} committed first overruns: "
                    f"{_describe(short)}"
                )
            budget.take(cost, hours)
            committed.append(result.request_id)
        else:
            rest.append((result, item))
    method = settings.method
    if method == "auto":
        method = "exact" if len(rest) <= settings.exact_max else "greedy"
    needs = [budget.needs(item) for _, item in rest]
    if method == "exact":
        chosen, complete = _exact(rest, needs, budget)
        if not complete:
            notes.append(
                f"the exact selection stopped after {EXACT_NODES:,} branches: the best set "
                "found is shown (at least as good as greedy's), a better one may exist"
            )
    else:
        chosen = _greedy(rest, needs, budget, funded)
    for index in chosen:
        budget.take(*needs[index])
    chosen_ids = {rest[i][0].request_id for i in chosen}
    for index, (result, _) in enumerate(rest):
        if result.request_id in chosen_ids:
            continue
        short = budget.shortfalls(*needs[index])
        excluded.append(Exclusion(result.request_id, "does not fit", tuple(short)))
    selected_ids = set(committed) | chosen_ids
    selected = [s for s, _ in candidates if s.request_id in selected_ids]
    selected.sort(key=lambda s: rank_of[s.request_id])
    total_cost = sum(
        (item.cost or Decimal(0) for s, item in candidates if s.request_id in selected_ids),
        Decimal(0),
    )
    return Selection(
        model=model,
        method=method,
        selected=tuple(s.request_id for s in selected),
        excluded=tuple(excluded),
        total_score=sum(s.score or 0.0 for s in selected),
        total_cost=total_cost,
        committed=tuple(committed),
        left=budget.capacity(capacity, notes),
        demands={s.request_id: item for s, item in candidates if s.request_id in selected_ids},
    )


def _fits(
    cost: Decimal,
    hours: Mapping[tuple[str, str], float],
    money: Decimal | None,
    left: Mapping[tuple[str, str], float],
) -> bool:
    if money is not None and cost > 0 and cost > money:
        return False
    return all(value <= left.get(key, 0.0) + TOLERANCE for key, value in hours.items() if value > 0)


def _greedy(
    rest: Sequence[tuple[Scored, Demand]],
    needs: Sequence[tuple[Decimal, dict[tuple[str, str], float]]],
    budget: _Budget,
    funded: bool,
) -> list[int]:
    """Indices of ``rest`` taken in order of score per cost (per effort hour without funding,
    by score when neither applies), each one that still fits; ties in rank order."""
    any_effort = any(sum(hours.values()) > 0 for _, hours in needs)

    def density(index: int) -> float:
        score = rest[index][0].score or 0.0
        if funded:
            size = float(needs[index][0])
        elif any_effort:
            size = sum(needs[index][1].values())
        else:
            return score
        return float("inf") if size <= 0 else score / size

    order = sorted(range(len(rest)), key=lambda i: (-density(i), i))
    money = budget.money
    left = dict(budget.hours)
    chosen = []
    for index in order:
        cost, hours = needs[index]
        if _fits(cost, hours, money, left):
            chosen.append(index)
            if money is not None:
                money -= cost
            for key, value in hours.items():
                left[key] = left.get(key, 0.0) - value
    return sorted(chosen)


def _relaxed(
    start: int,
    order: Sequence[int],
    sizes: Sequence[float],
    scores: Sequence[float],
    room: float,
    usable: Sequence[bool],
) -> float:
    """The best total of the requests from ``start`` on if they could be taken in part, under
    one constraint of ``room`` (the fractional knapsack): an upper bound of the real one."""
    total, room = 0.0, max(0.0, room)
    for index in order:
        if index < start or not usable[index]:
            continue
        size = sizes[index]
        if size <= room:
            total += scores[index]
            room -= size
        else:
            return total + scores[index] * room / size
    return total


class _Stopped(Exception):
    """The exact search spent its branches: the best set found so far stands."""


def _exact(
    rest: Sequence[tuple[Scored, Demand]],
    needs: Sequence[tuple[Decimal, dict[tuple[str, str], float]]],
    budget: _Budget,
) -> tuple[list[int], bool]:
    """Indices of ``rest`` (in rank order) forming the set of highest total score that fits:
    depth-first, each request taken before it is left out, a branch cut when no set below it
    can beat the best found. The bound is the least of: every later request that still fits
    on its own, and the fractional knapsack under the money left and under the hours left in
    total. Only a strictly better set replaces the best, so of equal totals the first found
    wins: the one taking the higher-ranked requests. False with the set when the search
    stopped after ``EXACT_NODES`` branches (then the best found, never worse than greedy's)."""
    scores = [s.score or 0.0 for s, _ in rest]
    count = len(rest)
    costs = [float(cost) for cost, _ in needs]
    efforts = [sum(hours.values()) for _, hours in needs]
    by_cost = sorted(
        range(count), key=lambda i: (-(scores[i] / costs[i]) if costs[i] else -1e300, i)
    )
    by_effort = sorted(
        range(count), key=lambda i: (-(scores[i] / efforts[i]) if efforts[i] else -1e300, i)
    )
    left = dict(budget.hours)
    # Start from greedy's set, just below its total: branches that cannot reach it are cut at
    # once, and any set found as good still replaces it (keeping the tie-break by rank).
    best = _greedy(rest, needs, budget, budget.money is not None)
    best_total = sum(scores[i] for i in best) - 2 * TOLERANCE
    current: list[int] = []
    nodes = 0

    def bound(start: int, money_left: Decimal | None) -> float:
        usable = [i >= start and _fits(*needs[i], money_left, left) for i in range(count)]
        bounds = [sum(scores[i] for i in range(start, count) if usable[i])]
        if money_left is not None:
            bounds.append(_relaxed(start, by_cost, costs, scores, float(money_left), usable))
        room = sum(max(0.0, value) for value in left.values())
        bounds.append(_relaxed(start, by_effort, efforts, scores, room + TOLERANCE, usable))
        return min(bounds)

    def search(index: int, total: float, money_left: Decimal | None) -> None:
        nonlocal best_total, best, nodes
        nodes += 1
        if nodes > EXACT_NODES:
            raise _Stopped
        if total > best_total + TOLERANCE:
            best_total, best = total, list(current)
        if index == count or total + bound(index, money_left) <= best_total + TOLERANCE:
            return
        cost, hours = needs[index]
        if _fits(cost, hours, money_left, left):
            for key, value in hours.items():
                left[key] = left.get(key, 0.0) - value
            current.append(index)
            after = None if money_left is None else money_left - cost
            search(index + 1, total + scores[index], after)
            current.pop()
            for key, value in hours.items():
                left[key] += value
        search(index + 1, total, money_left)

    try:
        search(0, 0.0, budget.money)
    except _Stopped:
        return sorted(best), False
    return sorted(best), True
