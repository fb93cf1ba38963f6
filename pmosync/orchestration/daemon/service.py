"""The daemon's lifecycle: standby or active, the lease kept, jobs run, reloads, shutdown.

One thread keeps the lease: while standby it tries to take it (as soon as the holder's lease
runs out), while active it renews it every third of the lease period. The daemon schedules jobs
only while active, and stops the moment a renewal fails (the lease was lost, the store is
down): it sets the stop of the run in flight and removes its jobs before anyone else could have
taken the lease, so two daemons are never active at once. Each job claims its tick in the store
before running it, so a tick runs once even across a take-over.

A report run that succeeds is followed by the write-back of the connectors whose
``writeback.report`` it is (``orchestration.writeback_job``), inside the report's turn.

Reports run only on data whose syncs have finished (``reports.readiness``). Several sync jobs
may run at once (the connectors at ``sync.schedule``, and each connector with a schedule of its
own), but a report never runs while one of ours syncs a connector it reads: a report whose tick
is also such a sync's waits for it, and a sync waits for a report in progress that reads its
connectors. A report whose data is not ready keeps its tick waiting, and runs for it after our
next sync or, for a sync run elsewhere, at a recheck every few seconds.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import exc

from pmosync.config import ConfigError, PmosyncConfig, load_config
from pmosync.orchestration.cron import latest_tick
from pmosync.orchestration.daemon.lease import Lease, new_holder_id
from pmosync.orchestration.daemon.scheduler import JobScheduler, JobSpec, job_specs
from pmosync.orchestration.daemon.ticks import claim_tick
from pmosync.store import Store, StoreError
from pmosync.store.engine import describe_db_error, store_identity
from pmosync.sync.engine import SyncObserver

if TYPE_CHECKING:
    from pmosync.reports.job import ReportOutcome
    from pmosync.sync.run import SyncRun

log = logging.getLogger("pmosync.daemon")

MIN_GRACE_S = 300
SYNC_START_WAIT_S = 10
"""How long a report whose tick is also the sync's waits for that sync to start."""
STOP_POLL_S = 0.2
"""How often a wait inside a job looks at the shutdown request."""
WAITING_RECHECK_S = 5
"""How often reports waiting on data (a sync run elsewhere) look at the ledger again."""
SAFETY = 0.1
"""Share of the lease period an active daemon gives up early, as a margin against a standby."""


def no_schedules(config: PmosyncConfig) -> str | None:
    """Why the daemon has nothing to do with ``config``, or None when it has jobs."""
    if job_specs(config):
        return None
    return (
        f"{config.config_path}: nothing to schedule: set sync.schedule, a connector's schedule "
        "or a report's schedule (or run `pmosync run` from cron instead of the daemon)"
    )


def _store_of(config: PmosyncConfig) -> str:
    return store_identity(config.store, config.config_path.parent)


class Daemon:
    """One daemon process on one store."""

    def __init__(
        self,
        config: PmosyncConfig,
        store: Store,
        *,
        lease_seconds: float = 60,
        observer: SyncObserver | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.lease = Lease(store.engine, new_holder_id(), lease_seconds)
        self.zone = config.organisation.zone()
        """The organisation's zone (organisation.timezone, else the machine's): cron times
        are read in it, and a report's date is its tick's day there."""
        self.grace_s = max(MIN_GRACE_S, 2 * lease_seconds)
        self.observer = observer
        self._active = False
        self._lock = threading.RLock()
        self._run_stop = threading.Event()
        self._stopping = threading.Event()
        self._deadline = 0.0
        """Monotonic time our lease runs out, counted from before the renewal that set it."""
        self._standby_logged: str | None = None
        self._sync = threading.Condition()
        """Guards the three below; notified when a sync or a report starts or ends."""
        self._syncing: dict[str, JobSpec] = {}
        """Our sync jobs under way (job id -> its spec, its connectors as of its config): from
        the moment one claimed its tick, waiting for reports that read its connectors, to its
        end. No report that reads one of those connectors starts meanwhile."""
        self._sync_over: dict[str, datetime] = {}
        """Each sync job's newest tick that is over here: it ran, or was not to run."""
        self._computing: dict[str, frozenset[str]] = {}
        """The report computing now (name -> the connectors it reads): no sync of those
        starts meanwhile, or the report would read half of it."""
        self._reports = threading.Lock()
        """Held by a report while it runs: one report at a time."""
        self._waiting: dict[str, tuple[datetime, bool]] = {}
        """Reports whose tick came while their data was not ready: name -> (that tick, whether
        a ``skipped`` run with the reason is recorded for it)."""
        self._scheduler = JobScheduler(
            self._run_job, self.zone, self.grace_s, (self._run_waiting, WAITING_RECHECK_S)
        )
        self._keeper = threading.Thread(target=self._keep_lease, name="lease", daemon=True)
        self._watchdog = threading.Thread(target=self._watch, name="lease-watch", daemon=True)

    @property
    def active(self) -> bool:
        return self._active

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        jobs = ", ".join(f"{s.label} '{s.schedule}'" for s in job_specs(self.config))
        log.info(
            "daemon %s on store %s; jobs: %s; times in %s",
            self.lease.holder,
            self.store.display_url,
            jobs,
            self.zone,
        )
        self._scheduler.start()
        self._keeper.start()
        self._watchdog.start()

    def shutdown(self) -> None:
        """Stop: the run in flight ends after its page, the lease is released for a standby."""
        log.info("shutting down: finishing the page in flight")
        self._stopping.set()
        with self._lock:
            self._run_stop.set()
            self._scheduler.clear()
        self._scheduler.shutdown()
        self._keeper.join()
        self._watchdog.join()
        self._active = False
        try:
            if self.lease.release():  # also a lease taken just as the shutdown began
                log.info("lease released")
        except (exc.SQLAlchemyError, OSError) as error:
            log.warning("could not release the lease: %s", self._describe(error))
        log.info("stopped")

    # --- the lease --------------------------------------------------------------------------

    def _keep_lease(self) -> None:
        while not self._stopping.is_set():
            try:
                pause = self._lease_step()
            except Exception:  # a bug: never leave an active daemon without its keeper
                log.exception("lease keeper: internal error (a bug)")
                self._demote("the lease keeper failed")
                pause = self.lease.seconds / 3
            self._stopping.wait(pause)

    def _watch(self) -> None:
        """Demote when our lease runs out, even while a renewal hangs on a dead connection."""
        while not self._stopping.wait(self.lease.seconds / 20):
            if self._active and time.monotonic() > self._deadline:
                self._demote("the lease ran out before it could be renewed")

    def _held_until(self, started: float) -> float:
        """Our deadline after a renewal that began at ``started``: a tenth short of the lease,
        so we stop before the database (whose expiry counts from later) lets another take it."""
        return started + self.lease.seconds * (1 - SAFETY)

    def _lease_step(self) -> float:
        """One turn of the lease keeper; returns how long to sleep before the next."""
        period = self.lease.seconds / 3
        started = time.monotonic()
        if self._active:
            if started > self._deadline:
                self._demote("the lease ran out before it could be renewed")
                return 0
            try:
                renewed = self.lease.renew()
            except (exc.SQLAlchemyError, OSError) as error:
                self._demote(f"cannot renew the lease: {self._describe(error)}")
                return period
            if not renewed:
                self._demote("the lease was taken over by another instance")
                return 0
            self._deadline = self._held_until(started)
            return period
        try:
            state = self.lease.acquire()
        except (exc.SQLAlchemyError, OSError) as error:
            self._log_standby(f"standby: the store cannot be reached: {self._describe(error)}")
            return period
        if state.mine:
            self._deadline = self._held_until(started)
            self._promote(state.previous)
            return period
        until = state.expires_at.astimezone(self.zone).isoformat(timespec="seconds")
        self._log_standby(f"standby: lease held by {state.holder} until {until}", state.holder)
        return min(period, max(0.05, state.seconds_left() + 0.05))

    def _log_standby(self, message: str, key: str | None = None) -> None:
        """Say it once per holder (or once per kind of trouble), not every poll."""
        key = key or message
        if self._standby_logged != key:
            self._standby_logged = key
            log.info("%s", message)

    def _promote(self, previous: str | None) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            self._active = True
            self._standby_logged = None
            self._run_stop = threading.Event()
            log.info(
                "active: holding the lease as %s%s",
                self.lease.holder,
                f" (taken over from {previous}, whose lease ran out)" if previous else "",
            )
        if previous:
            self._close_runs_of(previous)
        with self._lock:
            if self._active:
                self._scheduler.set_jobs(job_specs(self.config), catch_up=True)

    def _demote(self, reason: str) -> None:
        with self._lock:
            if not self._active:
                return
            self._active = False
            self._run_stop.set()
            self._scheduler.clear()
            dropped, self._waiting = list(self._waiting), {}
        log.warning("standby: %s; scheduling stopped", reason)
        if dropped:
            log.warning("reports no longer waiting for their data: %s", ", ".join(dropped))

    def _close_runs_of(self, previous: str) -> None:
        """Mark interrupted the runs the previous holder left running: its lease ran out, so it
        died or stopped scheduling, possibly on another host where ``mark_interrupted`` cannot
        see whether its process lives."""
        host, _, rest = previous.partition(":")
        pid_text = rest.partition(":")[0]
        if not pid_text.isdigit():
            return
        reason = f"the daemon running it ({previous}) stopped renewing its lease"
        try:
            closed = self.store.ledger.mark_interrupted_of(host, int(pid_text), reason)
            if closed:
                log.info("marked %d run(s) of %s interrupted", closed, previous)
        except (exc.SQLAlchemyError, OSError) as error:
            log.warning("could not close the runs of %s: %s", previous, self._describe(error))

    # --- jobs ---------------------------------------------------------------------------

    def _run_job(self, spec: JobSpec) -> None:
        """Run one tick of a job, if this daemon is the one to run it."""
        with self._lock:
            if not self._active:
                return
            stop, config = self._run_stop, self.config
        now = datetime.now(self.zone)
        tick = latest_tick(spec.schedule, now, self.zone)
        try:
            self._run_tick(spec, tick, now, stop, config)
        finally:
            if spec.kind == "sync":  # run or not, this tick's sync is over
                self._sync_ended(spec, tick)

    def _run_tick(
        self,
        spec: JobSpec,
        tick: datetime,
        now: datetime,
        stop: threading.Event,
        config: PmosyncConfig,
    ) -> None:
        if stop.is_set():  # demoted or shutting down since the scheduler fired
            return
        if now - tick > timedelta(seconds=self.grace_s):
            late = f"missed by more than {self.grace_s:.0f} s"
            log.info("%s: tick %s %s, skipped", spec.label, tick.isoformat(), late)
            return
        try:
            claim = claim_tick(self.lease, spec.kind, spec.name, tick)
        except (exc.SQLAlchemyError, OSError) as error:
            log.error("%s: cannot claim tick %s: %s", spec.label, tick, self._describe(error))
            return
        if claim != "claimed":
            why = "already run" if claim == "already_run" else "the lease is no longer ours"
            log.info("%s: tick %s not run: %s", spec.label, tick.isoformat(), why)
            return
        log.info("%s: running tick %s", spec.label, tick.isoformat())
        with self._guard(spec.label):
            if spec.kind == "sync":
                self._sync_tick(_current(spec, config), config, stop, tick)
            else:
                self._report_tick(config, stop, spec.name, tick)

    @contextlib.contextmanager
    def _guard(self, label: str) -> Iterator[None]:
        """A job's failure is a log line; the daemon keeps running."""
        try:
            yield
        except StoreError as error:
            log.error("%s: %s", label, error)
        except Exception:  # a bug: say so with the traceback, and keep the daemon running
            log.exception("%s: internal error (a bug)", label)

    def _sync_tick(
        self, spec: JobSpec | None, config: PmosyncConfig, stop: threading.Event, tick: datetime
    ) -> None:
        """Run one sync job, then the reports that waited for it, before its next tick may
        start (``max_instances=1``): a sync that runs back to back still lets them through.
        ``spec`` is the job as the config in force has it (None: a reload removed it)."""
        from pmosync.sync.run import RunOrigin, run_sync

        if spec is None:
            return
        covers = frozenset(spec.connectors)
        with self._sync:  # reports that read these start no more, and the sync waits for the
            self._syncing[spec.id] = spec  # one computing: it would read half of the sync
            self._sync.notify_all()
            self._sync.wait_for(lambda: not any(covers & r for r in self._computing.values()))
        try:
            run = run_sync(
                config,
                self.store,
                list(spec.connectors),
                stop=stop,
                observer=self.observer,
                origin=RunOrigin(connector=spec.sole_connector),
            )
            log.info("%s run %s %s (tick %s)", spec.label, run.run_id, run.status, tick.isoformat())
            _log_connectors(run)
        finally:
            self._sync_ended(spec, tick, running=False)
        self._run_waiting()

    def _sync_ended(self, spec: JobSpec, tick: datetime, *, running: bool | None = None) -> None:
        """Record that the sync job ``spec`` of ``tick`` ran (or will not run)."""
        with self._sync:
            if running is False:
                self._syncing.pop(spec.id, None)
            over = self._sync_over.get(spec.id)
            if over is None or over < tick:
                self._sync_over[spec.id] = tick
            self._sync.notify_all()

    def _sync_coming(self, syncs: list[JobSpec], tick: datetime) -> bool:
        """Whether one of ``syncs`` (ours, of connectors a report reads) ticked at or after
        the report's ``tick`` and is neither under way nor over yet: the jobs fired together,
        and the report must not win the race."""
        now = datetime.now(self.zone)
        for spec in syncs:
            if spec.id in self._syncing:
                continue
            due = latest_tick(spec.schedule, now, self.zone)
            over = self._sync_over.get(spec.id)
            if due >= tick and (over is None or over < due):
                return True
        return False

    @contextlib.contextmanager
    def _computing_report(self, name: str, reads: frozenset[str]) -> Iterator[str | None]:
        """Mark report ``name`` computing, unless one of our syncs of a connector it reads is
        under way: yields None when it may run, else why it waits."""
        with self._sync:
            busy = [s for s in self._syncing.values() if reads & set(s.connectors)]
            if not busy:
                self._computing[name] = reads
        if busy:
            own = [s.name for s in busy if s.own]
            shared = len(own) < len(busy)  # the sync at sync.schedule is one of them
            yield "the sync is running" if shared else f"the sync of {', '.join(own)} is running"
            return
        try:
            yield None
        finally:
            with self._sync:
                self._computing.pop(name, None)
                self._sync.notify_all()

    def _report_tick(
        self, config: PmosyncConfig, stop: threading.Event, name: str, tick: datetime
    ) -> None:
        """Run a report's tick now, or keep it waiting until its data is ready: while a sync
        of ours of a connector it reads runs (it runs the report when it ends), or when the
        ledger says a sync of one runs elsewhere or has never completed (the run is recorded
        ``skipped``, with the reason, once; then it is retried every few seconds and after each
        of our syncs)."""
        from pmosync.reports.readiness import report_connectors

        reads = frozenset(report_connectors(config, name))
        syncs = [s for s in job_specs(config) if s.kind == "sync" and reads & set(s.connectors)]
        deadline = time.monotonic() + SYNC_START_WAIT_S
        with self._sync:  # re-checked often: a shutdown must not wait the whole timeout out
            while (
                not stop.is_set()
                and self._sync_coming(syncs, tick)
                and (left := deadline - time.monotonic()) > 0
            ):
                self._sync.wait(min(left, STOP_POLL_S))
        with self._reports, self._computing_report(name, reads) as busy:
            if busy:
                self._wait_for_data(name, tick, busy)
                return
            if stop.is_set():
                return
            self._run_report(config, name, tick, stop)

    def _run_report(
        self, config: PmosyncConfig, name: str, tick: datetime, stop: threading.Event
    ) -> None:
        """Run one report for ``tick``: a run its readiness check skipped keeps waiting (already
        recorded), any other outcome ends the wait."""
        from pmosync.reports.job import run_report

        outcome = run_report(config, self.store, name, tick.date(), stop=stop)
        self._log_report(name, outcome)
        if outcome.status == "skipped":
            self._wait_for_data(name, tick, None, recorded=True)
            return
        self._done_waiting(name, tick)
        with self._guard(f"write-back after report {name}"):
            self._write_back(config, name, outcome, stop)

    def _write_back(
        self, config: PmosyncConfig, name: str, outcome: ReportOutcome, stop: threading.Event
    ) -> None:
        """Write the report's verdicts back into the tools of the connectors following it,
        while the report still holds its connectors (no sync of them starts meanwhile)."""
        from pmosync.orchestration.writeback_job import writeback_after_report

        writeback_after_report(
            config, self.store, name, outcome.status, as_of=outcome.as_of, stop=stop
        )

    def _run_waiting(self) -> None:
        """Run the waiting reports whose data is ready now. One still waiting once no sync
        runs (its connectors' first sync failed) is recorded ``skipped`` with the reason, once
        per tick; nothing is recorded while a sync runs."""
        from pmosync.reports.readiness import check_readiness, report_connectors

        with self._lock:
            if not self._active or not self._waiting:
                return
            stop, config, waiting = self._run_stop, self.config, dict(self._waiting)
        for name, (tick, _) in waiting.items():
            if stop.is_set():
                return
            with self._guard(f"report {name}"), self._reports:
                with self._lock:  # another pass may have run it while we waited for the lock
                    now_waiting = self._waiting.get(name)
                if now_waiting is None or now_waiting[0] != tick:
                    continue
                recorded = now_waiting[1]
                if name not in config.reports:  # removed by a reload
                    self._done_waiting(name, tick)
                    continue
                reads = frozenset(report_connectors(config, name))
                with self._computing_report(name, reads) as busy:
                    if busy:
                        continue
                    readiness = check_readiness(config, self.store, name)
                    if readiness.sync_running or (readiness.waiting and recorded):
                        continue
                    if readiness.waiting is None:
                        ready = "report %s: its data is ready; running tick %s"
                        log.info(ready, name, tick.isoformat())
                    self._run_report(config, name, tick, stop)

    def _wait_for_data(
        self, name: str, tick: datetime, why: str | None, *, recorded: bool = False
    ) -> None:
        with self._lock:
            if not self._active:
                return
            held, was_recorded = self._waiting.get(name, (tick, False))
            if held > tick:  # a later tick already waits
                return
            self._waiting[name] = (tick, recorded or (held == tick and was_recorded))
        if why:
            log.info("report %s: tick %s waits: %s", name, tick.isoformat(), why)

    def _done_waiting(self, name: str, tick: datetime) -> None:
        with self._lock:
            if name in self._waiting and self._waiting[name][0] <= tick:
                del self._waiting[name]

    @staticmethod
    def _log_report(name: str, outcome: ReportOutcome) -> None:
        detail = f": {outcome.error}" if outcome.error else ""
        log.info("report %s run %s %s%s", name, outcome.run_id, outcome.status, detail)

    # --- reload -------------------------------------------------------------------------

    def reload(self, path: Path) -> bool:
        """Re-read the config file; keep the previous one if the new one is invalid."""
        try:
            config = load_config(path)
            problems = [] if (reason := no_schedules(config)) is None else [reason]
        except ConfigError as error:
            problems = list(error.problems)
        if problems:
            log.error("config reload failed, keeping the previous config: %s", problems[0])
            for problem in problems[1:]:
                log.error("%s", problem)
            return False
        if _store_of(config) != _store_of(self.config):
            log.warning(
                "the store changed in %s: restart the daemon to use it; still using %s",
                path,
                self.store.display_url,
            )
        with self._lock:
            self.config = config
            self.zone = self._scheduler.zone = config.organisation.zone()
            if self._active:
                self._scheduler.set_jobs(job_specs(config), catch_up=False)
        jobs = ", ".join(f"{s.label} '{s.schedule}'" for s in job_specs(config))
        log.info("config reloaded from %s; jobs: %s", path, jobs)
        return True

    def _describe(self, error: BaseException) -> str:
        return describe_db_error(self.store.engine.url, error).replace(
            "cannot be opened", "cannot be reached"
        )


def _current(spec: JobSpec, config: PmosyncConfig) -> JobSpec | None:
    """Sync job ``spec`` as ``config`` has it: a reload between its firing and its run may
    have moved connectors to or from it, or removed it (None)."""
    return next((s for s in job_specs(config) if s.id == spec.id), None)


def _log_connectors(run: SyncRun) -> None:
    """Each connector's warnings (a refused workbook, records left out) and failure, one line
    each: nobody watches an unattended daemon's terminal, its log is all an operator reads."""
    for connector in run.connectors:
        for warning in connector.warnings:
            log.warning("%s: warning: %s", connector.name, warning)
        if connector.error:
            log.error("%s: failed: %s", connector.name, connector.error)
