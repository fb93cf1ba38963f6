"""Timesheet reminders: one short personal email to each person whose last week is missing or
short, sent once per person and week.

Opt-in (``reports.<name>.reminders.enabled``) on a timesheet_compliance report. The people come
from the report's own ``to_remind`` section (the last complete week's missing and short
timesheets, with expected and logged hours and the projects the person usually logs to), so the
reminder says exactly what the report says, and a retry sends what the first try would have.

Each reminder is a row of ``report_deliveries`` like any delivery: report = the report's name,
period = the ISO week (2026-W47), target = ``reminder:`` and a short hash of the address. A
delivered row means never again for that person-week (a re-run, a daemon retry, a second report
date in the same week); a failed one is tried again by the next run while that week is still
the last complete one (a reminder about an older week would be stale: the report chases it).
The address itself is never logged nor stored outside the message: logs and the run's error
name the hash.

A reminder holds only its recipient's own figures: their name, the week, expected and logged
hours, their usual projects and where to log. Plain text with a small HTML alternative, and
``Auto-Submitted: auto-generated`` (RFC 3834) so out-of-office replies stay away.
"""

from __future__ import annotations

import hashlib
import html
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pmosync.config import PmosyncConfig
from pmosync.config.reports import TimesheetReminders
from pmosync.connectors.errors import ConnectorError
from pmosync.reports.delivery import records
from pmosync.reports.delivery.context import GraphClients
from pmosync.reports.delivery.mime import AUTOMATIC_HEADERS, build_message, clean_header
from pmosync.reports.delivery.outcome import DeliveryError, DeliveryOutcome, DeliveryStatus
from pmosync.reports.delivery.run import RETRY_LIMIT, record_outcome
from pmosync.reports.delivery.scrub import config_secrets
from pmosync.reports.document import ReportDocument
from pmosync.reports.render.cells import as_text
from pmosync.store import Store

log = logging.getLogger(__name__)

SECTION = "to_remind"
TARGET_PREFIX = "reminder:"
KIND = "reminder"
DEFAULT_SUBJECT = "Timesheet reminder: week {week}"
STATUS_WORDS = {"missing": "has no hours logged", "under": "is short"}


@dataclass(frozen=True, slots=True)
class Reminder:
    """What one reminder says, from one row of the report's ``to_remind`` section."""

    name: str
    email: str
    week: str  # 2026-W47
    week_start: date
    expected: float
    logged: float
    status: str
    projects: str

    @property
    def target(self) -> str:
        """The delivery row's target: the address hashed, never the address."""
        return TARGET_PREFIX + address_hash(self.email)


def address_hash(address: str) -> str:
    """A short stable hash of an address (case-insensitive): what logs and the store show."""
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:12]


def reminders_in(document: ReportDocument) -> tuple[list[Reminder], list[str]]:
    """(reminders to send, names of the people to chase who have no email) from the
    report's ``to_remind`` section; a row that cannot be read is skipped with a warning."""
    section = next((s for s in document.sections if s.key == SECTION), None)
    if section is None:
        return [], []
    found: list[Reminder] = []
    no_email: list[str] = []
    for index, row in enumerate(section.rows):
        email = row.get("email")
        if not email or not isinstance(email, str) or "@" not in email:
            no_email.append(as_text(row.get("person") or "?"))
            continue
        try:
            found.append(_reminder(row, email))
        except (KeyError, TypeError, ValueError) as error:
            log.warning("%s: reminder row %d cannot be read: %s", document.report, index + 1, error)
    return found, no_email


def _reminder(row: dict[str, Any], email: str) -> Reminder:
    return Reminder(
        name=as_text(row.get("person") or email),
        email=email.strip(),
        week=str(row["week"]),
        week_start=date.fromisoformat(str(row["week_start"])),
        expected=float(row["expected"]),
        logged=float(row["logged"]),
        status=str(row["status"]),
        projects=as_text(row.get("projects") or ""),
    )


def send_reminders(
    config: PmosyncConfig, store: Store, report_name: str, run_id: str, document: ReportDocument
) -> list[DeliveryOutcome]:
    """Send the reminders of ``document`` that report ``report_name`` has not sent yet, each
    recorded; nothing when the report's reminders are not enabled."""
    report = config.reports.get(report_name)
    settings = report.reminders if report is not None else None
    if settings is None or not settings.enabled:
        return []
    reminders, no_email = reminders_in(document)
    if no_email:
        log.info("%s: %d people could not be reminded: no email", report_name, len(no_email))
    secrets = config_secrets(config)
    graphs = GraphClients(config)
    outcomes = []
    try:
        for reminder in reminders:
            outcomes.append(
                _send_one(config, store, report_name, run_id, reminder, settings, graphs, secrets)
            )
    finally:
        graphs.close()
    return outcomes


def _send_one(
    config: PmosyncConfig,
    store: Store,
    report_name: str,
    run_id: str,
    reminder: Reminder,
    settings: TimesheetReminders,
    graphs: GraphClients,
    secrets: tuple[str, ...],
) -> DeliveryOutcome:
    label = f"timesheet reminder {reminder.target.removeprefix(TARGET_PREFIX)}"
    done = records.find(store, report_name, reminder.week, reminder.target)
    if done is not None and (done.status == "delivered" or done.attempts >= RETRY_LIMIT):
        status: DeliveryStatus = "already_delivered" if done.status == "delivered" else "failed"
        return DeliveryOutcome(label, KIND, reminder.week, status, done.error)
    status, note = "delivered", None
    try:
        _send(config, settings, reminder, graphs)
    except (ConnectorError, DeliveryError, ValueError) as error:
        status, note = "failed", str(error)
    except Exception as error:  # noqa: BLE001 - one reminder must not stop the others
        log.exception("%s: %s failed", report_name, label)
        status, note = "failed", f"internal error ({type(error).__name__})"
    return record_outcome(
        store,
        report=report_name,
        period=reminder.week,
        target=reminder.target,
        label=label,
        kind=KIND,
        run_id=run_id,
        status=status,
        error=note.replace(reminder.email, "<recipient>") if note else None,
        location=None,
        secrets=secrets,
    )


def _send(
    config: PmosyncConfig,
    settings: TimesheetReminders,
    reminder: Reminder,
    graphs: GraphClients,
) -> None:
    """Send one reminder (a DeliveryError when the server refused the recipient)."""
    subject = subject_of(settings, reminder)
    text, body = text_body(settings, reminder), html_body(settings, reminder)
    if settings.via == "graph":
        from pmosync.connectors.microsoft.mail import message_body, send_mail

        client = graphs.get(settings.connector)
        payload = message_body(subject, body, [reminder.email], settings.cc, [], AUTOMATIC_HEADERS)
        client.run(send_mail(client, settings.sender, payload))
        return
    from pmosync.connectors.smtp import send_message

    smtp = config.smtp
    if smtp is None:
        raise DeliveryError("reminders via smtp need the top-level smtp section")
    message = build_message(
        sender=smtp.from_address,
        to=[reminder.email],
        cc=settings.cc,
        subject=subject,
        html_body=body,
        images={},
        attachments=[],
        text_body=text,
    )
    refused = send_message(smtp, message)
    if reminder.email.lower() in {a.lower() for a in refused}:
        raise DeliveryError("the mail server refused the recipient")


def subject_of(settings: TimesheetReminders, reminder: Reminder) -> str:
    """The configured subject with {week} and {name} filled in, on one clean line."""
    template = settings.subject if settings.subject and settings.subject.strip() else None
    text = (template or DEFAULT_SUBJECT).replace("{week}", reminder.week)
    return clean_header(text.replace("{name}", reminder.name))


def _hours(value: float) -> str:
    return f"{round(value, 2):g}"


def _week_span(reminder: Reminder) -> str:
    end = reminder.week_start + timedelta(days=6)
    return f"{reminder.week_start:%a %d %b} to {end:%a %d %b %Y}"


def _lines(settings: TimesheetReminders, reminder: Reminder) -> list[str]:
    state = STATUS_WORDS.get(reminder.status, "is incomplete")
    lines = [
        f"Your timesheet for week {reminder.week} ({_week_span(reminder)}) {state}: "
        f"{_hours(reminder.logged)} h logged of {_hours(reminder.expected)} h expected "
        "(your contract hours less public holidays and leave).",
    ]
    if reminder.projects:
        lines.append(f"Projects you usually log time to: {reminder.projects}.")
    if settings.where_to_log:
        lines.append(f"Where to log: {as_text(settings.where_to_log)}")
    return lines


def text_body(settings: TimesheetReminders, reminder: Reminder) -> str:
    """The plain-text reminder."""
    lines = [f"Hello {reminder.name},", "", *_lines(settings, reminder), ""]
    lines.append("This is an automatic reminder; please do not reply to it.")
    return "\n".join(lines) + "\n"


def html_body(settings: TimesheetReminders, reminder: Reminder) -> str:
    """The same reminder as a small HTML page (every value escaped)."""
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in _lines(settings, reminder))
    return (
        '<!DOCTYPE html><html><body style="font-family:Segoe UI,Arial,sans-serif">'
        f"<p>Hello {html.escape(reminder.name)},</p>{paragraphs}"
        '<p style="color:#666">This is an automatic reminder; please do not reply to it.</p>'
        "</body></html>"
    )
