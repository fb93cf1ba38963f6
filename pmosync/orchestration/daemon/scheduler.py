"""APScheduler wiring: one job per schedule in the YAML, fired by croniter's reading of it.

The connectors without a schedule of their own sync together, at ``sync.schedule``; each
connector with its own ``schedule`` is a sync job of its own, so a slow connector never holds
back another, and each keeps its own ticks.

Jobs exist only while this daemon holds the lease: a standby's scheduler runs with none. Every
job has ``max_instances=1`` (a slow sync is never run twice at once), ``coalesce=True`` (ticks
missed while it ran, or while the process was stopped, become one run) and a misfire grace
(a tick more than that late is not run at all: the next one will be).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Literal

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from pmosync.config import PmosyncConfig
from pmosync.orchestration.cron import latest_tick, next_tick

JobKind = Literal["sync", "report"]

POOL = 16
"""Threads for the jobs (made as needed): room for each connector's own sync at once, beside
the reports; a job waiting for a thread would run late."""


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job: a sync, or one report, and its cron expression."""

    kind: JobKind
    name: str
    """What claims its ticks and names it: ``sync`` for the sync at ``sync.schedule``, the
    connector's name for a connector's own sync, else the report's name (``runs.job``)."""
    schedule: str
    connectors: tuple[str, ...] = ()
    """What a sync job syncs: the connectors without a schedule of their own, or its one."""
    own: bool = False
    """A connector's own sync job (``name`` is the connector)."""

    @property
    def id(self) -> str:
        return f"connector:{self.name}" if self.own else f"{self.kind}:{self.name}"

    @property
    def label(self) -> str:
        if self.kind == "report":
            return f"report {self.name}"
        return f"sync {self.name}" if self.own else "sync"

    @property
    def sole_connector(self) -> str | None:
        """The one connector a sync job covers, recorded on its run (``runs.connector``) so
        reports that do not read it never wait for it; None for several."""
        return self.connectors[0] if len(self.connectors) == 1 else None


def job_specs(config: PmosyncConfig) -> list[JobSpec]:
    """The jobs a config schedules: the sync of the connectors at ``sync.schedule`` (if it is
    set and some connector has no schedule of its own), each connector's own sync, then each
    report."""
    own = {name: c.schedule for name, c in config.connectors.items() if c.schedule}
    shared = tuple(name for name in config.connectors if name not in own)
    specs = [JobSpec("sync", "sync", config.sync.schedule, shared)] if (
        config.sync.schedule and shared) else []  # fmt: skip
    specs += [JobSpec("sync", name, cron, (name,), own=True) for name, cron in own.items()]
    specs += [
        JobSpec("report", name, report.schedule)
        for name, report in config.reports.items()
        if report.schedule
    ]
    return specs


class CronSchedule(BaseTrigger):
    """An APScheduler trigger that fires on the ticks ``pmosync.orchestration.cron`` computes."""

    __slots__ = ("expression", "zone")

    def __init__(self, expression: str, zone: tzinfo) -> None:
        self.expression = expression
        self.zone = zone

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        if previous_fire_time is None:  # the first tick at or after now
            return next_tick(self.expression, now - timedelta(microseconds=1), self.zone)
        return next_tick(self.expression, previous_fire_time, self.zone)

    def __str__(self) -> str:
        return f"cron[{self.expression}]"


class JobScheduler:
    """A background scheduler whose jobs all call ``fire(spec)``, and, while any report is
    scheduled, ``recheck`` = (function, seconds): the reports waiting for their data."""

    def __init__(
        self,
        fire: Callable[[JobSpec], None],
        zone: tzinfo,
        grace_s: float,
        recheck: tuple[Callable[[], None], float] | None = None,
    ) -> None:
        self._fire = fire
        self._recheck = recheck
        self.zone = zone
        self.grace_s = grace_s
        self._scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(POOL)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(grace_s),
            },
            timezone=zone,
        )

    def start(self) -> None:
        self._scheduler.start()

    def set_jobs(self, specs: list[JobSpec], *, catch_up: bool) -> None:
        """Replace the jobs with ``specs``.

        ``catch_up`` (on taking the lease) fires at once each job whose latest tick lies within
        the misfire grace: a tick the previous holder did not live to run runs now (the claim
        skips it if it did run it).
        """
        self.clear()
        now = datetime.now(self.zone)
        for spec in specs:
            trigger = CronSchedule(spec.schedule, self.zone)
            options = {}
            if catch_up:
                missed = now - latest_tick(spec.schedule, now, self.zone)
                if missed <= timedelta(seconds=self.grace_s):
                    options["next_run_time"] = now
            self._scheduler.add_job(
                self._fire, trigger, args=[spec], id=spec.id, name=spec.label, **options
            )
        if self._recheck is not None and any(spec.kind == "report" for spec in specs):
            function, seconds = self._recheck
            every = IntervalTrigger(seconds=seconds, timezone=self.zone)
            self._scheduler.add_job(function, every, id="waiting", name="reports waiting")

    def clear(self) -> None:
        self._scheduler.remove_all_jobs()

    def shutdown(self) -> None:
        """Stop firing; wait for the jobs running now to return."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)
