"""A Planner plan's RAG from the rag source the YAML names (Planner has no status updates):
a label on a status task, a status task's title, a status bucket, or the PMO's status list.
Synced from the Graph sandbox into a real store; the expected colours are worked out by hand
from what each test writes into the sandbox tenant."""

from __future__ import annotations

from datetime import date

import pytest
from graph_env import PLANNER, live_rows, planner_yaml, write_config

from pmosync.canonical.types import PersonIdentity, Project, StatusUpdate
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.tenant import Bucket, TenantSize, generate_tenant
from pmosync.sandbox.tenant.pmo_lists import HEALTH_LIST, UNKNOWN_PLAN, add_pmo_lists
from pmosync.sandbox.tenant.status_tasks import STATUS_TASK, add_status_tasks
from pmosync.store import Store
from pmosync.sync.run import run_sync
from pmosync.sync.sources import probe_source

TODAY = date(2026, 12, 4)
SMALL = TenantSize(groups=2, plans=5, tasks=60, people=8, timesheet_weeks=1)
RAG_LABELS = {"category21": "On track", "category22": "At risk", "category23": "Off track"}
WORDS = {"On track": "green", "At risk": "amber", "Off track": "red"}
"""The built-in vocabulary's names, by hand."""


@pytest.fixture
def tenant():
    return generate_tenant(seed=11, size=SMALL, today=TODAY, quirks=True)


def _plans(tenant):
    return list(tenant.plans.values())


def _sync(tmp_path, tenant, extra):
    with GraphSandbox(tenant, page_size=20) as sandbox:
        groups = sorted(p.group_id for p in tenant.plans.values())
        path, config = write_config(
            tmp_path, sandbox, planner_yaml(sandbox, sorted(set(groups)), extra=extra)
        )
        store = Store.open(config.store, base_dir=path.parent)
        result = run_sync(config, store).connectors[0]
        checked = probe_source(PLANNER, config.connectors[PLANNER])
    return store, result, checked, config


def _rags(store):
    return {k: v["rag"] for k, v in live_rows(store, Project).items()}


def test_label_on_the_status_task_gives_the_plan_its_rag(tmp_path, tenant):
    a, b, c, d, e = _plans(tenant)
    for plan in (a, b, c, d):
        plan.category_descriptions.update(RAG_LABELS)
    tenant.add_task(a.id, "Project status", applied_categories=["category22"])
    # two RAG labels applied: the more severe (Off track) counts
    tenant.add_task(b.id, "project  STATUS", applied_categories=["category21", "category23"])
    tenant.add_task(c.id, "Project status")  # no label applied
    tenant.add_task(d.id, "Project status (old)", applied_categories=["category21"])  # not it
    store, result, checked, _ = _sync(tmp_path, tenant, "    rag_source: {label: Project status}\n")
    with store:
        assert not result.failed, result
        rags = _rags(store)
        assert rags[a.id] == "amber"  # At risk
        assert rags[b.id] == "red"  # On track + Off track -> Off track
        assert rags[c.id] is None
        assert rags[d.id] is None and rags[e.id] is None
        # one line naming the plans without the status task (d and e), in sync and check
        [line] = [w for w in result.warnings if w.startswith("rag_source")]
        assert "'Project status'" in line
        assert repr(d.title) in line and repr(e.title) in line
        assert repr(a.title) not in line
        assert any(r.level == "warning" and r.message.startswith("rag_source") for r in checked)


def test_status_task_title_carries_the_word(tmp_path, tenant):
    a, b, c, *_ = _plans(tenant)
    tenant.add_task(a.id, "Status: Off track")
    tenant.add_task(b.id, "STATUS - at risk - supplier late")
    tenant.add_task(c.id, "Status: Wobbly")  # a word nobody mapped: no RAG, the plan kept
    store, result, _, _ = _sync(tmp_path, tenant, "    rag_source: {task: Status}\n")
    with store:
        assert not result.failed, result
        rags = _rags(store)
        assert (rags[a.id], rags[b.id], rags[c.id]) == ("red", "amber", None)


def test_rag_vocabulary_maps_a_teams_own_word(tmp_path, tenant):
    a, *_ = _plans(tenant)
    tenant.add_task(a.id, "Status: Wobbly")
    extra = "    rag_source: {task: Status}\n    rag_vocabulary: {Wobbly: amber}\n"
    store, result, _, _ = _sync(tmp_path, tenant, extra)
    with store:
        assert _rags(store)[a.id] == "amber"


def test_first_task_of_the_status_bucket_gives_the_rag(tmp_path, tenant):
    a, b, *_ = _plans(tenant)
    for plan, first, second in ((a, "Off track - vendor late", "On track"), (b, "On track", "")):
        bucket = Bucket(tenant.ids.planner(), "Status", plan.id, tenant.next_order_hint())
        tenant.buckets[bucket.id] = bucket
        # order hints: the first task is first in Planner's order whatever its creation
        later = tenant.next_order_hint()
        earlier = "1" + later[1:]
        tenant.add_task(plan.id, first, bucket_id=bucket.id, order_hint=earlier)
        if second:
            tenant.add_task(plan.id, second, bucket_id=bucket.id, order_hint=later)
    store, result, _, _ = _sync(tmp_path, tenant, "    rag_source: {bucket: status}\n")
    with store:
        assert not result.failed, result
        rags = _rags(store)
        assert (rags[a.id], rags[b.id]) == ("red", "green")
        [line] = [w for w in result.warnings if w.startswith("rag_source")]
        assert "bucket 'status'" in line


def _status_list_yaml(tenant):
    return (
        "    rag_source:\n"
        "      list:\n"
        "        site: contoso.sharepoint.com:/sites/pmo\n"
        f"        list: {HEALTH_LIST}\n"
        "        columns: {project: Project, rag: RAG, text: Comment}\n"
    )


def test_status_list_items_become_status_updates(tmp_path, tenant):
    lists = add_pmo_lists(tenant, seed=5, duplicate_title=True)
    health = tenant.lists[lists.health_id]
    plans = _plans(tenant)
    titles: dict[str, list[str]] = {}
    for plan in plans:
        titles.setdefault(" ".join(plan.title.split()).casefold(), []).append(plan.id)
    # Ground truth from the list as the sandbox holds it: an item naming exactly one plan
    # (case and spacing aside) is a status update, posted when last modified, by its editor.
    expected, refused = {}, set()
    for item_id, fields in health.items.items():
        named = titles.get(" ".join(str(fields["Project"]).split()).casefold(), [])
        if len(named) != 1:
            refused.add(item_id)
            continue
        meta = health.meta[item_id]
        expected[f"{health.id}:{item_id}"] = {
            "project_id": Project.ref(PLANNER, named[0]),
            "rag": WORDS.get(fields.get("RAG")),
            "posted_at": meta.modified_at,
            "author_identity_id": PersonIdentity.ref(PLANNER, meta.modified_by),
            "text": fields.get("Comment"),
        }
    store, result, checked, _ = _sync(tmp_path, tenant, _status_list_yaml(tenant))
    with store:
        assert not result.failed, result
        rows = live_rows(store, StatusUpdate)
        assert set(rows) == set(expected)
        for key, wanted in expected.items():
            got = rows[key]
            posted = got["posted_at"]
            posted = posted if posted.tzinfo else posted.replace(tzinfo=wanted["posted_at"].tzinfo)
            assert posted == wanted["posted_at"]
            assert {k: got[k] for k in ("project_id", "rag", "author_identity_id", "text")} == {
                k: wanted[k] for k in ("project_id", "rag", "author_identity_id", "text")
            }
        # the messy ones: an empty RAG kept as an update without a colour, a guest's author
        # resolved to their own address, an unknown plan and an ambiguous title quarantined
        assert any(v["rag"] is None for v in expected.values())
        identities = live_rows(store, PersonIdentity)
        guests = [u for u in tenant.users.values() if "#EXT#" in u.user_principal_name and u.mail]
        authored = {health.meta[i].modified_by for i in health.items}
        for guest in guests:
            if guest.id in authored:
                assert identities[guest.id]["email"] == guest.mail.lower()
        reasons = _quarantine(store)
        assert len(refused) == len([r for r in reasons if f"list '{HEALTH_LIST}' item" in r])
        assert any(UNKNOWN_PLAN in r and "is no plan" in r for r in reasons), reasons
        assert any("names 2 plans" in r for r in reasons)
        assert any(r.level == "ok" and r.message == "Sites.Read.All: granted" for r in checked)


def _quarantine(store):
    from sqlalchemy import text

    with store.engine.connect() as connection:
        return [row[0] for row in connection.execute(text("SELECT reason FROM quarantine"))]


def test_a_deleted_status_item_retires_its_update(tmp_path, tenant):
    lists = add_pmo_lists(tenant, seed=5)
    health = tenant.lists[lists.health_id]
    store, result, _, _ = _sync(tmp_path, tenant, _status_list_yaml(tenant))
    store.close()
    first = next(iter(health.items))
    tenant.delete_list_item(lists.health_id, first)
    store, result, _, _ = _sync(tmp_path, tenant, _status_list_yaml(tenant))
    with store:
        assert f"{health.id}:{first}" not in live_rows(store, StatusUpdate)


def test_a_missing_status_list_is_one_line(tmp_path, tenant):
    store, result, checked, _ = _sync(tmp_path, tenant, _status_list_yaml(tenant))
    with store:
        assert not result.failed
        assert any(f"has no list '{HEALTH_LIST}'" in w for w in result.warnings)
        assert any(r.level == "error" and f"no list '{HEALTH_LIST}'" in r.message for r in checked)


def test_a_plan_with_a_rag_source_is_not_amber_forever(tmp_path, tenant):
    """Planner has no status updates: before rag_source every plan read amber for "no status
    update" in the portfolio report. With a label source it reads its reported RAG and no rule
    waits for an update its tool cannot post."""
    plans = _plans(tenant)
    for plan in plans:
        plan.category_descriptions.update(RAG_LABELS)
        tenant.add_task(plan.id, "Project status", applied_categories=["category21"])  # On track
    extra = "    rag_source: {label: Project status}\n"
    store, result, _, config = _sync(tmp_path, tenant, extra)
    store.close()
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        path.read_text(encoding="utf-8") + "reports:\n  weekly:\n    kind: portfolio_status\n",
        encoding="utf-8",
    )
    from pmosync.config import load_config
    from pmosync.reports.job import compute_document

    config = load_config(path, environ={"GRAPH_TOKEN": "unused"})
    with Store.open(config.store, base_dir=tmp_path) as store:
        # Today, not the world's TODAY: the store's history begins at this sync, and a report
        # dated before it would be (rightly) refused once the clock has passed TODAY.
        document = compute_document(config, store, "weekly", config.organisation.today())
    [section] = [s for s in document.sections if s.key == "projects"]
    rows = {row["project"]: row for row in section.rows}
    assert set(rows) == {p.title for p in plans}
    for row in rows.values():
        assert row["reported_rag"] == "green"  # the On track label, through the vocabulary
        assert "no status update" not in row["reasons"]


def test_the_sandboxs_status_tasks_read_as_their_labels(tmp_path, tenant):
    said = add_status_tasks(tenant, seed=2)
    store, result, _, _ = _sync(tmp_path, tenant, f"    rag_source: {{label: {STATUS_TASK}}}\n")
    with store:
        assert not result.failed, result
        assert _rags(store) == {plan: WORDS.get(label) for plan, label in said.items()}
        assert None in said.values() and any(said.values())
