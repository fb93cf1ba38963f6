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
    # the RAID log and the intake project are two projects more, and their items (and a few
    # RAID-typed tasks in delivery projects) and requests tasks more, on top of the work asked
    apart = set(org.raid) | set(org.intake)
    work = [t for t in org.tasks.values() if t.parent_gid is None and t.gid not in apart]
    assert len(org.projects) == projects + 2 and org.raid_log_gid in org.projects
    assert org.intake_gid in org.projects
    assert len(work) == tasks
    assert len(org.tasks) <= tasks * 1.1 + len(apart)
    assert len(org.people) == people
    assert len(org.time_entries) == entries


def test_custom_size_and_content_shapes():
    org = generate_org(2, OrgSize(projects=4, tasks=200, people=5, time_entries=50), TODAY)
    assert len(org.projects) == 4 + 2 and len(org.people) == 5 and len(org.time_entries) == 50
    assert org.workspace.is_premium
    names = {f.name: f for f in org.custom_fields.values()}
    raid = {"RAID type", "Project", "Probability", "Impact", "RAID status", "Mitigation"}
    intake = {"Sponsor", "Estimated cost", "Expected benefit", "Strategic alignment", "Risk",
              "Regulatory", "Consultant effort (d)", "Analyst effort (d)", "Target start",
              "Target end", "Converted to"}  # fmt: skip
    assert set(names) == {"Budget", "Health", "Estimate (h)", "Priority", "% Complete",
                          "Raised on", *raid, *intake}  # fmt: skip
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
        if project.gid not in (org.raid_log_gid, org.intake_gid):  # kept, not planned: no dates
            assert project.start_on < project.due_on


def test_gids_are_unique_16_digit_strings(org):
    gids = [org.workspace.gid]
    for name in COLLECTIONS:
        if name not in ("raid", "intake"):  # keyed by the gids of tasks, counted already
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
        assert entry.project_gid == org.task_project(task)  # a subtask's is its parent's
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


def test_a_budget_is_the_plan_priced_at_rates_plus_contingency():
    """One small generated project, worked by hand from its tasks and people:

    rates: Jonas Haddad 95, Liam Yilmaz 70 (EUR/h)
    tasks: 16 h (Liam) + 4 h (Liam) + 4 h (Jonas)
    planned cost = 16 x 70 + 4 x 70 + 4 x 95 = 1,120 + 280 + 380 = 1,780
    budget = 1,780 x 1.10 = 1,958, approved to the 100: 2,000 (the Budget field and the
    native budget say the same 2,000; the native budget's estimate is the 1,780)
    actual = Liam's 120 + 120 + 150 = 390 min x 70/60 = 455, Jonas's 180 min x 95/60 = 285:
    740."""
    size = OrgSize(projects=1, tasks=3, people=2, time_entries=4, teams=1, portfolios=1)
    org = generate_org(4, size, TODAY)
    rates = {person.name: org.rates[gid] for gid, person in org.people.items()}
    assert rates == {"Jonas Haddad": 95.0, "Liam Yilmaz": 70.0}
    [project] = [p for g, p in org.projects.items() if g not in (org.raid_log_gid, org.intake_gid)]
    assert project.custom[org.field_named("Budget").gid] == 2000.0
    [budget] = org.budgets.values()
    assert (budget.total, budget.estimate, budget.actual) == (2000.0, 1780.0, 740.0)


def _org_by_hand() -> Org:
    """A project with three work tasks (8 h at 95, 16 h at 70, 4 h unassigned), a milestone
    and a parent task (40 h) whose one subtask (2 h at 130) is the work."""
    from pmosync.sandbox.org import CustomField, Person, Project, Task, Workspace
    from pmosync.sandbox.org.clock import GidFactory

    org = Org(Workspace("1", "Hand", "hand.example"), TODAY, GidFactory(1))
    estimate = CustomField("10", "Estimate (h)", "number")
    org.custom_fields[estimate.gid] = estimate
    for gid, rate in (("p95", 95.0), ("p70", 70.0), ("p130", 130.0)):
        org.people[gid] = Person(gid, gid, f"{gid}@hand.example")
        org.rates[gid] = rate
    org.projects["pr"] = Project("pr", "Hand", "t", "p95", MIDNIGHT, MIDNIGHT, None, None, "red")

    def task(gid, hours, assignee, project="pr", parent=None, kind="default_task"):
        made = Task(gid, gid, project, None, parent, assignee, "p95", MIDNIGHT, MIDNIGHT)
        made.resource_subtype = kind
        if hours is not None:
            made.custom[estimate.gid] = hours
        org.tasks[gid] = made
        return made

    task("a", 8.0, "p95")
    task("b", 16.0, "p70")
    task("c", 4.0, None)
    task("m", None, "p95", kind="milestone")
    task("parent", 40.0, "p70").subtask_gids.append("sub")
    task("sub", 2.0, "p130", project=None, parent="parent")
    return org


def test_planned_cost_prices_work_tasks_only_and_unassigned_work_at_the_default_rate():
    from pmosync.sandbox.org import costing

    org = _org_by_hand()
    work = costing.work_of(org, "pr")
    assert sorted(t.gid for t in work) == ["a", "b", "c", "sub"]
    # 8 x 95 + 16 x 70 + 4 x 85 (nobody: the default rate) + 2 x 130
    # = 760 + 1,120 + 340 + 260 = 2,480; the parent's 40 h and the milestone are not work
    assert costing.planned_cost(org, work) == 2480.0
    # 2,480 x 1.10 = 2,728 -> 2,700
    assert costing.budget_total(2480.0) == 2700.0


def test_a_native_budget_actual_follows_the_time_logged_on_its_project():
    from pmosync.sandbox.org import Budget

    org = _org_by_hand()
    org.budgets["b1"] = Budget("b1", "pr", "cost", "EUR", 2700.0, 2480.0, 0.0)
    first = org.add_time_entry("a", "p95", TODAY, 90)  # 1.5 h x 95 = 142.50
    org.add_time_entry("b", "p70", TODAY, 30)  # 0.5 h x 70 = 35
    assert org.budgets["b1"].actual == 177.5
    org.edit_time_entry(first, duration_minutes=60)  # 142.50 -> 95: 130
    assert org.budgets["b1"].actual == 130.0
    org.delete_task("b")  # its 35 goes with it: 95
    assert org.budgets["b1"].actual == 95.0
    org.delete_time_entry(first)
    assert org.budgets["b1"].actual == 0.0


def test_budgets_are_said_once_and_actuals_are_the_logged_time_at_rates():
    """Every project's Budget field equals its native budget where it has one; a native
    budget's actual is its project's logged minutes at each person's rate; every work task
    is estimated; the spend profiles give projects both over and under their plan."""
    org = generate_org(5, "S", TODAY)
    budget_field = org.field_named("Budget").gid
    estimate = org.field_named("Estimate (h)").gid
    for budget in org.budgets.values():
        assert org.projects[budget.project_gid].custom[budget_field] == budget.total
        logged = sum(
            entry.duration_minutes * org.rates[entry.user_gid]
            for entry in org.time_entries.values()
            if entry.project_gid == budget.project_gid
        )
        assert budget.actual == pytest.approx(logged / 60, abs=0.01)
        assert budget.total == round(budget.estimate * 1.1 / 100) * 100
    for task in org.tasks.values():
        if (
            task.resource_subtype != "milestone"
            and not task.subtask_gids
            and task.gid not in org.raid
            and task.gid not in org.intake
        ):
            assert task.custom.get(estimate, 0) > 0, task.gid
    assert len(org.budgets) >= 5
