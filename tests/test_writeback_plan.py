"""Write-back planning: which owned fields need writing, worked out by hand.

The planner is pure (verdicts + ledger rows in, changes out), so each rule of
``pmosync.writeback.plan`` is checked here on hand-made rows: one status update per project
and period, ``on_change`` against the last one posted, standing values written only when they
differ from what pmosync last wrote, the conflict/adopt/write judgement against the tool's
current value, and nudges capped per run and per window.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from pmosync.config.writeback import AsanaWriteback, PlannerWriteback
from pmosync.contracts.writeback import mark, marked
from pmosync.store.write_ledger import WriteEntry, value_hash, write_key
from pmosync.writeback.changes import ADOPT, CONFLICT, WRITE, Current, Nudge, Verdict
from pmosync.writeback.plan import check, period_of, plan_asana, plan_planner

TODAY = date(2026, 12, 6)  # a Sunday: the last day of ISO week 49 (Mon 30 Nov - Sun 6 Dec)
ALPHA = Verdict("p-alpha", "asana-eng", "1001", "Alpha", "red",
                ("12 days past its due date (2026-11-24) with 3 open work tasks",))  # fmt: skip
BETA = Verdict("p-beta", "asana-eng", "1002", "Beta", "green", ())


def _asana(**blocks: object) -> AsanaWriteback:
    return AsanaWriteback.model_validate({"report": "weekly", **blocks})


def _written(key: str, field: str, item: str, value: str, digest: str, **extra) -> WriteEntry:
    return WriteEntry(key=key, connector="asana-eng", item_kind="project", item_id=item,
                      field=field, period=extra.pop("period", None), state="written",
                      value=value, value_hash=digest,
                      updated_at=datetime(2026, 11, 30, tzinfo=UTC), **extra)  # fmt: skip


def _plan(spec, entries=None, today=TODAY, verdicts=(ALPHA, BETA), nudges=()):
    return plan_asana("asana-eng", spec, list(verdicts), list(nudges), entries or {},
                      today=today, as_of=today, link="https://pmo.example/weekly")  # fmt: skip


def test_periods_are_iso_weeks_or_calendar_months():
    assert period_of(TODAY, "week") == "2026-W49"
    assert period_of(date(2026, 12, 7), "week") == "2026-W50"  # Monday: a new week
    assert period_of(date(2027, 1, 1), "week") == "2026-W53"  # 2026 has 53 ISO weeks
    assert period_of(TODAY, "month") == "2026-12"


def test_a_first_status_update_per_project_carries_its_reasons_link_and_mark():
    plan = _plan(_asana(status_updates={}))
    assert [(c.item_id, c.value, c.period, c.action) for c in plan.changes] == [
        ("1001", "Red", "2026-W49", WRITE),
        ("1002", "Green", "2026-W49", WRITE),
    ]
    alpha = plan.changes[0]
    assert alpha.key == write_key("asana-eng", "1001", "status_update", "2026-W49")
    lines = alpha.body.splitlines()
    assert lines[0] == "PMO status: Red"
    assert "- 12 days past its due date (2026-11-24) with 3 open work tasks" in lines
    assert "Report: https://pmo.example/weekly" in lines
    assert lines[-1] == mark(alpha.key) and marked(alpha.body) == alpha.key[:16]
    assert "No rule fired" in plan.changes[1].body


def test_one_status_update_per_project_and_period():
    first = _plan(_asana(status_updates={})).changes[0]
    posted = _written(first.key, "status_update", "1001", "Red", first.value_hash,
                      period="2026-W49")  # fmt: skip
    again = _plan(_asana(status_updates={}), {first.key: posted}, verdicts=(ALPHA,))
    assert again.changes == []


def test_on_change_waits_for_a_new_colour_or_reason_and_every_period_does_not():
    first = _plan(_asana(status_updates={}), verdicts=(ALPHA,)).changes[0]
    posted = {first.key: _written(first.key, "status_update", "1001", "Red", first.value_hash,
                                  period="2026-W49")}  # fmt: skip
    next_week = date(2026, 12, 8)
    assert _plan(_asana(status_updates={}), posted, next_week, (ALPHA,)).changes == []
    every = _plan(_asana(status_updates={"post": "every_period"}), posted, next_week, (ALPHA,))
    assert [(c.period, c.before) for c in every.changes] == [("2026-W50", "Red")]
    better = Verdict("p-alpha", "asana-eng", "1001", "Alpha", "red", ("CPI 0.71 below 0.80",))
    changed = _plan(_asana(status_updates={}), posted, next_week, (better,))
    assert [(c.period, c.value, c.before) for c in changed.changes] == [("2026-W50", "Red", "Red")]


def test_a_standing_field_is_written_only_when_it_differs_from_the_last_write():
    spec = _asana(rag_field={"field": "PMO RAG", "options": {"red": "Off track"}})
    first = _plan(spec)
    assert [(c.item_id, c.value, c.before) for c in first.changes] == [
        ("1001", "Off track", None),
        ("1002", "Green", None),
    ]
    alpha_key = write_key("asana-eng", "1001", "rag_field")
    same = {alpha_key: _written(alpha_key, "rag_field", "1001", "Off track",
                                value_hash("Off track"))}  # fmt: skip
    assert [c.item_id for c in _plan(spec, same).changes] == ["1002"]
    old = {alpha_key: _written(alpha_key, "rag_field", "1001", "Amber", value_hash("Amber"))}
    changed = [c for c in _plan(spec, old).changes if c.item_id == "1001"]
    assert [(c.value, c.before) for c in changed] == [("Off track", "Amber")]


def test_the_tools_current_value_decides_write_adopt_or_conflict():
    spec = _asana(rag_field={"field": "PMO RAG"})
    key = write_key("asana-eng", "1001", "rag_field")
    entries = {key: _written(key, "rag_field", "1001", "Amber", value_hash("Amber"))}
    planned = [c for c in _plan(spec, entries).changes if c.item_id == "1001"]
    # the tool still shows what pmosync wrote: the write goes ahead
    assert [c.action for c in check(planned, {key: Current("Amber")}, entries)] == [WRITE]
    # someone already set the wanted value: adopted, nothing sent
    assert [c.action for c in check(planned, {key: Current("Red")}, entries)] == [ADOPT]
    # a human's value since pmosync's write: left alone, and said so
    (conflict,) = check(planned, {key: Current("Green")}, entries)
    assert conflict.action == CONFLICT
    assert conflict.note == "changed in the tool to 'Green' since pmosync wrote 'Amber': left alone"
    long = "Computed RAG: Amber, by the PMO's rules.\n- SPI(t) 0.86 below 0.90\nRevised by hand"
    (edited,) = check(planned, {key: Current(long)}, entries)
    assert edited.note == (  # on one line, its first 59 characters and an ellipsis
        "changed in the tool to \"Computed RAG: Amber, by the PMO's rules. - SPI(t) 0.86 belo…\""
        " since pmosync wrote 'Amber': left alone"
    )
    (cleared,) = check(planned, {key: Current(None)}, entries)
    assert cleared.action == CONFLICT and "to empty" in cleared.note
    # never written before: whatever is there, pmosync's declared field is written
    fresh = [c for c in _plan(spec).changes if c.item_id == "1001"]
    assert [c.action for c in check(fresh, {key: Current("Green")}, {})] == [WRITE]


def test_a_conflict_is_planned_again_until_the_human_value_goes():
    spec = _asana(rag_field={"field": "PMO RAG"})
    key = write_key("asana-eng", "1001", "rag_field")
    row = _written(key, "rag_field", "1001", "Red", value_hash("Red"))
    conflicted = {key: WriteEntry(**{**{k: getattr(row, k) for k in WriteEntry.__slots__},
                                     "state": "conflict"})}  # fmt: skip
    (planned,) = [c for c in _plan(spec, conflicted).changes if c.item_id == "1001"]
    assert planned.value == "Red"  # the same value pmosync wrote: checked again all the same
    assert check([planned], {key: Current("Green")}, conflicted)[0].action == CONFLICT
    assert check([planned], {key: Current("Red")}, conflicted)[0].action == ADOPT


def test_nudges_are_capped_per_run_and_once_per_window():
    nudges = [
        Nudge("asana-eng", f"20{n}", f"Task {n}", "1001", "Alpha", "unassigned_overdue",
              f"due 2026-11-2{n}")  # fmt: skip
        for n in range(5)
    ] + [Nudge("asana-eng", "300", "Launch", "1001", "Alpha", "undated_milestones", "no date")]
    spec = _asana(nudges={"max_per_run": 3, "every_days": 14})
    plan = _plan(spec, nudges=nudges)
    assert [c.item_id for c in plan.changes] == ["200", "201", "202"]
    assert plan.held_back == 2  # the milestone finding is not configured: not counted
    window = str(TODAY.toordinal() // 14)
    assert plan.changes[0].key == write_key("asana-eng", "200", "comment:unassigned_overdue",
                                            window)  # fmt: skip
    assert plan.changes[0].body.endswith(mark(plan.changes[0].key))
    done = {
        c.key: WriteEntry(key=c.key, connector="asana-eng", item_kind="task", item_id=c.item_id,
                          field=c.field, period=c.period, state="written", value=c.value,
                          value_hash=c.value_hash)  # fmt: skip
        for c in plan.changes
    }
    assert [c.item_id for c in _plan(spec, done, nudges=nudges).changes] == ["203", "204"]


def test_planner_changes_are_one_per_owned_field():
    spec = PlannerWriteback.model_validate(
        {"report": "weekly", "label": {"category": "category20"}, "status_task": {}}
    )
    ops = Verdict("p-ops", "planner-ops", "plan-1", "Ops", "amber", ("SPI(t) 0.82 below 0.90",))
    plan = plan_planner("planner-ops", spec, [ops], {}, link=None)
    assert [(c.field, c.value) for c in plan.changes] == [
        ("label", "PMO: Amber"),
        ("status_task", "PMO status: Amber"),
        ("status_note", plan.changes[2].value),
    ]
    note = plan.changes[2].value
    assert "- SPI(t) 0.82 below 0.90" in note.splitlines() and "Report:" not in note
