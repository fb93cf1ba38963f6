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


def sync(tmp_path: Path, sandbox, folder: Path, *, full: bool = False):
    """A sync into the store under ``tmp_path``: (the store, the timesheet rows' counts)."""
    tmp_path.mkdir(exist_ok=True)
    path, config = write_config(tmp_path, sandbox, extra=files_connector(folder))
    store = Store.open(config.store, base_dir=path.parent)
    run = run_sync(config, store, full=full)
    assert not [c for c in run.connectors if c.failed], run.connectors
    [files] = [c for c in run.connectors if c.name == FILES]
    counts = files.streams[0].counts
    return store, (counts.inserted, counts.updated, counts.unchanged)


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
    # another timesheet names only the task nobody renames: it is not read again
    (folder / "W03.csv").write_text(
        "Email,Date,Hours,Project,Task\n"
        + "".join(f"{person},2026-01-1{i},1,{project.name},{kept.name}\n" for i in range(3)),
        encoding="utf-8",
    )
    (folder / "W02.csv").write_text(
        "Email,Date,Hours,Project,Task\n"
        + "".join(
            f"{person},{date(2026, 1, 5 + i)},{hours},{project.name},{task}\n"
            for i, (task, hours) in enumerate(rows)
        ),
        encoding="utf-8",
    )
    elsewhere = next(t for t in org.tasks.values() if t.project_gid not in (None, project.gid))
    with AsanaSandbox(org) as sandbox:
        store, _ = sync(tmp_path / "incremental", sandbox, folder)
        with store:
            before = entries(store)
        org.edit_task(renamed.gid, name=NEW_NAME)
        store, counts = sync(tmp_path / "incremental", sandbox, folder)
        with store:
            incremental = entries(store)
        # only W02.csv is read again: rows 2-6 relink, row 7 and its person stay as they were
        assert counts == (0, 5, 2)
        store, _ = sync(tmp_path / "full", sandbox, folder, full=True)
        with store:
            full = entries(store)
        # a task of another project renamed: no timesheet names it, none is read again
        org.edit_task(elsewhere.gid, name="Renamed elsewhere")
        store, counts = sync(tmp_path / "incremental", sandbox, folder)
        store.close()
        assert counts == (0, 0, 0)

    project_id = before["W02.csv#!2"][0]
    renamed_id, kept_id = Task.ref(ASANA, renamed.gid), Task.ref(ASANA, kept.gid)
    assert {key: value for key, value in before.items() if key.startswith("W02")} == {
        "W02.csv#!2": (project_id, renamed_id, 60),
        "W02.csv#!3": (project_id, renamed_id, 120),
        "W02.csv#!4": (project_id, renamed_id, 180),
        "W02.csv#!5": (project_id, None, 240),
        "W02.csv#!6": (project_id, None, 300),
        "W02.csv#!7": (project_id, kept_id, 360),
    }
    assert {key: value for key, value in full.items() if key.startswith("W02")} == {
        "W02.csv#!2": (project_id, None, 60),
        "W02.csv#!3": (project_id, None, 120),
        "W02.csv#!4": (project_id, None, 180),
        "W02.csv#!5": (project_id, renamed_id, 240),
        "W02.csv#!6": (project_id, renamed_id, 300),
        "W02.csv#!7": (project_id, kept_id, 360),
    }
    assert incremental == full
    w03 = {key: value for key, value in full.items() if key.startswith("W03")}
    assert w03 == {f"W03.csv#!{row}": (project_id, kept_id, 60) for row in (2, 3, 4)}
