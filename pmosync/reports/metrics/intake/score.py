"""A request's score under a scoring model, explained term by term, and its gates.

Score = 100 x sum(weight x points / best) / sum(weights): each criterion earns points on its
scale, as a share of the best points that scale gives, weighted; 100 is a request with the best
value on every criterion. docs/reports.md "Intake and prioritisation" defines each scale.

A model is data, so it is read once into matchers (one small function per criterion and gate)
before any request is looked at: 5,000 requests x 3 models cost a few hundred thousand calls.
A value a criterion cannot read (text where a number is expected, an option the model does not
list, money in another currency) makes the request unscorable under that model, with one line
per such criterion naming it, what it expects and the value; the other requests still rank.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pmosync.config.intake import (
    DATE_SOURCES,
    PERSON_SOURCES,
    Criterion,
    Finance,
    Gate,
    ScoringModel,
)
from pmosync.reports.collector import collector_paused
from pmosync.reports.dataset import PersonRow, RequestRow
from pmosync.reports.metrics.intake import GateResult, Scored, Term
from pmosync.reports.metrics.intake.finance import bcr, npv, roi

MONEY_SOURCES = frozenset({"estimated_cost", "estimated_benefit", "npv"})
"""Sources in the request's currency: compared only when it is the pipeline's."""
YES = frozenset({"yes", "true", "y"})
NO = frozenset({"no", "false", "n"})
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EPSILON = 1e-9
"""Scores are floats: two requests whose terms add up alike share a rank."""


class _Unreadable(Exception):
    """A value a criterion or gate cannot read; its text is the problem line's tail."""


@dataclass(frozen=True, slots=True)
class Value:
    """A source's value for one request: what the scales read and how it is shown."""

    raw: Any
    """None: empty. A float (numbers, money, days to a date), a bool, or text."""
    shown: str | None


EMPTY = Value(None, None)


def option_key(text: str) -> str:
    """An option as options compare: any case, runs of spacing as one space."""
    return " ".join(text.split()).casefold()


def number_text(value: float) -> str:
    """A number as written: 3.0 as "3", 2.5 as "2.5", 1000000 as "1,000,000"."""
    return f"{value:,.10g}"


def _plain(value: float) -> str:
    """A number as an option key reads it: 3.0 as "3", no thousands separators."""
    return f"{value:.10g}"


def _shown(value: float) -> str:
    """A number as a term shows it: at most two decimals, no trailing zeros."""
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _days(days: int, day: date) -> str:
    return f"{days} day{'s' if abs(days) != 1 else ''} ({day.isoformat()})"


def _day_of(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


class _Figures:
    """A request's BCR, ROI and NPV, computed once whether a criterion, a gate or the
    scoreboard asks: the model's readers share one, which holds the last request's."""

    __slots__ = ("bcr", "finance", "npv", "request", "roi")

    def __init__(self, finance: Finance | None) -> None:
        self.finance = finance
        self.request: RequestRow | None = None
        self.bcr: float | None = None
        self.roi: float | None = None
        self.npv: Decimal | None = None

    def of(self, request: RequestRow) -> _Figures:
        if request is not self.request:
            cost, benefit = request.estimated_cost, request.estimated_benefit
            self.request = request
            self.bcr = bcr(cost, benefit)
            self.roi = roi(cost, benefit)
            finance = self.finance
            self.npv = npv(cost, benefit, finance) if finance is not None else None
        return self


def _money_value(amount: Decimal, code: str | None) -> Value:
    return Value(float(amount), f"{amount:,.2f} {code or ''}".rstrip())


class _Reader:
    """Reads one source of a request into a ``Value``; built once per source and model."""

    def __init__(
        self,
        source: str,
        *,
        as_of: date,
        currency: str | None,
        people: Mapping[str, PersonRow],
        figures: _Figures,
    ) -> None:
        self.source = source
        self.name = source.removeprefix("criteria.")
        self._as_of = as_of
        self._currency = currency.upper() if currency else None
        self._people = people
        self._figures = figures
        self._amounts: dict[tuple[Decimal, str | None], Value] = {}
        """Each amount and currency read (costs repeat: round figures): equal amounts show
        alike ("1E+3" and "1000.00" are both "1,000.00")."""
        self.read: Callable[[RequestRow], Value] = self._build()

    def _money(self, request: RequestRow, amount: Decimal | None) -> Value:
        if amount is None:
            return EMPTY
        code = request.currency.upper() if request.currency else None
        if self._currency is not None and code != self._currency:
            had = f"in {code}" if code else "without a currency"
            raise _Unreadable(f"its money is {had}; the pipeline is in {self._currency}")
        key = (amount, code)
        try:
            return self._amounts[key]
        except KeyError:
            self._amounts[key] = value = _money_value(amount, code)
            return value
        except TypeError:  # a signalling NaN does not hash
            return _money_value(amount, code)

    def _date(self, day: date | datetime | None) -> Value:
        if day is None:
            return EMPTY
        day = _day_of(day)
        days = (day - self._as_of).days
        return Value(float(days), _days(days, day))

    def _build(self) -> Callable[[RequestRow], Value]:
        source = self.source
        if source.startswith("criteria."):
            key = source.removeprefix("criteria.")
            return self._criteria_reader(key)
        if source.startswith("effort."):
            role = option_key(source.removeprefix("effort."))

            def effort(r: RequestRow) -> Value:
                for name, hours in r.effort_hours.items():
                    if option_key(name) == role and hours is not None:
                        return Value(float(hours), f"{_shown(float(hours))} h")
                return EMPTY

            return effort
        if source in MONEY_SOURCES:
            if source == "npv":
                figures = self._figures
                return lambda r: self._money(r, figures.of(r).npv)
            field = source
            return lambda r: self._money(r, getattr(r, field))
        if source in DATE_SOURCES:
            field = "submitted_at" if source == "submitted" else source
            return lambda r: self._date(getattr(r, field))
        if source in PERSON_SOURCES:
            field = f"{source}_id"
            return lambda r: self._person(getattr(r, field))
        if source == "bcr":
            return lambda r: self._number(self._figures.of(r).bcr)
        if source == "roi":
            return lambda r: self._number(self._figures.of(r).roi)
        if source == "risk":
            return lambda r: self._number(r.risk)
        if source == "effort_hours":

            def total(r: RequestRow) -> Value:
                hours = [h for h in r.effort_hours.values() if h is not None]
                return self._number(sum(hours)) if hours else EMPTY

            return total
        raise ValueError(f"unknown source {source!r}")  # the config's pattern rules it out

    def _criteria_reader(self, key: str) -> Callable[[RequestRow], Value]:
        """A criterion's values repeat (a few options, yes/no): each distinct one is read once
        (by its type too: True and 1.0 are equal keys but different values)."""
        seen: dict[tuple[type, Any], Value] = {}
        criterion = self._criterion

        def read(r: RequestRow) -> Value:
            value = r.criteria.get(key)
            memo = (value.__class__, value)
            try:
                return seen[memo]
            except KeyError:
                seen[memo] = found = criterion(value)
                return found
            except TypeError:  # an unhashable value (a list from a hand-seeded row)
                return criterion(value)

        return read

    @staticmethod
    def _number(value: float | None) -> Value:
        return EMPTY if value is None else Value(float(value), _shown(float(value)))

    def _person(self, person_id: str | None) -> Value:
        if not person_id:
            return EMPTY
        person = self._people.get(person_id)
        shown = person.email if person is not None and person.email else person_id
        return Value(shown, shown)

    def _criterion(self, value: Any) -> Value:
        if value is None or (isinstance(value, str) and not value.strip()):
            return EMPTY
        if isinstance(value, bool):
            return Value(value, "yes" if value else "no")
        if isinstance(value, int | float | Decimal):
            return Value(float(value), _shown(float(value)))
        text = str(value).strip()
        return Value(text, text)


def _as_number(value: Value, as_of: date) -> float:
    """A value under bands or range: a number, a plain-number text, or a date as days."""
    raw = value.raw
    if isinstance(raw, bool):
        raise _Unreadable(f"expects a number or a date, not {value.shown}")
    if isinstance(raw, float):
        return raw
    text = str(raw)
    if NUMBER.match(text):
        return float(text)
    if ISO_DATE.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise _Unreadable(f"{text!r} is not a valid date") from None
        return float((day - as_of).days)
    raise _Unreadable(f"expects a number or a date (YYYY-MM-DD), not {text!r}")


def _date_shown(value: Value, as_of: date) -> str | None:
    """A criterion's date text shown with its days, as a built-in date source is."""
    if isinstance(value.raw, str) and ISO_DATE.match(value.raw):
        try:
            day = date.fromisoformat(value.raw)
        except ValueError:
            return value.shown
        return _days((day - as_of).days, day)
    return value.shown


def _option_keys(value: Value) -> tuple[str, ...]:
    """The keys a value matches among a choice's options: its text, a number as written
    (3.0 as "3"), a yes/no as any of yes/true/y or no/false/n."""
    raw = value.raw
    if isinstance(raw, bool):
        return tuple(YES if raw else NO)
    if isinstance(raw, float):
        return (_plain(raw),)
    text = option_key(str(raw))
    return (text, _plain(float(text))) if NUMBER.match(text) else (text,)


def option_points(points: Mapping[str, float]) -> dict[str, float]:
    """A choice's options by the key values match them on; an option written as a number
    ("3.0") is also matched as the number is written ("3")."""
    options: dict[str, float] = {}
    for option, value in points.items():
        key = option_key(option)
        options.setdefault(key, value)
        if NUMBER.match(key):
            options.setdefault(_plain(float(key)), value)
    return options


def _option_list(options: Sequence[str]) -> str:
    return ", ".join(options)


def _points_of(value: Value, options: Mapping[str, float], listed: str) -> float:
    for key in _option_keys(value):
        if key in options:
            return options[key]
    if isinstance(value.raw, bool | float):
        raise _Unreadable(f"{value.shown} is not one of {listed}")
    raise _Unreadable(f"{value.shown!r} is not one of {listed}")


@dataclass(frozen=True, slots=True)
class _CriterionMatcher:
    """One criterion, read once: the source reader and its scale as a function of a value."""

    name: str
    criterion: Criterion
    reader: _Reader
    points: Callable[[Value], float]
    best: float
    terms: dict[tuple[type, Any, str | None], Term | str]
    """The term (or the problem line) of each distinct value read: a term depends on the
    value alone, and most criteria read a handful of distinct values over thousands of
    requests (options, yes/no, a risk of 1-5)."""


def _scale(criterion: Criterion, as_of: date) -> Callable[[Value], float]:
    if criterion.points is not None:
        options = option_points(criterion.points)
        listed = _option_list(list(criterion.points))
        return lambda value: _points_of(value, options, listed)
    if criterion.bands is not None:
        bands = sorted(criterion.bands, key=lambda b: b.at_least, reverse=True)

        def banded(value: Value) -> float:
            number = _as_number(value, as_of)
            for band in bands:
                if number >= band.at_least:
                    return band.points
            return 0.0

        return banded
    if criterion.range is not None:
        best, worst, top = criterion.range.best, criterion.range.worst, criterion.max_points

        def ranged(value: Value) -> float:
            share = (_as_number(value, as_of) - worst) / (best - worst)
            return top * min(1.0, max(0.0, share))

        return ranged
    flat = criterion.points_if_set or 0.0
    return lambda value: flat


@dataclass(frozen=True, slots=True)
class _GateMatcher:
    label: str
    reader: _Reader
    check: Callable[[Value], str | None]
    """None when the value holds, else why not."""
    results: dict[tuple[type, Any, str | None], GateResult]
    """The result of each distinct value read (a gate's depends on the value alone)."""


def _gate_label(gate: Gate, name: str) -> str:
    if gate.label:
        return gate.label
    if gate.set:
        return f"{name} is set"
    if gate.one_of is not None:
        return f"{name} is one of {_option_list(gate.one_of)}"
    parts = []
    if gate.at_least is not None:
        parts.append(f"at least {number_text(gate.at_least)}")
    if gate.at_most is not None:
        parts.append(f"at most {number_text(gate.at_most)}")
    return f"{name} {' and '.join(parts)}"


def _gate_check(gate: Gate, name: str, as_of: date) -> Callable[[Value], str | None]:
    if gate.set:
        return lambda value: None
    if gate.one_of is not None:
        options = set(option_points(dict.fromkeys(gate.one_of, 1.0)))
        listed = _option_list(gate.one_of)

        def one_of(value: Value) -> str | None:
            if any(key in options for key in _option_keys(value)):
                return None
            return f"{name} {value.shown} is not one of {listed}"

        return one_of
    low, high = gate.at_least, gate.at_most

    def bounded(value: Value) -> str | None:
        number = _as_number(value, as_of)
        if low is not None and number < low:
            return f"{name} {_shown(number)} is below {number_text(low)}"
        if high is not None and number > high:
            return f"{name} {_shown(number)} is above {number_text(high)}"
        return None

    return bounded


class _ModelMatcher:
    """A scoring model read once: its criteria and gates as matchers."""

    def __init__(
        self,
        name: str,
        model: ScoringModel,
        *,
        as_of: date,
        currency: str | None,
        people: Mapping[str, PersonRow],
    ) -> None:
        self.name = name
        self.figures = figures = _Figures(model.finance)
        readers: dict[str, _Reader] = {}

        def reader(source: str) -> _Reader:
            if source not in readers:
                readers[source] = _Reader(
                    source, as_of=as_of, currency=currency, people=people, figures=figures
                )
            return readers[source]

        self.criteria = [
            _CriterionMatcher(
                name=key,
                criterion=criterion,
                reader=reader(criterion.source or f"criteria.{key}"),
                points=_scale(criterion, as_of),
                best=criterion.best_points(),
                terms={},
            )
            for key, criterion in model.criteria.items()
        ]
        self.total_weight = sum(c.criterion.weight for c in self.criteria)
        self.gates = []
        for gate in model.gates:
            gate_reader = reader(gate.source)
            self.gates.append(
                _GateMatcher(
                    label=_gate_label(gate, gate_reader.name),
                    reader=gate_reader,
                    check=_gate_check(gate, gate_reader.name, as_of),
                    results={},
                )
            )
        self.as_of = as_of

    def _term(self, matcher: _CriterionMatcher, value: Value) -> Term | str:
        """The criterion's term for ``value``, or its problem line when the scale cannot
        read it."""
        try:
            if value.raw is None:
                points, note = 0.0, "no value"
            else:
                points, note = matcher.points(value), None
        except _Unreadable as problem:
            return f"{matcher.name}: {problem}"
        weight = matcher.criterion.weight
        return Term(
            criterion=matcher.name,
            source=matcher.reader.source,
            value=_date_shown(value, self.as_of),
            points=points,
            best=matcher.best,
            weight=weight,
            contribution=100.0 * weight * points / matcher.best / self.total_weight,
            note=note,
        )

    def evaluate(self, request: RequestRow) -> tuple[float | None, tuple[Any, ...]]:
        """The request's score and the fields of its ``Scored`` but the rank, in order."""
        terms: list[Term] = []
        problems: list[str] = []
        for matcher in self.criteria:
            try:
                value = matcher.reader.read(request)
            except _Unreadable as problem:
                problems.append(f"{matcher.name}: {problem}")
                continue
            raw = value.raw
            key = (raw.__class__, raw, value.shown)
            known = matcher.terms
            term = known.get(key)
            if term is None:
                known[key] = term = self._term(matcher, value)
            if term.__class__ is str:
                problems.append(term)  # type: ignore[arg-type]
            else:
                terms.append(term)  # type: ignore[arg-type]
        gates = tuple([self._gate(gate, request) for gate in self.gates])
        figures = self.figures.of(request)
        score = None if problems else sum([t.contribution for t in terms])
        return score, (
            request.id,
            self.name,
            score,
            tuple(terms),
            gates,
            tuple(problems),
            figures.bcr,
            figures.roi,
            figures.npv,
        )

    @staticmethod
    def _gate(gate: _GateMatcher, request: RequestRow) -> GateResult:
        try:
            value = gate.reader.read(request)
        except _Unreadable as problem:
            return GateResult(gate.label, False, f"{gate.reader.name}: {problem}")
        raw = value.raw
        key = (raw.__class__, raw, value.shown)
        found = gate.results.get(key)
        if found is None:
            gate.results[key] = found = _ModelMatcher._gate_result(gate, value)
        return found

    @staticmethod
    def _gate_result(gate: _GateMatcher, value: Value) -> GateResult:
        if value.raw is None:
            return GateResult(gate.label, False, f"{gate.reader.name}: no value")
        try:
            reason = gate.check(value)
        except _Unreadable as problem:
            reason = f"{gate.reader.name}: {problem}"
        return GateResult(gate.label, reason is None, reason)


def _order_key(request: RequestRow) -> tuple[bool, float, str]:
    submitted = request.submitted_at
    return (submitted is None, submitted.timestamp() if submitted else math.inf, request.title)


def score_model(
    requests: Sequence[RequestRow],
    name: str,
    model: ScoringModel,
    *,
    as_of: date,
    currency: str | None,
    people: Mapping[str, PersonRow],
) -> list[Scored]:
    """Every request's score under ``model``: the scored first in rank order (score highest
    first; equal scores share a rank, 1, 1, 3, and are listed by submission then title), the
    unscorable last (score None, with their problems), by submission then title."""
    matcher = _ModelMatcher(name, model, as_of=as_of, currency=currency, people=people)
    with collector_paused():  # thousands of small objects, no cycles: see reports.collector
        results = [(matcher.evaluate(r), _order_key(r)) for r in requests]
    scored = [(round(s, 9), key, fields) for (s, fields), key in results if s is not None]
    unscorable = [(key, fields) for (s, fields), key in results if s is None]
    scored.sort(key=lambda item: (-item[0], item[1]))
    unscorable.sort(key=lambda item: item[0])
    ranked: list[Scored] = []
    previous: float | None = None
    rank = 0
    for place, (value, _, fields) in enumerate(scored, start=1):
        if value != previous:
            rank, previous = place, value
        ranked.append(Scored(*fields, rank))
    return ranked + [Scored(*fields) for _, fields in unscorable]
