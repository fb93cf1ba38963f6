"""One budget per project, full actual cost, coverage and the EAC variants (issue 16), each
against arithmetic worked by hand here.

The plan is calendar-proof: two tasks finished their planned days before the report date and
one starts after it, so planned % is the same in calendar days or working days:
A (30 h, 2 - 6 Feb, done), B (30 h, 9 - 13 Feb, 50 %), C (40 h, 6 - 10 Apr, not started).
On 2026-03-04: planned (30 + 30) / 100 = 60 %, earned (30 + 15) / 100 = 45 %.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from asana_env import SOURCE, write_config

from pmosync.canonical.budgets import current_budget, ranking
from pmosync.canonical.types import Project
from pmosync.config.models import Resources
from pmosync.config.reports import Filters, ReportRules
from pmosync.reports.dataset import (
    BaselineRow,
    BudgetRow,
    CostRow,
    PersonRow,
    ProjectRow,
    TaskRow,
    TimeRow,
    load_dataset,
)
from pmosync.reports.metrics.actual_cost import RateBook
from pmosync.reports.metrics.earned_value import earned_value
from pmosync.reports.metrics.portfolio import project_metrics
from pmosync.reports.metrics.progress import parent_ids, project_progress
from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.org import generate_org
from pmosync.store import Store
from pmosync.sync.run import run_sync

AS_OF = date(2026, 3, 4)
PROJECT = ProjectRow("p", "asana-eng", "Apollo")
PEOPLE = {
    "alice": PersonRow("alice", "Alice", "alice@example.com"),
    "bob": PersonRow("bob", "Bob", "bob@example.com"),
    "carol": PersonRow("carol", "Carol", "carol@example.com"),
    "dave": PersonRow("dave", "Dave", "Dave@Example.com"),
    "erin": PersonRow("erin", "Erin", "erin@example.com"),
}
A = TaskRow(
    id="a",
    project_id="p",
    name="A",
    estimate_hours=30,
    start_date=date(2026, 2, 2),
    due_date=date(2026, 2, 6),
    status="done",
    completed_at=datetime(2026, 2, 6, 12),
)
B = TaskRow(
    id="b",
    project_id="p",
    name="B",
    estimate_hours=30,
    start_date=date(2026, 2, 9),
    due_date=date(2026, 2, 13),
    percent_complete=50,
    status="in_progress",
)
C = TaskRow(
    id="c",
    project_id="p",
    name="C",
    estimate_hours=40,
    start_date=date(2026, 4, 6),
    due_date=date(2026, 4, 10),
)
PARENT = TaskRow(id="parent", project_id="p", name="Epic")
CHILD = TaskRow(
    id="child",
    project_id="p",
    name="Child",
    parent_id="parent",
    estimate_hours=0,
    start_date=date(2026, 2, 2),
    due_date=date(2026, 2, 6),
    status="done",
    completed_at=datetime(2026, 2, 6, 12),
)
GATE = TaskRow(id="gate", project_id="p", name="Gate", is_milestone=True, due_date=date(2026, 3, 1))
TASKS = [A, B, C]
WORK = {"a", "b", "c"}


def value_of(
    budgets,
    costs=(),
    time=(),
    resources=None,
    *,
    tasks=TASKS,
    baseline=None,
    work=WORK,
    min_coverage=80.0,
    as_of=AS_OF,
):
    progress = project_progress(tasks, parent_ids(tasks), as_of, 7)
    return earned_value(
        progress,
        budgets,
        costs,
        time,
        as_of,
        resources or Resources(),
        PEOPLE,
        project=PROJECT,
        baseline=baseline,
        work_task_ids=work,
        min_coverage_pct=min_coverage,
    )


def eur(amount, origin, line=None, actual=None, source="asana-eng"):
    return BudgetRow(
        "p",
        Decimal(amount),
        "money",
        "EUR",
        origin,
        line,
        None if actual is None else Decimal(actual),
        source,
    )


# -- one budget per project ------------------------------------------------------------------


def test_budget_field_and_native_budget_give_one_bac_not_their_sum():
    """Issue 16's doubled budget: an Asana project with a "Budget" custom field (120,000) and a
    native budget (100,000). The code before the fix added every money budget in one currency
    (``baseline()`` summed them): BAC 220,000, PV 132,000, EV 99,000. Now the budget API's
    statement counts and the field's is noted."""
    budgets = [eur("120000", "custom_field"), eur("100000", "budget_api")]
    ev = value_of(budgets)
    assert (ev.basis, ev.currency, ev.bac_source) == ("money", "EUR", "budget")
    # BAC 100,000; PV = 100,000 x 60 % = 60,000; EV = 100,000 x 45 % = 45,000
    assert (ev.bac, ev.pv, ev.ev) == pytest.approx((100_000.0, 60_000.0, 45_000.0))
    assert ev.current_budget == 100_000.0 and ev.bac_baseline is None
    assert ev.notes[:2] == (
        "custom field budget 120,000.00 EUR ignored: the budget API's 100,000.00 EUR takes "
        "precedence",
        "no baseline budget: BAC is the current budget",
    )


def test_budget_precedence_is_configurable():
    budgets = [eur("120000", "custom_field"), eur("100000", "budget_api")]
    resources = Resources.model_validate({"budget_precedence": ["custom_field", "budget_api"]})
    ev = value_of(budgets, resources=resources)
    assert ev.bac == 120_000.0
    assert ev.notes[0] == (
        "budget API budget 100,000.00 EUR ignored: the custom field's 120,000.00 EUR takes "
        "precedence"
    )
    # origins a precedence leaves out rank after the listed ones, in the default order, and
    # budgets without an origin (older rows) last
    only_workbook = ranking(["workbook"])
    assert only_workbook == {"workbook": 0, "budget_api": 1, "custom_field": 2, None: 3}
    picked = current_budget([eur("5", None), eur("7", "custom_field")], ["workbook"])
    assert (picked.amount, picked.origin) == (7.0, "custom_field")


def test_budget_precedence_refuses_an_origin_twice():
    with pytest.raises(ValueError, match="an origin is listed twice"):
        Resources.model_validate({"budget_precedence": ["workbook", "workbook"]})


def test_budget_lines_of_one_origin_add_up():
    budgets = [
        eur("60000", "workbook", "CAPEX", source="budgets"),
        eur("40000", "workbook", "OPEX", source="budgets"),
        eur("90000", "custom_field"),
    ]
    resources = Resources.model_validate({"budget_precedence": ["workbook"]})
    budget = current_budget(budgets, resources.budget_precedence)
    # CAPEX 60,000 + OPEX 40,000 = 100,000; the field's 90,000 is the same budget, not added
    assert (budget.amount, budget.lines) == (100_000.0, (("CAPEX", 60_000.0), ("OPEX", 40_000.0)))
    assert budget.notes == (
        "custom field budget 90,000.00 EUR ignored: the workbook's 100,000.00 EUR takes precedence",
    )
    assert value_of(budgets, resources=resources).bac == 100_000.0


def test_a_whole_budget_with_lines_of_its_origin_counts_whole():
    budgets = [
        eur("100000", "workbook", source="budgets"),
        eur("70000", "workbook", "Phase 1", source="budgets"),
        eur("20000", "workbook", "Phase 2", source="budgets"),
    ]
    budget = current_budget(budgets)
    # the lines (70,000 + 20,000 = 90,000) are the whole budget's breakdown, not more budget
    assert budget.amount == 100_000.0
    assert budget.notes == (
        "budget lines add up to 90,000.00 EUR, not the whole budget of 100,000.00 EUR: the "
        "whole budget counts",
    )


def test_bac_is_the_baseline_budget_and_the_current_one_is_shown_beside_it():
    baseline = BaselineRow(
        "p",
        "Baseline 1",
        datetime(2026, 1, 5, 9),
        "first_sync",
        budget_amount=Decimal("80000"),
        budget_measure="money",
        budget_currency="EUR",
    )
    ev = value_of([eur("100000", "budget_api")], baseline=baseline)
    # BAC = the baseline's 80,000: PV = 80,000 x 60 % = 48,000, EV = 80,000 x 45 % = 36,000
    assert (ev.bac_source, ev.bac) == ("baseline", 80_000.0)
    assert (ev.pv, ev.ev) == pytest.approx((48_000.0, 36_000.0))
    assert (ev.current_budget, ev.bac_baseline) == (100_000.0, "Baseline 1 (set 2026-01-05)")
    assert ev.budget == 100_000.0  # what may be spent today: the current budget
    assert not any("no baseline budget" in note for note in ev.notes)


# -- full actual cost ------------------------------------------------------------------------


def test_asana_actual_covers_its_own_hours_and_other_sources_are_priced_once():
    """The budget API's actual (47,200) is Asana's cost of the 15 h logged in Asana: those
    hours are not priced again at the 90 EUR default (that would add 1,350). Carol's 8 h
    from a timesheet workbook are priced by her rate card (100), the invoice counts, the USD
    expense is left out."""
    budgets = [eur("120000", "custom_field"), eur("100000", "budget_api", actual="47200")]
    time = [
        TimeRow("alice", "p", date(2026, 2, 3), 600, "a", "asana-eng"),  # 10 h
        TimeRow("bob", "p", date(2026, 2, 10), 300, "b", "asana-eng"),  # 5 h
        TimeRow("carol", "p", date(2026, 2, 11), 480, "b", "timesheets"),  # 8 h
    ]
    costs = [
        CostRow("p", date(2026, 2, 20), Decimal("2000"), "EUR", "invoice"),
        CostRow("p", date(2026, 2, 21), Decimal("500"), "USD", "expense"),
    ]
    resources = Resources.model_validate(
        {
            "hourly_rates": {"currency": "EUR", "default": 90},
            "rate_cards": [{"rate": 100, "currency": "EUR", "person": "carol@example.com"}],
        }
    )
    ev = value_of(budgets, costs, time, resources)
    # AC = 47,200 (Asana actual) + 8 h x 100 (carol) + 2,000 (invoice) = 50,000
    assert ev.ac == pytest.approx(50_000.0)
    # every one of the 23 h has a cost; the USD expense makes AC partial, not withheld
    assert (ev.ac_coverage_pct, ev.ac_partial, ev.ac_withheld) == (100.0, True, False)
    # CPI = 45,000 / 50,000 = 0.9; SPI = 45,000 / 60,000 = 0.75; CV = -5,000
    assert (ev.cpi, ev.spi, ev.cv) == pytest.approx((0.9, 0.75, -5_000.0))
    # EAC(CPI) = 100,000 / 0.9 = 111,111.11; ETC = 61,111.11; VAC = -11,111.11
    assert (ev.eac, ev.eac_cpi) == pytest.approx((100_000 / 0.9, 100_000 / 0.9))
    assert (ev.etc, ev.vac) == pytest.approx((100_000 / 0.9 - 50_000, 100_000 - 100_000 / 0.9))
    # EAC(budget rate) = AC + (BAC - EV) = 50,000 + 55,000 = 105,000
    assert ev.eac_budget_rate == pytest.approx(105_000.0)
    # EAC(CPI x SPI) = 50,000 + 55,000 / (0.9 x 0.75 = 0.675) = 50,000 + 81,481.48
    assert ev.eac_cpi_spi == pytest.approx(50_000 + 55_000 / 0.675)
    # TCPI = (BAC - EV) / (BAC - AC) = 55,000 / 50,000 = 1.1
    assert ev.tcpi == pytest.approx(1.1)
    assert "AC partial: 100.0 % of logged hours costed, 1 cost entry left out" in ev.notes


def test_asana_actual_is_taken_at_the_share_of_its_hours_up_to_the_report_date():
    budgets = [eur("10000", "budget_api", actual="1000")]
    time = [
        TimeRow("alice", "p", date(2026, 3, 2), 480, "b", "asana-eng"),  # 8 h, before as_of
        TimeRow("alice", "p", date(2026, 3, 9), 120, "b", "asana-eng"),  # 2 h, after
    ]
    ev = value_of(budgets, (), time)
    # the 1,000 is the cost of all 10 h as of the sync: 8 of 10 h fall in the report
    assert ev.ac == pytest.approx(800.0)
    assert ev.ac_coverage_pct == 100.0  # the 8 h counted are covered by the actual
    assert (
        "asana-eng's actual cost 1,000.00 EUR taken at 80.0 %: the share of its logged hours "
        "up to 2026-03-04" in ev.notes
    )


def test_rate_cards_by_date_and_specificity():
    resources = Resources.model_validate(
        {
            "hourly_rates": {"currency": "EUR", "default": 40},  # a rate card's default wins
            "roles": {"dave@example.com": "Developer"},
            "rate_cards": [
                {"rate": 50, "currency": "EUR"},
                {"rate": 60, "currency": "EUR", "project": "apollo"},
                {"rate": 70, "currency": "EUR", "role": "developer", "from": "2026-01-01"},
                {"rate": 80, "currency": "EUR", "role": "developer", "from": "2026-03-01"},
                {
                    "rate": 90,
                    "currency": "EUR",
                    "person": "dave@example.com",
                    "from": "2026-02-09",
                    "to": "2026-02-10",
                },
                {
                    "rate": 120,
                    "currency": "EUR",
                    "person": "dave@example.com",
                    "project": "Apollo",
                    "from": "2026-02-11",
                    "to": "2026-02-28",
                },
                {"rate": 500, "currency": "EUR", "person": "dave@example.com", "project": "Zeus"},
            ],
        }
    )
    book = RateBook(resources, PROJECT, PEOPLE)

    def rate(person, day):
        found = book.rate(person, day)
        return None if found is None else (float(found[0]), found[1])

    assert rate("erin", date(2026, 2, 2)) == (60.0, "EUR")  # project card beats the default
    assert rate("dave", date(2025, 12, 15)) == (60.0, "EUR")  # before his role's first card
    assert rate("dave", date(2026, 2, 2)) == (70.0, "EUR")  # role beats project
    assert rate("dave", date(2026, 3, 2)) == (80.0, "EUR")  # the later role card supersedes
    assert rate("dave", date(2026, 2, 9)) == (90.0, "EUR")  # person beats role
    assert rate("dave", date(2026, 2, 12)) == (120.0, "EUR")  # project + person beats person
    # another project's card never applies; without any project card the default does
    assert RateBook(resources, ProjectRow("z", "x", "Hermes"), PEOPLE).rate(
        "erin", date(2026, 2, 2)
    ) == (Decimal(50), "EUR")

    time = [
        TimeRow("erin", "p", date(2026, 2, 2), 60, "a", "timesheets"),
        TimeRow("dave", "p", date(2025, 12, 15), 60, "a", "timesheets"),
        TimeRow("dave", "p", date(2026, 2, 2), 60, "a", "timesheets"),
        TimeRow("dave", "p", date(2026, 3, 2), 60, "b", "timesheets"),
        TimeRow("dave", "p", date(2026, 2, 9), 60, "b", "timesheets"),
        TimeRow("dave", "p", date(2026, 2, 12), 60, "b", "timesheets"),
    ]
    ev = value_of([eur("10000", "workbook", source="budgets")], (), time, resources)
    # 1 h each: 60 + 60 + 70 + 80 + 90 + 120 = 480
    assert ev.ac == pytest.approx(480.0)
    assert (ev.ac_coverage_pct, ev.ac_partial) == (100.0, False)


def test_rate_cards_refuse_ambiguity():
    card = {"rate": 1, "currency": "EUR", "person": "a@example.com", "from": "2026-01-01"}
    with pytest.raises(ValueError, match="starts the same day as rate card 1"):
        Resources.model_validate({"rate_cards": [card, {**card, "rate": 2}]})
    with pytest.raises(ValueError, match="a rate card names a person or a role, not both"):
        Resources.model_validate({"rate_cards": [{**card, "role": "dev"}]})
    with pytest.raises(ValueError, match=r"to \(2025-12-31\) is before from \(2026-01-01\)"):
        Resources.model_validate({"rate_cards": [{**card, "to": "2025-12-31"}]})


def test_partial_coverage_is_labelled_and_low_coverage_withheld():
    resources = Resources.model_validate(
        {"hourly_rates": {"currency": "EUR", "people": {"alice@example.com": 100}}}
    )
    budgets = [eur("100000", "workbook", source="budgets")]

    def logged(alice_hours, bob_hours):
        return [
            TimeRow("alice", "p", date(2026, 2, 3), alice_hours * 60, "a", "timesheets"),
            TimeRow("bob", "p", date(2026, 2, 3), bob_hours * 60, "a", "timesheets"),
        ]

    # 9 of 10 h have a rate: coverage 90 %, over the 80 % minimum: shown, labelled partial
    ev = value_of(budgets, (), logged(9, 1), resources)
    assert (ev.ac, ev.ac_coverage_pct, ev.ac_partial, ev.ac_withheld) == (900.0, 90.0, True, False)
    assert ev.cpi == pytest.approx(45_000 / 900)  # EV 45,000 / AC 900
    assert "AC partial: 90.0 % of logged hours costed" in ev.notes

    # 7 of 10 h: 70 %, below 80 %: CPI, CV, the EACs, ETC, VAC and TCPI withheld, with why
    ev = value_of(budgets, (), logged(7, 3), resources)
    assert (ev.ac, ev.ac_coverage_pct, ev.ac_withheld) == (700.0, 70.0, True)
    withheld = (ev.cpi, ev.cv, ev.eac, ev.eac_cpi, ev.eac_budget_rate, ev.eac_cpi_spi)
    assert withheld + (ev.etc, ev.vac, ev.tcpi) == (None,) * 9
    assert ev.spi == pytest.approx(0.75)  # the schedule does not depend on cost
    assert ev.notes[-1] == (
        "CPI, CV, EAC, ETC, VAC and TCPI withheld: AC covers 70.0 % of logged hours, below the "
        "80 % minimum"
    )

    # the minimum is a report rule: at 60 % the same figures are shown, labelled partial
    assert ReportRules().min_ac_coverage_pct == 80
    ev = value_of(budgets, (), logged(7, 3), resources, min_coverage=60)
    assert ev.cpi == pytest.approx(45_000 / 700) and ev.ac_partial and not ev.ac_withheld


def test_hours_on_work_that_earns_nothing_are_reported_apart_and_kept_in_ac():
    resources = Resources.model_validate({"hourly_rates": {"currency": "EUR", "default": 100}})
    tasks = [A, B, C, PARENT, CHILD, GATE]
    work = {"a", "b", "c", "child"}
    time = [
        TimeRow("alice", "p", date(2026, 2, 3), 600, "a", "timesheets"),  # 10 h earning work
        TimeRow("alice", "p", date(2026, 2, 3), 60, None, "timesheets"),  # 1 h, no task
        TimeRow("alice", "p", date(2026, 2, 3), 120, "parent", "timesheets"),  # 2 h, parent
        TimeRow("alice", "p", date(2026, 2, 3), 180, "gate", "timesheets"),  # 3 h, milestone
        TimeRow("alice", "p", date(2026, 2, 3), 240, "gone", "timesheets"),  # 4 h, unknown task
    ]
    ev = value_of([eur("100000", "workbook", source="b")], (), time, resources,
                  tasks=tasks, work=work)  # fmt: skip
    # unearned 1 + 2 + 3 + 4 = 10 h at 100 = 1,000; AC keeps them: 20 h x 100 = 2,000
    assert (ev.unearned_hours, ev.unearned_cost) == (10.0, 1000.0)
    assert ev.ac == pytest.approx(2000.0)
    assert ev.notes[-1] == (
        "10.0 h logged on work that earns no value (no task, parent tasks, milestones), "
        "costing 1,000.00 EUR: in AC, not in EV"
    )


def test_hours_basis_counts_logged_hours_once_beside_a_time_budget_actual():
    budgets = [
        BudgetRow("p", Decimal("200"), "hours", None, "budget_api", None, Decimal("15"), "asana")
    ]
    time = [
        TimeRow("alice", "p", date(2026, 2, 3), 600, "a", "asana"),  # 10 h
        TimeRow("bob", "p", date(2026, 2, 10), 300, None, "asana"),  # 5 h, no task
    ]
    ev = value_of(budgets, (), time)
    # AC = 15 logged hours (Asana's own 15 h actual is the same hours: not added again)
    assert (ev.basis, ev.ac, ev.ac_coverage_pct) == ("hours", 15.0, 100.0)
    # BAC 200 h: EV = 90 h, PV = 120 h; CPI = 90 / 15 = 6; TCPI = (200 - 90) / (200 - 15)
    assert (ev.ev, ev.pv, ev.cpi) == pytest.approx((90.0, 120.0, 6.0))
    assert ev.tcpi == pytest.approx(110 / 185)
    assert (ev.unearned_hours, ev.unearned_cost) == (5.0, 5.0)


def test_a_synced_asana_project_stating_its_budget_twice_has_one_bac(tmp_path):
    """End to end: the sandbox states most projects' budget both in the "Budget" field and as
    Asana's native budget, as a real workspace does. Synced with the field configured, each
    project's budget is its native total (the sandbox's own figure), not twice it, and AC is
    the native budget's actual: every hour is Asana's, covered by it, none priced again."""
    org = generate_org(seed=11, size="XS")
    with AsanaSandbox(org) as sandbox:
        path, config = write_config(tmp_path, sandbox, extra="    fields: {budget: Budget}\n")
        with Store.open(config.store, base_dir=path.parent) as store:
            assert not run_sync(config, store).connectors[0].failed
            as_of = max(e.entered_on for e in org.time_entries.values())
            dataset = load_dataset(store, Filters(), as_of)
    metrics = project_metrics(dataset, ReportRules(), config.resources)
    values = {m.project.id: m.earned_value for m in metrics}
    field = org.field_named("Budget").gid
    native = {b.project_gid: b for b in org.budgets.values()}
    assert native and len(native) < len(org.projects)  # some stated twice, some once
    for project in org.projects.values():
        value = values[Project.ref(SOURCE, project.gid)]
        if project.gid in native:
            budget = native[project.gid]
            assert (value.bac, value.current_budget) == pytest.approx((budget.total,) * 2)
            assert value.ac == pytest.approx(budget.actual)
            assert value.ac_coverage_pct == 100.0
        elif field in project.custom:
            assert value.current_budget == pytest.approx(project.custom[field])
        else:  # the "RAID log" project states no budget at all
            assert value.current_budget is None
