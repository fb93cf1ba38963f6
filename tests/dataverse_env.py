"""Shared pieces of the Planner premium (Dataverse) end-to-end tests: a config pointing at a
Dataverse sandbox, the ground truth read straight off the sandbox's own ``Environment`` rows
(never from pmosync's connector or mapping), and a reader of what the store holds.

The rules below are written out by hand from the issue and from what Dataverse documents, so a
wrong connector or mapping shows as a difference:

- a person's key is the system user's ``azureactivedirectoryobjectid`` (the Entra object id,
  the id Graph uses), else ``systemuser:<systemuserid>``, else (a generic or contact resource)
  ``resource:<bookableresourceid>``; the email is the user's ``internalemailaddress``, else the
  resource's ``msdyn_primaryemail`` (stored lower-cased);
- ``msdyn_progress`` is a fraction: 0.34 is 34 %; 0 not started, 1 done, between in progress;
- a project's status: ``statecode`` 1 archived, else completed at progress 1, else active;
- a task is a milestone when ``msdyn_ismilestone`` or its duration is 0 and it is no summary;
- a summary task's effort is its children's roll-up: its estimate is None (never counted twice);
- priority in the plans' UI bands: 0-1 urgent, 2-4 important (high), 5-7 medium, 8-10 low;
- dates are the UTC instants' days in the connector's time zone;
- a done task was completed at its ``msdyn_actualend`` (Dataverse's system-computed actual
  end; read here from the environment's row, never predicted: churn stamps it with the
  mutation's wall-clock moment); an actual end on a task that is not done is ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

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


# -- the ground truth, from the environment's rows -------------------------------------------


def _day(value: str | None, zone: ZoneInfo) -> date | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(zone).date()


def _instant(value: str | None) -> datetime | None:
    """A ``2026-03-02T17:00:00Z`` instant as an aware UTC datetime."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _status(progress: float | None) -> str:
    fraction = progress or 0
    return "done" if fraction >= 1 else "not_started" if fraction <= 0 else "in_progress"


def people(env: Any) -> dict[str, dict[str, Any]]:
    """``people``: person key -> {name, email} for every system user and bookable resource;
    ``by_user`` / ``by_resource``: systemuserid / bookableresourceid -> person key."""
    users = {u["systemuserid"]: u for u in env.table_rows("systemuser")}

    def user_person(user: dict) -> tuple[str, dict[str, Any]]:
        key = user["azureactivedirectoryobjectid"] or f"systemuser:{user['systemuserid']}"
        return key, {"name": _text(user["fullname"]),
                     "email": _lower(user["internalemailaddress"])}  # fmt: skip

    known: dict[str, dict[str, Any]] = {}
    by_user = {}
    for user in users.values():
        key, values = user_person(user)
        by_user[user["systemuserid"]] = key
        known[key] = values
    by_resource = {}
    for resource in env.table_rows("bookableresource"):
        user = users.get(resource["_userid_value"] or "")
        if user is not None:
            key = by_user[user["systemuserid"]]
            if known[key]["email"] is None:
                known[key] = {**known[key], "email": _lower(resource["msdyn_primaryemail"])}
        else:
            key = f"resource:{resource['bookableresourceid']}"
            known[key] = {"name": _text(resource["name"]),
                          "email": _lower(resource["msdyn_primaryemail"])}  # fmt: skip
        by_resource[resource["bookableresourceid"]] = key
    return {"people": known, "by_user": by_user, "by_resource": by_resource}


def _in_scope(projects: list[dict], scope: Sequence[str]) -> list[dict]:
    """The projects a ``projects:`` list names, by id or by name (case and spacing ignored);
    all of them for an empty list."""
    if not scope:
        return projects

    def norm(name: str | None) -> str:
        return " ".join((name or "").split()).casefold()

    names = {norm(s) for s in scope}
    return [p for p in projects
            if p["msdyn_projectid"] in scope or norm(p["msdyn_subject"]) in names]  # fmt: skip


def _lower(value: str | None) -> str | None:
    return value.strip().lower() if value else None


def _text(value: str | None) -> str | None:
    """Text as the store keeps it: without NUL (PostgreSQL refuses it; so does the store on
    SQLite, alike)."""
    return value.replace("\x00", "") if value else value


def expected(
    env: Any, *, source: str = PREMIUM, timezone: str = "UTC", scope: Sequence[str] = ()
) -> dict[type, dict[str, dict[str, Any]]]:
    """What the store must hold for every project of ``env``: per model, source id -> values.

    PersonIdentity holds the people the plans reference (managers, team members, assignees):
    a person no plan names any more is retired."""
    zone = ZoneInfo(timezone)
    directory = people(env)
    person_of_user, person_of_resource = directory["by_user"], directory["by_resource"]

    def identity(key: str | None) -> str | None:
        return PersonIdentity.ref(source, key) if key else None

    projects = _in_scope(env.table_rows("msdyn_project"), scope)
    ids = {p["msdyn_projectid"] for p in projects}

    def rows(table: str, column: str) -> list[dict]:
        return [r for r in env.table_rows(table) if r[column] in ids]
    wanted: dict[type, dict[str, dict[str, Any]]] = {model: {} for model in MODELS}
    referenced: set[str] = set()
    for p in projects:
        manager = person_of_user.get(p["_msdyn_projectmanager_value"] or "")
        if manager:
            referenced.add(manager)
        progress = p["msdyn_progress"] or 0
        wanted[Project][p["msdyn_projectid"]] = {
            "name": _text(p["msdyn_subject"]),
            "owner_identity_id": identity(manager),
            "status": "archived" if p["statecode"] == 1
            else "completed" if progress >= 1 else "active",
            "start_date": _day(p["msdyn_scheduledstart"], zone),
            "due_date": _day(p["msdyn_finish"], zone),
        }  # fmt: skip
    for b in rows("msdyn_projectbucket", "_msdyn_project_value"):
        wanted[Phase][b["msdyn_projectbucketid"]] = {
            "name": _text(b["msdyn_name"]),
            "project_id": Project.ref(source, b["_msdyn_project_value"]),
        }
    predecessors: dict[str, set[str]] = {}
    for d in rows("msdyn_projecttaskdependency", "_msdyn_project_value"):
        successor = d["_msdyn_successortask_value"]
        predecessors.setdefault(successor, set()).add(d["_msdyn_predecessortask_value"])
    for t in rows("msdyn_projecttask", "_msdyn_project_value"):
        progress = t["msdyn_progress"] or 0
        bucket = t["_msdyn_projectbucket_value"]
        parent = t["_msdyn_parenttask_value"]
        wanted[Task][t["msdyn_projecttaskid"]] = {
            "name": _text(t["msdyn_subject"]),
            "project_id": Project.ref(source, t["_msdyn_project_value"]),
            "phase_id": Phase.ref(source, bucket) if bucket else None,
            "parent_id": Task.ref(source, parent) if parent else None,
            "is_milestone": bool(t["msdyn_ismilestone"])
            or (t["msdyn_duration"] == 0 and not t["msdyn_summary"]),
            "status": _status(progress),
            "percent_complete": Approx(progress * 100),
            "estimate_hours": None if t["msdyn_summary"] else Approx(t["msdyn_effort"]),
            "priority": PRIORITY.get(t["msdyn_priority"]) if t["msdyn_priority"] is not None
            else None,
            "start_date": _day(t["msdyn_scheduledstart"], zone),
            "due_date": _day(t["msdyn_scheduledend"], zone),
            "dependency_ids": sorted(
                Task.ref(source, p) for p in predecessors.get(t["msdyn_projecttaskid"], ())
            ),
            "completed_at": _instant(t["msdyn_actualend"]) if progress >= 1 else None,
        }  # fmt: skip
    for a in rows("msdyn_resourceassignment", "_msdyn_projectid_value"):
        person = person_of_resource[a["_msdyn_bookableresourceid_value"]]
        referenced.add(person)
        key = a["msdyn_resourceassignmentid"]
        wanted[Assignment][key] = {
            "task_id": Task.ref(source, a["_msdyn_taskid_value"]),
            "identity_id": identity(person),
        }
        wanted[Allocation][key] = {
            "identity_id": identity(person),
            "project_id": Project.ref(source, a["_msdyn_projectid_value"]),
            "start_date": _day(a["msdyn_start"], zone),
            "end_date": _day(a["msdyn_finish"], zone),
            "hours": Approx(a["msdyn_effort"]),
        }
    for member in rows("msdyn_projectteam", "_msdyn_project_value"):
        referenced.add(person_of_resource[member["_msdyn_bookableresourceid_value"]])
    for key in referenced:
        wanted[PersonIdentity][key] = dict(directory["people"][key])
    return wanted


class Approx:
    """A float compared to 1e-6 (0.34 * 100 is 34.00000000000001); None equals None only."""

    def __init__(self, value: float | None) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        if self.value is None or other is None:
            return self.value is None and other is None
        return isinstance(other, int | float) and abs(float(other) - self.value) < 1e-6

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.value)


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
