"""S-curves: cumulative PV, EV and AC per week end, worked by hand on a small project, and
equal at the report date to the report's own PV, EV and AC (the metric functions'), for a
project and for the portfolio's totals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from pmosync.config.models import Resources
from pmosync.config.reports import ReportRules
from pmosync.reports.dataset import (
    BaselineRow,
    BudgetRow,
    CostRow,
    Dataset,
    PersonRow,
    ProjectRow,
    TaskRow,
    TimeRow,
)
from pmosync.reports.metrics.calendar import PLAIN
from pmosync.reports.metrics.portfolio import portfolio_metrics
from pmosync.reports.metrics.scurve import (
    curve_dates,
    phase_projects,
    portfolio_curves,
    project_curve,
)
from pmosync.reports.metrics.weeks import week_end
from pmosync.store.baselines import PlannedTask

AS_OF = date(2026, 3, 25)  # a Wednesday
RESOURCES = Resources.model_validate({"hourly_rates": {"currency": "EUR", "default": 100}})


def d(month: int, day: int) -> date:
    return date(2026, month, day)


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 15, 0)


def work(task_id: str, status: str, start: date, due: date, hours: float, **more) -> TaskRow:
    """A work task of Apollo (p1), named as its id in capitals."""
    return TaskRow(
        task_id,
        "p1",
        task_id.upper(),
        status=status,
        start_date=start,
        due_date=due,
        estimate_hours=hours,
        **more,
    )


def small_project() -> Dataset:
    """Three work tasks over four weeks (Mon 2 March .. Fri 27 March), 100 estimated hours,
    a budget of 12,000 EUR (120 EUR per planned hour) and one rate, 100 EUR/h:

    A  2-6 March (5 working days), 40 h: 8 h a day;    done 6 March
    B  9-20 March (10 working days), 40 h: 4 h a day;  done 23 March (late)
    C  16-27 March (10 working days), 20 h: 2 h a day; 50 % done
    """
    return Dataset(
        as_of=AS_OF,
        projects=[ProjectRow("p1", "asana", "Apollo", start_date=d(3, 2), due_date=d(3, 27))],
        tasks=[
            work("a", "done", d(3, 2), d(3, 6), 40, completed_at=at(3, 6)),
            work("b", "done", d(3, 9), d(3, 20), 40, completed_at=at(3, 23)),
            work("c", "in_progress", d(3, 16), d(3, 27), 20, percent_complete=50),
            TaskRow("m", "p1", "Go live", is_milestone=True, due_date=d(3, 27)),
        ],
        budgets=[BudgetRow("p1", Decimal(12000), "money", "EUR")],
        time_entries=[
            TimeRow("u1", "p1", d(3, 4), 16 * 60, "a"),  # 1,600 EUR
            TimeRow("u1", "p1", d(3, 11), 8 * 60, "b"),  # 800
            TimeRow("u1", "p1", d(3, 18), 12 * 60, "c"),  # 1,200
            TimeRow("u1", "p1", d(3, 24), 4 * 60, "c"),  # 400
            TimeRow("u1", "p1", d(3, 26), 8 * 60, "c"),  # after as_of: not yet spent
        ],
        costs=[
            CostRow("p1", d(3, 10), Decimal(500), "EUR", "expense"),
            CostRow("p1", d(3, 12), Decimal(300), "USD", "invoice"),  # not converted: out
        ],
        people={"u1": PersonRow("u1", "Una", "una@example.com")},
    )


def test_week_ends_then_the_report_date_then_pv_to_the_planned_finish():
    assert week_end(d(3, 2)) == d(3, 8)
    assert week_end(d(3, 8)) == d(3, 8)
    assert curve_dates(d(3, 2), AS_OF, d(3, 27), None) == (
        d(3, 8), d(3, 15), d(3, 22), AS_OF, d(3, 29),
    )  # fmt: skip
    # a window of 2 weeks: the last two week ends before as_of, and at most two ahead
    assert curve_dates(d(1, 5), AS_OF, d(6, 30), 2) == (d(3, 15), d(3, 22), AS_OF, d(3, 29),
                                                         d(4, 5))  # fmt: skip
    # as_of on a Sunday is a week end once, not twice
    assert curve_dates(d(3, 2), d(3, 22), d(3, 27), None) == (d(3, 8), d(3, 15), d(3, 22),
                                                               d(3, 29))  # fmt: skip


def test_small_project_every_week_worked_by_hand():
    dataset = small_project()
    metrics, _, overall = portfolio_metrics(dataset, ReportRules(), RESOURCES, PLAIN)
    phased = phase_projects(dataset, metrics, RESOURCES, PLAIN)
    curve = project_curve(phased["p1"], weeks=None)
    assert curve is not None
    assert (curve.basis, curve.currency, curve.start) == ("money", "EUR", d(3, 2))
    assert curve.dates == (d(3, 8), d(3, 15), d(3, 22), AS_OF, d(3, 29))
    # PV, hours planned by each point x 120 EUR:
    #  8 Mar: A 40                          = 40 -> 4,800
    # 15 Mar: A 40 + B 5 days x 4 h         = 60 -> 7,200
    # 22 Mar: A 40 + B 40 + C 5 days x 2 h  = 90 -> 10,800
    # 25 Mar: + C Mon-Wed 3 x 2 h           = 96 -> 11,520
    # 29 Mar: everything                    = 100 -> 12,000
    assert curve.pv == pytest.approx((4800, 7200, 10800, 11520, 12000))
    # EV: past week ends count done tasks only (A done 6 Mar, B on Mon 23 Mar); the report
    # date adds C's 50 %: 40 + 40 + 0.5 x 20 = 90 h -> 10,800
    assert curve.ev[:4] == pytest.approx((4800, 4800, 4800, 10800))
    # AC: time at 100 EUR/h and the EUR expense by each point (the USD invoice left out):
    #  8 Mar: 16 h                    = 1,600
    # 15 Mar: + 8 h + 500 expense     = 2,900
    # 22 Mar: + 12 h                  = 4,100
    # 25 Mar: + 4 h                   = 4,500 (26 Mar's 8 h is after the report date)
    assert curve.ac[:4] == pytest.approx((1600, 2900, 4100, 4500))
    assert (curve.ev[4], curve.ac[4]) == (None, None)  # ahead of as_of: PV only
    # the report's own figures at as_of are the same
    value = metrics[0].earned_value
    assert (value.pv, value.ev, value.ac) == pytest.approx((11520, 10800, 4500))
    # PV and EV from the same curve and earned %, by the same arithmetic: the same floats
    assert (curve.pv[3], curve.ev[3]) == (value.pv, value.ev)
    assert curve.ac[3] == pytest.approx(value.ac)
    # the portfolio of one project is that project
    (total,) = portfolio_curves(phased, metrics, None)
    assert total.pv == curve.pv and total.ev == curve.ev and total.ac == curve.ac
    assert (total.pv[3], total.ev[3], total.ac[3]) == pytest.approx(
        (overall.totals[0].pv, overall.totals[0].ev, overall.totals[0].ac)
    )


def test_hours_basis_without_budget_logs_hours_by_week():
    """No budget: BAC is the 100 estimated hours and AC the hours logged by each point."""
    dataset = small_project()
    dataset.budgets = []
    metrics, _, _ = portfolio_metrics(dataset, ReportRules(), RESOURCES, PLAIN)
    curve = project_curve(phase_projects(dataset, metrics, RESOURCES, PLAIN)["p1"], None)
    assert curve is not None and (curve.basis, curve.currency) == ("hours", None)
    assert curve.pv == pytest.approx((40, 60, 90, 96, 100))
    assert curve.ev[:4] == pytest.approx((40, 40, 40, 90))
    assert curve.ac[:4] == pytest.approx((16, 24, 36, 40))  # 16, +8, +12, +4 hours


def test_baseline_phases_pv_and_unbaselined_work_earns_nothing():
    """Against a baseline that planned A and B only, a week later each: PV follows the
    baseline's dates, and C (added since) earns nothing. Baseline: A 9-13 March 40 h, B
    16-27 March 40 h; BAC 12,000 EUR over 80 h = 150 EUR per hour."""
    dataset = small_project()
    dataset.baselines = {
        "p1": BaselineRow(
            "p1", "Baseline", at(3, 1), "first_sync", d(3, 9), d(3, 27),
            tasks=(
                PlannedTask("a", "A", "work", d(3, 9), d(3, 13), 40),
                PlannedTask("b", "B", "work", d(3, 16), d(3, 27), 40),
            ),
        )
    }  # fmt: skip
    metrics, _, _ = portfolio_metrics(dataset, ReportRules(), RESOURCES, PLAIN)
    curve = project_curve(phase_projects(dataset, metrics, RESOURCES, PLAIN)["p1"], None)
    assert curve is not None and curve.start == d(3, 9)
    # PV: 15 Mar A 40 h; 22 Mar + B 5 of 10 days = 60 h; 25 Mar + 3 days x 4 h = 72 h; 29 Mar
    # all 80 h (x 150 EUR). No week end before the baseline's start week.
    assert curve.dates == (d(3, 15), d(3, 22), AS_OF, d(3, 29))
    assert curve.pv == pytest.approx((6000, 9000, 10800, 12000))
    # EV: A done 6 Mar (before its baselined week: earned early), B 23 Mar; C earns nothing
    assert curve.ev[:3] == pytest.approx((6000, 6000, 12000))
    value = metrics[0].earned_value
    assert (curve.pv[2], curve.ev[2], curve.ac[2]) == pytest.approx((value.pv, value.ev, value.ac))


def test_portfolio_adds_projects_in_one_basis_and_leaves_others_apart():
    """A second project in hours and a third on hold: the EUR curve is Apollo's alone, the
    hours curve Borealis', and the on-hold project adds to neither (as the roll-up)."""
    dataset = small_project()
    dataset.projects += [
        ProjectRow("p2", "asana", "Borealis"),
        ProjectRow("p3", "asana", "Cygnus", status="on_hold"),
    ]
    dataset.tasks += [
        TaskRow("x", "p2", "X", start_date=d(3, 16), due_date=d(3, 20), estimate_hours=10),
        TaskRow("y", "p3", "Y", start_date=d(3, 16), due_date=d(3, 20), estimate_hours=10),
    ]
    dataset.budgets.append(BudgetRow("p3", Decimal(1000), "money", "EUR"))
    dataset.time_entries.append(TimeRow("u1", "p2", d(3, 17), 120, "x"))
    metrics, _, overall = portfolio_metrics(dataset, ReportRules(), RESOURCES, PLAIN)
    phased = phase_projects(dataset, metrics, RESOURCES, PLAIN)
    money, hours = portfolio_curves(phased, metrics, None)
    assert (money.key, money.projects, hours.key, hours.projects) == ("money:EUR", 1, "hours", 1)
    # Borealis: 10 h planned Mon-Fri 16-20 March, nothing done, 2 h logged on the 17th
    assert hours.dates == (d(3, 22), AS_OF)
    assert hours.pv == pytest.approx((10, 10)) and hours.ac == pytest.approx((2, 2))
    assert hours.ev == pytest.approx((0, 0))
    for curve, totals in zip((money, hours), overall.totals, strict=True):
        at_report = curve.dates.index(AS_OF)
        assert (curve.pv[at_report], curve.ev[at_report], curve.ac[at_report]) == pytest.approx(
            (totals.pv, totals.ev, totals.ac)
        )
    # with on-hold projects in the totals, Cygnus joins the EUR curve: 1,000 EUR planned
    # over 16-20 March, all of it by 22 March
    with_hold = portfolio_curves(phased, metrics, None, statuses={"active", "on_hold"})
    assert with_hold[0].projects == 2
    assert with_hold[0].pv[with_hold[0].dates.index(d(3, 22))] == pytest.approx(10800 + 1000)


def test_no_plan_no_curve():
    """Undated work has no PV: the project is not phased (its PV is n/a in the report too)."""
    dataset = Dataset(
        as_of=AS_OF,
        projects=[ProjectRow("p1", "asana", "Apollo")],
        tasks=[TaskRow("a", "p1", "A", estimate_hours=4)],
    )
    metrics, _, _ = portfolio_metrics(dataset, ReportRules(), RESOURCES, PLAIN)
    assert metrics[0].earned_value.pv is None
    assert phase_projects(dataset, metrics, RESOURCES, PLAIN) == {}
    assert project_curve(None) is None
