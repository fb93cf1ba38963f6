"""Tasks: listings by project, section or assignee; subtasks, dependencies; create/edit/delete."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from pmosync.sandbox.asana import custom_values, params
from pmosync.sandbox.asana.call import Call, Reply
from pmosync.sandbox.asana.errors import ApiError, bad_request
from pmosync.sandbox.asana.index import EMPTY, SortedKeys, positional
from pmosync.sandbox.asana.routing import Route
from pmosync.sandbox.org import Task

NEED_FILTER = (
    "Must specify exactly one of project, tag, section, user task list, or assignee + workspace"
)


def _task_filter(call: Call) -> Callable[[Task], bool] | None:
    """``completed_since`` (incomplete, or completed since) and ``modified_since``."""
    completed_text = call.param("completed_since")
    modified_text = call.param("modified_since")
    completed: datetime | None = None
    only_open = completed_text == "now"
    if completed_text and not only_open:
        completed = params.timestamp("completed_since", completed_text)
    modified = params.timestamp("modified_since", modified_text) if modified_text else None
    if not (only_open or completed or modified):
        return None

    def keep(task: Task) -> bool:
        if modified is not None and task.modified_at < modified:
            return False
        if only_open and task.completed:
            return False
        if completed is not None and task.completed:
            return task.completed_at is not None and task.completed_at >= completed
        return True

    return keep


def list_tasks(call: Call) -> Reply:
    index = call.env.index
    project = call.gid_param("project")
    section = call.gid_param("section")
    assignee = call.gid_param("assignee", allow_me=True)
    workspace = call.gid_param("workspace")
    if project is not None:
        call.project(project)
        keys = index.tasks_by_project.get(project, EMPTY)
    elif section is not None:
        found = call.lookup("section", call.org.sections, section)
        call.project(found.project_gid, "section")
        keys = index.tasks_by_section.get(section, EMPTY)
    elif assignee is not None and workspace is not None:
        call.workspace(workspace)
        call.lookup("assignee", call.org.people, assignee)
        keys = index.tasks_by_assignee.get(assignee, EMPTY)
    else:
        raise bad_request(NEED_FILTER)
    return call.many("task", keys.after, call.org.tasks.get, _task_filter(call))


def section_tasks(call: Call) -> Reply:
    section = call.lookup("section", call.org.sections, call.arg("section_gid"))
    call.project(section.project_gid, "section")
    keys = call.env.index.tasks_by_section.get(section.gid, EMPTY)
    return call.many("task", keys.after, call.org.tasks.get, _task_filter(call))


def get_task(call: Call) -> Reply:
    return call.one("task", call.task(call.arg("task_gid")))


def subtasks(call: Call) -> Reply:
    task = call.task(call.arg("task_gid"))
    return call.many("task", SortedKeys(task.subtask_gids).after, call.org.tasks.get)


def dependencies(call: Call) -> Reply:
    task = call.task(call.arg("task_gid"))
    return call.many("task", positional(task.dependencies).after, call.org.tasks.get)


@contextmanager
def org_errors() -> Iterator[None]:
    """Org mutations raise KeyError for unknown gids and ValueError for bad input."""
    try:
        yield
    except KeyError as error:
        raise ApiError(404, str(error.args[0])) from None
    except ValueError as error:
        raise bad_request(str(error)) from None


def _gid_field(data: dict[str, Any], name: str, call: Call) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("gid")
    value = params.gid(name, str(value), allow_me=True)
    return call.user_gid if value == "me" else value


def _day_field(data: dict[str, Any], name: str) -> Any:
    value = data.get(name)
    return params.day(name, value) if isinstance(value, str) else None


def create_task(call: Call) -> Reply:
    data = call.data()
    parent = _gid_field(data, "parent", call)
    project: str | None = None
    section: str | None = None
    memberships = data.get("memberships") or []
    if memberships:
        project = _gid_field(memberships[0], "project", call)
        section = _gid_field(memberships[0], "section", call)
    elif data.get("projects"):
        project = params.gid("projects", str(data["projects"][0]))
    if parent is not None:
        call.task(parent, "parent")
    elif project is not None:
        call.project(project)
    else:
        raise bad_request("projects: Missing input (this sandbox keeps every task in a project)")
    with org_errors():
        gid = call.org.create_task(
            project,
            str(data.get("name", "")),
            section_gid=section,
            assignee_gid=_gid_field(data, "assignee", call),
            due_on=_day_field(data, "due_on"),
            start_on=_day_field(data, "start_on"),
            milestone=data.get("resource_subtype") == "milestone",
            parent_gid=parent,
            notes=str(data.get("notes", "")),
            created_by_gid=call.user_gid,
        )
    return call.one("task", call.org.tasks[gid], status=201)


def _task_fields(call: Call, task: Task) -> set[str]:
    """The fields a task has: its project's field settings (a subtask's through its parent's
    project), or its own values when it belongs to no project."""
    project_gid = call.org.task_project(task)
    project = call.org.projects.get(project_gid) if project_gid else None
    return set(project.settings) if project is not None else set(task.custom)


def update_task(call: Call) -> Reply:
    task = call.task(call.arg("task_gid"))
    data = call.data()
    fields: dict[str, Any] = {}
    for name in ("name", "notes"):
        if name in data:
            fields[name] = str(data[name])
    for name in ("due_on", "start_on"):
        if name in data:
            fields[name] = _day_field(data, name)
    if "assignee" in data:
        fields["assignee_gid"] = _gid_field(data, "assignee", call)
    custom = custom_values.resolve(
        call.org, data.get("custom_fields"), _task_fields(call, task), f"task {task.gid}",
        call.user_gid,
    )  # fmt: skip
    with org_errors():
        if fields or custom:
            call.org.edit_task(task.gid, custom=custom, by=call.user_gid, **fields)
        if "completed" in data and bool(data["completed"]) != task.completed:
            call.org.complete_task(task.gid, bool(data["completed"]))
    return call.one("task", task)


def delete_task(call: Call) -> Reply:
    task = call.task(call.arg("task_gid"))
    with org_errors():
        call.org.delete_task(task.gid)
    return 200, {"data": {}}


ROUTES = (
    Route("GET", "/tasks", list_tasks),
    Route("POST", "/tasks", create_task),
    Route("GET", "/tasks/{task_gid}", get_task),
    Route("PUT", "/tasks/{task_gid}", update_task),
    Route("DELETE", "/tasks/{task_gid}", delete_task),
    Route("GET", "/tasks/{task_gid}/subtasks", subtasks),
    Route("GET", "/tasks/{task_gid}/dependencies", dependencies),
    Route("GET", "/sections/{section_gid}/tasks", section_tasks),
)
