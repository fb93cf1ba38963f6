"""An environment's plans as plain JSON: the ground truth a test or a benchmark compares the
synced store with.

Written from the tables with the rules the issue states, by hand, sharing nothing with
pmosync's connector or mapping (a ground truth computed by the code under test proves nothing):

- a person's key is the system user's ``azureactivedirectoryobjectid`` (the Entra object id),
  else ``systemuser:<systemuserid>``; a resource without a user is ``resource:<id>``; the email
  is the user's ``internalemailaddress``, else the resource's ``msdyn_primaryemail`` (as stored);
- the people are those the in-scope plans reference: managers, team members, assignees;
- a task is a milestone when ``msdyn_ismilestone``, or its duration is 0 and it is no summary;
- dates are the UTC instants' days in ``timezone``; progress is the stored fraction;
- a task's ``actualend`` is the stored UTC instant (``2026-03-02T17:00:00+00:00``), or None;
- scope: project names (case and spacing ignored) or ids, as the connector's ``projects:``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pmosync.sandbox.dataverse.odata import parse_datetime

if TYPE_CHECKING:
    from pmosync.sandbox.dataverse.environment import Environment


def _norm(name: str | None) -> str:
    return " ".join((name or "").split()).casefold()


def in_scope(env: Environment, projects: Iterable[str] | None) -> list[dict]:
    """The project rows a ``projects:`` list selects (all for None or an empty list)."""
    rows = env.table_rows("msdyn_project")
    wanted = list(projects or ())
    if not wanted:
        return rows
    ids = {w.casefold() for w in wanted}
    names = {_norm(w) for w in wanted}
    return [
        p for p in rows
        if p["msdyn_projectid"].casefold() in ids or _norm(p["msdyn_subject"]) in names
    ]  # fmt: skip


def environment_snapshot(
    env: Environment, projects: Iterable[str] | None = None, *, timezone: str = "UTC"
) -> dict[str, Any]:
    """Per collection, id -> values, for the projects in scope (``projects`` names or ids;
    None: all): projects, buckets, tasks, assignments, team, people; plus ``today``."""
    zone = ZoneInfo(timezone)

    def moment(instant: str | None) -> str | None:
        return parse_datetime(instant).isoformat() if instant else None

    def day(instant: str | None) -> str | None:
        return parse_datetime(instant).astimezone(zone).date().isoformat() if instant else None

    with env.lock:
        users = {u["systemuserid"]: u for u in env.table_rows("systemuser")}
        resources = {r["bookableresourceid"]: r for r in env.table_rows("bookableresource")}
        scope = {p["msdyn_projectid"]: p for p in in_scope(env, projects)}
        buckets = [b for b in env.table_rows("msdyn_projectbucket")
                   if b["_msdyn_project_value"] in scope]  # fmt: skip
        tasks = [t for t in env.table_rows("msdyn_projecttask")
                 if t["_msdyn_project_value"] in scope]  # fmt: skip
        links = [d for d in env.table_rows("msdyn_projecttaskdependency")
                 if d["_msdyn_project_value"] in scope]  # fmt: skip
        assignments = [a for a in env.table_rows("msdyn_resourceassignment")
                       if a["_msdyn_projectid_value"] in scope]  # fmt: skip
        team = [m for m in env.table_rows("msdyn_projectteam")
                if m["_msdyn_project_value"] in scope]  # fmt: skip
        today = env.today.isoformat()

    resource_of_user = {r["_userid_value"]: key for key, r in resources.items()
                        if r["_userid_value"]}  # fmt: skip
    people: dict[str, dict[str, Any]] = {}

    def user_person(user_id: str | None) -> str | None:
        user = users.get(user_id or "")
        if user is None:
            return None
        key = user["azureactivedirectoryobjectid"] or f"systemuser:{user['systemuserid']}"
        resource = resources.get(resource_of_user.get(user["systemuserid"], ""))
        email = user["internalemailaddress"] or (resource or {}).get("msdyn_primaryemail")
        people.setdefault(key, {
            "name": user["fullname"], "email": email,
            "objectId": user["azureactivedirectoryobjectid"],
            "systemuserid": user["systemuserid"],
            "bookableresourceid": resource["bookableresourceid"] if resource else None,
            "resourcetype": resource["resourcetype"] if resource else None,
            "disabled": bool(user["isdisabled"]),
        })  # fmt: skip
        return key

    def resource_person(resource_id: str | None) -> str | None:
        resource = resources.get(resource_id or "")
        if resource is None:
            return None
        if resource["_userid_value"] in users:
            return user_person(resource["_userid_value"])
        key = f"resource:{resource['bookableresourceid']}"
        people.setdefault(key, {
            "name": resource["name"], "email": resource["msdyn_primaryemail"], "objectId": None,
            "systemuserid": None, "bookableresourceid": resource["bookableresourceid"],
            "resourcetype": resource["resourcetype"], "disabled": False,
        })  # fmt: skip
        return key

    snapshot: dict[str, Any] = {"today": today, "timezone": timezone, "projects": {}}
    for pid, p in scope.items():
        manager = user_person(p["_msdyn_projectmanager_value"])
        snapshot["projects"][pid] = {
            "name": p["msdyn_subject"],
            "manager": manager,
            "manager_email": people[manager]["email"] if manager else None,
            "start": day(p["msdyn_scheduledstart"]),
            "finish": day(p["msdyn_finish"]),
            "statecode": p["statecode"],
            "progress": p["msdyn_progress"],
            "effort": p["msdyn_effort"],
        }
    snapshot["buckets"] = {
        b["msdyn_projectbucketid"]: {"project": b["_msdyn_project_value"], "name": b["msdyn_name"]}
        for b in buckets
    }
    predecessors: dict[str, set[str]] = {}
    for d in links:
        predecessors.setdefault(d["_msdyn_successortask_value"], set()).add(
            d["_msdyn_predecessortask_value"]
        )
    snapshot["tasks"] = {
        t["msdyn_projecttaskid"]: {
            "project": t["_msdyn_project_value"],
            "bucket": t["_msdyn_projectbucket_value"],
            "parent": t["_msdyn_parenttask_value"],
            "subject": t["msdyn_subject"],
            "summary": bool(t["msdyn_summary"]),
            "milestone": bool(t["msdyn_ismilestone"])
            or (t["msdyn_duration"] == 0 and not t["msdyn_summary"]),
            "progress": t["msdyn_progress"],
            "effort": t["msdyn_effort"],
            "priority": t["msdyn_priority"],
            "start": day(t["msdyn_scheduledstart"]),
            "end": day(t["msdyn_scheduledend"]),
            "actualend": moment(t["msdyn_actualend"]),
            "predecessors": sorted(predecessors.get(t["msdyn_projecttaskid"], ())),
        }
        for t in tasks
    }
    snapshot["assignments"] = {}
    for a in assignments:
        person = resource_person(a["_msdyn_bookableresourceid_value"])
        snapshot["assignments"][a["msdyn_resourceassignmentid"]] = {
            "task": a["_msdyn_taskid_value"],
            "project": a["_msdyn_projectid_value"],
            "resource": a["_msdyn_bookableresourceid_value"],
            "person": person,
            "email": people[person]["email"] if person else None,
            "effort": a["msdyn_effort"],
            "start": day(a["msdyn_start"]),
            "finish": day(a["msdyn_finish"]),
        }
    snapshot["team"] = {}
    for m in team:
        snapshot["team"][m["msdyn_projectteamid"]] = {
            "project": m["_msdyn_project_value"],
            "resource": m["_msdyn_bookableresourceid_value"],
            "person": resource_person(m["_msdyn_bookableresourceid_value"]),
        }
    snapshot["people"] = {key: people[key] for key in sorted(people)}
    return snapshot
