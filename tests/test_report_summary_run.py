"""The executive summary through the real report command and store: a second run compares
with the first run's snapshot (its trend point), so a project that turned red between the two
is named, and the red count says +1.

The organisation is test_report_run's (worked by hand there): on 2026-11-23 Website has one
overdue milestone (Launch, due 11-20) => computed amber; Archive move is on hold => blue.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from cli import run_pmosync
from test_report_run import TOOL, _config, _fill, _json_file

from pmosync.canonical import Project, Task
from pmosync.store import Store

FIRST, SECOND = "2026-11-23", "2026-11-30"


def _second_milestone(url: str) -> None:
    """Go-live, due Wednesday 11-25 and still open, known from 11-24: on 11-30 Website has two
    overdue milestones (Launch and Go-live), red from 2 by the default rules."""
    with Store.open(url) as store, store.writer() as writer:
        writer.now = datetime(2026, 11, 24, tzinfo=UTC)
        writer.upsert(
            [
                Task(
                    source=TOOL,
                    source_id="m2",
                    project_id=Project.ref(TOOL, "web"),
                    name="Go-live",
                    is_milestone=True,
                    due_date=date(2026, 11, 25),
                )
            ]
        )


def _highlights(document: dict) -> list[tuple[str, str | None]]:
    return [(h["text"], h["rag"]) for h in document["highlights"]]


def _figure(document: dict, key: str) -> dict:
    return next(f for f in document["figures"] if f["key"] == key)


def test_a_project_turning_red_between_two_runs_is_named_and_counted(tmp_path, store_url):
    _fill(store_url)
    config = _config(tmp_path, store_url)

    first = run_pmosync("report", "weekly", "-c", config, "--as-of", FIRST, "--no-deliver")
    assert first.returncode == 0, first.stderr
    before = _json_file(first)
    assert before["previous_as_of"] is None
    assert _highlights(before)[0][0].startswith("First report: no earlier report to compare")
    assert (_figure(before, "red")["value"], _figure(before, "red")["change"]) == (0, None)
    assert (_figure(before, "amber")["value"], _figure(before, "amber")["change"]) == (1, None)

    _second_milestone(store_url)
    second = run_pmosync("report", "weekly", "-c", config, "--as-of", SECOND, "--no-deliver")
    assert second.returncode == 0, second.stderr
    after = _json_file(second)
    assert after["previous_as_of"] == FIRST
    # red 1 (was 0): +1; amber 0 (was 1): -1
    assert (_figure(after, "red")["value"], _figure(after, "red")["change"]) == (1, 1)
    assert (_figure(after, "amber")["value"], _figure(after, "amber")["change"]) == (0, -1)
    turned = [(text, rag) for text, rag in _highlights(after) if "turned red" in text]
    assert len(turned) == 1
    text, rag = turned[0]
    assert rag == "red"
    assert text.startswith("Website turned red (was amber): ")
    assert "2 overdue milestones (red from 2)" in text
    # the snapshot's trend point holds the facts the next run compares
    assert after["trend"]["project_rag"] == {
        Project.ref(TOOL, "web"): "red",
        Project.ref(TOOL, "arc"): "blue",
    }
    assert after["trend"]["milestones"] == {
        Task.ref(TOOL, "m1"): "2026-11-20",
        Task.ref(TOOL, "m2"): "2026-11-25",
    }
