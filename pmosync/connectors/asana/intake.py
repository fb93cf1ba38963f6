"""Which listed tasks are project requests, their stage column and the project they became.

Decided here, where the intake projects and the projects in scope are known, and handed to the
mapping as tags on the raw record, so the mapping stays a function of the record:

- ``_request``: the task is a top-level task of a designated intake project (a subtask is the
  assessor's checklist item, never a request); with an ``intake:`` block every listed task is
  tagged, so one that stops being a request retires its Request;
- ``_request_section``: the name of the task's section in the intake project (its stage, unless
  the YAML names a stage field);
- ``_request_project_ref`` and ``_request_project``: the text of the "project" field as written,
  and the gid of the project in scope it names (its name in any case and spacing, or its gid),
  else None (a project outside the scope, deleted or misspelt is kept as text only).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pmosync.connectors.asana.raid import named_field, project_named, shown


def _shown(record: Mapping[str, Any], reference: str) -> str | None:
    """What the text or single-select field ``reference`` shows on the record, stripped."""
    return shown(named_field(record, reference))


@dataclass(slots=True)
class IntakeRules:
    """The ``intake:`` block as the connector applies it."""

    projects: frozenset[str]
    project_field: str | None
    unplaced: set[str] = field(default_factory=set)
    """Project names requests gave that no project in scope has (for one warning)."""

    def fingerprint(self) -> str:
        """What the tags depend on, kept with each project's state."""
        return "|".join([*sorted(self.projects), self.project_field or ""])

    def intake_membership(self, record: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The record's membership in an intake project, if it has one."""
        for membership in record.get("memberships") or []:
            project = membership.get("project") if isinstance(membership, Mapping) else None
            if isinstance(project, Mapping) and str(project.get("gid")) in self.projects:
                return membership
        return None

    def project_of(self, named: str, in_scope: Mapping[str, Mapping[str, Any]]) -> str | None:
        """The project in scope ``named`` names (gid, or name in any case and spacing)."""
        found = project_named(named, in_scope)
        if found is None:
            self.unplaced.add(named)
        return found

    def tag(
        self, records: Iterable[dict[str, Any]], in_scope: Mapping[str, Mapping[str, Any]]
    ) -> set[str]:
        """Tag each record ``_request`` (and a request its section and project); the gids of
        the requests."""
        found: set[str] = set()
        for record in records:
            membership = None if record.get("parent") else self.intake_membership(record)
            record["_request"] = membership is not None
            if membership is None:
                continue
            section = membership.get("section")
            name = section.get("name") if isinstance(section, Mapping) else None
            record["_request_section"] = name if isinstance(name, str) else None
            named = _shown(record, self.project_field) if self.project_field else None
            record["_request_project_ref"] = named
            record["_request_project"] = self.project_of(named, in_scope) if named else None
            if "gid" in record:
                found.add(str(record["gid"]))
        return found
