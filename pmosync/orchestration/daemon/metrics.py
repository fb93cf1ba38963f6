"""Prometheus figures read from the run ledger at each scrape.

Counting from the ledger rather than in process memory means the figures survive restarts and
take-overs, and every daemon of a store (active or standby) reports the same totals: they are
the store's history, not one process's. Only ``pmosync_daemon_active`` is the process's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import Connection, Engine, case, func, select

from pmosync.store.schema import RUN_STREAM_COUNTERS, quarantine, run_streams, runs

_Family = TypeVar("_Family", CounterMetricFamily, GaugeMetricFamily)

RECORD_CHANGES = tuple(name for name in RUN_STREAM_COUNTERS if name != "requests")


class LedgerCollector:
    """A custom collector: every ``collect`` reads the ledger afresh."""

    def __init__(self, engine: Engine, is_active: Callable[[], bool]) -> None:
        self.engine = engine
        self.is_active = is_active

    def collect(self) -> Iterator[Metric]:
        with self.engine.connect() as connection:
            run_rows = connection.execute(
                select(runs.c.kind, runs.c.status, func.count()).group_by(
                    runs.c.kind, runs.c.status
                )
            ).all()
            stream_rows = connection.execute(
                select(
                    run_streams.c.connector,
                    run_streams.c.stream,
                    *(func.sum(run_streams.c[name]) for name in RUN_STREAM_COUNTERS),
                    func.sum(case((run_streams.c.status == "failed", 1), else_=0)),
                ).group_by(run_streams.c.connector, run_streams.c.stream)
            ).all()
            successes = self._last_successes(connection)
            open_quarantine = connection.scalar(
                select(func.count()).where(quarantine.c.resolved_at.is_(None))
            )

        runs_total = CounterMetricFamily(
            "pmosync_runs", "Sync and report runs, by outcome.", labels=["kind", "status"]
        )
        for kind, status, count in run_rows:
            runs_total.add_metric([kind, status], count)
        yield runs_total

        records = CounterMetricFamily(
            "pmosync_records",
            "Records a sync wrote or saw, by connector, stream and what happened to them.",
            labels=["connector", "stream", "change"],
        )
        requests: dict[str, int] = {}
        errors: dict[str, int] = {}
        for connector, stream, *sums in stream_rows:
            counters = dict(zip(RUN_STREAM_COUNTERS, (int(s or 0) for s in sums), strict=False))
            for change in RECORD_CHANGES:
                records.add_metric([connector, stream, change], counters[change])
            requests[connector] = requests.get(connector, 0) + counters["requests"]
            errors[connector] = errors.get(connector, 0) + int(sums[-1] or 0)
        yield records
        yield _per_connector(
            CounterMetricFamily(
                "pmosync_requests", "HTTP requests made to sources.", labels=["connector"]
            ),
            requests,
        )
        yield _per_connector(
            CounterMetricFamily(
                "pmosync_errors", "Stream runs that failed, by connector.", labels=["connector"]
            ),
            errors,
        )
        yield _per_connector(
            GaugeMetricFamily(
                "pmosync_last_success_timestamp_seconds",
                "When a connector last finished a run with every stream succeeded (Unix time).",
                labels=["connector"],
            ),
            successes,
        )
        yield GaugeMetricFamily(
            "pmosync_daemon_active",
            "1 when this daemon holds the lease and schedules jobs, 0 on standby.",
            value=1 if self.is_active() else 0,
        )
        yield GaugeMetricFamily(
            "pmosync_quarantined_open",
            "Quarantined records not yet resolved.",
            value=open_quarantine or 0,
        )

    @staticmethod
    def _last_successes(connection: Connection) -> dict[str, float]:
        """Per connector: the end of its latest run in which all its streams succeeded."""
        per_run = (
            select(
                run_streams.c.connector,
                func.max(run_streams.c.ended_at).label("ended_at"),
            )
            .group_by(run_streams.c.connector, run_streams.c.run_id)
            .having(func.sum(case((run_streams.c.status != "succeeded", 1), else_=0)) == 0)
        )
        latest: dict[str, float] = {}
        for connector, ended_at in connection.execute(per_run):
            if ended_at is not None:
                latest[connector] = max(latest.get(connector, 0.0), ended_at.timestamp())
        return latest


def _per_connector(family: _Family, values: Mapping[str, float]) -> _Family:
    for connector, value in sorted(values.items()):
        family.add_metric([connector], value)
    return family


def metrics_text(collector: LedgerCollector) -> bytes:
    """The Prometheus text exposition of the collector's figures (raises if the store fails)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return generate_latest(registry)
