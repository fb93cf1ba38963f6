"""Earned value per project: PV, EV, AC against BAC, the indices and forecasts the PMO reads.

BAC comes from ``budget.bac`` (the active baseline's budget, else the one current budget of
the highest-precedence origin, else task estimates as an hours budget); AC from
``actual_cost`` (cost entries, a tool's own actual for its time, other time at rate cards).
Nothing is converted: what is in another currency is left out and said so in ``notes``.

AC coverage (the share of logged hours that got a cost) decides how far cost figures can be
trusted: below 100 % (or with cost entries left out) they are labelled partial
(``ac_partial``); below ``min_ac_coverage_pct`` CPI, CV, every EAC, ETC, VAC and TCPI are
withheld (None, with the reason in ``notes``), never shown as if complete.

Forecasts, named as PMI names them: EAC(CPI) = BAC / CPI (``eac``, the default),
EAC(budget rate) = AC + (BAC - EV), EAC(CPI x SPI) = AC + (BAC - EV) / (CPI x SPI);
TCPI = (BAC - EV) / (BAC - AC), the efficiency the remaining work needs to end on budget.

Every ratio is None when a divisor is 0 or an operand is undefined: "no cost yet" must read
n/a in the report, never 0 and never a crash.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from pmosync.config.models import Resources
from pmosync.reports.dataset import (
    BaselineRow,
    BudgetRow,
    CostRow,
    PersonRow,
    ProjectRow,
    TimeRow,
)
from pmosync.reports.metrics.actual_cost import ActualCost, RateBook, hours_actual, money_actual
from pmosync.reports.metrics.budget import Bac, Basis, bac
from pmosync.reports.metrics.progress import Progress

DEFAULT_MIN_COVERAGE_PCT = 80.0
"""``rules.min_ac_coverage_pct`` when none is given."""


@dataclass(frozen=True, slots=True)
class EarnedValue:
    """One project's earned value figures in its basis (money of ``currency``, or hours).

    ``bac_source`` says what set BAC: the active baseline's budget (``bac_baseline`` names
    it), the current budget, or task estimates. ``current_budget`` is today's budget when it
    is measured like BAC. ``budget``/``remaining``/``spent_pct`` are budget vs actual and stay
    None without a real budget (estimates are not a budget one can overspend)."""

    basis: Basis
    currency: str | None
    bac_source: Literal["baseline", "budget", "estimates"] | None
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
    eac_cpi: float | None = None
    eac_budget_rate: float | None = None
    eac_cpi_spi: float | None = None
    tcpi: float | None = None
    ac_coverage_pct: float | None = None
    ac_partial: bool = False
    ac_withheld: bool = False
    unearned_hours: float = 0.0
    unearned_cost: float | None = None
    current_budget: float | None = None
    bac_baseline: str | None = None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is undefined or the divisor is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def minus(left: float | None, right: float | None) -> float | None:
    """left - right, or None when either is undefined."""
    return None if left is None or right is None else left - right


def logged_hours(entries: Iterable[TimeRow], as_of: date) -> float:
    """Hours logged on or before ``as_of``."""
    return sum(e.minutes for e in entries if e.entry_date <= as_of) / 60.0


def earned_value(
    progress: Progress,
    budgets: Sequence[BudgetRow],
    costs: Iterable[CostRow],
    entries: Iterable[TimeRow],
    as_of: date,
    resources: Resources,
    people: Mapping[str, PersonRow],
    *,
    project: ProjectRow | None = None,
    baseline: BaselineRow | None = None,
    work_task_ids: Collection[str] | None = None,
    min_coverage_pct: float = DEFAULT_MIN_COVERAGE_PCT,
) -> EarnedValue:
    """One project's earned value at ``as_of`` from its progress, budgets, costs and time.

    ``project`` lets rate cards that name a project apply; ``baseline`` is its active baseline
    (BAC is its budget when it has one); ``work_task_ids`` are the project's work tasks (time
    on anything else is unearned); ``min_coverage_pct`` withholds cost figures below it."""
    base = bac(budgets, progress, baseline, resources.budget_precedence)
    actual: ActualCost | None
    if base.basis == "money":
        rates = RateBook(resources, project, people)
        actual = money_actual(base.currency, budgets, costs, entries, as_of, rates, work_task_ids)
    elif base.basis == "hours":
        actual = hours_actual(costs, entries, as_of, work_task_ids)
    else:
        actual = None
    return indices(base, progress, actual, min_coverage_pct)


def _eac_cpi_spi(
    bac_: float | None, ev: float | None, ac: float | None, cpi: float | None, spi: float | None
) -> float | None:
    """AC + (BAC - EV) / (CPI x SPI)."""
    factor = None if cpi is None or spi is None else cpi * spi
    rest = ratio(minus(bac_, ev), factor)
    return None if rest is None or ac is None else ac + rest


def indices(
    base: Bac, progress: Progress, actual: ActualCost | None, min_coverage_pct: float
) -> EarnedValue:
    """PV, EV and the figures derived from them, AC and the BAC."""
    total = base.amount
    planned, earned = progress.schedule.planned_pct, progress.schedule.earned_pct
    pv = None if total is None or planned is None else total * planned / 100.0
    ev = None if total is None or earned is None else total * earned / 100.0
    ac = actual.ac if actual is not None else None
    notes = base.notes + (actual.notes if actual is not None else ())
    coverage = actual.coverage_pct if actual is not None else None
    partial = actual.partial if actual is not None else False
    withheld = coverage is not None and coverage < min_coverage_pct
    spi = ratio(ev, pv)
    cpi = ratio(ev, ac)
    eac_cpi = ratio(total, cpi)
    rest = minus(total, ev)
    eac_budget = None if rest is None or ac is None else ac + rest
    eac_cpi_spi = _eac_cpi_spi(total, ev, ac, cpi, spi)
    tcpi = ratio(minus(total, ev), minus(total, ac))
    cv = minus(ev, ac)
    if withheld:
        notes += (
            f"CPI, CV, EAC, ETC, VAC and TCPI withheld: AC covers {coverage:.1f} % of logged "
            f"hours, below the {min_coverage_pct:g} % minimum",
        )
        cpi = cv = eac_cpi = eac_budget = eac_cpi_spi = tcpi = None
    elif partial and actual is not None:
        count = actual.costs_left_out
        left = f", {count} cost {'entry' if count == 1 else 'entries'} left out" if count else ""
        notes += (f"AC partial: {coverage:.1f} % of logged hours costed{left}",)
    if actual is not None and actual.unearned_hours > 0:
        unit = "h" if base.basis == "hours" else base.currency
        notes += (
            f"{actual.unearned_hours:.1f} h logged on work that earns no value (no task, parent "
            f"tasks, milestones), costing {actual.unearned_cost:,.2f} {unit}: in AC, not in EV",
        )
    slip = ratio(minus(pv, ev), pv)
    budget = None
    if base.source == "budget":
        budget = total
    elif base.source == "baseline":
        budget = base.current if base.current is not None else total
    spent = ratio(ac, budget)
    return EarnedValue(
        basis=base.basis,
        currency=base.currency,
        bac_source=base.source,
        bac=total,
        pv=pv,
        ev=ev,
        ac=ac,
        sv=minus(ev, pv),
        cv=cv,
        spi=spi,
        cpi=cpi,
        eac=eac_cpi,
        etc=minus(eac_cpi, ac),
        vac=minus(total, eac_cpi),
        slip_pct=None if slip is None else slip * 100.0,
        budget=budget,
        remaining=minus(budget, ac),
        spent_pct=None if spent is None else spent * 100.0,
        notes=notes,
        eac_cpi=eac_cpi,
        eac_budget_rate=eac_budget,
        eac_cpi_spi=eac_cpi_spi,
        tcpi=tcpi,
        ac_coverage_pct=coverage,
        ac_partial=partial,
        ac_withheld=withheld,
        unearned_hours=actual.unearned_hours if actual is not None else 0.0,
        unearned_cost=actual.unearned_cost if actual is not None else None,
        current_budget=base.current,
        bac_baseline=base.baseline,
    )
