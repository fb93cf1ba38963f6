"""Baselines: what the first sync records, what `baseline set` replaces and refuses, what a diff
shows after a re-plan, which baseline a back-dated report reads, and the commands.

Ground truth for the sync tests is the Asana sandbox's own organisation (its dataclasses):
a work task is a task with no subtasks that is not a milestone, a milestone is kept as one,
the finish is the project's due date, the budget the budget API's total. Everything else is
built by hand, with the expected figures worked out in comments.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from asana_env import SOURCE, write_config
from cli import assert_one_clean_line, run_pmosync
from sqlalchemy import event, func, select, update

from pmosync.canonical.types import Budget, Project, Task
from pmosync.config.reports import Filters
from pmosync.reports.dataset import load_dataset
from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.org import generate_org
from pmosync.store import Store
from pmosync.store.baselines import (
    BaselineError,
    activate_baseline,
    capture_first,
    diff_plans,
    find_projects,
    get_baseline,
    list_baselines,
    set_baseline,
)
from pmosync.store.schema import baseline_tasks, baselines
from pmosync.sync.run import run_sync

ESTIMATES = '    fields:\n      estimate_hours: "Estimate (h)"\n'


# -- the first sync --------------------------------------------------------------------------


def _expected_plan(org, project_gid):
    """The plan the sandbox holds for one project: {task gid: (kind, start, due, estimate)},
    the finish, the budget."""
    estimate = org.field_named("Estimate (h)").gid
    tasks = {}
    for task in org.tasks.values():
        if org.task_project(task) != project_gid:
            continue
        if task.resource_subtype == "milestone":
            kind = "milestone"
        elif task.subtask_gids:
            continue  # a parent: a summary of its subtasks, not stored
        else:
            kind = "work"
        tasks[task.gid] = (kind, task.start_on, task.due_on, task.custom.get(estimate))
    project = org.projects[project_gid]
    cost = [b.total for b in org.budgets.values()
            if b.project_gid == project_gid and b.budget_type == "cost"]  # fmt: skip
    budget = Decimal(str(sum(cost))) if cost else None
    # a project without dates of its own (the organisation's "RAID log" project, an ordinary
    # project without a raid: block) is planned from its tasks: the earliest start (or due
    # date) to the latest due date
    start = project.start_on or min(
        (s or d for _, s, d, _ in tasks.values() if (s or d) is not None), default=None
    )
    finish = project.due_on or max((d for _, _, d, _ in tasks.values() if d), default=None)
    return tasks, start, finish, budget


def _sync(tmp_path, sandbox, store_url):
    path, config = write_config(tmp_path, sandbox, extra=ESTIMATES, store=store_url)
    store = Store.open(config.store, base_dir=path.parent)
    run = run_sync(config, store)
    assert not run.failed, run.connectors
    return store


@pytest.fixture
def org():
    return generate_org(seed=11, size="XS")


def test_the_first_sync_records_each_projects_plan_and_later_syncs_keep_it(
    tmp_path, store_url, org
):
    # the organisation has a milestone and a task with a subtask (a parent), whatever its seed
    first = next(iter(org.projects))
    org.create_task(first, "Go-live", milestone=True, due_on=org.projects[first].due_on)
    parent = org.create_task(first, "Summary", due_on=org.projects[first].due_on)
    org.create_task(None, "Detail", parent_gid=parent, due_on=org.projects[first].due_on)
    with AsanaSandbox(org) as sandbox:
        before = datetime.now(UTC)
        store = _sync(tmp_path, sandbox, store_url)
        after = datetime.now(UTC)
        with store:
            recorded = {b.project_id: b for b in list_baselines(store)}
            assert set(recorded) == {Project.ref(SOURCE, gid) for gid in org.projects}
            for gid in org.projects:
                project_id = Project.ref(SOURCE, gid)
                baseline = get_baseline(store, project_id)
                tasks, start, finish, budget = _expected_plan(org, gid)
                assert (baseline.name, baseline.set_by, baseline.active) == (
                    "Baseline", "first_sync", True,
                )  # fmt: skip
                assert before <= baseline.set_at <= after
                assert {
                    t.task_id: (t.kind, t.start_date, t.due_date, t.estimate_hours)
                    for t in baseline.plan.tasks
                } == {Task.ref(SOURCE, g): values for g, values in tasks.items()}
                assert (baseline.plan.start_date, baseline.plan.finish_date) == (start, finish)
                assert baseline.plan.budget_amount == budget
                assert baseline.plan.budget_currency == ("EUR" if budget is not None else None)
            kept = {t.name for t in get_baseline(store, Project.ref(SOURCE, first)).plan.tasks}
            assert {"Go-live", "Detail"} <= kept and "Summary" not in kept

            # a re-plan upstream: the next sync does not move the baseline
            project_gid = next(iter(org.projects))
            task = next(
                t for t in org.tasks.values()
                if org.task_project(t) == project_gid and not t.subtask_gids
                and t.resource_subtype != "milestone" and t.due_on
            )  # fmt: skip
            old_due = task.due_on
            org.edit_task(task.gid, due_on=old_due + timedelta(days=14))
        store = _sync(tmp_path, sandbox, store_url)
    with store:
        again = {b.project_id: b for b in list_baselines(store)}
        assert {p: (b.id, b.set_at) for p, b in again.items()} == {
            p: (b.id, b.set_at) for p, b in recorded.items()
        }
        project_id = Project.ref(SOURCE, project_gid)
        diff = diff_plans(store, project_id)
        assert [(c.task_id, c.change, c.fields) for c in diff.tasks] == [
            (Task.ref(SOURCE, task.gid), "changed", ("due_date",))
        ]
        change = diff.tasks[0]
        assert (change.before.due_date, change.after.due_date) == (
            old_due,
            old_due + timedelta(days=14),
        )
        # the finish is the project's own due date, which the re-plan did not move: 0 days
        assert diff.finish_slip_days == 0

        # the re-plan approved: recorded as "Re-plan 1", now the active one
        set_baseline(store, [project_id], "Re-plan 1")
        assert get_baseline(store, project_id).name == "Re-plan 1"
        between = diff_plans(store, project_id, "Baseline", "Re-plan 1")
        assert [(c.task_id, c.change) for c in between.tasks] == [
            (Task.ref(SOURCE, task.gid), "changed")
        ]
        assert diff_plans(store, project_id).tasks == ()  # the active one is the current plan


def test_an_incremental_sync_asks_one_question_when_every_project_has_a_baseline(store):
    project = Project(source="s", source_id="p", name="Alpha")
    store.upsert([project])
    assert capture_first(store) == [project.id]
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        assert capture_first(store) == []
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert len([s for s in statements if "SELECT" in s.upper()]) == 1, statements
    assert not [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]


# -- set, replace, refuse --------------------------------------------------------------------


def _project(store, source_id="p1", name="Alpha", **fields):
    project = Project(source="s", source_id=source_id, name=name, **fields)
    store.upsert([project])
    return project


def _task(project, source_id, **fields):
    return Task(source="s", source_id=source_id, project_id=project.id, name=source_id, **fields)


def test_a_plan_keeps_work_tasks_and_milestones_not_parents(store):
    project = _project(store)
    parent = _task(project, "parent", due_date=date(2026, 3, 31), estimate_hours=100)
    store.upsert(
        [
            parent,
            _task(project, "a", parent_id=parent.id, start_date=date(2026, 2, 2),
                  due_date=date(2026, 2, 6), estimate_hours=16),
            _task(project, "b", parent_id=parent.id, due_date=date(2026, 2, 20)),
            _task(project, "gate", is_milestone=True, due_date=date(2026, 3, 2)),
            _task(project, "gone", due_date=date(2026, 9, 1), deleted_at=datetime.now(UTC)),
        ]
    )  # fmt: skip
    [baseline] = set_baseline(store, [project.id])
    kept = {t.name: (t.kind, t.start_date, t.due_date, t.estimate_hours) for t in
            get_baseline(store, project.id).plan.tasks}  # fmt: skip
    assert kept == {
        "a": ("work", date(2026, 2, 2), date(2026, 2, 6), 16),
        "b": ("work", None, date(2026, 2, 20), None),
        "gate": ("milestone", None, date(2026, 3, 2), None),
    }
    # no project dates: start = earliest start (a: 2 Feb), finish = latest due of the kept
    # tasks (gate: 2 Mar); the parent's 31 Mar and the deleted task's 1 Sep do not count
    assert (baseline.plan.start_date, baseline.plan.finish_date) == (
        date(2026, 2, 2),
        date(2026, 3, 2),
    )
    assert baseline.task_count == 3


def test_the_budget_is_the_highest_precedence_origins_lines_added(store):
    project = _project(store)
    store.upsert(
        [
            Budget(source="s", source_id="field", project_id=project.id, amount=Decimal(120),
                   currency="EUR", origin="custom_field"),
            Budget(source="s", source_id="capex", project_id=project.id, amount=Decimal(70),
                   currency="EUR", origin="budget_api", line="CAPEX"),
            Budget(source="s", source_id="opex", project_id=project.id, amount=Decimal("30.5"),
                   currency="EUR", origin="budget_api", line="OPEX"),
        ]
    )  # fmt: skip
    [baseline] = set_baseline(store, [project.id])
    # budget_api outranks the custom field: its lines 70 + 30.5 = 100.5, never 220.5
    assert baseline.plan.budget_amount == Decimal("100.5")
    assert get_baseline(store, project.id).plan.budget_amount == Decimal("100.5")
    assert (baseline.plan.budget_measure, baseline.plan.budget_currency) == ("money", "EUR")


BUDGET_CASES = {
    # lines of one origin add up: 70 + 30.5 = 100.5 EUR
    "lines": [("budget_api", "CAPEX", "70", "EUR"), ("budget_api", "OPEX", "30.5", "EUR")],
    # a whole budget beside its lines is the total: 90 (the lines' 60 are its breakdown)
    "whole and lines": [("workbook", None, "90", "EUR"), ("workbook", "A", "60", "EUR")],
    # two whole budgets of one origin: the larger, 80
    "two wholes": [("workbook", None, "50", "EUR"), ("workbook", None, "80", "EUR")],
    # money before hours, and of two currencies the first by code (CHF before EUR): 10 CHF
    "mixed": [("custom_field", None, "10", "chf"), ("custom_field", None, "99", "EUR"),
              ("custom_field", "h", "500", None)],
    # an origin outranks one without: custom field 40 over the unknown origin's 1000
    "unknown origin": [(None, None, "1000", "EUR"), ("custom_field", None, "40", "EUR")],
    # hours only: 120 h
    "hours": [("budget_api", None, "120", None)],
}  # fmt: skip
BUDGET_EXPECTED = {
    "lines": ("100.5", "money", "EUR"),
    "whole and lines": ("90", "money", "EUR"),
    "two wholes": ("80", "money", "EUR"),
    "mixed": ("10", "money", "CHF"),
    "unknown origin": ("40", "money", "EUR"),
    "hours": ("120", "hours", None),
}


@pytest.mark.parametrize("case", sorted(BUDGET_CASES))
def test_a_baseline_budget_is_the_budget_the_reports_count(case):
    """The budget a baseline freezes and the budget the reports count are the same, and equal
    the figure worked out by hand in BUDGET_CASES."""
    from pmosync.canonical.budgets import current_budget
    from pmosync.reports.dataset import BudgetRow
    from pmosync.store.baselines import plan_budget

    rows = [
        BudgetRow("p", Decimal(amount), "hours" if currency is None else "money",
                  None if line == "h" else currency, origin, None if line == "h" else line)
        for origin, line, amount, currency in BUDGET_CASES[case]
    ]  # fmt: skip
    amount, measure, currency = BUDGET_EXPECTED[case]
    assert plan_budget(rows) == (Decimal(amount), measure, currency)
    reports = current_budget(rows)
    assert (reports.amount, reports.measure, reports.currency) == (float(amount), measure, currency)


def test_setting_a_name_again_replaces_it_and_a_twelfth_name_is_refused(store):
    project = _project(store)
    other = _project(store, "p2", "Beta")
    store.upsert([_task(project, "t", due_date=date(2026, 5, 1))])
    first = set_baseline(store, [project.id])[0]
    store.upsert([_task(project, "t", due_date=date(2026, 5, 8))])
    second = set_baseline(store, [project.id])[0]
    names = [b.name for b in list_baselines(store, [project.id])]
    assert names == ["Baseline"]  # replaced, not added
    assert second.set_at > first.set_at
    assert get_baseline(store, project.id).plan.tasks[0].due_date == date(2026, 5, 8)

    for number in range(1, 11):  # Baseline + Baseline 1..10 = 11, Project Online's number
        set_baseline(store, [project.id], f"Baseline {number}", activate=False)
    assert len(list_baselines(store, [project.id])) == 11
    assert get_baseline(store, project.id).name == "Baseline"  # activate=False kept it
    with pytest.raises(BaselineError, match=r"'Alpha' already keeps 11 baselines"):
        set_baseline(store, [other.id, project.id], "Baseline 11")
    # one transaction: Beta, which had room, did not get it either
    assert list_baselines(store, [other.id]) == []
    assert len(list_baselines(store, [project.id])) == 11
    # replacing one of the eleven is still allowed
    set_baseline(store, [project.id], "Baseline 10")
    assert get_baseline(store, project.id).name == "Baseline 10"
    with store.engine.connect() as connection:
        orphans = connection.scalar(
            select(func.count())
            .select_from(baseline_tasks)
            .where(baseline_tasks.c.baseline_id.not_in(select(baselines.c.id)))
        )
    assert orphans == 0  # a replaced baseline's tasks went with it


def test_activate_switches_the_baseline_reports_use(store):
    project = _project(store)
    set_baseline(store, [project.id])
    set_baseline(store, [project.id], "Re-plan 1")
    activate_baseline(store, [project.id], "Baseline")
    assert [(b.name, b.active) for b in list_baselines(store, [project.id])] == [
        ("Baseline", True),
        ("Re-plan 1", False),
    ]
    with pytest.raises(BaselineError, match="has no baseline named 'Nope'"):
        activate_baseline(store, [project.id], "Nope")
    assert get_baseline(store, project.id).name == "Baseline"


def test_a_diff_shows_moved_added_and_removed_tasks_the_finish_and_the_budget(store):
    project = _project(store)
    store.upsert(
        [
            _task(project, "keep", due_date=date(2026, 4, 1), estimate_hours=8),
            _task(project, "drop", due_date=date(2026, 4, 3)),
            Budget(source="s", source_id="b", project_id=project.id, amount=Decimal(1000),
                   currency="EUR", origin="workbook"),
        ]
    )  # fmt: skip
    set_baseline(store, [project.id])
    store.upsert(
        [
            _task(project, "keep", due_date=date(2026, 4, 15), estimate_hours=12),
            _task(project, "drop", due_date=date(2026, 4, 3), deleted_at=datetime.now(UTC)),
            _task(project, "new", due_date=date(2026, 4, 20)),
            Budget(source="s", source_id="b", project_id=project.id, amount=Decimal(1250),
                   currency="EUR", origin="workbook"),
        ]
    )  # fmt: skip
    diff = diff_plans(store, project.id)
    assert {(c.name, c.change, c.fields) for c in diff.tasks} == {
        ("keep", "changed", ("due_date", "estimate_hours")),
        ("drop", "removed", ()),
        ("new", "added", ()),
    }
    # finish: latest due 3 Apr (drop) -> 20 Apr (new) = 17 days later; budget 1000 -> 1250
    assert diff.finish_slip_days == 17
    assert diff.budget_change == Decimal(250)


CAPTURE_KILLED = textwrap.dedent(
    """
    import sys, time
    from sqlalchemy import event
    from pmosync.store import Store
    from pmosync.store.baselines import capture_first

    store = Store.open(sys.argv[1])

    @event.listens_for(store.engine, "after_cursor_execute")
    def pause(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO BASELINE_TASKS"):
            print("TASKS-WRITTEN-NOT-COMMITTED", flush=True)
            time.sleep(60)

    capture_first(store)
    """
)


def test_a_capture_killed_half_way_leaves_no_half_baseline(store_url):
    with Store.open(store_url) as store:
        project = _project(store)
        store.upsert([_task(project, f"t{n}", due_date=date(2026, 5, n + 1)) for n in range(20)])
    child = subprocess.Popen(
        [sys.executable, "-c", CAPTURE_KILLED, store_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "TASKS-WRITTEN-NOT-COMMITTED"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    with Store.open(store_url) as store:
        with store.engine.connect() as connection:
            counts = [connection.scalar(select(func.count()).select_from(t))
                      for t in (baselines, baseline_tasks)]  # fmt: skip
        assert counts == [0, 0]  # the baseline row and its tasks went with the transaction
        assert capture_first(store) == [project.id]  # so the next sync records it whole
        assert get_baseline(store, project.id).task_count == 20


# -- the report's baseline -------------------------------------------------------------------


def _set_at(store, project_id, name, moment):
    with store.engine.begin() as connection:
        connection.execute(
            update(baselines)
            .where(baselines.c.project_id == project_id, baselines.c.name == name)
            .values(set_at=moment)
        )


def test_a_report_reads_the_baseline_in_effect_at_the_end_of_its_day(store):
    """Days ahead of today (a report of a day that has ended also rebuilds the store's past,
    which is the field history's test), with the baselines' set times moved there."""
    project = _project(store)
    store.upsert([_task(project, "t", due_date=date(2026, 6, 1), estimate_hours=5)])
    set_baseline(store, [project.id])
    set_baseline(store, [project.id], "Re-plan 1")  # active
    day = date.today() + timedelta(days=30)  # D; Baseline set on D+10 09:00, Re-plan on D+20
    at = datetime(day.year, day.month, day.day, tzinfo=UTC)
    _set_at(store, project.id, "Baseline", at + timedelta(days=10, hours=9))
    _set_at(store, project.id, "Re-plan 1", at + timedelta(days=20, hours=23, minutes=30))

    def chosen(days, zone=UTC):
        data = load_dataset(store, Filters(), day + timedelta(days), ("baselines",), zone=zone)
        found = data.baselines.get(project.id)
        return found.name if found else None

    assert chosen(25) == "Re-plan 1"  # the active one, set by then
    assert chosen(15) == "Baseline"  # the active one came later
    assert chosen(9) is None  # nothing set by then
    # Re-plan 1 was set at 23:30 UTC on D+20: still D+20 in New York (18:30 or 19:30), already
    # D+21 in Berlin (00:30 or 01:30), so a Berlin report of D+20 uses the older one
    assert chosen(20, ZoneInfo("America/New_York")) == "Re-plan 1"
    assert chosen(20, ZoneInfo("Europe/Berlin")) == "Baseline"
    row = load_dataset(store, Filters(), day + timedelta(25), ("baselines",), zone=UTC)
    [task] = row.baselines[project.id].tasks
    assert (task.kind, task.due_date, task.estimate_hours) == ("work", date(2026, 6, 1), 5)


# -- the commands ----------------------------------------------------------------------------


@pytest.fixture
def cli_store(tmp_path, sqlite_url):
    with Store.open(sqlite_url) as opened:
        alpha = _project(opened, "100", "Alpha", due_date=date(2026, 6, 30))
        _project(opened, "200", "Twin")
        opened.upsert([Project(source="t", source_id="300", name="Twin")])
        opened.upsert([_task(alpha, "Build", due_date=date(2026, 6, 1), estimate_hours=40)])
    return sqlite_url


def _pmosync(store_url, *args):
    """The command with ``--store`` and no config file (run where there is none)."""
    folder = Path(store_url.removeprefix("sqlite:///")).parent
    return run_pmosync("baseline", *args, "--store", store_url, cwd=folder)


def test_the_baseline_commands(cli_store):
    done = _pmosync(cli_store, "set", "--all", "--name", "Re-plan 1")
    assert done.returncode == 0, done.stderr
    assert "Alpha: baseline 'Re-plan 1' set (1 tasks, finish 2026-06-30" in done.stdout
    assert "for 3 projects" in done.stdout

    listed = _pmosync(cli_store, "list", "Alpha", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert (row["project"], row["name"], row["active"], row["set_by"], row["tasks"]) == (
        "Alpha", "Re-plan 1", True, "command", 1,
    )  # fmt: skip

    shown = _pmosync(cli_store, "show", "100", "--format", "json")  # by its id in its tool
    assert shown.returncode == 0, shown.stderr
    assert [t["name"] for t in json.loads(shown.stdout)["tasks"]] == ["Build"]

    with Store.open(cli_store) as opened:
        alpha = find_projects(opened, ["alpha"])[0]
        opened.upsert([_task(alpha, "Build", due_date=date(2026, 6, 11), estimate_hours=40)])
    diff = _pmosync(cli_store, "diff", "Alpha", "--current")
    assert diff.returncode == 0, diff.stderr
    # 1 Jun -> 11 Jun: 10 days later
    assert "2026-06-01 -> 2026-06-11 (+10 d)" in diff.stdout
    assert "1 changed, 0 added, 0 removed" in diff.stdout

    again = _pmosync(cli_store, "set", "Alpha")
    assert again.returncode == 0, again.stderr
    active = _pmosync(cli_store, "activate", "Alpha", "--name", "Re-plan 1")
    assert "Alpha: baseline 'Re-plan 1' is active" in active.stdout
    listed = _pmosync(cli_store, "list", "Alpha")
    assert listed.returncode == 0 and "Re-plan 1" in listed.stdout


def test_the_commands_name_a_problem_in_one_line(cli_store):
    line = assert_one_clean_line(_pmosync(cli_store, "set", "Twin"), 2)
    assert "'Twin' names 2 projects" in line and "s 200" in line and "t 300" in line
    line = assert_one_clean_line(_pmosync(cli_store, "show", "Nobody"), 2)
    assert line.startswith("no project named 'Nobody' in the store")
    line = assert_one_clean_line(_pmosync(cli_store, "show", "Alpha"), 2)
    assert "has no baseline yet" in line
    line = assert_one_clean_line(_pmosync(cli_store, "set"), 2)
    assert "--all" in line
    for number in range(11):
        assert _pmosync(cli_store, "set", "Alpha", "--name", f"B{number}").returncode == 0
    line = assert_one_clean_line(_pmosync(cli_store, "set", "Alpha", "--name", "B11"), 2)
    assert "already keeps 11 baselines" in line
