"""Timesheet reminders through a real mail server (aiosmtpd on loopback) and a real store.

As of Wednesday 25 November 2026 with weeks=2, the last complete week is W47 (Mon 16 .. Sun
22 November); contracts are 40 h and there are no holidays or leave, so each person is expected
to log 40 h. Ana logged 30 h (short), Ben nothing (missing), Cid 40 h (complete), Dee nothing
but has no email address. Exactly two reminders go out, each naming only its recipient.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
import socket
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from pmosync.config import load_config
from pmosync.config.models import Resources
from pmosync.config.reports import ReportRules
from pmosync.reports.dataset import Dataset, PersonRow, ProjectRow, TimeRow
from pmosync.reports.delivery.reminders import address_hash, send_reminders
from pmosync.reports.kinds import ReportContext, builder
from pmosync.store import Store
from pmosync.store.schema import report_deliveries

SENDER = "pmo-reports@contoso.example"
ANA, BEN, CID = "ana@contoso.example", "Ben.Berg@contoso.example", "cid@contoso.example"
WHERE = "https://timesheets.contoso.example/log"


def nov(day: int) -> date:
    return date(2026, 11, day)


def hours(person: str, project: str, day: date, value: float) -> TimeRow:
    return TimeRow(person, project, day, round(value * 60))


def document():
    dataset = Dataset(
        as_of=nov(25),
        projects=[
            ProjectRow("p1", "asana", "Apollo <Website>"),
            ProjectRow("p2", "asana", "Borealis"),
        ],
        people={
            "ana": PersonRow("ana", "Ana Alves", ANA),
            "ben": PersonRow("ben", "Ben Berg", BEN),
            "cid": PersonRow("cid", "Cid Costa", CID),
            "dee": PersonRow("dee", "Dee Dorn", None),
        },
        time_entries=[
            hours("ana", "p1", nov(17), 20),  # W47: 20 + 10 = 30 h of 40: short
            hours("ana", "p1", nov(18), 10),
            hours("ana", "p2", nov(10), 8),  # W46: Borealis, less than Apollo's 30 h
            hours("ben", "p2", nov(11), 40),  # W46 only; W47 nothing: missing
            hours("cid", "p1", nov(16), 40),  # W47 40 h: complete
        ],
    )
    context = ReportContext(
        name="timesheets",
        kind="timesheet_compliance",
        title="Timesheets",
        generated_at=datetime(2026, 11, 25, 7, tzinfo=UTC),
        rules=ReportRules(weeks=2),
        resources=Resources(),
    )
    return builder("timesheet_compliance")(dataset, context)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd hook
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append(parsed)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def mail_server(port: int) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def _config(tmp_path: Path, port: int):
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            smtp:
              host: 127.0.0.1
              port: {port}
              security: none
              from: {SENDER}
              timeout_s: 2
            reports:
              timesheets:
                kind: timesheet_compliance
                rules:
                  weeks: 2
                reminders:
                  enabled: true
                  where_to_log: {WHERE}
            """
        ),
        encoding="utf-8",
    )
    return load_config(path, environ={})


@pytest.fixture
def store(store_url) -> Iterator[Store]:
    with Store.open(store_url) as opened:
        yield opened


def _rows(store: Store) -> list[dict]:
    with store.engine.connect() as connection:
        rows = connection.execute(select(report_deliveries).order_by(report_deliveries.c.target))
        return [dict(r._mapping) for r in rows]


def _parts(message) -> dict[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    return {part.get_content_type(): part.get_content() for part in message.iter_parts()}


def test_two_people_short_get_one_personal_reminder_each_and_only_once(tmp_path, store, caplog):
    caplog.set_level(logging.DEBUG, logger="pmosync")
    doc = document()
    # The report names who cannot be reminded (Dee has no email), where the PMO reads it.
    assert "1 person could not be reminded: no email (Dee Dorn)." in (
        doc.section("non_compliant").note
    )
    port = _free_port()
    config = _config(tmp_path, port)
    with mail_server(port) as inbox:
        first = send_reminders(config, store, "timesheets", "run-1", doc)
        second = send_reminders(config, store, "timesheets", "run-2", doc)
    assert sorted(o.status for o in first) == ["delivered", "delivered"]
    assert [o.status for o in second] == ["already_delivered", "already_delivered"]
    assert {o.period for o in first + second} == {"2026-W47"}
    assert len(inbox.messages) == 2, "a re-run sends nothing again"
    by_to = {m["To"]: m for m in inbox.messages}
    assert set(by_to) == {ANA, BEN}
    assert sorted(map(tuple, inbox.recipients)) == sorted([(ANA,), (BEN,)])

    ana = by_to[ANA]
    assert ana["Subject"] == "Timesheet reminder: week 2026-W47"
    assert ana["Auto-Submitted"] == "auto-generated"
    assert ana["From"] == SENDER
    ana_text, ana_html = _parts(ana)["text/plain"], _parts(ana)["text/html"]
    assert ana_text.startswith("Hello Ana Alves,")
    # W47 is Mon 16 .. Sun 22 November; 20 + 10 = 30 h logged of 40 h expected.
    assert "week 2026-W47 (Mon 16 Nov to Sun 22 Nov 2026) is short: 30 h logged of 40 h" in (
        ana_text
    )
    # Her usual projects: Apollo 30 h, then Borealis 8 h (the twelve weeks to 22 November).
    assert "Projects you usually log time to: Apollo <Website>; Borealis." in ana_text
    assert f"Where to log: {WHERE}" in ana_text
    assert "Apollo &lt;Website&gt;; Borealis" in ana_html and "<Website>" not in ana_html
    ben_text = _parts(by_to[BEN])["text/plain"]
    assert "is has" not in ben_text
    assert "week 2026-W47 (Mon 16 Nov to Sun 22 Nov 2026) has no hours logged: 0 h logged" in (
        ben_text
    )
    assert "Projects you usually log time to: Borealis." in ben_text
    # No one else's data: each message names only its recipient.
    for message, others in ((ana, ("Ben", "Cid", "Dee")), (by_to[BEN], ("Ana", "Cid", "Dee"))):
        whole = message.as_string()
        assert not any(name in whole for name in others)

    rows = _rows(store)
    assert [(r["period"], r["status"], r["attempts"]) for r in rows] == [
        ("2026-W47", "delivered", 1),
        ("2026-W47", "delivered", 1),
    ]
    assert {r["target"] for r in rows} == {
        f"reminder:{address_hash(ANA)}",
        f"reminder:{address_hash(BEN)}",
    }
    assert all(re.fullmatch(r"reminder:[0-9a-f]{12}", r["target"]) for r in rows)
    # The addresses are in neither the store's rows nor the logs.
    stored = repr(rows).lower()
    assert ANA not in stored and BEN.lower() not in stored
    logged = " ".join(
        r.getMessage() for r in caplog.records if r.name.startswith("pmosync")
    ).lower()
    assert ANA not in logged and BEN.lower() not in logged


def test_a_failed_send_is_recorded_and_retried_by_the_next_run(tmp_path, store):
    doc = document()
    port = _free_port()
    config = _config(tmp_path, port)
    # Nobody listens on the port: both reminders fail and are written down.
    failed = send_reminders(config, store, "timesheets", "run-1", doc)
    assert [o.status for o in failed] == ["failed", "failed"]
    assert all(f"127.0.0.1:{port}" in o.error for o in failed)
    assert [(r["status"], r["attempts"]) for r in _rows(store)] == [("failed", 1), ("failed", 1)]
    # The next run finds the server up: both go, once.
    with mail_server(port) as inbox:
        retried = send_reminders(config, store, "timesheets", "run-2", doc)
        again = send_reminders(config, store, "timesheets", "run-3", doc)
    assert [o.status for o in retried] == ["delivered", "delivered"]
    assert [o.status for o in again] == ["already_delivered", "already_delivered"]
    assert sorted(m["To"] for m in inbox.messages) == sorted([ANA, BEN])
    assert [(r["status"], r["attempts"]) for r in _rows(store)] == [
        ("delivered", 2),
        ("delivered", 2),
    ]


def test_nothing_is_sent_unless_reminders_are_enabled(tmp_path, store):
    port = _free_port()
    config = _config(tmp_path, port)
    config.reports["timesheets"].reminders.enabled = False
    with mail_server(port) as inbox:
        assert send_reminders(config, store, "timesheets", "run-1", document()) == []
    assert inbox.messages == [] and _rows(store) == []


def test_reminders_belong_to_timesheet_reports_only(tmp_path):
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        "reports:\n  weekly:\n    kind: portfolio_status\n    reminders:\n      enabled: true\n",
        encoding="utf-8",
    )
    from pmosync.config import ConfigError

    with pytest.raises(ConfigError, match="timesheet_compliance"):
        load_config(path, environ={})


def test_a_report_run_sends_the_reminders_once_per_person_week(tmp_path, sqlite_url):
    """The job wiring: ``run_report`` of a timesheet report with reminders on sends them after
    computing the report, and a second run of the same week sends nothing again."""
    from pmosync.canonical import PersonIdentity, Project, TimeEntry
    from pmosync.reports.job import run_report

    tool = "tool-a"
    with Store.open(sqlite_url) as store, store.writer() as writer:
        writer.now = datetime(2026, 11, 1, tzinfo=UTC)  # history covers the report date
        writer.upsert(
            [
                Project(source=tool, source_id="web", name="Website"),
                PersonIdentity(source=tool, source_id="u1", name="Ann", email="ann@x.example"),
                PersonIdentity(source=tool, source_id="u2", name="Bo", email="bo@x.example"),
                # Ann: 36 h in W47 of 40: short. Bo: 40 h: complete.
                TimeEntry(
                    source=tool, source_id="e1", identity_id=PersonIdentity.ref(tool, "u1"),
                    project_id=Project.ref(tool, "web"), entry_date=nov(17), minutes=36 * 60,
                ),
                TimeEntry(
                    source=tool, source_id="e2", identity_id=PersonIdentity.ref(tool, "u2"),
                    project_id=Project.ref(tool, "web"), entry_date=nov(18), minutes=40 * 60,
                ),
            ]
        )  # fmt: skip
    port = _free_port()
    config_path = tmp_path / "pmosync.yaml"
    config_path.write_text(
        f"store: {sqlite_url}\noutput_dir: out\n"
        f"smtp: {{host: 127.0.0.1, port: {port}, security: none, from: {SENDER}}}\n"
        "reports:\n  timesheets:\n    kind: timesheet_compliance\n    formats: [json]\n"
        "    rules: {weeks: 1}\n    reminders: {enabled: true}\n",
        encoding="utf-8",
    )
    config = load_config(config_path, environ={})
    with Store.open(sqlite_url) as store, mail_server(port) as inbox:
        first = run_report(config, store, "timesheets", nov(25))
        second = run_report(config, store, "timesheets", nov(27))  # same last week, W47
    assert (first.status, second.status) == ("succeeded", "succeeded"), first.error
    assert [(o.kind, o.period, o.status) for o in first.deliveries] == [
        ("reminder", "2026-W47", "delivered")
    ]
    assert [o.status for o in second.deliveries] == ["already_delivered"]
    [message] = inbox.messages
    assert message["To"] == "ann@x.example"
    text = _parts(message)["text/plain"]
    assert "is short: 36 h logged of 40 h expected" in text and "Website" in text
