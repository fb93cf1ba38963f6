"""Portfolio roll-ups over a hand-built dataset: a project in two portfolios counts in both, one
in none rolls up under "(no portfolio)", PV/EV/AC add up only within a basis, and governance
findings come from the real governance checks (counted by hand below)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from pmosync.config.models import Resources
from pmosync.config.reports import GovernanceRules, ReportRules
from pmosync.reports.dataset import (
    BudgetRow,
    CostRow,
    Dataset,
    PortfolioRow,
    ProjectRow,
    StatusRow,
    TaskRow,
    TimeRow,
)
from pmosync.reports.metrics.portfolio import (
    NO_PORTFOLIO,
    by_project,
    portfolio_metrics,
)

AS_OF = date(2026, 3, 16)


def d(month: int, day: int) -> date:
    return date(2026, month, day)


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, 0)


def dataset() -> Dataset:
    """Four projects; the figures each must give are worked out in the tests."""
    return Dataset(
        as_of=AS_OF,
        portfolios=[
            PortfolioRow("pf-b", "asana", "Beta", "https://asana/pf-b"),
            PortfolioRow("pf-a", "asana", "Alpha", "https://asana/pf-a"),
        ],
        projects=[
            ProjectRow(
                "p4",
                "asana",
                "Draco",
                owner_id="u1",
                status="on_hold",
                start_date=d(3, 1),
                due_date=d(4, 30),
                portfolio_ids=("pf-x",),  # a portfolio outside the report: counts as none
            ),
            ProjectRow(
                "p1",
                "asana",
                "Apollo",
                owner_id="u1",
                start_date=d(3, 1),
                due_date=d(3, 31),
                portfolio_ids=("pf-a", "pf-b"),
            ),
            ProjectRow("p2", "asana", "Borealis", rag="amber", portfolio_ids=("pf-a",)),
            ProjectRow(
                "p3",
                "asana",
                "Cygnus",
                owner_id="u1",
                status="completed",
                start_date=d(2, 1),
                due_date=d(2, 28),
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
            ),
            TaskRow("m1", "p1", "Go-live", is_milestone=True, due_date=d(3, 12)),
            TaskRow(
                "t3",
                "p2",
                "Survey",
                estimate_hours=8,
                start_date=d(3, 9),
                due_date=d(3, 16),
                percent_complete=50,
                assignee_ids=("u2",),
            ),
            TaskRow("m2", "p2", "Sign-off", is_milestone=True),
            TaskRow(
                "t4",
                "p3",
                "Close",
                estimate_hours=20,
                start_date=d(2, 1),
                due_date=d(2, 28),
                status="done",
                completed_at=at(3, 1),
            ),
        ],
        time_entries=[
            TimeRow("u1", "p1", d(3, 2), 120),
            TimeRow("u2", "p2", d(3, 10), 240),
            TimeRow("u2", "p2", d(3, 17), 60),  # after as_of
            TimeRow("u1", "p3", d(2, 20), 600),
        ],
        budgets=[
            BudgetRow("p1", Decimal("1000"), "money", "EUR"),
            BudgetRow("p3", Decimal("100"), "hours"),
            BudgetRow("p4", Decimal("2000"), "money", "USD"),
        ],
        costs=[CostRow("p1", d(3, 5), Decimal("500"), "EUR", "expense")],
        status_updates=[
            StatusRow("p1", at(3, 10), "green"),
            StatusRow("p3", at(2, 28), "complete"),
            StatusRow("p4", at(3, 14), "amber"),
        ],
    )


# Per project, by hand (as_of 2026-03-16, default rules):
# Apollo (Alpha, Beta): work t1 (10 h, done), t2 (30 h, 50 %): count 1/2, effort 25/40 h.
#   Both past due -> planned 100 %, earned 62.5 %; BAC 1000 EUR: PV 1000, EV 625,
#   AC 500 (the 2 h logged have no rate). Slip 37.5 % red, 1 overdue milestone amber -> red;
#   reported green: disagree. Governance: t2 overdue without assignee -> 1 finding. 2 h logged.
# Borealis (Alpha): t3 (8 h, 50 %, due today -> planned 100 %); no budget: BAC 8 h of
#   estimates: PV 8, EV 4, AC 4 h (the 1 h on 03-17 is after as_of). Slip 50 % red, no update
#   amber -> red; reported amber (its own field): disagree. Governance: owner, dates, budget,
#   status update, undated milestone m2 -> 5 findings. Count 0/1, effort 4/8 h. 4 h logged.
# Cygnus (none): completed -> computed complete, reported complete. Hours budget 100:
#   PV 100, EV 100, AC 10 h. Exempt from governance. Count 1/1, effort 20/20 h. 10 h logged.
# Draco (pf-x, not in the report -> none): on hold -> blue; reported amber: disagree.
#   No tasks: PV/EV undefined, so it adds to no PV/EV/AC sum. Governance: nothing missing.
# Roll-up totals count active projects only (Apollo, Borealis): Cygnus (completed) and Draco (on
# hold) are listed and counted by RAG, but add nothing to % complete, PV/EV/AC or hours.


def test_portfolios_count_shared_projects_in_each_and_orphans_under_no_portfolio():
    metrics, rollups, overall = portfolio_metrics(dataset(), ReportRules(), Resources())
    assert [m.project.name for m in metrics] == ["Apollo", "Borealis", "Cygnus", "Draco"]
    alpha, beta, orphans = rollups
    assert [r.name for r in rollups] == ["Alpha", "Beta", NO_PORTFOLIO]
    assert (alpha.portfolio_id, alpha.url) == ("pf-a", "https://asana/pf-a")
    assert (alpha.projects, beta.projects, orphans.projects, overall.projects) == (2, 1, 2, 4)
    assert orphans.portfolio_id is None


def test_rag_counts_and_disagreements():
    _, (alpha, beta, orphans), overall = portfolio_metrics(dataset(), ReportRules(), Resources())
    nothing = {"green": 0, "amber": 0, "red": 0, "blue": 0, "complete": 0}
    assert alpha.computed == {**nothing, "red": 2, "none": 0}
    assert alpha.reported == {**nothing, "green": 1, "amber": 1, "none": 0}
    assert beta.computed == {**nothing, "red": 1, "none": 0}
    assert orphans.computed == {**nothing, "blue": 1, "complete": 1, "none": 0}
    assert orphans.reported == {**nothing, "amber": 1, "complete": 1, "none": 0}
    assert overall.computed == {**nothing, "red": 2, "blue": 1, "complete": 1, "none": 0}
    # Apollo, Borealis and Draco disagree; Cygnus agrees
    assert (alpha.disagreements, beta.disagreements, orphans.disagreements) == (2, 1, 1)
    assert overall.disagreements == 3


def test_percent_complete_weighs_by_effort_and_counts_tasks():
    _, (alpha, beta, orphans), overall = portfolio_metrics(dataset(), ReportRules(), Resources())
    # Alpha: (25 + 4) / (40 + 8) h = 29/48; by count (1 + 0) / (2 + 1)
    assert alpha.pct_complete_effort == pytest.approx(29 / 48 * 100)
    assert alpha.pct_complete_count == pytest.approx(100 / 3)
    assert (beta.pct_complete_effort, beta.pct_complete_count) == pytest.approx((62.5, 50.0))
    # no portfolio: Cygnus (completed) and Draco (on hold) are in no total -> undefined, not 0
    assert (orphans.pct_complete_effort, orphans.pct_complete_count) == (None, None)
    assert (orphans.projects, orphans.in_totals) == (2, 0)
    # all: Apollo and Borealis only: (25 + 4) / (40 + 8) = 29/48; count (1 + 0) / (2 + 1)
    assert overall.pct_complete_effort == pytest.approx(29 / 48 * 100)
    assert overall.pct_complete_count == pytest.approx(100 / 3)
    assert (overall.projects, overall.in_totals) == (4, 2)
    # BAC-weighted where BACs add up: Beta holds Apollo alone, EV 625 of BAC 1000 EUR = 62.5 %.
    # Alpha and all mix EUR and hours: no sum of BACs, so the effort-weighted 29/48.
    assert (beta.pct_complete, beta.pct_complete_weighting) == (62.5, "bac")
    assert alpha.pct_complete == pytest.approx(29 / 48 * 100)
    assert (alpha.pct_complete_weighting, overall.pct_complete_weighting) == ("effort", "effort")
    assert (orphans.pct_complete, orphans.pct_complete_weighting) == (None, None)


def test_earned_value_adds_up_within_one_basis_only():
    _, (alpha, beta, orphans), overall = portfolio_metrics(dataset(), ReportRules(), Resources())
    money, hours = alpha.totals
    assert (money.basis, money.currency, money.projects) == ("money", "EUR", 1)
    assert (money.pv, money.ev, money.ac) == pytest.approx((1000.0, 625.0, 500.0))
    # Apollo's 2 h have no rate: AC covers 0 % of its hours, below the 80 % minimum, so its
    # CPI is withheld and the sum's CPI leaves it out (none left: undefined, not 625 / 500)
    assert (money.spi, money.cpi, money.costed, money.withheld) == (0.625, None, 0, 1)
    assert money.key == "money:EUR"
    assert (hours.basis, hours.currency, hours.key) == ("hours", None, "hours")
    assert (hours.pv, hours.ev, hours.ac, hours.spi, hours.cpi) == pytest.approx(
        (8.0, 4.0, 4.0, 0.5, 1.0)
    )
    assert [t.key for t in beta.totals] == ["money:EUR"]
    # no portfolio: Cygnus (100 / 100 / 10 h) is completed and Draco on hold: no sums at all
    assert orphans.totals == ()
    # all projects, hours: Borealis alone (Cygnus is completed) = PV 8, EV 4, AC 4
    money, hours = overall.totals
    assert (hours.projects, hours.pv, hours.ev, hours.ac) == (1, 8.0, 4.0, 4.0)
    assert (hours.spi, hours.cpi) == pytest.approx((0.5, 1.0))
    # the BAC-weighted % of each group: EV / BAC = 625 / 1000 EUR and 4 / 8 h
    assert (money.bac, money.pct_complete, hours.bac, hours.pct_complete) == (
        1000.0,
        62.5,
        8.0,
        50.0,
    )


def test_milestones_governance_and_hours():
    _, (alpha, beta, orphans), overall = portfolio_metrics(dataset(), ReportRules(), Resources())
    assert (alpha.overdue_milestones, beta.overdue_milestones, orphans.overdue_milestones) == (
        1,
        1,
        0,
    )
    # Apollo 1 + Borealis 5 = 6; Beta holds Apollo only; the orphans have none
    assert (alpha.governance_findings, beta.governance_findings) == (6, 1)
    assert (orphans.governance_findings, overall.governance_findings) == (0, 6)
    # 2 + 4 h; 2 h; Cygnus' 10 h are on a completed project: 0; all 2 + 4 = 6 h
    assert (alpha.hours_logged, beta.hours_logged, orphans.hours_logged) == (6.0, 2.0, 0.0)
    assert overall.hours_logged == 6.0


def test_governance_follows_the_report_rules():
    rules = ReportRules(governance=GovernanceRules(checks=["owner"]))
    _, (alpha, *_), overall = portfolio_metrics(dataset(), rules, Resources())
    # only "no owner" runs: Borealis alone has none
    assert (alpha.governance_findings, overall.governance_findings) == (1, 1)


def test_project_notes_say_what_was_left_out():
    metrics, _, _ = portfolio_metrics(dataset(), ReportRules(), Resources())
    apollo = metrics[0]
    # its budget is the current one (no baseline); its 2 h have no rate (AC covers 0 % of its
    # hours, below 80 %: cost figures withheld) and no task (they earn nothing)
    assert apollo.earned_value.notes == (
        "no baseline budget: BAC is the current budget",
        "2.0 h logged without an hourly rate: left out of AC",
        "CPI, CV, EAC, ETC, VAC and TCPI withheld: AC covers 0.0 % of logged hours, below the "
        "80 % minimum",
        "2.0 h logged on work that earns no value (no task, parent tasks, milestones), costing "
        "0.00 EUR: in AC, not in EV",
    )
    assert {"schedule slip 37.5% at or above 25%", "1 overdue milestone (amber from 1)"} <= set(
        apollo.rag.reasons
    )


def test_by_project_groups_in_order():
    rows = dataset().time_entries
    grouped = by_project(rows)
    assert {k: [r.minutes for r in v] for k, v in grouped.items()} == {
        "p1": [120],
        "p2": [240, 60],
        "p3": [600],
    }


def weighted_dataset(q_currency: str = "EUR") -> Dataset:
    """Four projects in one portfolio, every task planned 03-01..03-10 (all planned by as_of):
    P active, BAC 9000 EUR, one 10 h task 50 % done; Q active, BAC 1000 (q_currency), one 30 h
    task done; R completed, BAC 5000 EUR, one 20 h task done; S on hold, BAC 2000 EUR, one 10 h
    task not started. No time or cost: AC 0 everywhere."""
    dates = {"start_date": d(3, 1), "due_date": d(3, 10)}
    projects = [("p", "P", "active"), ("q", "Q", "active"), ("r", "R", "completed"),
                ("s", "S", "on_hold")]  # fmt: skip
    tasks = [
        TaskRow("tp", "p", "Half", estimate_hours=10, status="in_progress",
                percent_complete=50, **dates),
        TaskRow("tq", "q", "Done", estimate_hours=30, status="done", completed_at=at(3, 9),
                **dates),
        TaskRow("tr", "r", "Done", estimate_hours=20, status="done", completed_at=at(3, 9),
                **dates),
        TaskRow("ts", "s", "Paused", estimate_hours=10, **dates),
    ]  # fmt: skip
    return Dataset(
        as_of=AS_OF,
        portfolios=[PortfolioRow("pf", "asana", "Main")],
        projects=[
            ProjectRow(pid, "asana", name, status=status, portfolio_ids=("pf",), **dates)
            for pid, name, status in projects
        ],
        tasks=tasks,
        budgets=[
            BudgetRow("p", Decimal("9000"), "money", "EUR"),
            BudgetRow("q", Decimal("1000"), "money", q_currency),
            BudgetRow("r", Decimal("5000"), "money", "EUR"),
            BudgetRow("s", Decimal("2000"), "money", "EUR"),
        ],
    )


def test_percent_complete_of_active_projects_is_weighted_by_bac():
    _, (main,), overall = portfolio_metrics(weighted_dataset(), ReportRules(), Resources())
    # by hand, P and Q only (R completed, S on hold): EV = 9000 x 50 % + 1000 x 100 % = 5500
    # of BAC 10000 -> 55 %. Weighted by effort it would be (5 + 30) / (10 + 30) = 87.5 %: the
    # small-budget project Q would count three times P.
    for total in (main, overall):
        assert (total.pct_complete, total.pct_complete_weighting) == pytest.approx((55.0, "bac"))
        assert total.pct_complete_effort == 87.5
        assert (total.projects, total.in_totals) == (4, 2)
        (eur,) = total.totals
        assert (eur.projects, eur.bac, eur.ev, eur.pv) == (2, 10000.0, 5500.0, 10000.0)
    # every project is still counted by RAG: R complete, S blue
    assert (main.computed["complete"], main.computed["blue"]) == (1, 1)


def test_rollup_statuses_brings_other_projects_into_the_totals():
    rules = ReportRules(rollup_statuses=["active", "completed"])
    _, (main,), _ = portfolio_metrics(weighted_dataset(), rules, Resources())
    # P, Q and R: EV 4500 + 1000 + 5000 = 10500 of BAC 15000 -> 70 %; S (on hold) still out
    assert (main.pct_complete, main.pct_complete_weighting, main.in_totals) == pytest.approx(
        (70.0, "bac", 3)
    )
    # effort (5 + 30 + 20) / (10 + 30 + 20) = 55/60
    assert main.pct_complete_effort == pytest.approx(55 / 60 * 100)


def test_bacs_in_several_currencies_fall_back_to_effort_weighting():
    _, (main,), _ = portfolio_metrics(weighted_dataset("USD"), ReportRules(), Resources())
    # P in EUR and Q in USD: 9000 EUR + 1000 USD is no sum, so (5 + 30) / (10 + 30) h = 87.5 %
    assert (main.pct_complete, main.pct_complete_weighting) == (87.5, "effort")
    eur, usd = main.totals  # each currency still has its own BAC-weighted %
    assert (eur.currency, eur.pct_complete, usd.currency, usd.pct_complete) == (
        "EUR",
        50.0,
        "USD",
        100.0,
    )
