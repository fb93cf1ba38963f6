"""Priority options no vocabulary names keep their task, end to end.

An unknown Priority option used to quarantine the whole task (109 tasks vanished from one
report). Now the task is synced with the priority "unknown", a warning names the option once,
and the YAML's ``priority_vocabulary`` maps a team's own options. The sandboxes are given the
odd options through their own data structures; the expected priorities are written by hand.
"""

from __future__ import annotations

import logging

from asana_env import differences
from asana_env import live_rows as asana_rows
from asana_env import write_config as asana_config
from graph_env import live_rows as planner_rows
from graph_env import planner_differences, planner_yaml
from graph_env import write_config as graph_config
from sqlalchemy import func, select

from pmosync.canonical.types import Task
from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.org import generate_org
from pmosync.sandbox.org.model import EnumOption
from pmosync.sandbox.tenant import TenantSize, generate_tenant
from pmosync.store import Store
from pmosync.store.schema import quarantine
from pmosync.sync.run import run_sync

WARNED = "is not in the priority vocabulary"


def _run(path, config):
    store = Store.open(config.store, base_dir=path.parent)
    try:
        return store, run_sync(config, store).connectors
    except BaseException:
        store.close()
        raise


def _quarantined(store) -> int:
    with store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(quarantine))


def _asana_world():
    """An org whose Priority field gained two options nobody told pmosync about, each on two
    tasks; returns (org, gids of the "Blocker" tasks, gids of the "P3" tasks)."""
    org = generate_org(seed=11, size="XS")
    field = org.field_named("Priority")
    field.options += [EnumOption("990001", "Blocker", "red"), EnumOption("990002", "P3", "blue")]
    tasks = [t.gid for t in org.tasks.values() if t.project_gid][:4]
    for gid, option in zip(tasks, ["Blocker", "Blocker", "P3", "P3"], strict=True):
        org.edit_task(gid, custom={"Priority": option})
    return org, tasks[:2], tasks[2:]


def test_an_unknown_asana_priority_option_is_synced_as_unknown(tmp_path, store_url, caplog):
    org, blockers, p3s = _asana_world()
    fields = "    fields: {priority: Priority}\n"
    with AsanaSandbox(org) as sandbox, caplog.at_level(logging.WARNING):
        path, config = asana_config(tmp_path, sandbox, extra=fields, store=store_url)
        store, results = _run(path, config)
    with store:
        assert not results[0].failed, results[0]
        assert differences(store, org) == []  # every task is there: none quarantined
        assert _quarantined(store) == 0
        tasks = asana_rows(store, Task)
        assert {tasks[gid]["priority"] for gid in blockers + p3s} == {"unknown"}
        known = {"Low": "low", "Medium": "medium", "High": "high", "Urgent": "urgent"}
        field = org.field_named("Priority")
        for task in org.tasks.values():
            option = field.option(task.custom.get(field.gid))
            if option is not None and option.name in known:
                assert tasks[task.gid]["priority"] == known[option.name], task.gid
    warnings = [r.getMessage() for r in caplog.records if WARNED in r.getMessage()]
    assert len(warnings) == 2  # once per option, whatever the number of tasks
    assert "'Blocker'" in warnings[0] + warnings[1] and "'P3'" in warnings[0] + warnings[1]


def test_the_yaml_priority_vocabulary_maps_a_teams_own_options(tmp_path):
    org, blockers, p3s = _asana_world()
    extra = (
        "    fields: {priority: Priority}\n"
        "    priority_vocabulary: {Blocker: urgent, p3: low, High: medium}\n"
    )
    with AsanaSandbox(org) as sandbox:
        path, config = asana_config(tmp_path, sandbox, extra=extra)
        store, results = _run(path, config)
    with store:
        assert not results[0].failed, results[0]
        tasks = asana_rows(store, Task)
        assert [tasks[gid]["priority"] for gid in blockers + p3s] == [
            "urgent", "urgent", "low", "low",
        ]  # fmt: skip
        field = org.field_named("Priority")
        high = next(o.gid for o in field.options if o.name == "High")
        highs = [gid for gid, task in org.tasks.items() if task.custom.get(field.gid) == high]
        assert highs and {tasks[gid]["priority"] for gid in highs} == {"medium"}  # overridden


def test_a_planner_priority_outside_the_scale_is_synced_as_unknown(tmp_path, store_url):
    tenant = generate_tenant(seed=7, size=TenantSize(2, 2, 40, 6, 1))
    odd, remapped = list(tenant.tasks.values())[:2]
    odd.priority = 11  # Graph documents 0-10; a real tenant's API may still hand over more
    remapped.priority = 3  # "important": high, unless the YAML says otherwise
    groups = sorted(tenant.groups)
    vocabulary = '    priority_vocabulary: {3: "medium"}\n'
    with GraphSandbox(tenant) as sandbox:
        path, config = graph_config(
            tmp_path, sandbox, planner_yaml(sandbox, groups, extra=vocabulary), store=store_url
        )
        store, results = _run(path, config)
    with store:
        assert not results[0].failed, results[0]
        assert _quarantined(store) == 0
        tasks = planner_rows(store, Task)
        assert (tasks[odd.id]["priority"], tasks[remapped.id]["priority"]) == ("unknown", "medium")
        threes = [t.id for t in tenant.tasks.values() if t.priority == 3]
        assert {tasks[task_id]["priority"] for task_id in threes} == {"medium"}  # every 3
        # everything else as the tenant has it, in Graph's bands (the ground truth knows only
        # 0-10: the odd task's number is set back for it; the priorities above are left out)
        odd.priority = 5
        ours = tuple(f"task {task_id}.priority" for task_id in [odd.id, *threes])
        problems = planner_differences(store, tenant, groups)
        assert [p for p in problems if not p.startswith(ours)] == []
