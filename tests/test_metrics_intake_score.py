"""Intake scores, gates, BCR/ROI/NPV and completeness, against figures worked out by hand.

The report date throughout is Sunday 10 January 2027 (AS_OF); dates are read as days from it.
The pipeline is in EUR.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pmosync.config import ConfigError, load_config
from pmosync.config.intake import Finance, Intake, ScoringModel
from pmosync.reports.dataset import PersonRow, RequestRow, RequestVersion
from pmosync.reports.metrics.intake import Scored
from pmosync.reports.metrics.intake.completeness import incomplete
from pmosync.reports.metrics.intake.finance import bcr, npv, roi
from pmosync.reports.metrics.intake.score import score_model

AS_OF = date(2027, 1, 10)
PEOPLE = {
    "p-anna": PersonRow("p-anna", "Anna Berg", "anna@contoso.com"),
    "p-noemail": PersonRow("p-noemail", "No Email"),
}


def at(day: int, month: int = 1, year: int = 2027) -> datetime:
    return datetime(year, month, day, 9, 0, tzinfo=UTC)


def request(rid: str, **fields: Any) -> RequestRow:
    fields.setdefault("title", rid.upper())
    fields.setdefault("stage", "submitted")
    fields.setdefault("submitted_at", at(2))
    fields.setdefault("currency", "EUR" if "estimated_cost" in fields else None)
    return RequestRow(id=rid, source="asana", **fields)


def model(data: dict[str, Any]) -> ScoringModel:
    return ScoringModel.model_validate(data)


def scores(results: list[Scored]) -> dict[str, float | None]:
    return {s.request_id: None if s.score is None else round(s.score, 2) for s in results}


# -- the worked example: three criteria weighted 40/30/30 ---------------------------------

VALUE = model(
    {
        "criteria": {
            "strategic_fit": {"weight": 40, "points": {"High": 10, "Medium": 6, "Low": 2}},
            "cost": {
                "weight": 30,
                "source": "estimated_cost",
                "range": {"best": 100000, "worst": 500000},
            },
            "start": {
                "weight": 30,
                "source": "target_start",
                "bands": [{"at_least": 0, "points": 10}, {"at_least": 90, "points": 4}],
            },
        }
    }
)


def worked_requests() -> list[RequestRow]:
    return [
        # fit High: 10/10 x 40 = 40.00
        # cost 200,000: (200,000 - 500,000) / (100,000 - 500,000) = 0.75 -> 7.5/10 x 30 = 22.50
        # start 2027-02-09 = 30 days: bands met: at_least 0 (not 90) -> 10/10 x 30 = 30.00
        # score 92.50
        request(
            "a",
            criteria={"strategic_fit": "High"},
            estimated_cost=Decimal(200000),
            target_start=date(2027, 2, 9),
        ),
        # fit Medium: 6/10 x 40 = 24.00
        # cost 350,000: (350,000 - 500,000) / (-400,000) = 0.375 -> 3.75/10 x 30 = 11.25
        # start 2027-05-10 = 120 days: the highest at_least met is 90 -> 4/10 x 30 = 12.00
        # score 47.25
        request(
            "b",
            criteria={"strategic_fit": "Medium"},
            estimated_cost=Decimal(350000),
            target_start=date(2027, 5, 10),
        ),
        # fit Low: 2/10 x 40 = 8.00
        # cost 600,000: beyond worst, clamped to 0 -> 0
        # start 2027-01-05 = -5 days: below every band -> 0
        # score 8.00
        request(
            "c",
            criteria={"strategic_fit": "Low"},
            estimated_cost=Decimal(600000),
            target_start=date(2027, 1, 5),
        ),
        # fit "  high " is High in any case and spacing: 40.00; no cost: 0 ("no value");
        # start 30 days: 30.00; score 70.00
        request("e", criteria={"strategic_fit": "  high "}, target_start=date(2027, 2, 9)),
        # "Critical" is no option of the model: unscorable, the others still rank
        request(
            "d",
            criteria={"strategic_fit": "Critical"},
            estimated_cost=Decimal(1),
            target_start=date(2027, 2, 9),
        ),
        # money in USD: unscorable in an EUR pipeline
        request(
            "f",
            criteria={"strategic_fit": "High"},
            estimated_cost=Decimal(200000),
            currency="USD",
            target_start=date(2027, 2, 9),
        ),
    ]


def test_weighted_score_worked_by_hand() -> None:
    results = score_model(
        worked_requests(), "value", VALUE, as_of=AS_OF, currency="EUR", people=PEOPLE
    )
    assert [s.request_id for s in results] == ["a", "e", "b", "c", "d", "f"]
    assert scores(results) == {
        "a": 92.5,
        "e": 70.0,
        "b": 47.25,
        "c": 8.0,
        "d": None,
        "f": None,
    }
    assert [s.rank for s in results] == [1, 2, 3, 4, None, None]
    b = results[2]
    assert [
        (t.criterion, t.points, t.best, t.weight, round(t.contribution, 2)) for t in b.terms
    ] == [
        ("strategic_fit", 6.0, 10.0, 40.0, 24.0),
        ("cost", 3.75, 10.0, 30.0, 11.25),
        ("start", 4.0, 10.0, 30.0, 12.0),
    ]
    assert b.terms[0].value == "Medium"
    assert b.terms[1].value == "350,000.00 EUR"
    assert b.terms[2].value.startswith("120 days")
    e = results[1]
    assert (e.terms[1].value, e.terms[1].points, e.terms[1].note) == (None, 0.0, "no value")


def test_wrong_option_and_other_currency_are_named_and_the_rest_ranks() -> None:
    results = {
        s.request_id: s
        for s in score_model(
            worked_requests(), "value", VALUE, as_of=AS_OF, currency="EUR", people=PEOPLE
        )
    }
    assert results["d"].problems == ("strategic_fit: 'Critical' is not one of High, Medium, Low",)
    assert results["f"].problems == ("cost: its money is in USD; the pipeline is in EUR",)
    assert results["d"].passed is False
    # Without a pipeline currency, money is compared as it is.
    loose = {
        s.request_id: s.score
        for s in score_model(
            worked_requests(), "value", VALUE, as_of=AS_OF, currency=None, people=PEOPLE
        )
    }
    assert round(loose["f"] or 0, 2) == 92.5


def test_equal_scores_share_a_rank_listed_by_submission_then_title() -> None:
    fit = model({"criteria": {"fit": {"weight": 1, "points": {"High": 10, "Low": 5}}}})
    rows = [
        request("p", title="Apple", submitted_at=at(2), criteria={"fit": "High"}),
        request("q", title="Zeta", submitted_at=at(1), criteria={"fit": "High"}),
        request("s", title="Small", submitted_at=at(1), criteria={"fit": "Low"}),
        request("r", title="Beta", submitted_at=at(1), criteria={"fit": "High"}),
    ]
    results = score_model(rows, "fit", fit, as_of=AS_OF, currency=None, people=PEOPLE)
    # 100 for the three High (ranks 1, 1, 1: by submission, then title), 50 for Low (rank 4)
    assert [(s.request_id, s.score, s.rank) for s in results] == [
        ("r", 100.0, 1),
        ("q", 100.0, 1),
        ("p", 100.0, 1),
        ("s", 50.0, 4),
    ]


def test_every_scale() -> None:
    scales = model(
        {
            "criteria": {
                # a yes/no: a bool matches yes/true/y and no/false/n; text "Yes" matches "yes"
                "regulatory": {"weight": 1, "points": {"Yes": 10, "No": 0}},
                # numbers matched as written: 1.0 as "1"
                "tier": {"weight": 1, "points": {"1": 10, "2.0": 5}},
                # a plain-number text reads as the number
                "size": {"weight": 1, "bands": [{"at_least": 10, "points": 4}]},
                # a date text under range: days from AS_OF; 0 days best, 100 worst
                "decided": {
                    "weight": 1,
                    "range": {"best": 0, "worst": 100},
                    "max_points": 5,
                },
                # a person source: any value earns the points
                "sponsored": {"weight": 1, "source": "sponsor", "points_if_set": 2},
            }
        }
    )
    rows = [
        # regulatory True -> 10/10; tier 1.0 -> "1" -> 10/10; size "12" -> 12 >= 10 -> 4/4;
        # decided 2027-01-30 = 20 days: (20 - 100) / (0 - 100) = 0.8 -> 4/5; sponsored 2/2.
        # score = 100 x (1 + 1 + 1 + 0.8 + 1) / 5 = 96.00
        request(
            "one",
            sponsor_id="p-anna",
            criteria={"regulatory": True, "tier": 1.0, "size": "12", "decided": "2027-01-30"},
        ),
        # regulatory "no" -> 0; tier "2" -> "2" is the option "2.0" -> 5/10; size 9.5 < 10 -> 0;
        # decided 2027-06-10 = 151 days, beyond worst -> 0; no sponsor -> 0 ("no value").
        # score = 100 x 0.5 / 5 = 10.00
        request(
            "two",
            criteria={"regulatory": "no", "tier": "2", "size": 9.5, "decided": "2027-06-10"},
        ),
        # a bool False matches "No"; text under bands is the wrong type; 2.5 is no tier
        request(
            "three",
            criteria={"regulatory": False, "tier": 2.5, "size": "big", "decided": "2027-01-10"},
        ),
    ]
    results = {
        s.request_id: s
        for s in score_model(rows, "scales", scales, as_of=AS_OF, currency=None, people=PEOPLE)
    }
    assert round(results["one"].score or 0, 2) == 96.0
    assert [t.points for t in results["one"].terms] == [10.0, 10.0, 4.0, 4.0, 2.0]
    assert results["one"].terms[4].value == "anna@contoso.com"
    assert results["one"].terms[3].value == "20 days (2027-01-30)"
    assert round(results["two"].score or 0, 2) == 10.0
    assert results["two"].terms[4].note == "no value"
    assert results["three"].score is None
    assert results["three"].problems == (
        "tier: 2.5 is not one of 1, 2.0",
        "size: expects a number or a date (YYYY-MM-DD), not 'big'",
    )


def test_built_in_sources_dates_people_effort_and_risk() -> None:
    built_in = model(
        {
            "criteria": {
                # submitted 2026-12-11 is -30 days; newer is better: 0 best, -60 worst
                "fresh": {"weight": 1, "source": "submitted", "range": {"best": 0, "worst": -60}},
                # target_end 2027-04-10 is 90 days
                "end": {
                    "weight": 1,
                    "source": "target_end",
                    "bands": [{"at_least": 60, "points": 3}],
                },
                "who": {"weight": 1, "source": "requester", "points": {"anna@contoso.com": 1}},
                "consultants": {
                    "weight": 1,
                    "source": "effort.consultant",
                    "range": {"best": 0, "worst": 400},
                },
                "effort": {
                    "weight": 1,
                    "source": "effort_hours",
                    "bands": [{"at_least": 500, "points": 1}],
                },
                "risk": {"weight": 1, "source": "risk", "range": {"best": 1, "worst": 5}},
            }
        }
    )
    row = request(
        "x",
        submitted_at=datetime(2026, 12, 11, 23, 0, tzinfo=UTC),
        target_end=date(2027, 4, 10),
        requester_id="p-anna",
        effort_hours={"Consultant": 100.0, "Analyst": 300.0},
        risk=4,
    )
    (result,) = score_model([row], "b", built_in, as_of=AS_OF, currency=None, people=PEOPLE)
    # fresh: (-30 + 60) / 60 = 0.5 -> 5/10; end: 90 >= 60 -> 3/3; who: 1/1;
    # consultants: (100 - 400) / (0 - 400) = 0.75 -> 7.5/10; effort 400 < 500 -> 0/1;
    # risk: (4 - 5) / (1 - 5) = 0.25 -> 2.5/10.
    # score = 100 x (0.5 + 1 + 1 + 0.75 + 0 + 0.25) / 6 = 58.33
    assert [t.points for t in result.terms] == [5.0, 3.0, 1.0, 7.5, 0.0, 2.5]
    assert round(result.score or 0, 2) == 58.33
    assert result.terms[0].value == "-30 days (2026-12-11)"
    # A person without an email shows as their id.
    (other,) = score_model(
        [row._replace(requester_id="p-noemail")], "b", built_in, as_of=AS_OF, currency=None,
        people=PEOPLE,
    )  # fmt: skip
    assert other.problems == ("who: 'p-noemail' is not one of anna@contoso.com",)


def test_gates_pass_fail_and_labels() -> None:
    gated = model(
        {
            "criteria": {"fit": {"weight": 1, "points": {"High": 10, "Medium": 5, "Low": 1}}},
            "gates": [
                {"source": "sponsor", "set": True},
                {"source": "estimated_cost", "at_most": 1000000},
                {"source": "criteria.fit", "one_of": ["High", "Medium"], "label": "Strategic"},
                {"source": "risk", "at_least": 2, "at_most": 4},
            ],
        }
    )
    rows = [
        request("ok", sponsor_id="p-anna", estimated_cost=Decimal(900000),
                criteria={"fit": "high"}, risk=2),
        request("bad", estimated_cost=Decimal(1200000), criteria={"fit": "Low"}, risk=5),
        request("usd", sponsor_id="p-anna", estimated_cost=Decimal(10), currency="USD",
                criteria={"fit": "Medium"}),
    ]  # fmt: skip
    results = {
        s.request_id: s
        for s in score_model(rows, "g", gated, as_of=AS_OF, currency="EUR", people=PEOPLE)
    }
    labels = [g.label for g in results["ok"].gates]
    assert labels == [
        "sponsor is set",
        "estimated_cost at most 1,000,000",
        "Strategic",
        "risk at least 2 and at most 4",
    ]
    assert all(g.passed for g in results["ok"].gates) and results["ok"].passed
    assert [(g.passed, g.reason) for g in results["bad"].gates] == [
        (False, "sponsor: no value"),
        (False, "estimated_cost 1,200,000 is above 1,000,000"),
        (False, "fit Low is not one of High, Medium"),
        (False, "risk 5 is above 4"),
    ]
    # A failed gate does not stop the score: the request ranks, it just cannot be selected.
    assert results["bad"].score == 10.0 and not results["bad"].passed
    assert [(g.passed, g.reason) for g in results["usd"].gates] == [
        (True, None),
        (False, "estimated_cost: its money is in USD; the pipeline is in EUR"),
        (True, None),
        (False, "risk: no value"),
    ]


# -- BCR, ROI, NPV -------------------------------------------------------------------------


def test_npv_at_8_percent_over_3_years_by_hand() -> None:
    # Cost 100,000 at the start; benefit 150,000 in three parts of 50,000 at each year's end:
    #   50,000 / 1.08     = 46,296.296
    #   50,000 / 1.08^2   = 42,866.941  (1.1664)
    #   50,000 / 1.08^3   = 39,691.612  (1.259712)
    #   present value     = 128,854.849 -> NPV = 28,854.85
    finance = Finance(discount_rate=0.08, years=3)
    assert npv(Decimal(100000), Decimal(150000), finance) == Decimal("28854.85")
    # BCR 150,000 / 100,000 = 1.5; ROI (150,000 - 100,000) / 100,000 = 0.5
    assert bcr(Decimal(100000), Decimal(150000)) == 1.5
    assert roi(Decimal(100000), Decimal(150000)) == 0.5
    # At 0 % over one year NPV is plain benefit - cost.
    assert npv(Decimal(10), Decimal(25), Finance(discount_rate=0, years=1)) == Decimal("15.00")
    assert bcr(Decimal(0), Decimal(5)) is None and roi(Decimal(0), Decimal(5)) is None
    assert bcr(None, Decimal(5)) is None and npv(Decimal(5), None, finance) is None


def test_finance_on_every_scored_and_as_a_source() -> None:
    with_npv = model(
        {
            "criteria": {
                # NPV 28,854.85 of 57,709.70 best -> 0.5 x 10 = 5 points
                "npv": {"weight": 1, "source": "npv", "range": {"best": 57709.70, "worst": 0}},
                # BCR 1.5 is in a USD request too: ratios work in any currency
                "bcr": {"weight": 1, "source": "bcr", "bands": [{"at_least": 1.5, "points": 2}]},
            },
            "finance": {"discount_rate": 0.08, "years": 3},
        }
    )
    eur = request("eur", estimated_cost=Decimal(100000), estimated_benefit=Decimal(150000))
    usd = eur._replace(id="usd", currency="USD")
    results = {
        s.request_id: s
        for s in score_model([eur, usd], "n", with_npv, as_of=AS_OF, currency="EUR", people={})
    }
    assert results["eur"].npv == Decimal("28854.85")
    assert results["eur"].bcr == 1.5 and results["eur"].roi == 0.5
    assert [t.points for t in results["eur"].terms] == pytest.approx([5.0, 2.0])
    assert round(results["eur"].score or 0, 2) == 75.0  # 100 x (0.5 + 1) / 2
    assert results["usd"].problems == ("npv: its money is in USD; the pipeline is in EUR",)
    assert results["usd"].bcr == 1.5  # filled though unscorable
    no_finance = model({"criteria": {"bcr": {"weight": 1, "source": "bcr", "points_if_set": 1}}})
    (plain,) = score_model([eur], "p", no_finance, as_of=AS_OF, currency="EUR", people={})
    assert plain.npv is None and plain.bcr == 1.5


def test_scoring_5000_requests_builds_each_model_once() -> None:
    """Behaviour at volume: every request scored, ranks consistent (timing is the bench's)."""
    rows = [
        request(
            f"r{i}",
            submitted_at=at(1 + i % 28),
            criteria={"strategic_fit": ("High", "Medium", "Low")[i % 3]},
            estimated_cost=Decimal(100000 + i),
            target_start=date(2027, 2, 9),
        )
        for i in range(5000)
    ]
    results = score_model(rows, "value", VALUE, as_of=AS_OF, currency="EUR", people={})
    assert len(results) == 5000 and all(s.score is not None for s in results)
    ranked = [s.score or 0 for s in results]
    assert ranked == sorted(ranked, reverse=True)


# -- completeness --------------------------------------------------------------------------


def version(day: int, **fields: Any) -> RequestVersion:
    return RequestVersion(at(day, 11, 2026), fields)


def test_incomplete_lists_what_is_missing_and_since_when() -> None:
    required = ["sponsor", "criteria.strategic_fit", "description", "effort", "title"]
    tracked = request(
        "tracked",
        submitted_at=at(30, 10, 2026),
        description="A new CRM",
        effort_hours={"Consultant": 10.0},
        criteria={"strategic_fit": " "},  # blank: missing
    )
    history = {
        "tracked": (
            # 1 Nov: a sponsor, no strategic fit
            version(1, sponsor_identity_id="i-anna", criteria={}),
            # 5 Nov: sponsor removed; strategic fit given
            version(5, sponsor_identity_id=None, criteria={"strategic_fit": "High"}),
            # 10 Nov: strategic fit blanked
            version(10, sponsor_identity_id=None, criteria={"strategic_fit": ""}),
        )
    }
    # sponsor: the trailing run lacking it starts 5 Nov; strategic_fit: 10 Nov (it was given on
    # 5 Nov, so the 1 Nov gap does not count). The longest-missing is the sponsor: 5 Nov.
    untracked = request("untracked", submitted_at=at(3, 11, 2026), sponsor_id="p-anna",
                        criteria={"strategic_fit": "Low"}, effort_hours={})  # fmt: skip
    # description is not tracked, effort has no history here: both since submission (3 Nov)
    whole = {"sponsor_id": "p-anna", "description": "x", "criteria": {"strategic_fit": "Low"},
             "effort_hours": {"Analyst": 1.0}}  # fmt: skip
    complete = request("complete", **whole)
    unknown = request("unknown", submitted_at=None, title=" ", **whole)
    found = incomplete([tracked, untracked, complete, unknown], required, history)
    assert [(i.request_id, i.missing, i.since) for i in found] == [
        ("tracked", ("sponsor", "criteria.strategic_fit"), at(5, 11, 2026)),
        ("untracked", ("description", "effort"), at(3, 11, 2026)),
        ("unknown", ("title",), None),
    ]


def test_missing_through_the_whole_history_counts_from_submission() -> None:
    row = request("r", submitted_at=at(30, 10, 2026))
    history = {"r": (version(1, estimated_cost=None), version(4, estimated_cost=None))}
    # Missing in every version: it came in without one, so since it was submitted (30 Oct),
    # earlier than the first version the store saw (1 Nov).
    (found,) = incomplete([row], ["estimated_cost"], history)
    assert found.since == at(30, 10, 2026)
    # A later version that gives it, then a blank: since that blank version.
    history = {"r": (version(1, estimated_cost="5"), version(4, estimated_cost=None))}
    (found,) = incomplete([row], ["estimated_cost"], history)
    assert found.since == at(4, 11, 2026)


# -- bad configuration ---------------------------------------------------------------------

BAD_INTAKE = [
    (
        "criterion without weight",
        """\
intake:
  models:
    value:
      criteria:
        strategic_fit:
          points: {High: 10, Low: 1}
""",
        ":5:9: intake.models.value.criteria.strategic_fit: missing required key 'weight'",
    ),
    (
        "two scales",
        """\
intake:
  models:
    value:
      criteria:
        strategic_fit:
          weight: 40
          points: {High: 10, Low: 1}
          range: {best: 3, worst: 1}
""",
        ":5:9: intake.models.value.criteria.strategic_fit: give exactly one of points, bands, "
        "range, points_if_set (found points and range)",
    ),
    (
        "unknown source",
        """\
intake:
  models:
    value:
      criteria:
        fit:
          weight: 40
          source: criterion.fit
          points: {High: 10}
""",
        ":7:19: intake.models.value.criteria.fit.source: unknown source 'criterion.fit': use "
        "criteria.<name>, effort.<role>, or one of estimated_cost, estimated_benefit, bcr",
    ),
    (
        "capacity model naming no model",
        """\
intake:
  models:
    value:
      criteria:
        fit: {weight: 1, points: {High: 10}}
  capacity:
    model: valu
""",
        ":7:5: intake.capacity.model: no scoring model 'valu' (known: value)",
    ),
    (
        "unknown required field",
        """\
intake:
  required: [sponser]
""",
        ":2:14: intake.required[0]: unknown field 'sponser': use title, description",
    ),
    (
        "a criterion no request source maps",
        """\
connectors:
  requests:
    type: files
    path: /srv/requests
    kind: request
    columns: {title: Title}
    criteria: {strategic_fit: Fit}
intake:
  models:
    value:
      criteria:
        strategic_fit: {weight: 2, points: {High: 10}}
        regulatory: {weight: 1, points: {"yes": 10}}
""",
        ":13:21: intake.models.value.criteria.regulatory: criteria.regulatory: no request "
        "source maps criteria 'regulatory' (they map: strategic_fit); add it under criteria: "
        "of a connector's intake fields",
    ),
]


@pytest.mark.parametrize(("case", "text", "expected"), BAD_INTAKE, ids=[c[0] for c in BAD_INTAKE])
def test_bad_intake_config_is_one_line_naming_key_and_line(
    case: str, text: str, expected: str, tmp_path: Path
) -> None:
    path = tmp_path / "pmosync.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert len(caught.value.problems) == 1, caught.value.problems
    line = caught.value.problems[0]
    assert line.startswith(str(path) + expected.split(":", 2)[0]), line
    assert expected in line, line
    assert "\n" not in line and "pydantic" not in line


def test_intake_block_defaults() -> None:
    intake = Intake.model_validate(
        {"models": {"a": {"criteria": {"x": {"weight": 1, "points_if_set": 1}}}}}
    )
    assert intake.selection_model() == "a"
    assert intake.eligible_stages == ["submitted", "under_review", "approved"]
