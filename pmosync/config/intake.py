"""The ``intake:`` block: what a complete request holds, how requests are scored, what fits.

A scoring model is data, never code: each criterion names what it reads (``source``) and one
way to turn that into points (``points`` for a choice, ``bands`` or ``range`` for a number or a
date, ``points_if_set`` for a person or any value), with a weight. A request's score is the
weighted average of its criteria's points as a share of each criterion's best, 0-100; gates are
conditions a request must meet to be selected at all. No string from the YAML or a source is
ever evaluated.

``IntakeSourceFields`` are the keys every intake source shares (the Asana connector's
``intake:`` block, a workbook or SharePoint list of ``kind: request``): which field or column
holds each criterion and each role's effort, and the source's own stage and risk words.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, WithJsonSchema, field_validator, model_validator

from pmosync.canonical.types import REQUEST_STAGES, RequestStage
from pmosync.config.errors import LocatedMessage, LocatedProblems, show_value
from pmosync.config.fields import NAME_PATTERN, ConfigModel, Currency, NonEmptyStr

BUILT_IN_SOURCES: dict[str, str] = {
    "estimated_cost": "the request's estimated cost (money)",
    "estimated_benefit": "its estimated benefit (money)",
    "bcr": "benefit-cost ratio: estimated benefit / estimated cost",
    "roi": "return on investment: (benefit - cost) / cost",
    "npv": "net present value at the model's finance settings",
    "risk": "its delivery risk, 1 (very low) to 5 (very high)",
    "sponsor": "its sponsor (a person)",
    "requester": "who asked (a person)",
    "submitted": "when it was submitted (a date)",
    "target_start": "when it should start (a date)",
    "target_end": "when it should finish (a date)",
    "effort_hours": "its total effort in hours, every role",
}
"""What a criterion or gate may read besides ``criteria.<name>`` and ``effort.<role>``."""

SOURCE_PATTERN = r"^(criteria\.[a-z0-9][a-z0-9_-]*|effort\..+|" + "|".join(BUILT_IN_SOURCES) + r")$"
DATE_SOURCES = frozenset({"submitted", "target_start", "target_end"})
"""Sources read as a number of days from the report date to the date (negative: past)."""
PERSON_SOURCES = frozenset({"sponsor", "requester"})

REQUIRED_PATTERN = (
    r"^(title|description|requester|sponsor|submitted|estimated_cost|"
    r"estimated_benefit|effort|target_start|target_end|risk|criteria\.[a-z0-9][a-z0-9_-]*)$"
)


def check_source(value: str) -> str:
    """A source a criterion or gate may read; an unknown one is named with what is allowed."""
    if re.match(SOURCE_PATTERN, value):
        return value
    shown = show_value(value) or "this source"
    raise ValueError(
        f"unknown source {shown}: use criteria.<name>, effort.<role>, or one of "
        + ", ".join(BUILT_IN_SOURCES)
    )


def check_required(value: str) -> str:
    """A field ``intake.required`` may name; an unknown one is named with what is allowed."""
    if re.match(REQUIRED_PATTERN, value):
        return value
    shown = show_value(value) or "this field"
    raise ValueError(
        f"unknown field {shown}: use title, description, requester, sponsor, submitted, "
        "estimated_cost, estimated_benefit, effort, target_start, target_end, risk or "
        "criteria.<name>"
    )


RequiredField = Annotated[
    str,
    AfterValidator(check_required),
    WithJsonSchema({"type": "string", "pattern": REQUIRED_PATTERN}),
]
CriterionName = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]
ModelName = Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]
Source = Annotated[
    str,
    AfterValidator(check_source),
    WithJsonSchema({"type": "string", "pattern": SOURCE_PATTERN}),
]


def _fail(path: tuple[str | int, ...], message: str) -> None:
    raise LocatedProblems([LocatedMessage(path, message, at_key=True)])


class Band(ConfigModel):
    """Points for a value at or above a threshold (the highest threshold met wins)."""

    at_least: float = Field(description="Lowest value (or days, for a date) earning the points.")
    points: float = Field(ge=0, description="Points for a value at or above at_least.")


class Range(ConfigModel):
    """Points in proportion between a worst and a best value."""

    best: float = Field(description="A value here or beyond earns max_points.")
    worst: float = Field(description="A value here or beyond earns 0.")

    @model_validator(mode="after")
    def _apart(self) -> Self:
        if self.best == self.worst:
            _fail(("best",), "best and worst must differ")
        return self


class Criterion(ConfigModel):
    """One weighted term of a score; exactly one of points, bands, range, points_if_set."""

    weight: float = Field(gt=0, description="Relative weight of this criterion in the score.")
    source: Source | None = Field(
        None,
        description=(
            "What it reads: criteria.<name> (a value the source maps under criteria), "
            "effort.<role>, or one of " + ", ".join(BUILT_IN_SOURCES) + "; default "
            "criteria.<this criterion's name>. Dates are read as days from the report date."
        ),
    )
    points: dict[NonEmptyStr, Annotated[float, Field(ge=0)]] | None = Field(
        None,
        description=(
            "A choice's option -> points (options matched in any case and spacing; a number "
            "is matched as written, 3 as '3'). An option not listed makes the request "
            "unscorable under this model, named in the report."
        ),
    )
    bands: list[Band] | None = Field(
        None,
        min_length=1,
        description="Numeric thresholds: the points of the highest at_least the value meets; "
        "below them all, 0.",
    )
    range: Range | None = Field(
        None,
        description="Linear points: max_points at best, 0 at worst, in proportion between.",
    )
    points_if_set: float | None = Field(
        None, ge=0, description="Points when the source has any value (a sponsor named)."
    )
    max_points: float = Field(10, gt=0, description="Points of the best value, with range.")

    @model_validator(mode="after")
    def _one_scale(self) -> Self:
        given = [
            name
            for name in ("points", "bands", "range", "points_if_set")
            if getattr(self, name) is not None
        ]
        if len(given) != 1:
            found = f" (found {' and '.join(given)})" if given else ""
            _fail((), f"give exactly one of points, bands, range, points_if_set{found}")
        if self.points is not None and not any(self.points.values()):
            _fail(("points",), "at least one option must earn points")
        if self.bands is not None and not any(b.points for b in self.bands):
            _fail(("bands",), "at least one band must earn points")
        return self

    def best_points(self) -> float:
        """The points of this criterion's best value: what its share of the weight is of."""
        if self.points is not None:
            return max(self.points.values())
        if self.bands is not None:
            return max(b.points for b in self.bands)
        if self.points_if_set is not None:
            return self.points_if_set
        return self.max_points


class Gate(ConfigModel):
    """A condition a request must meet to be selected: set, one_of, or at_least/at_most."""

    source: Source = Field(description="What it reads (as a criterion's source).")
    set: bool | None = Field(
        None, description="true: the source must have a value (a sponsor named)."
    )
    one_of: list[NonEmptyStr] | None = Field(
        None, min_length=1, description="The value must be one of these options."
    )
    at_least: float | None = Field(None, description="The value must be at least this.")
    at_most: float | None = Field(None, description="The value must be at most this.")
    label: NonEmptyStr | None = Field(None, description="How the report names the gate.")

    @model_validator(mode="after")
    def _one_condition(self) -> Self:
        kinds = [
            kind
            for kind, given in (
                ("set", self.set is not None),
                ("one_of", self.one_of is not None),
                ("at_least/at_most", self.at_least is not None or self.at_most is not None),
            )
            if given
        ]
        if len(kinds) != 1:
            _fail((), "give exactly one condition: set, one_of, or at_least/at_most")
        if self.set is False:
            _fail(("set",), "set: false is no condition; leave the gate out")
        return self


class Finance(ConfigModel):
    """How benefit turns into NPV: the benefit arrives in equal parts at the end of each year."""

    discount_rate: float = Field(ge=0, le=1, description="Annual discount rate (0.08 is 8 %).")
    years: int = Field(ge=1, le=50, description="Years over which the estimated benefit comes.")


class ScoringModel(ConfigModel):
    """Weighted criteria, gates, and optional finance settings (NPV)."""

    description: str | None = Field(None, description="What the model is for, in the report.")
    criteria: dict[CriterionName, Criterion] = Field(
        min_length=1, description="Criterion name -> its weight and scale."
    )
    gates: list[Gate] = Field(default=[], description="Conditions a selected request must meet.")
    finance: Finance | None = Field(
        None, description="Discount rate and years, for NPV (as a source or in the scoreboard)."
    )

    @model_validator(mode="after")
    def _npv_has_finance(self) -> Self:
        for name, criterion in self.criteria.items():
            if criterion.source == "npv" and self.finance is None:
                _fail(("criteria", name, "source"), "npv needs the model's finance settings")
        for index, gate in enumerate(self.gates):
            if gate.source == "npv" and self.finance is None:
                _fail(("gates", index, "source"), "npv needs the model's finance settings")
        return self


class IntakeCapacity(ConfigModel):
    """What is left for new projects, and how the selection that fits it is made."""

    model: ModelName | None = Field(
        None, description="The scoring model that ranks for selection; default the first."
    )
    horizon_months: int = Field(
        12,
        ge=1,
        le=60,
        description="Months ahead, from the report month, that demand and "
        "capacity are compared over.",
    )
    funding: Decimal | None = Field(
        None,
        ge=0,
        description="Money the portfolio has over the horizon, in intake.currency; none: "
        "the selection is bound by people only.",
    )
    commitments: Literal["remaining_budgets", "none"] = Field(
        "remaining_budgets",
        description="remaining_budgets: funding minus what active projects have left to spend "
        "(budget - actual cost); none: funding is for new projects only.",
    )
    method: Literal["auto", "greedy", "exact"] = Field(
        "auto",
        description="greedy: by score per cost, highest first, each taken if it fits; exact: "
        "the 0/1 knapsack with the highest total score; auto: exact up to exact_max "
        "candidates, else greedy.",
    )
    exact_max: int = Field(20, ge=1, le=30, description="Most candidates auto solves exactly.")
    approved_first: bool = Field(
        True, description="Approved requests are committed before the others are chosen."
    )
    default_months: int = Field(
        6,
        ge=1,
        le=60,
        description="Duration assumed for a request without a target end; one without a target "
        "start starts the month after the report month.",
    )


class Intake(ConfigModel):
    """Project requests: what complete means, the scoring models, and the capacity fit."""

    currency: Currency | None = Field(
        None,
        description="The pipeline's currency: money is compared in it; a request in another "
        "is scored on its other criteria and named in the report. Needed with funding.",
    )
    required: list[RequiredField] = Field(
        default=[],
        description="Fields a complete request has (title, requester, sponsor, submitted, "
        "estimated_cost, estimated_benefit, effort, target_start, target_end, risk, "
        "description, criteria.<name>); the report lists the incomplete and since when.",
    )
    eligible_stages: list[RequestStage] = Field(
        default=["submitted", "under_review", "approved"],
        min_length=1,
        description="Stages whose requests are ranked and may be selected.",
    )
    models: dict[ModelName, ScoringModel] = Field(
        default={}, description="Scoring models by name; several may coexist."
    )
    capacity: IntakeCapacity = Field(
        default_factory=IntakeCapacity, description="What fits: funding, horizon, method."
    )

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.capacity.model is not None and self.capacity.model not in self.models:
            known = ", ".join(self.models) or "none"
            wanted = self.capacity.model
            _fail(("capacity", "model"), f"no scoring model {wanted!r} (known: {known})")
        if self.capacity.funding is not None and self.currency is None:
            _fail(("currency",), "funding needs intake.currency")
        return self

    def selection_model(self) -> str | None:
        """The model that ranks for selection: capacity.model, else the first."""
        return self.capacity.model or next(iter(self.models), None)


class IntakeSourceFields(ConfigModel):
    """Keys shared by every intake source: criteria and effort by field, vocabularies."""

    criteria: dict[CriterionName, NonEmptyStr] = Field(
        default={},
        description="Criterion name (as scoring models read it: criteria.<name>) -> the field "
        "or column holding its value.",
    )
    effort: dict[NonEmptyStr, NonEmptyStr] = Field(
        default={},
        description="Role (as resources.roles names it) -> the field or column with that "
        "role's estimated effort.",
    )
    effort_unit: Literal["hours", "days"] = Field(
        "hours", description="What effort is written in; days are hours_per_day hours."
    )
    hours_per_day: float = Field(8, gt=0, le=24, description="Hours in a day of effort.")
    stage_vocabulary: dict[NonEmptyStr, RequestStage] = Field(
        default={},
        description="Stage word -> " + ", ".join(REQUEST_STAGES) + "; adds to the built-in "
        "words (New, Triage, Under review, Approved, Declined, Parked, In delivery...).",
    )
    risk_vocabulary: dict[NonEmptyStr, Annotated[int, Field(ge=1, le=5)]] = Field(
        default={},
        description="Risk word -> 1-5; adds to the built-in words (Very low 1 ... Very high 5, "
        "and options starting with their number).",
    )

    @field_validator("effort")
    @classmethod
    def _roles_unique(cls, effort: dict[str, str]) -> dict[str, str]:
        seen: dict[str, str] = {}
        for role in effort:
            key = re.sub(r"\s+", " ", role).strip().casefold()
            if key in seen:
                raise ValueError(f"roles {seen[key]!r} and {role!r} are the same role")
            seen[key] = role
        return effort
