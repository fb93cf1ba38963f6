"""Leave (absences) from a workbook of kind ``leave`` and from a SharePoint list, through the
real sync engine into a real store. Good rows become Leave records of the person they name;
a bad row or item is quarantined with one line naming the file, sheet and row (or the list and
item), and the rest are kept. Expected records are worked out by hand from the rows written, or
read off the Graph sandbox's own list."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from graph_env import live_rows, planner_yaml, write_config
from pydantic import ValidationError
from sqlalchemy import text

from pmosync.canonical.types import Leave, PersonIdentity
from pmosync.config.connectors import FilesConnector
from pmosync.connectors.files import FilesSource
from pmosync.mapping.directory import Directory, ProjectEntry
from pmosync.mapping.workbooks import WorkbookMapper
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.tenant import TenantSize, generate_tenant
from pmosync.sandbox.tenant.pmo_lists import LEAVE_LIST, add_pmo_lists
from pmosync.store import Store
from pmosync.sync.engine import sync_source
from pmosync.sync.run import run_sync

SOURCE = "hr-leave"
TODAY = date(2026, 12, 4)
ANN, BO = "ann.lee@contoso.example", "bo.chen@contoso.example"
COLUMNS = {"person": "Email", "start": "From", "end": "To", "hours_per_day": "Hours/day",
           "kind": "Type"}  # fmt: skip
DIRECTORY = Directory.build(
    [ProjectEntry("p-move", "Data centre move", "planner-ops", "plan-1")], emails=[ANN, BO]
)


def _xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Absences"
    sheet.append(["Email", "From", "To", "Hours/day", "Type"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _quarantine(store: Store) -> list[str]:
    with store.engine.connect() as connection:
        return [row[0] for row in connection.execute(text("SELECT reason FROM quarantine"))]


def test_a_leave_workbook_becomes_leave_and_bad_rows_are_named(tmp_path: Path):
    folder = tmp_path / "leave"
    folder.mkdir()
    (folder / "Leave 2026.xlsx").write_bytes(
        _xlsx(
            [
                [ANN, date(2026, 12, 21), date(2026, 12, 31), None, "Annual"],  # row 2
                [BO, "07.12.2026", "07.12.2026", 4, "Training"],  # row 3: a half day
                [BO, date(2026, 12, 10), date(2026, 12, 8), None, "Sick"],  # row 4: backwards
                ["nobody@contoso.example", date(2026, 12, 1), date(2026, 12, 2), None, None],
                [ANN, date(2027, 1, 4), date(2027, 1, 5), "lots", "Annual"],  # row 6
            ]
        )
    )
    config = FilesConnector.model_validate(
        {"type": "files", "path": str(folder), "kind": "leave", "columns": COLUMNS}
    )
    store = Store.open(f"sqlite:///{tmp_path / 'leave.db'}")
    with store:
        source = FilesSource(SOURCE, config)
        mapper = WorkbookMapper(SOURCE, "leave", DIRECTORY, TODAY, columns=COLUMNS)
        run_id = store.ledger.start_run("sync")
        try:
            result = sync_source(store, run_id, source, mapper)
        finally:
            source.close()
        assert not result.failed, result
        leave = {
            (r["identity_id"], r["start_date"], r["end_date"], r["hours_per_day"], r["kind"])
            for r in live_rows(store, Leave, SOURCE).values()
        }
        assert leave == {
            (PersonIdentity.ref(SOURCE, ANN), date(2026, 12, 21), date(2026, 12, 31), None,
             "Annual"),
            (PersonIdentity.ref(SOURCE, BO), date(2026, 12, 7), date(2026, 12, 7), 4.0,
             "Training"),
        }  # fmt: skip
        where = "Leave 2026.xlsx, sheet Absences"
        assert sorted(_quarantine(store)) == [
            f"{where}, row 4: To 2026-12-08 is before From 2026-12-10",
            f"{where}, row 5: person nobody@contoso.example matches nobody synced (add an alias "
            "under people.aliases?)",
            f"{where}, row 6: Hours/day 'lots' is not a number of hours",
        ]


def test_a_leave_list_needs_its_required_columns():
    with pytest.raises(ValidationError, match="missing required column 'end' for kind leave"):
        FilesConnector.model_validate(
            {"type": "files", "path": ".", "kind": "leave",
             "columns": {"person": "Email", "start": "From"}}
        )  # fmt: skip


@pytest.mark.parametrize("named", ["many", "two"])
def test_a_sharepoint_leave_list_becomes_leave(tmp_path: Path, named: str):
    """``named``: the list names many people (their addresses read by listing the site's user
    list) or two (read one user-list item each); both resolve to the same addresses."""
    tenant = generate_tenant(
        seed=11, size=TenantSize(groups=2, plans=4, tasks=60, people=8, timesheet_weeks=1),
        today=TODAY, quirks=True,
    )  # fmt: skip
    lists = add_pmo_lists(tenant, seed=5)
    sp = tenant.lists[lists.leave_id]
    if named == "two":
        keep = sorted({f["Employee"] for f in sp.items.values()})[:2]
        for item_id in [i for i, f in sp.items.items() if f["Employee"] not in keep]:
            tenant.delete_list_item(lists.leave_id, item_id)
        assert len({f["Employee"] for f in sp.items.values()}) == 2
    paris = ZoneInfo("Europe/Paris")  # the quirky tenant's site zone: days kept as midnight

    # Who a Planner sync knows, by the email its users stream gives them: every assignee,
    # creator and completer of a task, by mail, else (a guest) the address inside the sign-in
    # name, else the sign-in name.
    def identity_email(user):
        if user.mail:
            return user.mail.lower()
        head, _, _ = user.user_principal_name.partition("#EXT#")
        local, _, domain = head.rpartition("_")
        return (
            f"{local}@{domain}".lower()
            if "#EXT#" in user.user_principal_name
            else (user.user_principal_name.lower())
        )

    people = {
        u for t in tenant.tasks.values() for u in (*t.assignee_ids, t.created_by, t.completed_by)
    }
    known = {identity_email(tenant.users[u]) for u in people if u}
    expected, refused = set(), set()
    for item_id, fields in sp.items.items():
        # A Person column names a user; the site's user list gives their mail, else their
        # sign-in name, which is what the row then says.
        user = tenant.users[fields["Employee"]]
        email = (user.mail or user.user_principal_name).lower()
        start = fields["Start"].astimezone(paris).date()
        end = fields["End"].astimezone(paris).date()
        if email not in known or end < start:
            refused.add(item_id)
            continue
        hours = fields.get("HoursPerDay")
        expected.add((email, start, end, float(hours) if hours else None, fields.get("LeaveType")))
    assert expected and (refused or named == "two")
    with GraphSandbox(tenant, page_size=20) as sandbox:
        leave_yaml = (
            "  hr-leave:\n"
            "    type: sharepoint_files\n"
            "    token: ${GRAPH_TOKEN}\n"
            f"    base_url: {sandbox.base_url}\n"
            "    site: contoso.sharepoint.com:/sites/pmo\n"
            f"    list: {LEAVE_LIST}\n"
            "    kind: leave\n"
            "    timezone: Europe/Paris\n"
            "    columns: {person: Employee, start: Start, end: End, hours_per_day: HoursPerDay,"
            " kind: LeaveType}\n"
        )
        groups = sorted({p.group_id for p in tenant.plans.values()})
        path, config = write_config(tmp_path, sandbox, planner_yaml(sandbox, groups) + leave_yaml)
        store = Store.open(config.store, base_dir=path.parent)
        with store:
            results = run_sync(config, store).connectors
            assert not any(r.failed for r in results), results
            identities = live_rows(store, PersonIdentity, SOURCE)
            emails = {PersonIdentity.ref(SOURCE, k): v["email"] for k, v in identities.items()}
            stored = {
                (emails[r["identity_id"]], r["start_date"], r["end_date"], r["hours_per_day"],
                 r["kind"])
                for r in live_rows(store, Leave, SOURCE).values()
            }  # fmt: skip
            assert stored == expected
            reasons = _quarantine(store)
            assert len(reasons) == len(refused)
            assert all(r.startswith(f"list '{LEAVE_LIST}', item ") for r in reasons)
            if named == "many":
                assert any("matches nobody synced" in r for r in reasons)
                assert any("is before Start" in r for r in reasons)
            # deleting an item there retires its leave here
            first = min(set(sp.items) - refused, key=int)
            tenant.delete_list_item(lists.leave_id, first)
            run_sync(config, store)
            assert len(live_rows(store, Leave, SOURCE)) == len(expected) - 1
