"""``pmosync run`` says which reports were due and when each comes due next; ``report list``
shows the next run. The expected times are worked out here by calendar arithmetic (the next
Monday 07:00, the next first of the month 06:00, in UTC), not by the cron code under test."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from cli import run_pmosync

ENV = {"TZ": "UTC"}


def _write_config(folder):
    (folder / "Timesheets").mkdir()
    (folder / "Timesheets" / "W45.csv").write_text(
        "Email,Date,Hours,Project\r\nann@contoso.example,2026-11-02,7.5,Website\r\n",
        encoding="utf-8",
    )
    path = folder / "pmosync.yaml"
    path.write_text(
        "connectors:\n"
        "  timesheets:\n"
        "    type: files\n"
        "    path: Timesheets\n"
        "    columns: {person: Email, date: Date, hours: Hours, project: Project}\n"
        "reports:\n"
        "  weekly:\n"
        "    kind: timesheet_compliance\n"
        "    schedule: '0 7 * * MON'\n"
        "    formats: [csv]\n"
        "  monthly:\n"
        "    kind: timesheet_compliance\n"
        "    schedule: '0 6 1 * *'\n"
        "    formats: [csv]\n"
        "  adhoc:\n"
        "    kind: timesheet_compliance\n"
        "    formats: [csv]\n",
        encoding="utf-8",
    )
    return path


def _next_monday_7(now: datetime) -> datetime:
    day = now.replace(hour=7, minute=0, second=0, microsecond=0)
    day += timedelta(days=(0 - day.weekday()) % 7)
    return day if day > now else day + timedelta(days=7)


def _next_first_6(now: datetime) -> datetime:
    first = now.replace(day=1, hour=6, minute=0, second=0, microsecond=0)
    if first > now:
        return first
    return (first + timedelta(days=32)).replace(day=1)


def test_run_names_the_due_reports_and_the_next_runs(tmp_path):
    path = _write_config(tmp_path)
    now = datetime.now(UTC)
    first = run_pmosync("run", "-c", path, env=ENV)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert "reports due: weekly, monthly" in lines
    expected = sorted(
        [("weekly", _next_monday_7(now)), ("monthly", _next_first_6(now))], key=lambda x: x[1]
    )
    shown = [line for line in lines if line.startswith("next run: ")]
    assert shown == [
        f"next run: {name} at {tick.strftime('%Y-%m-%d %H:%M')} UTC" for name, tick in expected
    ]
    assert not any("adhoc" in line for line in lines)  # on demand: never due, no next run

    again = run_pmosync("run", "-c", path, env=ENV)
    assert again.returncode == 0, again.stderr
    assert "no report was due" in again.stdout.splitlines()


def test_report_list_shows_the_next_run(tmp_path):
    path = _write_config(tmp_path)
    now = datetime.now(UTC)
    listed = run_pmosync("report", "list", "-c", path, "--format", "json", env=ENV)
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert datetime.fromisoformat(rows["weekly"]["next_run"]) == _next_monday_7(now)
    assert datetime.fromisoformat(rows["monthly"]["next_run"]) == _next_first_6(now)
    assert rows["adhoc"]["next_run"] is None
    table = run_pmosync("report", "list", "-c", path, env=ENV)
    assert "next run" in table.stdout
    assert _next_monday_7(now).strftime("%Y-%m-%d 07:00 UTC") in table.stdout
