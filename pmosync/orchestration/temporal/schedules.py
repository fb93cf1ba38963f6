"""The cluster's Schedules made equal to the YAML: ``pmosync schedules apply`` and ``list``.

Each connector with a schedule (its own, else ``sync.schedule``) gets a schedule starting a
``SyncTick`` on each tick; each scheduled report a schedule starting a ``Report``. All have
overlap policy Skip (a tick while the previous one still runs is not run: Temporal counts it
as skipped) and a catch-up window (ticks missed while the cluster or every worker was down run
when it comes back within it). Every schedule carries a fingerprint of what the YAML says in
its note, so ``apply`` updates only what changed and says what it did. It touches only the
schedules of its own store (``ids.owned_prefix``); with ``engine: daemon`` it deletes them all,
which is how the schedules go back to the embedded daemon.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleDescription,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError

from pmosync.config import PmosyncConfig
from pmosync.orchestration.temporal.calendar import calendars
from pmosync.orchestration.temporal.connect import Target
from pmosync.orchestration.temporal.ids import JobKind, owned_prefix, parse_schedule_id, schedule_id
from pmosync.orchestration.temporal.ids import workflow_id as job_workflow_id
from pmosync.orchestration.temporal.requests import ReportRequest, SyncRequest
from pmosync.orchestration.temporal.workflows import Report, SyncTick

NOTE_PREFIX = "pmosync "
"""A schedule's note starts with this and its fingerprint; the rest tells a reader in the UI."""


@dataclass(frozen=True)
class Wanted:
    """One schedule as the YAML asks for it."""

    id: str
    kind: JobKind
    name: str
    cron: str
    zone: str
    args: tuple[Any, ...]

    def fingerprint(self, target: Target, catchup_minutes: int) -> str:
        """What, if it changes, makes ``apply`` update the schedule."""
        facts = [self.kind, self.name, self.cron, self.zone, target.task_queue, catchup_minutes]
        facts += [dataclasses.asdict(a) if dataclasses.is_dataclass(a) else a for a in self.args]
        text = json.dumps(facts, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass
class Plan:
    """What ``apply`` would do (``--dry-run`` prints it) or did."""

    create: list[Wanted] = field(default_factory=list)
    update: list[Wanted] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    unchanged: list[Wanted] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return len(self.create) + len(self.update) + len(self.delete)


def zone_name(config: PmosyncConfig) -> str:
    """The IANA name of the zone the schedules tick in (the organisation's, else the
    machine's; UTC when the machine's has no name)."""
    if config.organisation.timezone:
        return config.organisation.timezone
    return getattr(config.organisation.zone(), "key", None) or "UTC"


def wanted_schedules(config: PmosyncConfig) -> dict[str, Wanted]:
    """Every schedule the YAML asks for, by id; none with ``engine: daemon``."""
    if config.engine != "temporal":
        return {}
    zone, settings = zone_name(config), config.temporal
    wanted: dict[str, Wanted] = {}
    for name, connector in config.connectors.items():
        cron = connector.schedule or config.sync.schedule
        if cron:
            request = SyncRequest.of(config, name)
            sync_id = job_workflow_id(config, "sync", name)
            wanted[schedule_id(config, "sync", name)] = Wanted(
                schedule_id(config, "sync", name), "sync", name, cron, zone, (request, sync_id)
            )
    for name, report in config.reports.items():
        if report.schedule:
            request = ReportRequest(name, wait_minutes=settings.report_wait_minutes)
            wanted[schedule_id(config, "report", name)] = Wanted(
                schedule_id(config, "report", name), "report", name, report.schedule, zone,
                (request,),
            )  # fmt: skip
    return wanted


def build(config: PmosyncConfig, target: Target, want: Wanted, paused: bool = False) -> Schedule:
    catchup = config.temporal.catchup_window_minutes
    workflow = SyncTick.run if want.kind == "sync" else Report.run
    tick_id = job_workflow_id(config, "tick" if want.kind == "sync" else "report", want.name)
    note = (
        f"{NOTE_PREFIX}{want.fingerprint(target, catchup)}: {want.label} at '{want.cron}' "
        f"({want.zone}); managed by `pmosync schedules apply`, edits here are undone by it"
    )
    return Schedule(
        action=ScheduleActionStartWorkflow(
            workflow, args=list(want.args), id=tick_id, task_queue=target.task_queue
        ),
        spec=ScheduleSpec(calendars=calendars(want.cron), time_zone_name=want.zone),
        policy=SchedulePolicy(
            overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(minutes=catchup)
        ),
        state=ScheduleState(note=note, paused=paused),
    )


def _fingerprint_of(note: str | None) -> str | None:
    if not note or not note.startswith(NOTE_PREFIX):
        return None
    return note[len(NOTE_PREFIX) :].split(":", 1)[0]


async def owned_schedules(client: Client, config: PmosyncConfig) -> list[str]:
    """The ids of the schedules on the cluster that belong to this store."""
    prefix = owned_prefix(config)
    found = []
    async for listed in await client.list_schedules():
        if listed.id.startswith(prefix) and parse_schedule_id(config, listed.id):
            found.append(listed.id)
    return sorted(found)


async def plan(client: Client, config: PmosyncConfig, target: Target) -> Plan:
    """Compare the YAML with the cluster. Wanted schedules are described one by one (a
    describe is current; the listing may lag a moment behind a change)."""
    wanted = wanted_schedules(config)
    catchup = config.temporal.catchup_window_minutes
    result = Plan()
    for sid, want in wanted.items():
        described = await _described(client, sid)
        if described is None:
            result.create.append(want)
            continue
        current = _fingerprint_of(described.schedule.state.note)
        if current == want.fingerprint(target, catchup):
            result.unchanged.append(want)
        else:
            result.update.append(want)
    result.delete = [sid for sid in await owned_schedules(client, config) if sid not in wanted]
    return result


async def apply(client: Client, config: PmosyncConfig, target: Target, planned: Plan) -> None:
    """Carry out ``planned``. An update keeps a schedule paused if someone paused it."""
    for want in planned.create:
        try:
            await client.create_schedule(want.id, build(config, target, want))
        except ScheduleAlreadyRunningError:  # created meanwhile (another apply): update it
            planned.update.append(want)
    for want in planned.update:

        def updater(current: ScheduleUpdateInput, want: Wanted = want) -> ScheduleUpdate:
            paused = current.description.schedule.state.paused
            return ScheduleUpdate(schedule=build(config, target, want, paused=paused))

        await client.get_schedule_handle(want.id).update(updater)
    for sid in planned.delete:
        try:
            await client.get_schedule_handle(sid).delete()
        except RPCError as error:
            if not _not_found(error):
                raise


@dataclass(frozen=True)
class Listed:
    """One of this store's schedules as ``schedules list`` shows it."""

    id: str
    kind: str
    name: str
    cron: str
    paused: bool
    next_run: datetime | None
    last_run: datetime | None
    runs: int
    skipped_overlap: int
    in_yaml: bool


async def describe_all(client: Client, config: PmosyncConfig) -> list[Listed]:
    wanted = wanted_schedules(config)
    listed = []
    # the listing may lag a moment behind a change; the YAML's own ids are described directly
    for sid in sorted(set(await owned_schedules(client, config)) | set(wanted)):
        described = await _described(client, sid)
        if described is None:  # not made yet, or deleted since the listing
            continue
        kind, name = parse_schedule_id(config, sid) or ("?", sid)
        info = described.info
        cron = ", ".join(c.comment or "?" for c in described.schedule.spec.calendars)
        listed.append(
            Listed(
                sid,
                kind,
                name,
                cron,
                described.schedule.state.paused,
                info.next_action_times[0] if info.next_action_times else None,
                info.recent_actions[-1].scheduled_at if info.recent_actions else None,
                info.num_actions,
                info.num_actions_skipped_overlap,
                sid in wanted,
            )
        )
    return listed


async def _described(client: Client, sid: str) -> ScheduleDescription | None:
    """The schedule ``sid`` as the server describes it now; None when there is none."""
    try:
        return await client.get_schedule_handle(sid).describe()
    except RPCError as error:
        if _not_found(error):
            return None
        raise


def _not_found(error: RPCError) -> bool:
    from temporalio.service import RPCStatusCode

    return error.status == RPCStatusCode.NOT_FOUND
