"""The ``report_deliveries`` rows: which period went to which target, and what failed.

One row per (report, period, target), written after every attempt: ``delivered`` rows make a
rerun skip the target, ``failed`` rows are what later runs retry. ``attempts`` counts every
try, so a target that keeps failing is visible as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from pmosync.store import Store
from pmosync.store.engine import write_transaction
from pmosync.store.schema import report_deliveries, report_snapshots


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    report: str
    period: str
    target: str
    label: str
    run_id: str
    status: str
    attempts: int
    error: str | None
    location: str | None


def _insert(dialect: str, table: Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (both backends support it)."""
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def record_attempt(
    store: Store,
    *,
    report: str,
    period: str,
    target: str,
    label: str,
    run_id: str,
    status: str,
    error: str | None,
    location: str | None,
) -> None:
    """Write one attempt's result (insert, or update the row and count the attempt)."""
    table = report_deliveries
    values = {
        "label": label,
        "run_id": run_id,
        "status": status,
        "error": error,
        "location": location,
        "updated_at": datetime.now(UTC),
    }
    with write_transaction(store.engine) as connection:
        statement = _insert(connection.dialect.name, table).values(
            report=report, period=period, target=target, attempts=1, **values
        )
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.report, table.c.period, table.c.target],
            set_={**values, "attempts": table.c.attempts + 1},
        )
        connection.execute(statement)


def find(store: Store, report: str, period: str, target: str) -> DeliveryRecord | None:
    table = report_deliveries
    query = select(table).where(
        table.c.report == report, table.c.period == period, table.c.target == target
    )
    with store.engine.connect() as connection:
        row = connection.execute(query).first()
    return None if row is None else _record(row)


def for_report(store: Store, report: str) -> list[DeliveryRecord]:
    """Every row of ``report``, oldest period first."""
    table = report_deliveries
    query = (
        select(table).where(table.c.report == report).order_by(table.c.period, table.c.updated_at)
    )
    with store.engine.connect() as connection:
        return [_record(row) for row in connection.execute(query)]


def newest_period(store: Store, report: str) -> str | None:
    """The report date of the newest snapshot of ``report`` (the run in progress keeps its
    snapshot before it delivers)."""
    table = report_snapshots
    query = (
        select(table.c.as_of)
        .where(table.c.report == report)
        .order_by(table.c.created_at.desc())
        .limit(1)
    )
    with store.engine.connect() as connection:
        found = connection.execute(query).scalar_one_or_none()
    return None if found is None else found.isoformat()


def _record(row: Row[Any]) -> DeliveryRecord:
    return DeliveryRecord(
        report=row.report,
        period=row.period,
        target=row.target,
        label=row.label,
        run_id=row.run_id,
        status=row.status,
        attempts=row.attempts,
        error=row.error,
        location=row.location,
    )
