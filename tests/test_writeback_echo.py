"""What pmosync wrote is never read back as the team's word (write-back's "no echoes" rule).

pmosync-looking writes are put straight into the sandboxes' own data (Asana: status updates
whose text ends with pmosync's write mark, one of them the project's current update; Planner: a
"PMO" status bucket with its task, the plan label slot category25 named "PMO: Red"), beside a
human's unmarked update or task; a real sync (official SDKs over loopback HTTP, a real store)
must leave pmosync's out, keep the human's, take the reported RAG from the team, and an
incremental sync after another such write must change no canonical row. Expected values are
worked out by hand from what each test writes. The config cross-checks refuse an owned field
or bucket that the connector also reads.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asana_env import SOURCE, live_rows, sync_once
from graph_env import PLANNER, planner_yaml, write_config
from graph_env import live_rows as planner_rows
from sqlalchemy import select

from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.canonical.types import Phase, Project, RaidItem, StatusUpdate, Task
from pmosync.config import ConfigError, load_config
from pmosync.contracts.writeback import mark
from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.org import generate_org
from pmosync.sandbox.tenant import Bucket, TenantSize, generate_tenant
from pmosync.store import Store
from pmosync.store.schema import quarantine
from pmosync.sync.run import run_sync

REPORT = "reports:\n  weekly:\n    kind: portfolio_status\n"
ASANA_WRITEBACK = "    writeback:\n      report: weekly\n      status_updates: {}\n"
OWNED_HEALTH = "      rag_field: {field: Health}\n"
"""Write-back also owns the Health field (the connector does not read it)."""


def _pmosync_text(key: str) -> str:
    """A status text as pmosync writes it: the PMO's words, then the write's mark."""
    return f"Computed red: past the due date with open work.\n\n{mark(key)}"


def canonical_rows(store: Store, source: str) -> dict[str, dict[str, tuple]]:
    """Every canonical row of ``source``, table by table: id -> (content hash, deleted_at)."""
    found: dict[str, dict[str, tuple]] = {}
    with store.engine.connect() as connection:
        for model, table in ENTITY_TABLES.items():
            query = select(table.c.id, table.c.row_hash, table.c.deleted_at).where(
                table.c.source == source
            )
            found[model.entity] = {row.id: (row.row_hash, row.deleted_at) for row in
                                   connection.execute(query)}  # fmt: skip
    return found


def _quarantined(store: Store) -> set[str]:
    with store.engine.connect() as connection:
        return {row.record_key for row in connection.execute(select(quarantine))}


# -- Asana ------------------------------------------------------------------------------------


@pytest.fixture
def org():
    return generate_org(seed=11, size="XS")


def _open_project(org):
    """A delivery project that is neither completed nor archived (its status is "active")."""
    special = {org.raid_log_gid, org.intake_gid}
    return next(
        p
        for p in org.projects.values()
        if p.gid not in special and not p.completed and not p.archived
    )


def test_asana_status_updates_pmosync_posted_are_not_the_teams(tmp_path, org):
    project = _open_project(org)
    person = next(iter(org.people))
    team = org.add_status_update(project.gid, "on_track", "Week 48", "All good", person)
    # pmosync posts last (on hold, to see it does not put the project on hold either)
    ours = org.add_status_update(
        project.gid, "on_hold", "PMO status: On hold", _pmosync_text("a" * 64), person
    )
    extra = ASANA_WRITEBACK + OWNED_HEALTH + REPORT
    with AsanaSandbox(org) as sandbox:
        store, [result] = sync_once(tmp_path, sandbox, extra=extra)
        with store:
            assert not result.failed, result
            updates = live_rows(store, StatusUpdate)
            assert team in updates and ours not in updates
            assert ours not in _quarantined(store)
            # what the sandbox holds of the project: every update but pmosync's is synced
            theirs = {s.gid for s in org.status_updates.values() if s.project_gid == project.gid}
            stored = {k for k, v in updates.items() if v["project_id"] == project_id(project)}
            assert stored == theirs - {ours}
            row = live_rows(store, Project)[project.gid]
            # no health field mapped, and the latest update is pmosync's: no reported RAG on
            # the project itself; the team's latest update (on track) is the reported one
            assert (row["rag"], row["status"]) == (None, "active")
            latest = max((v for v in updates.values() if v["project_id"] == row["id"]),
                         key=lambda v: v["posted_at"])  # fmt: skip
            assert (latest["source_id"], latest["rag"]) == (team, "green")
            before = canonical_rows(store, SOURCE)

        # pmosync posts again and sets its field: the next (incremental) sync changes no
        # canonical row, though both writes moved the project's modified_at
        again = org.add_status_update(
            project.gid, "off_track", "PMO status: Red", _pmosync_text("b" * 64), person
        )
        _set_owned_health(org, project, "Off track")
        store, [result] = sync_once(tmp_path, sandbox, extra=extra)
        with store:
            assert not result.failed, result
            assert canonical_rows(store, SOURCE) == before
            assert again not in _quarantined(store)

        # the team posts, then pmosync posts last again: the team's update is still read
        # (the projects whose current update is newer are listed since the last one read)
        later = org.add_status_update(project.gid, "at_risk", "Week 49", "Vendor late", person)
        org.add_status_update(
            project.gid, "off_track", "PMO status: Red", _pmosync_text("c" * 64), person
        )
        store, [result] = sync_once(tmp_path, sandbox, extra=extra)
        with store:
            assert not result.failed, result
            updates = live_rows(store, StatusUpdate)
            assert later in updates and updates[later]["rag"] == "amber"
            assert {k for k, v in updates.items() if v["project_id"] == project_id(project)} == (
                theirs | {later}
            ) - {ours}

        # and once the team's update is the current one, it is the project's RAG again, and
        # the project's row shows the team's change
        last = org.add_status_update(project.gid, "off_track", "Week 50", "Slipping", person)
        store, [result] = sync_once(tmp_path, sandbox, extra=extra)
        with store:
            row = live_rows(store, Project)[project.gid]
            assert row["rag"] == "red" and _utc(row["updated_at"]) == _utc(project.modified_at)
            assert last in live_rows(store, StatusUpdate)
            before = canonical_rows(store, SOURCE)

        # pmosync posts after the team's update: still no canonical row changes (the team's
        # update stays the project's latest word)
        org.add_status_update(
            project.gid, "at_risk", "PMO status: Amber", _pmosync_text("e" * 64), person
        )
        store, [result] = sync_once(tmp_path, sandbox, extra=extra)
        with store:
            assert not result.failed, result
            assert canonical_rows(store, SOURCE) == before


def _set_owned_health(org, project, option: str) -> None:
    """Set the Health field as pmosync's write-back would (PUT /projects/{gid}): the value
    changes and so does the project's modified_at."""
    health = org.field_named("Health")
    project.custom[health.gid] = next(o.gid for o in health.options if o.name == option)
    project.modified_at = max(project.modified_at, datetime.now(UTC)) + timedelta(seconds=1)


def _utc(moment: datetime) -> datetime:
    """A stored or sandbox moment as naive UTC (SQLite keeps no zone)."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def project_id(project) -> str:
    return Project.ref(SOURCE, project.gid)


def test_asana_a_health_field_still_gives_the_rag_when_pmosync_posted_last(tmp_path, org):
    project = _open_project(org)
    health = org.field_named("Health")
    at_risk = next(o for o in health.options if o.name == "At risk")
    project.custom[health.gid] = at_risk.gid
    person = next(iter(org.people))
    org.add_status_update(project.gid, "off_track", "PMO", _pmosync_text("d" * 64), person)
    extra = "    fields: {rag: Health}\n" + ASANA_WRITEBACK + REPORT
    with AsanaSandbox(org) as sandbox:
        store, [result] = sync_once(tmp_path, sandbox, extra=extra)
    with store:
        assert not result.failed, result
        assert live_rows(store, Project)[project.gid]["rag"] == "amber"


def test_asana_the_owned_field_is_never_read_even_named_by_gid(tmp_path, org):
    """fields.rag names the Health field by name, write-back owns it by gid: the config
    cannot tell them apart, the mapping does; the project's RAG is the team's update."""
    project = _open_project(org)
    health = org.field_named("Health")
    off_track = next(o for o in health.options if o.name == "Off track")
    project.custom[health.gid] = off_track.gid  # as pmosync would have set it
    person = next(iter(org.people))
    org.add_status_update(project.gid, "on_track", "Week 48", "All good", person)
    extra = (
        "    fields: {rag: Health}\n"
        "    writeback:\n      report: weekly\n"
        f'      rag_field: {{field: "{health.gid}"}}\n' + REPORT
    )
    with AsanaSandbox(org) as sandbox:
        store, [result] = sync_once(tmp_path, sandbox, extra=extra)
    with store:
        assert not result.failed, result
        assert live_rows(store, Project)[project.gid]["rag"] == "green"


# -- Planner ----------------------------------------------------------------------------------

SMALL = TenantSize(groups=1, plans=2, tasks=30, people=6, timesheet_weeks=1)
PLANNER_EXTRA = "    rag_source: {label: Status}\n" + '    raid: {label: {risk: "PMO: Red"}}\n'
"""The team reads its RAG from the labels of a task titled Status, and RAID risks from a label
that happens to carry the name pmosync gives its own label slot (category25)."""
PLANNER_WRITEBACK = "    writeback:\n      report: weekly\n      label: {}\n      status_task: {}\n"
"""Write-back of the owned label (category25) and status task (bucket "PMO")."""


def _planner_sync(tmp_path: Path, sandbox, extra: str = PLANNER_EXTRA + PLANNER_WRITEBACK):
    groups = sorted({p.group_id for p in sandbox.tenant.plans.values()})
    connectors = planner_yaml(sandbox, groups, extra=extra)
    path, config = write_config(tmp_path, sandbox, connectors + REPORT)
    store = Store.open(config.store, base_dir=path.parent)
    try:
        return store, run_sync(config, store).connectors[0]
    except BaseException:
        store.close()
        raise


def test_planner_status_bucket_and_owned_label_are_not_the_teams(tmp_path):
    tenant = generate_tenant(seed=7, size=SMALL)
    plan = next(iter(tenant.plans.values()))
    team_bucket = next(b for b in tenant.buckets.values() if b.plan_id == plan.id)
    plan.category_descriptions.update({"category3": "On track", "category25": "PMO: Red"})
    # pmosync's bucket (named in another case and spacing) and status task, first in order
    first = "1" + tenant.next_order_hint()[1:]
    ours = Bucket(tenant.ids.planner(), "  pmo ", plan.id, first)
    tenant.buckets[ours.id] = ours
    status = tenant.add_task(
        plan.id, "Status", bucket_id=ours.id, order_hint=first, applied_categories=["category25"]
    )
    # the team's status task and a task someone labelled with pmosync's label slot too
    theirs = tenant.add_task(
        plan.id, "Status", bucket_id=team_bucket.id, applied_categories=["category3", "category25"]
    )
    work = tenant.add_task(plan.id, "Order parts", bucket_id=team_bucket.id,
                           applied_categories=["category25"])  # fmt: skip
    with GraphSandbox(tenant, page_size=20) as sandbox:
        store, result = _planner_sync(tmp_path, sandbox)
        with store:
            assert not result.failed, result
            phases, tasks = planner_rows(store, Phase), planner_rows(store, Task)
            assert ours.id not in phases and team_bucket.id in phases
            assert status not in tasks and f"task:{status}" not in planner_rows(store, RaidItem)
            assert not planner_rows(store, RaidItem)  # "PMO: Red" is no RAID label here
            assert tasks[theirs]["tags"] == ["On track"] and tasks[work]["tags"] == []
            assert planner_rows(store, Project)[plan.id]["rag"] == "green"
            assert status not in _quarantined(store)
            # the team's own buckets and tasks are all there
            wanted = {t.id for t in tenant.tasks.values() if t.plan_id in tenant.plans} - {status}
            assert set(tasks) == wanted
            before = canonical_rows(store, PLANNER)

        # pmosync writes again: renames its label, retitles its task, adds another there
        _relabel(plan, "category25", "PMO: Amber")
        tenant.edit_task(status, title="PMO status: Amber", percent_complete=50)
        tenant.add_task(plan.id, "PMO note", bucket_id=ours.id, applied_categories=["category25"])
        store, result = _planner_sync(tmp_path, sandbox)
        with store:
            assert not result.failed, result
            assert canonical_rows(store, PLANNER) == before


def _relabel(plan, key: str, name: str) -> None:
    """Rename a plan label as Planner's label picker does: the details' etag moves."""
    plan.category_descriptions[key] = name
    plan.details_version += 1


def test_planner_what_was_synced_before_write_back_was_set_retires(tmp_path):
    tenant = generate_tenant(seed=7, size=SMALL)
    plan = next(iter(tenant.plans.values()))
    ours = Bucket(tenant.ids.planner(), "PMO", plan.id, tenant.next_order_hint())
    tenant.buckets[ours.id] = ours
    status = tenant.add_task(plan.id, "PMO status: Red", bucket_id=ours.id)
    plan.category_descriptions.pop("category25", None)  # an unnamed slot is its key as a tag
    team_bucket = next(b for b in tenant.buckets.values() if b.plan_id == plan.id)
    work = tenant.add_task(plan.id, "Order parts", bucket_id=team_bucket.id,
                           applied_categories=["category25"])  # fmt: skip
    with GraphSandbox(tenant, page_size=20) as sandbox:
        store, _ = _planner_sync(tmp_path, sandbox, extra="")
        with store:
            assert ours.id in planner_rows(store, Phase) and status in planner_rows(store, Task)
            assert planner_rows(store, Task)[work]["tags"] == ["category25"]
        # write-back set up: nothing in the plans changed, yet what it owns leaves the store
        store, result = _planner_sync(tmp_path, sandbox, extra=PLANNER_WRITEBACK)
        with store:
            assert not result.failed, result
            assert ours.id not in planner_rows(store, Phase)
            assert status not in planner_rows(store, Task)
            assert planner_rows(store, Task)[work]["tags"] == []


# -- config cross-checks ----------------------------------------------------------------------


def _load(tmp_path: Path, connector: str) -> ConfigError:
    path = tmp_path / "pmosync.yaml"
    path.write_text("connectors:\n" + connector + REPORT, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    return caught.value


ASANA = '  asana-eng:\n    type: asana\n    token: x\n    workspace: "1"\n'
PLANNER_BASE = "  planner-ops:\n    type: planner\n    token: x\n    groups: [g1]\n"


@pytest.mark.parametrize(
    ("reads", "where"),
    [
        ("    fields: {rag: pmo  rag}\n", "is also fields.rag"),
        ("    fields: {budget: PMO RAG}\n", "is also fields.budget"),
        ('    raid: {projects: ["2"], fields: {status: PMO RAG}}\n', "is also raid.fields.status"),
        ('    intake: {projects: ["3"], stage_field: PMO RAG}\n', "is also intake.stage_field"),
        ('    intake: {projects: ["3"], criteria: {fit: pmo rag}}\n', "intake.criteria.fit"),
    ],
)
def test_config_refuses_an_owned_field_the_connector_reads(tmp_path, reads, where):
    owned = "    writeback:\n      report: weekly\n      rag_field: {field: PMO RAG}\n"
    error = _load(tmp_path, ASANA + reads + owned)
    [line] = error.problems
    assert where in line and "writeback.rag_field.field" in line
    assert line.startswith(f"{tmp_path / 'pmosync.yaml'}:")


@pytest.mark.parametrize(
    ("reads", "where"),
    [
        ("    rag_source: {bucket: ' Pmo'}\n", "is also rag_source.bucket"),
        ("    raid: {bucket: PMO}\n", "is also raid.bucket"),
    ],
)
def test_config_refuses_a_status_bucket_the_connector_reads(tmp_path, reads, where):
    owned = "    writeback:\n      report: weekly\n      status_task: {bucket: pmo}\n"
    error = _load(tmp_path, PLANNER_BASE + reads + owned)
    [line] = error.problems
    assert where in line and "writeback.status_task.bucket" in line
