"""Which listed tasks are RAID items, and which delivery project each concerns.

Decided here, where the projects in scope are known, and handed to the mapping as tags on the
raw record (``_raid``, ``_raid_project``), so the mapping stays a function of the record:

- a task is a RAID item when it is a member of a designated RAID project, or its RAID type
  field (by name or gid) has a value; a subtask never is (it is the item's action, or work);
- its project is the one its "Project" field names (the project's name, any case and spacing,
  or its gid), else the first other project it is multi-homed in that is in scope, else none
  (portfolio-wide; counted in one warning when the field named a project not in scope).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


def normal(name: str) -> str:
    """A name as names are compared: any case, any spacing."""
    return " ".join(name.split()).casefold()


def is_field(custom: Any, reference: str) -> bool:
    """Whether the custom field object is the one ``reference`` names: its gid, or its name
    (any case and spacing)."""
    if not isinstance(custom, Mapping):
        return False
    wanted = reference.strip()
    if wanted.isdigit() and str(custom.get("gid")) == wanted:
        return True
    name = custom.get("name")
    return isinstance(name, str) and normal(name) == normal(wanted)


def named_field(record: Mapping[str, Any], reference: str) -> Mapping[str, Any] | None:
    """The custom field ``reference`` names on the record, if any."""
    fields = record.get("custom_fields")
    if not isinstance(fields, list):
        return None
    return next((custom for custom in fields if is_field(custom, reference)), None)


def shown(custom: Mapping[str, Any] | None) -> str | None:
    """What a text or single-select field shows, stripped; None when empty."""
    if custom is None:
        return None
    option = custom.get("enum_value")
    for value in (
        option.get("name") if isinstance(option, Mapping) else None,
        custom.get("text_value"),
        custom.get("display_value"),
    ):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def project_named(named: str, in_scope: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The project in scope (gid -> project) that ``named`` names: its gid, or its name in any
    case and spacing when exactly one project has it; None otherwise."""
    if named in in_scope:
        return named
    matches = [gid for gid, project in in_scope.items()
               if normal(str(project.get("name") or "")) == normal(named)]  # fmt: skip
    return matches[0] if len(matches) == 1 else None


def _members(record: Mapping[str, Any]) -> list[str]:
    gids = []
    for membership in record.get("memberships") or []:
        project = membership.get("project") if isinstance(membership, Mapping) else None
        if isinstance(project, Mapping) and project.get("gid"):
            gids.append(str(project["gid"]))
    return gids


@dataclass(slots=True)
class RaidRules:
    """The ``raid:`` block as the connector applies it."""

    projects: frozenset[str]
    type_field: str
    project_field: str | None
    unplaced: set[str] = field(default_factory=set)
    """Project names RAID items gave that no project in scope has (for one warning)."""

    def is_raid(self, record: Mapping[str, Any]) -> bool:
        if record.get("parent"):
            return False
        if self.projects.intersection(_members(record)):
            return True
        return shown(named_field(record, self.type_field)) is not None

    def project_of(
        self, record: Mapping[str, Any], in_scope: Mapping[str, Mapping[str, Any]]
    ) -> str | None:
        """The delivery project (a gid in scope) the RAID item concerns, or None."""
        named = shown(named_field(record, self.project_field)) if self.project_field else None
        if named is not None:
            found = project_named(named, in_scope)
            if found is None:
                self.unplaced.add(named)
            return found
        homes = [gid for gid in _members(record) if gid in in_scope]
        return homes[0] if homes else None

    def tag(
        self, records: Iterable[dict[str, Any]], in_scope: Mapping[str, Mapping[str, Any]]
    ) -> set[str]:
        """Tag each record ``_raid`` (and a RAID item ``_raid_project``); the RAID gids."""
        found: set[str] = set()
        for record in records:
            raid = self.is_raid(record)
            record["_raid"] = raid
            if raid:
                record["_raid_project"] = self.project_of(record, in_scope)
                if "gid" in record:
                    found.add(str(record["gid"]))
        return found
