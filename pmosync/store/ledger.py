"""The run ledger: every sync or report run is a row, every stream it touched another.

Counters advance with each committed page (see ``Writer``), so a run killed half-way still
shows what it committed; the next run marks it ``interrupted``.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Connection, Engine, case, exc, func, select, update

from pmosync.canonical.text import without_nul
from pmosync.store.engine import write_transaction
from pmosync.store.schema import RUN_STREAM_COUNTERS, run_streams, runs
from pmosync.store.writer import StreamRun

RunStatus = Literal["running", "succeeded", "failed", "interrupted", "skipped"]
_ERROR_LIMIT = 4000


_ACTIVE_RUNS: set[str] = set()
"""Runs this process started and has not finished (whether or not their end was written)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _clip(error: str | None) -> str | None:
    """An error as the ledger keeps it: at most ``_ERROR_LIMIT`` characters, and without NUL
    (a message quoting a source's text may hold one; PostgreSQL refuses it in text)."""
    if error is None:
        return None
    error = without_nul(error)
    return error if len(error) <= _ERROR_LIMIT else error[:_ERROR_LIMIT] + "…"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Ledger:
    """Start and finish runs and their streams; read them back for ``pmosync status``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def start_run(
        self,
        kind: str = "sync",
        job: str | None = None,
        *,
        connector: str | None = None,
        workflow_id: str | None = None,
    ) -> str:
        """Open a run of ``kind``; ``job`` names what ran (a report's name; default the kind).

        ``connector``: the one connector a sync run covers (a Temporal sync workflow's), so a
        report waits only for the syncs of what it reads; ``workflow_id``: the Temporal
        workflow whose attempt this run is."""
        run_id = str(uuid.uuid4())
        _ACTIVE_RUNS.add(run_id)  # before the row exists: a concurrent dead-run sweep in this
        try:  # process must never take it for a run whose process is gone
            self._insert_run(run_id, kind, job, connector, workflow_id)
        except BaseException:
            _ACTIVE_RUNS.discard(run_id)
            raise
        return run_id

    def _insert_run(
        self,
        run_id: str,
        kind: str,
        job: str | None,
        connector: str | None,
        workflow_id: str | None,
    ) -> None:
        with write_transaction(self._engine) as connection:
            connection.execute(
                runs.insert().values(
                    id=run_id,
                    kind=kind,
                    job=job or kind,
                    started_at=_now(),
                    status="running",
                    host=socket.gethostname(),
                    pid=os.getpid(),
                    connector=connector,
                    workflow_id=workflow_id,
                )
            )

    def start_stream(self, run_id: str, connector: str, stream: str) -> StreamRun:
        with write_transaction(self._engine) as connection:
            connection.execute(
                run_streams.insert().values(
                    run_id=run_id,
                    connector=connector,
                    stream=stream,
                    started_at=_now(),
                    status="running",
                )
            )
        return StreamRun(run_id, connector, stream)

    def finish_stream(
        self,
        stream_run: StreamRun,
        status: RunStatus,
        error: str | None = None,
        *,
        requests: int = 0,
    ) -> None:
        """Close a stream's row; ``requests`` adds the HTTP attempts no committed page carried
        (those of a stream that failed or was skipped part-way): the ledger counts them all."""
        with write_transaction(self._engine) as connection:
            connection.execute(
                update(run_streams)
                .where(
                    run_streams.c.run_id == stream_run.run_id,
                    run_streams.c.connector == stream_run.connector,
                    run_streams.c.stream == stream_run.stream,
                )
                .values(
                    status=status,
                    ended_at=_now(),
                    error=_clip(error),
                    requests=run_streams.c.requests + requests,
                )
            )

    def finish_run(self, run_id: str, status: RunStatus, error: str | None = None) -> None:
        _ACTIVE_RUNS.discard(run_id)
        with write_transaction(self._engine) as connection:
            connection.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(status=status, ended_at=_now(), error=_clip(error))
            )

    def mark_interrupted(self) -> int:
        """Close the runs of this host whose process died while they were running.

        A long-lived process (the daemon) also closes its own runs that are no longer active:
        a run whose ending could not be written (the database went away) is over all the same.
        """
        with write_transaction(self._engine) as connection:
            dead = _dead_runs(connection)
            _interrupt(connection, dead, "the process ended before the run finished")
        return len(dead)

    def close_dead_runs(self) -> None:
        """What every reading of runs does first: close the runs whose process died, so a run
        killed outright (SIGKILL, OOM) reads ``interrupted`` at once, whatever its kind, not
        when a sync next runs. A plain read finds them; only then is a write taken. Best
        effort: a store this process may only read keeps showing them running."""
        try:
            with self._engine.connect() as connection:
                found = _dead_runs(connection)
            if found:
                self.mark_interrupted()
        except exc.SQLAlchemyError:
            return

    def mark_interrupted_of(self, host: str, pid: int, reason: str) -> int:
        """Close the runs a given process left running, on any host: the daemon taking over
        from one whose lease ran out cannot ask another machine whether that process lives."""
        return self._interrupt_running(reason, runs.c.host == host, runs.c.pid == pid)

    def interrupt_workflow_runs(self, workflow_id: str, reason: str) -> int:
        """Close the runs a workflow's earlier attempts left running: on a retry, the attempt
        before is over (its worker died or stopped heartbeating), on whichever host it ran."""
        return self._interrupt_running(
            reason, runs.c.workflow_id == workflow_id, runs.c.id.not_in(_ACTIVE_RUNS)
        )

    def _interrupt_running(self, reason: str, *where: ColumnElement[bool]) -> int:
        """Mark the running runs that match ``where`` interrupted for ``reason``; how many."""
        with write_transaction(self._engine) as connection:
            found = list(
                connection.scalars(select(runs.c.id).where(runs.c.status == "running", *where))
            )
            _interrupt(connection, found, reason)
        return len(found)

    def latest_streams(self) -> list[dict[str, Any]]:
        """The most recent ledger row of every (connector, stream), by connector and stream."""
        self.close_dead_runs()
        latest = (
            select(
                run_streams.c.connector,
                run_streams.c.stream,
                func.max(run_streams.c.started_at).label("started_at"),
            )
            .group_by(run_streams.c.connector, run_streams.c.stream)
            .subquery()
        )
        query = (
            select(run_streams)
            .join(
                latest,
                (run_streams.c.connector == latest.c.connector)
                & (run_streams.c.stream == latest.c.stream)
                & (run_streams.c.started_at == latest.c.started_at),
            )
            .order_by(run_streams.c.connector, run_streams.c.stream)
        )
        with self._engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def last_runs(
        self, kind: str, *, ignore: tuple[RunStatus, ...] = ()
    ) -> dict[str, tuple[datetime, str]]:
        """Each job's newest run of ``kind`` whose status is not in ``ignore``: job ->
        (started_at, status). Whether a report is due (ignoring runs skipped while their data
        was not ready), and what ``report list`` shows, both read this."""
        self.close_dead_runs()
        latest = (
            select(runs.c.job, func.max(runs.c.started_at).label("started_at"))
            .where(runs.c.kind == kind, runs.c.status.not_in(ignore))
            .group_by(runs.c.job)
            .subquery()
        )
        query = select(runs.c.job, runs.c.started_at, runs.c.status).join(
            latest,
            (runs.c.job == latest.c.job)
            & (runs.c.started_at == latest.c.started_at)
            & (runs.c.kind == kind),
        )
        with self._engine.connect() as connection:
            return {row.job: (row.started_at, row.status) for row in connection.execute(query)}

    def last_complete_syncs(self) -> dict[str, datetime]:
        """Per connector: when its newest complete sync started. Complete: a sync run that
        ended (not interrupted) in which every stream the connector ran succeeded or was
        skipped for good (a 402). A report waits for this before it may run, and its data is
        at least as fresh as this start (``reports.readiness``)."""
        finished = {"succeeded", "skipped"}
        per_run = (
            select(run_streams.c.connector, func.max(runs.c.started_at).label("started_at"))
            .join(runs, runs.c.id == run_streams.c.run_id)
            .where(runs.c.kind == "sync", runs.c.status.in_(("succeeded", "failed")))
            .group_by(run_streams.c.connector, run_streams.c.run_id)
            .having(func.sum(case((run_streams.c.status.in_(finished), 0), else_=1)) == 0)
            .subquery()
        )
        query = select(per_run.c.connector, func.max(per_run.c.started_at)).group_by(
            per_run.c.connector
        )
        with self._engine.connect() as connection:
            return {connector: at for connector, at in connection.execute(query)}

    def synced_since(self, connector: str, since: datetime) -> bool:
        """Whether a sync of ``connector`` started at or after ``since`` and has ended (in any
        way): a report due at a tick its connector's sync also ticked on waits for this."""
        touched = select(run_streams.c.run_id).where(run_streams.c.connector == connector)
        query = (
            select(func.count())
            .select_from(runs)
            .where(
                runs.c.kind == "sync",
                runs.c.status != "running",
                runs.c.started_at >= since,
                (runs.c.connector == connector) | runs.c.id.in_(touched),
            )
        )
        with self._engine.connect() as connection:
            return bool(connection.scalar(query))

    def running_syncs(self, connectors: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """The sync runs the ledger shows running (call ``close_dead_runs`` first to drop
        those whose process died), oldest first. With ``connectors``, only those that may
        touch one of them: a run of one of them, or a run over several connectors."""
        query = (
            select(runs.c.id, runs.c.started_at, runs.c.host, runs.c.pid, runs.c.connector)
            .where(runs.c.kind == "sync", runs.c.status == "running")
            .order_by(runs.c.started_at)
        )
        if connectors is not None:
            query = query.where(runs.c.connector.is_(None) | runs.c.connector.in_(connectors))
        with self._engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def recent_runs(self, limit: int = 20, kind: str | None = None) -> list[dict[str, Any]]:
        """The newest runs first, each with its streams' counters summed (``pmosync runs``).

        A run that touched no stream (a report, a run that failed before its first connector)
        has zeros, not NULLs.
        """
        self.close_dead_runs()
        totals = (
            select(
                run_streams.c.run_id,
                *(
                    func.coalesce(func.sum(run_streams.c[name]), 0).label(name)
                    for name in RUN_STREAM_COUNTERS
                ),
                func.count().label("streams"),
            )
            .group_by(run_streams.c.run_id)
            .subquery()
        )
        query = (
            select(
                runs,
                *(func.coalesce(totals.c[name], 0).label(name) for name in RUN_STREAM_COUNTERS),
                func.coalesce(totals.c.streams, 0).label("streams"),
            )
            .outerjoin(totals, totals.c.run_id == runs.c.id)
            .order_by(runs.c.started_at.desc(), runs.c.id)
            .limit(limit)
        )
        if kind is not None:
            query = query.where(runs.c.kind == kind)
        with self._engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]


def _dead_runs(connection: Connection) -> list[str]:
    """The runs of this host left ``running`` by a process that is gone (or by this process,
    which no longer runs them)."""
    host, me = socket.gethostname(), os.getpid()
    query = select(runs.c.id, runs.c.pid).where(runs.c.status == "running", runs.c.host == host)
    return [
        run_id
        for run_id, pid in connection.execute(query)
        if pid is None
        or (pid == me and run_id not in _ACTIVE_RUNS)
        or (pid != me and not _pid_alive(pid))
    ]


def _interrupt(connection: Connection, run_ids: list[str], reason: str) -> None:
    """Mark these runs, and their streams still running, interrupted for ``reason``."""
    if not run_ids:
        return
    now = _now()
    connection.execute(
        update(runs)
        .where(runs.c.id.in_(run_ids))
        .values(status="interrupted", ended_at=now, error=_clip(reason))
    )
    connection.execute(
        update(run_streams)
        .where(run_streams.c.run_id.in_(run_ids), run_streams.c.status == "running")
        .values(status="interrupted", ended_at=now, error=_clip(reason))
    )
