"""Shared pieces of the Planner premium (Dataverse) end-to-end tests: a config pointing at a
Dataverse sandbox, the ground truth read off the sandbox's own ``environment_snapshot`` of its
rows (never from pmosync's connector or mapping), and a reader of what the store holds.

The snapshot, written by hand in the sandbox (sharing nothing with the connector or mapping),
applies the issue's rules on Dataverse's side: a person's key is the system user's
``azureactivedirectoryobjectid`` (the Entra object id, the id Graph uses), else
``systemuser:<systemuserid>``, else (a generic or contact resource)
``resource:<bookableresourceid>``; the email is the user's ``internalemailaddress``, else the
resource's ``msdyn_primaryemail``; a task is a milestone when ``msdyn_ismilestone`` or its
duration is 0 and it is no summary; dates are the UTC instants' days in the connector's time
zone; the scope is project names (case and spacing ignored) or ids.

The canonical rules below are written out by hand from the issue and from what Dataverse
documents, so a wrong connector or mapping shows as a difference:

- ``msdyn_progress`` is a fraction: 0.34 is 34 %; 0 not started, 1 done, between in progress;
- a project's status: ``statecode`` 1 archived, else completed at progress 1, else active;
- a summary task's effort is its children's roll-up: its estimate is None (never counted twice);
- priority in the plans' UI bands: 0-1 urgent, 2-4 important (high), 5-7 medium, 8-10 low;
- emails are stored lower-cased, text without NUL;
- a done task was completed at its ``msdyn_actualend`` (Dataverse's system-computed actual
  end; read here from the environment's row, never predicted: churn stamps it with the
  mutation's wall-clock moment); an actual end on a task that is not done is ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.canonical.types import (
    Allocation,
    Assignment,
    PersonIdentity,
    Phase,
    Project,
    Task,
)
from pmosync.config import load_config
from pmosync.sandbox.dataverse.snapshot import environment_snapshot

PREMIUM = "premium-pmo"
PRIORITY = {0: "urgent", 1: "urgent", 2: "high", 3: "high", 4: "high", 5: "medium",
            6: "medium", 7: "medium", 8: "low", 9: "low", 10: "low"}  # fmt: skip
MODELS = (Project, Phase, Task, Assignment, Allocation, PersonIdentity)


def premium_yaml(sandbox: Any, *, page_size: int = 50, extra: str = "") -> str:
    """The connector's section: the sandbox's environment, a static token from the env."""
    return (
        f"  {PREMIUM}:\n"
        "    type: planner_premium\n"
        f"    environment: {sandbox.environment_url}\n"
        "    token: ${DATAVERSE_TOKEN}\n"
        f"    page_size: {page_size}\n" + extra
    )


def write_config(
    tmp_path: Path,
    sandbox: Any,
    connectors: str | None = None,
    *,
    store: str | None = None,
    token: str | None = None,
    head: str = "",
):
    """A config with the given connector sections; returns (path, loaded config)."""
    path = tmp_path / "pmosync.yaml"
    body = connectors if connectors is not None else premium_yaml(sandbox)
    path.write_text(
        f"{head}store: {store or 'sqlite:///pmosync.db'}\nconnectors:\n{body}", encoding="utf-8"
    )
    return path, load_config(path, environ=environ(sandbox, token))


def environ(sandbox: Any, token: str | None = None) -> dict[str, str]:
    return {"DATAVERSE_TOKEN": token or sandbox.token}


# -- the store -------------------------------------------------------------------------------


def live_rows(store: Any, model: type, source: str = PREMIUM) -> dict[str, dict[str, Any]]:
    """Live (not tombstoned) rows of ``model`` from ``source``, by source id."""
    table = ENTITY_TABLES[model]
    query = select(table).where(table.c.source == source, table.c.deleted_at.is_(None))
    with store.engine.connect() as connection:
        return {row.source_id: dict(row._mapping) for row in connection.execute(query)}


def all_rows(store: Any, model: type, source: str = PREMIUM) -> dict[str, dict[str, Any]]:
    """Every row of ``model`` from ``source`` (tombstones included), by source id."""
    table = ENTITY_TABLES[model]
    query = select(table).where(table.c.source == source)
    with store.engine.connect() as connection:
        return {row.source_id: dict(row._mapping) for row in connection.execute(query)}


# -- the ground truth, from the sandbox's own snapshot of the environment --------------------


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _instant(value: str | None) -> datetime | None:
    """The snapshot's ``2026-03-02T17:00:00+00:00`` instant as an aware UTC datetime."""
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


def _approx(value: float | None) -> Any:
    """A float compared to 1e-6 (0.34 * 100 is 34.00000000000001); None equals None only."""
    return pytest.approx(value, abs=1e-6)


def _status(progress: float | None) -> str:
    fraction = progress or 0
    return "done" if fraction >= 1 else "not_started" if fraction <= 0 else "in_progress"


def _lower(value: str | None) -> str | None:
    return value.strip().lower() if value else None


def _text(value: str | None) -> str | None:
    """Text as the store keeps it: without NUL (PostgreSQL refuses it; so does the store on
    SQLite, alike)."""
    return value.replace("\x00", "") if value else value


def expected(
    env: Any, *, source: str = PREMIUM, timezone: str = "UTC", scope: Sequence[str] = ()
) -> dict[type, dict[str, dict[str, Any]]]:
    """What the store must hold for every project of ``env`` in ``scope``: per model, source
    id -> values, from the sandbox's ``environment_snapshot`` (person keys and emails, days in
    ``timezone``, predecessors, milestones, scope) with the canonical rules above.

    PersonIdentity holds the people the plans reference (managers, team members, assignees):
    a person no plan names any more is retired."""
    truth = environment_snapshot(env, scope, timezone=timezone)

    def ref(model: type, key: str | None) -> str | None:
        return model.ref(source, key) if key else None

    wanted: dict[type, dict[str, dict[str, Any]]] = {model: {} for model in MODELS}
    for pid, p in truth["projects"].items():
        progress = p["progress"] or 0
        wanted[Project][pid] = {
            "name": _text(p["name"]),
            "owner_identity_id": ref(PersonIdentity, p["manager"]),
            "status": "archived" if p["statecode"] == 1
            else "completed" if progress >= 1 else "active",
            "start_date": _day(p["start"]),
            "due_date": _day(p["finish"]),
        }  # fmt: skip
    for bid, b in truth["buckets"].items():
        wanted[Phase][bid] = {"name": _text(b["name"]), "project_id": ref(Project, b["project"])}
    for tid, t in truth["tasks"].items():
        progress = t["progress"] or 0
        wanted[Task][tid] = {
            "name": _text(t["subject"]),
            "project_id": ref(Project, t["project"]),
            "phase_id": ref(Phase, t["bucket"]),
            "parent_id": ref(Task, t["parent"]),
            "is_milestone": t["milestone"],
            "status": _status(progress),
            "percent_complete": _approx(progress * 100),
            "estimate_hours": None if t["summary"] else _approx(t["effort"]),
            "priority": PRIORITY.get(t["priority"]) if t["priority"] is not None else None,
            "start_date": _day(t["start"]),
            "due_date": _day(t["end"]),
            "dependency_ids": sorted(Task.ref(source, p) for p in t["predecessors"]),
            "completed_at": _instant(t["actualend"]) if progress >= 1 else None,
        }
    for aid, a in truth["assignments"].items():
        wanted[Assignment][aid] = {
            "task_id": ref(Task, a["task"]),
            "identity_id": ref(PersonIdentity, a["person"]),
        }
        wanted[Allocation][aid] = {
            "identity_id": ref(PersonIdentity, a["person"]),
            "project_id": ref(Project, a["project"]),
            "start_date": _day(a["start"]),
            "end_date": _day(a["finish"]),
            "hours": _approx(a["effort"]),
        }
    for key, person in truth["people"].items():
        wanted[PersonIdentity][key] = {"name": _text(person["name"]),
                                       "email": _lower(person["email"])}  # fmt: skip
    return wanted


def _comparable(column: str, value: Any) -> Any:
    if column == "dependency_ids" and isinstance(value, list):
        return sorted(value)
    if isinstance(value, datetime):  # SQLite gives back naive UTC, PostgreSQL aware
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def differences(
    store: Any,
    env: Any,
    *,
    source: str = PREMIUM,
    timezone: str = "UTC",
    scope: Sequence[str] = (),
    limit: int = 20,
) -> list[str]:
    """Human-readable differences between the store and the environment; empty when equal."""
    problems: list[str] = []
    for model, wanted in expected(env, source=source, timezone=timezone, scope=scope).items():
        have = live_rows(store, model, source)
        for missing in sorted(set(wanted) - set(have))[:5]:
            problems.append(f"{model.entity} {missing} missing")
        for extra in sorted(set(have) - set(wanted))[:5]:
            problems.append(f"{model.entity} {extra} should not be live")
        for key in sorted(set(wanted) & set(have)):
            for column, value in wanted[key].items():
                stored = _comparable(column, have[key][column])
                if value != stored:
                    problems.append(
                        f"{model.entity} {key}.{column}: store {stored!r}, sandbox {value!r}"
                    )
    return problems[:limit]
