"""The portfolio status document of a small hand-built dataset: figures, sections and charts
against figures worked out by hand, and trend charts drawn from earlier runs' trend points."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from pmosync.reports.dataset import (
    BudgetRow,
    CostRow,
    Dataset,
    PersonRow,
    PortfolioRow,
    ProjectRow,
    RaidRow,
    StatusRow,
    TaskRow,
    TimeRow,
)
from pmosync.reports.document import Highlight, ReportDocument, TrendPoint
from pmosync.reports.kinds import ReportContext, builder
from pmosync.reports.kinds.shaping import HTML_COLUMNS

AS_OF = date(2026, 3, 16)  # a Monday: the last complete weeks are W08 .. W11
URL = "https://app.asana.com/0/"


def d(month: int, day: int) -> date:
    return date(2026, month, day)


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, 0)


def dataset() -> Dataset:
    return Dataset(
        as_of=AS_OF,
        portfolios=[PortfolioRow("pf-a", "asana", "Alpha", URL + "pf-a")],
        projects=[
            ProjectRow(
                "p1",
                "asana",
                "Apollo",
                URL + "p1",
                owner_id="u1",
                team="Eng",
                start_date=d(3, 1),
                due_date=d(3, 31),
                portfolio_ids=("pf-a",),
            ),
            ProjectRow("p2", "asana", "Borealis", URL + "p2", team="Ops", rag="amber"),
            ProjectRow(
                "p3",
                "asana",
                "Cygnus",
                URL + "p3",
                owner_id="u1",
                status="on_hold",
                start_date=d(1, 1),
                due_date=d(6, 30),
                portfolio_ids=("pf-a",),
            ),
        ],
        tasks=[
            TaskRow(
                "t1",
                "p1",
                "Design",
                estimate_hours=10,
                start_date=d(3, 1),
                due_date=d(3, 10),
                status="done",
                completed_at=at(3, 9),
                assignee_ids=("u1",),
            ),
            TaskRow(
                "t2",
                "p1",
                "Build",
                estimate_hours=30,
                start_date=d(3, 6),
                due_date=d(3, 15),
                status="in_progress",
                percent_complete=50,
                assignee_ids=("u1",),
            ),
            TaskRow("m1", "p1", "Design review", URL + "m1", is_milestone=True, due_date=d(3, 12)),
            TaskRow("m2", "p1", "Launch", URL + "m2", is_milestone=True, due_date=d(3, 20)),
            TaskRow(
                "m3",
                "p1",
                "Kick-off",
                URL + "m3",
                is_milestone=True,
                status="done",
                due_date=d(3, 2),
                completed_at=at(3, 11),
            ),
            TaskRow(
                "t3",
                "p2",
                "Survey",
                start_date=d(3, 2),
                due_date=d(3, 6),
                status="done",
                completed_at=at(3, 5),
            ),
            TaskRow("t4", "p2", "Report", start_date=d(3, 9), due_date=d(3, 18)),
            TaskRow("t5", "p2", "Backlog"),
        ],
        time_entries=[
            TimeRow("u2", "p2", d(3, 3), 300),
            TimeRow("u2", "p2", d(3, 10), 180),
            TimeRow("u2", "p2", d(3, 20), 60),  # after as_of
        ],
        budgets=[
            BudgetRow("p1", Decimal("1000"), "money", "EUR"),
            BudgetRow("p2", Decimal("20"), "hours"),
        ],
        costs=[
            CostRow("p1", d(3, 5), Decimal("500"), "EUR", "expense"),
            CostRow("p1", d(3, 12), Decimal("200"), "EUR", "invoice"),
            CostRow("p1", d(3, 1), Decimal("40"), "USD", "expense"),
        ],
        status_updates=[
            StatusRow("p1", at(3, 3), "amber", "Week 9", "u1", "Design late."),
            StatusRow("p1", at(3, 10), "green", "Week 10", "u1", "Design signed off."),
            StatusRow("p3", at(3, 15), "blue", text="Paused until the budget round."),
            StatusRow("p2", at(3, 17), "red", text="Posted after the report date."),
        ],
        people={"u1": PersonRow("u1", "Ann Lee", "ann@x.example")},
    )


# By hand, as_of 2026-03-16, default rules (period 03-10 .. 03-16, 4 weeks):
# Apollo: work t1 (10 h, done) and t2 (30 h, 50 %): count 50 %, effort 25/40 = 62.5 %; both
#   past due -> planned 100 %. BAC 1000 EUR: PV 1000, EV 625, AC 500 + 200 = 700 (40 USD left
#   out). SV -375, CV -75, SPI 0.625, CPI 625/700 = 0.893, EAC 1000 x 700/625 = 1120, ETC 420,
#   VAC -120, slip 37.5 % (red); m1 overdue (amber); CPI < 0.95 (amber) -> red vs reported green.
#   Earned schedule over working days from Monday 03-02 (day 1): t1 03-02..03-10 is 7 working
#   days (1/28 a day, days 1-7), t2 Friday 03-06..03-13 is 6 (0.125 a day, days 5-10);
#   C(7) = 7/28 + 3 x 0.125 = 0.625 = earned -> ES 7; AT 03-02..03-16 = 11 -> SV(t) -4 days,
#   SPI(t) 7/11 = 0.64 (red). Budget 1000, actual 700, remaining 300, spent 70 %.
# Borealis: no estimates -> weights 1; t3 (done, 03-02..03-06) and t4 (03-09..03-18: 8
#   working days, 6 of them by 03-16 -> 0.75); t5 undated keeps its weight, planned on the
#   plan's finish 03-18. Planned (1 + 0.75 + 0)/3 = 58.3 %, earned 1/3. BAC 20 h: PV 35/3,
#   EV 20/3, AC 5 + 3 = 8 h. SV -5, CV -4/3, SPI 4/7, CPI 5/6, EAC 24, ETC 16, VAC -4, slip
#   0.75/1.75 = 42.9 % (red); CPI 0.83 (red); no update (amber) -> red vs reported amber.
#   Count 1/3. ES: t3 1/15 a day on days 1-5 from 03-02 -> C(5) = 1/3 = earned, t4 starts
#   day 6 -> ES 5; AT 11 -> SV(t) -6 days, SPI(t) 5/11 = 0.45 (red). Budget 20 h, actual 8,
#   remaining 12, 40 %.
# Cygnus: on hold -> blue; reported blue (its update). No budget, no tasks: undefined.
# Governance: Apollo 0; Borealis no owner, no dates, no status update = 3; Cygnus no budget = 1.


def context(history: tuple[TrendPoint, ...] = ()) -> ReportContext:
    return ReportContext(
        name="weekly-portfolio",
        kind="portfolio_status",
        title="Weekly portfolio",
        generated_at=datetime(2026, 3, 16, 7, 0, tzinfo=UTC),
        filters={"portfolios": ["Alpha"]},
        history=history,
    )


HISTORY = (
    TrendPoint(
        "2026-03-02",
        {
            "rag_computed": {"green": 2, "amber": 1, "red": 0, "blue": 0, "complete": 0},
            "pct_complete_effort": 20.0,
            "pct_complete_count": 10.0,
            "burn": {"money:EUR": {"pv": 300.0, "ev": 250.0, "ac": 200.0}},
        },
    ),
    TrendPoint(  # an older point without the count %, and an hours basis only
        "2026-03-09",
        {
            "rag_computed": {"green": 1, "amber": 1, "red": 1, "blue": 0, "complete": 0},
            "pct_complete_effort": 40.0,
            "burn": {"hours": {"pv": 9.0, "ev": 6.0, "ac": 5.0}},
        },
    ),
)


@pytest.fixture(scope="module")
def doc() -> ReportDocument:
    return builder("portfolio_status")(dataset(), context(HISTORY))


def test_header(doc):
    assert (doc.report, doc.kind, doc.title) == (
        "weekly-portfolio",
        "portfolio_status",
        "Weekly portfolio",
    )
    assert (doc.as_of, doc.generated_at) == ("2026-03-16", "2026-03-16T07:00:00+00:00")
    assert doc.filters == {"portfolios": ["Alpha"]}


def test_figures(doc):
    figures = {f.key: (f.value, f.rag) for f in doc.figures}
    assert doc.figures[0].key == "projects"
    assert figures == {
        "projects": (3, None),
        "red": (2, "red"),
        "amber": (0, None),
        "green": (0, None),
        "overdue_milestones": (1, "red"),
        # Apollo and Borealis are active (Cygnus on hold adds to no total); their BACs are in
        # EUR and hours, no sum: % complete falls back to effort, 25 of 40 h
        "pct_complete": (62.5, None),
        # two bases: one SPI/CPI pair each, at full precision (renderers round)
        "spi_money_eur": (0.625, None),
        "cpi_money_eur": pytest.approx((625 / 700, None)),
        # Apollo's USD entry is left out of its AC: the EUR CPI is partial, and says so
        "cpi_money_eur_note": ("partial: some projects' AC leaves cost out", "amber"),
        "spi_hours": pytest.approx((4 / 7, None)),
        "cpi_hours": pytest.approx((5 / 6, None)),
    }
    # the secondary figures are in a one-row "Portfolio totals" section, not tiles
    [totals] = doc.section("portfolio_totals").rows
    assert totals == {
        "projects_in_totals": 2,
        "disagreements": 2,  # Apollo green/red, Borealis amber/red
        "milestones_completed": 1,  # Kick-off on 03-11
        "governance_findings": 4,
        "pct_complete_effort": 62.5,  # Borealis has no estimates
        "pct_complete_count": 40.0,
        "hours_logged": 8.0,
    }


def test_tile_changes_compare_with_the_newest_earlier_report(doc):
    # the newest point of HISTORY (03-09) counted green 1, amber 1, red 1 and nothing else:
    # red 2 - 1 = +1, amber 0 - 1 = -1, green 0 - 1 = -1; it lacks the projects count, the
    # overdue milestones, % complete and the indices: no change claimed for those
    changes = {f.key: f.change for f in doc.figures}
    assert (changes["red"], changes["amber"], changes["green"]) == (1, -1, -1)
    assert changes["projects"] is None and changes["overdue_milestones"] is None
    assert changes["pct_complete"] is None and changes["spi_money_eur"] is None
    assert doc.previous_as_of == "2026-03-09"
    rows = {r["rag"]: r for r in doc.section("rag_summary").rows}
    assert [(rows[v]["computed"], rows[v]["computed_change"]) for v in ("red", "amber")] == [
        (2, 1),
        (0, -1),
    ]
    assert rows["green"]["reported"] == 1 and rows["green"]["reported_change"] is None


def test_tile_changes_against_a_full_previous_point():
    previous = TrendPoint(
        "2026-03-09",
        {
            "projects": 2,
            "rag_computed": {"green": 1, "amber": 1, "red": 0, "blue": 0, "complete": 0},
            "rag_reported": {"green": 2, "amber": 0, "red": 0, "blue": 0, "none": 0},
            "overdue_milestones": 0,
            "pct_complete": 50.0,
            "indices": {"money:EUR": {"spi": 0.5, "cpi": 1.0}, "hours": {"spi": None}},
        },
    )
    doc = builder("portfolio_status")(dataset(), context((previous,)))
    changes = {f.key: f.change for f in doc.figures}
    # projects 3 - 2; red 2 - 0; amber 0 - 1; green 0 - 1; overdue 1 - 0; % 62.5 - 50;
    # SPI (EUR) 0.625 - 0.5, CPI (EUR) 625/700 - 1; the hours SPI was undefined: no change
    assert {k: changes[k] for k in (
        "projects", "red", "amber", "green", "overdue_milestones", "pct_complete",
        "spi_money_eur", "cpi_money_eur", "spi_hours", "cpi_hours",
    )} == pytest.approx({
        "projects": 1, "red": 2, "amber": -1, "green": -1, "overdue_milestones": 1,
        "pct_complete": 12.5, "spi_money_eur": 0.125, "cpi_money_eur": 625 / 700 - 1,
        "spi_hours": None, "cpi_hours": None,
    })  # fmt: skip
    rows = {r["rag"]: r for r in doc.section("rag_summary").rows}
    # reported now: green 1 (Apollo), amber 1 (Borealis' own field), blue 1 (Cygnus)
    assert [(rows[v]["reported"], rows[v]["reported_change"]) for v in ("green", "amber")] == [
        (1, -1),
        (1, 1),
    ]


def test_projects_section(doc):
    section = doc.section("projects")
    link = {c.key: c.link for c in section.columns}
    assert (link["project"], link["next_milestone_shown"]) == ("url", "next_milestone_url")
    # the eight columns the HTML shows; every other one is in the files only
    assert [c.key for c in section.columns if not c.detail] == [
        "project", "owner", "reported_rag", "computed_rag", "pct_complete",
        "next_milestone_shown", "spi_t", "cpi",
    ]  # fmt: skip
    # the computed RAG's reasons show under its badge in HTML, and as a column in the files
    assert {c.key: c.note for c in section.columns}["computed_rag"] == "reasons"
    assert {c.key: c.detail for c in section.columns}["reasons"] is True
    apollo, borealis, cygnus = section.rows  # red first, then blue
    assert apollo == {
        "project": "Apollo",
        "owner": "Ann Lee",
        "pct_complete": 62.5,  # by effort
        # no baseline and no earlier report holding Launch's date: no slip to show
        "next_milestone_shown": "Launch, due 2026-03-20",
        "next_milestone_slip_days": None,
        "next_milestone_slip_against": None,
        "cpi": pytest.approx(625 / 700),
        "url": URL + "p1",
        "team": "Eng",
        "portfolios": "Alpha",
        "status": "active",
        "reported_rag": "green",
        "computed_rag": "red",
        "disagrees": True,
        "reasons": "SPI(t) 0.64 below 0.80; schedule slip 37.5% at or above 25%; "
        "1 overdue milestone (amber from 1); CPI 0.89 below 0.95",
        "pct_complete_count": 50.0,
        "pct_complete_effort": 62.5,
        "next_milestone": "Launch",
        "next_milestone_url": URL + "m2",
        "next_milestone_due": "2026-03-20",
        "overdue_milestones": 1,
        "sv_days": -4,
        "budget": 1000.0,
        "actual": 700.0,
        "remaining": 300.0,
        "spent_pct": 70.0,
        "basis": "money",
        "currency": "EUR",
        "last_update": "2026-03-10",
        # SPI(t) 7/11; no baseline, so the finish to meet is the due date 03-31; IEAC(t) =
        # PD 10 working days (03-02..03-13) / (7/11) = 15.7 -> working day 16 from 03-02 = 03-23
        "spi_t": pytest.approx(7 / 11),
        "finish_date": "2026-03-31",
        "forecast_finish": "2026-03-23",
        "baseline": "no baseline (today's plan)",
        "cost_figures": "partial: cost entries left out of AC",  # the 40 USD
    }
    assert {k: borealis[k] for k in borealis if k not in ("project", "url", "status")} == {
        "team": "Ops",
        "owner": None,
        "pct_complete": pytest.approx(100 / 3),  # no estimates: by count
        "next_milestone_shown": None,
        "next_milestone_slip_days": None,
        "next_milestone_slip_against": None,
        "cpi": pytest.approx(5 / 6),
        "portfolios": "",
        "reported_rag": "amber",
        "computed_rag": "red",
        "disagrees": True,
        "reasons": "SPI(t) 0.45 below 0.80; schedule slip 42.9% at or above 25%; "
        "CPI 0.83 below 0.85; no status update",
        "pct_complete_count": pytest.approx(100 / 3),
        "pct_complete_effort": None,
        "next_milestone": None,
        "next_milestone_url": None,
        "next_milestone_due": None,
        "overdue_milestones": 0,
        "sv_days": -6,
        "budget": 20.0,
        "actual": 8.0,
        "remaining": 12.0,
        "spent_pct": 40.0,
        "basis": "hours",
        "currency": None,
        "last_update": None,
        # SPI(t) 5/11; no due date: the plan's finish 03-18; IEAC(t) = PD 13 (03-02..03-18) /
        # (5/11) = 28.6 -> working day 29 from 03-02 = 04-09. 8 h logged, 8 h costed: complete
        "spi_t": pytest.approx(5 / 11),
        "finish_date": "2026-03-18",
        "forecast_finish": "2026-04-09",
        "baseline": "no baseline (today's plan)",
        "cost_figures": "complete",
    }
    assert (cygnus["computed_rag"], cygnus["reported_rag"], cygnus["disagrees"]) == (
        "blue",
        "blue",
        False,
    )
    assert (cygnus["budget"], cygnus["actual"], cygnus["sv_days"]) == (None, None, None)


def test_earned_value_section_says_how_complete_its_cost_figures_are(doc):
    rows = {r["project"]: r for r in doc.section("earned_value").rows}
    # TCPI = (BAC - EV) / (BAC - AC): Apollo (1000 - 625) / (1000 - 700) = 1.25; Borealis
    # (20 - 20/3) / (20 - 8) = 10/9. Apollo has no hours, so coverage 100 %, but its USD entry
    # is left out: partial. Borealis' 8 h are on no task: they earn nothing.
    assert [
        (r["tcpi"], r["ac_coverage_pct"], r["cost_figures"], r["unearned_hours"])
        for r in (rows["Apollo"], rows["Borealis"])
    ] == [
        pytest.approx((1.25, 100.0, "partial: cost entries left out of AC", 0.0)),
        pytest.approx((10 / 9, 100.0, "complete", 8.0)),
    ]
    value = {
        r["portfolio"] + " " + r["basis"]: r for r in doc.section("portfolio_earned_value").rows
    }
    assert (value["Alpha money"]["bac"], value["Alpha money"]["pct_complete"]) == (1000.0, 62.5)
    assert value["Alpha money"]["cpi_note"] == "partial: some projects' AC leaves cost out"
    assert value["All projects hours"]["cpi_note"] is None


def test_earned_value_section(doc):
    rows = {r["project"]: r for r in doc.section("earned_value").rows}
    keys = ("bac", "pv", "ev", "ac", "sv", "cv", "spi", "cpi", "eac", "etc", "vac", "slip_pct")
    assert [rows["Apollo"][k] for k in keys] == pytest.approx([
        1000.0, 1000.0, 625.0, 700.0, -375.0, -75.0, 0.625, 625 / 700, 1120.0, 420.0, -120.0, 37.5,
    ])  # fmt: skip
    # issue 16: the notes also say BAC has no baseline behind it and that AC is partial (the
    # USD entry is left out), where they used to present AC as complete
    assert rows["Apollo"]["notes"] == (
        "no baseline budget: BAC is the current budget; "
        "1 cost entry in USD (40.00) not converted to EUR: left out of AC; "
        "AC partial: 100.0 % of logged hours costed, 1 cost entry left out"
    )
    assert [rows["Borealis"][k] for k in keys] == pytest.approx([
        20.0, 35 / 3, 20 / 3, 8.0, -5.0, -4 / 3, 4 / 7, 5 / 6, 24.0, 16.0, -4.0, 300 / 7,
    ])  # fmt: skip
    assert (rows["Borealis"]["planned_pct"], rows["Borealis"]["earned_pct"]) == pytest.approx(
        (175 / 3, 100 / 3)
    )
    assert [rows["Cygnus"][k] for k in keys] == [None] * 12
    assert rows["Cygnus"]["basis"] == "undefined"


def test_milestones_section(doc):
    rows = [
        (r["project"], r["milestone"], r["state"], r["due_date"], r["completed"], r["days_overdue"])
        for r in doc.section("milestones").rows
    ]
    assert rows == [
        ("Apollo", "Design review", "overdue", "2026-03-12", None, 4),
        ("Apollo", "Launch", "next", "2026-03-20", None, None),
        ("Apollo", "Kick-off", "completed", "2026-03-02", "2026-03-11", None),
    ]
    assert doc.section("milestones").rows[0]["url"] == URL + "m1"


def test_portfolio_sections(doc):
    alpha, orphans, overall = doc.section("portfolios").rows
    # Alpha: Apollo (red, reported green) and Cygnus (blue, reported blue)
    assert (alpha["portfolio"], alpha["url"], alpha["projects"]) == ("Alpha", URL + "pf-a", 2)
    assert (alpha["computed_red"], alpha["computed_blue"], alpha["reported_green"]) == (1, 1, 1)
    assert (alpha["disagreements"], alpha["governance_findings"]) == (1, 1)
    assert (alpha["pct_complete_effort"], alpha["pct_complete_count"]) == (62.5, 50.0)
    assert (orphans["portfolio"], orphans["projects"], orphans["governance_findings"]) == (
        "(no portfolio)",
        1,
        3,
    )
    assert (orphans["pct_complete_effort"], orphans["hours_logged"]) == (None, 8.0)
    # all projects: count (1 + 1 + 0) / (2 + 3 + 0) = 40 %
    assert (overall["projects"], overall["pct_complete_count"]) == (3, 40.0)
    # in totals: Alpha holds Apollo (active) and Cygnus (on hold): 1; its % complete is EV /
    # BAC = 625 / 1000 EUR; no portfolio: Borealis, EV 20/3 of 20 h; all: EUR and hours mix,
    # so by effort (25 of 40 h)
    assert [
        (r["in_totals"], r["pct_complete"], r["pct_complete_weighting"])
        for r in (alpha, orphans, overall)
    ] == [(1, 62.5, "BAC"), pytest.approx((1, 100 / 3, "BAC")), (2, 62.5, "effort")]
    values = [
        (r["portfolio"], r["basis"], r["currency"], r["pv"], r["ev"], r["ac"], r["spi"], r["cpi"])
        for r in doc.section("portfolio_earned_value").rows
    ]
    assert values == [
        pytest.approx(("Alpha", "money", "EUR", 1000.0, 625.0, 700.0, 0.625, 625 / 700)),
        pytest.approx(("(no portfolio)", "hours", None, 35 / 3, 20 / 3, 8.0, 4 / 7, 5 / 6)),
        pytest.approx(("All projects", "money", "EUR", 1000.0, 625.0, 700.0, 0.625, 625 / 700)),
        pytest.approx(("All projects", "hours", None, 35 / 3, 20 / 3, 8.0, 4 / 7, 5 / 6)),
    ]


def test_throughput_and_costs_sections(doc):
    weeks = [(r["week"], r["completed"], r["planned"]) for r in doc.section("throughput").rows]
    # t3 done 03-05 and due 03-06 (W10); t1 done 03-09 (W11); t1, t2 due 03-10, 03-15 (W11);
    # milestones and t4 (due 03-18) do not count
    assert weeks == [("2026-W08", 0, 0), ("2026-W09", 0, 0), ("2026-W10", 1, 1), ("2026-W11", 1, 2)]
    costs = [
        (r["project"], r["category"], r["currency"], r["period_total"], r["to_date_total"])
        for r in doc.section("costs").rows
    ]
    # the period is 03-10 .. 03-16: only the 200 EUR invoice falls in it
    assert costs == [
        ("Apollo", "expense", "EUR", 0.0, 500.0),
        ("Apollo", "expense", "USD", 0.0, 40.0),
        ("Apollo", "invoice", "EUR", 200.0, 200.0),
    ]


def test_current_state_charts(doc):
    charts = {c.key: c for c in doc.charts}
    rag = charts["rag_distribution"]
    assert (rag.kind, rag.x) == ("bar", ("green", "amber", "red", "blue", "complete"))
    assert [s.values for s in rag.series] == [(0, 0, 2, 1, 0), (1, 1, 0, 1, 0)]
    flow = charts["throughput"]
    assert flow.x == ("2026-W08", "2026-W09", "2026-W10", "2026-W11")
    assert [s.values for s in flow.series] == [(0, 0, 1, 1), (0, 0, 1, 2)]


def test_trend_charts_show_history_and_this_run(doc):
    charts = {c.key: c for c in doc.charts}
    dates = ("2026-03-02", "2026-03-09", "2026-03-16")
    history = charts["rag_history"]
    assert (history.kind, history.x) == ("stacked_bar", dates)
    assert {s.name: s.values for s in history.series} == {
        "green": (2, 1, 0),
        "amber": (1, 1, 0),
        "red": (0, 1, 2),
        "blue": (0, 0, 1),
        "complete": (0, 0, 0),
    }
    pct = charts["pct_complete_trend"]
    assert {s.name: s.values for s in pct.series} == {
        "Weighted (BAC, else effort)": (None, None, 62.5),  # older points lack it: gaps
        "By effort": (20.0, 40.0, 62.5),
        "By count": (10.0, None, 40.0),  # the 03-09 point did not record it
    }
    # burn over time gave way to S-curves from dated data (kinds.trends): at the report date
    # they hold this run's PV, EV and AC (as the trend point below records them)
    assert not any(key.startswith("burn_") for key in charts)
    eur, hours = charts["scurve_money_eur"], charts["scurve_hours"]
    assert (eur.kind, eur.y_type, hours.y_type) == ("line", "money", "hours")
    at_eur, at_hours = eur.x.index("2026-03-16"), hours.x.index("2026-03-16")
    assert {s.name: s.values[at_eur] for s in eur.series} == pytest.approx(
        {"PV": 1000.0, "EV": 625.0, "AC": 700.0}
    )
    assert {s.name: s.values[at_hours] for s in hours.series} == pytest.approx(
        {"PV": 35 / 3, "EV": 20 / 3, "AC": 8.0}
    )


def test_trend_point_feeds_the_next_run(doc):
    assert doc.trend == {
        "projects": 3,
        "rag_computed": {"green": 0, "amber": 0, "red": 2, "blue": 1, "complete": 0},
        "rag_reported": {"green": 1, "amber": 1, "red": 0, "blue": 1, "complete": 0, "none": 0},
        "disagreements": 2,
        "overdue_milestones": 1,
        "pct_complete": 62.5,
        "pct_complete_effort": 62.5,
        "pct_complete_count": 40.0,
        "burn": {
            "money:EUR": {"pv": 1000.0, "ev": 625.0, "ac": 700.0},
            "hours": {"pv": pytest.approx(35 / 3), "ev": pytest.approx(20 / 3), "ac": 8.0},
        },
        "indices": {
            "money:EUR": {"spi": 0.625, "cpi": pytest.approx(625 / 700)},
            "hours": {"spi": pytest.approx(4 / 7), "cpi": pytest.approx(5 / 6)},
        },
        # the executive summary's facts: each project's computed RAG, and the due date of
        # each open, dated milestone (Kick-off is done)
        "project_rag": {"p1": "red", "p2": "red", "p3": "blue"},
        "milestones": {"m1": "2026-03-12", "m2": "2026-03-20"},
    }
    # the snapshot round-trips through JSON, and its point shows in a later run's charts
    stored = ReportDocument.from_json(doc.to_json())
    assert stored == doc
    later = Dataset(as_of=date(2026, 3, 23))
    next_run = builder("portfolio_status")(
        later, context((TrendPoint(stored.as_of, stored.trend),))
    )
    rag = next(c for c in next_run.charts if c.key == "rag_history")
    assert rag.x == ("2026-03-16", "2026-03-23")
    assert next(s for s in rag.series if s.name == "red").values == (2, 0)


def test_empty_dataset_is_all_undefined_not_zero():
    doc = builder("portfolio_status")(Dataset(as_of=AS_OF), context())
    figures = {f.key: f.value for f in doc.figures}
    assert (figures["projects"], figures["red"]) == (0, 0)
    assert (figures["pct_complete"], figures["spi"], figures["cpi"]) == (None, None, None)
    assert doc.section("portfolio_totals").rows[0]["pct_complete_effort"] is None
    assert doc.section("projects").rows == ()
    assert doc.trend["burn"] == {}
    assert not any(c.key.startswith("burn_") for c in doc.charts)
    assert [r["portfolio"] for r in doc.section("portfolios").rows] == ["All projects"]


def test_forecasts_section_names_each_eac_and_the_baseline_for_the_files_only(doc):
    section = doc.section("forecasts")
    assert section.detail  # the files hold it; the HTML page only names it
    apollo = next(r for r in section.rows if r["project"] == "Apollo")
    # by hand: EAC(CPI) 1000 / (625/700) = 1120; EAC(budget rate) 700 + (1000 - 625) = 1075;
    # EAC(CPI x SPI) 700 + 375 / ((625/700) x 0.625) = 700 + 672 = 1372. Earned schedule 7 of
    # AT 11 working days, IEAC(t) 10 / (7/11) = 110/7; the plan ends 03-13; the forecast
    # 03-23 is 6 working days before the due date 03-31 (03-24..03-31).
    assert {k: apollo[k] for k in (
        "baseline", "baseline_set", "bac_source", "eac_cpi", "eac_budget_rate", "eac_cpi_spi",
        "es_days", "at_days", "ieac_days", "planned_finish", "finish_kind", "forecast_slip_days",
    )} == pytest.approx({
        "baseline": "no baseline", "baseline_set": None, "bac_source": "budget",
        "eac_cpi": 1120.0, "eac_budget_rate": 1075.0, "eac_cpi_spi": 1372.0, "es_days": 7.0,
        "at_days": 11.0, "ieac_days": 110 / 7, "planned_finish": "2026-03-13",
        "finish_kind": "due date", "forecast_slip_days": -6,
    })  # fmt: skip
    from pmosync.reports.render import render_files

    files = {f.name.rsplit(".", 1)[-1]: f.content for f in render_files(doc, ["html", "json"])}
    page = files["html"].decode("utf-8")
    assert "In the XLSX and CSV files only: Forecasts and baselines." in page
    assert "EAC (AC + BAC - EV)" not in page  # its table is not in the page
    assert '"key": "forecasts"' in files["json"].decode("utf-8")


def test_a_baselined_project_says_which_baseline_and_when():
    from pmosync.reports.dataset import BaselineRow, BaselineTaskRow

    data = dataset()
    baseline = BaselineRow(
        "p1",
        "Plan v2",
        datetime(2026, 3, 3, 9, 30, tzinfo=UTC),
        "command",
        start_date=d(3, 1),
        finish_date=d(3, 31),
        tasks=tuple(
            BaselineTaskRow(t.id, t.name, "milestone" if t.is_milestone else "work",
                            t.start_date, t.due_date, t.estimate_hours)
            for t in data.tasks
            if t.project_id == "p1"
        ),
    )  # fmt: skip
    data.baselines = {"p1": baseline}
    doc = builder("portfolio_status")(data, context())
    apollo = next(r for r in doc.section("projects").rows if r["project"] == "Apollo")
    borealis = next(r for r in doc.section("projects").rows if r["project"] == "Borealis")
    assert apollo["baseline"] == "Plan v2 (set 2026-03-03)"
    assert borealis["baseline"] == "no baseline (today's plan)"
    forecast = next(r for r in doc.section("forecasts").rows if r["project"] == "Apollo")
    assert (forecast["baseline"], forecast["baseline_set"]) == ("Plan v2", "2026-03-03")


def test_the_teams_card_carries_the_portfolio_indices(doc):
    from pmosync.reports.delivery.card import MAX_FACTS, adaptive_card

    card = adaptive_card(doc, None)["attachments"][0]["content"]
    facts = next(item["facts"] for item in card["body"] if item["type"] == "FactSet")
    titles = [fact["title"] for fact in facts]
    assert len(facts) == len(doc.figures) == 11 < MAX_FACTS
    # the headline figures reach % complete and both bases' SPI and CPI, rounded for
    # people: 625/1000 -> 0.63 (half up), 625/700 -> 0.89, 62.5 %
    shown = dict(zip(titles, (fact["value"] for fact in facts), strict=True))
    assert (shown["SPI (EUR)"], shown["CPI (EUR)"]) == ("0.63", "0.89")
    assert shown["% complete (weighted by effort: BACs in several currencies or bases)"] == "62.5%"


# --- the executive summary -----------------------------------------------------------------


def test_every_section_shows_at_most_eight_columns_in_html(doc):
    for section in doc.sections:
        shown = [c.key for c in section.columns if not c.detail]
        assert len(shown) <= HTML_COLUMNS == 8, (section.key, shown)


def test_the_executive_summary_comes_first(doc):
    assert [s.key for s in doc.sections[:3]] == ["rag_summary", "status_updates", "projects"]


def test_what_changed_against_a_hand_built_previous_report():
    data = dataset()
    data.raid_items = [
        # raised in the period (03-10 .. 03-16), open, score 4 x 5 = 20 >= 15: a new top risk
        RaidRow("r1", "p1", "risk", "Vendor may fold", "open", raised_on=d(3, 12),
                probability=4, impact=5, score=20, source_url=URL + "r1"),
        # raised in the period but 3 x 3 = 9: not a top risk
        RaidRow("r2", "p1", "risk", "Minor delay", "open", raised_on=d(3, 12), score=9),
        # a top score, but raised before the period: not new
        RaidRow("r3", None, "risk", "Old risk", "open", raised_on=d(3, 1), score=25),
        # open decision due 03-20, 4 days after the report date (within 7): due soon
        RaidRow("r4", None, "decision", "Approve go-live", "open", raised_on=d(3, 1),
                due_date=d(3, 20), source_url=URL + "r4"),
        # open decision due in 30 days, raised before the period: not needed this period
        RaidRow("r5", "p2", "decision", "Pick a vendor", "open", raised_on=d(3, 1),
                due_date=d(4, 15)),
        # closed decision: nothing needed
        RaidRow("r6", "p1", "decision", "Closed one", "closed", raised_on=d(3, 12)),
    ]  # fmt: skip
    previous = TrendPoint(
        "2026-03-09",
        {
            # Apollo was amber and is red now; Borealis stays red; Cygnus stays blue
            "project_rag": {"p1": "amber", "p2": "red", "p3": "blue"},
            # Launch was due Tuesday 03-17, now Friday 03-20: 03-18, 03-19, 03-20 = 3 working
            # days later; Design review has not moved
            "milestones": {"m1": "2026-03-12", "m2": "2026-03-17"},
        },
    )
    doc = builder("portfolio_status")(data, context((previous,)))
    assert doc.highlights == (
        Highlight(
            "Apollo turned red (was amber): SPI(t) 0.64 below 0.80; schedule slip 37.5% at or "
            "above 25%; 1 overdue milestone (amber from 1); CPI 0.89 below 0.95",
            "red",
            URL + "p1",
        ),
        Highlight(
            "Apollo: milestone Launch slipped 3 working days to 2026-03-20 "
            "(was 2026-03-17 in the previous report)",
            "amber",
            URL + "m2",
        ),
        Highlight("New top risk (score 20): Vendor may fold (Apollo)", "red", URL + "r1"),
        Highlight(
            "Decision needed: Approve go-live (portfolio-wide), due 2026-03-20 (due soon)",
            "amber",
            URL + "r4",
        ),
        Highlight("Apollo: milestone Kick-off completed on 2026-03-11", "green", URL + "m3"),
    )
    assert doc.previous_as_of == "2026-03-09"
    apollo = next(r for r in doc.section("projects").rows if r["project"] == "Apollo")
    assert apollo["next_milestone_shown"] == (
        "Launch, due 2026-03-20 (3 working days later than the previous report)"
    )
    assert (apollo["next_milestone_slip_days"], apollo["next_milestone_slip_against"]) == (
        3,
        "previous report",
    )


def test_a_milestone_new_to_the_comparison_slips_against_its_baseline():
    from pmosync.reports.dataset import BaselineRow, BaselineTaskRow

    data = dataset()
    # Launch baselined for Monday 03-16 (the report date: not overdue yet), due Friday 03-20
    # today: 03-17 .. 03-20 = 4 working days later
    data.baselines = {
        "p1": BaselineRow(
            "p1",
            "Plan v1",
            datetime(2026, 3, 1, tzinfo=UTC),
            "command",
            tasks=(BaselineTaskRow("m2", "Launch", "milestone", None, d(3, 16), None),),
        )
    }
    # Cygnus was amber and is blue (on hold): neither red nor green, no line; a project the
    # previous report did not know (p9) is ignored
    previous = TrendPoint(
        "2026-03-09", {"project_rag": {"p3": "amber", "p9": "red"}, "milestones": {}}
    )
    doc = builder("portfolio_status")(data, context((previous,)))
    texts = [h.text for h in doc.highlights]
    assert texts == [
        "Apollo: milestone Launch slipped 4 working days to 2026-03-20 (was baseline 2026-03-16)",
        "Apollo: milestone Kick-off completed on 2026-03-11",
    ]
    apollo = next(r for r in doc.section("projects").rows if r["project"] == "Apollo")
    assert apollo["next_milestone_shown"] == (
        "Launch, due 2026-03-20 (4 working days later than the baseline)"
    )


def test_a_first_run_has_no_change_and_says_so():
    doc = builder("portfolio_status")(dataset(), context())
    assert doc.previous_as_of is None
    assert all(f.change is None for f in doc.figures)
    assert doc.highlights[0] == Highlight(
        "First report: no earlier report to compare with, so changes since the previous "
        "report show from the next one."
    )
    # what needs no earlier report is still there: the milestone completed this period
    assert [h.text for h in doc.highlights[1:]] == [
        "Apollo: milestone Kick-off completed on 2026-03-11"
    ]
    summary = doc.section("rag_summary")
    assert summary.note.startswith("First report: no earlier report to compare with")
    assert all(r["computed_change"] is None for r in summary.rows)
    # a trend needs two report dates: no "over time" chart on a first run
    keys = [c.key for c in doc.charts]
    # (the S-curves are drawn from dated data, not earlier reports: there from the first run)
    assert keys == ["rag_distribution", "throughput", "scurve_money_eur", "scurve_hours"]


def test_a_run_after_one_with_the_same_facts_says_no_change():
    data = dataset()
    data.tasks = [t for t in data.tasks if t.id != "m3"]  # no milestone completed this period
    first = builder("portfolio_status")(data, context())
    again = builder("portfolio_status")(data, context((TrendPoint("2026-03-09", first.trend),)))
    assert again.highlights == (Highlight("No change since the report of 2026-03-09."),)
    assert {f.key: f.change for f in again.figures}["red"] == 0


def test_old_snapshots_without_the_new_facts_or_with_odd_ones_break_nothing():
    odd = TrendPoint(
        "2026-03-09",
        {"project_rag": ["p1"], "milestones": {"m2": 20260317, "m1": "not a date"},
         "rag_computed": {"red": "two"}, "indices": "none"},
    )  # fmt: skip
    doc = builder("portfolio_status")(dataset(), context((odd,)))
    assert [h.text for h in doc.highlights] == [
        "Apollo: milestone Kick-off completed on 2026-03-11"
    ]
    assert {f.key: f.change for f in doc.figures}["red"] is None


def test_latest_status_updates_are_cards_red_first_then_newest(doc):
    section = doc.section("status_updates")
    assert (section.layout, section.empty) == (
        "cards",
        "No project has posted a status update by the report date.",
    )
    assert [c.key for c in section.columns if not c.detail][-1] == "excerpt"
    # Apollo's latest on or before 03-16 is 03-10 (not 03-03); Borealis' 03-17 update is
    # after the report date; Cygnus (blue) sorts after green
    assert [
        (r["project"], r["rag"], r["title"], r["author"], r["posted"], r["text"])
        for r in section.rows
    ] == [
        ("Apollo", "green", "Week 10", "Ann Lee", "2026-03-10", "Design signed off."),
        ("Cygnus", "blue", None, None, "2026-03-15", "Paused until the budget round."),
    ]


def test_a_long_status_text_is_cut_in_html_and_whole_in_the_files():
    data = dataset()
    words = "word " * 200  # 1,000 characters
    data.status_updates = [StatusRow("p2", at(3, 12), "red", text=words)]
    doc = builder("portfolio_status")(data, context())
    [row] = doc.section("status_updates").rows
    assert row["text"] == words
    # cut at the last space within 600 characters: 119 words of 5 characters + "word"
    assert row["excerpt"] == "word " * 119 + "word … (full text in the XLSX and CSV)"


def test_empty_sections_say_one_line():
    doc = builder("portfolio_status")(Dataset(as_of=AS_OF), context())
    assert doc.section("costs").rows == ()
    assert doc.section("costs").empty == "No expenses, invoices or labour cost entries to date."
    assert doc.section("status_updates").empty is not None
    assert doc.section("milestones").empty is not None


def test_charts_say_what_their_axis_counts(doc):
    types = {c.key: c.y_type for c in doc.charts}
    assert types == {
        "rag_distribution": "int",
        "rag_history": "int",
        "pct_complete_trend": "percent",
        "scurve_money_eur": "money",
        "scurve_hours": "hours",
        "throughput": "int",
    }
