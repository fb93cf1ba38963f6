"""The RAID log from Microsoft 365: Planner tasks of a RAID bucket or carrying a RAID label, and
the PMO site's "Risks" and "Issues" lists, synced through msgraph-sdk from the Graph sandbox
into a real store (SQLite and PostgreSQL).

The expected items are worked out here from what the sandbox tenant holds, with the rules
written out by hand: list choices read through the built-in words (Open/New -> open;
Monitoring/In progress -> in_progress; Mitigated/Closed/Resolved -> closed; an empty status
is open), impact "3 - Medium" is 3, a date is the site's day, a Planner task's progress 0/50/
100 is open/in progress/closed, its kind the title's prefix, its owner its first assignee.
"""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from graph_env import PLANNER, live_rows, planner_yaml, write_config
from sqlalchemy import text

from pmosync.canonical.types import PersonIdentity, Project, RaidItem, Task
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.tenant import TenantSize, generate_tenant
from pmosync.sandbox.tenant.pmo_lists import UNKNOWN_PLAN, add_pmo_lists
from pmosync.sandbox.tenant.raid_lists import (
    FORMULA,
    HOSTILE_TITLE,
    ISSUES_LIST,
    LONG_TEXT,
    NUL_TEXT,
    RISKS_LIST,
    RLO_TITLE,
    add_raid,
)
from pmosync.store import Store
from pmosync.sync.run import run_sync
from pmosync.sync.sources import probe_source

TODAY = date(2026, 12, 4)
SMALL = TenantSize(groups=2, plans=5, tasks=60, people=8, timesheet_weeks=1)
SITE = "contoso.sharepoint.com:/sites/pmo"
RAID_YAML = f"""    timezone: Europe/Paris
    raid:
      bucket: RAID log
      label: {{risk: RAID risk, issue: RAID issue}}
      lists:
        - site: {SITE}
          list: {RISKS_LIST}
          kind: risk
          columns: {{title: Title, project: Project, owner: Owner, status: Status0,
                     probability: Probability0, impact: Impact, mitigation: Mitigation,
                     raised: Date_x0020_raised, due: Due_x0020_date}}
        - site: {SITE}
          list: {ISSUES_LIST}
          columns: {{title: Title, type: IssueType, project: Project, owner: AssignedTo,
                     status: Status0, description: Description, resolution: Resolution,
                     due: Due_x0020_date, closed: Closed}}
"""
STATUS = {"Open": "open", "New": "open", "Monitoring": "in_progress",
          "In progress": "in_progress", "Mitigated": "closed", "Closed": "closed",
          "Resolved": "closed", None: "open"}  # fmt: skip
KINDS = {"Issue": "issue", "Decision": "decision", "Assumption": "assumption",
         "Change request": "change_request"}  # fmt: skip
PREFIXES = {"Risk: ": "risk", "[Issue] ": "issue", "Decision - ": "decision",
            "Assumption: ": "assumption"}  # fmt: skip


@pytest.fixture
def tenant():
    tenant = generate_tenant(seed=11, size=SMALL, today=TODAY, quirks=True)
    tenant.planner_zone = "Europe/Paris"  # the site's zone: days are midnight there
    add_pmo_lists(tenant, seed=5)
    return tenant


def _sync(tmp_path, tenant, store_url=None, extra=RAID_YAML):
    with GraphSandbox(tenant, page_size=20) as sandbox:
        groups = sorted({p.group_id for p in tenant.plans.values()})
        path, config = write_config(
            tmp_path, sandbox, planner_yaml(sandbox, groups, extra=extra), store=store_url
        )
        store = Store.open(config.store, base_dir=path.parent)
        result = run_sync(config, store).connectors[0]
        checked = probe_source(PLANNER, config.connectors[PLANNER])
    return store, result, checked


def _quarantine(store):
    """The reasons of the open quarantine entries."""
    query = text("SELECT reason FROM quarantine WHERE resolved_at IS NULL")
    with store.engine.connect() as connection:
        return [r[0] for r in connection.execute(query)]


def _words(value) -> str:
    return " ".join(str(value or "").split()).casefold()


def _day(value, zone="Europe/Paris"):
    return value.astimezone(ZoneInfo(zone)).date() if value is not None else None


def expected_lists(tenant, data):
    """Source id -> expected fields of every list item that maps; and the refused ones."""
    titles: dict[str, list[str]] = {}
    for plan in tenant.plans.values():
        titles.setdefault(_words(plan.title), []).append(plan.id)
    expected, refused = {}, {}
    for list_id, kind_column, owner_column in (
        (data.risks_id, None, "Owner"),
        (data.issues_id, "IssueType", "AssignedTo"),
    ):
        sp = tenant.lists[list_id]
        for item_id, fields in sp.items.items():
            key = f"list:{list_id}:{item_id}"
            status = fields.get("Status0")
            probability = fields.get("Probability0")
            if status not in STATUS or (probability is not None and not 1 <= probability <= 5):
                refused[key] = fields["Title"]
                continue
            plans = titles.get(_words(fields.get("Project")), [])
            impact = fields.get("Impact")
            impact = int(impact[0]) if impact else None
            owner = fields.get(owner_column)
            typed = {c: t for (lst, i, c), t in data.typed.items()
                     if (lst, i) == (list_id, item_id)}  # fmt: skip
            expected[key] = {
                "kind": KINDS[fields[kind_column]] if kind_column else "risk",
                "title": fields["Title"],
                "project_id": Project.ref(PLANNER, plans[0]) if len(plans) == 1 else None,
                "status": STATUS[status],
                "owner_identity_id": PersonIdentity.ref(PLANNER, owner) if owner else None,
                "probability": probability,
                "impact": impact,
                # the list gives no score: probability x impact, when both are known
                "score": probability * impact if probability and impact else None,
                "due_date": _day(fields.get("Due_x0020_date")),
                "closed_on": _day(fields.get("Closed")),
                # the store keeps no NUL (PostgreSQL cannot): the rest verbatim
                "mitigation": typed.get("Mitigation", "").replace("\x00", "") or None,
                "resolution": typed.get("Resolution") or None,
                "description": fields.get("Description"),
            }
            if "Date_x0020_raised" in fields:
                expected[key]["raised_on"] = _day(fields["Date_x0020_raised"])
    return expected, refused


def expected_tasks(tenant, data):
    """Source id -> expected fields of each RAID task that maps; and the refused task ids."""
    expected, refused = {}, set()
    marks = re.compile(r" P(\d) I(\d)$")
    for task_id in data.tasks:
        task = tenant.tasks[task_id]
        title = task.title
        kind = next((k for p, k in PREFIXES.items() if title.startswith(p)), None)
        if any(data.labels.get(c) == "RAID risk" for c in task.applied_categories):
            kind = "risk"  # the RAID risk label
        found = marks.search(title)
        p, i = (int(found.group(1)), int(found.group(2))) if found else (None, None)
        if kind is None or (p is not None and not (1 <= p <= 5 and 1 <= i <= 5)):
            refused.add(task_id)
            continue
        for prefix in PREFIXES:
            title = title.removeprefix(prefix)
        title = marks.sub("", title)
        status = {0: "open", 100: "closed"}.get(task.percent_complete, "in_progress")
        expected[f"task:{task_id}"] = {
            "kind": kind,
            "title": title,
            "project_id": Project.ref(PLANNER, task.plan_id),
            "status": status,
            "owner_identity_id": (
                PersonIdentity.ref(PLANNER, task.assignee_ids[0]) if task.assignee_ids else None
            ),
            "probability": p,
            "impact": i,
            "score": p * i if p else None,
            "due_date": _day(task.due_at),
            "closed_on": _day(task.completed_at) if status == "closed" else None,
        }
    return expected, refused


def _compare(rows, expected):
    problems = []
    for key in sorted(set(expected) - set(rows)):
        problems.append(f"{key} missing")
    for key in sorted(set(rows) - set(expected)):
        problems.append(f"{key} should not be live")
    for key in sorted(set(rows) & set(expected)):
        for column, value in expected[key].items():
            if rows[key][column] != value:
                problems.append(f"{key}.{column}: store {rows[key][column]!r}, want {value!r}")
    return problems


def test_raid_lists_and_planner_raid_tasks_reach_the_store(tmp_path, tenant, store_url):
    data = add_raid(tenant, seed=3)
    lists, refused_items = expected_lists(tenant, data)
    tasks, refused_tasks = expected_tasks(tenant, data)
    store, result, checked = _sync(tmp_path, tenant, store_url)
    with store:
        assert not result.failed, result
        rows = live_rows(store, RaidItem)
        assert _compare(rows, {**lists, **tasks}) == []
        # RAID tasks are not work: no Task for them, every other task still one
        work = live_rows(store, Task)
        assert not set(data.tasks) & set(work)
        assert len(work) == len(tenant.tasks) - len(data.tasks)
        # the messy ones, each seen: a guest owner, an empty status, a title twice, a plan
        # in other case, an unknown plan and no plan (portfolio-wide), a float probability
        guests = {u.id for u in tenant.users.values() if "#EXT#" in u.user_principal_name}
        assert any(r["owner_identity_id"] in {PersonIdentity.ref(PLANNER, g) for g in guests}
                   for r in rows.values())  # fmt: skip
        portfolio_wide = [r["title"] for r in rows.values() if r["project_id"] is None]
        assert "Office move may disrupt two teams" in portfolio_wide
        assert "Market downturn cuts the portfolio budget" in portfolio_wide
        assert any(UNKNOWN_PLAN in w and "portfolio-wide" in w for w in result.warnings)
        reasons = _quarantine(store)
        # bad values quarantined, naming the list and the item: 'Parked' and probability 7
        assert len(refused_items) == 2, refused_items
        for key in refused_items:
            item = key.rsplit(":", 1)[1]
            assert any(f"list '{RISKS_LIST}' item {item}:" in r for r in reasons), reasons
        assert any("'Parked'" in r for r in reasons) and any("7" in r for r in reasons)
        assert len(refused_tasks) == 2  # no kind; P7
        assert any("names no kind" in r for r in reasons)
        assert any("P7 I2" in r for r in reasons)
        # hostile strings stored verbatim (rich text read as its text)
        titles = {r["title"] for r in rows.values()}
        assert {HOSTILE_TITLE, RLO_TITLE, FORMULA} <= titles
        texts = {r["mitigation"] for r in rows.values()} | {r["resolution"] for r in rows.values()}
        assert FORMULA + "\n<script>alert(1)</script>" in texts and HOSTILE_TITLE in texts
        assert NUL_TEXT.replace("\x00", "") in texts and LONG_TEXT in texts
        assert LONG_TEXT in {r["description"] for r in rows.values()}
        # check: one line per RAID list
        lines = [r.message for r in checked if r.message.startswith("raid list")]
        assert len(lines) == 2 and all("columns present" in m for m in lines), checked


def test_incremental_sync_follows_edits_deletions_and_moves(tmp_path, tenant):
    data = add_raid(tenant, seed=3)
    store, result, _ = _sync(tmp_path, tenant)
    store.close()
    risks = tenant.lists[data.risks_id]
    edited, deleted = list(risks.items)[:2]
    tenant.edit_list_item(data.risks_id, edited, {"Status0": "Closed", "Probability0": 5})
    tenant.delete_list_item(data.risks_id, deleted)
    # a RAID task moved to a work bucket is work again; a work task moved in is a RAID item
    moved_out = next(t for t in data.tasks if tenant.tasks[t].title.startswith("[Issue] "))
    plan = tenant.tasks[moved_out].plan_id
    work_bucket = next(b for b in tenant.plan_buckets(plan) if b.id != data.buckets[plan])
    tenant.edit_task(moved_out, bucket_id=work_bucket.id)
    moved_in = next(t for t in tenant.plan_tasks(plan) if t.id not in data.tasks)
    tenant.edit_task(moved_in.id, bucket_id=data.buckets[plan], title="Risk: " + moved_in.title)
    store, result, _ = _sync(tmp_path, tenant)
    with store:
        assert not result.failed, result
        rows = live_rows(store, RaidItem)
        assert rows[f"list:{data.risks_id}:{edited}"]["status"] == "closed"
        assert rows[f"list:{data.risks_id}:{edited}"]["probability"] == 5
        assert f"list:{data.risks_id}:{deleted}" not in rows
        assert f"task:{moved_out}" not in rows
        assert moved_out in live_rows(store, Task)
        assert rows[f"task:{moved_in.id}"]["kind"] == "risk"
        assert moved_in.id not in live_rows(store, Task)
        # a quarantined item fixed upstream leaves quarantine and joins the log
        parked = next(i for i, f in risks.items.items() if f.get("Status0") == "Parked")
        assert f"list:{data.risks_id}:{parked}" not in rows
    tenant.edit_list_item(data.risks_id, parked, {"Status0": "Open"})
    store, result, _ = _sync(tmp_path, tenant)
    with store:
        assert live_rows(store, RaidItem)[f"list:{data.risks_id}:{parked}"]["status"] == "open"
        assert not any("'Parked'" in r for r in _quarantine(store))


def test_a_missing_list_is_one_warning_and_retires_nothing(tmp_path, tenant):
    data = add_raid(tenant, seed=3)
    store, _, _ = _sync(tmp_path, tenant)
    store.close()
    before = len(tenant.lists[data.issues_id].items)
    tenant.lists[data.issues_id].display_name = "Issues (archived)"
    store, result, checked = _sync(tmp_path, tenant)
    with store:
        assert not result.failed, result
        assert any(w.startswith(f"raid list '{ISSUES_LIST}' skipped") for w in result.warnings)
        issues = [k for k in live_rows(store, RaidItem) if k.startswith(f"list:{data.issues_id}:")]
        assert before > 0 and len(issues) > 0  # kept from the first sync
        assert any(r.level == "error" and ISSUES_LIST in r.message for r in checked)


def test_check_names_a_raid_column_the_list_does_not_have(tmp_path, tenant):
    add_raid(tenant, seed=3)
    # the display name, not the internal one: "Probability" is Probability0 on this list
    extra = RAID_YAML.replace("probability: Probability0", "probability: Probability")
    store, _, checked = _sync(tmp_path, tenant, extra=extra)
    store.close()
    [risks] = [r for r in checked if r.message.startswith(f"raid list '{RISKS_LIST}'")]
    assert risks.level == "error" and "'Probability'" in risks.message, risks
    assert "Probability0" in risks.message  # the list's own names, to pick from
    [issues] = [r for r in checked if r.message.startswith(f"raid list '{ISSUES_LIST}'")]
    assert issues.level == "ok"


def test_the_sandbox_raid_log_is_deterministic_and_grows_with_the_plans():
    def made(size):
        tenant = generate_tenant(seed=4, size=size, today=TODAY)
        add_pmo_lists(tenant, seed=4)
        data = add_raid(tenant, seed=4)
        items = [sorted(tenant.lists[i].items.items()) for i in (data.risks_id, data.issues_id)]
        titles = sorted(tenant.tasks[t].title for t in data.tasks)
        return items, titles, len(tenant.plans)

    assert made(SMALL) == made(SMALL)
    (risks, _), tasks, plans = made(SMALL)
    (more_risks, _), more_tasks, more_plans = made(TenantSize(2, 12, 120, 10, 1))
    # 1-3 risks and 2-4 RAID tasks a plan, besides a fixed handful of odd ones
    assert plans < more_plans and len(risks) < len(more_risks) and len(tasks) < len(more_tasks)
    assert len(more_risks) >= more_plans and len(more_tasks) >= 2 * more_plans
