"""Hostile text from sources, end to end: a NUL in any upstream text is kept out of the store
without losing the record, on SQLite and PostgreSQL alike.

PostgreSQL refuses NUL in text and the ``\\u0000`` escape in JSON/JSONB: before the fix one such
name failed the whole page (and with it the connector) there, while SQLite kept it. The sandbox
worlds are given the NUL through their own data structures; the expected text is the sandbox's
with the NUL taken out by hand.
"""

from __future__ import annotations

from datetime import date

import pytest
from asana_env import differences
from asana_env import live_rows as asana_rows
from asana_env import write_config as asana_config
from graph_env import live_rows as planner_rows
from graph_env import planner_differences, planner_yaml
from graph_env import write_config as graph_config
from sqlalchemy import select

from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.canonical.types import PersonIdentity, Phase, Task
from pmosync.config import load_config
from pmosync.reports.delivery import deliver_report
from pmosync.reports.document import Column, RenderedFile, ReportDocument, Section
from pmosync.reports.snapshots import save_snapshot
from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.org import generate_org
from pmosync.sandbox.tenant import TenantSize, generate_tenant
from pmosync.store import Store
from pmosync.store.ledger import Ledger
from pmosync.store.schema import checkpoints, quarantine, run_streams
from pmosync.sync.run import run_sync


def _run(path, config):
    store = Store.open(config.store, base_dir=path.parent)
    try:
        return store, run_sync(config, store).connectors
    except BaseException:
        store.close()
        raise


def test_an_asana_user_name_with_nul_is_kept_without_it(tmp_path, store_url):
    org = generate_org(seed=11, size="XS")
    person = next(iter(org.people.values()))
    person.name = "Ali\x00ce \x00Ng"
    with AsanaSandbox(org) as sandbox:
        path, config = asana_config(tmp_path, sandbox, store=store_url)
        store, results = _run(path, config)
    with store:
        assert not results[0].failed, results[0]
        assert differences(store, org) == []  # every record of every stream is there
        identities = asana_rows(store, PersonIdentity)
        assert identities[person.gid]["name"] == "Alice Ng"
        assert identities[person.gid]["email"] == person.email.lower()
        with store.engine.connect() as connection:
            assert connection.scalar(select(quarantine.c.id)) is None


def test_a_planner_bucket_and_label_with_nul_are_kept_without_it(tmp_path, store_url):
    tenant = generate_tenant(seed=7, size=TenantSize(2, 2, 40, 6, 1))
    bucket = next(iter(tenant.buckets.values()))
    bucket.name = "\x00Back\x00log"
    plan = tenant.plans[bucket.plan_id]
    labelled = next(t for t in tenant.tasks.values() if t.plan_id == plan.id)
    category = "category7"
    labelled.applied_categories = sorted({*labelled.applied_categories, category})
    plan.category_descriptions[category] = "Cus\x00tomer"  # a tag: JSON list column
    groups = sorted(tenant.groups)
    with GraphSandbox(tenant) as sandbox:
        path, config = graph_config(
            tmp_path, sandbox, planner_yaml(sandbox, groups), store=store_url
        )
        store, results = _run(path, config)
    with store:
        assert not results[0].failed, results[0]
        phases, tasks = planner_rows(store, Phase), planner_rows(store, Task)
        assert phases[bucket.id]["name"] == "Backlog"
        assert "Customer" in tasks[labelled.id]["tags"]
        # everything else exactly as the tenant has it (the two texts above aside)
        ours = (f"phase {bucket.id}.name", f"task {labelled.id}.tags")
        assert [
            p for p in planner_differences(store, tenant, groups) if not p.startswith(ours)
        ] == []
        assert len(tasks) == sum(t.plan_id in {p.id for p in tenant.plans.values()
                                               if p.group_id in groups}
                                 for t in tenant.tasks.values())  # fmt: skip
        with store.engine.connect() as connection:
            assert connection.scalar(select(quarantine.c.id)) is None


def test_quarantine_checkpoint_and_ledger_text_lose_their_nul(store):
    """What the store keeps besides records: a quarantined payload (text and JSON alike), its
    reason, a checkpoint and a ledger error; none may fail on PostgreSQL."""
    ledger = Ledger(store.engine)
    run_id = ledger.start_run()
    stream = ledger.start_stream(run_id, "c", "tasks")
    with store.writer(stream) as writer:
        writer.quarantine({"gid": "1", "name": "bad\x00name", "k\x00": ["x\x00"]}, "why\x00 not")
        writer.quarantine("raw \x00 text", "text payload", record_key="k\x002")
        writer.save_checkpoint({"sync": "tok\x00en", "seen": ["a\x00"]})
    ledger.finish_stream(stream, "failed", "name 'x\x00y' refused")
    ledger.finish_run(run_id, "failed", "connector c: name 'x\x00y' refused")
    with store.engine.connect() as connection:
        entries = connection.execute(
            select(quarantine.c.record_key, quarantine.c.payload, quarantine.c.reason).order_by(
                quarantine.c.id
            )
        ).all()
        state = connection.scalar(select(checkpoints.c.state))
        error = connection.scalar(select(run_streams.c.error))
    assert entries[0].payload == '{"gid": "1", "k": ["x"], "name": "badname"}'
    assert entries[0].reason == "why not"
    assert tuple(entries[1]) == ("k2", "raw  text", "text payload")
    assert state == {"sync": "token", "seen": ["a"]}
    assert error == "name 'xy' refused"
    assert ledger.recent_runs(1)[0]["error"] == "connector c: name 'xy' refused"


def test_a_record_with_nul_keeps_its_key_and_is_unchanged_the_second_time(store):
    """The record is found again by its cleaned key: the same batch twice writes nothing new,
    and a listing that still names it (with the NUL) does not tombstone it."""
    task = Task(source="s", source_id="t\x001", project_id="p", name="A\x00B", tags=["x\x00y"])
    with store.writer() as writer:
        first = writer.upsert([task])
    with store.writer() as writer:
        second = writer.upsert([task])
        gone = writer.soft_delete_missing(Task, "s", ["t\x001"])
    assert (first.inserted, second.unchanged, gone) == (1, 1, [])
    with store.engine.connect() as connection:
        row = connection.execute(select(ENTITY_TABLES[Task])).one()
    assert (row.source_id, row.name, row.tags, row.deleted_at) == ("t1", "AB", ["xy"], None)


@pytest.mark.parametrize("text", ["\x00", "a\x00", "\x00\x00b"])
def test_without_nul_keeps_everything_else(text):
    from pmosync.canonical.text import without_nul

    assert without_nul({"k": [text, 1, None, (text,)]}) == {
        "k": [text.replace("\x00", ""), 1, None, (text.replace("\x00", ""),)]
    }


# -- the SharePoint status list ------------------------------------------------------------------

HOSTILE_TITLES = {
    '=HYPERLINK("http://x","y")': '\'=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0",
    "-2+3": "'-2+3",
    "@SUM(1)": "'@SUM(1)",
    "\t=1+1": "'=1+1",
    "Two\r\nlines\tand a tab": "Two lines and a tab",
    "nul\x00inside": "nulinside",
    "invoice_\u202egpj.exe": "invoice_gpj.exe",
    "Plain name": "Plain name",
}
"""A project name as the report has it -> the Title the list must get (worked out by hand)."""


def _delivery_config(tmp_path, sandbox):
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        "connectors:\n"
        + planner_yaml(sandbox, sorted(sandbox.tenant.groups))
        + "reports:\n  weekly:\n    kind: portfolio_status\n    deliver:\n"
        '      - sharepoint:\n          site: "contoso.sharepoint.com:/sites/pmo"\n'
        '          folder: "Reports"\n          list: "Project status"\n',
        encoding="utf-8",
    )
    return load_config(path, environ={"GRAPH_TOKEN": sandbox.token})


def _deliver_titles(config, store, run_id):
    rows = tuple({"name": name, "rag": "green"} for name in HOSTILE_TITLES)
    columns = (Column("name", "Project", "text", link="url"), Column("rag", "RAG", "rag"))
    document = ReportDocument(
        "weekly", "portfolio_status", "Weekly", "2026-03-04", "2026-03-04T07:00:00+00:00",
        sections=(Section("projects", "Projects", columns, rows),),
    )  # fmt: skip
    save_snapshot(store, run_id, document)
    files = [RenderedFile("weekly-2026-03-04.html", b"<html></html>", "text/html")]
    return deliver_report(config, store, "weekly", run_id, document, files, None)


def test_status_list_titles_are_one_line_without_controls_and_never_a_formula(tmp_path, sqlite_url):
    with GraphSandbox(generate_tenant(5, "XS", date(2026, 3, 2))) as sandbox:
        status = next(
            sp for sp in sandbox.tenant.lists.values() if sp.display_name == "Project status"
        )
        config = _delivery_config(tmp_path, sandbox)
        with Store.open(sqlite_url) as store:
            [outcome] = _deliver_titles(config, store, "run-1")
            assert outcome.status == "delivered", outcome.error
        titles = [item["Title"] for item in status.items.values()]
        assert titles == list(HOSTILE_TITLES.values())
        # a second delivery of the date (another store) finds every item by its stored title
        with Store.open(f"{sqlite_url}-again") as again:
            [outcome] = _deliver_titles(config, again, "run-2")
            assert outcome.status == "delivered", outcome.error
        assert len(status.items) == len(HOSTILE_TITLES)
