"""The RAID log from Asana end to end: the official SDK against the sandbox's "RAID log"
project and "RAID type" tasks, through the connector's ``raid:`` block and the mapping, into a
real store, compared with the sandbox's own RAID data (``org.raid`` and the tasks' fields).

The expected values are worked from the sandbox's records with the tables below, written by
hand from the sandbox's option names, never from pmosync's vocabularies.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from asana_env import SOURCE, differences, live_rows, raid_block, sync_once, write_config
from sqlalchemy import select

from pmosync.canonical.types import PersonIdentity, Project, RaidItem, Task
from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.org import generate_org
from pmosync.sandbox.org.raid import HOSTILE, LONG_TEXT, NO_SUCH_PROJECT
from pmosync.store import Store
from pmosync.store.schema import quarantine

IMPACT = {"Very low": 1, "Low": 2, "Medium": 3, "High": 4, "Very high": 5}
"""The sandbox's Impact options, in the order of the 1-5 scale."""
STATUS = {"Open": "open", "Mitigating": "in_progress", "Closed": "closed"}
"""The sandbox's RAID status options as a PMO reads them."""


@pytest.fixture
def org():
    return generate_org(seed=21, size="XS")


@pytest.fixture
def sandbox(org):
    with AsanaSandbox(org) as running:
        yield running


def _sync(tmp_path, sandbox, org, *, full=False, store_url=None):
    return sync_once(tmp_path, sandbox, extra=raid_block(org), full=full, store=store_url)


def _value(org, task, field: str) -> Any:
    """The task's value of the sandbox field named ``field``: an option's name for a
    single-select, the date for a date field, else as stored."""
    definition = org.field_named(field)
    value = task.custom.get(definition.gid)
    if definition.type == "enum" and value is not None:
        return definition.option(value).name
    if definition.type == "date" and value is not None:
        return date.fromisoformat(value["date"])
    return value


def expected_items(org) -> dict[str, dict[str, Any]]:
    """Every RAID item the sandbox holds that maps, by gid, as the store must hold it."""
    items = {}
    for gid, entry in org.raid.items():
        if entry.problem is not None:
            continue
        task = org.tasks[gid]
        probability = int(_value(org, task, "Probability"))
        impact = IMPACT[_value(org, task, "Impact")]
        status = _value(org, task, "RAID status")  # only the log's items carry one
        items[gid] = {
            "kind": entry.kind,
            "title": task.name.replace("\x00", ""),  # the store keeps no NUL, anywhere
            "project_id": Project.ref(SOURCE, entry.project_gid) if entry.project_gid else None,
            "owner_identity_id": (
                PersonIdentity.ref(SOURCE, task.assignee_gid) if task.assignee_gid else None
            ),
            "probability": probability,
            "impact": impact,
            "score": probability * impact,  # no score field: probability x impact
            # completing the task closes the item, whatever its status field still says
            "status": "closed" if task.completed else STATUS.get(status, "open"),
            "raised_on": _value(org, task, "Raised on") or task.created_at.date(),
            "due_date": task.due_on,
            "closed_on": task.completed_at.date() if task.completed else None,
            "mitigation": _value(org, task, "Mitigation"),
            "description": task.notes or None,
        }
    return items


def raid_differences(store: Store, org) -> list[str]:
    rows = live_rows(store, RaidItem)
    with org.lock:
        wanted = expected_items(org)
    problems = []
    if set(rows) != set(wanted):
        missing, extra = sorted(set(wanted) - set(rows)), sorted(set(rows) - set(wanted))
        problems.append(f"missing {missing[:3]}, extra {extra[:3]}")
    for gid in set(rows) & set(wanted):
        for column, value in wanted[gid].items():
            stored = rows[gid][column]
            if isinstance(value, date) and isinstance(stored, str):
                stored = date.fromisoformat(stored)
            if stored != value:
                problems.append(f"{gid}.{column}: {stored!r} != {value!r}")
    return problems[:20]


def _quarantined(store: Store) -> dict[str, str]:
    with store.engine.connect() as connection:
        query = select(quarantine).where(quarantine.c.resolved_at.is_(None))
        return {row.record_key: row.reason for row in connection.execute(query)}


def test_the_sandbox_log_holds_every_kind_over_several_projects_and_the_hostile_cases(org):
    kinds = {entry.kind for entry in org.raid.values()}
    assert kinds == {"risk", "issue", "assumption", "decision", "change_request", None}
    placed = {entry.project_gid for entry in org.raid.values()} - {None}
    assert len(placed) >= 2
    names = {org.tasks[gid].name for gid in org.raid}
    assert {HOSTILE["script"], HOSTILE["bidi"], HOSTILE["nul"]} <= names
    inline = [g for g in org.raid if org.tasks[g].project_gid != org.raid_log_gid]
    assert inline and all(org.raid[g].project_gid == org.tasks[g].project_gid for g in inline)
    again = generate_org(seed=21, size="XS", today=org.today)
    assert again.org_snapshot()["raid"] == org.org_snapshot()["raid"]


def test_a_sync_holds_exactly_the_sandbox_raid_log(tmp_path, store_url):
    org = generate_org(seed=21, size="XS")
    with AsanaSandbox(org) as sandbox:
        store, results = _sync(tmp_path, sandbox, org, store_url=store_url)
    with store:
        assert raid_differences(store, org) == []
        # a RAID item is not work, and the log is not a project
        assert differences(store, org, raid=True) == []
        assert not set(org.raid) & set(live_rows(store, Task))
        assert org.raid_log_gid not in live_rows(store, Project)
        # the two bad items wait in the quarantine, each named, and nothing else does
        reasons = _quarantined(store)
        bad = {gid: entry.problem for gid, entry in org.raid.items() if entry.problem}
        assert set(reasons) == set(bad)
        for gid, problem in bad.items():
            assert problem in reasons[gid]
            assert repr(org.tasks[gid].name) in reasons[gid]  # the item, by its title
        assert not results[0].failed
        assert any(NO_SUCH_PROJECT in warning for warning in results[0].warnings)


def test_hostile_strings_are_stored_as_they_were_written(tmp_path, org, sandbox):
    store, _ = _sync(tmp_path, sandbox, org)
    with store:
        rows = {row["title"]: row for row in live_rows(store, RaidItem).values()}
        script = rows[HOSTILE["script"]]
        assert script["description"] == LONG_TEXT and len(LONG_TEXT) == 2000
        assert HOSTILE["bidi"] in rows  # U+202E kept: escaping is the renderer's job
        assert HOSTILE["nul"].replace("\x00", "") in rows
        mitigations = {row["mitigation"] for row in live_rows(store, RaidItem).values()}
        assert HOSTILE["formula"] in mitigations
        unplaced = rows["Merger may freeze spending"]
        assert unplaced["project_id"] is None  # names no project: portfolio-wide


def test_an_incremental_sync_follows_the_log(tmp_path, org, sandbox):
    store, _ = _sync(tmp_path, sandbox, org)
    store.close()
    log = [g for g in org.raid if org.tasks[g].project_gid == org.raid_log_gid]
    good = [g for g in log if org.raid[g].problem is None and not org.tasks[g].completed]
    closed, rescored, deleted = good[:3]
    org.complete_task(closed)
    org.edit_task(rescored, custom={"Probability": 2.0, "Impact": "Very high"})
    org.delete_task(deleted)
    # an inline item loses its RAID type: it is work again; a work task gains one
    inline = next(g for g in org.raid if org.tasks[g].project_gid != org.raid_log_gid)
    home = org.tasks[inline].project_gid
    org.edit_task(inline, custom={"RAID type": None})
    del org.raid[inline]
    promoted = next(
        t for t in org.tasks.values()
        if t.project_gid == home and t.gid not in org.raid and not t.subtask_gids
    )  # fmt: skip
    org.edit_task(promoted.gid, custom={"RAID type": "Issue", "Probability": 3.0})
    org.edit_task(promoted.gid, custom={"Impact": "Low"})
    from pmosync.sandbox.org import RaidEntry

    org.raid[promoted.gid] = RaidEntry(promoted.gid, "issue", home)
    # the bad probability is fixed upstream: the item leaves the quarantine
    too_likely = next(g for g, e in org.raid.items() if e.problem and e.kind == "risk")
    org.edit_task(too_likely, custom={"Probability": 4.0})
    org.raid[too_likely].problem = None

    store, results = _sync(tmp_path, sandbox, org)
    with store:
        assert raid_differences(store, org) == []
        assert differences(store, org, raid=True) == []
        rows = live_rows(store, RaidItem)
        assert rows[closed]["status"] == "closed"
        assert (rows[rescored]["probability"], rows[rescored]["impact"]) == (2, 5)
        assert rows[rescored]["score"] == 10  # 2 x 5
        assert deleted not in rows
        assert inline in live_rows(store, Task) and inline not in rows
        assert promoted.gid in rows and promoted.gid not in live_rows(store, Task)
        assert too_likely not in _quarantined(store)
        assert not results[0].failed


def test_an_item_deleted_while_the_token_expired_is_retired_by_the_full_listing(
    tmp_path, org, sandbox
):
    store, _ = _sync(tmp_path, sandbox, org)
    store.close()
    victim = next(g for g, e in org.raid.items() if e.problem is None)
    org.delete_task(victim)
    sandbox.expire_sync_tokens()
    store, _ = _sync(tmp_path, sandbox, org)
    with store:
        assert victim not in live_rows(store, RaidItem)
        assert raid_differences(store, org) == []


def test_check_says_when_the_raid_project_or_its_type_field_is_missing(tmp_path, org, sandbox):
    from cli import run_pmosync

    delivery = next(g for g in sorted(org.projects) if g != org.raid_log_gid)  # no RAID fields
    missing = "1200000000999999"
    block = raid_block(org).replace(
        f'["{org.raid_log_gid}"]', f'["{org.raid_log_gid}", "{delivery}", "{missing}"]'
    )
    path, _ = write_config(tmp_path, sandbox, extra=block)
    result = run_pmosync("check", "-c", path, env={"ASANA_TOKEN": sandbox.token})
    lines = (result.stdout + result.stderr).splitlines()
    assert any(f"ok: raid: RAID project {org.raid_log_gid} (RAID log) readable" in x for x in lines)
    assert any(f"RAID project {delivery}" in x and "has no field 'RAID type'" in x for x in lines)
    assert any(f"error: raid: RAID project {missing}" in x for x in lines), result.stdout


def test_an_item_belongs_to_the_project_its_field_names_else_the_one_it_is_multi_homed_in():
    """Asana lets one task live in the RAID project and its delivery project; the sandbox keeps
    one membership per task, so this rule is checked on records shaped as Asana sends them."""
    from pmosync.connectors.asana.raid import RaidRules

    rules = RaidRules(projects=frozenset({"9"}), type_field="RAID type", project_field="Project")
    in_scope = {"1": {"name": "Apollo  Website"}, "2": {"name": "Beacon"}}

    def task(project_text, *homes):
        fields = [{"gid": "5", "name": "Project", "type": "text", "text_value": project_text}]
        members = [{"project": {"gid": gid}} for gid in homes]
        return {"gid": "77", "custom_fields": fields, "memberships": members}

    assert rules.is_raid(task(None, "9")) and not rules.is_raid(task(None, "1"))
    assert rules.project_of(task("apollo website", "9"), in_scope) == "1"  # any case, spacing
    assert rules.project_of(task("2", "9"), in_scope) == "2"  # or its gid
    assert rules.project_of(task(None, "9", "2"), in_scope) == "2"  # multi-homed
    assert rules.project_of(task("Zephyr", "9", "2"), in_scope) is None  # named, not in scope
    assert rules.unplaced == {"Zephyr"}
