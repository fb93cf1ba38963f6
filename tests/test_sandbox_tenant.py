"""The synthetic Microsoft 365 tenant: deterministic, shaped like the brief, and mutable."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest

from pmosync.sandbox.tenant import (
    TIMESHEET_COLUMNS,
    Tenant,
    TenantSize,
    TimesheetRow,
    generate_tenant,
    render_csv,
    render_xlsx,
    tenant_snapshot,
)

TODAY = date(2026, 3, 1)  # a Sunday: the week of Feb 23 is not over yet
PLANNER_ID = re.compile(r"[A-Za-z0-9_-]{28}")
SMALL = TenantSize(groups=3, plans=5, tasks=200, people=12, timesheet_weeks=3)


@pytest.fixture
def tenant() -> Tenant:
    return generate_tenant(seed=5, size="XS", today=TODAY)


@pytest.fixture(scope="module")
def small() -> Tenant:
    """Read-only: tests that mutate use their own tenant."""
    return generate_tenant(seed=11, size=SMALL, today=TODAY)


def _team(tenant: Tenant):
    return next(g for g in tenant.groups.values() if g.is_team)


def _read_sheet(content: bytes, sheet: str) -> list[tuple]:
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return list(workbook[sheet].iter_rows(values_only=True))


# -- determinism and sizes ---------------------------------------------------------------------


def test_same_inputs_same_snapshot_and_any_other_input_differs():
    first = tenant_snapshot(generate_tenant(3, "XS", TODAY))
    assert first == tenant_snapshot(generate_tenant(3, "XS", TODAY))
    assert first != tenant_snapshot(generate_tenant(4, "XS", TODAY))
    assert first != tenant_snapshot(generate_tenant(3, "XS", TODAY + timedelta(days=7)))
    people = [("Ann Example", "ann@contoso.example"), ("Bob Example", "bob@contoso.example")]
    assert first != tenant_snapshot(generate_tenant(3, "XS", TODAY, people))


def test_snapshot_is_plain_json_with_every_task_field(tenant):
    snapshot = tenant_snapshot(tenant)
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert snapshot["today"] == "2026-03-01"
    assert snapshot["tenant_id"] == tenant.tenant_id
    task = snapshot["tasks"][0]
    assert set(task) >= {
        "id",
        "plan_id",
        "bucket_id",
        "title",
        "percent_complete",
        "priority",
        "start_at",
        "due_at",
        "completed_at",
        "completed_by",
        "assignee_ids",
        "applied_categories",
        "version",
        "description",
        "checklist",
        "details_version",
    }
    assert task["created_at"].endswith("Z")
    assert all(p["category_descriptions"] for p in snapshot["plans"])
    sheet = snapshot["timesheets"][0]
    assert sheet["name"] == tenant.items[sheet["item_id"]].name
    assert set(sheet["rows"][0]) == {"email", "date", "hours", "project", "task", "billable"}
    assert sum(len(s["rows"]) for s in snapshot["timesheets"]) == sum(
        len(s.rows) for s in tenant.timesheets.values()
    )


@pytest.mark.parametrize("size", ["XS", "S", "M"])
def test_named_sizes_have_exactly_the_asked_counts(size):
    expected = {
        "XS": (2, 2, 30, 6, 2),
        "S": (2, 6, 900, 20, 8),
        "M": (3, 60, 30_000, 60, 52),
    }[size]
    tenant = generate_tenant(1, size, TODAY)
    counts = (
        len(tenant.groups),
        len(tenant.plans),
        len(tenant.tasks),
        len(tenant.users),
        len(tenant.timesheets),
    )
    assert counts == expected


def test_unknown_size_and_duplicate_people_are_refused():
    with pytest.raises(ValueError, match="unknown tenant size"):
        generate_tenant(1, "XXL", TODAY)
    with pytest.raises(ValueError, match="duplicate email"):
        generate_tenant(1, "XS", TODAY, [("A", "a@x.example"), ("A2", "A@x.example")])


def test_given_people_become_the_users():
    people = [(f"Person {n}", f"Person.{n}@Contoso.example") for n in range(7)]
    tenant = generate_tenant(2, "XS", TODAY, people)
    assert [(u.display_name, u.mail) for u in tenant.users.values()] == people
    assert all(u.user_principal_name == u.mail for u in tenant.users.values())


def test_generated_people_have_lower_case_contoso_emails(small):
    emails = [u.mail for u in small.users.values()]
    assert len(set(emails)) == len(emails) == 12
    for user in small.users.values():
        first, last = user.display_name.lower().split(" ")
        assert user.mail == f"{first}.{last}@contoso.example"
        uuid.UUID(user.id)


# -- directory, sites, files -------------------------------------------------------------------


def test_operations_team_channels_are_folders_in_its_site_drive(small):
    groups = list(small.groups.values())
    team = groups[0]
    assert team.display_name == "Operations" and team.is_team
    assert not any(g.is_team for g in groups[1:])
    site = small.sites[team.site_id]
    assert (site.hostname, site.path) == ("contoso.sharepoint.com", "/sites/operations")
    assert site.id.startswith("contoso.sharepoint.com,")
    channels = small.team_channels(team.id)
    assert [c.display_name for c in channels] == ["General", "Timesheets"]
    root = small.drive_root(site.drive_id)
    assert [i.name for i in small.children(root.id)] == ["General", "Timesheets"]
    for channel in channels:
        folder = small.items[channel.folder_id]
        assert folder.is_folder and folder.parent_id == root.id
        assert channel.id.startswith("19:") and channel.id.endswith("@thread.tacv2")


def test_group_members_and_owners(small):
    everyone = set(small.users)
    in_some_group = set()
    for group in small.groups.values():
        assert set(group.member_ids) <= everyone
        assert 1 <= len(group.owner_ids) <= 2
        assert set(group.owner_ids) <= set(group.member_ids)
        in_some_group |= set(group.member_ids)
    assert in_some_group == everyone


def test_pmo_site_has_an_empty_reports_folder_and_status_list(small):
    site = small.site_by_path("contoso.sharepoint.com", "/sites/pmo")
    root = small.drive_root(site.drive_id)
    reports = small.item_by_path(site.drive_id, "Reports")
    assert reports is not None and reports.is_folder and reports.parent_id == root.id
    assert small.children(reports.id) == []
    status = small.site_list(site.id, "project STATUS")
    assert status.display_name == "Project status" and status.items == {}
    assert small.site_list(site.id, status.id) is status


# -- Planner content ---------------------------------------------------------------------------


def test_plans_titles_unique_with_categories_and_buckets(small):
    titles = [p.title.casefold() for p in small.plans.values()]
    assert len(set(titles)) == len(titles)
    for plan in small.plans.values():
        assert PLANNER_ID.fullmatch(plan.id)
        assert 3 <= len(plan.category_descriptions) <= 6
        assert all(re.fullmatch(r"category\d+", k) for k in plan.category_descriptions)
        assert all(plan.category_descriptions.values())
        assert 3 <= len(small.plan_buckets(plan.id)) <= 6
    assert {p.group_id for p in small.plans.values()} == set(small.groups)


def test_plan_titles_stay_unique_beyond_the_word_combinations():
    # 24 adjectives x 14 subjects = 336 distinct titles per group prefix; 400 plans must repeat.
    size = TenantSize(groups=1, plans=400, tasks=0, people=3, timesheet_weeks=1)
    titles = [p.title for p in generate_tenant(1, size, TODAY).plans.values()]
    assert len({t.casefold() for t in titles}) == 400
    assert any(re.fullmatch(r"Ops — .+ [2-9]", t) for t in titles)


def test_task_fields_are_realistic(small):
    tasks = list(small.tasks.values())
    assert len(tasks) == 200
    percents = [t.percent_complete for t in tasks]
    assert sum(p in (0, 50, 100) for p in percents) / len(tasks) > 0.9
    assert all(0 <= p <= 100 for p in percents)
    assert sum(t.priority in (1, 3, 5, 9) for t in tasks) / len(tasks) > 0.85
    assert all(0 <= t.priority <= 10 for t in tasks)
    midnight = datetime.combine(TODAY, datetime.min.time(), UTC)
    for task in tasks:
        plan = small.plans[task.plan_id]
        assert PLANNER_ID.fullmatch(task.id)
        assert small.buckets[task.bucket_id].plan_id == plan.id
        assert (task.percent_complete == 100) == (task.completed_at is not None)
        assert (task.completed_by is None) == (task.completed_at is None)
        if task.completed_at:
            assert task.created_at < task.completed_at < midnight
        assert plan.created_at < task.created_at < midnight
        if task.start_at and task.due_at:
            assert task.start_at < task.due_at
        for moment in (task.start_at, task.due_at):
            assert moment is None or (moment.tzinfo is UTC and moment.minute == 0)
        assert len(task.assignee_ids) <= 3 and set(task.assignee_ids) <= set(small.users)
        assert len(set(task.assignee_ids)) == len(task.assignee_ids)
        assert all(re.fullmatch(r"category([1-9]|1\d|2[0-5])", c) for c in task.applied_categories)
    assert any(t.description for t in tasks) and any(t.checklist for t in tasks)
    assert any(t.applied_categories for t in tasks) and any(t.assignee_ids for t in tasks)
    members = {t.id: set(small.groups[small.plans[t.plan_id].group_id].member_ids) for t in tasks}
    assert sum(set(t.assignee_ids) <= members[t.id] for t in tasks) / len(tasks) > 0.9


def test_task_count_is_exact_for_uneven_splits():
    size = TenantSize(groups=2, plans=7, tasks=101, people=5, timesheet_weeks=1)
    tenant = generate_tenant(9, size, TODAY)
    assert len(tenant.tasks) == 101
    assert sum(len(tenant.plan_tasks(p)) for p in tenant.plans) == 101


# -- timesheets --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "names"),
    [
        (date(2026, 11, 25), ["Timesheet 2026-W46.xlsx", "Timesheet 2026-W47.xlsx"]),
        (date(2026, 3, 1), ["Timesheet 2026-W07.xlsx", "Timesheet 2026-W08.xlsx"]),
        (date(2026, 3, 2), ["Timesheet 2026-W08.xlsx", "Timesheet 2026-W09.xlsx"]),
        (date(2026, 1, 6), ["Timesheet 2025-W52.xlsx", "Timesheet 2026-W01.xlsx"]),
    ],
)
def test_timesheet_weeks_end_with_last_full_iso_week_before_today(today, names):
    tenant = generate_tenant(1, "XS", today)
    sheets = list(tenant.timesheets.values())
    assert [tenant.items[s.item_id].name for s in sheets] == names
    for sheet in sheets:
        assert sheet.week_start.weekday() == 0
        assert sheet.week_start + timedelta(days=6) < today
        assert (
            tenant.items[sheet.item_id].parent_id
            == tenant.item_by_path(tenant.sites[_team(tenant).site_id].drive_id, "Timesheets").id
        )


def test_timesheet_rows_follow_the_rules(small):
    team = _team(small)
    emails = {small.users[u].mail: u for u in team.member_ids}
    for sheet in small.timesheets.values():
        assert sheet.sheet == "Entries"
        keys = [(r.email, r.day, r.hours, r.project, r.task, r.billable) for r in sheet.rows]
        assert len(set(keys)) == len(keys), "rows must be unique within a workbook"
        by_day: dict[tuple[str, date], list[TimesheetRow]] = {}
        for row in sheet.rows:
            by_day.setdefault((row.email, row.day), []).append(row)
            user_id = emails[row.email]  # only Operations members log time
            plans = [
                p
                for p in small.plans.values()
                if user_id in small.groups[p.group_id].member_ids and p.title == row.project
            ]
            assert len(plans) == 1
            titles = {t.title for t in small.plan_tasks(plans[0].id)}
            assert row.task is None or row.task in titles
            assert row.hours * 4 == int(row.hours * 4) and row.hours >= 1
        workdays = [sheet.week_start + timedelta(days=n) for n in range(5)]
        assert set(by_day) == {(e, d) for e in emails for d in workdays}
        for rows in by_day.values():
            assert 1 <= len(rows) <= 3
            assert 6 <= sum(r.hours for r in rows) <= 9


def test_workbooks_open_with_openpyxl_and_equal_their_rows(small):
    for sheet in small.timesheets.values():
        cells = _read_sheet(small.items[sheet.item_id].content, "Entries")
        assert cells[0] == tuple(TIMESHEET_COLUMNS.values())
        expected = [
            (
                r.email,
                datetime.combine(r.day, datetime.min.time()),
                r.hours,
                r.project,
                r.task,
                "Yes" if r.billable else "No",
            )
            for r in sheet.rows
        ]
        assert cells[1:] == expected
        assert all(isinstance(c[2], int | float) for c in cells[1:])


# -- lookups -----------------------------------------------------------------------------------


def test_user_lookup_by_id_mail_or_upn(tenant):
    user = next(iter(tenant.users.values()))
    assert tenant.user(user.id) is user
    assert tenant.user(user.mail.upper()) is user
    assert tenant.user(user.user_principal_name) is user
    with pytest.raises(KeyError):
        tenant.user("nobody@contoso.example")


def test_site_and_item_by_path(tenant):
    site = tenant.site_by_path("CONTOSO.sharepoint.com", "sites/Operations/")
    assert site.path == "/sites/operations"
    with pytest.raises(KeyError):
        tenant.site_by_path("contoso.sharepoint.com", "/sites/nowhere")
    sheet = next(iter(tenant.timesheets.values()))
    name = tenant.items[sheet.item_id].name
    found = tenant.item_by_path(site.drive_id, f"/timesheets/{name.upper()}")
    assert found is not None and found.id == sheet.item_id
    assert tenant.item_path(sheet.item_id) == f"/Timesheets/{name}"
    assert tenant.item_by_path(site.drive_id, "") == tenant.drive_root(site.drive_id)
    assert tenant.item_by_path(site.drive_id, "Timesheets/missing.xlsx") is None
    assert tenant.item_by_path(site.drive_id, f"Timesheets/{name}/deeper") is None


def test_children_sorted_by_name(tenant):
    site = tenant.site_by_path("contoso.sharepoint.com", "/sites/operations")
    folder = tenant.item_by_path(site.drive_id, "General")
    for name in ("zeta.txt", "Alpha.txt", "beta.txt"):
        tenant.put_file(site.drive_id, folder.id, name, b"x")
    assert [i.name for i in tenant.children(folder.id)] == ["Alpha.txt", "beta.txt", "zeta.txt"]


def test_plan_tasks_in_creation_order(tenant):
    plan_id = next(iter(tenant.plans))
    before = [t.id for t in tenant.tasks.values() if t.plan_id == plan_id]
    assert [t.id for t in tenant.plan_tasks(plan_id)] == before
    new = tenant.add_task(plan_id, "Brand new")
    assert [t.id for t in tenant.plan_tasks(plan_id)] == [*before, new]
    bucket = tenant.plan_buckets(plan_id)[0]
    tenant.edit_task(new, bucket_id=bucket.id)
    assert tenant.bucket_tasks(bucket.id)[-1].id == new


# -- Planner mutations -------------------------------------------------------------------------


def test_add_task_sets_fields_and_completes_at_100(tenant):
    plan = next(iter(tenant.plans.values()))
    bucket = tenant.plan_buckets(plan.id)[1]
    user = next(iter(tenant.users))
    due = datetime(2026, 4, 1, tzinfo=UTC)
    task_id = tenant.add_task(
        plan.id,
        "Order badges",
        bucket_id=bucket.id,
        due_at=due,
        assignee_ids=[user, user],
        applied_categories=["category2"],
        checklist=["one", "two"],
    )
    task = tenant.tasks[task_id]
    assert PLANNER_ID.fullmatch(task_id)
    assert (task.title, task.bucket_id, task.due_at, task.assignee_ids) == (
        "Order badges",
        bucket.id,
        due,
        [user],
    )
    assert [c.title for c in task.checklist] == ["one", "two"]
    assert task.version == 1 and task.completed_at is None
    done = tenant.add_task(plan.id, "Already done", percent_complete=100)
    assert tenant.tasks[done].completed_by == plan.created_by
    with pytest.raises(KeyError):
        tenant.add_task("no-such-plan", "x")
    with pytest.raises(ValueError):
        tenant.add_task(plan.id, "x", colour="red")
    with pytest.raises(ValueError):
        tenant.add_task(plan.id, "x", priority=11)
    with pytest.raises(ValueError):
        tenant.add_task(plan.id, "x", applied_categories=["category26"])


def test_edit_task_bumps_version_only_on_change(tenant):
    task = next(t for t in tenant.tasks.values() if t.percent_complete < 100)
    version, details = task.version, task.details_version
    tenant.edit_task(task.id, title=task.title, priority=task.priority)
    assert task.version == version
    tenant.edit_task(task.id, title=task.title + "!")
    assert task.version == version + 1 and task.details_version == details
    tenant.edit_task(task.id, percent_complete=100)
    assert task.completed_at is not None and task.version == version + 2
    tenant.edit_task(task.id, percent_complete=50)
    assert task.completed_at is None and task.completed_by is None
    assert task.version == version + 3


def test_details_edits_bump_details_version_and_task_when_shown(tenant):
    task = next(t for t in tenant.tasks.values() if not t.description)
    version, details = task.version, task.details_version
    tenant.edit_task(task.id, description="First words")
    assert task.details_version == details + 1
    assert task.version == version + 1  # hasDescription flipped
    tenant.edit_task(task.id, description="Other words")
    assert task.details_version == details + 2
    assert task.version == version + 1  # the task resource shows nothing new


def test_delete_task_and_delete_plan(tenant):
    plans = list(tenant.plans)
    gone, kept = plans[0], plans[1]
    kept_tasks = [t.id for t in tenant.plan_tasks(kept)]
    first = tenant.plan_tasks(gone)[0].id
    tenant.delete_task(first)
    assert first not in tenant.tasks
    assert first not in [t.id for t in tenant.plan_tasks(gone)]
    with pytest.raises(KeyError):
        tenant.delete_task(first)
    tenant.delete_plan(gone)
    assert gone not in tenant.plans
    assert not any(t.plan_id == gone for t in tenant.tasks.values())
    assert not any(b.plan_id == gone for b in tenant.buckets.values())
    assert [t.id for t in tenant.plan_tasks(kept)] == kept_tasks
    with pytest.raises(KeyError):
        tenant.plan_tasks(gone)


def test_mutate_fraction_is_deterministic_and_touches_what_it_says():
    one = generate_tenant(3, SMALL, TODAY)
    two = generate_tenant(3, SMALL, TODAY)
    before = {t.id: (t.version, t.details_version) for t in one.tasks.values()}
    touched = one.mutate_fraction(0.1, seed=42)
    assert touched == two.mutate_fraction(0.1, seed=42)
    assert len(touched) == 20 == len(set(touched))
    for task in one.tasks.values():
        moved = (task.version, task.details_version) != before[task.id]
        assert moved == (task.id in touched)
    # Some edits touch only the details (a description, a checklist item's title): the task's
    # own version (its etag) stays, only the details' moves.
    details_only = [
        t for t in touched if one.tasks[t].version == before[t][0]
    ]  # fmt: skip
    assert details_only and all(one.tasks[t].details_version > before[t][1] for t in details_only)
    strip = {"completed_at"}  # stamped by the wall clock at mutation time
    for task_id in touched:
        a, b = one.tasks[task_id], two.tasks[task_id]
        assert {k: v for k, v in tenant_snapshot_task(a).items() if k not in strip} == {
            k: v for k, v in tenant_snapshot_task(b).items() if k not in strip
        }
    assert one.mutate_fraction(0.1, seed=43) != touched
    assert one.mutate_fraction(0, seed=1) == []


def tenant_snapshot_task(task) -> dict:
    return {
        "title": task.title,
        "percent": task.percent_complete,
        "due": task.due_at,
        "assignees": task.assignee_ids,
        "categories": task.applied_categories,
        "completed_at": task.completed_at,
        "version": task.version,
    }


# -- files -------------------------------------------------------------------------------------


def test_put_file_conflict_behaviours(tenant):
    site = tenant.site_by_path("contoso.sharepoint.com", "/sites/pmo")
    reports = tenant.item_by_path(site.drive_id, "Reports")
    first = tenant.put_file(site.drive_id, reports.id, "Status.xlsx", b"one")
    assert (first.version, first.content) == (1, b"one")
    replaced = tenant.put_file(site.drive_id, reports.id, "status.XLSX", b"two")
    assert replaced.id == first.id and replaced.version == 2 and replaced.content == b"two"
    with pytest.raises(ValueError, match="^nameAlreadyExists$"):
        tenant.put_file(site.drive_id, reports.id, "Status.xlsx", b"three", conflict="fail")
    renamed = tenant.put_file(site.drive_id, reports.id, "Status.xlsx", b"3", conflict="rename")
    again = tenant.put_file(site.drive_id, reports.id, "Status.xlsx", b"4", conflict="rename")
    assert (renamed.name, again.name) == ("Status 1.xlsx", "Status 2.xlsx")
    assert tenant.items[first.id].content == b"two"
    with pytest.raises(ValueError, match="nameAlreadyExists"):
        tenant.put_file(site.drive_id, None, "Reports", b"not a folder")
    with pytest.raises(ValueError, match="invalid"):
        tenant.put_file(site.drive_id, None, "a:b.txt", b"")
    root_file = tenant.put_file(site.drive_id, None, "top.csv", b"a,b")
    assert tenant.item_by_path(site.drive_id, "top.csv").id == root_file.id


def test_folders_are_idempotent_and_deletes_take_subtrees(tenant):
    site = tenant.site_by_path("contoso.sharepoint.com", "/sites/pmo")
    deep = tenant.ensure_folders(site.drive_id, "Reports/2026/March")
    assert tenant.item_path(deep.id) == "/Reports/2026/March"
    assert tenant.make_folder(site.drive_id, deep.parent_id, "MARCH").id == deep.id
    report = tenant.put_file(site.drive_id, deep.id, "r.html", b"<p>")
    with pytest.raises(ValueError, match="nameAlreadyExists"):
        tenant.make_folder(site.drive_id, deep.id, "r.html")
    year = tenant.items[deep.parent_id]
    tenant.delete_item(year.id)
    assert {year.id, deep.id, report.id}.isdisjoint(tenant.items)
    assert tenant.item_by_path(site.drive_id, "Reports") is not None
    with pytest.raises(ValueError):
        tenant.delete_item(tenant.drive_root(site.drive_id).id)


def test_write_timesheet_rerenders_and_replacing_drops_ground_truth(tenant):
    item_id, sheet = next(iter(tenant.timesheets.items()))
    item = tenant.items[item_id]
    rows = sheet.rows[:2] + [
        TimesheetRow("someone@contoso.example", sheet.week_start, 2.5, "Ops", None, False)
    ]
    tenant.write_timesheet(item_id, rows)
    assert item.version == 2 and tenant.timesheets[item_id].rows == rows
    cells = _read_sheet(item.content, "Entries")[1:]
    assert [c[0] for c in cells] == [r.email for r in rows]
    assert cells[-1][2:] == (2.5, "Ops", None, "No")
    tenant.put_file(item.drive_id, item.parent_id, item.name, b"overwritten")
    assert item.version == 3 and item_id not in tenant.timesheets
    other = next(iter(tenant.timesheets))
    tenant.delete_item(other)
    assert other not in tenant.timesheets


# -- lists, mail, lock -------------------------------------------------------------------------


def test_list_items_and_mail(tenant):
    site = tenant.site_by_path("contoso.sharepoint.com", "/sites/pmo")
    status = tenant.site_list(site.id, "Project status")
    assert tenant.add_list_item(status.id, {"Title": "A"}) == "1"
    assert tenant.add_list_item(status.id, {"Title": "B"}) == "2"
    assert status.items["2"] == {"Title": "B"}
    with pytest.raises(KeyError):
        tenant.add_list_item("nope", {})
    mail = tenant.record_mail("pmo@contoso.example", {"subject": "Weekly"}, False)
    assert tenant.sent_mail == [mail] and mail.message == {"subject": "Weekly"}
    assert tenant_snapshot(tenant)["sent_mail"] == 1


def test_mutations_wait_for_a_reader_holding_the_lock(tenant):
    task = next(iter(tenant.tasks.values()))
    done = threading.Event()

    def edit() -> None:
        tenant.edit_task(task.id, title="Changed under the lock?")
        done.set()

    with tenant.lock:
        worker = threading.Thread(target=edit)
        worker.start()
        time.sleep(0.1)
        assert not done.is_set() and task.title != "Changed under the lock?"
    worker.join(5)
    assert done.is_set() and task.title == "Changed under the lock?"


# -- workbook rendering ------------------------------------------------------------------------


def test_render_xlsx_writes_dates_numbers_and_empty_cells():
    content = render_xlsx("Data", ["When", "Note", "Hours"], [[date(2026, 1, 2), None, 7.5]])
    assert _read_sheet(content, "Data") == [
        ("When", "Note", "Hours"),
        (datetime(2026, 1, 2), None, 7.5),
    ]
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    assert workbook["Data"]["A2"].is_date


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b"Who"), ("utf-8-sig", b"\xef\xbb\xbfWho"), ("cp1252", b"Who")],
)
def test_render_csv_encodings(encoding, prefix):
    content = render_csv(["Who", "Cost"], [["Müller", "€ 12"], ["x", None]], encoding)
    assert content.startswith(prefix)
    text = content.decode(encoding)
    assert list(csv.reader(io.StringIO(text))) == [["Who", "Cost"], ["Müller", "€ 12"], ["x", ""]]
    if encoding == "cp1252":
        assert b"M\xfcller" in content and b"\x80 12" in content
    semicolons = render_csv(["a", "b"], [[date(2026, 1, 2), 1.5]], delimiter=";")
    assert semicolons == b"a;b\r\n2026-01-02;1.5\r\n"


# -- quirks: what real directories hold ---------------------------------------------------------


def test_quirks_add_guests_a_mailless_account_lookalike_groups_and_paris_dates():
    plain = generate_tenant(3, SMALL, TODAY)
    odd = generate_tenant(3, SMALL, TODAY, quirks=True)
    assert tenant_snapshot(odd) == tenant_snapshot(generate_tenant(3, SMALL, TODAY, quirks=True))
    assert all(u.mail and "#EXT#" not in u.user_principal_name for u in plain.users.values())
    assert all(g.kind == "unified" for g in plain.groups.values())
    assert plain.planner_zone == "UTC"
    users = {u.display_name: u for u in odd.users.values()}
    ana, wei, robot = users["Ana Ortiz"], users["Wei Li"], users["Planner Robot"]
    assert (ana.mail, ana.user_principal_name) == (
        "ana.ortiz@fabrikam.example",
        "ana.ortiz_fabrikam.example#EXT#@contoso.onmicrosoft.com",
    )
    assert (wei.mail, wei.user_principal_name) == (
        None,
        "wei_li_northwind.example#EXT#@contoso.onmicrosoft.com",
    )
    assert (robot.mail, robot.user_principal_name) == (None, "planner.robot@contoso.example")
    named = sorted((g.kind, g.is_team, bool(odd.group_plans(g.id))) for g in odd.groups.values()
                   if g.display_name == "Operations")  # fmt: skip
    assert named == [("distribution", False, False), ("security", False, False),
                     ("unified", True, True)]  # fmt: skip
    # Dates picked in Paris: midnight there is 23:00 (winter) or 22:00 (summer) UTC the day
    # before, and never a UTC midnight.
    assert odd.planner_zone == "Europe/Paris"
    dues = [t.due_at for t in odd.tasks.values() if t.due_at]
    assert dues and all(d.hour in (22, 23, 6, 7, 10, 11) for d in dues)
    assert {d.hour for d in dues} & {22, 23}
