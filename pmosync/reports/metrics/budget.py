"""One budget per project: which statement of it counts, and what BAC is measured against.

A project's budget may be stated several times: Asana's native budget (``budget_api``), a
budget custom field (``custom_field``), a budget workbook (``workbook``). Those are the same
budget said twice, so they are never added: the origin that ranks first in
``resources.budget_precedence`` counts and the others are named in a note, so a PMO sees that
the figures disagree. Within the origin that counts:

* budgets with a ``line`` (CAPEX/OPEX, a phase) are parts meant to add up;
* a whole budget (no line) is the total: when lines of the same origin come with it, they are
  taken as its breakdown, the whole budget counts, and a note says when the lines do not add
  up to it; several whole budgets of one origin are ambiguous: the largest counts, noted;
* money counts before hours, and of several currencies the first by code: budgets in another
  measure or currency are left out and noted, never converted.

BAC follows PMI's performance measurement baseline: when the project's active baseline holds a
budget, BAC is that budget and today's budget is shown beside it (``current``); a re-plan that
raises the budget then shows as a variance instead of erasing it. Without a baseline budget,
BAC is the current budget and a note says so; without any budget, the sum of task estimates
stands in as an hours budget.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pmosync.reports.dataset import BaselineRow, BudgetRow
from pmosync.reports.metrics.progress import Progress

Basis = Literal["money", "hours", "undefined"]
BacSource = Literal["baseline", "budget", "estimates"]

DEFAULT_PRECEDENCE: tuple[str, ...] = ("budget_api", "custom_field", "workbook")
"""The default of ``resources.budget_precedence``; also the order of origins a configured
precedence leaves out, ranked after the ones it lists."""

ORIGIN_NAMES = {
    "budget_api": "budget API budget",
    "custom_field": "custom field budget",
    "workbook": "workbook budget",
    None: "budget of unknown origin",
}
ORIGIN_OWNERS = {
    "budget_api": "the budget API's",
    "custom_field": "the custom field's",
    "workbook": "the workbook's",
    None: "the unknown origin's",
}


def currency_code(code: str | None) -> str | None:
    """Currency codes compare case-insensitively ("eur" from a sheet is EUR)."""
    return code.strip().upper() if code else None


def money(amount: float | Decimal, unit: str | None) -> str:
    """An amount as notes write it: ``120,000.00 EUR``, ``80.00 h``."""
    return f"{amount:,.2f} {unit or '(no currency)'}"


@dataclass(frozen=True, slots=True)
class CurrentBudget:
    """The budget that counts today: its amount in ``measure`` (and ``currency`` for money),
    the origin it came from, its lines when they add up, and what was left out."""

    measure: Literal["money", "hours"]
    currency: str | None
    amount: float
    origin: str | None
    lines: tuple[tuple[str, float], ...]
    notes: tuple[str, ...] = ()

    @property
    def unit(self) -> str:
        return self.currency or "(no currency)" if self.measure == "money" else "h"


@dataclass(frozen=True, slots=True)
class Bac:
    """BAC and what it is measured in. ``source`` says what set it (the active baseline's
    budget, the current budget, or task estimates); ``current`` is today's budget when it is
    measured like BAC; ``baseline`` names the baseline that set BAC."""

    basis: Basis
    currency: str | None
    amount: float | None
    source: BacSource | None
    current: float | None
    baseline: str | None
    notes: tuple[str, ...] = ()


def ranking(precedence: Sequence[str]) -> dict[str | None, int]:
    """Rank of each origin: the listed ones in order, then the default order of those left
    out, then budgets without an origin (rows written before origins were recorded)."""
    order = list(dict.fromkeys([*precedence, *DEFAULT_PRECEDENCE]))
    rank: dict[str | None, int] = {origin: place for place, origin in enumerate(order)}
    rank[None] = len(order)
    return rank


def _origin_total(rows: Sequence[BudgetRow]) -> CurrentBudget:
    """One origin's budget: its measure and currency, its whole budget or lines added up."""
    kinds = sorted(
        {(b.measure, currency_code(b.currency)) for b in rows},
        key=lambda pair: (pair[0] != "money", pair[1] or ""),
    )
    measure, currency = kinds[0]
    same = [b for b in rows if (b.measure, currency_code(b.currency)) == (measure, currency)]
    unit = currency or "(no currency)" if measure == "money" else "h"
    origin = rows[0].origin
    notes = [
        f"{ORIGIN_NAMES.get(b.origin, 'budget')} of {money(b.amount, b_unit)} not converted to "
        f"{unit}: left out of the budget"
        for b in rows
        if (b.measure, currency_code(b.currency)) != (measure, currency)
        for b_unit in [currency_code(b.currency) if b.measure == "money" else "h"]
    ]
    wholes = sorted((float(b.amount) for b in same if b.line is None), reverse=True)
    parts: dict[str, float] = defaultdict(float)
    for b in same:
        if b.line is not None:
            parts[b.line] += float(b.amount)
    lines = tuple(sorted(parts.items()))
    if wholes:
        amount = wholes[0]
        if len(wholes) > 1:
            others = ", ".join(money(w, unit) for w in wholes[1:])
            notes.append(
                f"{len(wholes)} whole {ORIGIN_NAMES.get(origin, 'budget')}s: the largest, "
                f"{money(amount, unit)}, counts ({others} ignored)"
            )
        if lines and abs(sum(parts.values()) - amount) > 0.005:
            notes.append(
                f"budget lines add up to {money(sum(parts.values()), unit)}, not the whole "
                f"budget of {money(amount, unit)}: the whole budget counts"
            )
    else:
        amount = sum(parts.values())
    kind: Literal["money", "hours"] = "money" if measure == "money" else "hours"
    return CurrentBudget(kind, currency, amount, origin, lines, tuple(notes))


def current_budget(
    budgets: Sequence[BudgetRow], precedence: Sequence[str] = DEFAULT_PRECEDENCE
) -> CurrentBudget | None:
    """The project's budget as it stands: the highest-precedence origin's, with a note for
    every other origin that states one (ignored, never added); None without any budget."""
    if not budgets:
        return None
    rank = ranking(precedence)
    by_origin: dict[str | None, list[BudgetRow]] = defaultdict(list)
    for b in budgets:
        by_origin[b.origin if b.origin in rank else None].append(b)
    ordered = sorted(by_origin, key=lambda origin: rank[origin])
    chosen = _origin_total(by_origin[ordered[0]])
    notes = list(chosen.notes)
    for origin in ordered[1:]:
        other = _origin_total(by_origin[origin])
        notes.append(
            f"{ORIGIN_NAMES[origin]} {money(other.amount, other.unit)} ignored: "
            f"{ORIGIN_OWNERS[chosen.origin]} {money(chosen.amount, chosen.unit)} takes precedence"
        )
    return CurrentBudget(
        chosen.measure, chosen.currency, chosen.amount, chosen.origin, chosen.lines, tuple(notes)
    )


def _baseline_label(baseline: BaselineRow) -> str:
    return f"{baseline.name} (set {baseline.set_at:%Y-%m-%d})"


def bac(
    budgets: Sequence[BudgetRow],
    progress: Progress,
    baseline: BaselineRow | None = None,
    precedence: Sequence[str] = DEFAULT_PRECEDENCE,
) -> Bac:
    """BAC: the active baseline's budget, else the current budget, else task estimates."""
    current = current_budget(budgets, precedence)
    notes = current.notes if current else ()
    if baseline is not None and baseline.budget_amount is not None:
        measure = "hours" if baseline.budget_measure == "hours" else "money"
        currency = currency_code(baseline.budget_currency) if measure == "money" else None
        label = _baseline_label(baseline)
        comparable = None
        if current is not None:
            if (current.measure, current.currency) == (measure, currency):
                comparable = current.amount
            else:
                notes += (
                    f"current budget {money(current.amount, current.unit)} is not measured "
                    f"like baseline {label}'s ({currency or 'h'}): not compared",
                )
        else:
            notes += ("no current budget: BAC is the baseline's",)
        basis: Basis = measure  # type: ignore[assignment]
        amount = float(baseline.budget_amount)
        return Bac(basis, currency, amount, "baseline", comparable, label, notes)
    if current is not None:
        notes += ("no baseline budget: BAC is the current budget",)
        basis = current.measure
        return Bac(basis, current.currency, current.amount, "budget", current.amount, None, notes)
    if progress.has_estimates:
        note = f"no budget: BAC is the sum of task estimates ({progress.estimate_hours:.1f} h)"
        return Bac("hours", None, progress.estimate_hours, "estimates", None, None, (note,))
    note = "no budget and no task estimates: earned value undefined"
    return Bac("undefined", None, None, None, None, None, (note,))
