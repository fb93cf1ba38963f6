"""Rendering org records as Asana resources: compact, full, or exactly the ``opt_fields``.

Each kind lists its compact fields (the spec's ``XCompact``), its full fields (``XResponse``,
minus the properties Asana leaves out unless asked) and one getter per field it knows. A getter
returns a plain value, a :class:`Ref` to another record (rendered compact, or through the
requested sub-fields), a list, an inline dict, or :data:`ABSENT` when the key does not apply
(a number value on an enum field). Rendering touches only the requested fields, which keeps a
page of 100 tasks with twenty fields in the low milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any, NamedTuple

from pmosync.sandbox.asana.fields import FieldTree
from pmosync.sandbox.asana.params import format_day, format_timestamp
from pmosync.sandbox.org import CustomField, Org, Project, Task

if TYPE_CHECKING:
    from pmosync.sandbox.asana.index import OrgIndex

ABSENT = object()
APP = "https://app.asana.com/0"


class Ref(NamedTuple):
    """A reference to another resource, rendered by that resource's kind."""

    kind: str
    obj: Any


class FieldValue(NamedTuple):
    """A custom field as it appears on a project or task: the definition plus a value."""

    field: CustomField
    value: Any
    mystery: bool = False


class Setting(NamedTuple):
    """A custom field enabled on a project (``custom_field_setting``)."""

    gid: str
    project: Project
    field: CustomField


Getter = Callable[[Any, "Renderer"], Any]


@dataclass(frozen=True, slots=True)
class Kind:
    resource_type: str
    compact: tuple[str, ...]
    full: tuple[str, ...]
    getters: dict[str, Getter]


class Renderer:
    """Renders records of one org; knows the sandbox's corruption switches."""

    def __init__(self, org: Org, index: OrgIndex, mystery_tasks: set[str]) -> None:
        self.org = org
        self.index = index
        self.mystery_tasks = mystery_tasks
        self.viewer: str | None = None
        """The user the current request acts as (set under the org lock before rendering):
        whether a locked field's value is read only depends on who asks."""

    def ref(self, kind: str, gid: str | None, table: dict[str, Any]) -> Ref | None:
        obj = table.get(gid) if gid else None
        return Ref(kind, obj) if obj is not None else None

    def render(
        self, kind: str, obj: Any, tree: FieldTree | None = None, *, full: bool = False
    ) -> dict[str, Any]:
        """One resource; ``tree`` None or empty means the default (compact, or full) form."""
        spec = KINDS[kind]
        if not tree:
            tree = _FULL_TREES[kind] if full else _COMPACT_TREES[kind]
        getters = spec.getters
        out: dict[str, Any] = {"gid": getters["gid"](obj, self)}
        for name, sub in tree.items():
            getter = getters.get(name)
            if getter is None or name == "gid":
                continue
            value = getter(obj, self)
            if value is ABSENT:
                continue
            out[name] = self.value(value, sub)
        if kind == "custom_field_value" and obj.mystery:
            _mystify(out)
        return out

    def value(self, value: Any, tree: FieldTree) -> Any:
        """Project a getter's result through ``tree`` (exact type checks: this is the hot path)."""
        cls = type(value)
        if cls is Ref:
            return self.render(value.kind, value.obj, tree)
        if cls is list:
            return [self.value(item, tree) for item in value]
        if cls is dict:
            if not tree:
                return {k: self.value(v, {}) for k, v in value.items()}
            return {k: self.value(value[k], sub) for k, sub in tree.items() if k in value}
        return value


def _mystify(out: dict[str, Any]) -> None:
    """A custom field of a type the client has never seen, with value keys to match."""
    for key in (
        "number_value", "enum_value", "multi_enum_values", "text_value", "date_value",
        "people_value",
    ):  # fmt: skip
        out.pop(key, None)
    for key in ("type", "resource_subtype", "representation_type"):
        if key in out:
            out[key] = "mystery"
    out["mystery_value"] = {"glyphs": ["◆", "◇"], "weight": 0.5}


def _const(value: Any) -> Getter:
    return lambda obj, r: value


def _attr(name: str) -> Getter:
    return lambda obj, r: getattr(obj, name)


def _ts(name: str) -> Getter:
    return lambda obj, r: format_timestamp(getattr(obj, name))


def _day(name: str) -> Getter:
    return lambda obj, r: format_day(getattr(obj, name))


def _user(name: str) -> Getter:
    return lambda obj, r: r.ref("user", getattr(obj, name), r.org.people)


def _project(name: str) -> Getter:
    return lambda obj, r: r.ref("project", getattr(obj, name), r.org.projects)


def _workspace(obj: Any, r: Renderer) -> Ref:
    return Ref("workspace", r.org.workspace)


def _named(resource_type: str, **extra: Getter) -> dict[str, Getter]:
    return {
        "gid": _attr("gid"),
        "resource_type": _const(resource_type),
        "name": _attr("name"),
    } | extra


def _kind(resource_type: str, compact: str, full: str, getters: dict[str, Getter]) -> Kind:
    compact_fields = tuple(compact.split())
    return Kind(resource_type, compact_fields, compact_fields + tuple(full.split()), getters)


# -- custom fields -------------------------------------------------------------------------


def _option(option: Any) -> dict[str, Any]:
    return {
        "gid": option.gid,
        "resource_type": "enum_option",
        "name": option.name,
        "enabled": option.enabled,
        "color": option.color,
    }


def _definition(getter: Callable[[CustomField], Any]) -> Getter:
    """A getter on a definition that also works on a FieldValue (through its field)."""
    return lambda obj, r: getter(obj.field if isinstance(obj, FieldValue) else obj)


def _typed(field_type: str, getter: Callable[[FieldValue], Any]) -> Getter:
    return lambda obj, r: getter(obj) if obj.field.type == field_type else ABSENT


def _people(obj: FieldValue, r: Renderer) -> list[Ref] | object:
    """A people field's users (members or guests), compact unless sub-fields are asked."""
    if obj.field.type != "people":
        return ABSENT
    return [Ref("user", person) for gid in obj.value or () if (person := r.org.user(gid))]


def _display(obj: FieldValue, r: Renderer) -> str | None:
    field, value = obj.field, obj.value
    if field.type == "people":
        value = [person for gid in value or () if (person := r.org.user(gid))]
    if value is None:
        return None
    if field.type == "enum":
        option = field.option(value)
        return option.name if option else None
    if field.type == "text":
        return value
    if field.type == "date":
        return value.get("date")
    if field.type == "people":
        return ", ".join(person.name for person in value) or None
    if field.format == "percentage":
        return f"{value * 100:.{field.precision}f}%"
    return f"{value:.{field.precision}f}"


def _field_of(obj: Any) -> CustomField:
    return obj.field if isinstance(obj, FieldValue) else obj


def _read_only(field: CustomField, r: Renderer) -> bool:
    """A formula field, or one locked by someone other than the viewer."""
    owner = r.org.locked_fields.get(field.gid)
    return field.gid in r.org.formula_fields or (owner is not None and owner != r.viewer)


_DEFINITION_GETTERS: dict[str, Getter] = {
    "gid": _definition(lambda f: f.gid),
    "resource_type": _const("custom_field"),
    "name": _definition(lambda f: f.name),
    "type": _definition(lambda f: f.type),
    "resource_subtype": _definition(lambda f: f.type),
    "representation_type": _definition(lambda f: f.type),
    "enum_options": _definition(lambda f: [_option(o) for o in f.options] if f.options else ABSENT),
    "enabled": _const(True),
    "id_prefix": _const(None),
    "input_restrictions": _const([]),
    "is_formula_field": lambda obj, r: _field_of(obj).gid in r.org.formula_fields,
    "description": _definition(lambda f: f.description),
    "precision": _definition(lambda f: f.precision if f.type == "number" else ABSENT),
    "format": _definition(lambda f: f.format),
    "currency_code": _definition(lambda f: f.currency_code),
    "custom_label": _const(None),
    "custom_label_position": _const(None),
    "is_global_to_workspace": _const(True),
    "has_notifications_enabled": _const(False),
    "asana_created_field": _const(None),
    "is_value_read_only": lambda obj, r: _read_only(_field_of(obj), r),
    "privacy_setting": _const("public"),
    "default_access_level": _const("editor"),
}
_FIELD_COMPACT = (
    "resource_type name type resource_subtype enum_options enabled representation_type "
    "id_prefix input_restrictions is_formula_field"
)
_FIELD_FULL = (
    "description precision format currency_code custom_label custom_label_position "
    "is_global_to_workspace has_notifications_enabled asana_created_field is_value_read_only "
    "privacy_setting default_access_level"
)
_VALUE_GETTERS: dict[str, Getter] = _DEFINITION_GETTERS | {
    "number_value": _typed("number", lambda v: v.value),
    "enum_value": _typed(
        "enum", lambda v: _option(o) if (o := v.field.option(v.value)) is not None else None
    ),
    "multi_enum_values": _typed("multi_enum", lambda v: []),
    "text_value": _typed("text", lambda v: v.value),
    "date_value": _typed("date", lambda v: v.value),
    "people_value": _people,
    "display_value": _display,
}


def _values(fields: list[str], values: dict[str, Any], r: Renderer, mystery: bool) -> list[Ref]:
    defs = r.org.custom_fields
    return [
        Ref("custom_field_value", FieldValue(defs[g], values.get(g), mystery and i == 0))
        for i, g in enumerate(fields)
    ]


# -- tasks -----------------------------------------------------------------------------------


def _task_fields(task: Task, r: Renderer) -> list[Ref]:
    project_gid = r.org.task_project(task)
    project = r.org.projects.get(project_gid) if project_gid else None
    fields = list(project.settings) if project else list(task.custom)
    return _values(fields, task.custom, r, task.gid in r.mystery_tasks)


def _memberships(task: Task, r: Renderer) -> list[dict[str, Any]]:
    if task.project_gid is None:
        return []
    return [
        {
            "project": r.ref("project", task.project_gid, r.org.projects),
            "section": r.ref("section", task.section_gid, r.org.sections),
        }
    ]


def _dependents(task: Task, r: Renderer) -> list[Ref]:
    if task.project_gid is None:
        return []
    tasks = r.org.tasks
    return [
        Ref("task", tasks[g])
        for g in r.index.task_gids_in_project(task.project_gid)
        if task.gid in tasks[g].dependencies
    ]


def _permalink(task: Task, r: Renderer) -> str:
    return f"{APP}/{r.org.task_project(task) or 0}/{task.gid}"


_TASK = _kind(
    "task",
    "resource_type name resource_subtype created_by",
    "assignee assignee_status completed completed_at completed_by created_at custom_fields "
    "due_at due_on followers hearted hearts is_rendered_as_separator liked likes memberships "
    "modified_at notes num_hearts num_likes parent permalink_url projects start_at start_on tags "
    "workspace",
    _named(
        "task",
        resource_subtype=_attr("resource_subtype"),
        created_by=lambda t, r: {"gid": t.created_by_gid, "resource_type": "user"},
        assignee=_user("assignee_gid"),
        assignee_status=_const("upcoming"),
        completed=_attr("completed"),
        completed_at=_ts("completed_at"),
        completed_by=lambda t, r: (
            r.ref("user", t.assignee_gid, r.org.people) if t.completed else None
        ),
        created_at=_ts("created_at"),
        modified_at=_ts("modified_at"),
        custom_fields=_task_fields,
        due_at=_const(None),
        due_on=_day("due_on"),
        start_at=_const(None),
        start_on=_day("start_on"),
        followers=lambda t, r: (
            [Ref("user", r.org.people[t.assignee_gid])] if t.assignee_gid else []
        ),
        hearted=_const(False),
        hearts=_const([]),
        liked=_const(False),
        likes=_const([]),
        num_hearts=_const(0),
        num_likes=_const(0),
        is_rendered_as_separator=_const(False),
        memberships=_memberships,
        notes=_attr("notes"),
        html_notes=lambda t, r: f"<body>{escape(t.notes)}</body>",
        num_subtasks=lambda t, r: len(t.subtask_gids),
        parent=lambda t, r: r.ref("task", t.parent_gid, r.org.tasks),
        projects=lambda t, r: (
            [Ref("project", r.org.projects[t.project_gid])] if t.project_gid else []
        ),
        dependencies=lambda t, r: [Ref("task", r.org.tasks[g]) for g in t.dependencies],
        dependents=_dependents,
        actual_time_minutes=lambda t, r: float(r.index.minutes_on_task(t.gid)),
        tags=_const([]),
        workspace=_workspace,
        permalink_url=_permalink,
    ),
)

# -- projects, portfolios, sections ------------------------------------------------------------


def _project_fields(project: Project, r: Renderer) -> list[Ref]:
    return _values(list(project.custom), project.custom, r, False)


def _settings(project: Project, r: Renderer) -> list[Ref]:
    defs = r.org.custom_fields
    return [
        Ref("custom_field_setting", Setting(gid, project, defs[f]))
        for f, gid in project.settings.items()
    ]


_PROJECT = _kind(
    "project",
    "resource_type name",
    "archived color icon created_at current_status_update custom_field_settings default_view "
    "due_date due_on html_notes members modified_at notes privacy_setting start_on "
    "default_access_level minimum_access_level_for_customization minimum_access_level_for_sharing "
    "custom_fields completed completed_at completed_by followers owner team permalink_url "
    "workspace",
    _named(
        "project",
        archived=_attr("archived"),
        color=_attr("color"),
        icon=_const("list"),
        created_at=_ts("created_at"),
        modified_at=_ts("modified_at"),
        current_status_update=lambda p, r: r.ref(
            "status_update", p.current_status_gid, r.org.status_updates
        ),
        custom_field_settings=_settings,
        default_view=_const("list"),
        due_date=_day("due_on"),
        due_on=_day("due_on"),
        start_on=_day("start_on"),
        notes=_attr("notes"),
        html_notes=lambda p, r: f"<body>{escape(p.notes)}</body>",
        members=lambda p, r: [Ref("user", r.org.people[g]) for g in r.org.followers_of(p.gid)],
        followers=lambda p, r: [Ref("user", r.org.people[g]) for g in r.org.followers_of(p.gid)],
        privacy_setting=_const("public_to_workspace"),
        public=_const(True),
        default_access_level=_const("editor"),
        minimum_access_level_for_customization=_const("admin"),
        minimum_access_level_for_sharing=_const("editor"),
        custom_fields=_project_fields,
        completed=_attr("completed"),
        completed_at=_ts("completed_at"),
        completed_by=lambda p, r: r.ref("user", p.owner_gid, r.org.people) if p.completed else None,
        owner=_user("owner_gid"),
        team=lambda p, r: r.ref("team", p.team_gid, r.org.teams),
        permalink_url=lambda p, r: f"{APP}/{p.gid}/list",
        workspace=_workspace,
    ),
)

_PORTFOLIO = _kind(
    "portfolio",
    "resource_type name",
    "archived color created_at created_by current_status_update custom_field_settings "
    "custom_fields due_on default_access_level members owner permalink_url privacy_setting "
    "public start_on workspace",
    _named(
        "portfolio",
        archived=_attr("archived"),
        color=_attr("color"),
        created_at=_ts("created_at"),
        created_by=_user("owner_gid"),
        owner=_user("owner_gid"),
        members=lambda p, r: [Ref("user", r.org.people[p.owner_gid])],
        current_status_update=_const(None),
        custom_field_settings=_const([]),
        custom_fields=_const([]),
        start_on=_const(None),
        due_on=_const(None),
        default_access_level=_const("viewer"),
        privacy_setting=_const("members_only"),
        public=_const(False),
        permalink_url=lambda p, r: f"{APP}/portfolio/{p.gid}/list",
        workspace=_workspace,
    ),
)

_SECTION = _kind(
    "section",
    "resource_type name",
    "created_at project projects",
    _named(
        "section",
        created_at=_ts("created_at"),
        project=_project("project_gid"),
        projects=lambda s, r: [Ref("project", r.org.projects[s.project_gid])],
    ),
)

# -- people, workspace, teams -------------------------------------------------------------------

_USER = _kind(
    "user",
    "resource_type name",
    "email photo workspaces",
    _named(
        "user",
        email=_attr("email"),
        photo=_const(None),
        workspaces=lambda u, r: [Ref("workspace", r.org.workspace)],
    ),
)
_WORKSPACE = _kind(
    "workspace",
    "resource_type name",
    "email_domains is_organization",
    _named(
        "workspace",
        email_domains=lambda w, r: [w.email_domain],
        is_organization=_const(True),
    ),
)
_TEAM = _kind(
    "team",
    "resource_type name",
    "description html_description organization permalink_url visibility",
    _named(
        "team",
        description=_attr("description"),
        html_description=lambda t, r: f"<body>{escape(t.description)}</body>",
        organization=_workspace,
        permalink_url=lambda t, r: f"{APP}/team/{t.gid}",
        visibility=_const("public"),
    ),
)

# -- custom field kinds ----------------------------------------------------------------------

_CUSTOM_FIELD = _kind("custom_field", _FIELD_COMPACT, _FIELD_FULL, _DEFINITION_GETTERS)
_CUSTOM_FIELD_VALUE = _kind(
    "custom_field",
    _FIELD_COMPACT
    + " date_value enum_value multi_enum_values number_value text_value people_value"
    + " display_value",
    "precision format currency_code",
    _VALUE_GETTERS,
)
_SETTING = _kind(
    "custom_field_setting",
    "resource_type project is_important parent custom_field",
    "",
    {
        "gid": _attr("gid"),
        "resource_type": _const("custom_field_setting"),
        "project": lambda s, r: Ref("project", s.project),
        "parent": lambda s, r: Ref("project", s.project),
        "is_important": _const(True),
        "custom_field": lambda s, r: Ref("custom_field_full", s.field),
    },
)
_CUSTOM_FIELD_FULL = Kind(
    "custom_field", _CUSTOM_FIELD.full, _CUSTOM_FIELD.full, _DEFINITION_GETTERS
)

# -- time, status, allocations, budgets --------------------------------------------------------

_ENTRY = _kind(
    "time_tracking_entry",
    "resource_type duration_minutes entered_on attributable_to created_by categories",
    "task created_at approval_status billable_status description",
    {
        "gid": _attr("gid"),
        "resource_type": _const("time_tracking_entry"),
        "duration_minutes": _attr("duration_minutes"),
        "entered_on": _day("entered_on"),
        "attributable_to": _project("project_gid"),
        "created_by": _user("user_gid"),
        "categories": _const([]),
        "task": lambda e, r: r.ref("task", e.task_gid, r.org.tasks),
        "created_at": _ts("created_at"),
        "approval_status": _attr("approval_status"),
        "billable_status": _attr("billable_status"),
        "description": _attr("description"),
    },
)
_STATUS = _kind(
    "status_update",
    "resource_type title resource_subtype",
    "text html_text status_type author created_at created_by hearted hearts liked likes "
    "reaction_summary modified_at num_hearts num_likes parent",
    {
        "gid": _attr("gid"),
        "resource_type": _const("status_update"),
        "title": _attr("title"),
        "resource_subtype": _const("project_status_update"),
        "text": _attr("text"),
        "html_text": lambda s, r: f"<body>{escape(s.text)}</body>",
        "status_type": _attr("status_type"),
        "author": _user("author_gid"),
        "created_by": _user("author_gid"),
        "created_at": _ts("created_at"),
        "modified_at": _ts("modified_at"),
        "hearted": _const(False),
        "hearts": _const([]),
        "liked": _const(False),
        "likes": _const([]),
        "reaction_summary": _const([]),
        "num_hearts": _const(0),
        "num_likes": _const(0),
        "parent": _project("project_gid"),
    },
)
_STORY = _kind(
    "story",
    "resource_type created_at created_by resource_subtype text",
    "html_text is_pinned type is_editable is_edited hearted hearts liked likes num_hearts "
    "num_likes reaction_summary previews source target",
    {
        "gid": _attr("gid"),
        "resource_type": _const("story"),
        "created_at": _ts("created_at"),
        "created_by": _user("author_gid"),
        "resource_subtype": _const("comment_added"),
        "text": _attr("text"),
        "html_text": lambda s, r: s.html_text or f"<body>{escape(s.text)}</body>",
        "is_pinned": _attr("is_pinned"),
        "type": _const("comment"),
        "is_editable": _const(True),
        "is_edited": _const(False),
        "hearted": _const(False),
        "hearts": _const([]),
        "liked": _const(False),
        "likes": _const([]),
        "num_hearts": _const(0),
        "num_likes": _const(0),
        "reaction_summary": _const([]),
        "previews": _const([]),
        "source": _const("api"),
        "target": lambda s, r: r.ref("task", s.task_gid, r.org.tasks),
    },
)
_ALLOCATION = _kind(
    "allocation",
    "resource_type start_date end_date effort assignee created_by parent resource_subtype",
    "",
    {
        "gid": _attr("gid"),
        "resource_type": _const("allocation"),
        "start_date": _day("start_date"),
        "end_date": _day("end_date"),
        "effort": lambda a, r: {"type": a.effort_type, "value": a.effort_value},
        "assignee": _user("assignee_gid"),
        "created_by": _user("created_by_gid"),
        "parent": _project("project_gid"),
        "resource_subtype": _const("project_allocation"),
    },
)
_BUDGET = _kind(
    "budget",
    "resource_type budget_type estimate actual total parent",
    "",
    {
        "gid": _attr("gid"),
        "resource_type": _const("budget"),
        "budget_type": _attr("budget_type"),
        "estimate": lambda b, r: {
            "billable_status_filter": "any",
            "source": "tasks",
            "enabled": True,
            "units": b.currency,
            "value": b.estimate,
        },
        "actual": lambda b, r: {
            "billable_status_filter": "any",
            "value": b.actual,
            "units": b.currency,
        },
        "total": lambda b, r: {"enabled": True, "value": b.total, "units": b.currency},
        "parent": _project("project_gid"),
    },
)

KINDS: dict[str, Kind] = {
    "task": _TASK,
    "project": _PROJECT,
    "portfolio": _PORTFOLIO,
    "section": _SECTION,
    "user": _USER,
    "workspace": _WORKSPACE,
    "team": _TEAM,
    "custom_field": _CUSTOM_FIELD,
    "custom_field_full": _CUSTOM_FIELD_FULL,
    "custom_field_value": _CUSTOM_FIELD_VALUE,
    "custom_field_setting": _SETTING,
    "time_tracking_entry": _ENTRY,
    "status_update": _STATUS,
    "story": _STORY,
    "allocation": _ALLOCATION,
    "budget": _BUDGET,
}
_COMPACT_TREES: dict[str, FieldTree] = {k: dict.fromkeys(v.compact, {}) for k, v in KINDS.items()}
_FULL_TREES: dict[str, FieldTree] = {k: dict.fromkeys(v.full, {}) for k, v in KINDS.items()}
