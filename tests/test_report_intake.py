"""The intake_pipeline report kind: a dataset typed in by hand with every figure worked out in
the comments, rendered to HTML, XLSX, CSV, JSON and PDF (hostile titles escaped, never a
formula), the value vs cost chart with the selected set as its own series, and runs through the
real job against a store (SQLite, and PostgreSQL when PMOSYNC_TEST_POSTGRES_URL is set) that
keep each request's score only when it changed.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from cli import run_pmosync
from report_docs import FORMULA_STARTS, Page
from sqlalchemy import func, select

from pmosync.canonical import PersonIdentity, Request
from pmosync.config import load_config
from pmosync.config.errors import ConfigError
from pmosync.config.intake import Intake
from pmosync.reports.dataset import Dataset, PersonRow, RequestRow, RequestVersion
from pmosync.reports.document import ReportDocument
from pmosync.reports.kinds import ReportContext
from pmosync.reports.kinds.intake_pipeline import build
from pmosync.reports.render import render_files
from pmosync.reports.render.charts import drawn
from pmosync.store import Store
from pmosync.store.schema import request_scores

AS_OF = date(2026, 11, 23)  # a Monday
SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x","y")'
INTAKE = {
    "currency": "EUR",
    "required": ["sponsor", "estimated_cost", "criteria.strategic_fit"],
    "models": {
        "value": {
            "criteria": {
                "strategic_fit": {"weight": 60, "points": {"High": 10, "Medium": 5, "Low": 0}},
                "sponsor": {"weight": 40, "source": "sponsor", "points_if_set": 10},
            },
            "gates": [{"source": "sponsor", "set": True, "label": "sponsor named"}],
            "finance": {"discount_rate": 0.1, "years": 2},
        },
    },
    "capacity": {"funding": 100000, "commitments": "none", "horizon_months": 3},
}


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def _request(rid: str, title: str, stage: str, submitted: str, **fields) -> RequestRow:
    return RequestRow(
        id=rid,
        source="intake",
        title=title,
        stage=stage,
        submitted_at=_at(submitted),
        source_url=f"https://a.example/req/{rid}",
        **fields,
    )


def _requests() -> list[RequestRow]:
    """Six requests; as of Mon 2026-11-23 under model "value" (fit 60 % of the weight, a
    sponsor 40 %; a score is 60 x fit points / 10 + 40 if a sponsor is named):

    R1 SCRIPT   submitted   11-13 (10 days)  High + sponsor  = 60 + 40 = 100; cost 60,000,
       benefit 120,000: BCR 2.00, ROI 100 %
    R2 FORMULA  under review 09-24 (60 days) Medium + sponsor = 30 + 40 = 70; cost 50,000
    R3 Archive  approved    08-01 (114 days) Low, no sponsor = 0; fails the gate; incomplete
       (no sponsor) since it was submitted: 114 days
    R4 Huge     submitted   10-24 (30 days)  fit "Huge" is no option: not scored
    R5 Old one  converted   05-01            its project was deleted; not eligible
    R6 Dollar   submitted   11-03 (20 days)  in USD: another currency

    Eligible (submitted, under review, approved): R1, R2, R3, R4, R6 = 5 open requests; ages
    10, 60, 114, 30, 20: median 30 days. Funding 100,000 (commitments none): R1 + R2 would
    cost 110,000, so the exact selection takes R1 (score 100) over R2 (70): R2 needs 50,000
    with 40,000 left.
    """
    sponsor = {"sponsor_id": "p1"}
    eur = {"currency": "EUR"}
    return [
        _request("R5", "Old one", "converted", "2026-05-01", project_ref="Gone",
                 project_state="deleted", criteria={"strategic_fit": "High"}, **sponsor),
        _request("R3", "Archive", "approved", "2026-08-01", estimated_cost=Decimal(30000),
                 criteria={"strategic_fit": "Low"}, **eur),
        _request("R2", FORMULA, "under_review", "2026-09-24", estimated_cost=Decimal(50000),
                 criteria={"strategic_fit": "Medium"}, **sponsor, **eur),
        _request("R4", "Huge", "submitted", "2026-10-24", estimated_cost=Decimal(10000),
                 criteria={"strategic_fit": "Huge"}, **sponsor, **eur),
        _request("R6", "Dollar", "submitted", "2026-11-03", estimated_cost=Decimal(5000),
                 currency="USD", criteria={"strategic_fit": "High"}, **sponsor),
        _request("R1", SCRIPT, "submitted", "2026-11-13", estimated_cost=Decimal(60000),
                 estimated_benefit=Decimal(120000), criteria={"strategic_fit": "High"},
                 **sponsor, **eur),
    ]  # fmt: skip


def _dataset(requests: list[RequestRow] | None = None) -> Dataset:
    requests = _requests() if requests is None else requests
    history = {
        # R1's history began in its stage (a first sync): since submitted, 10 days
        "R1": (RequestVersion(_at("2026-11-20"), {"stage": "submitted"}),),
        # R2 was submitted on 09-24 and moved to under review on 11-03: 20 days in its stage
        "R2": (
            RequestVersion(_at("2026-09-24"), {"stage": "submitted"}),
            RequestVersion(_at("2026-11-03"), {"stage": "under_review"}),
        ),
    }
    return Dataset(
        as_of=AS_OF,
        requests=requests,
        request_history=history,
        people={"p1": PersonRow("p1", "Ann Sponsor", "ann@x.example")},
    )


def _context(scored: list | None = None) -> ReportContext:
    return ReportContext(
        name="intake",
        kind="intake_pipeline",
        title="Intake",
        generated_at=datetime(2026, 11, 23, 7, tzinfo=UTC),
        intake=Intake.model_validate(INTAKE),
        scored=scored,
    )


@pytest.fixture(scope="module")
def document() -> ReportDocument:
    return build(_dataset(), _context())


def _sections(doc: ReportDocument) -> dict[str, list[dict]]:
    return {s.key: list(s.rows) for s in doc.sections}


def test_figures_worked_by_hand(document):
    figures = {f.key: f.value for f in document.figures}
    assert figures == {
        "open_requests": 5,
        "incomplete": 1,  # R3: no sponsor
        "median_age_days": 30,
        "selected": 1,  # R1
        "selected_cost": 60000.0,
        "funding_left": 100000.0,
        "funding_after": 40000.0,  # 100,000 left - R1's 60,000
    }


def test_pipeline_by_stage_and_age(document):
    rows = {r["stage"]: r for r in _sections(document)["pipeline"]}
    assert list(rows) == ["Submitted", "Under review", "Approved", "Converted"]
    submitted = rows["Submitted"]  # R1 10, R4 30, R6 20 days
    assert (submitted["age_0"], submitted["age_31"], submitted["total"]) == (3, 0, 3)
    assert submitted["median_in_stage"] == 20  # no history: since submitted (10, 20, 30)
    assert (rows["Under review"]["age_31"], rows["Under review"]["median_in_stage"]) == (1, 20)
    assert rows["Approved"]["age_over_90"] == 1 and rows["Converted"]["age_over_90"] == 1


def test_scoreboard_ranks_explains_and_puts_the_unscorable_last(document):
    board = _sections(document)["scoreboard_value"]
    # R6 (USD) is scored on its criteria too: 100, tied with R1 and listed first (submitted
    # first); ties share rank 1, so R2 is third
    assert [r["request"] for r in board] == ["Dollar", SCRIPT, FORMULA, "Archive", "Huge"]
    assert [r["rank"] for r in board[:4]] == [1, 1, 3, 4]
    first = board[1]
    assert (first["rank"], first["score"]) == (1, 100.0)
    assert "strategic_fit High 10/10 x 60 = 60.0" in first["breakdown"]
    assert "sponsor" in first["breakdown"] and "= 40.0" in first["breakdown"]
    # NPV: 60,000 a year for 2 years at 10 %: 54,545.45 + 49,586.78 - 60,000 = 44,132.23
    assert first["finance"] == "BCR 2.00, ROI 100%, NPV 44,132 EUR"
    assert first["gates"] == "passed" and first["url"] == "https://a.example/req/R1"
    assert board[2]["score"] == 70.0
    archive = board[3]
    assert archive["score"] == 0.0 and archive["gates"].startswith("failed: sponsor named")
    huge = board[-1]
    assert huge["score"] is None and "Huge" in huge["breakdown"]
    section = document.section("scoreboard_value")
    assert section.html_limit == 10 and "top 10" in (section.note or "")


def test_selection_and_what_the_excluded_would_need(document):
    sections = _sections(document)
    assert [r["request"] for r in sections["selection"]] == [SCRIPT]
    excluded = {r["request"]: r for r in sections["excluded"]}
    assert "funding" in (excluded[FORMULA]["needs"] or "")
    assert "50,000" in excluded[FORMULA]["needs"] and "40,000" in excluded[FORMULA]["needs"]
    assert "Archive" in excluded  # fails its gate
    (funding,) = sections["funding"]
    assert (funding["funding"], funding["selected"], funding["remaining"]) == (
        100000.0, 60000.0, 40000.0
    )  # fmt: skip


def test_incomplete_requests_with_since(document):
    (row,) = _sections(document)["incomplete"]
    assert (row["request"], row["missing"], row["since"], row["days"]) == (
        "Archive", "sponsor", "2026-08-01", 114
    )  # fmt: skip


def test_data_problems(document):
    problems = {(r["request"], r["problem"]) for r in _sections(document)["data_problems"]}
    assert ("Huge", "not scored (value)") in problems
    assert ("Old one", "converted project") in problems
    assert ("Dollar", "other currency") in problems


def test_value_vs_cost_marks_the_selected_set(document):
    (chart,) = document.charts
    assert chart.kind == "scatter" and chart in drawn(document.charts)
    series = {s.name: list(zip(s.x, s.values, strict=True)) for s in chart.series}
    # R6 is in USD and R4 unscored: neither is on the chart
    assert series == {"Not selected": [(50000.0, 70.0), (30000.0, 0.0)], "Selected": [
        (60000.0, 100.0)
    ]}  # fmt: skip


def test_files_escape_hostile_titles_and_never_make_a_formula(document, tmp_path):
    files = {f.name.rsplit(".", 1)[-1] if "-" not in f.name[-20:] else f.name: f
             for f in render_files(document, ["html", "xlsx", "csv", "json"])}  # fmt: skip
    html = next(f for f in files.values() if f.name.endswith(".html")).content.decode()
    page = Page(html)
    assert page.elements("script") == [] and "<script" not in html.lower()
    assert SCRIPT in page.cell_texts() and FORMULA in page.cell_texts()
    assert html.count("<img") >= 1  # the value vs cost chart
    for rendered in files.values():
        if rendered.name.endswith(".csv"):
            for row in csv.reader(io.StringIO(rendered.content.decode("utf-8-sig"))):
                for cell in row:
                    number = cell.replace(".", "", 1).lstrip("-").isdigit()
                    assert number or not cell.startswith(FORMULA_STARTS), (rendered.name, cell)
    book_file = next(f for f in files.values() if f.name.endswith(".xlsx"))
    (tmp_path / "book.xlsx").write_bytes(book_file.content)
    book = openpyxl.load_workbook(tmp_path / "book.xlsx")
    strings = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    strings.append(cell.value)
    assert FORMULA in strings and SCRIPT in strings
    assert "Charts" in book.sheetnames  # the scatter, as a native chart
    data = json.loads(next(f for f in files.values() if f.name.endswith(".json")).content)
    assert ReportDocument.from_json(data) == document


def test_pdf_renders(document):
    pytest.importorskip("weasyprint")
    (pdf,) = render_files(document, ["pdf"])
    assert pdf.content.startswith(b"%PDF")


def test_html_tables_show_at_most_eight_columns(document):
    for section in document.sections:
        if not section.detail:
            assert len([c for c in section.columns if not c.detail]) <= 8, section.key


def test_no_requests_is_one_line_not_a_crash():
    doc = build(_dataset([]), _context())
    html = render_files(doc, ["html"])[0].content.decode("utf-8")
    text = " ".join(Page(html).cell_texts()) + html
    assert "No project requests" in text
    assert "No open requests to score" not in html
    assert {f.key: f.value for f in doc.figures}["open_requests"] == 0


def test_the_builder_leaves_its_scores_for_the_run():
    scored: list = []
    build(_dataset(), _context(scored))
    assert sorted(s.request_id for s in scored) == ["R1", "R2", "R3", "R4", "R6"]


# --- through the real job, against a store -------------------------------------------------------

TOOL = "intake"


def _store_requests(url: str, fit: str) -> None:
    with Store.open(url) as store, store.writer() as writer:
        writer.upsert(
            [
                PersonIdentity(source=TOOL, source_id="u1", name="Ann", email="ann@x.example"),
                Request(
                    source=TOOL,
                    source_id="A",
                    title=FORMULA,
                    stage="submitted",
                    submitted_at=_at("2026-11-01"),
                    sponsor_identity_id=PersonIdentity.ref(TOOL, "u1"),
                    estimated_cost=Decimal(40000),
                    currency="EUR",
                    criteria={"strategic_fit": fit},
                ),
                Request(
                    source=TOOL,
                    source_id="B",
                    title="Second",
                    stage="under_review",
                    submitted_at=_at("2026-10-01"),
                    estimated_cost=Decimal(10000),
                    currency="EUR",
                    criteria={"strategic_fit": "Low"},
                ),
            ]
        )


def _yaml(tmp_path: Path, url: str, intake: dict | None = None) -> Path:
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        json.dumps(
            {
                "store": url,
                "output_dir": "out",
                "intake": intake or INTAKE,
                "reports": {"intake": {"kind": "intake_pipeline", "formats": ["json"]}},
            }
        ),
        encoding="utf-8",
    )
    return path


def _board(tmp_path: Path) -> dict[str, dict]:
    (path,) = (tmp_path / "out").glob("intake-*/intake-*.json")
    document = json.loads(path.read_text("utf-8"))
    board = next(s for s in document["sections"] if s["key"] == "scoreboard_value")
    return {r["request"]: r for r in board["rows"]}


def _kept(url: str) -> int:
    with Store.open(url) as store, store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(request_scores)).scalar_one()


def test_runs_keep_a_score_only_when_it_changed(tmp_path, store_url):
    _store_requests(store_url, "Medium")
    config = _yaml(tmp_path, store_url)
    done = run_pmosync("report", "intake", "-c", config, "--no-deliver")
    assert done.returncode == 0, done.stderr
    board = _board(tmp_path)
    assert board[FORMULA]["score"] == 70.0  # 30 + 40
    assert board[FORMULA]["change"] == "new"  # no score kept before
    assert _kept(store_url) == 2  # A and B, first seen
    # an unchanged rerun keeps nothing new, and says so
    done = run_pmosync("report", "intake", "-c", config, "--no-deliver")
    assert done.returncode == 0, done.stderr
    assert _kept(store_url) == 2
    assert _board(tmp_path)[FORMULA]["change"].startswith("no change since")
    # A's fit goes up to High: 60 + 40 = 100, +30.0 on the score kept before
    _store_requests(store_url, "High")
    done = run_pmosync("report", "intake", "-c", config, "--no-deliver")
    assert done.returncode == 0, done.stderr
    assert _kept(store_url) == 3
    change = _board(tmp_path)[FORMULA]["change"]
    assert change.startswith("+30.0 since "), change
    # a back-dated run keeps none of its scores
    done = run_pmosync("report", "intake", "-c", config, "--no-deliver", "--as-of", "2026-01-05")
    assert _kept(store_url) == 3, done.stderr
    # the model's YAML edited (a gate's label), the scores the same: a new row for each request
    # under the edited model, and the change column says the model changed
    edited = json.loads(json.dumps(INTAKE))
    edited["models"]["value"]["gates"][0]["label"] = "a sponsor"
    config = _yaml(tmp_path, store_url, edited)
    done = run_pmosync("report", "intake", "-c", config, "--no-deliver")
    assert done.returncode == 0, done.stderr
    assert _kept(store_url) == 5
    assert _board(tmp_path)[FORMULA]["change"].endswith("(model changed)")


def test_an_intake_report_without_models_is_one_config_line(tmp_path):
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        "store: sqlite:///x.db\nreports:\n  intake:\n    kind: intake_pipeline\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert "intake.models" in message and "reports.intake.kind" in message, message


def test_the_scatter_is_drawn_point_by_point_with_the_selected_apart(document):
    """matplotlib's own axes hold the points typed in above: R2 and R3 grey, R1 green."""
    from pmosync.reports.render.charts import draw

    (axes,) = draw(document.charts[0]).axes
    offsets = [sorted(map(tuple, c.get_offsets().tolist())) for c in axes.collections]
    assert offsets == [[(30000.0, 0.0), (50000.0, 70.0)], [(60000.0, 100.0)]]
    assert axes.get_xlabel() == "Estimated cost (EUR)" and axes.get_xlim()[0] == 0


def test_what_an_excluded_request_needs_reads_one_clause_per_role():
    from pmosync.reports.kinds.intake_pipeline import needs_text
    from pmosync.reports.metrics.intake import Shortfall

    shortfalls = (
        Shortfall("funding", 50_000, 40_000),
        Shortfall("Consultant 2027-04", 160, 40),
        Shortfall("Consultant 2027-03", 100, 0),
        Shortfall("Senior consultant 2027-05", 30, 10),
    )
    # Consultant: 100 + 160 = 260 h needed in March and April, 0 + 40 = 40 h left.
    assert needs_text(shortfalls) == (
        "funding: needs 50,000, 40,000 left; Consultant 2027-03 to 2027-04: needs 260 h, "
        "40 h left; Senior consultant 2027-05: needs 30 h, 10 h left"
    )
    assert needs_text(()) is None
