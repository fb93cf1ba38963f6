"""Earned value against figures worked out by hand, in every basis: a money budget (with costs
and rates in other currencies left out and noted), an hours budget, estimates, and none.

The plan runs Monday 2026-03-02 to Friday 03-06 and the report is dated Wednesday 03-04, so
planned % is the same counted in calendar days or in working days (3 of 5). Coverage, budget
precedence, rate cards and the EAC variants are in test_metrics_cost.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pmosync.config.models import Resources
from pmosync.reports.dataset import BudgetRow, CostRow, PersonRow, TaskRow, TimeRow
from pmosync.reports.metrics.earned_value import earned_value
from pmosync.reports.metrics.progress import parent_ids, project_progress

AS_OF = date(2026, 3, 4)
PEOPLE = {
    "alice": PersonRow("alice", "Alice", "alice@example.com"),
    "bob": PersonRow("bob", "Bob", "bob@example.com"),
}
# The 10 h task over 2026-03-02 .. 03-06, 40 % done: on 03-04 (day 3 of 5) planned 60 %,
# earned 40 %.
TEN_DAY_TASK = TaskRow(
    id="t",
    project_id="p",
    name="Build",
    estimate_hours=10,
    start_date=date(2026, 3, 2),
    due_date=date(2026, 3, 6),
    percent_complete=40,
)
NOT_STARTED = TaskRow(
    id="n",
    project_id="p",
    name="Plan",
    estimate_hours=10,
    start_date=date(2026, 3, 2),
    due_date=date(2026, 3, 6),
)
TIME = [
    TimeRow("alice", "p", date(2026, 3, 2), 120, "t"),  # 2 h
    TimeRow("bob", "p", date(2026, 3, 3), 90, "t"),  # 1.5 h
    TimeRow("alice", "p", date(2026, 3, 7), 60, "t"),  # after as_of: ignored
]
COSTS = [
    CostRow("p", date(2026, 3, 2), Decimal("100"), "EUR", "expense"),
    CostRow("p", date(2026, 3, 4), Decimal("50"), "eur", "invoice"),  # lower case is EUR
    CostRow("p", date(2026, 3, 3), Decimal("30"), "USD", "expense"),  # not converted
    CostRow("p", date(2026, 3, 7), Decimal("999"), "EUR", "expense"),  # after as_of
]
EUR_1000 = [BudgetRow("p", Decimal("1000"), "money", "EUR")]


def rates(**fields) -> Resources:
    return Resources.model_validate({"hourly_rates": fields})


def value_of(tasks, budgets, costs=(), time=(), resources=None, as_of=AS_OF):
    progress = project_progress(tasks, parent_ids(tasks), as_of, 7)
    return earned_value(progress, budgets, costs, time, as_of, resources or Resources(), PEOPLE)


def test_money_budget_with_costs_and_rated_time():
    resources = rates(currency="EUR", default="40", people={"alice@example.com": "50"})
    ev = value_of([TEN_DAY_TASK], EUR_1000, COSTS, TIME, resources)
    assert (ev.basis, ev.currency, ev.bac_source) == ("money", "EUR", "budget")
    # BAC 1000; PV = 1000 x 60 % = 600; EV = 1000 x 40 % = 400
    assert (ev.bac, ev.pv, ev.ev) == pytest.approx((1000.0, 600.0, 400.0))
    # AC = 100 + 50 (EUR costs to as_of) + 2 h x 50 (alice) + 1.5 h x 40 (bob, default) = 310
    assert ev.ac == pytest.approx(310.0)
    assert ev.sv == pytest.approx(-200.0)  # 400 - 600
    assert ev.cv == pytest.approx(90.0)  # 400 - 310
    assert ev.spi == pytest.approx(400 / 600)
    assert ev.cpi == pytest.approx(400 / 310)
    assert ev.eac == pytest.approx(775.0)  # 1000 / (400/310) = 1000 x 310 / 400
    assert ev.etc == pytest.approx(465.0)  # 775 - 310
    assert ev.vac == pytest.approx(225.0)  # 1000 - 775
    assert ev.slip_pct == pytest.approx(100 / 3)  # (600 - 400) / 600
    # budget vs actual: 1000 - 310 = 690 left, 31 % spent
    assert (ev.budget, ev.remaining, ev.spent_pct) == pytest.approx((1000.0, 690.0, 31.0))
    # every logged hour got a rate (coverage 100 %), but the USD entry is missing: AC is
    # labelled partial, not withheld (issue 16: cost figures never shown as if complete)
    assert (ev.ac_coverage_pct, ev.ac_partial, ev.ac_withheld) == (100.0, True, False)
    assert ev.notes == (
        "no baseline budget: BAC is the current budget",
        "1 cost entry in USD (30.00) not converted to EUR: left out of AC",
        "AC partial: 100.0 % of logged hours costed, 1 cost entry left out",
    )


def test_time_without_a_rate_is_left_out_and_noted():
    # only alice has a rate and there is no default: bob's 1.5 h cannot be costed
    resources = rates(currency="EUR", people={"alice@example.com": "50"})
    ev = value_of([TEN_DAY_TASK], EUR_1000, COSTS, TIME, resources)
    assert ev.ac == pytest.approx(250.0)  # 100 + 50 + 2 h x 50
    assert "1.5 h logged without an hourly rate: left out of AC" in ev.notes
    # 2 of 3.5 h costed = 57.1 %, below the default minimum of 80 %: the cost figures are
    # withheld (before issue 16 they were shown as if AC were complete)
    assert ev.ac_coverage_pct == pytest.approx(2 / 3.5 * 100)
    assert (ev.cpi, ev.cv, ev.eac, ev.etc, ev.vac, ev.tcpi) == (None,) * 6

    none = value_of([TEN_DAY_TASK], EUR_1000, (), TIME)  # no rates configured at all
    assert none.ac == 0.0  # 2 + 1.5 h uncosted, no cost entries
    assert none.notes == (
        "no baseline budget: BAC is the current budget",
        "3.5 h logged without an hourly rate: left out of AC",
        "CPI, CV, EAC, ETC, VAC and TCPI withheld: AC covers 0.0 % of logged hours, below "
        "the 80 % minimum",
    )
    # coverage 0 %: CV (400 - 0) is withheld too, where it used to read as a 400 underrun
    assert (none.cpi, none.cv, none.eac, none.etc, none.vac) == (None,) * 5


def test_rates_in_another_currency_are_not_converted():
    resources = rates(currency="USD", default="40")
    ev = value_of([TEN_DAY_TASK], EUR_1000, [], TIME, resources)
    assert ev.ac == 0.0
    assert ev.notes[1] == "3.5 h logged at rates in USD, not EUR: left out of AC"
    assert ev.ac_coverage_pct == 0.0  # none of the 3.5 h got a rate in EUR


def test_hours_budget_measures_logged_hours():
    budgets = [BudgetRow("p", Decimal("100"), "hours")]
    resources = rates(currency="EUR", default="40")  # rates do not matter in hours
    ev = value_of([TEN_DAY_TASK], budgets, COSTS, TIME, resources)
    assert (ev.basis, ev.currency) == ("hours", None)
    # PV 100 x 60 % = 60 h, EV 40 h, AC = 2 + 1.5 h logged to as_of = 3.5 h
    assert (ev.pv, ev.ev, ev.ac) == pytest.approx((60.0, 40.0, 3.5))
    assert ev.cpi == pytest.approx(40 / 3.5)
    assert ev.eac == pytest.approx(8.75)  # 100 / (40/3.5) = 100 x 3.5 / 40
    assert (ev.remaining, ev.spent_pct) == pytest.approx((96.5, 3.5))
    # the three money cost entries to as_of (100 EUR, 50 EUR, 30 USD) cannot join hours: AC
    # is complete in hours (coverage 100 %) but labelled partial
    assert (ev.ac_coverage_pct, ev.ac_partial) == (100.0, True)
    assert ev.notes == (
        "no baseline budget: BAC is the current budget",
        "3 cost entries in money not counted in an hours basis: left out of AC",
        "AC partial: 100.0 % of logged hours costed, 3 cost entries left out",
    )


def test_no_budget_falls_back_to_estimates():
    undated = TaskRow(id="u", project_id="p", name="Docs", estimate_hours=30)
    ev = value_of([TEN_DAY_TASK, undated], [], COSTS, TIME)
    # BAC = 10 + 30 estimated hours = 40 h. Issue 16: the undated task keeps its weight and
    # plans nothing before it is done (it used to drop out of planned and earned %):
    # PV = 10 h x 60 % = 6 h, EV = 10 h x 40 % = 4 h
    assert (ev.basis, ev.bac_source, ev.bac) == ("hours", "estimates", 40.0)
    assert (ev.pv, ev.ev, ev.ac) == pytest.approx((6.0, 4.0, 3.5))
    # estimates are no budget to overspend
    assert (ev.budget, ev.remaining, ev.spent_pct) == (None, None, None)
    assert ev.notes[0] == "no budget: BAC is the sum of task estimates (40.0 h)"


def test_no_budget_and_no_estimates_is_undefined():
    task = TaskRow(
        id="t", project_id="p", name="x", start_date=date(2026, 3, 1), due_date=date(2026, 3, 2)
    )
    ev = value_of([task], [], COSTS, TIME)
    assert ev.basis == "undefined"
    figures = (ev.bac, ev.pv, ev.ev, ev.ac, ev.sv, ev.cv, ev.spi, ev.cpi, ev.eac, ev.etc)
    assert figures == (None,) * 10
    assert (ev.vac, ev.slip_pct, ev.budget, ev.remaining, ev.spent_pct) == (None,) * 5
    assert ev.notes == ("no budget and no task estimates: earned value undefined",)


def test_nothing_planned_and_nothing_spent_is_undefined_not_zero():
    # as_of before the task starts and nothing done yet: PV 0, EV 0, AC 0
    ev = value_of([NOT_STARTED], EUR_1000, as_of=date(2026, 2, 20))
    assert (ev.pv, ev.ev, ev.ac, ev.sv, ev.cv) == (0.0, 0.0, 0.0, 0.0, 0.0)
    assert (ev.spi, ev.cpi, ev.eac, ev.etc, ev.vac, ev.slip_pct) == (None,) * 6
    assert (ev.remaining, ev.spent_pct) == (1000.0, 0.0)


def test_nothing_earned_with_costs_has_cpi_zero_and_no_eac():
    ev = value_of([NOT_STARTED], EUR_1000, COSTS[:2])
    # EV 0 / AC 150 = CPI 0; EAC = BAC / 0 is undefined, so are ETC and VAC
    assert ev.cpi == 0.0
    assert (ev.eac, ev.etc, ev.vac) == (None, None, None)
    assert ev.slip_pct == pytest.approx(100.0)  # (600 - 0) / 600


def test_budget_lines_add_up_and_other_currencies_are_noted():
    # Issue 16: only budgets that say they are lines add up; two whole budgets used to be
    # added too, which is how a budget stated twice was counted twice.
    budgets = [
        BudgetRow("p", Decimal("600"), "money", "EUR", "workbook", "CAPEX"),
        BudgetRow("p", Decimal("500"), "money", "USD", "workbook", "OPEX"),
        BudgetRow("p", Decimal("400"), "money", "eur", "workbook", "OPEX"),
        BudgetRow("p", Decimal("80"), "hours", None, "workbook"),  # a money budget wins
    ]
    ev = value_of([TEN_DAY_TASK], budgets)
    assert (ev.basis, ev.currency, ev.bac) == ("money", "EUR", 1000.0)  # 600 + 400
    assert ev.notes[:2] == (
        "workbook budget of 500.00 USD not converted to EUR: left out of the budget",
        "workbook budget of 80.00 h not converted to EUR: left out of the budget",
    )


def test_budget_without_due_dates_has_actuals_but_no_plan():
    undated = TaskRow(id="u", project_id="p", name="x", estimate_hours=5)
    ev = value_of([undated], EUR_1000, COSTS[:2])
    # no due date, no plan: PV and SPI undefined. Issue 16: the undated task still weighs in
    # and earns when done, so EV is 0 (not undefined) and CPI = 0 / 150 = 0
    assert (ev.pv, ev.ev, ev.spi, ev.cpi) == (None, 0.0, None, 0.0)
    assert ev.ac == pytest.approx(150.0)
    assert ev.spent_pct == pytest.approx(15.0)
