"""Capacity left, demand and the selection that fits, against figures worked out by hand.

Calendar (2027): the report date is Wednesday 13 January. January 2027 ends on a Sunday (31st);
February starts on a Monday and has 20 weekdays, less the public holiday on Monday 15
February: 19 working days. March has 23 weekdays (Mon 1 .. Wed 31), April 22 (Thu 1 .. Fri 30).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pytest import approx

from pmosync.config.intake import Intake
from pmosync.config.models import Resources
from pmosync.reports.dataset import (
    AllocationRow,
    BudgetRow,
    CostRow,
    Dataset,
    LeaveRow,
    PersonRow,
    ProjectRow,
    RequestRow,
    TimeRow,
)
from pmosync.reports.metrics.calendar import WorkingCalendar
from pmosync.reports.metrics.intake import Capacity, GateResult, Scored, Shortfall
from pmosync.reports.metrics.intake.capacity import capacity_left
from pmosync.reports.metrics.intake.select import demand, select

AS_OF = date(2027, 1, 13)
CALENDAR = WorkingCalendar(holidays=frozenset({date(2027, 2, 15)}))
FEB = (date(2027, 2, 1), date(2027, 2, 28))
MODEL = {"criteria": {"fit": {"weight": 1, "points_if_set": 1}}}


def intake(**capacity: Any) -> Intake:
    return Intake.model_validate(
        {"currency": "EUR", "models": {"value": MODEL}, "capacity": capacity}
    )


def request(rid: str, **fields: Any) -> RequestRow:
    fields.setdefault("title", rid.capitalize())
    fields.setdefault("stage", "submitted")
    fields.setdefault("submitted_at", datetime(2027, 1, 2, tzinfo=UTC))
    if "estimated_cost" in fields:
        fields.setdefault("currency", "EUR")
    return RequestRow(id=rid, source="sheet", **fields)


def scored(rid: str, score: float | None, rank: int | None, **fields: Any) -> Scored:
    return Scored(request_id=rid, model=fields.pop("model", "value"), score=score, rank=rank,
                  **fields)  # fmt: skip


# -- capacity left ---------------------------------------------------------------------------

PEOPLE = {
    "p-anna": PersonRow("p-anna", "Anna", "anna@contoso.com"),
    "p-ben": PersonRow("p-ben", "Ben", "ben@contoso.com"),
    "p-cara": PersonRow("p-cara", "Cara", "cara@contoso.com"),
}
RESOURCES = Resources(
    capacity={"ben@contoso.com": 20},
    roles={
        "anna@contoso.com": "Consultant",
        "ben@contoso.com": "consultant",  # the same role in another case
        "cara@contoso.com": "Analyst",
        "lee@contoso.com": "Lead",  # no one in scope
    },
)


def capacity_dataset() -> Dataset:
    projects = [
        ProjectRow("p", "asana", "Payroll"),
        ProjectRow("q", "asana", "Quality", status="on_hold"),
        ProjectRow("r", "asana", "Retired", status="completed"),
        ProjectRow("s", "asana", "Sales portal"),
        ProjectRow("t", "asana", "Treasury"),
        ProjectRow("u", "asana", "Upgrade"),
    ]
    return Dataset(
        as_of=AS_OF,
        projects=projects,
        people=PEOPLE,
        leave=[LeaveRow("p-anna", date(2027, 1, 25), date(2027, 1, 26))],
        allocations=[
            AllocationRow("p-anna", "p", date(2027, 1, 1), date(2027, 2, 28), percent=50),
            AllocationRow("p-ben", "p", date(2027, 1, 18), date(2027, 2, 12), hours=100),
        ],
        budgets=[
            BudgetRow("p", Decimal(300000), currency="EUR"),
            BudgetRow("q", Decimal(50000), currency="EUR"),
            BudgetRow("r", Decimal(999), currency="EUR"),
            BudgetRow("t", Decimal(5000), currency="USD"),
            BudgetRow("u", Decimal(100000), currency="EUR"),
        ],
        costs=[
            CostRow("p", date(2027, 1, 5), Decimal(120000), "EUR", "invoice"),
            CostRow("q", date(2027, 1, 5), Decimal(70000), "EUR", "invoice"),
            CostRow("p", date(2027, 2, 5), Decimal(1000), "EUR", "invoice"),  # after as_of
        ],
        time_entries=[TimeRow("p-anna", "u", date(2027, 1, 11), 120)],  # no rate: partial AC
    )


def test_capacity_left_by_role_and_month_with_holiday_leave_and_allocations() -> None:
    left = capacity_left(capacity_dataset(), RESOURCES, intake(horizon_months=2, funding="1000000"),
                         CALENDAR)  # fmt: skip
    assert left.months == ("2027-01", "2027-02")
    # January from Wed 13th: 13-15, 18-22, 25-29 = 13 working days.
    #   Anna 40 h/week = 8 h/day: 104 h, less leave 25-26 Jan (16 h) = 88 h
    #   Ben 20 h/week = 4 h/day: 52 h                                  -> Consultant 140 h
    #   Anna 50 % of her hours from the 13th (88 h) = 44 h
    #   Ben 100 h over 18 Jan - 12 Feb (10 + 10 working days): 5 h/day, 10 days in Jan = 50 h
    #   allocated 94 h -> left 46 h
    # February: 19 working days (15th a holiday). Anna 152 h, Ben 76 h = 228 h;
    #   Anna 50 % = 76 h, Ben 10 days x 5 h = 50 h: allocated 126 h -> left 102 h
    # Analyst (Cara, nothing allocated): 104 h and 152 h. Lead: no one, 0 h.
    assert left.capacity_hours == {
        ("Consultant", "2027-01"): 140.0,
        ("Consultant", "2027-02"): 228.0,
        ("Analyst", "2027-01"): 104.0,
        ("Analyst", "2027-02"): 152.0,
        ("Lead", "2027-01"): 0.0,
        ("Lead", "2027-02"): 0.0,
    }
    assert left.allocated_hours[("Consultant", "2027-01")] == 94.0
    assert left.allocated_hours[("Consultant", "2027-02")] == 126.0
    assert left.hours[("Consultant", "2027-01")] == 46.0
    assert left.hours[("Consultant", "2027-02")] == 102.0
    assert left.hours[("Analyst", "2027-02")] == 152.0
    # Money: Payroll 300,000 - 120,000 spent to date = 180,000; Quality (on hold) 50,000 -
    # 70,000 -> 0; Upgrade 100,000 - 0 (its logged hours have no rate: partial, named);
    # Retired is completed: not counted. Committed 280,000; left 1,000,000 - 280,000.
    assert left.funding == Decimal(1000000)
    assert left.committed == Decimal(280000)
    assert left.money == Decimal(720000)
    notes = "\n".join(left.notes)
    assert "no one in scope has the role Lead" in notes
    assert "1 person in resources.roles not in scope (lee@contoso.com)" in notes
    assert "1 active or on-hold project without a money budget (Sales portal)" in notes
    assert "1 active or on-hold project budgeted in another currency than EUR (Treasury)" in notes
    assert "1 active or on-hold project with a partial actual cost (Upgrade)" in notes


def test_capacity_without_funding_or_commitments() -> None:
    dataset = capacity_dataset()
    unbounded = capacity_left(dataset, RESOURCES, intake(horizon_months=1), CALENDAR)
    assert unbounded.money is None and unbounded.committed is None
    new_only = capacity_left(
        dataset, RESOURCES, intake(funding="5000", commitments="none"), CALENDAR
    )
    assert (new_only.money, new_only.committed) == (Decimal(5000), None)
    assert len(new_only.months) == 12 and new_only.months[-1] == "2027-12"
    short = capacity_left(dataset, RESOURCES, intake(funding="100000"), CALENDAR)
    # committed 280,000 exceeds 100,000: nothing left, said so
    assert short.money == Decimal(0)
    assert any("exceed funding by 180,000.00 EUR" in note for note in short.notes)


# -- demand ----------------------------------------------------------------------------------


def test_demand_spreads_effort_over_working_days_by_month() -> None:
    settings = intake(horizon_months=4, default_months=3)
    months = ("2027-01", "2027-02", "2027-03", "2027-04")
    # 84 h over 1 Feb - 31 Mar: 19 + 23 = 42 working days, 2 h a day: Feb 38 h, Mar 46 h.
    dated = request("dated", effort_hours={"Consultant": 84.0}, estimated_cost=Decimal(5000),
                    target_start=date(2027, 2, 1), target_end=date(2027, 3, 31))  # fmt: skip
    found = demand(dated, settings, months, CALENDAR, AS_OF)
    assert found.hours == approx({("Consultant", "2027-02"): 38.0, ("Consultant", "2027-03"): 46.0})
    assert (found.cost, found.assumed) == (Decimal(5000), ())
    # No dates: starts 1 Feb (the month after January), 3 months to 30 Apr: 19 + 23 + 22 = 64
    # working days; 120 h is 1.875 h a day: Feb 35.625, Mar 43.125, Apr 41.25.
    undated = request("undated", effort_hours={"Analyst": 120.0}, estimated_cost=Decimal(1),
                      currency="USD")  # fmt: skip
    found = demand(undated, settings, months, CALENDAR, AS_OF)
    assert found.hours == approx(
        {
            ("Analyst", "2027-02"): 35.625,
            ("Analyst", "2027-03"): 43.125,
            ("Analyst", "2027-04"): 41.25,
        }
    )
    assert found.assumed == (
        "no target start: starts 2027-02-01",
        "no target end: 3 months assumed, to 2027-04-30",
    )
    assert found.cost is None  # its cost is in USD
    # Only the part inside the horizon counts: with January-February, March's 46 h is out.
    found = demand(dated, settings, months[:2], CALENDAR, AS_OF)
    assert found.hours == approx({("Consultant", "2027-02"): 38.0})
    assert found.assumed == ("46.0 h outside the horizon from 2027-01-13: not counted",)
    # A target start mid-month without an end: 3 months to the day before the 15 May.
    mid = request("mid", target_start=date(2027, 2, 15))
    assert demand(mid, settings, months, CALENDAR, AS_OF).assumed == (
        "no target end: 3 months assumed, to 2027-05-14",
    )


# -- selection -------------------------------------------------------------------------------


def funding_only(money: int) -> Capacity:
    return Capacity(months=("2027-02",), hours={}, money=Decimal(money), funding=Decimal(money))


def greedy_vs_exact() -> tuple[list[Scored], dict[str, RequestRow]]:
    # Funding 100. Y and Z score 50 at a cost of 50 each (1 point per unit); X scores 30 at 20
    # (1.5 a unit). Y was submitted before Z, so ranks are Y 1, Z 1, X 3.
    rows = {
        "y": request("y", estimated_cost=Decimal(50)),
        "z": request("z", estimated_cost=Decimal(50)),
        "x": request("x", estimated_cost=Decimal(20)),
    }
    return [scored("y", 50, 1), scored("z", 50, 1), scored("x", 30, 3)], rows


def test_greedy_and_exact_differ_on_a_case_worked_by_hand() -> None:
    results, rows = greedy_vs_exact()
    # Greedy by score per cost: X (1.5) first, 80 left; Y (1.0, ranked before Z) fits, 30
    # left; Z needs 50: out. Total score 80, cost 70.
    greedy = select(results, rows, funding_only(100), intake(method="greedy", funding="100"),
                    CALENDAR, AS_OF)  # fmt: skip
    assert (greedy.method, greedy.selected) == ("greedy", ("y", "x"))
    assert (greedy.total_score, greedy.total_cost) == (80.0, Decimal(70))
    (z,) = greedy.excluded
    assert (z.request_id, z.reason) == ("z", "does not fit")
    assert z.shortfalls == (Shortfall("funding", 50.0, 30.0),)
    assert greedy.left is not None and greedy.left.money == Decimal(30)
    # Exact: Y + Z score 100 within 100; X + either scores 80. X is out, with nothing left.
    exact = select(results, rows, funding_only(100), intake(method="exact", funding="100"),
                   CALENDAR, AS_OF)  # fmt: skip
    assert (exact.method, exact.selected) == ("exact", ("y", "z"))
    assert (exact.total_score, exact.total_cost) == (100.0, Decimal(100))
    (x,) = exact.excluded
    assert x.shortfalls == (Shortfall("funding", 20.0, 0.0),)
    # auto: 3 candidates within exact_max 20 -> exact; with exact_max 2 -> greedy
    auto = select(results, rows, funding_only(100), intake(funding="100"), CALENDAR, AS_OF)
    assert (auto.method, auto.selected) == ("exact", ("y", "z"))
    small = select(results, rows, funding_only(100), intake(funding="100", exact_max=2),
                   CALENDAR, AS_OF)  # fmt: skip
    assert (small.method, small.selected) == ("greedy", ("y", "x"))


def test_exact_prefers_the_higher_ranked_of_equal_totals() -> None:
    # A scores 60 at 100; B and C 30 at 50 each: {A} and {B, C} both total 60 within 100.
    rows = {rid: request(rid, estimated_cost=Decimal(cost)) for rid, cost in
            (("a", 100), ("b", 50), ("c", 50))}  # fmt: skip
    results = [scored("a", 60, 1), scored("b", 30, 2), scored("c", 30, 2)]
    exact = select(results, rows, funding_only(100), intake(method="exact", funding="100"),
                   CALENDAR, AS_OF)  # fmt: skip
    assert exact.selected == ("a",)


def test_greedy_without_funding_goes_by_score_per_effort_hour() -> None:
    # Consultant has 40 h in February (19 working days). H1 scores 80 for 38 h (2.1 a
    # hour), H2 50 for 19 h (2.6), H3 45 for 19 h (2.4): H2, then H3 (38 h), H1 does not fit
    # the 2 h left. By score alone H1 would go first and nothing else would fit.
    window = {"target_start": FEB[0], "target_end": FEB[1]}
    rows = {
        "h1": request("h1", effort_hours={"Consultant": 38.0}, **window),
        "h2": request("h2", effort_hours={"consultant": 19.0}, **window),
        "h3": request("h3", effort_hours={"Consultant": 19.0}, **window),
    }
    results = [scored("h1", 80, 1), scored("h2", 50, 2), scored("h3", 45, 3)]
    room = Capacity(months=("2027-02",), hours={("Consultant", "2027-02"): 40.0})
    chosen = select(results, rows, room, intake(method="greedy"), CALENDAR, AS_OF)
    assert chosen.selected == ("h2", "h3")
    assert chosen.total_cost == Decimal(0) and chosen.total_score == 95.0
    (h1,) = chosen.excluded
    assert h1.shortfalls == (Shortfall("Consultant 2027-02", 38.0, 2.0),)
    assert chosen.left is not None and chosen.left.hours == {("Consultant", "2027-02"): 2.0}


def test_approved_first_commits_even_when_it_overruns() -> None:
    # Big is approved (rank 3): committed first though it needs 150 of 100 and 76 h of the
    # 50 h left in February (19 days x 4 h): funding overrun 50, Consultant 26 h.
    # Then nothing is left: Small (cost 10, 19 h) does not fit; Free (no cost, no effort) does.
    window = {"target_start": FEB[0], "target_end": FEB[1]}
    rows = {
        "big": request("big", stage="approved", estimated_cost=Decimal(150),
                       effort_hours={"Consultant": 76.0}, **window),
        "small": request("small", estimated_cost=Decimal(10), effort_hours={"Consultant": 19.0},
                         **window),
        "free": request("free", estimated_cost=Decimal(0)),
    }  # fmt: skip
    results = [scored("small", 90, 1), scored("free", 60, 2), scored("big", 40, 3)]
    room = Capacity(months=("2027-02",), hours={("Consultant", "2027-02"): 50.0},
                    money=Decimal(100), funding=Decimal(100))  # fmt: skip
    chosen = select(results, rows, room, intake(funding="100"), CALENDAR, AS_OF)
    assert chosen.committed == ("big",)
    assert chosen.selected == ("free", "big")
    assert (chosen.total_score, chosen.total_cost) == (100.0, Decimal(150))
    (small,) = chosen.excluded
    assert small.shortfalls == (
        Shortfall("funding", 10.0, 0.0),
        Shortfall("Consultant 2027-02", 19.0, 0.0),
    )
    assert chosen.left is not None
    assert chosen.left.money == Decimal(0)
    assert chosen.left.hours == {("Consultant", "2027-02"): 0.0}
    assert (
        "approved request 'Big' committed first overruns: funding by 50.00, "
        "Consultant 2027-02 by 26.0 h"
    ) in chosen.left.notes
    # Without approved_first, Big competes: Small (density 9) and Free (cost 0) fit, Big not.
    fair = select(results, rows, room, intake(funding="100", approved_first=False), CALENDAR,
                  AS_OF)  # fmt: skip
    assert fair.committed == () and fair.selected == ("small", "free")


def test_every_excluded_request_says_why() -> None:
    rows = {
        "ok": request("ok", estimated_cost=Decimal(10)),
        "gated": request("gated", estimated_cost=Decimal(10)),
        "unscored": request("unscored", estimated_cost=Decimal(10)),
        "rejected": request("rejected", stage="rejected", estimated_cost=Decimal(10)),
        "dollars": request("dollars", estimated_cost=Decimal(10), currency="USD"),
        "nocost": request("nocost"),
    }
    failed = (GateResult("sponsor is set", False, "sponsor: no value"),)
    results = [
        scored("ok", 90, 1),
        scored("gated", 80, 2, gates=failed),
        scored("rejected", 70, 3),
        scored("dollars", 60, 4),
        scored("nocost", 50, 5),
        scored("unscored", None, None, problems=("fit: 'Critical' is not one of High, Low",)),
        scored("ok", 10, 1, model="other"),  # another model's score: not this selection's
    ]
    chosen = select(results, rows, funding_only(1000), intake(funding="1000"), CALENDAR, AS_OF)
    assert chosen.selected == ("ok",)
    assert [(e.request_id, e.reason) for e in chosen.excluded] == [
        ("gated", "fails gate 'sponsor is set' (sponsor: no value)"),
        ("rejected", "stage rejected not eligible"),
        ("dollars", "no cost in EUR"),
        ("nocost", "no cost in EUR"),
        ("unscored", "not scored: fit: 'Critical' is not one of High, Low"),
    ]


def test_capacity_then_selection_end_to_end() -> None:
    """capacity_left feeds select: February's Consultant hours left (102 h) bound the choice."""
    settings = intake(horizon_months=2, method="exact")
    room = capacity_left(capacity_dataset(), RESOURCES, settings, CALENDAR)
    window = {"target_start": FEB[0], "target_end": FEB[1]}
    rows = {  # 95 h is 5 h a day in February; 19 h is 1 h a day
        "wide": request("wide", effort_hours={"Consultant": 95.0}, **window),
        "narrow": request("narrow", effort_hours={"Consultant": 19.0}, **window),
    }
    chosen = select([scored("wide", 70, 1), scored("narrow", 40, 2)], rows, room, settings,
                    CALENDAR, AS_OF)  # fmt: skip
    # 95 + 19 = 114 h > 102 h: exact keeps the higher score (Wide, 70), 7 h left.
    assert chosen.selected == ("wide",)
    (narrow,) = chosen.excluded
    assert narrow.shortfalls == (Shortfall("Consultant 2027-02", 19.0, 7.0),)


def test_exact_matches_every_subset_tried_on_small_random_cases() -> None:
    """Exact against brute force: every subset of 9 candidates tried, funding and two
    role-months as constraints; the best total must be exact's, and greedy never beats it."""
    import random
    from itertools import combinations

    window = {"target_start": FEB[0], "target_end": FEB[1]}  # 19 working days
    for seed in range(15):
        rng = random.Random(seed)
        rows, results = {}, []
        for i in range(9):
            rid = f"r{i}"
            rows[rid] = request(
                rid,
                estimated_cost=Decimal(rng.randint(1, 9) * 10),
                effort_hours={
                    "Consultant": 19.0 * rng.randint(0, 4),
                    "Analyst": 19.0 * rng.randint(0, 4),
                },
                **window,
            )
            results.append((rng.randint(10, 90), rid))
        results.sort(key=lambda pair: -pair[0])
        ranked = [scored(rid, score, place + 1) for place, (score, rid) in enumerate(results)]
        money, consultant, analyst = 200, 5 * 19.0, 4 * 19.0
        room = Capacity(
            months=("2027-02",),
            hours={("Consultant", "2027-02"): consultant, ("Analyst", "2027-02"): analyst},
            money=Decimal(money),
        )
        best = 0.0
        for size in range(10):
            for subset in combinations(ranked, size):
                picked = [rows[s.request_id] for s in subset]
                if (
                    sum(r.estimated_cost or 0 for r in picked) <= money
                    and sum(r.effort_hours["Consultant"] for r in picked) <= consultant
                    and sum(r.effort_hours["Analyst"] for r in picked) <= analyst
                ):
                    best = max(best, sum(s.score or 0 for s in subset))
        settings = intake(method="exact", funding=str(money))
        exact = select(ranked, rows, room, settings, CALENDAR, AS_OF)
        greedy = select(ranked, rows, room, intake(method="greedy", funding=str(money)), CALENDAR,
                        AS_OF)  # fmt: skip
        assert exact.total_score == best, seed
        assert greedy.total_score <= exact.total_score, seed
