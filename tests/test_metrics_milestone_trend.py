"""Milestone trend analysis and baseline vs forecast: each milestone's forecast at each report
date from explicit history rows, its slip in working days and its status, worked by hand; and
the dataset part that reads the history from a real store, written through the one write path
with the writer's clock set (so each version's day is known)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pmosync.canonical import Project, Task
from pmosync.config.reports import Filters
from pmosync.reports.dataset import (
    BaselineRow,
    MilestoneVersion,
    TaskRow,
    load_dataset,
)
from pmosync.reports.metrics.calendar import PLAIN, WorkingCalendar
from pmosync.reports.metrics.milestone_trend import (
    milestone_trends,
    most_slipped,
    report_dates,
    signed_working_days,
)
from pmosync.reports.metrics.plan import WorkingDays
from pmosync.store.baselines import PlannedTask

AS_OF = date(2026, 3, 25)  # a Wednesday


def d(month: int, day: int) -> date:
    return date(2026, month, day)


def utc(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def v(valid: datetime, due: date | None, completed: datetime | None = None) -> MilestoneVersion:
    return MilestoneVersion(valid, due, completed)


TASKS = [
    TaskRow("m1", "p1", "Design signed off", is_milestone=True, due_date=d(3, 27)),
    TaskRow("m2", "p1", "Beta", is_milestone=True, due_date=d(4, 7)),
    TaskRow("m3", "p1", "Kick-off", is_milestone=True, status="done", due_date=d(3, 6),
            completed_at=utc(3, 9, 7)),
    TaskRow("m4", "p2", "Launch", is_milestone=True, due_date=d(4, 30)),
    TaskRow("m5", "p2", "Training", is_milestone=True, due_date=d(4, 17)),
    TaskRow("m6", "p2", "Handover", is_milestone=True),
    TaskRow("t1", "p1", "Work", due_date=d(3, 2)),  # not a milestone: no trend
]  # fmt: skip

HISTORY = {
    # moved twice: 13 Mar -> 20 Mar (on 12 Mar) -> 27 Mar (at midnight ending 18 Mar)
    "m1": (v(utc(3, 1), d(3, 13)), v(utc(3, 12), d(3, 20)), v(utc(3, 19, 0), d(3, 27))),
    # first seen 5 Mar; moved from Fri 3 Apr to Tue 7 Apr on 17 Mar
    "m2": (v(utc(3, 5), d(4, 3)), v(utc(3, 17), d(4, 7))),
    # due Fri 6 Mar, done on Monday 9 Mar
    "m3": (v(utc(3, 1), d(3, 6)), v(utc(3, 9, 8), d(3, 6), utc(3, 9, 7))),
    # m4: no history (a store that began today)
    "m5": (v(utc(3, 1), d(4, 10)), v(utc(3, 24), d(4, 17))),
}

BASELINES = {
    "p1": BaselineRow(
        "p1", "Baseline", utc(3, 1), "first_sync",
        tasks=(
            PlannedTask("m1", "Design signed off", "milestone", None, d(3, 13)),
            PlannedTask("m2", "Beta", "milestone", None, d(4, 3)),
            PlannedTask("m3", "Kick-off", "milestone", None, d(3, 6)),
            PlannedTask("t1", "Work", "work", None, d(3, 2), 8),
        ),
    )
}  # fmt: skip


def test_report_dates_are_weekly_and_the_earlier_runs():
    # three weeks back (same weekday), an earlier run on Friday 20 Mar, one after as_of ignored
    assert report_dates(AS_OF, [d(3, 20), d(3, 18), d(3, 30)], 3) == (
        d(3, 4), d(3, 11), d(3, 18), d(3, 20), AS_OF,
    )  # fmt: skip


def test_slip_counts_working_days():
    days = WorkingDays(PLAIN)
    assert signed_working_days(days, d(4, 3), d(4, 7)) == 2  # Fri -> Tue: Mon, Tue
    assert signed_working_days(days, d(4, 7), d(4, 3)) == -2
    assert signed_working_days(days, d(3, 13), d(3, 13)) == 0
    easter = WorkingCalendar(holidays=frozenset({d(4, 6)}))  # Easter Monday off
    assert signed_working_days(WorkingDays(easter), d(4, 3), d(4, 7)) == 1


def test_each_milestones_forecast_at_each_report_date_worked_by_hand():
    dates = report_dates(AS_OF, [d(3, 20)], 3)
    result = milestone_trends(TASKS, HISTORY, BASELINES, dates, AS_OF, PLAIN)
    assert result.dates == (d(3, 4), d(3, 11), d(3, 18), d(3, 20), AS_OF)
    trends = {m.task_id: m for m in result.milestones}
    assert set(trends) == {"m1", "m2", "m3", "m4", "m5", "m6"}

    m1 = trends["m1"]
    # 4 and 11 Mar: v1 (13 Mar); 18 Mar: v2 (v3 became valid as that day ended, not during
    # it); 20 Mar: v3; as_of: today's due date
    assert m1.series == (d(3, 13), d(3, 13), d(3, 20), d(3, 27), d(3, 27))
    # baseline Fri 13 Mar -> Fri 27 Mar: 10 working days; open past its baseline date
    assert (m1.baseline, m1.forecast, m1.slip_days, m1.status) == (
        d(3, 13), d(3, 27), 10, "overdue",
    )  # fmt: skip

    m2 = trends["m2"]
    assert m2.series == (None, d(4, 3), d(4, 7), d(4, 7), d(4, 7))  # unknown before 5 Mar
    assert (m2.slip_days, m2.moved_days, m2.status) == (2, 2, "slipping")

    m3 = trends["m3"]
    # done on Monday 9 Mar: forecast is the completion day from the version that says so
    assert m3.series == (d(3, 6), d(3, 9), d(3, 9), d(3, 9), d(3, 9))
    assert (m3.done, m3.slip_days, m3.status) == (True, 1, "done")

    m4 = trends["m4"]  # no history, no baseline: known at as_of only
    assert m4.series == (None, None, None, None, d(4, 30))
    assert (m4.baseline, m4.slip_days, m4.moved_days, m4.status) == (None, None, None, "on track")

    m5 = trends["m5"]  # no baseline: slipping against its first forecast (Fri 10 -> Fri 17 Apr)
    assert m5.series == (d(4, 10), d(4, 10), d(4, 10), d(4, 10), d(4, 17))
    assert (m5.slip_days, m5.moved_days, m5.status) == (None, 5, "slipping")

    assert trends["m6"].status == "no date" and trends["m6"].forecast is None

    # attention first: overdue, slipping (the one moved most first), no date, on track, done
    assert [m.task_id for m in result.milestones] == ["m1", "m5", "m2", "m6", "m4", "m3"]
    # the chart's lines: drawn ones (two points or more) that slipped most
    assert [m.task_id for m in most_slipped(result.milestones, 2)] == ["m1", "m5"]
    assert [m.task_id for m in most_slipped(result.milestones, 9)] == ["m1", "m5", "m2", "m3"]


def test_a_completion_is_read_on_the_organisations_day():
    """Done at 23:30 UTC on Friday 6 Mar is Saturday 7 Mar in Berlin; the version written
    then is valid from 23:45 UTC, i.e. 00:45 on the 7th there: the report of the 6th (Berlin)
    does not see it yet."""
    from zoneinfo import ZoneInfo

    berlin = WorkingCalendar(zone=ZoneInfo("Europe/Berlin"))
    done = datetime(2026, 3, 6, 23, 30, tzinfo=UTC)
    task = TaskRow("m", "p", "M", is_milestone=True, status="done", due_date=d(3, 6),
                   completed_at=done)  # fmt: skip
    history = {"m": (v(utc(3, 1), d(3, 6)), v(datetime(2026, 3, 6, 23, 45, tzinfo=UTC),
                                               d(3, 6), done))}  # fmt: skip
    result = milestone_trends([task], history, {}, [d(3, 6), d(3, 7)], d(3, 9), berlin)
    assert result.milestones[0].series == (d(3, 6), d(3, 7), d(3, 7))


# -- the dataset part, from a real store -------------------------------------------------------

TOOL = "tool-a"
WEB = Project.ref(TOOL, "web")


def _milestone(key: str, due: date, **extra) -> Task:
    fields = {"name": f"Milestone {key}", **extra}
    return Task(source=TOOL, source_id=key, project_id=WEB, is_milestone=True, due_date=due,
                **fields)  # fmt: skip


def _write(store, at: datetime, records=(), deleted=()):
    with store.writer() as writer:
        writer.now = at
        writer.upsert(records)
        if deleted:
            writer.soft_delete(Task, TOOL, deleted)


def test_milestone_history_is_read_from_the_store(store):
    project = Project(source=TOOL, source_id="web", name="Website")
    work = Task(source=TOOL, source_id="w", project_id=WEB, name="Work", due_date=d(11, 20))
    _write(
        store,
        datetime(2026, 11, 2, 9, tzinfo=UTC),
        [project, work, _milestone("a", d(11, 20)), _milestone("b", d(11, 27))],
    )
    # on 10 Nov "a" moves to 27 Nov, "b" is renamed only (a version: names are tracked too)
    _write(
        store,
        datetime(2026, 11, 10, 18, tzinfo=UTC),
        [_milestone("a", d(11, 27)), _milestone("b", d(11, 27), name="Renamed")],
    )
    # on 20 Nov "a" is done; the work task moves (not a milestone: not read)
    done = datetime(2026, 11, 20, 15, tzinfo=UTC)
    _write(
        store,
        datetime(2026, 11, 20, 16, tzinfo=UTC),
        [
            _milestone("a", d(11, 27), status="done", completed_at=done),
            work.model_copy(update={"due_date": d(11, 30)}),
        ],
    )
    # after the report's day: not part of its history
    _write(store, datetime(2026, 11, 26, 9, tzinfo=UTC), [_milestone("b", d(12, 4))])
    # fmt: skip

    as_of = d(11, 25)
    dataset = load_dataset(store, Filters(), as_of, ("tasks", "milestone_history"), zone=UTC)
    a, b = Task.ref(TOOL, "a"), Task.ref(TOOL, "b")
    assert set(dataset.milestone_history) == {a, b}
    assert dataset.milestone_history[a] == (
        MilestoneVersion(datetime(2026, 11, 2, 9, tzinfo=UTC), d(11, 20), None),
        MilestoneVersion(datetime(2026, 11, 10, 18, tzinfo=UTC), d(11, 27), None),
        MilestoneVersion(datetime(2026, 11, 20, 16, tzinfo=UTC), d(11, 27), done),
    )
    assert [version.due_date for version in dataset.milestone_history[b]] == [d(11, 27)] * 2

    # the trend over weekly dates 4, 11 and 18 Nov (history from 2 Nov): "a" 20 -> 27 Nov,
    # then done on the 20th; "b" 27 Nov throughout (its move on the 26th is after as_of)
    result = milestone_trends(
        dataset.tasks, dataset.milestone_history, dataset.baselines,
        report_dates(as_of, (), 3), as_of, PLAIN,
    )  # fmt: skip
    trends = {m.task_id: m for m in result.milestones}
    assert result.dates == (d(11, 4), d(11, 11), d(11, 18), as_of)
    assert trends[a].series == (d(11, 20), d(11, 27), d(11, 27), d(11, 20))
    assert trends[b].series == (d(11, 27),) * 4
    # the first sync recorded no baseline here: "a" is done, "b" on track
    assert (trends[a].status, trends[b].status) == ("done", "on track")


def test_deleted_versions_and_other_parts_leave_history_empty(store):
    project = Project(source=TOOL, source_id="web", name="Website")
    _write(store, datetime(2026, 11, 2, 9, tzinfo=UTC), [project, _milestone("a", d(11, 20))])
    _write(store, datetime(2026, 11, 3, 9, tzinfo=UTC), deleted=("a",))
    dataset = load_dataset(store, Filters(), d(11, 25), ("tasks", "milestone_history"), zone=UTC)
    assert dataset.tasks == [] and dataset.milestone_history == {}  # deleted by as_of
    revived = d(11, 30)
    _write(store, datetime(2026, 11, 4, 9, tzinfo=UTC), [_milestone("a", revived)])
    dataset = load_dataset(store, Filters(), d(11, 25), ("tasks", "milestone_history"), zone=UTC)
    # the deletion is no forecast: the versions before and after it are
    assert [v.due_date for v in dataset.milestone_history[Task.ref(TOOL, "a")]] == [
        d(11, 20), revived,
    ]  # fmt: skip
    # a kind that does not ask for it reads none
    assert load_dataset(store, Filters(), d(11, 25), ("tasks",), zone=UTC).milestone_history == {}
