"""Asana write-back end to end: ``AsanaTarget`` over the official SDK against the Asana
sandbox, each write read back from the sandbox's own organisation (its dataclasses), never
from pmosync.

Covered: a status update, the owned "PMO RAG" field and a nudge comment, each written and
found in the org; the field read ten projects a batch request (the sandbox's request stats);
a locked field, a missing field and a missing option refused with one line; a 429 on a write
waited out; a 503 on a POST never re-sent; a POST whose answer was lost (the run stopped
while the sandbox held its reply) found afterwards by its mark; ``probe`` naming the write
scope a token lacks; and a whole ``run_writeback`` after a real sync, its status updates and
field values checked against a RAG worked out by hand from the sandbox data.
"""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime, timedelta

import pytest
from asana_env import SOURCE, sync_once, write_config

from pmosync.config.writeback import ASANA_STATUS_TYPES, RAG_WORDS
from pmosync.connectors.errors import RetriableError, UnreachableError
from pmosync.connectors.paging import StopRequested
from pmosync.contracts.writeback import mark, marked
from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.org import OrgSize, generate_org
from pmosync.store.write_ledger import PENDING, WRITTEN, WriteEntry, value_hash, write_key
from pmosync.writeback.asana import AsanaTarget
from pmosync.writeback.changes import COMMENT, RAG_FIELD, STATUS_UPDATE, Change, Refused
from pmosync.writeback.run import run_writeback

OPTIONS = ["Green", "Amber", "Red", "On hold", "Complete"]
WRITEBACK = (
    "    writeback:\n"
    "      report: status\n"
    "      status_updates: {period: week}\n"
    "      rag_field: {field: PMO RAG}\n"
    "      nudges: {findings: [unassigned_overdue]}\n"
    "reports:\n"
    "  status:\n"
    "    kind: portfolio_status\n"
)


@pytest.fixture
def org():
    made = generate_org(seed=11, size="XS")
    made.add_custom_field("PMO RAG", "enum", options=OPTIONS, projects=list(made.projects))
    return made


@pytest.fixture
def sandbox(org):
    with AsanaSandbox(org) as running:
        yield running


def _field(org) -> str:
    return next(f.gid for f in org.custom_fields.values() if f.name == "PMO RAG")


def _option(org, gid: str | None) -> str | None:
    """The name of the PMO RAG option ``gid`` (the org's own record)."""
    if gid is None:
        return None
    return next(o.name for o in org.custom_fields[_field(org)].options if o.gid == gid)


def _target(tmp_path, sandbox, *, extra: str = WRITEBACK, stop=None) -> AsanaTarget:
    _, config = write_config(tmp_path, sandbox, extra=extra)
    return AsanaTarget(SOURCE, config.connectors[SOURCE], stop=stop)


def _delivery(org) -> list[str]:
    """The org's delivery projects (not the RAID log or the intake board)."""
    return [g for g in org.projects if g not in (org.raid_log_gid, org.intake_gid)]


def _change(field: str, item: str, value: str, *, rag: str | None = None, body: str = "",
            kind: str = "project", period: str | None = None) -> Change:  # fmt: skip
    key = write_key(SOURCE, item, field, period)
    text = f"{body}\n{mark(key)}" if body else ""
    return Change(
        key=key,
        connector=SOURCE,
        item_kind=kind,
        item_id=item,
        item_name=item,
        field=field,
        value=value,
        value_hash=value_hash(value),
        body=text,
        period=period,
        rag=rag,
    )


def _pending(change: Change, *, at: datetime | None = None) -> WriteEntry:
    return WriteEntry(
        key=change.key,
        connector=SOURCE,
        item_kind=change.item_kind,
        item_id=change.item_id,
        field=change.field,
        period=change.period,
        state=PENDING,
        intended=change.value,
        intended_hash=change.value_hash,
        updated_at=at or datetime.now(UTC),
    )


def _posts(sandbox, endpoint: str) -> tuple[int, dict[str, int]]:
    """How many requests reached ``endpoint``, and the statuses of all requests."""
    stats = sandbox.stats()
    return stats["by_endpoint"].get(endpoint, 0), stats["by_status"]


def test_each_kind_of_write_lands_in_the_organisation(tmp_path, org, sandbox):
    project = _delivery(org)[0]
    task = next(t for t in org.tasks.values() if t.project_gid == project)
    target = _target(tmp_path, sandbox)
    try:
        update = _change(
            STATUS_UPDATE,
            project,
            "Red",
            rag="red",
            period="2026-W49",
            body="PMO status: Red\nComputed RAG: Red\n- 2 overdue milestones",
        )
        written = target.write(update)
        made = org.status_updates[written.ref]
        assert (made.project_gid, made.status_type) == (project, "off_track")
        assert made.title == "PMO status: Red"
        assert made.text == update.body and marked(made.text) == update.key[:16]
        assert made.author_gid == sandbox.user_gid
        assert org.projects[project].current_status_gid == written.ref
        assert written.source_modified is not None

        field = _change(RAG_FIELD, project, "Amber", rag="amber")
        assert target.current([field])[field.key].value is None  # blank before the write
        target.write(field)
        assert _option(org, org.projects[project].custom[_field(org)]) == "Amber"
        assert target.current([field])[field.key].value == "Amber"  # read back through Asana

        nudge = _change(
            f"{COMMENT}:unassigned_overdue",
            task.gid,
            "overdue",
            kind="task",
            body="PMO governance check: this task is overdue",
            period="1",
        )
        story = org.stories[target.write(nudge).ref]
        assert (story.task_gid, story.text, story.author_gid) == (
            task.gid,
            nudge.body,
            sandbox.user_gid,
        )
    finally:
        target.close()


def test_the_field_is_read_ten_projects_a_request(tmp_path):
    org = generate_org(
        seed=3,
        size=OrgSize(projects=23, tasks=50, people=6, time_entries=10, teams=1, portfolios=1),
    )
    field = org.add_custom_field("PMO RAG", "enum", options=OPTIONS, projects=list(org.projects))
    projects = sorted(org.projects)
    by_hand = {gid: OPTIONS[i % 3] for i, gid in enumerate(projects) if i % 4}  # others blank
    for gid, option in by_hand.items():
        org.edit_project(gid, custom={field: option})
    with AsanaSandbox(org) as sandbox:
        target = _target(tmp_path, sandbox)
        try:
            changes = [_change(RAG_FIELD, gid, "Green", rag="green") for gid in projects]
            before = sandbox.stats()["by_endpoint"].get("POST /batch", 0)
            current = target.current(changes)
            batches = sandbox.stats()["by_endpoint"].get("POST /batch", 0) - before
        finally:
            target.close()
    assert len(projects) > 20
    assert batches == math.ceil(len(projects) / 10)
    assert {c.item_id: current[c.key].value for c in changes} == {
        gid: by_hand.get(gid) for gid in projects
    }


def test_a_locked_field_a_missing_field_and_a_missing_option_are_refused(tmp_path, org, sandbox):
    first, second, third = _delivery(org)[:3]
    field = _field(org)
    owner = next(p for p in org.people if p != sandbox.user_gid)
    org.lock_custom_field(field, owner)
    target = _target(tmp_path, sandbox)
    try:
        locked = _change(RAG_FIELD, first, "Red", rag="red")
        assert target.current([locked]) != {}  # a locked field is still read
        with pytest.raises(Refused) as refused:
            target.write(locked)
        line = str(refused.value)
        assert "\n" not in line and "'PMO RAG'" in line and "locked" in line
        assert org.projects[first].name in line
        assert org.projects[first].custom[field] is None  # nothing was set
        org.lock_custom_field(field, None)

        org.projects[second].custom.pop(field)
        with pytest.raises(Refused, match=r"field 'PMO RAG' is not on project"):
            target.write(_change(RAG_FIELD, second, "Red", rag="red"))

        org.disable_option(field, "On hold")
        with pytest.raises(Refused, match=r"has no option 'On hold'"):
            target.write(_change(RAG_FIELD, third, "On hold", rag="blue"))
        assert org.projects[third].custom[field] is None
    finally:
        target.close()


def test_a_429_on_a_write_is_waited_out_as_retry_after_says(tmp_path, org, sandbox):
    project = _delivery(org)[0]
    sandbox.fail_next(1, 429, retry_after_s=2, path_contains="/status_updates")
    waits: list[tuple[float, str]] = []
    _, config = write_config(tmp_path, sandbox, extra=WRITEBACK)
    target = AsanaTarget(
        SOURCE, config.connectors[SOURCE], on_wait=lambda s, why: waits.append((s, why))
    )
    try:
        change = _change(
            STATUS_UPDATE, project, "Green", rag="green", period="2026-W49", body="PMO status"
        )
        written = target.write(change)
        assert target.requests == 2
    finally:
        target.close()
    posts, statuses = _posts(sandbox, "POST /status_updates")
    assert posts == 2 and statuses.get("429") == 1
    # the one wait announced is the server's Retry-After (2 s), not a backoff of its own
    throttled = [seconds for seconds, why in waits if why == "HTTP 429 from Asana"]
    assert len(throttled) == 1 and 1.95 <= throttled[0] <= 2.0, waits
    mine = [s for s in org.status_updates.values() if marked(s.text) == change.key[:16]]
    assert [s.gid for s in mine] == [written.ref]


@pytest.mark.parametrize("kind", ["status", "comment"])
def test_a_post_answered_503_is_not_sent_again(tmp_path, org, sandbox, kind):
    project = _delivery(org)[0]
    task = next(t for t in org.tasks.values() if t.project_gid == project)
    if kind == "status":
        change = _change(
            STATUS_UPDATE, project, "Red", rag="red", period="2026-W49", body="PMO status: Red"
        )
        endpoint, path = "POST /status_updates", "/status_updates"
    else:
        change = _change(
            f"{COMMENT}:unassigned_overdue",
            task.gid,
            "overdue",
            kind="task",
            body="PMO governance check",
            period="1",
        )
        endpoint, path = "POST /tasks/{task_gid}/stories", "/stories"
    sandbox.fail_next(1, 503, path_contains=path)
    updates, stories = len(org.status_updates), len(org.stories)
    target = _target(tmp_path, sandbox)
    try:
        with pytest.raises(RetriableError, match="not sent again"):
            target.write(change)
        assert _posts(sandbox, endpoint)[0] == 1
        assert (len(org.status_updates), len(org.stories)) == (updates, stories)
        assert target.confirm(_pending(change)) is None  # it never landed
    finally:
        target.close()


def test_a_post_whose_connection_drops_is_not_sent_again(tmp_path, org, sandbox):
    project = _delivery(org)[0]
    change = _change(
        STATUS_UPDATE, project, "Red", rag="red", period="2026-W49", body="PMO status: Red"
    )
    updates = len(org.status_updates)
    target = _target(tmp_path, sandbox)
    try:
        sandbox.set_faults(drop_rate=1.0)
        with pytest.raises(UnreachableError, match="not sent again"):
            target.write(change)
        sandbox.set_faults(drop_rate=0.0)
    finally:
        target.close()
    assert sandbox.stats()["by_status"] == {"dropped": 1}  # one attempt, never repeated
    assert len(org.status_updates) == updates


def test_a_post_whose_answer_was_lost_is_found_by_its_mark(tmp_path, org, sandbox):
    project = _delivery(org)[0]
    stop = threading.Event()
    sandbox.hold_replies("/status_updates", 5.0, method="POST")
    threading.Thread(target=lambda: sandbox.reply_held.wait(10) and stop.set()).start()
    change = _change(
        STATUS_UPDATE, project, "Amber", rag="amber", period="2026-W49", body="PMO status: Amber"
    )
    target = _target(tmp_path, sandbox, stop=stop)
    try:
        with pytest.raises(StopRequested):
            target.write(change)
    finally:
        target.close()
    landed = [s for s in org.status_updates.values() if marked(s.text) == change.key[:16]]
    assert len(landed) == 1  # made by Asana, its answer never read
    again = _target(tmp_path, sandbox)
    try:
        found = again.confirm(_pending(change))
    finally:
        again.close()
    assert found is not None and found.ref == landed[0].gid


def test_confirm_finds_a_field_showing_the_intended_option(tmp_path, org, sandbox):
    project = _delivery(org)[0]
    change = _change(RAG_FIELD, project, "Red", rag="red")
    target = _target(tmp_path, sandbox)
    try:
        assert target.confirm(_pending(change)) is None
        org.edit_project(project, custom={_field(org): "Red"})
        assert target.confirm(_pending(change)) is not None
    finally:
        target.close()


def test_probe_names_the_write_scope_a_token_lacks(tmp_path, org, sandbox):
    journal = len(org.changes)
    stamps = {g: p.modified_at for g, p in org.projects.items()}
    target = _target(tmp_path, sandbox)
    try:
        assert target.probe() == []
    finally:
        target.close()
    # its PUTs are empty: nothing changed, nothing journalled
    assert len(org.changes) == journal
    assert {g: p.modified_at for g, p in org.projects.items()} == stamps
    reads = {"users:read", "projects:read", "tasks:read", "workspaces:read", "teams:read",
             "custom_fields:read", "stories:read"}  # fmt: skip
    sandbox.add_token("read-only", reads)
    org.projects[_delivery(org)[1]].custom.pop(_field(org))
    _, config = write_config(tmp_path, sandbox, extra=WRITEBACK)
    connector = config.connectors[SOURCE].model_copy(
        update={"token": type(config.connectors[SOURCE].token)("read-only")}
    )
    probe = AsanaTarget(SOURCE, connector)
    try:
        lines = probe.probe()
    finally:
        probe.close()
    assert any("projects:write" in line for line in lines), lines
    assert any("tasks:write" in line for line in lines), lines
    missing = org.projects[_delivery(org)[1]].name
    assert any("'PMO RAG' is not on" in line and missing in line for line in lines), lines
    assert all("\n" not in line and "read-only" not in line for line in lines)


def test_a_writeback_run_writes_the_computed_rag_into_the_organisation(tmp_path, org, sandbox):
    today = org.today
    late = next(
        g
        for g in _delivery(org)
        if any(
            not t.completed and t.resource_subtype != "milestone"
            for t in org.tasks.values()
            if t.project_gid == g
        )
    )
    # by hand: due 9 days ago with open work -> red. The first sync takes the baseline, so
    # that due date is the baseline finish; open work = its leaf tasks, not milestones, not done
    due = today - timedelta(days=9)
    org.edit_project(late, due_on=due)
    parents = {t.parent_gid for t in org.tasks.values() if t.parent_gid}
    open_work = sum(
        1
        for t in org.tasks.values()
        if org.task_project(t) == late
        and t.resource_subtype != "milestone"
        and t.gid not in parents
        and not t.completed
    )
    before = set(org.status_updates)
    store, results = sync_once(tmp_path, sandbox, extra=WRITEBACK)
    with store:
        assert not results[0].failed, results[0]
        _, config = write_config(tmp_path, sandbox, extra=WRITEBACK)
        outcome = run_writeback(config, store, apply=True, today=today)
        assert outcome.status == "succeeded", outcome.error
        [result] = outcome.results
        posted = {s.project_gid: s for g, s in org.status_updates.items() if g not in before}
        entries = store.writes.entries(SOURCE)

        made = posted[late]
        assert made.status_type == "off_track"
        assert (
            f"- 9 days past its baseline finish ({due.isoformat()}) with {open_work} open "
            "work tasks" in made.text.splitlines()
        )
        assert _option(org, org.projects[late].custom[_field(org)]) == "Red"

        # every project judged got one status update and the field of its colour
        statuses = [c for c in result.changes if c.field == STATUS_UPDATE]
        assert statuses and {c.item_id for c in statuses} == set(posted)
        for change in statuses:
            assert posted[change.item_id].status_type == ASANA_STATUS_TYPES[change.rag]
            assert marked(posted[change.item_id].text) == change.key[:16]
            assert entries[change.key].state == WRITTEN
            assert entries[change.key].ref == posted[change.item_id].gid
            shown = _option(org, org.projects[change.item_id].custom[_field(org)])
            assert shown == RAG_WORDS[change.rag]
        assert result.requests > 0

        # nudges, by hand: open, past-due, unassigned tasks (not milestones) of the projects
        # still governed (not completed or archived), one comment each, marked
        nudged = {
            t.gid
            for t in org.tasks.values()
            if (p := org.projects.get(org.task_project(t) or "")) is not None
            and not (p.completed or p.archived)
            and t.resource_subtype != "milestone"
            and not t.completed
            and t.due_on is not None
            and t.due_on < today
            and t.assignee_gid is None
        }
        comments = {s.task_gid: s for s in org.stories.values()}
        assert nudged and set(comments) == nudged
        for change in (c for c in result.changes if c.field.startswith(COMMENT)):
            assert comments[change.item_id].text == change.body
            assert marked(change.body) == change.key[:16]

        # a second run in the same week sends nothing: the ledger says it is all there
        again = run_writeback(config, store, apply=True, today=today)
        assert again.status == "succeeded", again.error
        assert {g for g in org.status_updates if g not in before} == {
            s.gid for s in posted.values()
        }
        sent = [c for c in again.results[0].changes if c.action == "write"]
        assert sent == []


def test_a_refused_token_fails_the_connector_in_one_line(tmp_path, org, sandbox):
    store, _ = sync_once(tmp_path, sandbox, extra=WRITEBACK)
    with store:
        _, config = write_config(tmp_path, sandbox, extra=WRITEBACK)
        connector = config.connectors[SOURCE]
        bad = connector.model_copy(update={"token": type(connector.token)("tok-7f3a-stale")})
        config = config.model_copy(update={"connectors": {SOURCE: bad}})
        outcome = run_writeback(config, store, apply=True, today=org.today)
    assert outcome.status == "failed"
    assert "token was refused" in (outcome.error or "") and "tok-7f3a-stale" not in outcome.error
