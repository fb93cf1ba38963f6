"""One budget per project: which of a project's budget records counts.

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

The rule lives here, beside the model, because two places apply it: the reports (today's
budget) and the store (the budget a baseline freezes). Rows are anything with ``amount``,
``measure``, ``currency``, ``origin`` and ``line``: canonical ``Budget`` records, the reports'
``BudgetRow``s or the store's rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

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


def ranking(precedence: Sequence[str]) -> dict[str | None, int]:
    """Rank of each origin: the listed ones in order, then the default order of those left
    out, then budgets without an origin (rows written before origins were recorded)."""
    order = list(dict.fromkeys([*precedence, *DEFAULT_PRECEDENCE]))
    rank: dict[str | None, int] = {origin: place for place, origin in enumerate(order)}
    rank[None] = len(order)
    return rank


def _origin_total(rows: Sequence[Any]) -> CurrentBudget:
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
    budgets: Sequence[Any], precedence: Sequence[str] = DEFAULT_PRECEDENCE
) -> CurrentBudget | None:
    """The project's budget as it stands: the highest-precedence origin's, with a note for
    every other origin that states one (ignored, never added); None without any budget."""
    if not budgets:
        return None
    rank = ranking(precedence)
    by_origin: dict[str | None, list[Any]] = defaultdict(list)
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
