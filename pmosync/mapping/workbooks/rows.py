"""Timesheet rows, cost rows and budget rows onto the canonical model.

A row names its project by name (or the project's id in its tool) and its person by email;
the ``Directory`` built from the store says which synced project and person that is. A row
that names nothing synced is quarantined with that reason rather than stored as an orphan,
so fixing the name (or adding an alias) and saving the file brings it in on the next sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import ValidationError

from pmosync.canonical.types import (
    ApprovalStatus,
    Budget,
    BudgetMeasure,
    CostCategory,
    CostEntry,
    Leave,
    PersonIdentity,
    Record,
    TimeEntry,
)
from pmosync.mapping.directory import Directory
from pmosync.mapping.result import Mapped, MappingError
from pmosync.mapping.workbooks.cells import RowCells, shown

FUTURE_DAYS = 7
"""How far past today a row may be dated (a week planned ahead); later is a typo."""
MAX_MINUTES = Decimal(24 * 60)
HOURS = Decimal("0.0001")
"""Hours budgets keep the store's four decimal places."""
APPROVAL: dict[str, ApprovalStatus] = {name: name for name in ApprovalStatus.__args__}
CATEGORIES: dict[str, CostCategory] = {
    "expense": "expense",
    "invoice": "invoice",
    "labour": "labour",
    "labor": "labour",
}
MEASURES: dict[str, BudgetMeasure] = {
    "money": "money",
    "hours": "hours",
    "h": "hours",
    "hrs": "hours",
}


@dataclass(frozen=True, slots=True)
class RowContext:
    """What every row of one connector is read against."""

    source: str
    directory: Directory
    today: date
    headers: dict[str, str]
    default_currency: str | None = None
    request: Any = None
    """A request source's ``RequestSettings`` (vocabularies, criteria, effort); else None."""


def _build(model: type[Record], row: RowCells, **values: Any) -> Any:
    """A canonical record, pydantic's complaint turned into a one-line located error."""
    try:
        return model(**values)
    except ValidationError as error:
        raise row.error(str(MappingError.from_validation(model.entity, error))) from None


def _person(ctx: RowContext, row: RowCells) -> PersonIdentity:
    email = row.email("person")
    if not ctx.directory.knows(email):
        raise row.error(
            f"person {email} matches nobody synced (add an alias under people.aliases?)"
        )
    return _build(PersonIdentity, row, source=ctx.source, source_id=email, email=email)


def _entry_date(ctx: RowContext, row: RowCells) -> date:
    day = row.day("date")
    if day > ctx.today + timedelta(days=FUTURE_DAYS):
        raise row.invalid("date", row.value("date"), "is in the future")
    return day


def _project(ctx: RowContext, row: RowCells) -> str:
    """The synced project the row names, the directory's complaint put after the location."""
    text = row.text("project")
    try:
        return ctx.directory.project(text)
    except MappingError as error:
        raise row.error(str(error)) from None


def _approval(row: RowCells) -> ApprovalStatus | None:
    if not row.has("approval"):
        return None
    text = row.text("approval")
    found = APPROVAL.get(text.strip().casefold())
    if found is None:
        raise row.invalid("approval", text, f"is not one of {', '.join(APPROVAL)}")
    return found


def map_time_row(ctx: RowContext, row: RowCells, source_id: str) -> Mapped:
    """A timesheet row -> TimeEntry (and the PersonIdentity it is logged by)."""
    person = _person(ctx, row)
    entry_date = _entry_date(ctx, row)
    minutes = row.minutes("hours")
    if minutes < 0:
        raise row.invalid("hours", row.value("hours"), "is negative")
    if minutes > MAX_MINUTES:
        raise row.invalid("hours", row.value("hours"), "is more than 24 hours in a day")
    project_id = _project(ctx, row)
    task = ctx.directory.task(project_id, row.text("task")) if row.has("task") else None
    entry = _build(
        TimeEntry,
        row,
        source=ctx.source,
        source_id=source_id,
        source_url=row.raw.get("url"),
        identity_id=person.id,
        project_id=project_id,
        task_id=task,
        entry_date=entry_date,
        minutes=int(minutes.quantize(Decimal(1), rounding=ROUND_HALF_UP)),
        billable=row.flag("billable"),
        approval=_approval(row),
        description=row.text("description") if row.has("description") else None,
    )
    return Mapped([person, entry])


def _currency(ctx: RowContext, row: RowCells, written: str | None) -> str:
    """The currency column, else the currency written with the amount, else the default."""
    column = row.currency()
    amount = f"{row.header('amount')} {shown(row.value('amount'))}"
    if column and written and column != written:
        raise row.error(f"{amount} is in {written} but {row.header('currency')} says {column}")
    currency = column or written or ctx.default_currency
    if currency is None:
        raise row.error(f"{amount} has no currency (add a currency column or default_currency)")
    return currency


def _category(row: RowCells, vendor: str | None) -> CostCategory:
    """The category column, else an invoice when a vendor is named, else an expense."""
    if not row.has("category"):
        return "invoice" if vendor else "expense"
    text = row.text("category")
    found = CATEGORIES.get(text.strip().casefold())
    if found is None:
        raise row.invalid("category", text, "is not expense, invoice or labour")
    return found


def map_cost_row(ctx: RowContext, row: RowCells, source_id: str) -> Mapped:
    """A cost sheet row -> CostEntry (and the PersonIdentity it names, if any)."""
    entry_date = _entry_date(ctx, row)
    amount, written = row.money("amount")
    currency = _currency(ctx, row, written)
    project_id = _project(ctx, row)
    person = _person(ctx, row) if row.has("person") else None
    vendor = row.text("vendor") if row.has("vendor") else None
    entry = _build(
        CostEntry,
        row,
        source=ctx.source,
        source_id=source_id,
        source_url=row.raw.get("url"),
        project_id=project_id,
        entry_date=entry_date,
        amount=amount,
        currency=currency,
        category=_category(row, vendor),
        description=row.text("description") if row.has("description") else None,
        vendor=vendor,
        identity_id=person.id if person else None,
    )
    return Mapped([person, entry] if person else [entry])


def _measure(row: RowCells) -> BudgetMeasure:
    """The measure column, else money."""
    if not row.has("measure"):
        return "money"
    text = row.text("measure")
    found = MEASURES.get(text.strip().casefold())
    if found is None:
        raise row.invalid("measure", text, "is not money or hours")
    return found


def map_budget_row(ctx: RowContext, row: RowCells, source_id: str) -> Mapped:
    """A budget sheet row -> Budget of origin ``workbook``: a whole budget, or one line of it
    (CAPEX, OPEX, a phase) when the line column names one. Hours budgets take no currency."""
    measure = _measure(row)
    amount, written = row.money("amount")
    currency = None
    if measure == "money":
        currency = _currency(ctx, row, written)
    elif written is not None:
        raise row.invalid("amount", row.value("amount"), "is money in an hours budget")
    else:
        amount = amount.quantize(HOURS, rounding=ROUND_HALF_UP)
    if amount < 0:
        raise row.invalid("amount", row.value("amount"), "is negative")
    project_id = _project(ctx, row)
    line = row.text("line").strip() if row.has("line") else None
    budget = _build(
        Budget,
        row,
        source=ctx.source,
        source_id=source_id,
        source_url=row.raw.get("url"),
        project_id=project_id,
        amount=amount,
        measure=measure,
        currency=currency,
        origin="workbook",
        line=line or None,
    )
    return Mapped([budget])


def map_leave_row(ctx: RowContext, row: RowCells, source_id: str) -> Mapped:
    """A leave row (a workbook's or a SharePoint list item's) -> Leave of the person it names:
    from start to end inclusive, whole days unless hours_per_day says how many hours a day.
    Leave ahead of today is the point (it is planned), so no date is too far ahead."""
    person = _person(ctx, row)
    start, end = row.day("start"), row.day("end")
    if end < start:
        raise row.error(
            f"{row.header('end')} {end.isoformat()} is before {row.header('start')} "
            f"{start.isoformat()}"
        )
    hours = None
    if row.has("hours_per_day"):
        minutes = row.minutes("hours_per_day")
        if not 0 < minutes <= MAX_MINUTES:
            raise row.invalid(
                "hours_per_day", row.value("hours_per_day"), "is not between 0 and 24 hours"
            )
        hours = float(minutes / 60)
    kind = row.text("kind").strip() if row.has("kind") else None
    leave = _build(
        Leave,
        row,
        source=ctx.source,
        source_id=source_id,
        source_url=row.raw.get("url"),
        identity_id=person.id,
        start_date=start,
        end_date=end,
        hours_per_day=hours,
        kind=kind or None,
    )
    return Mapped([person, leave])
