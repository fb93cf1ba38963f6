"""Earned value per project: PV, EV, AC against a budget, and the indices the PMO reads.

The basis is whatever the project's budget is in: money (in the budget's currency) or hours;
without a budget the sum of task estimates stands in as an hours budget. Nothing is converted:
costs in another currency and logged hours without a rate in the budget's currency are left out
of AC and said so in ``notes``, because a silently mixed sum would look exact and be wrong.

Every ratio is None when a divisor is 0 or an operand is undefined: "no cost yet" must read
n/a in the report, never 0 and never a crash.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from pmosync.config.models import Resources
from pmosync.reports.dataset import BudgetRow, CostRow, PersonRow, TimeRow
from pmosync.reports.metrics.progress import Progress

Basis = Literal["money", "hours", "undefined"]


@dataclass(frozen=True, slots=True)
class Baseline:
    """BAC and what it is measured in; ``source`` says whether a budget or estimates set it."""

    basis: Basis
    currency: str | None
    bac: float | None
    source: Literal["budget", "estimates"] | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EarnedValue:
    """One project's earned value figures in its basis (money of ``currency``, or hours).

    ``budget``/``remaining``/``spent_pct`` are budget vs actual and stay None without a real
    budget (estimates are not a budget one can overspend)."""

    basis: Basis
    currency: str | None
    bac_source: Literal["budget", "estimates"] | None
    bac: float | None
    pv: float | None
    ev: float | None
    ac: float | None
    sv: float | None
    cv: float | None
    spi: float | None
    cpi: float | None
    eac: float | None
    etc: float | None
    vac: float | None
    slip_pct: float | None
    budget: float | None
    remaining: float | None
    spent_pct: float | None
    notes: tuple[str, ...]


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is undefined or the divisor is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def minus(left: float | None, right: float | None) -> float | None:
    """left - right, or None when either is undefined."""
    return None if left is None or right is None else left - right


def _currency(code: str | None) -> str | None:
    """Currency codes compare case-insensitively ("eur" from a sheet is EUR)."""
    return code.strip().upper() if code else None


def baseline(budgets: Sequence[BudgetRow], progress: Progress) -> Baseline:
    """BAC from the project's budgets: money first (the first money budget's currency; budget
    lines in that currency add up, others are noted), else hours budgets, else estimates."""
    money = [b for b in budgets if b.measure == "money"]
    if money:
        currency = _currency(money[0].currency)
        same = [b for b in money if _currency(b.currency) == currency]
        notes = tuple(
            f"budget of {b.amount:.2f} {_currency(b.currency) or '(no currency)'} not "
            f"converted to {currency or '(no currency)'}: left out of BAC"
            for b in money
            if _currency(b.currency) != currency
        )
        return Baseline("money", currency, float(sum(b.amount for b in same)), "budget", notes)
    hours = [b for b in budgets if b.measure == "hours"]
    if hours:
        return Baseline("hours", None, float(sum(b.amount for b in hours)), "budget")
    if progress.has_estimates:
        note = f"no budget: BAC is the sum of task estimates ({progress.estimate_hours:.1f} h)"
        return Baseline("hours", None, progress.estimate_hours, "estimates", (note,))
    note = "no budget and no task estimates: earned value undefined"
    return Baseline("undefined", None, None, None, (note,))


def logged_hours(entries: Iterable[TimeRow], as_of: date) -> float:
    """Hours logged on or before ``as_of``."""
    return sum(e.minutes for e in entries if e.entry_date <= as_of) / 60.0


def money_actual(
    currency: str | None,
    costs: Iterable[CostRow],
    entries: Iterable[TimeRow],
    as_of: date,
    resources: Resources,
    people: Mapping[str, PersonRow],
) -> tuple[float, tuple[str, ...]]:
    """AC in ``currency``: cost entries in it plus logged hours at people's rates when the
    rates are in it; what cannot be counted is described in the notes."""
    total, notes = _costs_in(currency, costs, as_of)
    labour, labour_notes = _labour_in(currency, entries, as_of, resources, people)
    return float(total + labour), notes + labour_notes


def _costs_in(
    currency: str | None, costs: Iterable[CostRow], as_of: date
) -> tuple[Decimal, tuple[str, ...]]:
    total = Decimal(0)
    other: dict[str, list[Decimal]] = defaultdict(list)
    for cost in costs:
        if cost.entry_date > as_of:
            continue
        code = _currency(cost.currency)
        if currency is not None and code == currency:
            total += cost.amount
        else:
            other[code or "(no currency)"].append(cost.amount)
    target = currency or "(no currency)"
    notes = tuple(
        f"{len(amounts)} cost {'entry' if len(amounts) == 1 else 'entries'} in {code} "
        f"({sum(amounts):.2f}) not converted to {target}: left out of AC"
        for code, amounts in sorted(other.items())
    )
    return total, notes


def _labour_in(
    currency: str | None,
    entries: Iterable[TimeRow],
    as_of: date,
    resources: Resources,
    people: Mapping[str, PersonRow],
) -> tuple[Decimal, tuple[str, ...]]:
    rates = resources.hourly_rates
    rates_match = (
        rates is not None and currency is not None and _currency(rates.currency) == currency
    )
    cost = Decimal(0)
    unrated_minutes = 0
    rate_cache: dict[str, Decimal | None] = {}
    for entry in entries:
        if entry.entry_date > as_of:
            continue
        if entry.person_id not in rate_cache:
            person = people.get(entry.person_id)
            rate_cache[entry.person_id] = resources.rate_of(person.email if person else None)
        rate = rate_cache[entry.person_id] if rates_match else None
        if rate is None:
            unrated_minutes += entry.minutes
        else:
            cost += Decimal(entry.minutes) * rate / 60
    notes: tuple[str, ...] = ()
    if unrated_minutes:
        hours = unrated_minutes / 60.0
        if rates is not None and not rates_match:
            why = f"at rates in {rates.currency}, not {currency or '(no currency)'}"
        else:
            why = "without an hourly rate"
        notes = (f"{hours:.1f} h logged {why}: left out of AC",)
    return cost, notes


def earned_value(
    progress: Progress,
    budgets: Sequence[BudgetRow],
    costs: Iterable[CostRow],
    entries: Iterable[TimeRow],
    as_of: date,
    resources: Resources,
    people: Mapping[str, PersonRow],
) -> EarnedValue:
    """One project's earned value at ``as_of`` from its progress, budgets, costs and time."""
    base = baseline(budgets, progress)
    notes = base.notes
    if base.basis == "money":
        ac, cost_notes = money_actual(base.currency, costs, entries, as_of, resources, people)
        notes += cost_notes
    elif base.basis == "hours":
        ac = logged_hours(entries, as_of)
    else:
        ac = None
    return indices(base, progress, ac, notes)


def indices(
    base: Baseline, progress: Progress, ac: float | None, notes: tuple[str, ...]
) -> EarnedValue:
    """PV, EV and the figures derived from them, AC and the BAC."""
    bac = base.bac
    planned, earned = progress.schedule.planned_pct, progress.schedule.earned_pct
    pv = None if bac is None or planned is None else bac * planned / 100.0
    ev = None if bac is None or earned is None else bac * earned / 100.0
    cpi = ratio(ev, ac)
    eac = ratio(bac, cpi)
    slip = ratio(minus(pv, ev), pv)
    budget = bac if base.source == "budget" else None
    spent = ratio(ac, budget)
    return EarnedValue(
        basis=base.basis,
        currency=base.currency,
        bac_source=base.source,
        bac=bac,
        pv=pv,
        ev=ev,
        ac=ac,
        sv=minus(ev, pv),
        cv=minus(ev, ac),
        spi=ratio(ev, pv),
        cpi=cpi,
        eac=eac,
        etc=minus(eac, ac),
        vac=minus(bac, eac),
        slip_pct=None if slip is None else slip * 100.0,
        budget=budget,
        remaining=minus(budget, ac),
        spent_pct=None if spent is None else spent * 100.0,
        notes=notes,
    )
