"""The intake pipeline report: project requests by stage and age, scored and ranked under each
scoring model, and the selection that fits the money and people left.

Arranges ``metrics.intake`` results as a PMO reads them: headline figures, the pipeline by stage
and age, a scoreboard per model (the top ``SCOREBOARD_TOP`` in the page, every request in the
files) with each score explained term by term and its change since the score kept before, a
value vs cost chart with the selected set as its own series, the capacity fit by role and month
and in money, the selection with every excluded candidate and what it would need, the
incomplete requests, and the data problems (unscorable requests, converted requests whose
project is gone, requests in another currency). The scores are computed once per run and left
in ``context.scored`` for the run to keep (``reports.intake_scores``).
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pmosync.canonical.types import REQUEST_STAGES
from pmosync.config.intake import Intake
from pmosync.reports.dataset import Dataset, RequestRow, RequestVersion
from pmosync.reports.document import Chart, Column, Figure, ReportDocument, Section, Series
from pmosync.reports.intake_scores import model_hash
from pmosync.reports.kinds import ReportContext
from pmosync.reports.kinds.shaping import LIST_LIMIT, amber_if, iso_date
from pmosync.reports.metrics.intake import (
    Capacity,
    Demand,
    Exclusion,
    Incomplete,
    Scored,
    Selection,
    Shortfall,
    Term,
)
from pmosync.reports.metrics.intake.capacity import capacity_left
from pmosync.reports.metrics.intake.completeness import incomplete
from pmosync.reports.metrics.intake.score import score_model
from pmosync.reports.metrics.intake.select import select

SCOREBOARD_TOP = 10
"""Requests a scoreboard shows in the page and email; the XLSX, CSV and JSON hold every one."""
AGE_BANDS = ((0, 30, "0-30 days"), (31, 60, "31-60 days"), (61, 90, "61-90 days"))
OVER_90 = "over 90 days"
STAGE_TITLES = {
    "submitted": "Submitted",
    "under_review": "Under review",
    "approved": "Approved",
    "rejected": "Rejected",
    "on_hold": "On hold",
    "converted": "Converted",
}
PROJECT_PROBLEMS = {
    "deleted": "converted into a project that has since been deleted",
    "missing": "names a project no source has",
    "ambiguous": "names a project several projects share the name of",
}
CAPACITY_ROWS = 12
"""Role-months the capacity fit shows in the page when the selected requests ask for none."""
SELECTED_COLOR, OTHER_COLOR = "#2e7d32", "#7f8c9a"
NO_REQUESTS = "No project requests: no intake source is configured, or it holds none yet."


def build(dataset: Dataset, context: ReportContext) -> ReportDocument:
    """The intake pipeline of ``dataset`` at its ``as_of`` under ``context.intake``."""
    intake = context.intake
    as_of = dataset.as_of
    requests = dataset.requests
    eligible = [r for r in requests if r.stage in intake.eligible_stages]
    by_id = {r.id: r for r in requests}
    scores = {
        name: score_model(
            eligible,
            name,
            model,
            as_of=as_of,
            currency=intake.currency,
            people=dataset.people,
        )
        for name, model in intake.models.items()
    }
    if context.scored is not None:
        context.scored.extend(s for scored in scores.values() for s in scored)
    gaps = incomplete(eligible, intake.required, dataset.request_history)
    chosen = intake.selection_model()
    capacity = capacity_left(dataset, context.resources, intake, context.calendar)
    selection = (
        select(scores[chosen], by_id, capacity, intake, context.calendar, as_of)
        if chosen is not None
        else None
    )
    demands = selection.demands if selection else {}
    names = _People(dataset)
    sections = (
        stages_section(requests, dataset.request_history, as_of, context),
        *(
            scoreboard_section(name, scored, by_id, context, selection, as_of)
            for name, scored in scores.items()
        ),
        capacity_section(capacity, selection, demands),
        funding_section(capacity, selection, intake.currency),
        selection_section(selection, by_id, scores.get(chosen or "", []), intake.currency),
        excluded_section(selection, by_id),
        incomplete_section(gaps, by_id, as_of, context),
        problems_section(requests, scores, intake),
        requests_section(requests, names, context),
    )
    trend = trend_point(eligible, gaps, selection, capacity, as_of, context)
    return context.document(
        as_of,
        figures=figures(trend, intake.currency),
        charts=(value_chart(scores.get(chosen or "", []), by_id, selection, intake),),
        sections=sections if requests else _one_line(sections),
        trend=trend,
    )


def _one_line(sections: tuple[Section, ...]) -> tuple[Section, ...]:
    """With no request at all the page says so once (the pipeline's line), not in every
    section; the files keep every section, empty."""
    return tuple(s if s.key == "pipeline" else replace(s, empty=None) for s in sections)


class _People:
    def __init__(self, dataset: Dataset) -> None:
        self._people = dataset.people

    def label(self, person_id: str | None) -> str | None:
        if person_id is None:
            return None
        person = self._people.get(person_id)
        return person.label if person is not None else person_id


def _day(instant: datetime | None, context: ReportContext) -> date | None:
    return None if instant is None else instant.astimezone(context.timezone).date()


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", name.lower())


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _short_date(day: date, as_of: date) -> str:
    """ "20 Nov" (the report's year), "20 Nov 2025" (another)."""
    return f"{day.day} {day:%b}" if day.year == as_of.year else f"{day.day} {day:%b %Y}"


# --- figures -----------------------------------------------------------------------------------


def trend_point(
    eligible: Sequence[RequestRow],
    gaps: Sequence[Incomplete],
    selection: Selection | None,
    capacity: Capacity,
    as_of: date,
    context: ReportContext,
) -> dict[str, Any]:
    ages = [(as_of - d).days for r in eligible if (d := _day(r.submitted_at, context))]
    return {
        "open_requests": len(eligible),
        "incomplete": len(gaps),
        "median_age_days": statistics.median(ages) if ages else None,
        "selected": len(selection.selected) if selection else 0,
        "selected_cost": _money(selection.total_cost) if selection else None,
        "funding_left": _money(capacity.money),
        "funding_after": (
            _money(capacity.money - selection.total_cost)
            if selection is not None and capacity.money is not None
            else None
        ),
    }


def figures(trend: dict[str, Any], currency: str | None) -> tuple[Figure, ...]:
    unit = f" ({currency})" if currency else ""
    return (
        Figure("open_requests", "Open requests", trend["open_requests"]),
        Figure("incomplete", "Incomplete", trend["incomplete"], rag=amber_if(trend["incomplete"])),
        Figure("median_age_days", "Median age (days)", trend["median_age_days"], "int"),
        Figure("selected", "Selected to fit", trend["selected"]),
        Figure("selected_cost", f"Cost of the selected{unit}", trend["selected_cost"], "money"),
        Figure("funding_left", f"Funding left{unit}", trend["funding_left"], "money"),
        Figure(
            "funding_after",
            f"Left after the selection{unit}",
            trend["funding_after"],
            "money",
            rag="red" if (trend["funding_after"] or 0) < 0 else None,
        ),
    )


# --- pipeline by stage and age ------------------------------------------------------------------


def _band(days: int) -> str:
    for low, high, label in AGE_BANDS:
        if low <= days <= high:
            return label
    return OVER_90 if days > 90 else AGE_BANDS[0][2]


def days_in_stage(
    request: RequestRow,
    versions: Sequence[RequestVersion],
    as_of: date,
    context: ReportContext,
) -> int | None:
    """Days since the request entered its current stage: the first of the latest unbroken run
    of versions holding that stage, when an earlier version held another (the field history
    saw it move); else since it was submitted (the history began with it in this stage, as
    after a first sync, and says nothing of when it got there)."""
    since: datetime | None = None
    moved = False
    for version in reversed(versions):
        if "stage" not in version.fields:
            continue
        if version.fields["stage"] != request.stage:
            moved = True
            break
        since = version.valid_from
    day = _day(since if moved else request.submitted_at, context)
    return None if day is None else max((as_of - day).days, 0)


def stages_section(
    requests: Sequence[RequestRow],
    history: Mapping[str, tuple[RequestVersion, ...]],
    as_of: date,
    context: ReportContext,
) -> Section:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    in_stage: dict[str, list[int]] = defaultdict(list)
    for request in requests:
        submitted = _day(request.submitted_at, context)
        band = _band((as_of - submitted).days) if submitted else "no date"
        counts[request.stage][band] += 1
        days = days_in_stage(request, history.get(request.id, ()), as_of, context)
        if days is not None:
            in_stage[request.stage].append(days)
    rows = tuple(
        {
            "stage": STAGE_TITLES.get(stage, stage),
            **{f"age_{low}": counts[stage][label] for low, _, label in AGE_BANDS},
            "age_over_90": counts[stage][OVER_90],
            "no_date": counts[stage]["no date"],
            "total": sum(counts[stage].values()),
            "median_in_stage": statistics.median(in_stage[stage]) if in_stage[stage] else None,
        }
        for stage in REQUEST_STAGES
        if stage in counts
    )
    return Section(
        key="pipeline",
        title="Pipeline by stage and age",
        columns=(
            Column("stage", "Stage"),
            *(Column(f"age_{low}", label, "int") for low, _, label in AGE_BANDS),
            Column("age_over_90", "Over 90 days", "int"),
            Column("total", "Total", "int"),
            Column("median_in_stage", "Median days in stage", "int"),
            Column("no_date", "No submission date", "int", detail=True),
        ),
        rows=rows,
        note="Requests by stage and by days since submitted; the median days each has been "
        "in its current stage (from the field history, else since submitted).",
        html_limit=None,
        empty=NO_REQUESTS,
    )


# --- the scoreboard ------------------------------------------------------------------------------


def breakdown(terms: Sequence[Term]) -> str:
    """Each criterion's part of the score: "strategic_fit High 10/10 x 40 = 40.0"."""
    return "; ".join(term_text(t) for t in terms)


def term_text(t: Term) -> str:
    """One criterion's part of the score: "strategic_fit High 10/10 x 40 = 40.0"."""
    return (
        f"{t.criterion} {t.value if t.value is not None else '(empty)'} "
        f"{_figure(t.points)}/{_figure(t.best)} x {_figure(t.weight)} = {t.contribution:.1f}"
    )


class _Breakdowns:
    """``breakdown`` for a scoreboard's rows, each term's text made once: scoring shares one
    ``Term`` among the requests that read the same value (a criterion's option, a risk of
    1-5), so thousands of rows are a few hundred distinct terms."""

    def __init__(self) -> None:
        self._texts: dict[int, str] = {}
        self._held: list[Term] = []
        """The terms whose ids key ``_texts``: held, so no id is reused while it is."""

    def of(self, terms: Sequence[Term]) -> str:
        texts = self._texts
        parts = []
        for t in terms:
            text = texts.get(id(t))
            if text is None:
                texts[id(t)] = text = term_text(t)
                self._held.append(t)
            parts.append(text)
        return "; ".join(parts)


def _figure(value: float) -> str:
    """A number of points or a weight as read: 10, 7.5, 5.18 (at most two decimals)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def gates_text(scored: Scored) -> str:
    failed = [g for g in scored.gates if not g.passed]
    if not scored.gates:
        return "no gates"
    if not failed:
        return "passed"
    return "; ".join(f"failed: {g.label}" + (f" ({g.reason})" if g.reason else "") for g in failed)


def change_text(scored: Scored, context: ReportContext, as_of: date, digest: str) -> str | None:
    """The change since the score kept before this run: "+4.0 since 20 Nov", "new";
    ``digest`` is the model's hash now, to say when the model changed since."""
    kept = context.previous_scores.get((scored.request_id, scored.model))
    if kept is None:
        return "new"
    since = _short_date(kept.as_of, as_of)
    model_changed = " (model changed)" if digest != kept.model_hash else ""
    if scored.score is None or kept.score is None:
        was = "unscored" if kept.score is None else f"{kept.score:.1f}"
        return f"was {was} on {since}{model_changed}"
    delta = scored.score - kept.score
    if abs(delta) < 0.05:
        return f"no change since {since}{model_changed}"
    return f"{delta:+.1f} since {since}{model_changed}"


def finance_text(scored: Scored, currency: str | None, npv: float | None = None) -> str | None:
    """BCR, ROI and NPV as a line; ``npv``: the score's NPV as a float when the caller has
    it already (a Decimal's conversion is not free over thousands of rows)."""
    parts = []
    if scored.bcr is not None:
        parts.append(f"BCR {scored.bcr:.2f}")
    if scored.roi is not None:
        parts.append(f"ROI {scored.roi * 100:.0f}%")
    if scored.npv is not None:
        value = float(scored.npv) if npv is None else npv
        parts.append(f"NPV {value:,.0f}" + (f" {currency}" if currency else ""))
    return ", ".join(parts) or None


def scoreboard_section(
    name: str,
    scored: Sequence[Scored],
    by_id: Mapping[str, RequestRow],
    context: ReportContext,
    selection: Selection | None,
    as_of: date,
) -> Section:
    model = context.intake.models[name]
    digest = model_hash(model)  # once: the change column compares every row's with it
    chosen = set(selection.selected) if selection and selection.model == name else set()
    currency = context.intake.currency
    texts = _Breakdowns()
    rows = []
    for s in scored:
        request = by_id[s.request_id]
        npv = _money(s.npv)
        rows.append(
            {
                "rank": s.rank,
                "request": request.title,
                "url": request.source_url,
                "stage": STAGE_TITLES.get(request.stage, request.stage),
                "score": s.score,
                "change": change_text(s, context, as_of, digest),
                "breakdown": texts.of(s.terms) if s.score is not None else "; ".join(s.problems),
                "finance": finance_text(s, currency, npv),
                "gates": gates_text(s) if s.score is not None else "not scored",
                "selected": s.request_id in chosen,
                "bcr": s.bcr,
                "roi": None if s.roi is None else s.roi * 100,
                "npv": npv,
                "estimated_cost": _money(request.estimated_cost),
                "currency": request.currency,
            }
        )
    described = f" {model.description}" if model.description else ""
    return Section(
        key=f"scoreboard_{_slug(name)}",
        title=f"Scoreboard: {name}",
        columns=(
            Column("rank", "Rank", "int"),
            Column("request", "Request", link="url"),
            Column("stage", "Stage"),
            Column("score", "Score", "number"),
            Column("change", "Change"),
            Column("breakdown", "Breakdown (points/best x weight = share)"),
            Column("finance", "BCR, ROI, NPV"),
            Column("gates", "Gates"),
            Column("selected", "Selected", "flag", detail=True),
            Column("bcr", "BCR", "ratio", detail=True),
            Column("roi", "ROI", "percent", detail=True),
            Column("npv", "NPV", "money", detail=True),
            Column("estimated_cost", "Estimated cost", "money", detail=True),
        ),
        rows=tuple(rows),
        note=f"Model {name}:{described} Scores are 0-100, the sum of each criterion's share "
        f"of its weight. The page shows the top {SCOREBOARD_TOP}; the XLSX, CSV and JSON hold "
        "every request, the unscorable last with why.",
        html_limit=SCOREBOARD_TOP,
        empty="No open requests to score.",
    )


# --- value vs cost -------------------------------------------------------------------------------


def value_chart(
    scored: Sequence[Scored],
    by_id: Mapping[str, RequestRow],
    selection: Selection | None,
    intake: Intake,
) -> Chart:
    """Score against estimated cost of the selection model's scored requests in the
    pipeline's currency; the selected set is its own series."""
    chosen = set(selection.selected) if selection else set()
    points: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    for s in scored:
        request = by_id[s.request_id]
        if s.score is None or request.estimated_cost is None:
            continue
        if intake.currency is not None and request.currency != intake.currency:
            continue
        points[s.request_id in chosen].append((float(request.estimated_cost), s.score))
    unit = f" ({intake.currency})" if intake.currency else ""
    model = selection.model if selection else ""
    return Chart(
        key="value_vs_cost",
        title=f"Value vs cost ({model})" if model else "Value vs cost",
        kind="scatter",
        x=(),
        series=(
            Series(
                "Not selected",
                tuple(y for _, y in points[False]),
                OTHER_COLOR,
                tuple(x for x, _ in points[False]),
            ),
            Series(
                "Selected",
                tuple(y for _, y in points[True]),
                SELECTED_COLOR,
                tuple(x for x, _ in points[True]),
            ),
        ),
        y_label="Score",
        y_type="number",
        x_label=f"Estimated cost{unit}",
        x_type="money",
    )


# --- capacity fit ---------------------------------------------------------------------------


def capacity_section(
    capacity: Capacity, selection: Selection | None, demands: Mapping[str, Demand]
) -> Section:
    asked: dict[tuple[str, str], float] = defaultdict(float)
    for item in demands.values():
        for key, hours in item.hours.items():
            asked[key] += hours
    after = selection.left.hours if selection and selection.left else {}
    keys = sorted(
        set(capacity.hours) | set(capacity.capacity_hours) | set(asked),
        key=lambda k: (not asked.get(k), k[0].casefold(), k[1]),
    )
    wanted = sum(1 for key in keys if asked.get(key))
    rows = tuple(
        {
            "role": role,
            "month": month,
            "capacity": capacity.capacity_hours.get((role, month)),
            "allocated": capacity.allocated_hours.get((role, month)),
            "left": capacity.hours.get((role, month)),
            "demand": asked.get((role, month), 0.0),
            "remaining": _remaining(capacity, after, asked, (role, month)),
        }
        for role, month in keys
    )
    notes = " ".join(capacity.notes)
    return Section(
        key="capacity_fit",
        title="Capacity fit by role and month",
        columns=(
            Column("role", "Role"),
            Column("month", "Month"),
            Column("capacity", "Capacity (h)", "hours"),
            Column("allocated", "Allocated (h)", "hours"),
            Column("left", "Left (h)", "hours"),
            Column("demand", "Selected demand (h)", "hours"),
            Column("remaining", "Remaining (h)", "hours"),
        ),
        rows=rows,
        note="Each role's hours over the horizon: its people's capacity (working days, leave "
        "out), what current projects have allocated, what is left, what the selected "
        "requests ask for, and what remains after them. The page shows the months the "
        f"selected requests ask for (else the first {CAPACITY_ROWS}); the files hold every "
        "role and month." + (f" {notes}" if notes else ""),
        html_limit=wanted or CAPACITY_ROWS,
        empty="No role has capacity over the horizon (resources.roles names no one).",
    )


def _remaining(
    capacity: Capacity,
    after: Mapping[tuple[str, str], float],
    asked: Mapping[tuple[str, str], float],
    key: tuple[str, str],
) -> float:
    """Hours left after the selected set: the selection's own figure when it gives one, else
    what was left less their demand."""
    if after:
        return after.get(key, 0.0)
    return capacity.hours.get(key, 0.0) - asked.get(key, 0.0)


def funding_section(
    capacity: Capacity, selection: Selection | None, currency: str | None
) -> Section:
    cost = selection.total_cost if selection else Decimal(0)
    rows: tuple[dict[str, Any], ...] = ()
    if capacity.funding is not None:
        rows = (
            {
                "funding": _money(capacity.funding),
                "committed": _money(capacity.committed),
                "left": _money(capacity.money),
                "selected": _money(cost),
                "remaining": _money(capacity.money - cost) if capacity.money is not None else None,
                "currency": currency,
            },
        )
    return Section(
        key="funding",
        title="Funding",
        columns=(
            Column("funding", "Funding", "money"),
            Column("committed", "Committed to projects", "money"),
            Column("left", "Left", "money"),
            Column("selected", "Selected cost", "money"),
            Column("remaining", "Remaining", "money"),
        ),
        rows=rows,
        note="Funding over the horizon (intake.capacity.funding), what active projects still "
        "have to spend (budget - actual cost), what is left, and the selected requests' cost.",
        html_limit=None,
        empty="No funding configured (intake.capacity.funding): the selection is bound by "
        "people only.",
    )


# --- the selection -------------------------------------------------------------------------------


def selection_section(
    selection: Selection | None,
    by_id: Mapping[str, RequestRow],
    scored: Sequence[Scored],
    currency: str | None,
) -> Section:
    scores = {s.request_id: s for s in scored}
    committed = set(selection.committed) if selection else set()
    rows = tuple(
        {
            "rank": scores[i].rank if i in scores else None,
            "request": by_id[i].title,
            "url": by_id[i].source_url,
            "stage": STAGE_TITLES.get(by_id[i].stage, by_id[i].stage),
            "score": scores[i].score if i in scores else None,
            "cost": _money(by_id[i].estimated_cost),
            "currency": by_id[i].currency,
            "why": "approved: committed first" if i in committed else "fits",
        }
        for i in (selection.selected if selection else ())
    )
    note = "No scoring model: nothing is selected."
    if selection is not None:
        total = f"{float(selection.total_cost):,.0f}" + (f" {currency}" if currency else "")
        note = (
            f"Model {selection.model}, method {selection.method} (greedy: by score per cost, "
            "each taken if it fits; exact: the 0/1 knapsack with the highest total score). "
            f"{len(selection.selected)} selected, total score {selection.total_score:.1f}, "
            f"total cost {total}."
        )
    return Section(
        key="selection",
        title="Selection that fits",
        columns=(
            Column("rank", "Rank", "int"),
            Column("request", "Request", link="url"),
            Column("stage", "Stage"),
            Column("score", "Score", "number"),
            Column("cost", "Estimated cost", "money"),
            Column("why", "Why"),
        ),
        rows=rows,
        note=note,
        html_limit=LIST_LIMIT,
        empty="Nothing selected: no candidate passes its gates and fits.",
    )


def needs_text(shortfalls: Sequence[Shortfall]) -> str | None:
    """What an excluded request would need, one clause per constraint kind: "funding: needs
    120,000, 80,000 left"; a role's months together, "Consultant 2027-03 to 2027-06: needs
    420 h, 60 h left" (the months where it does not fit, summed), so a request short in
    twelve months reads as one line, not twelve."""
    clauses: list[str] = []
    by_role: dict[str, list[Shortfall]] = {}
    for s in shortfalls:
        if s.what == "funding":
            clauses.append(f"funding: needs {s.needs:,.0f}, {s.left:,.0f} left")
        else:
            role, _, month = s.what.rpartition(" ")
            by_role.setdefault(role or s.what, []).append(s)
    for role, short in by_role.items():
        months = sorted(s.what.rpartition(" ")[2] for s in short)
        span = months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}"
        needs, left = sum(s.needs for s in short), sum(s.left for s in short)
        clauses.append(f"{role} {span}: needs {needs:,.0f} h, {left:,.0f} h left")
    return "; ".join(clauses) or None


def excluded_section(selection: Selection | None, by_id: Mapping[str, RequestRow]) -> Section:
    excluded: Sequence[Exclusion] = selection.excluded if selection else ()
    rows = tuple(
        {
            "request": by_id[e.request_id].title,
            "url": by_id[e.request_id].source_url,
            "stage": STAGE_TITLES.get(by_id[e.request_id].stage, by_id[e.request_id].stage),
            "reason": e.reason,
            "needs": needs_text(e.shortfalls),
        }
        for e in excluded
        if e.request_id in by_id
    )
    return Section(
        key="excluded",
        title="Not selected, and what each would need",
        columns=(
            Column("request", "Request", link="url"),
            Column("stage", "Stage"),
            Column("reason", "Reason"),
            Column("needs", "Would need (beyond what is left after the selected)"),
        ),
        rows=rows,
        html_limit=LIST_LIMIT,
        empty="No candidate was left out.",
    )


# --- incomplete and problems --------------------------------------------------------------------


def incomplete_section(
    gaps: Sequence[Incomplete],
    by_id: Mapping[str, RequestRow],
    as_of: date,
    context: ReportContext,
) -> Section:
    rows = []
    for gap in gaps:
        request = by_id[gap.request_id]
        since = _day(gap.since, context)
        rows.append(
            {
                "request": request.title,
                "url": request.source_url,
                "stage": STAGE_TITLES.get(request.stage, request.stage),
                "missing": ", ".join(gap.missing),
                "since": iso_date(since),
                "days": (as_of - since).days if since else None,
            }
        )
    rows.sort(key=lambda r: (-(r["days"] or 0), r["request"]))
    return Section(
        key="incomplete",
        title="Incomplete requests",
        columns=(
            Column("request", "Request", link="url"),
            Column("stage", "Stage"),
            Column("missing", "Missing"),
            Column("since", "Missing since", "date"),
            Column("days", "Days", "int"),
        ),
        rows=tuple(rows),
        note="Open requests lacking a field intake.required names, the longest-missing first.",
        html_limit=LIST_LIMIT,
        empty="Every open request is complete.",
    )


def problems_section(
    requests: Sequence[RequestRow], scores: Mapping[str, Sequence[Scored]], intake: Intake
) -> Section:
    by_id = {r.id: r for r in requests}
    rows: list[dict[str, Any]] = []

    def add(request: RequestRow, problem: str, detail: str) -> None:
        rows.append(
            {
                "request": request.title,
                "url": request.source_url,
                "problem": problem,
                "detail": detail,
            }
        )

    for name, scored in scores.items():
        for s in scored:
            if s.score is None:
                add(by_id[s.request_id], f"not scored ({name})", "; ".join(s.problems))
    for request in requests:
        if request.project_state in PROJECT_PROBLEMS:
            ref = request.project_ref or request.project_name or "?"
            add(request, "converted project", f"{PROJECT_PROBLEMS[request.project_state]}: {ref}")
        if (
            intake.currency is not None
            and request.currency is not None
            and request.currency != intake.currency
        ):
            add(
                request,
                "other currency",
                f"{request.currency}, not {intake.currency}: its money is left out of the "
                "finance figures and the selection",
            )
    return Section(
        key="data_problems",
        title="Data problems",
        columns=(
            Column("request", "Request", link="url"),
            Column("problem", "Problem"),
            Column("detail", "Detail"),
        ),
        rows=tuple(rows),
        html_limit=LIST_LIMIT,
        empty="No data problems.",
    )


def requests_section(
    requests: Sequence[RequestRow], names: _People, context: ReportContext
) -> Section:
    """Every request, for the files: the HTML names it and leaves the table out."""
    rows = tuple(
        {
            "request": r.title,
            "url": r.source_url,
            "stage": STAGE_TITLES.get(r.stage, r.stage),
            "submitted": iso_date(_day(r.submitted_at, context)),
            "requester": names.label(r.requester_id),
            "sponsor": names.label(r.sponsor_id),
            "estimated_cost": _money(r.estimated_cost),
            "estimated_benefit": _money(r.estimated_benefit),
            "currency": r.currency,
            "effort_hours": sum(r.effort_hours.values()) if r.effort_hours else None,
            "target_start": iso_date(r.target_start),
            "target_end": iso_date(r.target_end),
            "risk": r.risk,
            "project": r.project_name or r.project_ref,
            "source": r.source,
        }
        for r in requests
    )
    return Section(
        key="requests",
        title="Every request",
        columns=(
            Column("request", "Request", link="url"),
            Column("stage", "Stage"),
            Column("submitted", "Submitted", "date"),
            Column("requester", "Requester"),
            Column("sponsor", "Sponsor"),
            Column("estimated_cost", "Estimated cost", "money"),
            Column("estimated_benefit", "Estimated benefit", "money"),
            Column("effort_hours", "Effort (h)", "hours"),
            Column("target_start", "Target start", "date"),
            Column("target_end", "Target end", "date"),
            Column("risk", "Risk", "int"),
            Column("project", "Project"),
            Column("source", "Source"),
        ),
        rows=rows,
        detail=True,
        empty="No requests.",
    )
