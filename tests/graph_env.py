"""Shared pieces of the Microsoft end-to-end tests: configs pointing at a Graph sandbox, and the
ground truth read straight off the sandbox's own ``Tenant`` (never from pmosync's mapping).

Planner's scales are converted here with the bands Microsoft documents for the Planner UI,
written out by hand: priority 0-1 urgent, 2-4 important (high), 5-7 medium, 8-10 low;
percentComplete 0 not started, 100 done, anything between in progress.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import select

from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.canonical.types import (
    Assignment,
    Phase,
    Portfolio,
    PortfolioItem,
    Project,
    Task,
    TimeEntry,
)
from pmosync.config import load_config
from pmosync.store import Store

PLANNER = "planner-ops"
TIMESHEETS = "ops-timesheets"
PRIORITY = {0: "urgent", 1: "urgent", 2: "high", 3: "high", 4: "high", 5: "medium",
            6: "medium", 7: "medium", 8: "low", 9: "low", 10: "low"}  # fmt: skip


def status(percent: int) -> str:
    return "done" if percent == 100 else "not_started" if percent == 0 else "in_progress"


def planner_yaml(sandbox: Any, groups: list[str], *, extra: str = "") -> str:
    listed = ", ".join(f'"{g}"' for g in groups)
    return (
        f"  {PLANNER}:\n"
        "    type: planner\n"
        "    token: ${GRAPH_TOKEN}\n"
        f"    base_url: {sandbox.base_url}\n"
        f"    groups: [{listed}]\n" + extra
    )


def timesheets_yaml(sandbox: Any, *, extra: str = "") -> str:
    return (
        f"  {TIMESHEETS}:\n"
        "    type: sharepoint_files\n"
        "    token: ${GRAPH_TOKEN}\n"
        f"    base_url: {sandbox.base_url}\n"
        "    team: Operations\n"
        "    channel: Timesheets\n"
        "    kind: time\n"
        "    sheet: Entries\n"
        "    columns: {person: Email, date: Date, hours: Hours, project: Project, task: Task,"
        ' billable: "Billable?"}\n' + extra
    )


def write_config(
    tmp_path: Path,
    sandbox: Any,
    connectors: str,
    *,
    store: str | None = None,
    token: str | None = None,
):
    """A config with the given connector sections; returns (path, loaded config)."""
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        f"store: {store or 'sqlite:///pmosync.db'}\nconnectors:\n{connectors}", encoding="utf-8"
    )
    return path, load_config(path, environ={"GRAPH_TOKEN": token or sandbox.token})


def live_rows(store: Store, model: type, source: str = PLANNER) -> dict[str, dict[str, Any]]:
    table = ENTITY_TABLES[model]
    query = select(table).where(table.c.source == source, table.c.deleted_at.is_(None))
    with store.engine.connect() as connection:
        return {row.source_id: dict(row._mapping) for row in connection.execute(query)}


def expected_planner(tenant: Any, groups: list[str]) -> dict[type, dict[str, dict[str, Any]]]:
    """What the store must hold for the plans of ``groups``: per model, source id -> values."""
    plans = [p for p in tenant.plans.values() if p.group_id in groups]
    plan_ids = {p.id for p in plans}
    tasks = [t for t in tenant.tasks.values() if t.plan_id in plan_ids]
    labels = {p.id: p.category_descriptions for p in plans}
    zone = ZoneInfo(tenant.planner_zone)  # Planner keeps a picked date as midnight there
    return {
        Portfolio: {g: {"name": tenant.groups[g].display_name} for g in groups},
        Project: {
            p.id: {"name": p.title, "team": tenant.groups[p.group_id].display_name} for p in plans
        },
        PortfolioItem: {
            p.id: {
                "portfolio_id": Portfolio.ref(PLANNER, p.group_id),
                "project_id": Project.ref(PLANNER, p.id),
            }
            for p in plans
        },
        Phase: {
            b.id: {"name": b.name, "project_id": Project.ref(PLANNER, b.plan_id)}
            for b in tenant.buckets.values()
            if b.plan_id in plan_ids
        },
        Task: {
            t.id: {
                "name": t.title,
                "project_id": Project.ref(PLANNER, t.plan_id),
                "phase_id": Phase.ref(PLANNER, t.bucket_id) if t.bucket_id else None,
                "status": status(t.percent_complete),
                "percent_complete": float(t.percent_complete),
                "priority": PRIORITY[t.priority],
                "due_date": t.due_at.astimezone(zone).date() if t.due_at else None,
                "start_date": t.start_at.astimezone(zone).date() if t.start_at else None,
                "tags": sorted({labels[t.plan_id].get(c) or c for c in t.applied_categories}),
            }
            for t in tasks
        },
        Assignment: {
            f"{t.id}:{u}": {"task_id": Task.ref(PLANNER, t.id)}
            for t in tasks
            for u in t.assignee_ids
        },
    }


def planner_differences(store: Store, tenant: Any, groups: list[str]) -> list[str]:
    """Human-readable differences between the store and the tenant; empty when equal."""
    problems = []
    for model, wanted in expected_planner(tenant, groups).items():
        have = live_rows(store, model)
        for missing in sorted(set(wanted) - set(have))[:5]:
            problems.append(f"{model.entity} {missing} missing")
        for extra in sorted(set(have) - set(wanted))[:5]:
            problems.append(f"{model.entity} {extra} should not be live")
        for key in sorted(set(wanted) & set(have)):
            for column, value in wanted[key].items():
                if have[key][column] != value:
                    problems.append(
                        f"{model.entity} {key}.{column}: store {have[key][column]!r}, "
                        f"sandbox {value!r}"
                    )
    return problems


def timesheet_entries(tenant: Any) -> Counter:
    """Every timesheet row of the tenant as (email, day, minutes, project id, billable)."""
    plan_by_title = {p.title: p.id for p in tenant.plans.values()}
    rows: Counter = Counter()
    for sheet in tenant.timesheets.values():
        for row in sheet.rows:
            project = Project.ref(PLANNER, plan_by_title[row.project])
            rows[(row.email, row.day, round(row.hours * 60), project, row.billable)] += 1
    return rows


def stored_entries(store: Store, source: str = TIMESHEETS) -> Counter:
    """Live time entries of ``source`` in the same shape, with the identity's email."""
    identities = {k: v["email"] for k, v in _live_by_id(store, "person_identity", source).items()}
    entries: Counter = Counter()
    for entry in live_rows(store, TimeEntry, source).values():
        day = entry["entry_date"]
        day = day if isinstance(day, date) else date.fromisoformat(str(day))
        key = (identities[entry["identity_id"]], day, entry["minutes"], entry["project_id"],
               entry["billable"])  # fmt: skip
        entries[key] += 1
    return entries


def _live_by_id(store: Store, entity: str, source: str) -> dict[str, dict[str, Any]]:
    from pmosync.canonical.types import ENTITIES

    table = ENTITY_TABLES[ENTITIES[entity]]
    query = select(table).where(table.c.source == source, table.c.deleted_at.is_(None))
    with store.engine.connect() as connection:
        return {row.id: dict(row._mapping) for row in connection.execute(query)}


def sdk_client(sandbox: Any, token: str) -> Any:
    """msgraph-sdk pointed at ``sandbox`` with a static ``token`` (how the connector wires it)."""
    from kiota_abstractions.authentication import (
        AccessTokenProvider,
        AllowedHostsValidator,
        BaseBearerTokenAuthenticationProvider,
    )
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph_core import GraphClientFactory

    host = urlsplit(sandbox.base_url).hostname or ""

    class StaticToken(AccessTokenProvider):
        def __init__(self) -> None:
            self.hosts = AllowedHostsValidator([host])

        async def get_authorization_token(
            self, uri: str, additional_authentication_context: dict[str, Any] | None = None
        ) -> str:
            return token if self.hosts.is_url_host_valid(uri) else ""

        def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
            return self.hosts

    auth = BaseBearerTokenAuthenticationProvider(StaticToken())
    adapter = GraphRequestAdapter(auth, client=GraphClientFactory.create_with_default_middleware())
    adapter.base_url = sandbox.base_url
    return GraphServiceClient(request_adapter=adapter)
