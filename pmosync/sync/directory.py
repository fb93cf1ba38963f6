"""The directory a workbook's rows are resolved against, read from the store.

Workbook connectors run after the tool connectors of the same sync (see ``run.py``) so the
projects, tasks and people they name are already here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select

from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.canonical.types import PersonIdentity, Project, Task
from pmosync.mapping.directory import Directory, ProjectEntry
from pmosync.store import Store


def load_directory(
    store: Store, *, exclude_source: str, aliases: Mapping[str, Sequence[str]] = {}
) -> Directory:
    """Live projects and tasks of every other source, and every email known to be a person."""
    projects, tasks, identities = (
        ENTITY_TABLES[Project],
        ENTITY_TABLES[Task],
        ENTITY_TABLES[PersonIdentity],
    )
    with store.engine.connect() as connection:
        project_rows = connection.execute(
            select(projects.c.id, projects.c.name, projects.c.source, projects.c.source_id).where(
                projects.c.deleted_at.is_(None), projects.c.source != exclude_source
            )
        ).all()
        task_rows = connection.execute(
            select(tasks.c.id, tasks.c.project_id, tasks.c.name).where(
                tasks.c.deleted_at.is_(None), tasks.c.source != exclude_source
            )
        ).all()
        emails = connection.scalars(
            select(identities.c.email).where(
                identities.c.deleted_at.is_(None),
                identities.c.email.is_not(None),
                identities.c.source != exclude_source,
            )
        ).all()
    alias_emails = [email for person, others in aliases.items() for email in (person, *others)]
    return Directory.build(
        (ProjectEntry(*row) for row in project_rows),
        ((row.id, row.project_id, row.name) for row in task_rows),
        [*emails, *alias_emails],
    )
