"""Timesheet rows name their task by name: a task renamed upstream must relink them at once.

The Asana sandbox serves the organisation over loopback HTTP; a timesheet CSV in a folder
names tasks of one of its projects. After a first sync, a task is renamed in the sandbox and
an incremental sync runs; a ``--full`` sync into another store must then hold exactly the
same time entries, and both must link each row as worked out by hand: the rows naming the
old name to no task, the rows naming the new name to the renamed task.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from asana_env import SOURCE as ASANA
from asana_env import write_config
from sqlalchemy import select

from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.canonical.types import Task, TimeEntry
from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.org import generate_org
from pmosync.store import Store
from pmosync.sync.run import run_sync

FILES = "timesheets"
NEW_NAME = "Renamed by the test"


def files_connector(folder: Path) -> str:
    return (
        f"  {FILES}:\n"
        "    type: files\n"
        f"    path: {folder}\n"
        "    columns: {person: Email, date: Date, hours: Hours, project: Project, task: Task}\n"
    )


def entries(store: Store) -> dict[str, tuple[str, str | None, int]]:
    """Live time entries from the timesheet: row -> (project id, task id, minutes)."""
    table = ENTITY_TABLES[TimeEntry]
    query = select(table).where(table.c.source == FILES, table.c.deleted_at.is_(None))
    with store.engine.connect() as connection:
        return {
            r.source_id: (r.project_id, r.task_id, r.minutes) for r in connection.execute(query)
        }


def sync(tmp_path: Path, sandbox, folder: Path, *, full: bool = False) -> Store:
    tmp_path.mkdir(exist_ok=True)
    path, config = write_config(tmp_path, sandbox, extra=files_connector(folder))
    store = Store.open(config.store, base_dir=path.parent)
    run = run_sync(config, store, full=full)
    assert not [c for c in run.connectors if c.failed], run.connectors
    return store


def test_a_renamed_task_relinks_timesheet_rows_as_a_full_sync_would(tmp_path):
    org = generate_org(seed=11, size="XS")
    project = next(iter(org.projects.values()))
    named = [t for t in org.tasks.values() if t.project_gid == project.gid]
    unique = [t for t in named if sum(o.name == t.name for o in named) == 1]
    renamed, kept = unique[0], unique[1]
    person = next(iter(org.people.values())).email
    rows = [
        (renamed.name, 1),  # rows 2-4 name the task as it is called now
        (renamed.name, 2),
        (renamed.name, 3),
        (NEW_NAME, 4),  # rows 5-6 name it as it will be called
        (NEW_NAME, 5),
        (kept.name, 6),  # row 7 names a task nobody renames
    ]
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "W02.csv").write_text(
        "Email,Date,Hours,Project,Task\n"
        + "".join(
            f"{person},{date(2026, 1, 5 + i)},{hours},{project.name},{task}\n"
            for i, (task, hours) in enumerate(rows)
        ),
        encoding="utf-8",
    )
    with AsanaSandbox(org) as sandbox:
        with sync(tmp_path / "incremental", sandbox, folder) as store:
            before = entries(store)
        org.edit_task(renamed.gid, name=NEW_NAME)
        with sync(tmp_path / "incremental", sandbox, folder) as store:
            incremental = entries(store)
        with sync(tmp_path / "full", sandbox, folder, full=True) as store:
            full = entries(store)

    project_id = next(iter(before.values()))[0]
    renamed_id, kept_id = Task.ref(ASANA, renamed.gid), Task.ref(ASANA, kept.gid)
    assert before == {
        "W02.csv#!2": (project_id, renamed_id, 60),
        "W02.csv#!3": (project_id, renamed_id, 120),
        "W02.csv#!4": (project_id, renamed_id, 180),
        "W02.csv#!5": (project_id, None, 240),
        "W02.csv#!6": (project_id, None, 300),
        "W02.csv#!7": (project_id, kept_id, 360),
    }
    assert full == {
        "W02.csv#!2": (project_id, None, 60),
        "W02.csv#!3": (project_id, None, 120),
        "W02.csv#!4": (project_id, None, 180),
        "W02.csv#!5": (project_id, renamed_id, 240),
        "W02.csv#!6": (project_id, renamed_id, 300),
        "W02.csv#!7": (project_id, kept_id, 360),
    }
    assert incremental == full
