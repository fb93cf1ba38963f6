"""The round trip, over and over: sync -> write-back apply -> sync, with both tools opted in
(Asana status updates and the PMO RAG field; a Planner label and PMO status task).

Even rounds (but the first) churn the sandboxes a little first (their mutate control: tasks
renamed, re-dated, completed, moved; in Planner that includes pmosync's own status task, as a
person might), so computed RAGs really change and humans sometimes edit what pmosync owns.
Odd rounds change nothing upstream: round 1 syncs right after pmosync's first writes (a status
update posted on top of the team's own, on a project the team put on hold). After every round:

- nothing pmosync wrote came back into the store as the teams' data (no marked status update,
  no task or phase from the owned bucket, no task tagged with the owned label);
- a quiet round judges every project exactly as the round before (pmosync's own writes never
  change the PMO's view) and writes nothing;
- the ledger says what the sandboxes show: each ``written`` row's value is the owned value in
  the tool, each ``conflict`` row's value is not (a human's stands), and nothing is left
  pending or failed; the written values are the report's verdicts, in the configured words.

``make test`` runs 20 rounds; the ``soak`` marker runs the same with ``SOAK_ROUNDS`` (``make
test-soak``, in CI).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from writeback_env import (
    ASANA,
    PLANNER,
    REPORT,
    Boxes,
    field_values,
    load,
    marked_updates,
    open_store,
    planner_owned,
    start_boxes,
    store_echoes,
    successful_writes,
    write_config,
)

from pmosync.store import Store
from pmosync.store.write_ledger import CONFLICT, WRITTEN, WriteEntry
from pmosync.sync.run import run_sync
from pmosync.writeback.run import run_writeback
from pmosync.writeback.verdicts import judge

SOAK_ROUNDS = 1000
LANES = 4
CHURN = 0.05
WORDS = {"green": "Green", "amber": "Amber", "red": "Red", "blue": "On hold",
         "complete": "Complete"}  # fmt: skip
"""The computed colours in words, as the config's defaults name the options and labels."""


def _shown(entry: WriteEntry, boxes: Boxes, fields, updates, plans) -> str | None:
    """What the tool shows of the owned value ``entry`` is about."""
    if entry.field == "rag_field":
        return fields[entry.item_id]
    if entry.field == "status_update":  # posted once, never edited: there or not
        return entry.value if entry.ref in updates.get(entry.item_id, ()) else None
    owned = plans[entry.item_id]
    if entry.field == "label":
        return owned.label
    task = next((t for t in owned.tasks if t[0] == entry.ref), None)
    if task is None:
        return None
    return task[1] if entry.field == "status_task" else task[2]


def _ledger_problems(
    store: Store, boxes: Boxes, verdicts: dict[str, tuple], touched: set[str]
) -> list[str]:
    """How the ledger and the tools disagree. ``touched`` are the Planner tasks the churn (a
    human) edited: pmosync's status task among them may show the human's title or note, which
    pmosync only learns when it next writes there (a 412, then a conflict)."""
    fields = field_values(boxes.org, boxes.field_gid)
    updates = marked_updates(boxes.org)
    plans = planner_owned(boxes.tenant)
    problems = []
    for entry in store.writes.entries().values():
        where = f"{entry.connector} {entry.field} {entry.item_id}"
        shown = _shown(entry, boxes, fields, updates, plans)
        human = entry.ref in touched
        if entry.state == WRITTEN and shown != entry.value and not human:
            problems.append(f"{where}: ledger {entry.value!r}, tool {shown!r}")
        elif entry.state == CONFLICT and (shown == entry.value or not human):
            problems.append(f"{where}: a conflict, yet the tool shows {shown!r} (no human)")
        elif entry.state not in (WRITTEN, CONFLICT):
            problems.append(f"{where}: left {entry.state} ({entry.detail})")
        if entry.state != WRITTEN or entry.field == "status_update":
            continue
        word = WORDS[verdicts[entry.item_id][0]]
        wanted = {"rag_field": word, "label": f"PMO: {word}", "status_task": f"PMO status: {word}"}
        if entry.field in wanted and entry.value != wanted[entry.field]:
            problems.append(f"{where}: wrote {entry.value!r}, the report says {word}")
        if entry.field == "status_note" and not entry.value.startswith(f"Computed RAG: {word},"):
            problems.append(f"{where}: the note says {entry.value[:40]!r}, the report {word}")
    return problems


def round_trip(folder: Path, rounds: int, seed: int = 3) -> None:
    """``rounds`` round trips on a tiny organisation of ``seed``, checked after each."""
    boxes = start_boxes(seed=seed)
    try:
        config = load(write_config(folder, boxes), boxes)
        with open_store(config) as store:
            _rounds(config, store, boxes, rounds)
    finally:
        boxes.stop()


def _rounds(config, store: Store, boxes: Boxes, rounds: int) -> None:
    today = boxes.today
    before: dict[str, tuple] | None = None
    changed_rounds = written_rounds = 0
    touched: set[str] = set()
    for number in range(rounds):
        quiet = number % 2 == 1  # round 1 follows pmosync's first writes: the likeliest echo
        if not quiet and number > 0:
            boxes.org.mutate_fraction(CHURN, number)
            touched.update(boxes.tenant.mutate_fraction(CHURN, number))
        synced = run_sync(config, store)
        assert not synced.failed, f"round {number}: the sync failed"
        echoes = store_echoes(store, boxes)
        assert echoes == [], f"round {number}: {echoes}"
        verdicts = _verdicts(config, store, today)
        boxes.reset_stats()
        outcome = run_writeback(config, store, apply=True, today=today)
        assert outcome.status == "succeeded", f"round {number}: {outcome.error}"
        writes = successful_writes(boxes)
        if before is not None and quiet:
            assert verdicts == before, f"round {number}: pmosync's own writes changed a verdict"
            assert writes == [], f"round {number}: nothing changed, yet {writes}"
        problems = _ledger_problems(store, boxes, verdicts, touched)
        assert problems == [], f"round {number}: {problems}"
        changed_rounds += before is not None and verdicts != before
        written_rounds += bool(writes)
        before = verdicts
    assert run_sync(config, store).failed is False
    assert store_echoes(store, boxes) == []
    if rounds >= 20:  # the churn did its job: RAGs moved, and pmosync followed them
        assert changed_rounds >= 1 and written_rounds >= 2, (changed_rounds, written_rounds)
    assert {e.connector for e in store.writes.entries().values()} == {ASANA, PLANNER}


def _verdicts(config, store, today) -> dict[str, tuple]:
    """Project id in its tool -> (computed RAG, reasons), by the report's own code."""
    judged = judge(config, store, REPORT, today)
    return {v.source_id: (v.rag, v.reasons) for v in judged.verdicts}


def test_pmosyncs_first_writes_change_no_verdict_and_trigger_no_write(tmp_path):
    boxes = start_boxes(seed=3)
    try:
        config = load(write_config(tmp_path, boxes), boxes)
        with open_store(config) as store:
            assert not run_sync(config, store).failed
            first = _verdicts(config, store, boxes.today)
            assert "blue" in {rag for rag, _ in first.values()}, "seed 3 has a project on hold"
            run_writeback(config, store, apply=True, today=boxes.today)
            assert not run_sync(config, store).failed  # nothing changed upstream but pmosync's
            assert _verdicts(config, store, boxes.today) == first
            boxes.reset_stats()
            run_writeback(config, store, apply=True, today=boxes.today)
            assert successful_writes(boxes) == []
    finally:
        boxes.stop()


def test_twenty_round_trips_write_only_what_changed_and_never_echo(tmp_path):
    round_trip(tmp_path, 20)


LANE = """\
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from test_writeback_roundtrip import round_trip
round_trip(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
"""


@pytest.mark.soak
def test_soak_round_trips(tmp_path):
    """SOAK_ROUNDS round trips in LANES child processes side by side, each on its own
    sandboxes, store and seed: a round waits mostly on the Asana client's pacing (1,350
    requests a minute), so lanes overlap their waits instead of queueing them."""
    lanes = []
    for lane in range(LANES):
        folder = tmp_path / f"lane{lane}"
        folder.mkdir()
        command = [sys.executable, "-c", LANE, str(Path(__file__).parent), str(folder),
                   str(SOAK_ROUNDS // LANES), str(11 + lane)]  # fmt: skip
        lanes.append(
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        )
    failures = []
    for lane, child in enumerate(lanes):
        out, err = child.communicate(timeout=1800)
        if child.returncode != 0:
            failures.append(f"lane {lane}: {(out + err)[-3000:]}")
    assert failures == []
