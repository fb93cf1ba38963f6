"""Frozen report figures: each run's ``ReportDocument`` kept in the store.

A past report is re-rendered from its snapshot, never recomputed (the data has moved on since),
and trend charts read the ``trend`` points of earlier snapshots of the same report.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from pmosync.reports.document import ReportDocument, TrendPoint
from pmosync.store import Store
from pmosync.store.engine import write_transaction
from pmosync.store.schema import report_snapshots

HISTORY_LIMIT = 12


def save_snapshot(store: Store, run_id: str, document: ReportDocument) -> None:
    """Keep ``document`` as run ``run_id``'s snapshot."""
    with write_transaction(store.engine) as connection:
        connection.execute(
            report_snapshots.insert().values(
                run_id=run_id,
                report=document.report,
                kind=document.kind,
                as_of=date.fromisoformat(document.as_of),
                created_at=datetime.now(UTC),
                document=document.to_json(),
            )
        )


def load_snapshot(store: Store, run_id: str) -> ReportDocument | None:
    """The snapshot of run ``run_id``, or None when that run kept none."""
    query = select(report_snapshots.c.document).where(report_snapshots.c.run_id == run_id)
    with store.engine.connect() as connection:
        document = connection.execute(query).scalar_one_or_none()
    return None if document is None else ReportDocument.from_json(document)


def latest_snapshot(store: Store, report: str, as_of: date) -> tuple[str, ReportDocument] | None:
    """The newest snapshot of ``report`` for report date ``as_of``: (run id, document)."""
    query = (
        select(report_snapshots.c.run_id, report_snapshots.c.document)
        .where(report_snapshots.c.report == report, report_snapshots.c.as_of == as_of)
        .order_by(report_snapshots.c.created_at.desc())
        .limit(1)
    )
    with store.engine.connect() as connection:
        row = connection.execute(query).first()
    return None if row is None else (row.run_id, ReportDocument.from_json(row.document))


def history(
    store: Store, report: str, before: date, limit: int = HISTORY_LIMIT
) -> tuple[TrendPoint, ...]:
    """Trend points of ``report``'s earlier report dates (the newest run of each date), oldest
    first, at most ``limit``: what its trend charts draw besides this run."""
    # Only the trend figures, and only for the newest dates: a year of weekly snapshots of a
    # large portfolio is hundreds of megabytes of documents this never needs.
    newest = (
        select(
            report_snapshots.c.as_of,
            func.max(report_snapshots.c.created_at).label("created_at"),
        )
        .where(report_snapshots.c.report == report, report_snapshots.c.as_of < before)
        .group_by(report_snapshots.c.as_of)
        .order_by(report_snapshots.c.as_of.desc())
        .limit(limit)
        .subquery()
    )
    query = (
        select(report_snapshots.c.as_of, report_snapshots.c.document["trend"].label("trend"))
        .join(
            newest,
            (report_snapshots.c.as_of == newest.c.as_of)
            & (report_snapshots.c.created_at == newest.c.created_at),
        )
        .where(report_snapshots.c.report == report)
        .order_by(report_snapshots.c.as_of)
    )
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    points: dict[date, TrendPoint] = {}
    for row in rows:  # one per date (two runs in the same instant: either will do)
        points[row.as_of] = TrendPoint(row.as_of.isoformat(), dict(row.trend or {}))
    return tuple(points.values())
