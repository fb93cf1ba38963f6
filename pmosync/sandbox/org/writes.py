"""The organisation's run-time write surfaces that write-back meets at Asana: fields added
after generation (a team's own RAG field), locked and formula fields, project edits (by the
API or by a human), comments on tasks, follower lists and status update deletion.

Nothing here runs at generation time: every gid is drawn when a test or the API asks, so
generated organisations stay identical whatever this module offers. Each function takes the
org's lock and journals what it touched, as the mutations in ``organisation`` do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pmosync.sandbox.org.model import CustomField, EnumOption, Story

if TYPE_CHECKING:
    from pmosync.sandbox.org.organisation import Org

PROJECT_FIELDS = ("name", "notes", "owner_gid", "start_on", "due_on", "archived", "color")
FIELD_TYPES = ("number", "enum", "text", "date", "people")
_COLORS = ("green", "yellow", "red", "blue", "cool-gray", "orange", "purple", "aqua")


def _project(org: Org, gid: str) -> Any:
    project = org.projects.get(gid)
    if project is None:
        raise KeyError(f"project: Unknown object: {gid}")
    return project


def _person(org: Org, gid: str, kind: str = "user") -> None:
    if gid not in org.people:
        raise KeyError(f"{kind}: Unknown object: {gid}")


def _field(org: Org, gid: str) -> CustomField:
    found = org.custom_fields.get(gid)
    if found is None:
        raise KeyError(f"custom_field: Unknown object: {gid}")
    return found


def follow_project(org: Org, project_gid: str, user_gid: str) -> None:
    """Make a person follow a project: they are notified of its status updates."""
    with org.lock:
        _project(org, project_gid)
        _person(org, user_gid)
        followers = org.project_followers.setdefault(project_gid, [])
        if user_gid not in followers:
            followers.append(user_gid)


def add_custom_field(
    org: Org,
    name: str,
    field_type: str,
    *,
    options: Iterable[str | tuple[str, str]] = (),
    projects: Iterable[str] = (),
    task_projects: Iterable[str] = (),
    formula: bool = False,
    description: str = "",
) -> str:
    """A new workspace field: its values on each of ``projects`` (blank), and enabled on the
    tasks of each of ``task_projects`` (a custom field setting); returns its gid. Options are
    names or (name, color) pairs; ``formula`` makes its values computed, so nobody sets them."""
    with org.lock:
        if field_type not in FIELD_TYPES:
            raise ValueError(f"field type must be one of {FIELD_TYPES}, not {field_type!r}")
        if any(f.name == name for f in org.custom_fields.values()):
            raise ValueError(f"a custom field named {name!r} exists")
        for gid in (*projects, *task_projects):
            _project(org, gid)
        gid = org.new_gid()
        made: list[EnumOption] = []
        for i, option in enumerate(options):
            label, color = option if isinstance(option, tuple) else (option, _COLORS[i % 8])
            made.append(EnumOption(org.new_gid(), label, color))
        if field_type == "enum" and not made:
            raise ValueError(f"enum field {name!r} needs options")
        org.custom_fields[gid] = CustomField(gid, name, field_type, description, options=made)
        if formula:
            org.formula_fields.add(gid)
        at = org._now()
        for project_gid in projects:
            project = org.projects[project_gid]
            project.custom[gid] = None
            project.modified_at = at
            org._record(
                at, "project", project_gid, "changed", (project_gid,), field="custom_fields",
                name=project.name,
            )  # fmt: skip
        for project_gid in task_projects:
            project = org.projects[project_gid]
            project.settings[gid] = org.new_gid()
            project.modified_at = at
            org._record(
                at, "project", project_gid, "changed", (project_gid,),
                field="custom_field_settings", name=project.name,
            )  # fmt: skip
        return gid


def lock_custom_field(org: Org, field_gid: str, owner_gid: str | None) -> None:
    """Lock a field to ``owner_gid`` (only they may set its values), or unlock it (None)."""
    with org.lock:
        _field(org, field_gid)
        if owner_gid is None:
            org.locked_fields.pop(field_gid, None)
            return
        _person(org, owner_gid)
        org.locked_fields[field_gid] = owner_gid


def disable_option(org: Org, field_gid: str, option: str, enabled: bool = False) -> None:
    """Disable (or enable again) an enum option, named or by gid."""
    with org.lock:
        found = _field(org, field_gid)
        chosen = found.option(option) or next((o for o in found.options if o.name == option), None)
        if chosen is None:
            raise KeyError(f"enum_option: Unknown object: {option}")
        chosen.enabled = enabled


def edit_project(
    org: Org,
    gid: str,
    *,
    custom: Mapping[str, Any] | None = None,
    by: str | None = None,
    **fields: Any,
) -> None:
    """Change a project's plain fields (PROJECT_FIELDS) and custom values (a field name or gid
    -> a number, text, an enum option name or gid, or None), as ``by`` (the API's caller, or a
    human editing in the app). Only what differs is journalled; ``modified_at`` moves when
    anything is sent, as Asana stamps any accepted edit."""
    with org.lock:
        project = _project(org, gid)
        unknown = set(fields) - set(PROJECT_FIELDS)
        if unknown:
            raise ValueError(f"cannot edit project fields {sorted(unknown)}")
        if fields.get("owner_gid") not in (None, *org.people):
            raise KeyError(f"owner: Unknown object: {fields['owner_gid']}")
        resolved = [org._custom_key(n, v) for n, v in (custom or {}).items()]
        for field_gid, _ in resolved:
            if field_gid not in project.custom:
                raise ValueError(f"custom field {field_gid} is not on project {gid}")
        if not fields and not resolved:
            return
        at = org._now()
        for key, value in fields.items():
            if getattr(project, key) != value:
                setattr(project, key, value)
                org._record(
                    at, "project", gid, "changed", (gid,), field=key.removesuffix("_gid"),
                    name=project.name, user=by,
                )  # fmt: skip
        for field_gid, value in resolved:
            if project.custom.get(field_gid) != value:
                project.custom[field_gid] = value
                org._record(
                    at, "project", gid, "changed", (gid,), field="custom_fields",
                    name=project.name, user=by,
                )  # fmt: skip
        project.modified_at = at


def add_story(
    org: Org,
    task_gid: str,
    text: str,
    author_gid: str,
    *,
    html_text: str | None = None,
    is_pinned: bool = False,
) -> str:
    """Comment on a task as ``author_gid``; the task's ``modified_at`` moves, as in Asana."""
    with org.lock:
        task = org._task(task_gid)
        _person(org, author_gid, "created_by")
        at = org._now()
        gid = org.new_gid()
        org.stories[gid] = Story(gid, task_gid, text, author_gid, at, html_text, is_pinned)
        task.modified_at = at
        project_gid = org.task_project(task)
        org._record(
            at, "story", gid, "added", (project_gid,), parent=(task_gid, "task"), name=text[:60],
            user=author_gid,
        )  # fmt: skip
        return gid


def delete_status_update(org: Org, gid: str, by: str | None = None) -> None:
    """Delete a status update; its project's current one becomes the newest left (or none)."""
    with org.lock:
        status = org.status_updates.pop(gid, None)
        if status is None:
            raise KeyError(f"status_update: Unknown object: {gid}")
        project = org.projects[status.project_gid]
        at = org._now()
        org._record(
            at, "status_update", gid, "deleted", (project.gid,), parent=(project.gid, "project"),
            name=status.title, user=by,
        )  # fmt: skip
        if project.current_status_gid == gid:
            left = [s for s in org.status_updates.values() if s.project_gid == project.gid]
            newest = max(left, key=lambda s: (s.created_at, s.gid), default=None)
            project.current_status_gid = newest.gid if newest else None
            project.modified_at = at
            org._record(
                at, "project", project.gid, "changed", (project.gid,),
                field="current_status_update", name=project.name, user=by,
            )  # fmt: skip
