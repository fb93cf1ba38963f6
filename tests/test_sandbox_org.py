"""The synthetic organisation: deterministic, consistent, and mutated with a faithful journal."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from pmosync.sandbox.org import Org, OrgSize, generate_org, org_snapshot
from pmosync.sandbox.org.snapshot import COLLECTIONS

TODAY = date(2026, 3, 1)
MIDNIGHT = datetime.combine(TODAY, time(), UTC)


@pytest.fixture
def org() -> Org:
    return generate_org(seed=7, size="XS", today=TODAY)


def test_same_seed_same_snapshot_and_other_seed_differs():
    first = org_snapshot(generate_org(3, "XS", TODAY))
    assert first == org_snapshot(generate_org(3, "XS", TODAY))
    assert first != org_snapshot(generate_org(4, "XS", TODAY))


def test_snapshot_is_plain_json():
    import json

    snapshot = generate_org(1, "XS", TODAY).org_snapshot()
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert snapshot["today"] == "2026-03-01"
    assert snapshot["tasks"][0]["created_at"].endswith("Z")


@pytest.mark.parametrize(
    ("size", "projects", "tasks", "people", "entries"),
    [("XS", 3, 40, 6, 150), ("S", 10, 1500, 20, 3000)],
)
def test_named_sizes_have_roughly_the_asked_counts(size, projects, tasks, people, entries):
    org = generate_org(1, size, TODAY)
    top_level = [t for t in org.tasks.values() if t.parent_gid is None]
    assert len(org.projects) == projects
    assert len(top_level) == tasks
    assert len(org.tasks) <= tasks * 1.1
    assert len(org.people) == people
    assert len(org.time_entries) == entries


def test_custom_size_and_content_shapes():
    org = generate_org(2, OrgSize(projects=4, tasks=200, people=5, time_entries=50), TODAY)
    assert len(org.projects) == 4 and len(org.people) == 5 and len(org.time_entries) == 50
    assert org.workspace.is_premium
    names = {f.name: f for f in org.custom_fields.values()}
    assert set(names) == {"Budget", "Health", "Estimate (h)", "Priority", "% Complete"}
    assert names["Budget"].currency_code and names["Budget"].format == "currency"
    assert [o.name for o in names["Health"].options] == [
        "On track",
        "At risk",
        "Off track",
        "On hold",
    ]
    assert [o.name for o in names["Priority"].options] == ["Low", "Medium", "High", "Urgent"]
    emails = [p.email for p in org.people.values()]
    assert len(set(emails)) == len(emails)
    assert all(e.endswith("@contoso.example") for e in emails)
    for project in org.projects.values():
        assert 3 <= len(project.section_gids) <= 6
        assert project.start_on < project.due_on


def test_gids_are_unique_16_digit_strings(org):
    gids = [org.workspace.gid]
    for name in COLLECTIONS:
        gids.extend(getattr(org, name))
    for custom_field in org.custom_fields.values():
        gids.extend(o.gid for o in custom_field.options)
    for project in org.projects.values():
        gids.extend(project.settings.values())
    assert len(gids) == len(set(gids))
    assert all(len(g) == 16 and g.isdigit() for g in gids)


def test_referential_integrity():
    org = generate_org(5, "S", TODAY)
    for task in org.tasks.values():
        assert task.created_at <= task.modified_at < MIDNIGHT
        assert task.assignee_gid is None or task.assignee_gid in org.people
        if task.parent_gid is None:
            assert org.sections[task.section_gid].project_gid == task.project_gid
            for dep in task.dependencies:
                assert org.tasks[dep].project_gid == task.project_gid
                assert dep < task.gid
        else:
            assert task.project_gid is None and task.section_gid is None
            assert task.gid in org.tasks[task.parent_gid].subtask_gids
        if task.completed:
            assert task.completed_at is not None and task.completed_at < MIDNIGHT
    year_ago = TODAY - timedelta(days=365)
    for entry in org.time_entries.values():
        task = org.tasks[entry.task_gid]
        assert entry.project_gid == task.project_gid
        assert entry.user_gid in org.people
        assert year_ago < entry.entered_on <= TODAY
        assert 15 <= entry.duration_minutes <= 480
    for project in org.projects.values():
        statuses = [s for s in org.status_updates.values() if s.project_gid == project.gid]
        assert len(statuses) <= 6
        if statuses:
            latest = max(statuses, key=lambda s: s.created_at)
            assert project.current_status_gid == latest.gid
        assert sum(b.project_gid == project.gid for b in org.budgets.values()) <= 1
    for portfolio in org.portfolios.values():
        assert set(portfolio.project_gids) <= set(org.projects)


def test_milestones_subtasks_and_dependencies_exist():
    org = generate_org(5, "S", TODAY)
    tasks = list(org.tasks.values())
    milestones = sum(t.resource_subtype == "milestone" for t in tasks)
    assert 0.02 * len(tasks) < milestones < 0.09 * len(tasks)
    assert any(t.parent_gid for t in tasks)
    assert any(t.dependencies for t in tasks)


def _last(org: Org):
    return org.changes[-1]


def test_create_task_and_subtask(org):
    project = next(iter(org.projects.values()))
    section = project.section_gids[-1]
    gid = org.create_task(project.gid, "Write charter", section_gid=section, due_on=TODAY)
    task = org.tasks[gid]
    assert (task.project_gid, task.section_gid, task.due_on) == (project.gid, section, TODAY)
    change = _last(org)
    assert (change.resource_type, change.gid, change.action) == ("task", gid, "added")
    assert change.projects == (project.gid,) and change.parent_gid == project.gid

    sub = org.create_task(None, "Part one", parent_gid=gid)
    assert org.tasks[sub].parent_gid == gid and org.tasks[sub].project_gid is None
    assert org.tasks[gid].subtask_gids == [sub]
    assert org.tasks[gid].modified_at == org.tasks[sub].created_at
    assert [(c.gid, c.action) for c in org.changes[-2:]] == [(sub, "added"), (gid, "changed")]
    assert org.changes[-1].field == "subtasks"


def test_edit_complete_move(org):
    task = next(t for t in org.tasks.values() if t.project_gid and not t.completed)
    project = org.projects[task.project_gid]
    before = task.modified_at
    org.edit_task(
        task.gid, name="Renamed", due_on=TODAY, custom={"Estimate (h)": 8, "Priority": "High"}
    )
    assert task.name == "Renamed" and task.due_on == TODAY
    assert task.custom[org.field_named("Estimate (h)").gid] == 8
    priority = org.field_named("Priority")
    assert priority.option(task.custom[priority.gid]).name == "High"
    assert task.modified_at > before
    assert [c.field for c in org.changes[-4:]] == [
        "name",
        "due_on",
        "custom_fields",
        "custom_fields",
    ]

    org.complete_task(task.gid)
    assert task.completed and task.completed_at == task.modified_at
    assert _last(org).field == "completed"
    org.complete_task(task.gid, completed=False)
    assert not task.completed and task.completed_at is None

    target = next(s for s in project.section_gids if s != task.section_gid)
    org.move_task(task.gid, target)
    assert task.section_gid == target
    assert (_last(org).action, _last(org).parent_gid) == ("added", target)
    with pytest.raises(ValueError):
        org.move_task(task.gid, "1")
    with pytest.raises(ValueError):
        org.edit_task(task.gid, colour="red")


def test_delete_task_removes_it_everywhere(org):
    parent = next(t for t in org.tasks.values() if t.project_gid)
    sub = org.create_task(None, "Child", parent_gid=parent.gid)
    entry = org.add_time_entry(parent.gid, min(org.people), TODAY, 30)
    dependent = org.create_task(parent.project_gid, "After")
    org.tasks[dependent].dependencies.append(parent.gid)
    org.delete_task(parent.gid)
    assert parent.gid not in org.tasks and sub not in org.tasks and entry not in org.time_entries
    assert org.tasks[dependent].dependencies == []
    deleted = {c.gid for c in org.changes if c.action == "deleted"}
    assert {parent.gid, sub, entry} <= deleted
    with pytest.raises(KeyError):
        org.delete_task(parent.gid)


def test_delete_subtask_changes_parent(org):
    parent = next(t for t in org.tasks.values() if t.project_gid)
    sub = org.create_task(None, "Child", parent_gid=parent.gid)
    org.delete_task(sub)
    assert parent.subtask_gids == []
    assert [(c.gid, c.action) for c in org.changes[-2:]] == [
        (parent.gid, "changed"),
        (sub, "deleted"),
    ]


def test_time_entries_and_status_updates(org):
    task = next(t for t in org.tasks.values() if t.project_gid)
    user = min(org.people)
    gid = org.add_time_entry(task.gid, user, TODAY, 90, description="Workshop")
    entry = org.time_entries[gid]
    assert (entry.project_gid, entry.duration_minutes, entry.description) == (
        task.project_gid,
        90,
        "Workshop",
    )
    org.edit_time_entry(gid, duration_minutes=120)
    assert entry.duration_minutes == 120 and _last(org).action == "changed"
    org.delete_time_entry(gid)
    assert gid not in org.time_entries and _last(org).action == "deleted"

    project = org.projects[task.project_gid]
    status = org.add_status_update(project.gid, "at_risk", "Late", "Vendor slipped", user)
    assert project.current_status_gid == status
    assert org.status_updates[status].status_type == "at_risk"
    section = org.add_section(project.gid, "Hypercare")
    assert project.section_gids[-1] == section and org.sections[section].name == "Hypercare"


def test_modified_at_strictly_increases_and_journal_is_ordered(org):
    tasks = [t for t in org.tasks.values() if t.project_gid][:10]
    stamps = []
    for task in tasks:
        org.edit_task(task.gid, notes="x")
        stamps.append(task.modified_at)
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert all(s.microsecond % 1000 == 0 and s.tzinfo is not None for s in stamps)
    assert [c.seq for c in org.changes] == list(range(1, len(org.changes) + 1))
    ats = [c.at for c in org.changes]
    assert ats == sorted(ats)


def test_mutate_fraction_is_deterministic():
    first, second = generate_org(1, "XS", TODAY), generate_org(1, "XS", TODAY)
    touched = first.mutate_fraction(0.2, seed=9)
    assert touched == second.mutate_fraction(0.2, seed=9)
    assert len(touched) >= 8
    assert first.changes and len(first.changes) == len(second.changes)
    fields = ("gid", "name", "section_gid", "completed", "due_on")
    one, two = org_snapshot(first)["tasks"], org_snapshot(second)["tasks"]
    assert [[t[f] for f in fields] for t in one] == [[t[f] for f in fields] for t in two]
    assert any(c.action == "deleted" for c in first.changes)
    assert any(c.action == "added" for c in first.changes)
