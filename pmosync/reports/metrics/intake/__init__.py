"""Intake metrics: completeness, scores, and the selection that fits funding and people.

Pure functions over ``Dataset.requests`` (and, for capacity, allocations, leave, budgets and
costs) and the ``intake:`` block; the report kind ``intake_pipeline`` arranges their results.
The result types live here so the modules that compute them and the report that shows them
share one statement of what a score, a term, a demand and a selection are:

- ``completeness``: which requests lack a required field, and since when;
- ``finance``: benefit-cost ratio, ROI, NPV;
- ``score``: a request's score under a model, explained term by term, and its gates;
- ``capacity``: what is left, by role and month and in money, after current commitments;
- ``select``: each candidate's demand, the selection that fits, what each excluded one needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Incomplete:
    """A request missing required fields: which, and since when each has been missing."""

    request_id: str
    missing: tuple[str, ...]
    """The required fields it lacks, in the order ``intake.required`` names them."""
    since: datetime | None
    """When the longest-missing of them became missing: its first version without it that has
    stayed so (the field history), else when it was submitted; None when neither is known."""


@dataclass(frozen=True, slots=True)
class Term:
    """One criterion's part of a score."""

    criterion: str
    source: str
    value: str | None
    """The value read, as shown ("High", "2.5", "34 days", "anna@contoso.com"); None: empty."""
    points: float
    """Points earned (0 for an empty value)."""
    best: float
    """The criterion's best points (``Criterion.best_points``)."""
    weight: float
    contribution: float
    """Its share of the 0-100 score: 100 x weight x points / best / the weights' total."""
    note: str | None = None
    """Why it earned what it did when that is not obvious ("no value: 0 points")."""


@dataclass(frozen=True, slots=True)
class GateResult:
    label: str
    passed: bool
    reason: str | None = None
    """Why it failed ("no sponsor", "estimated cost 1,200,000 is above 1,000,000")."""


@dataclass(frozen=True, slots=True)
class Scored:
    """A request's score under one model."""

    request_id: str
    model: str
    score: float | None
    """0-100, the sum of the terms' contributions; None when it could not be scored."""
    terms: tuple[Term, ...] = ()
    gates: tuple[GateResult, ...] = ()
    problems: tuple[str, ...] = ()
    """Why it could not be scored, one line each, naming the criterion and the value ("criterion
    'fit' expects one of High, Medium, Low; the request has 'Huge'")."""
    bcr: float | None = None
    roi: float | None = None
    npv: Decimal | None = None
    rank: int | None = None
    """1 for the highest score among the scored requests of the model; ties share a rank."""

    @property
    def passed(self) -> bool:
        """Scored, and every gate held: it may be selected."""
        return self.score is not None and all(g.passed for g in self.gates)


@dataclass(frozen=True, slots=True)
class Demand:
    """What a request asks for over the horizon: money, and hours by role and month."""

    request_id: str
    cost: Decimal | None
    """Its estimated cost in the pipeline's currency; None when it has none or another one."""
    hours: dict[tuple[str, str], float] = field(default_factory=dict)
    """(role, month "YYYY-MM") -> hours: each role's effort spread evenly over the working days
    of its target months within the horizon."""
    assumed: tuple[str, ...] = ()
    """What was assumed for it ("no target start: starts 2027-01", "6 months assumed")."""


@dataclass(frozen=True, slots=True)
class Capacity:
    """What is left for new work over the horizon."""

    months: tuple[str, ...]
    """The horizon's months, "YYYY-MM", first the report's month."""
    hours: dict[tuple[str, str], float]
    """(role, month) -> hours left: the role's people's capacity (working days, leave out)
    minus their allocations to current projects; never below 0."""
    capacity_hours: dict[tuple[str, str], float] = field(default_factory=dict)
    """(role, month) -> hours of capacity before allocations."""
    allocated_hours: dict[tuple[str, str], float] = field(default_factory=dict)
    money: Decimal | None = None
    """Funding left in the pipeline's currency; None: no funding configured (unbounded)."""
    funding: Decimal | None = None
    committed: Decimal | None = None
    """What active projects still have to spend (budget - actual cost), subtracted from
    funding; None with commitments: none."""
    notes: tuple[str, ...] = ()
    """What the figures could not count ("2 projects have no budget", "a role no one has")."""


@dataclass(frozen=True, slots=True)
class Shortfall:
    """One constraint an excluded request breaks, by how much."""

    what: str
    """"funding" or "<role> <YYYY-MM>"."""
    needs: float
    left: float


@dataclass(frozen=True, slots=True)
class Exclusion:
    request_id: str
    reason: str
    """"does not fit", "fails gate 'a sponsor named' (sponsor: no value)", "not scored: ...",
    "no cost in EUR"..."""
    shortfalls: tuple[Shortfall, ...] = ()
    """What it would need beyond what is left after the selected set."""


@dataclass(frozen=True, slots=True)
class Selection:
    """The requests chosen within funding and capacity, and why the others were not."""

    model: str
    method: str
    """"greedy" or "exact" (what ran, after auto chose)."""
    selected: tuple[str, ...]
    """Request ids, in rank order."""
    excluded: tuple[Exclusion, ...]
    total_score: float
    total_cost: Decimal
    committed: tuple[str, ...] = ()
    """Approved requests taken first (``approved_first``), part of ``selected``."""
    left: Capacity | None = None
    """What is left after the selected set."""
    demands: dict[str, Demand] = field(default_factory=dict)
    """The selected requests' demands by request id, as the selection weighed them."""
