"""Shared pieces of the Asana end-to-end tests: a config pointing at a sandbox, and the ground
truth comparison between the sandbox's own organisation and what the store holds.

The expected values are read straight off the sandbox's ``Org`` (its dataclasses), never from
pmosync's mapping; only canonical ids are computed, with the foundation's id function, to find
the rows.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.canonical.types import (
    Allocation,
    Assignment,
    Budget,
    PersonIdentity,
    Phase,
    Portfolio,
    PortfolioItem,
    Project,
    StatusUpdate,
    Task,
    TimeEntry,
)
from pmosync.config import load_config
from pmosync.store import Store
from pmosync.sync.run import run_sync

SOURCE = "asana-eng"
RAG_OF_STATUS = {
    "on_track": "green",
    "at_risk": "amber",
    "off_track": "red",
    "on_hold": "blue",
    "complete": "complete",
}


def write_config(tmp_path: Path, sandbox: Any, *, extra: str = "", store: str | None = None):
    """A config for one Asana connector against ``sandbox``; returns (path, loaded config)."""
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        f"store: {store or 'sqlite:///pmosync.db'}\n"
        "connectors:\n"
        f"  {SOURCE}:\n"
        "    type: asana\n"
        "    token: ${ASANA_TOKEN}\n"
        f'    workspace: "{sandbox.org.workspace.gid}"\n'
        f"    base_url: {sandbox.base_url}\n"
        "    max_concurrency: 4\n" + extra,
        encoding="utf-8",
    )
    return path, load_config(path, environ={"ASANA_TOKEN": sandbox.token})


def sync_once(
    tmp_path: Path, sandbox: Any, *, extra: str = "", full: bool = False, store: str | None = None
):
    """One sync of ``write_config``'s connector into its store; returns (open store, each
    connector's result). The store is closed if the sync raises."""
    path, config = write_config(tmp_path, sandbox, extra=extra, store=store)
    opened = Store.open(config.store, base_dir=path.parent)
    try:
        return opened, run_sync(config, opened, full=full).connectors
    except BaseException:
        opened.close()
        raise


def live_rows(store: Store, model: type) -> dict[str, dict[str, Any]]:
    """Live (not tombstoned) rows of ``model`` from SOURCE, by source id."""
    table = ENTITY_TABLES[model]
    query = select(table).where(table.c.source == SOURCE, table.c.deleted_at.is_(None))
    with store.engine.connect() as connection:
        return {row.source_id: dict(row._mapping) for row in connection.execute(query)}


def all_rows(store: Store, model: type) -> list[dict[str, Any]]:
    table = ENTITY_TABLES[model]
    with store.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(select(table))]


def _ref(model: type, gid: str | None) -> str | None:
    return model.ref(SOURCE, gid) if gid else None


def expected(
    org: Any, *, raid: bool = False, intake: bool = False
) -> dict[type, dict[str, dict[str, Any]]]:
    """What the store must hold for ``org``: per model, source id -> column values.

    ``raid``: the connector reads the RAID log (``raid_block``), so the RAID log project and
    every RAID item (``org.raid``) are no project, phase, task or assignment. ``intake``: it
    reads the intake project (``intake_block``), whose project and requests are none either."""
    wanted = _without_raid(org) if raid else None
    if intake:
        wanted = wanted or {}
        for model, gone in _without_intake(org).items():
            wanted[model] = wanted.get(model, set()) | gone
    tasks = {}
    for task in org.tasks.values():
        project = org.task_project(task)
        tasks[task.gid] = {
            "name": task.name.replace("\x00", ""),  # the store keeps no NUL, anywhere
            "project_id": _ref(Project, project),
            "phase_id": _ref(Phase, task.section_gid) if task.parent_gid is None else None,
            "parent_id": _ref(Task, task.parent_gid),
            "due_date": task.due_on,
            "start_date": task.start_on,
            "status": "done" if task.completed else ...,
            "is_milestone": task.resource_subtype == "milestone",
            "dependency_ids": sorted(Task.ref(SOURCE, gid) for gid in task.dependencies),
        }
    truth = {
        PersonIdentity: {p.gid: {"email": p.email.lower()} for p in org.people.values()},
        Portfolio: {p.gid: {"name": p.name} for p in org.portfolios.values()},
        PortfolioItem: {
            f"{p.gid}:{project}": {"project_id": _ref(Project, project)}
            for p in org.portfolios.values()
            for project in p.project_gids
        },
        Project: {p.gid: {"name": p.name} for p in org.projects.values()},
        Phase: {
            s.gid: {"name": s.name, "project_id": _ref(Project, s.project_gid)}
            for s in org.sections.values()
        },
        Task: tasks,
        Assignment: {
            t.gid: {"identity_id": _ref(PersonIdentity, t.assignee_gid)}
            for t in org.tasks.values()
            if t.assignee_gid
        },
        TimeEntry: {
            e.gid: {
                "identity_id": _ref(PersonIdentity, e.user_gid),
                "project_id": _ref(Project, e.project_gid),
                "task_id": _ref(Task, e.task_gid),
                "entry_date": e.entered_on,
                "minutes": e.duration_minutes,
            }
            for e in org.time_entries.values()
        },
        StatusUpdate: {
            s.gid: {"project_id": _ref(Project, s.project_gid), "rag": RAG_OF_STATUS[s.status_type]}
            for s in org.status_updates.values()
        },
        Allocation: {
            a.gid: {
                "project_id": _ref(Project, a.project_gid),
                "identity_id": _ref(PersonIdentity, a.assignee_gid),
                "start_date": a.start_date,
                "end_date": a.end_date,
            }
            for a in org.allocations.values()
        },
        Budget: {b.gid: {"project_id": _ref(Project, b.project_gid)} for b in org.budgets.values()},
    }
    if wanted is not None:
        for model, gone in wanted.items():
            truth[model] = {gid: v for gid, v in truth[model].items() if gid not in gone}
    return truth


def _without_raid(org: Any) -> dict[type, set[str]]:
    """What reading the RAID log takes out of the work model, per model."""
    log = {org.raid_log_gid}
    return {
        Project: log,
        Phase: {s.gid for s in org.sections.values() if s.project_gid in log},
        Task: set(org.raid),
        Assignment: set(org.raid),
    }


def _without_intake(org: Any) -> dict[type, set[str]]:
    """What reading the intake project takes out of the work model, per model."""
    home = {org.intake_gid}
    return {
        Project: home,
        Phase: {s.gid for s in org.sections.values() if s.project_gid in home},
        Task: set(org.intake),
        Assignment: set(org.intake),
    }


def intake_block(org: Any) -> str:
    """The ``intake:`` block for the sandbox's intake project, as ``write_config``'s ``extra``
    (the demo's names: criteria strategic_fit and regulatory, efforts in days)."""
    return (
        "    intake:\n"
        f'      projects: ["{org.intake_gid}"]\n'
        "      fields: {sponsor: Sponsor, estimated_cost: Estimated cost, "
        "estimated_benefit: Expected benefit, risk: Risk, target_start: Target start, "
        "target_end: Target end, project: Converted to}\n"
        "      criteria: {strategic_fit: Strategic alignment, regulatory: Regulatory}\n"
        "      effort: {Consultant: Consultant effort (d), Analyst: Analyst effort (d)}\n"
        "      effort_unit: days\n"
    )


RAID_FIELDS = (
    "probability: Probability, impact: Impact, status: RAID status, mitigation: Mitigation, "
    "raised: Raised on"
)


def raid_block(org: Any) -> str:
    """The ``raid:`` block for the sandbox's RAID log, as ``write_config``'s ``extra``."""
    return f'    raid:\n      projects: ["{org.raid_log_gid}"]\n      fields: {{{RAID_FIELDS}}}\n'


def differences(
    store: Store,
    org: Any,
    *,
    only: tuple[type, ...] = (),
    raid: bool = False,
    intake: bool = False,
) -> list[str]:
    """Every way the store differs from the organisation; empty when they agree."""
    problems: list[str] = []
    with org.lock:
        wanted = expected(org, raid=raid, intake=intake)
    for model, records in wanted.items():
        if only and model not in only:
            continue
        rows = live_rows(store, model)
        missing, extra = set(records) - set(rows), set(rows) - set(records)
        if missing:
            problems.append(f"{model.entity}: {len(missing)} missing, e.g. {sorted(missing)[:3]}")
        if extra:
            problems.append(f"{model.entity}: {len(extra)} not upstream, e.g. {sorted(extra)[:3]}")
        for gid in set(records) & set(rows):
            for column, value in records[gid].items():
                stored = rows[gid][column]
                if column == "status" and value is ...:
                    if stored == "done":
                        problems.append(f"{model.entity} {gid}: done but open upstream")
                    continue
                if column == "dependency_ids":
                    stored = sorted(stored or [])
                if isinstance(value, date) and isinstance(stored, str):
                    stored = date.fromisoformat(stored)
                if stored != value:
                    problems.append(f"{model.entity} {gid}.{column}: {stored!r} != {value!r}")
    return problems[:40]


def duplicate_rows(store: Store) -> list[str]:
    """(source, source_id) pairs held twice in any entity table: must never happen."""
    dupes = []
    for model in (Task, TimeEntry, Phase, Project, StatusUpdate, Assignment):
        keys = [(row["source"], row["source_id"]) for row in all_rows(store, model)]
        if len(keys) != len(set(keys)):
            dupes.append(model.entity)
    return dupes
