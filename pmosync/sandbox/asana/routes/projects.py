"""Portfolios, projects, sections and custom fields."""

from __future__ import annotations

from typing import Any

from pmosync.sandbox.asana import body, custom_values, params
from pmosync.sandbox.asana.call import Call, Reply
from pmosync.sandbox.asana.errors import bad_request
from pmosync.sandbox.asana.index import positional
from pmosync.sandbox.asana.resources import Setting
from pmosync.sandbox.asana.routes.directory import gid_keys
from pmosync.sandbox.asana.routes.tasks import org_errors
from pmosync.sandbox.asana.routing import Route


def list_portfolios(call: Call) -> Reply:
    call.workspace(call.gid_param("workspace", required=True) or "")
    owner = call.gid_param("owner", allow_me=True)
    keep = (lambda p: p.owner_gid == owner) if owner else None
    portfolios = call.org.portfolios
    return call.many("portfolio", gid_keys(set(portfolios)), portfolios.get, keep)


def get_portfolio(call: Call) -> Reply:
    gid = call.arg("portfolio_gid")
    return call.one("portfolio", call.lookup("portfolio", call.org.portfolios, gid))


def portfolio_items(call: Call) -> Reply:
    gid = call.arg("portfolio_gid")
    portfolio = call.lookup("portfolio", call.org.portfolios, gid)
    nested = call.env.nested_portfolios.get(gid)
    if not nested:
        return call.many("project", positional(portfolio.project_gids).after, call.org.projects.get)
    org = call.org
    return call.many(
        lambda item: "portfolio" if item.gid in org.portfolios else "project",
        positional([*portfolio.project_gids, *nested]).after,
        lambda item: org.projects.get(item) or org.portfolios.get(item),
    )


def _project_listing(call: Call, team: str | None) -> Reply:
    archived_text = call.param("archived")
    archived = params.boolean("archived", archived_text) if archived_text is not None else None

    def keep(project: Any) -> bool:
        if team is not None and project.team_gid != team:
            return False
        return archived is None or project.archived == archived

    projects = call.org.projects
    return call.many("project", gid_keys(set(projects)), projects.get, keep)


def list_projects(call: Call) -> Reply:
    workspace = call.gid_param("workspace")
    team = call.gid_param("team")
    if workspace is not None:
        call.workspace(workspace)
    if team is not None:
        call.lookup("team", call.org.teams, team)
    return _project_listing(call, team)


def workspace_projects(call: Call) -> Reply:
    call.workspace(call.arg("workspace_gid"))
    return _project_listing(call, None)


def team_projects(call: Call) -> Reply:
    team = call.arg("team_gid")
    call.lookup("team", call.org.teams, team)
    return _project_listing(call, team)


def get_project(call: Call) -> Reply:
    return call.one("project", call.project(call.arg("project_gid")))


def _project_fields(call: Call, data: dict[str, Any]) -> dict[str, Any]:
    """The plain fields of a project PUT, as the org names them; absent fields stay as they
    are (Asana: "Only the fields provided in the data block will be updated")."""
    fields: dict[str, Any] = {}
    name = body.text(data, "name")
    if name is not None:
        if not name.strip():
            raise bad_request("name: Cannot be empty")
        fields["name"] = name
    if "html_notes" in data:
        fields["notes"] = body.rich_text("html_notes", body.text(data, "html_notes") or "")
    elif "notes" in data:
        fields["notes"] = body.text(data, "notes") or ""
    if "owner" in data:
        fields["owner_gid"] = body.gid(data, "owner", me=call.user_gid)
        if fields["owner_gid"] is not None:
            call.lookup("owner", call.org.people, fields["owner_gid"])
    for name, key in (("start_on", "start_on"), ("due_on", "due_on"), ("due_date", "due_on")):
        if name in data:
            fields[key] = body.day(data, name)
    if "archived" in data:
        fields["archived"] = bool(body.boolean(data, "archived"))
    color = body.text(data, "color")
    if color is not None:
        fields["color"] = color
    return fields


def update_project(call: Call) -> Reply:
    """``PUT /projects/{gid}``: plain fields and custom values, all checked before any is
    written; ``{"data": {}}`` changes nothing and answers the project (a write probe)."""
    project = call.project(call.arg("project_gid"))
    data = call.data()
    fields = _project_fields(call, data)
    custom = custom_values.resolve(
        call.org,
        data.get("custom_fields"),
        project.custom,
        f"project {project.gid} ({project.name})",
        call.user_gid,
    )
    if fields or custom:
        with org_errors():
            call.org.edit_project(project.gid, custom=custom, by=call.user_gid, **fields)
    return call.one("project", project)


def project_sections(call: Call) -> Reply:
    project = call.project(call.arg("project_gid"))
    return call.many("section", positional(project.section_gids).after, call.org.sections.get)


def get_section(call: Call) -> Reply:
    section = call.lookup("section", call.org.sections, call.arg("section_gid"))
    call.project(section.project_gid, "section")
    return call.one("section", section)


def custom_field_settings(call: Call) -> Reply:
    project = call.project(call.arg("project_gid"))
    defs = call.org.custom_fields
    settings = {gid: Setting(gid, project, defs[f]) for f, gid in project.settings.items()}
    return call.many("custom_field_setting", positional(settings).after, settings.get, full=True)


def get_custom_field(call: Call) -> Reply:
    gid = call.arg("custom_field_gid")
    return call.one("custom_field", call.lookup("custom_field", call.org.custom_fields, gid))


ROUTES = (
    Route("GET", "/portfolios", list_portfolios, premium=True),
    Route("GET", "/portfolios/{portfolio_gid}", get_portfolio, premium=True),
    Route("GET", "/portfolios/{portfolio_gid}/items", portfolio_items, premium=True),
    Route("GET", "/projects", list_projects),
    Route("GET", "/workspaces/{workspace_gid}/projects", workspace_projects),
    Route("GET", "/teams/{team_gid}/projects", team_projects),
    Route("GET", "/projects/{project_gid}", get_project),
    Route("PUT", "/projects/{project_gid}", update_project),
    Route("GET", "/projects/{project_gid}/sections", project_sections),
    Route("GET", "/projects/{project_gid}/custom_field_settings", custom_field_settings),
    Route("GET", "/sections/{section_gid}", get_section),
    Route("GET", "/custom_fields/{custom_field_gid}", get_custom_field),
)
