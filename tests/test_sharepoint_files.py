"""Timesheet workbooks in a Teams channel's files, through Graph (msgraph-sdk) against the
sandbox, resolved against the plans the Planner connector synced in the same run."""

from __future__ import annotations

from dataclasses import replace

import pytest
from graph_env import (
    TIMESHEETS,
    planner_yaml,
    stored_entries,
    timesheet_entries,
    timesheets_yaml,
    write_config,
)
from hostile_xlsx import handmade
from sqlalchemy import select

from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.tenant import TenantSize, generate_tenant, render_csv, render_xlsx
from pmosync.store import Store
from pmosync.store.schema import quarantine
from pmosync.sync.run import run_sync
from pmosync.sync.sources import probe_source

SMALL = TenantSize(groups=2, plans=3, tasks=60, people=6, timesheet_weeks=3)


@pytest.fixture
def tenant():
    return generate_tenant(seed=3, size=SMALL)


@pytest.fixture
def sandbox(tenant):
    with GraphSandbox(tenant) as running:
        yield running


def _sync(tmp_path, sandbox, *, timesheets_extra="", store_url=None):
    groups = sorted(sandbox.tenant.groups)
    sections = planner_yaml(sandbox, groups) + timesheets_yaml(sandbox, extra=timesheets_extra)
    path, config = write_config(tmp_path, sandbox, sections, store=store_url)
    store = Store.open(config.store, base_dir=path.parent)
    try:
        results = run_sync(config, store).connectors
    except BaseException:
        store.close()
        raise
    return store, {r.name: r for r in results}


def _channel_folder(tenant):
    channel = next(c for c in tenant.channels.values() if c.display_name == "Timesheets")
    return tenant.items[channel.folder_id]


def _open_quarantine(store):
    query = select(quarantine).where(
        quarantine.c.source == TIMESHEETS, quarantine.c.resolved_at.is_(None)
    )
    with store.engine.connect() as connection:
        return {row.record_key: row.reason for row in connection.execute(query)}


def _downloads(sandbox) -> int:
    return sum(n for k, n in sandbox.stats()["by_endpoint"].items() if k.endswith("/content"))


def test_every_timesheet_row_lands_once_against_its_plan(tmp_path, tenant, sandbox, store_url):
    store, results = _sync(tmp_path, sandbox, store_url=store_url)
    with store:
        assert not results[TIMESHEETS].failed, results[TIMESHEETS]
        assert stored_entries(store) == timesheet_entries(tenant)
        assert _open_quarantine(store) == {}
    assert _downloads(sandbox) == len(tenant.timesheets)


def test_only_a_changed_workbook_is_read_again_and_replaces_its_rows(tmp_path, tenant, sandbox):
    store, _ = _sync(tmp_path, sandbox)
    store.close()
    sheet = next(iter(tenant.timesheets.values()))
    rows = list(sheet.rows)
    rows[0] = replace(rows[0], hours=rows[0].hours + 1.25)
    del rows[1]
    tenant.write_timesheet(sheet.item_id, rows)
    sandbox.reset_stats()
    store, results = _sync(tmp_path, sandbox)
    with store:
        assert not results[TIMESHEETS].failed
        assert stored_entries(store) == timesheet_entries(tenant)  # no double counting
    assert _downloads(sandbox) == 1


def test_bad_rows_and_unreadable_files_are_quarantined_with_their_place(tmp_path, tenant, sandbox):
    folder = _channel_folder(tenant)
    plan = next(iter(tenant.plans.values())).title
    email = next(iter(tenant.timesheets.values())).rows[0].email
    header = ["Email", "Date", "Hours", "Project", "Task", "Billable?"]
    good = [email, "2026-01-05", 3, plan, None, "Yes"]
    bad_rows = [
        good,
        [email, "2026-01-05", "three", plan, None, "Yes"],  # row 3: text in hours
        ["nobody@contoso.example", "2026-01-06", 2, plan, None, "No"],  # row 4: unknown
        [email, "2099-01-06", 2, plan, None, "No"],  # row 5: far future
        good,  # row 6: duplicates row 2
    ]
    tenant.put_file(
        folder.drive_id, folder.id, "Extra.xlsx", render_xlsx("Entries", header, bad_rows)
    )
    tenant.put_file(folder.drive_id, folder.id, "Broken.xlsx", b"PK\x03\x04 not really a zip")
    csv_rows = [[email, "2026-01-07", "7,5", plan, "Müller’s review", "No"]]
    tenant.put_file(
        folder.drive_id, folder.id, "Extra.csv", render_csv(header, csv_rows, encoding="cp1252")
    )
    store, results = _sync(tmp_path, sandbox)
    with store:
        assert not results[TIMESHEETS].failed, results[TIMESHEETS]
        reasons = _open_quarantine(store)
        extra = next(i for i in tenant.items.values() if i.name == "Extra.xlsx").id
        assert set(reasons) >= {f"{extra}#Entries!{row}" for row in (3, 4, 5, 6)}
        assert reasons[f"{extra}#Entries!3"].startswith("Extra.xlsx, sheet Entries, row 3:")
        assert "is not a number of hours" in reasons[f"{extra}#Entries!3"]
        assert "nobody@contoso.example" in reasons[f"{extra}#Entries!4"]
        assert "in the future" in reasons[f"{extra}#Entries!5"]
        assert "duplicates row 2" in reasons[f"{extra}#Entries!6"]
        broken = next(i for i in tenant.items.values() if i.name == "Broken.xlsx").id
        assert "not a readable XLSX file" in reasons[f"{broken}#file"]
        # every generated timesheet still went in, plus the good row and the CP-1252 row
        entries = stored_entries(store)
        generated = timesheet_entries(tenant)
        assert entries - generated and not generated - entries
        assert sum((entries - generated).values()) == 2


def test_a_zip_bomb_in_the_channel_is_refused_with_one_line_and_every_timesheet_kept(
    tmp_path, tenant, sandbox
):
    """The limits hold for workbooks read through Graph as for local ones (the YAML sets
    max_unpacked_mb low, so the bomb stays a few kilobytes: 3 MB of one shared string)."""
    folder = _channel_folder(tenant)
    bomb = handmade([["x@contoso.example", "2026-01-05", 1, "A" * (3 << 20)]])
    assert len(bomb) < 20_000
    tenant.put_file(folder.drive_id, folder.id, "Bomb.xlsx", bomb)
    store, results = _sync(tmp_path, sandbox, timesheets_extra="    max_unpacked_mb: 1\n")
    with store:
        assert not results[TIMESHEETS].failed, results[TIMESHEETS]
        assert stored_entries(store) == timesheet_entries(tenant)
        item = next(i for i in tenant.items.values() if i.name == "Bomb.xlsx").id
        reason = "Bomb.xlsx is refused: it unpacks to more than 1 MB (max_unpacked_mb: 1)"
        assert _open_quarantine(store) == {f"{item}#file": reason}
        assert [w for w in results[TIMESHEETS].warnings if "Bomb.xlsx" in w] == [
            f"{reason} (its rows as last read are kept)"
        ]


def test_a_file_larger_than_the_budget_is_refused_before_it_is_downloaded(
    tmp_path, tenant, sandbox
):
    """A drive item's listed size over max_unpacked_mb: refused from the listing, so a huge
    upload is never held whole in memory; one line, the other workbooks kept."""
    folder = _channel_folder(tenant)
    row = "x@contoso.example,2026-01-05,1,Website\n"
    huge = ("Email,Date,Hours,Project\n" + row * ((1 << 20) // len(row) + 1)).encode()
    tenant.put_file(folder.drive_id, folder.id, "Huge.csv", huge)
    item = next(i for i in tenant.items.values() if i.name == "Huge.csv").id
    store, results = _sync(tmp_path, sandbox, timesheets_extra="    max_unpacked_mb: 1\n")
    with store:
        assert not results[TIMESHEETS].failed, results[TIMESHEETS]
        assert stored_entries(store) == timesheet_entries(tenant)
        reason = "Huge.csv is refused: it is larger than 1 MB (max_unpacked_mb: 1)"
        assert _open_quarantine(store) == {f"{item}#file": reason}
    fetched = [k for k in sandbox.stats()["by_endpoint"] if item in k and k.endswith("/content")]
    assert fetched == []


def test_a_site_and_folder_work_like_a_team_and_channel(tmp_path, tenant, sandbox):
    team = next(g for g in tenant.groups.values() if g.is_team)
    site = tenant.sites[team.site_id]
    location = f'    site: "{site.hostname}:{site.path}"\n    folder: Timesheets\n'
    groups = sorted(tenant.groups)
    sections = planner_yaml(sandbox, groups) + timesheets_yaml(sandbox).replace(
        "    team: Operations\n    channel: Timesheets\n", location
    )
    path, config = write_config(tmp_path, sandbox, sections)
    with Store.open(config.store, base_dir=path.parent) as store:
        results = {r.name: r for r in run_sync(config, store).connectors}
        assert not results[TIMESHEETS].failed, results[TIMESHEETS]
        assert stored_entries(store) == timesheet_entries(tenant)


def test_check_counts_the_workbooks_and_names_a_missing_channel(tmp_path, tenant, sandbox):
    path, config = write_config(tmp_path, sandbox, timesheets_yaml(sandbox))
    lines = probe_source(TIMESHEETS, config.connectors[TIMESHEETS])
    assert [r.level for r in lines] == ["ok", "ok", "ok"]
    assert f"{len(tenant.timesheets)} workbook(s) in team 'Operations'" in lines[-1].message
    path, config = write_config(
        tmp_path, sandbox, timesheets_yaml(sandbox).replace("Timesheets", "Timesheetz")
    )
    lines = probe_source(TIMESHEETS, config.connectors[TIMESHEETS])
    assert any(r.level == "error" and "no channel 'Timesheetz'" in r.message for r in lines)
