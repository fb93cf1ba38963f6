"""Time tracking entries, status updates, allocations, budgets and rates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from pmosync.sandbox.asana import body, params
from pmosync.sandbox.asana.call import Call, KeySource, Reply
from pmosync.sandbox.asana.errors import bad_request, not_found
from pmosync.sandbox.asana.index import EMPTY, SortedKeys, merged_after
from pmosync.sandbox.asana.routes.directory import gid_keys
from pmosync.sandbox.asana.routes.tasks import org_errors
from pmosync.sandbox.asana.routing import Route
from pmosync.sandbox.org import TimeEntry

NEED_ENTRY_FILTER = "Must specify one of task, attributable_to, portfolio, user or workspace"
NEED_WINDOW = (
    "entered_on_start_date: At least one of entered_on_start_date or entered_on_end_date "
    "must be provided when filtering by workspace"
)


def _optional_day(call: Call, name: str) -> date | None:
    text = call.param(name)
    return params.day(name, text) if text else None


def list_time_entries(call: Call) -> Reply:
    index, org = call.env.index, call.org
    task = call.gid_param("task")
    project = call.gid_param("attributable_to")
    portfolio = call.gid_param("portfolio")
    user = call.gid_param("user", allow_me=True)
    workspace = call.gid_param("workspace")
    start = _optional_day(call, "entered_on_start_date")
    end = _optional_day(call, "entered_on_end_date")
    keys: KeySource
    if task is not None:
        call.task(task)
        keys = index.entries_by_task.get(task, EMPTY).after
    elif project is not None:
        call.project(project, "attributable_to")
        keys = index.entries_by_project.get(project, EMPTY).after
    elif portfolio is not None:
        found = call.lookup("portfolio", org.portfolios, portfolio)
        lists = [index.entries_by_project.get(g, EMPTY) for g in found.project_gids]
        keys = lambda after: merged_after(lists, after)  # noqa: E731
    elif user is not None:
        call.lookup("user", org.people, user)
        keys = index.entries_by_user.get(user, EMPTY).after
    elif workspace is not None:
        call.workspace(workspace)
        if start is None and end is None:
            raise bad_request(NEED_WINDOW)
        low, high = (start.isoformat() if start else None), (end.isoformat() if end else None)
        keys = lambda after: index.entries_by_date.after(after, low, high)  # noqa: E731
    else:
        raise bad_request(NEED_ENTRY_FILTER)

    def keep(entry: TimeEntry) -> bool:
        if start is not None and entry.entered_on < start:
            return False
        if end is not None and entry.entered_on > end:
            return False
        if project is not None and entry.project_gid != project:
            return False
        return user is None or entry.user_gid == user

    return call.many("time_tracking_entry", keys, org.time_entries.get, keep)


def task_time_entries(call: Call) -> Reply:
    task = call.task(call.arg("task_gid"))
    keys = call.env.index.entries_by_task.get(task.gid, EMPTY)
    return call.many("time_tracking_entry", keys.after, call.org.time_entries.get)


def create_time_entry(call: Call) -> Reply:
    task = call.task(call.arg("task_gid"))
    data = call.data()
    minutes = data.get("duration_minutes")
    if not isinstance(minutes, int) or minutes <= 0:
        raise bad_request("duration_minutes: Must be a positive integer")
    entered = data.get("entered_on")
    entered_on = params.day("entered_on", entered) if isinstance(entered, str) else call.org.today
    extra = {k: data[k] for k in ("description", "billable_status") if k in data}
    with org_errors():
        gid = call.org.add_time_entry(task.gid, call.user_gid, entered_on, minutes, **extra)
    return call.one("time_tracking_entry", call.org.time_entries[gid], status=201)


def _parent_project(call: Call, name: str = "parent") -> str | None:
    """A ``parent`` that is a project (its gid) or a portfolio (None: nothing to list)."""
    parent = call.gid_param(name, required=True) or ""
    if parent in call.org.portfolios:
        return None
    if parent not in call.org.projects:
        raise not_found(name, parent)
    call.project(parent, name)
    return parent


def list_status_updates(call: Call) -> Reply:
    project = _parent_project(call)
    since_text = call.param("created_since")
    since = params.timestamp("created_since", since_text) if since_text else None
    keys = call.env.index.statuses_by_project.get(project, EMPTY) if project else EMPTY
    keep: Callable[[Any], bool] | None = (lambda s: s.created_at >= since) if since else None
    return call.many("status_update", keys.after, call.org.status_updates.get, keep)


def get_status_update(call: Call) -> Reply:
    gid = call.arg("status_update_gid")
    status = call.lookup("status_update", call.org.status_updates, gid)
    call.project(status.project_gid, "status_update")
    return call.one("status_update", status)


PROJECT_STATUS_TYPES = ("on_track", "at_risk", "off_track", "on_hold", "complete", "dropped")
"""The spec's status types for a project parent (goals have achieved/partial/missed)."""
STATUS_TYPES = (*PROJECT_STATUS_TYPES, "achieved", "partial", "missed")


def _status_parent(call: Call, data: dict[str, Any]) -> str:
    """The project a status update goes to: 404 for an unknown gid, 400 for an object that
    takes no status updates (a task), and for a portfolio or goal, which this sandbox does not
    keep status updates for."""
    parent = body.gid(data, "parent")
    if parent is None:
        raise bad_request("parent: Missing input")
    org = call.org
    if parent in org.projects:
        call.project(parent, "parent")
        return parent
    if parent in org.portfolios:
        raise bad_request(f"parent: {parent} is a portfolio; this sandbox keeps project statuses")
    if parent in org.tasks or parent in org.people or parent in org.sections:
        raise bad_request(f"parent: {parent} is not a project, portfolio or goal")
    raise not_found("parent", parent)


def create_status_update(call: Call) -> Reply:
    """``POST /status_updates``: posts a new update (they cannot be edited), which becomes the
    project's current status and is sent to the project's followers."""
    data = call.data()
    parent = _status_parent(call, data)
    status_type = body.text(data, "status_type", required=True) or ""
    if status_type not in STATUS_TYPES:
        raise bad_request(f"status_type: Not a valid status type: {status_type}")
    if status_type not in PROJECT_STATUS_TYPES:
        raise bad_request(f"status_type: {status_type} is not a status type of a project")
    text, _ = body.text_or_html(data, exclusive=False)
    title = body.text(data, "title") or ""
    with org_errors():
        gid = call.org.add_status_update(parent, status_type, title, text, call.user_gid)
    return call.one("status_update", call.org.status_updates[gid], status=201)


def delete_status_update(call: Call) -> Reply:
    gid = call.arg("status_update_gid")
    status = call.lookup("status_update", call.org.status_updates, gid)
    call.project(status.project_gid, "status_update")
    with org_errors():
        call.org.delete_status_update(gid, by=call.user_gid)
    return 200, {"data": {}}


def list_allocations(call: Call) -> Reply:
    index = call.env.index
    parent = call.gid_param("parent")
    assignee = call.gid_param("assignee", allow_me=True)
    workspace = call.gid_param("workspace")
    if workspace is not None:
        call.workspace(workspace)
    if parent is not None:
        call.project(parent, "parent")
        keys = index.allocations_by_project.get(parent, EMPTY)
    elif assignee is not None:
        call.lookup("assignee", call.org.people, assignee)
        keys = index.allocations_by_assignee.get(assignee, EMPTY)
    else:
        raise bad_request("Must specify parent, or assignee and workspace")
    keep = (lambda a: a.assignee_gid == assignee) if parent and assignee else None
    return call.many("allocation", keys.after, call.org.allocations.get, keep, full=True)


def list_budgets(call: Call) -> Reply:
    parent = call.gid_param("parent", required=True) or ""
    call.project(parent, "parent")
    budget = call.org.budget_of(parent)
    keys = gid_keys({budget.gid} if budget else set())
    return call.many("budget", keys, call.org.budgets.get, full=True, paginated=False)


def list_rates(call: Call) -> Reply:
    """No rates are modelled; the endpoint exists so plan checks and clients see a list."""
    return call.many("rate", SortedKeys().after, lambda gid: None)


ROUTES = (
    Route("GET", "/time_tracking_entries", list_time_entries, premium=True),
    Route("GET", "/tasks/{task_gid}/time_tracking_entries", task_time_entries, premium=True),
    Route("POST", "/tasks/{task_gid}/time_tracking_entries", create_time_entry, premium=True),
    Route("GET", "/status_updates", list_status_updates),
    Route("POST", "/status_updates", create_status_update),
    Route("GET", "/status_updates/{status_update_gid}", get_status_update),
    Route("DELETE", "/status_updates/{status_update_gid}", delete_status_update),
    Route("GET", "/allocations", list_allocations, premium=True),
    Route("GET", "/budgets", list_budgets, premium=True),
    Route("GET", "/rates", list_rates, premium=True),
)
