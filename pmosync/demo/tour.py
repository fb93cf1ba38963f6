"""One demo run: serve the world, write its configuration, sync it, run every report, deliver
them, write the portfolio report's computed RAG back into Asana and Planner, and gather what
the summary tells the newcomer.

Everything here goes through the same code a real deployment runs (``run_sync``,
``run_report``, ``run_writeback``, the SMTP and Graph transports); the demo only adds the
world and the sink.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select

from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.canonical.types import Project
from pmosync.config import PmosyncConfig, load_config
from pmosync.config.state import STATE_DIR_ENV
from pmosync.demo import world as demo_world
from pmosync.demo.config_file import PMO_SITE, PMO_STATUS_LIST, TOKEN_VARIABLES, write_config
from pmosync.demo.costs import write_cost_workbook
from pmosync.demo.mailsink import MailSink
from pmosync.reports.job import ReportOutcome, run_report
from pmosync.reports.snapshots import load_snapshot
from pmosync.store import Store
from pmosync.sync.engine import SyncObserver
from pmosync.sync.run import SyncRun, run_sync
from pmosync.writeback.run import WritebackOutcome, run_writeback

OUT = "out"
MAIL = "mail"
SHAREPOINT = "sharepoint"
STORE_FILE = "pmosync.db"
ATTENTION = ("red", "amber")
STANDING_FIELDS = ("rag_field", "label", "status_task", "status_note")
"""Owned values that stand in the tool (not posts): what a rebuilt world has lost."""


@dataclass(frozen=True)
class Attention:
    """A project the computed RAG flags, and the rules that flagged it."""

    project: str
    rag: str
    reasons: str
    reported: str | None
    """The project's own latest RAG, when it differs from the computed one."""


@dataclass(frozen=True)
class CostPicture:
    """The portfolio's CPI over its projects in flight, and which of those projects are
    clearly over or under budget."""

    projects: int
    currency: str | None
    cpi: float | None
    over: tuple[tuple[str, float], ...]
    under: tuple[tuple[str, float], ...]


OVER_CPI = 0.85
UNDER_CPI = 1.10
"""A project in flight below OVER_CPI is clearly over budget, above UNDER_CPI clearly under."""


@dataclass
class TourResult:
    """What one demo run did, for the summary (and the tests)."""

    folder: Path
    config_path: Path
    run_number: int
    incremental: bool
    sync: SyncRun
    sync_seconds: float
    requests: int
    first_requests: int | None
    """Requests the world's first sync made, to set an incremental run's against."""
    changed_tasks: int
    premium_projects: list[str] = field(default_factory=list)
    """Names of the Planner premium plans in the store after the sync (Graph cannot see them;
    the planner_premium connector read them from the Dataverse sandbox)."""
    reports: list[ReportOutcome] = field(default_factory=list)
    emails: list[Path] = field(default_factory=list)
    sharepoint: list[str] = field(default_factory=list)
    """Paths of the report files the SharePoint sandbox holds, in its PMO site's library."""
    list_items: int = 0
    attention: list[Attention] = field(default_factory=list)
    cost: CostPicture | None = None
    """The portfolio's cost performance, read back from the portfolio report's figures."""
    seconds: float = 0.0
    writebacks: list[WritebackOutcome] = field(default_factory=list)
    """The write-back after each report that connectors follow (the portfolio report)."""

    @property
    def failed(self) -> bool:
        return (
            self.sync.failed
            or any(r.status == "failed" for r in self.reports)
            or any(w.status == "failed" for w in self.writebacks)
        )


def reset(folder: Path) -> None:
    """Forget the demo's world, store and outputs (``--fresh``); the folder stays."""
    for name in (STORE_FILE, demo_world.STATE_FILE):
        (folder / name).unlink(missing_ok=True)
    shutil.rmtree(folder / OUT, ignore_errors=True)


@contextmanager
def serving(folder: Path) -> Iterator[tuple[demo_world.World, MailSink, Path]]:
    """The next run's world and the mail sink, running, with the configuration written for
    them; both stop on leaving."""
    folder.mkdir(parents=True, exist_ok=True)
    state = demo_world.WorldState.load(folder, date.today()).next_run()
    world = demo_world.start(state)
    sink = MailSink(folder / OUT / MAIL)
    try:
        sink.start()
        state.save(folder)
        write_cost_workbook(folder, world.org, state.seed)
        yield world, sink, write_config(folder, world, sink.port)
    finally:
        sink.stop()
        world.stop()


def run_tour(
    folder: Path,
    world: demo_world.World,
    sink: MailSink,
    config_path: Path,
    *,
    observer: SyncObserver | None = None,
    say: Callable[[str], None] = lambda _line: None,
) -> TourResult:
    """Sync the world into the demo's store, run and deliver every report, and collect what
    happened."""
    started = time.monotonic()
    config = _load(config_path)
    store = Store.open(config.store, base_dir=folder, schema="create")
    try:
        earlier = store.ledger.recent_runs(limit=1_000, kind="sync")
        say("syncing " + ("incrementally" if earlier else "everything, a first full sync"))
        sync_started = time.monotonic()
        sync = run_sync(config, store, observer=observer)
        sync_seconds = time.monotonic() - sync_started
        result = TourResult(
            folder=folder,
            config_path=config_path,
            run_number=world.state.runs,
            incremental=bool(earlier),
            sync=sync,
            sync_seconds=sync_seconds,
            requests=sum(s.counts.requests for c in sync.connectors for s in c.streams),
            first_requests=int(earlier[-1]["requests"]) if earlier else None,
            changed_tasks=world.changed_tasks,
            premium_projects=_premium_projects(store, config),
        )
        for name in config.reports:
            say(f"report {name}")
            result.reports.append(run_report(config, store, name))
        if earlier:
            _forget_standing_writes(store)
        for outcome in result.reports:
            following = _following(config, outcome.name)
            if outcome.status == "succeeded" and following:
                say(f"write-back after report {outcome.name}: {', '.join(following)}")
                result.writebacks.append(
                    run_writeback(
                        config, store, apply=True, connectors=following, today=outcome.as_of
                    )
                )
        result.attention = _attention(store, result.reports, config)
        result.cost = _cost_picture(store, result.reports, config)
    finally:
        store.close()
    result.emails = sorted(sink.kept)
    result.sharepoint, result.list_items = _sharepoint_copies(world, folder / OUT / SHAREPOINT)
    result.seconds = time.monotonic() - started
    return result


def _following(config: PmosyncConfig, report: str) -> list[str]:
    """The connectors whose write-back follows ``report``."""
    return [
        name
        for name, connector in config.connectors.items()
        if (spec := getattr(connector, "writeback", None)) is not None and spec.report == report
    ]


def _premium_projects(store: Store, config: PmosyncConfig) -> list[str]:
    """The live projects the planner_premium connectors synced, by name."""
    sources = [name for name, c in config.connectors.items() if c.type == "planner_premium"]
    table = ENTITY_TABLES[Project]
    query = select(table.c.name).where(table.c.source.in_(sources), table.c.deleted_at.is_(None))
    with store.engine.connect() as connection:
        return sorted(str(name) for name in connection.execute(query).scalars())


def _forget_standing_writes(store: Store) -> None:
    """The sandboxes forget between runs: each run rebuilds the world, so the PMO RAG values,
    Planner labels and status tasks pmosync wrote last time are gone from it. Their ledger
    rows go too, so this run writes them afresh instead of calling the rebuilt world's empty
    fields a human's edit. (A real tool keeps what was written: nothing like this runs
    outside the demo.) Status updates stay recorded: one per project and week."""
    for key, entry in store.writes.entries().items():
        if entry.field in STANDING_FIELDS:
            store.writes.forget(key)


def _load(config_path: Path) -> PmosyncConfig:
    """The demo's configuration, its tokens taken from its own ``.env``: a real ASANA_TOKEN in
    the user's environment must not be sent to the sandbox (nor make the demo fail), and a
    production ``PMOSYNC_STATE_DIR`` must not receive the demo's store and reports."""
    ignored = {*TOKEN_VARIABLES, STATE_DIR_ENV}
    environ = {k: v for k, v in os.environ.items() if k not in ignored}
    return load_config(config_path, environ=environ)


def _attention(
    store: Store, reports: list[ReportOutcome], config: PmosyncConfig
) -> list[Attention]:
    """Red and amber projects of the portfolio report, read back from its frozen figures."""
    flagged: list[Attention] = []
    for outcome in reports:
        if config.reports[outcome.name].kind != "portfolio_status":
            continue
        document = load_snapshot(store, outcome.run_id)
        if document is None:
            continue
        for section in document.sections:
            if section.key != "projects":
                continue
            for row in section.rows:
                if row.get("computed_rag") in ATTENTION:
                    reported = row["reported_rag"] if row.get("disagrees") else None
                    flagged.append(
                        Attention(
                            str(row["project"]), row["computed_rag"], row["reasons"] or "", reported
                        )
                    )
    flagged.sort(key=lambda a: (ATTENTION.index(a.rag), a.project))
    return flagged


def _cost_picture(
    store: Store, reports: list[ReportOutcome], config: PmosyncConfig
) -> CostPicture | None:
    """The first money total of the portfolio report's "All projects" roll-up, and its
    projects in flight whose CPI is clearly off, read back from its frozen figures."""
    for outcome in reports:
        if config.reports[outcome.name].kind != "portfolio_status":
            continue
        document = load_snapshot(store, outcome.run_id)
        if document is None:
            continue
        sections = {section.key: section.rows for section in document.sections}
        totals = [
            row
            for row in sections.get("portfolio_earned_value", [])
            if row.get("portfolio") == "All projects" and row.get("basis") == "money"
        ]
        if not totals:
            return None
        total = totals[0]
        active = {
            row["project"] for row in sections.get("projects", []) if row.get("status") == "active"
        }
        cpis = sorted(
            (row["cpi"], row["project"])
            for row in sections.get("earned_value", [])
            if row["project"] in active
            and row.get("cpi") is not None
            and row.get("currency") == total.get("currency")
        )
        return CostPicture(
            projects=int(total.get("projects") or 0),
            currency=total.get("currency"),
            cpi=total.get("cpi"),
            over=tuple((name, cpi) for cpi, name in cpis if cpi < OVER_CPI),
            under=tuple((name, cpi) for cpi, name in reversed(cpis) if cpi > UNDER_CPI),
        )
    return None


def _sharepoint_copies(world: demo_world.World, into: Path) -> tuple[list[str], int]:
    """What the SharePoint sandbox's PMO site now holds under Reports/ (copied into ``into``,
    so the newcomer can open what was uploaded), and the item count of the status list the
    portfolio report writes (not of the lists people write by hand)."""
    tenant = world.tenant
    hostname, _, path = PMO_SITE.partition(":")
    site = tenant.site_by_path(hostname, path)
    root = tenant.drive_root(site.drive_id)
    held: list[str] = []
    with tenant.lock:
        folders = [(root, "")]
        while folders:
            folder, prefix = folders.pop()
            for item in tenant.children(folder.id):
                relative = f"{prefix}{item.name}"
                if item.is_folder:
                    folders.append((item, relative + "/"))
                elif relative.startswith("Reports/") and item.content is not None:
                    held.append(relative)
                    copy = into / relative
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    copy.write_bytes(item.content)
        items = sum(
            len(lst.items)
            for lst in tenant.lists.values()
            if lst.site_id == site.id and lst.display_name == PMO_STATUS_LIST
        )
    return sorted(held), items
