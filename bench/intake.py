"""What the intake pipeline report costs against merely reading its request rows.

Builds, in a fresh SQLite store, the report bench's canonical organisation (``--org S``: 10
projects, 20 people, their allocations, budgets, costs and time; ``M``: 200 projects, 400
people) and ``--requests`` project requests (5,000 by default, seeded): a realistic spread of
stages (a third submitted, a quarter under review, some approved, rejected, on hold and
converted), strategic fit and regulatory criteria, costs from 10k to 800k EUR with benefits of
0.3 to 4 times the cost (a few in USD, a few without a cost), effort by role, target dates,
risk, and sponsors and requesters among the organisation's people, whose roles
``resources.roles`` names. Everything is written through the store's Writer in pages of 1,000.
That setup is not timed (it goes to stderr).

Then, timed in the same run, each twice (the first, "cold" pass pays compiled statements and
imports once; the figures are the second, as the daemon pays them), every one with the cyclic
garbage collector paused as ``compute_document`` pauses it (else a collection of the first
pass's leftovers lands in whichever scan happens to trigger it):

- ``raw_scan_s``, the baseline: every request row, the columns the report dataset holds,
  fetched with one plain SQLAlchemy Core select into Python tuples;
- ``score_s``: the eligible requests scored under the 3 models (``score.score_model``);
- ``select_s``: the capacity left (``capacity.capacity_left``) and the selection that fits it
  (``select.select``: greedy past ``exact_max`` candidates);
- ``report_s``: the whole pipeline report computed from the store (``compute_document``: the
  dataset loaded with its allocations, leave, budgets, costs and time, then built); and apart,
  ``render_html_s``, that document rendered to HTML (its scatter chart drawn);
- ``raw_scan_all_s``, the baseline of everything the report reads: the same plain selects
  (the columns ``reports.dataset`` reads, live rows, one fetch each, no Python objects built)
  of the request rows, their field history versions before the end of the report day, and
  the rows the capacity and commitment figures read (allocations, leave, budgets, costs, time
  entries), with the projects, portfolios, portfolio items, people and identities every
  report loads;
- ``ratio`` = report_s / raw_scan_s: the report against merely reading its request rows (the
  issue's literal baseline, target < 2; it charges the report for every other row it reads);
- ``ratio_all`` = report_s / raw_scan_all_s: the report against reading every row it reads,
  i.e. what the report's own Python work (rows built, scoring, selection, layout) costs on
  top of the database's; ``peak_rss_mb``.

    python bench/intake.py [--requests 5000] [--org S|M]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _canonical_org import ASANA, SIZES, CanonicalOrg  # noqa: E402
from _measure import emit, peak_rss_mb  # noqa: E402
from sqlalchemy import select  # noqa: E402

from pmosync.canonical import (  # noqa: E402
    Allocation,
    Budget,
    CostEntry,
    Leave,
    Person,
    PersonIdentity,
    Portfolio,
    PortfolioItem,
    Project,
    Request,
    TimeEntry,
)
from pmosync.canonical.tables import ENTITY_TABLES  # noqa: E402
from pmosync.reports.dataset import end_of_day  # noqa: E402
from pmosync.store import Store  # noqa: E402
from pmosync.store.schema import record_history  # noqa: E402

AS_OF = date.today()
SEED = 2026
PAGE = 1000
SOURCE = "intake-bench"
ROLES = ("Analyst", "Consultant", "Senior consultant", "Lead", "Principal")
STAGES = (
    ("submitted", 33),
    ("under_review", 25),
    ("approved", 8),
    ("rejected", 12),
    ("on_hold", 8),
    ("converted", 14),
)
REQUEST_COLUMNS = (
    "id", "source", "title", "stage", "requester_identity_id", "sponsor_identity_id",
    "submitted_at", "estimated_cost", "estimated_benefit", "currency", "effort_hours",
    "target_start", "target_end", "criteria", "risk", "project_ref", "project_id",
    "description", "source_url", "updated_at",
)  # fmt: skip
"""The columns ``reports.dataset`` reads of a request."""
OTHER_COLUMNS: dict[type, tuple[str, ...]] = {
    PersonIdentity: ("id", "source", "person_id", "name", "email"),
    PortfolioItem: ("portfolio_id", "project_id"),
    Project: (
        "id", "source", "name", "source_url", "owner_identity_id", "team", "status", "rag",
        "start_date", "due_date", "completed_at",
    ),
    Portfolio: ("id", "source", "name", "source_url"),
    Allocation: ("identity_id", "project_id", "start_date", "end_date", "hours", "percent"),
    Leave: ("identity_id", "start_date", "end_date", "hours_per_day", "kind"),
    Budget: (
        "id", "project_id", "amount", "measure", "currency", "origin", "line", "actual", "source",
    ),
    CostEntry: (
        "project_id", "entry_date", "amount", "currency", "category", "identity_id", "vendor",
        "description",
    ),
    TimeEntry: (
        "identity_id", "project_id", "entry_date", "minutes", "task_id", "source", "approval",
    ),
    Person: ("id", "name", "email", "active"),
}  # fmt: skip
"""The columns ``reports.dataset`` reads of every other row the intake report loads."""
FIT = {"High": 10, "Medium": 6, "Low": 2}
INTAKE: dict[str, Any] = {
    "currency": "EUR",
    "required": ["sponsor", "estimated_cost", "effort", "target_start", "criteria.strategic_fit"],
    "models": {
        "strategic": {
            "criteria": {
                "strategic_fit": {"weight": 50, "points": FIT},
                "regulatory": {"weight": 25, "points": {"yes": 10, "no": 0}},
                "sponsor": {"weight": 10, "source": "sponsor", "points_if_set": 10},
                "risk": {"weight": 15, "source": "risk", "range": {"best": 1, "worst": 5}},
            },
            "gates": [{"source": "sponsor", "set": True}],
        },
        "financial": {
            "criteria": {
                "bcr": {
                    "weight": 50,
                    "source": "bcr",
                    "bands": [
                        {"at_least": 1, "points": 3},
                        {"at_least": 1.5, "points": 6},
                        {"at_least": 2.5, "points": 10},
                    ],
                },
                "npv": {
                    "weight": 30,
                    "source": "npv",
                    "bands": [{"at_least": 0, "points": 5}, {"at_least": 250000, "points": 10}],
                },
                "estimated_cost": {
                    "weight": 20,
                    "source": "estimated_cost",
                    "range": {"best": 25000, "worst": 500000},
                },
            },
            "gates": [{"source": "estimated_cost", "at_most": 750000}],
            "finance": {"discount_rate": 0.08, "years": 3},
        },
        "balanced": {
            "criteria": {
                "strategic_fit": {"weight": 40, "points": FIT},
                "bcr": {"weight": 30, "source": "bcr", "range": {"best": 3, "worst": 0.5}},
                "regulatory": {"weight": 15, "points": {"yes": 10, "no": 0}},
                "risk": {"weight": 15, "source": "risk", "range": {"best": 1, "worst": 5}},
            },
            "gates": [{"source": "sponsor", "set": True}],
        },
    },
    "capacity": {"model": "balanced", "horizon_months": 12, "funding": 5_000_000},
}


def log(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _requests(count: int, people: int, rng: random.Random) -> list[Request]:
    stages = [stage for stage, weight in STAGES for _ in range(weight)]
    now = datetime.now(UTC)
    out = []
    for n in range(count):
        cost = None if rng.random() < 0.06 else Decimal(round(rng.uniform(10, 800)) * 1000)
        currency = "USD" if rng.random() < 0.03 else "EUR"
        benefit = None if cost is None else (cost * Decimal(str(round(rng.uniform(0.3, 4), 2))))
        start = AS_OF + timedelta(days=rng.randint(-30, 270))
        effort = {
            "Consultant": float(rng.randint(0, 50) * 8),
            "Analyst": float(rng.randint(0, 75) * 8),
        }
        person = rng.randrange(people)
        sponsor = None if rng.random() < 0.15 else rng.randrange(people)
        out.append(
            Request(
                source=SOURCE,
                source_id=f"req-{n}",
                title=f"Request {n}: {rng.choice(('CRM', 'ERP', 'Portal', 'Data'))} "
                f"{rng.choice(('upgrade', 'rollout', 'migration', 'pilot'))}",
                stage=rng.choice(stages),
                submitted_at=now - timedelta(days=rng.randint(0, 400), hours=rng.randint(0, 23)),
                requester_identity_id=PersonIdentity.ref(ASANA, f"user-{person}"),
                sponsor_identity_id=(
                    None if sponsor is None else PersonIdentity.ref(ASANA, f"user-{sponsor}")
                ),
                estimated_cost=cost,
                estimated_benefit=benefit,
                currency=currency if cost is not None else None,
                effort_hours=effort if rng.random() > 0.08 else {},
                target_start=start if rng.random() > 0.1 else None,
                target_end=start + timedelta(days=rng.randint(60, 360)),
                criteria={
                    "strategic_fit": rng.choice(("High", "Medium", "Medium", "Low", "Critical"))
                    if rng.random() > 0.05
                    else "Low",
                    "regulatory": rng.random() < 0.2,
                },
                risk=rng.randint(1, 5),
                source_url=f"https://intake.example/requests/{n}",
            )
        )
    return out


def build_store(store: Store, org_size: str, count: int) -> tuple[CanonicalOrg, int]:
    org = CanonicalOrg(SIZES[org_size], AS_OF, seed=SEED)
    written = 0
    for page in org.pages(PAGE):
        with store.writer() as writer:
            writer.upsert(page)
        written += len(page)
    requests = _requests(count, SIZES[org_size].people, random.Random(SEED))
    for start in range(0, len(requests), PAGE):
        with store.writer() as writer:
            writer.upsert(requests[start : start + PAGE])
    return org, written + len(requests)


def config_for(url: str, org: CanonicalOrg):
    from pmosync.config import PmosyncConfig

    roles = {person.email: ROLES[person.index % len(ROLES)] for person in org.people}
    return PmosyncConfig.model_validate(
        {
            "store": url,
            "resources": {"hourly_rates": {"currency": "EUR", "default": 90}, "roles": roles},
            "intake": INTAKE,
            "reports": {"intake": {"kind": "intake_pipeline", "formats": ["html"]}},
        }
    )


def raw_scan(store: Store) -> tuple[float, int]:
    table = ENTITY_TABLES[Request]
    query = select(*(table.c[name] for name in REQUEST_COLUMNS)).where(table.c.deleted_at.is_(None))
    began = time.perf_counter()
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    return time.perf_counter() - began, len(rows)


def raw_scan_all(store: Store) -> tuple[float, int]:
    """Every row the report reads (see the module docstring), plain selects, one fetch each.

    The request history is read as the dataset reads it (the request ids bound in pages of
    500, the same filters): the versions are the rows, however they are asked for."""
    table = ENTITY_TABLES[Request]
    requests = select(*(table.c[name] for name in REQUEST_COLUMNS)).where(
        table.c.deleted_at.is_(None)
    )
    others = [
        select(*(ENTITY_TABLES[model].c[name] for name in columns)).where(
            ENTITY_TABLES[model].c.deleted_at.is_(None)
        )
        for model, columns in OTHER_COLUMNS.items()
    ]
    h = record_history.c
    until = end_of_day(AS_OF)
    count = 0
    began = time.perf_counter()
    with store.engine.connect() as connection:
        rows = connection.execute(requests).all()
        count += len(rows)
        ids = [row[0] for row in rows]
        for start in range(0, len(ids), 500):
            history = (
                select(h.record_id, h.valid_from, h.fields)
                .where(
                    h.entity == "request",
                    h.record_id.in_(ids[start : start + 500]),
                    h.valid_from < until,
                    h.deleted.is_(False),
                )
                .order_by(h.record_id, h.valid_from, h.id)
            )
            count += len(connection.execute(history).all())
        for query in others:
            count += len(connection.execute(query).all())
    return time.perf_counter() - began, count


def one_pass(store: Store, config) -> dict[str, float]:
    """Every timed figure once (see the module docstring)."""
    from pmosync.reports.collector import collector_paused
    from pmosync.reports.dataset import load_dataset
    from pmosync.reports.job import compute_document, organisation_calendar
    from pmosync.reports.kinds import DATASET_PARTS
    from pmosync.reports.metrics.intake.capacity import capacity_left
    from pmosync.reports.metrics.intake.score import score_model
    from pmosync.reports.metrics.intake.select import select as select_fit
    from pmosync.reports.render import render_files

    intake = config.intake
    calendar = organisation_calendar(config, AS_OF)
    figures: dict[str, float] = {}
    with collector_paused():  # as compute_document reads: no cyclic collection mid-scan
        figures["raw_scan_s"], _ = raw_scan(store)
        figures["raw_scan_all_s"], figures["raw_rows_all"] = raw_scan_all(store)
    with collector_paused():
        dataset = load_dataset(
            store, config.reports["intake"].filters, AS_OF, DATASET_PARTS["intake_pipeline"]
        )
        eligible = [r for r in dataset.requests if r.stage in intake.eligible_stages]
        began = time.perf_counter()
        scores = {
            name: score_model(
                eligible,
                name,
                model,
                as_of=AS_OF,
                currency=intake.currency,
                people=dataset.people,
            )
            for name, model in intake.models.items()
        }
        figures["score_s"] = time.perf_counter() - began
        began = time.perf_counter()
        capacity = capacity_left(dataset, config.resources, intake, calendar)
        chosen = select_fit(
            scores[intake.selection_model() or ""],
            {r.id: r for r in dataset.requests},
            capacity,
            intake,
            calendar,
            AS_OF,
        )
        figures["select_s"] = time.perf_counter() - began
        figures["selected"] = len(chosen.selected)
        figures["eligible"] = len(eligible)
        began = time.perf_counter()
        document = compute_document(config, store, "intake", AS_OF)
        figures["report_s"] = time.perf_counter() - began
        began = time.perf_counter()
        (page,) = render_files(document, ["html"])
        figures["render_html_s"] = time.perf_counter() - began
        figures["html_kb"] = len(page.content) / 1024
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--org", default="S", choices=sorted(SIZES))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        url = f"sqlite:///{temporary}/intake.db"
        with Store.open(url) as store:
            began = time.perf_counter()
            org, records = build_store(store, args.org, args.requests)
            log(f"setup {time.perf_counter() - began:.1f}s ({records} records)")
            config = config_for(url, org)
            cold = one_pass(store, config)
            log(f"cold pass: {cold}")
            warm = one_pass(store, config)
    emit(
        {
            "bench": "intake",
            "requests": args.requests,
            "org": args.org,
            "eligible": int(warm["eligible"]),
            "selected": int(warm["selected"]),
            "raw_scan_s": round(warm["raw_scan_s"], 3),
            "raw_scan_all_s": round(warm["raw_scan_all_s"], 3),
            "raw_rows_all": int(warm["raw_rows_all"]),
            "score_s": round(warm["score_s"], 3),
            "select_s": round(warm["select_s"], 3),
            "report_s": round(warm["report_s"], 3),
            "render_html_s": round(warm["render_html_s"], 3),
            "ratio": round(warm["report_s"] / warm["raw_scan_s"], 2),
            "ratio_all": round(warm["report_s"] / warm["raw_scan_all_s"], 2),
            "cold_report_s": round(cold["report_s"], 3),
            "html_kb": round(warm["html_kb"], 1),
            "peak_rss_mb": peak_rss_mb(),
        }
    )


if __name__ == "__main__":
    main()
