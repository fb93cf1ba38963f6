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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pmosync.canonical.budgets import (
    DEFAULT_PRECEDENCE,
    currency_code,
    current_budget,
    money,
)
from pmosync.reports.dataset import BaselineRow, BudgetRow
from pmosync.reports.metrics.progress import Progress

Basis = Literal["money", "hours", "undefined"]
BacSource = Literal["baseline", "budget", "estimates"]


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
