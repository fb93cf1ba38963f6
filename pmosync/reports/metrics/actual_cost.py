"""Actual cost (AC) of one project from every cost source, and how much of it is known.

PMI's AC is all cost incurred for the work, so every source counts, each exactly once:

* **cost entries** (expense, invoice, labour) in the BAC currency; entries in another currency
  are left out (never converted) and make AC partial;
* **a tool's own actual**: Asana's budget ``actual`` is the cost of the time logged in that
  Asana project at Asana's resource rates, so it counts as the labour of that source's time
  entries, and those entries are not priced again (no double count). For a report dated
  before today, the actual is scaled to the share of that source's logged minutes up to the
  report date (Asana gives the total as of the sync);
* **every other time entry**, priced by the rate card that applies to its person on its day
  (``resources.rate_cards``, ``resources.hourly_rates``: see ``RateBook``).

Coverage says how complete that is: the share of logged hours that got a cost (priced, or
covered by a source's actual). Hours on work that earns nothing (no task, a parent task, a
milestone, a task that is not one of the project's work tasks) stay in AC, as PMI counts all
cost incurred, but are reported apart (``unearned_hours`` and their known cost) so a PMO sees
how much of the spend cannot show up as earned value.

In an hours basis AC is simply the logged hours: every hour is its own cost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pmosync.canonical import Project
from pmosync.canonical.budgets import currency_code
from pmosync.config.models import RateCard, Resources
from pmosync.reports.dataset import BudgetRow, CostRow, PersonRow, ProjectRow, TimeRow

SPECIFICITY = {
    (True, False, True): 5,  # project + person
    (True, False, False): 4,  # person
    (False, True, True): 3,  # project + role
    (False, True, False): 2,  # role
    (False, False, True): 1,  # project
    (False, False, False): 0,  # default
}
"""Rank of a rate card by what it names (person, role, project): the most specific wins."""


@dataclass(frozen=True, slots=True)
class _Card:
    rate: Decimal
    currency: str
    specificity: int
    valid_from: date
    valid_to: date
    listed: int  # 1: a rate card, 0: from hourly_rates (a rate card wins over it)

    @property
    def key(self) -> tuple[int, date, int]:
        return (self.specificity, self.valid_from, self.listed)


class RateBook:
    """Hourly rates of one project's people, by day.

    Of the cards that apply to a person on a day, the most specific wins: project + person,
    person, project + role, role, project, then a card naming none of them (a default). Of
    equally specific cards, the one that started last (a new rate supersedes the old), and a
    rate card over ``hourly_rates`` (whose people and default rank as person and default
    cards valid on every day)."""

    def __init__(
        self, resources: Resources, project: ProjectRow | None, people: Mapping[str, PersonRow]
    ) -> None:
        self._people = people
        self._roles = {email.casefold(): role.strip().casefold() for email, role in
                       resources.roles.items()}  # fmt: skip
        self._cards = [(card, self._for_project(card, project)) for card in resources.rate_cards]
        self._hourly = resources.hourly_rates
        self._cache: dict[str, list[_Card]] = {}

    @staticmethod
    def _for_project(card: RateCard, project: ProjectRow | None) -> bool | None:
        """True: the card names this project; None: it names none; False: another one."""
        if card.project is None:
            return None
        if project is None:
            return False
        named = card.project.strip()
        return (
            named.casefold() == project.name.strip().casefold()
            or named == project.id
            or Project.ref(project.source, named) == project.id
        )

    def _candidates(self, person_id: str) -> list[_Card]:
        person = self._people.get(person_id)
        email = person.email.casefold() if person and person.email else None
        role = self._roles.get(email) if email else None
        found: list[_Card] = []
        low, high = date.min, date.max
        for card, here in self._cards:
            if here is False:
                continue
            if card.person is not None and card.person.casefold() != email:
                continue
            if card.role is not None and card.role.strip().casefold() != role:
                continue
            rank = SPECIFICITY[(card.person is not None, card.role is not None, here is True)]
            found.append(
                _Card(
                    card.rate,
                    currency_code(card.currency) or "",
                    rank,
                    card.valid_from or low,
                    card.valid_to or high,
                    1,
                )
            )
        hourly = self._hourly
        if hourly is not None:
            currency = currency_code(hourly.currency) or ""
            rates = {key.casefold(): value for key, value in hourly.people.items()}
            if email is not None and email in rates:
                found.append(_Card(rates[email], currency, 4, low, high, 0))
            if hourly.default is not None:
                found.append(_Card(hourly.default, currency, 0, low, high, 0))
        found.sort(key=lambda c: c.key, reverse=True)
        return found

    def rate(self, person_id: str, day: date) -> tuple[Decimal, str] | None:
        """(rate per hour, currency) for ``person_id`` on ``day``; None when no card applies."""
        cards = self._cache.get(person_id)
        if cards is None:
            cards = self._cache[person_id] = self._candidates(person_id)
        for card in cards:
            if card.valid_from <= day <= card.valid_to:
                return card.rate, card.currency
        return None


@dataclass(frozen=True, slots=True)
class ActualCost:
    """AC of one project in its basis, its parts, and how complete it is.

    ``coverage_pct``: logged hours (to as_of) that got a cost, in percent; 100 when nothing
    was logged. ``costs_left_out``: cost entries not counted (another currency, or money in an
    hours basis). ``unearned_cost`` is the known cost of the unearned hours (their uncosted
    part is, like every uncosted hour, missing from AC)."""

    ac: float
    costs: float
    source_actuals: float
    labour: float
    logged_hours: float
    costed_hours: float
    coverage_pct: float
    costs_left_out: int
    unearned_hours: float
    unearned_cost: float
    notes: tuple[str, ...] = ()

    @property
    def partial(self) -> bool:
        """Whether some cost is known to be missing from AC."""
        return self.coverage_pct < 100.0 or self.costs_left_out > 0


def is_unearned(entry: TimeRow, work_task_ids: Collection[str] | None) -> bool:
    """Whether the entry's hours are on work that earns no value: no task, or (when the
    project's work tasks are known) a task that is not one of them (a parent, a milestone, a
    task of another project or one no longer synced)."""
    if entry.task_id is None:
        return True
    return work_task_ids is not None and entry.task_id not in work_task_ids


def _coverage(logged_minutes: int, costed_minutes: int) -> float:
    return 100.0 if logged_minutes == 0 else costed_minutes / logged_minutes * 100.0


def hours_actual(
    costs: Iterable[CostRow],
    entries: Iterable[TimeRow],
    as_of: date,
    work_task_ids: Collection[str] | None = None,
) -> ActualCost:
    """AC in hours: the hours logged to ``as_of``; money cost entries cannot join them."""
    logged = unearned = 0
    for entry in entries:
        if entry.entry_date <= as_of:
            logged += entry.minutes
            if is_unearned(entry, work_task_ids):
                unearned += entry.minutes
    left_out = [c for c in costs if c.entry_date <= as_of]
    notes: tuple[str, ...] = ()
    if left_out:
        count = len(left_out)
        notes = (
            f"{count} cost {'entry' if count == 1 else 'entries'} in money not counted in an "
            "hours basis: left out of AC",
        )
    hours = logged / 60.0
    return ActualCost(
        ac=hours,
        costs=0.0,
        source_actuals=0.0,
        labour=hours,
        logged_hours=hours,
        costed_hours=hours,
        coverage_pct=100.0,
        costs_left_out=len(left_out),
        unearned_hours=unearned / 60.0,
        unearned_cost=unearned / 60.0,
        notes=notes,
    )


def _costs_in(
    currency: str | None, costs: Iterable[CostRow], as_of: date
) -> tuple[Decimal, int, tuple[str, ...]]:
    total = Decimal(0)
    other: dict[str, list[Decimal]] = defaultdict(list)
    for cost in costs:
        if cost.entry_date > as_of:
            continue
        code = currency_code(cost.currency)
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
    return total, sum(len(a) for a in other.values()), notes


def source_actuals(
    currency: str | None, budgets: Sequence[BudgetRow]
) -> tuple[dict[str, Decimal], tuple[str, ...]]:
    """The actual each source states for the project's labour, in ``currency``, by source:
    one per source (Asana keeps one budget per project); an actual in another currency or in
    hours is not used, and that source's hours are priced by rate cards instead."""
    found: dict[str, Decimal] = {}
    notes = []
    for b in budgets:
        if b.actual is None or b.measure != "money" or not b.source or b.source in found:
            continue
        code = currency_code(b.currency)
        if currency is not None and code == currency:
            found[b.source] = b.actual
        else:
            notes.append(
                f"{b.source}'s actual cost {b.actual:,.2f} {code or '(no currency)'} not "
                f"converted to {currency or '(no currency)'}: its hours are priced by rate cards"
            )
    return found, tuple(notes)


def money_actual(
    currency: str | None,
    budgets: Sequence[BudgetRow],
    costs: Iterable[CostRow],
    entries: Iterable[TimeRow],
    as_of: date,
    rates: RateBook,
    work_task_ids: Collection[str] | None = None,
) -> ActualCost:
    """AC in ``currency``: cost entries in it, sources' actuals for their own time, and the
    other time at its rate card; what cannot be counted is described in the notes."""
    cost_total, left_out, notes = _costs_in(currency, costs, as_of)
    actuals, actual_notes = source_actuals(currency, budgets)
    notes += actual_notes
    # minutes per covered source: to as_of (what the report sees), all (what the actual is of),
    # and unearned to as_of (their share of the actual is their cost)
    covered_to: dict[str, int] = defaultdict(int)
    covered_all: dict[str, int] = defaultdict(int)
    covered_unearned: dict[str, int] = defaultdict(int)
    labour = unearned_priced = Decimal(0)
    logged = priced = unearned = 0
    unrated = 0
    foreign: dict[str, int] = defaultdict(int)
    for entry in entries:
        covered = entry.source in actuals
        if covered:
            covered_all[entry.source] += entry.minutes
        if entry.entry_date > as_of:
            continue
        logged += entry.minutes
        idle = is_unearned(entry, work_task_ids)
        unearned += entry.minutes if idle else 0
        if covered:
            covered_to[entry.source] += entry.minutes
            covered_unearned[entry.source] += entry.minutes if idle else 0
            continue
        found = rates.rate(entry.person_id, entry.entry_date)
        if found is None:
            unrated += entry.minutes
        elif found[1] != currency:
            foreign[found[1]] += entry.minutes
        else:
            cost = Decimal(entry.minutes) * found[0] / 60
            labour += cost
            priced += entry.minutes
            unearned_priced += cost if idle else 0
    actual_total = Decimal(0)
    unearned_actual = Decimal(0)
    for source, amount in actuals.items():
        share = Decimal(1)
        if covered_all[source]:
            share = Decimal(covered_to[source]) / Decimal(covered_all[source])
            unearned_actual += amount * Decimal(covered_unearned[source]) / covered_all[source]
        if share < 1:
            notes += (
                f"{source}'s actual cost {amount:,.2f} {currency} taken at {share * 100:.1f} %: "
                f"the share of its logged hours up to {as_of}",
            )
        actual_total += amount * share
    costed = priced + sum(covered_to.values())
    if unrated:
        notes += (f"{unrated / 60:.1f} h logged without an hourly rate: left out of AC",)
    for code, minutes in sorted(foreign.items()):
        notes += (
            f"{minutes / 60:.1f} h logged at rates in {code}, not "
            f"{currency or '(no currency)'}: left out of AC",
        )
    return ActualCost(
        ac=float(cost_total + actual_total + labour),
        costs=float(cost_total),
        source_actuals=float(actual_total),
        labour=float(labour),
        logged_hours=logged / 60.0,
        costed_hours=costed / 60.0,
        coverage_pct=_coverage(logged, costed),
        costs_left_out=left_out,
        unearned_hours=unearned / 60.0,
        unearned_cost=float(unearned_priced + unearned_actual),
        notes=notes,
    )
