"""The finance team's cost workbook: expenses and invoices per Asana project.

Labour is not a project's only cost: travel, licences and suppliers' invoices are booked by
finance in a workbook, which the demo's ``costs`` connector (a local folder, kind ``cost``)
reads. The amounts are small beside labour (about 4 % of a project's budget, within the
contingency it carries) and in
the budget's currency, except one supplier who invoices in US dollars: pmosync leaves that
invoice out of the euro actual cost and says so, as it must not convert silently.

The rows depend only on the world (its seed and day), so each run writes the same file and an
incremental sync finds it unchanged.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pmosync.sandbox.org import Org
from pmosync.sandbox.org.generate import CURRENCY
from pmosync.sandbox.tenant import render_xlsx

FOLDER = "costs"
FILE = "project-costs.xlsx"
SHEET = "Costs"
COLUMNS: dict[str, str] = {
    "date": "Date",
    "project": "Project",
    "category": "Type",
    "amount": "Amount",
    "currency": "Currency",
    "vendor": "Supplier",
    "description": "Description",
}
"""Canonical cost column -> header in the workbook (the demo's YAML maps these)."""
FOREIGN_CURRENCY = "USD"

_EXPENSES = ("Travel to site", "Workshop catering", "Training course", "Test devices")
_VENDORS = (
    ("Northwind Consulting", "Specialist support"),
    ("Fabrikam Print", "Printed material"),
    ("Litware Licences", "Software licences"),
)
_FOREIGN_VENDOR = ("Tailspin Cloud Inc.", "Cloud hosting (invoiced in USD)")


@dataclass(frozen=True)
class CostRow:
    """One booked cost: an expense or a supplier's invoice."""

    day: date
    project: str
    category: str
    amount: float
    currency: str
    vendor: str | None
    description: str


def cost_rows(org: Org, seed: int) -> list[CostRow]:
    """Two to four expenses (0.3-0.8 % of the budget each) and one or two invoices (1-2 %)
    per project that has started, dated within its run so far; the longest-running project
    in flight also has its hosting invoiced in USD."""
    rng = random.Random(f"{seed}:costs")
    rows: list[CostRow] = []
    for project in sorted(org.projects.values(), key=lambda p: p.gid):
        if project.start_on is None or project.start_on >= org.today:
            continue
        end = min(project.due_on or org.today, org.today - timedelta(days=1))
        span = max((end - project.start_on).days, 0)
        budget = float(project.custom.get(org.field_named("Budget").gid) or 0.0)
        for _ in range(rng.randint(2, 4)):
            day = project.start_on + timedelta(days=rng.randint(0, span))
            amount = round(budget * rng.uniform(0.003, 0.008), -1)
            what = rng.choice(_EXPENSES)
            rows.append(CostRow(day, project.name, "expense", amount, CURRENCY, None, what))
        for _ in range(rng.randint(1, 2)):
            day = project.start_on + timedelta(days=rng.randint(0, span))
            vendor, what = rng.choice(_VENDORS)
            amount = round(budget * rng.uniform(0.01, 0.02), -1)
            rows.append(CostRow(day, project.name, "invoice", amount, CURRENCY, vendor, what))
    active = [p for p in org.projects.values() if not p.completed and not p.archived]
    if active:
        busiest = min(active, key=lambda p: (p.start_on or org.today, p.gid))
        vendor, what = _FOREIGN_VENDOR
        day = org.today - timedelta(days=10)
        rows.append(CostRow(day, busiest.name, "invoice", 1_250.0, FOREIGN_CURRENCY, vendor, what))
    rows.sort(key=lambda row: (row.day, row.project, row.amount))
    return rows


def write_cost_workbook(folder: Path, org: Org, seed: int) -> Path:
    """Write the workbook into ``folder/costs/`` (only when its bytes change, so a rerun
    leaves the file as the last sync read it)."""
    header = list(COLUMNS.values())
    cells = [
        [r.day, r.project, r.category, r.amount, r.currency, r.vendor, r.description]
        for r in cost_rows(org, seed)
    ]
    content = render_xlsx(SHEET, header, cells)
    path = folder / FOLDER / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_bytes() != content:
        path.write_bytes(content)
    return path
