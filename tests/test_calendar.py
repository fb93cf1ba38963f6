"""The organisation's working calendar and time zone, against days counted by hand.

December 2026 on paper: Monday 21st .. Sunday 27th is ISO week 52; Christmas Day (25th) is a
Friday and the 26th a Saturday. Monday 28th .. Sunday 3 January 2027 is week 53; 1 January 2027
is a Friday. Germany keeps 25 and 26 December; England keeps 25 December, Boxing Day falls on a
Saturday so Monday 28th is "Boxing Day (observed)", and 1 January is New Year's Day. Berlin is
UTC+1 in December, Tokyo UTC+9.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from pmosync.canonical import Leave, Person, PersonIdentity, Project, TimeEntry
from pmosync.cli.schedules import next_runs
from pmosync.config import ConfigError, PlannerConnector, load_config
from pmosync.config.organisation import CalendarSettings
from pmosync.config.reports import GovernanceRules
from pmosync.orchestration.jobs import due_reports
from pmosync.reports.dataset import Dataset, ProjectRow, StatusRow, TaskRow
from pmosync.reports.job import compute_document
from pmosync.reports.metrics.calendar import PLAIN, calendar_for, local_day
from pmosync.reports.metrics.governance import governance_findings
from pmosync.reports.metrics.plan import WorkingDays, current_plan
from pmosync.reports.metrics.progress import milestones, project_progress
from pmosync.reports.metrics.rag import latest_update
from pmosync.reports.metrics.throughput import throughput
from pmosync.store import Store
from pmosync.store.schema import runs

BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")
W52 = date(2026, 12, 21)
W53 = date(2026, 12, 28)


def dec(day: int) -> date:
    return date(2026, 12, day)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pmosync.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def organisation(tmp_path: Path, block: str):
    return load_config(write(tmp_path, "organisation:\n" + block), {}).organisation


def problems(tmp_path: Path, block: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, "organisation:\n" + block), {})
    return caught.value.problems


# --- the YAML ------------------------------------------------------------------------------------


def test_defaults_are_saturday_sunday_no_holidays_machine_zone(tmp_path):
    org = load_config(write(tmp_path, "store: sqlite:///x.db\n"), {}).organisation
    assert org.timezone is None
    assert org.calendar.weekend_days == frozenset({5, 6})
    cal = calendar_for(org.calendar, 2026, 2026)
    assert cal.holidays == frozenset() and cal.week_length == 5
    assert cal == PLAIN


def test_german_christmas_takes_a_working_day_off_week_52(tmp_path):
    org = organisation(
        tmp_path, "  timezone: Europe/Berlin\n  calendar:\n    holidays: {country: de}\n"
    )
    assert org.calendar.holidays.country == "DE"  # written in lower case, read as the code
    cal = calendar_for(org.calendar, 2026, 2027, org.zone())
    # W52: Mon 21 .. Fri 25 are weekdays; Fri 25 is Christmas Day: 4 working days. The 26th is
    # a Saturday, off anyway.
    assert cal.working_days(W52, dec(27)) == 4
    assert cal.holidays_between(W52, dec(27)) == [dec(25)]
    assert not cal.is_working_day(dec(25)) and cal.is_working_day(dec(24))
    assert cal.holiday_names[dec(25)] == "Christmas Day"
    # W53: Mon 28 .. Thu 31 and Fri 1 January 2027 (New Year's Day): 4 working days.
    assert cal.working_days(W53, date(2027, 1, 3)) == 4


def test_english_boxing_day_observed_on_monday(tmp_path):
    org = organisation(tmp_path, "  calendar:\n    holidays: {country: GB, subdivision: eng}\n")
    assert org.calendar.holidays.subdivision == "ENG"
    cal = calendar_for(org.calendar, 2026, 2027)
    # W53: Mon 28 (Boxing Day observed) and Fri 1 Jan (New Year) off: Tue 29, Wed 30, Thu 31.
    assert list(cal.days(W53, date(2027, 1, 3))) == [dec(29), dec(30), dec(31)]
    assert cal.working_days(W52, dec(27)) == 4  # Fri 25 off


def test_closure_days_and_another_weekend(tmp_path):
    org = organisation(
        tmp_path,
        "  calendar:\n"
        "    weekend: [friday, saturday]\n"
        "    holidays: {country: DE}\n"
        "    extra_holidays: [2026-12-24, 2026-12-27]\n",
    )
    cal = calendar_for(org.calendar, 2026, 2026)
    assert cal.weekend == frozenset({4, 5}) and cal.week_length == 5
    # W52 with Friday-Saturday weekends: Mon 21, Tue 22, Wed 23, Thu 24, Sun 27 are weekdays;
    # Thu 24 and Sun 27 are closure days; Fri 25 and Sat 26 are the weekend: 3 working days.
    assert list(cal.days(W52, dec(27))) == [dec(21), dec(22), dec(23)]
    assert cal.holiday_names[dec(24)] == "Closure day"


@pytest.mark.parametrize(
    ("block", "key", "words"),
    [
        (
            "  calendar:\n    holidays: {country: XX}\n",
            "organisation.calendar.holidays.country",
            "XX",
        ),
        (
            "  calendar:\n    holidays: {country: DE, subdivision: ZZ}\n",
            "organisation.calendar.holidays.subdivision",
            "not a subdivision of DE",
        ),
        ("  timezone: Europe/Nowhere\n", "organisation.timezone", "not a time zone"),
        ("  calendar:\n    weekend: [sonday]\n", "organisation.calendar.weekend[0]", "sonday"),
    ],
)
def test_bad_calendar_keys_are_named(tmp_path, block, key, words):
    found = problems(tmp_path, block)
    assert len(found) == 1, found
    assert f": {key}: " in found[0] and words in found[0], found[0]


def test_a_planner_connector_reads_dates_in_the_organisation_zone(tmp_path):
    text = (
        "organisation: {timezone: Europe/Berlin}\n"
        "connectors:\n"
        "  ops: {type: planner, token: t, groups: [g1]}\n"
        "  hr: {type: planner, token: t, groups: [g2], timezone: Asia/Tokyo}\n"
    )
    config = load_config(write(tmp_path, text), {})
    ops, hr = config.connectors["ops"], config.connectors["hr"]
    assert isinstance(ops, PlannerConnector) and isinstance(hr, PlannerConnector)
    assert (ops.timezone, hr.timezone) == ("Europe/Berlin", "Asia/Tokyo")  # its own key wins
    plain = load_config(
        write(tmp_path, "connectors:\n  ops: {type: planner, token: t, groups: [g]}\n"), {}
    )
    assert plain.connectors["ops"].timezone == "UTC"  # no organisation zone: Planner's UTC


# --- instants become days in the organisation's zone ------------------------------------------

LATE = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)
"""23:30 UTC on Thursday 3 December: 00:30 on Friday the 4th in Berlin, 08:30 on the 4th in
Tokyo, still the 3rd in UTC."""


def test_local_day_east_of_utc():
    assert local_day(LATE, BERLIN) == dec(4)
    assert local_day(LATE, UTC) == dec(3)
    assert local_day(LATE.replace(tzinfo=None), BERLIN) == dec(4)  # naive: a UTC instant


def test_the_report_date_is_today_in_the_organisation_zone(tmp_path):
    org = organisation(tmp_path, "  timezone: Europe/Berlin\n")
    assert org.today(LATE) == dec(4)
    assert organisation(tmp_path, "  timezone: UTC\n").today(LATE) == dec(3)


def _milestone(completed_at: datetime) -> TaskRow:
    return TaskRow(
        "m1", "p1", "Go-live", is_milestone=True, status="done", completed_at=completed_at
    )


def test_a_milestone_completed_late_utc_counts_on_the_berlin_day():
    berlin = calendar_for(CalendarSettings(), 2026, 2026, BERLIN)
    # This period = the one day Friday 4 December. In Berlin the milestone was done on the 4th.
    assert milestones([_milestone(LATE)], dec(4), dec(4), calendar=berlin).completed == (
        _milestone(LATE),
    )
    # Taken as a UTC day it was done on the 3rd: outside the period.
    assert milestones([_milestone(LATE)], dec(4), dec(4), calendar=PLAIN).completed == ()
    progress = project_progress([_milestone(LATE)], set(), dec(4), 1, berlin)
    assert [t.id for t in progress.milestones.completed] == ["m1"]


def test_a_task_without_start_is_planned_from_its_local_creation_day():
    # Created Monday 7 December 23:30 UTC = Tuesday the 8th 00:30 in Berlin; due Friday 11th.
    created = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)
    task = TaskRow("t1", "p1", "Build", due_date=dec(11), created_at=created)
    berlin = calendar_for(CalendarSettings(), 2026, 2026, BERLIN)
    [in_berlin] = current_plan([task], WorkingDays(berlin)).tasks
    [in_utc] = current_plan([task], WorkingDays(PLAIN)).tasks
    assert (in_berlin.first, in_berlin.last) == (dec(8), dec(11))
    assert (in_utc.first, in_utc.last) == (dec(7), dec(11))


def test_throughput_counts_a_completion_in_its_local_week():
    # Sunday 29 November 23:30 UTC is Monday 30 November 00:30 in Berlin: week 49, not 48.
    task = TaskRow(
        "t1", "p1", "Task", status="done", completed_at=datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    )
    w48, w49 = date(2026, 11, 23), date(2026, 11, 30)
    assert [w.completed for w in throughput([task], [w48, w49], BERLIN)] == [0, 1]
    assert [w.completed for w in throughput([task], [w48, w49], UTC)] == [1, 0]


def test_status_updates_are_dated_in_the_organisation_zone():
    # Posted Friday 4 December 23:30 UTC: in Tokyo that is Saturday the 5th, after a report
    # dated the 4th, so that report cannot have seen it; in UTC it is the 4th and counts.
    late = StatusRow("p1", datetime(2026, 12, 4, 23, 30, tzinfo=UTC), "red")
    earlier = StatusRow("p1", datetime(2026, 11, 20, 9, 0, tzinfo=UTC), "green")
    assert latest_update([earlier, late], dec(4), UTC) == late
    assert latest_update([earlier, late], dec(4), TOKYO) == earlier


def test_status_update_age_is_counted_in_local_days():
    # Posted Thursday 19 November 23:30 UTC = Friday the 20th 00:30 in Berlin. On 4 December
    # that is 15 days old as a UTC day (over the 14-day limit) but 14 days old in Berlin (in
    # time).
    posted = datetime(2026, 11, 19, 23, 30, tzinfo=UTC)
    dataset = Dataset(
        as_of=dec(4),
        projects=[ProjectRow("p1", "asana", "P", owner_id="x")],
        status_updates=[StatusRow("p1", posted, "green")],
    )
    rules = GovernanceRules(checks=["status_update"], status_update_days=14)
    assert [f.detail for f in governance_findings(dataset, rules, UTC)] == [
        "no status update since 2026-11-19 (15 days)"
    ]
    assert governance_findings(dataset, rules, BERLIN) == []


# --- cron in the organisation's zone ----------------------------------------------------------


def test_schedules_tick_in_the_organisation_zone(tmp_path):
    text = (
        "organisation: {timezone: Europe/Berlin}\n"
        "reports:\n"
        "  weekly: {kind: timesheet_compliance, schedule: '0 7 * * MON'}\n"
    )
    config = load_config(write(tmp_path, text), {})
    # Friday 4 December 12:00 UTC: the next Monday 07:00 in Berlin is 7 December 07:00 CET,
    # 06:00 UTC (whatever the machine's own zone is).
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    tick = next_runs(config, now)["weekly"]
    assert tick == datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    assert tick.utcoffset().total_seconds() == 3600  # shown in Berlin time


def test_pmosync_run_finds_a_report_due_by_the_organisation_clock(tmp_path):
    text = (
        "store: sqlite:///store.db\n"
        "organisation: {timezone: Europe/Berlin}\n"
        "reports:\n"
        "  weekly: {kind: timesheet_compliance, schedule: '0 7 * * MON'}\n"
    )
    config = load_config(write(tmp_path, text), {})
    # Monday 7 December: the 07:00 Berlin tick is 06:00 UTC. The last run started 05:30 UTC,
    # before it; at 06:30 UTC the report is due again. Read in UTC, Monday's 07:00 would not
    # have come yet and the last tick (30 November) would be older than the run: not due.
    last_run = datetime(2026, 12, 7, 5, 30, tzinfo=UTC)
    with Store.open(config.store, base_dir=tmp_path) as store:
        with store.engine.begin() as connection:
            connection.execute(
                insert(runs).values(
                    id="run-weekly",
                    kind="report",
                    job="weekly",
                    started_at=last_run,
                    ended_at=last_run,
                    status="succeeded",
                )
            )
        assert due_reports(config, store, datetime(2026, 12, 7, 6, 30, tzinfo=UTC)) == ["weekly"]
        assert due_reports(config, store, datetime(2026, 12, 7, 5, 45, tzinfo=UTC)) == []


# --- end to end: the YAML's calendar and the store's leave reach the report ---------------------


def test_a_compliance_report_expects_the_contract_less_christmas_and_leave(tmp_path):
    text = (
        "store: sqlite:///store.db\n"
        "organisation:\n"
        "  timezone: Europe/Berlin\n"
        "  calendar: {holidays: {country: DE}}\n"
        "reports:\n"
        "  timesheets: {kind: timesheet_compliance, rules: {weeks: 1}}\n"
    )
    config = load_config(write(tmp_path, text), {})
    ann = Person(
        source="pmosync:people", source_id="ann@x.example", name="Ann", email="ann@x.example"
    )
    identity = PersonIdentity(source="hr", source_id="u1", email="ann@x.example", person_id=ann.id)
    project = Project(source="hr", source_id="p1", name="Website")
    with Store.open(config.store, base_dir=tmp_path) as store:
        with store.writer() as writer:
            writer.upsert(
                [
                    ann,
                    identity,
                    project,
                    # W52 (21-27 December): 24 h approved on Wednesday the 23rd.
                    TimeEntry(
                        source="hr",
                        source_id="e1",
                        identity_id=identity.id,
                        project_id=project.id,
                        entry_date=dec(23),
                        minutes=1440,
                        approval="approved",
                    ),
                    # A day of leave on Monday the 21st.
                    Leave(
                        source="hr",
                        source_id="l1",
                        identity_id=identity.id,
                        start_date=dec(21),
                        end_date=dec(21),
                        kind="annual",
                    ),
                ]
            )
        document = compute_document(config, store, "timesheets", dec(30))
    # 40 h less Christmas Day (Friday 25th, 8 h) less the day of leave (8 h) = 24 h expected,
    # 24 h logged: ok. Without the calendar and the leave it would be 24 of 40: under.
    [row] = document.section("status").rows
    assert row["week_1"] == "ok"
    assert {f.key: f.value for f in document.figures}["compliance_pct"] == 100
