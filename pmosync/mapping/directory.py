"""What a workbook row may refer to: the projects, tasks and people already synced.

Timesheets and cost sheets name a project by its name (or its id in the tool) and a person by
email; they carry no ids of their own. The sync layer builds a :class:`Directory` from the store
before it maps a workbook, so the mapping itself stays a pure function of (row, directory) and a
row naming a project nobody synced is quarantined with that reason instead of becoming an orphan.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pmosync.mapping.result import MappingError


def name_key(text: str) -> str:
    """How names are compared: case-insensitive, inner whitespace collapsed."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True, slots=True)
class ProjectEntry:
    id: str
    """Canonical project id."""
    name: str
    source: str
    source_id: str


@dataclass(slots=True)
class Directory:
    """Synced projects (by name and by source id), their tasks by name, and known emails."""

    projects: dict[str, list[ProjectEntry]] = field(default_factory=dict)
    """``name_key(name)`` and ``source_id`` -> the projects answering to it."""
    tasks: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    """(canonical project id, ``name_key(task name)``) -> canonical task ids."""
    emails: frozenset[str] = frozenset()
    """Lower-case emails of every known person identity and alias; empty: accept anyone."""

    @classmethod
    def build(
        cls,
        projects: Iterable[ProjectEntry],
        tasks: Iterable[tuple[str, str, str]] = (),
        emails: Iterable[str] = (),
    ) -> Directory:
        """From project entries, (task id, project id, task name) triples and emails."""
        directory = cls(emails=frozenset(e.strip().lower() for e in emails if e))
        for entry in projects:
            for key in {name_key(entry.name), entry.source_id}:
                directory.projects.setdefault(key, []).append(entry)
        for task_id, project_id, name in tasks:
            directory.tasks.setdefault((project_id, name_key(name)), []).append(task_id)
        return directory

    def project(self, text: str) -> str:
        """The canonical id of the one project ``text`` names; MappingError otherwise."""
        found = self.projects.get(text.strip()) or self.projects.get(name_key(text))
        if not found:
            raise MappingError(f"project {text.strip()!r} matches no synced project")
        distinct = {entry.id: entry for entry in found}
        if len(distinct) > 1:
            where = ", ".join(sorted(f"{e.source} {e.source_id}" for e in distinct.values()))
            raise MappingError(
                f"project {text.strip()!r} is ambiguous: it names {len(distinct)} projects "
                f"({where}); write the project's id instead"
            )
        return next(iter(distinct))

    def task(self, project_id: str, text: str) -> str | None:
        """The canonical id of the one task of the project with this name, else None."""
        found = self.tasks.get((project_id, name_key(text)), [])
        return found[0] if len(found) == 1 else None

    def knows(self, email: str) -> bool:
        """Whether a person with this email is known (always, when no emails were given)."""
        return not self.emails or email.strip().lower() in self.emails
