"""Planning: which owned fields need writing, from the PMO's verdicts and the write ledger.

Pure functions, no I/O: ``plan_connector`` turns one connector's verdicts and nudges into
changes, and ``check`` settles them against what the tool shows now. The rules:

- a standing value (Asana's PMO RAG field, a Planner label, the PMO status task) is written
  when it differs from what pmosync last wrote, or was never written;
- before it is written, the tool's current value decides: equal to what pmosync last wrote,
  the write goes ahead; equal to the wanted value, it is adopted without a write; anything
  else is a human's edit, left alone and reported as a conflict (until the human's value goes);
- a status update is posted at most once per project and period (the period is part of its
  key), and with ``post: on_change`` only when the RAG or its reasons differ from the last
  one pmosync posted on that project;
- a nudge (a comment on a task) is posted once per task, finding and ``every_days`` window,
  at most ``max_per_run`` per run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from pmosync.config.writeback import (
    RAG_WORDS,
    AsanaWriteback,
    PlannerWriteback,
)
from pmosync.contracts.writeback import mark
from pmosync.store.write_ledger import CONFLICT as CONFLICTED
from pmosync.store.write_ledger import PENDING, WRITTEN, WriteEntry, value_hash, write_key
from pmosync.writeback.changes import (
    ADOPT,
    COMMENT,
    CONFLICT,
    LABEL,
    RAG_FIELD,
    SKIP,
    STATUS_NOTE,
    STATUS_TASK,
    STATUS_UPDATE,
    WRITE,
    Change,
    ConnectorPlan,
    Current,
    Nudge,
    Verdict,
)

NUDGE_TEXT = {
    "unassigned_overdue": "this task is overdue and has nobody assigned",
    "undated_milestones": "this milestone has no due date",
}


def period_of(day: date, period: str) -> str:
    """The reporting period ``day`` falls in: ``2026-W49`` (ISO week) or ``2026-12``."""
    if period == "month":
        return f"{day.year:04d}-{day.month:02d}"
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def filled(template: str, rag: str, period: str | None = None) -> str:
    """``template`` with ``{rag}`` (the colour's word) and ``{period}`` filled in; any other
    brace is kept as typed."""
    text = template.replace("{rag}", RAG_WORDS.get(rag, rag))
    return text.replace("{period}", period or "")


def reasons_text(verdict: Verdict) -> str:
    """The reasons in lines, the same in every tool; "no rule fired" when there are none."""
    if not verdict.reasons:
        return "No rule fired: the figures raise no concern."
    return "\n".join(f"- {reason}" for reason in verdict.reasons)


def _verdict_hash(verdict: Verdict) -> str:
    """What makes a status different: its colour and reasons, not the day it was computed."""
    return value_hash("\n".join((verdict.rag, *verdict.reasons)))


def _standing(
    connector: str,
    kind: str,
    item_id: str,
    name: str,
    field: str,
    value: str,
    entries: Mapping[str, WriteEntry],
    *,
    body: str = "",
    hashed: str | None = None,
    rag: str | None = None,
) -> Change | None:
    """A standing value's change, None when pmosync last wrote exactly this. A row left in
    conflict is planned again so its check runs (and reports it) every time: without its
    etag, so the target reads the value before any write (the etag refreshed after the
    conflict would let an If-Match write overwrite the human's value blind)."""
    key = write_key(connector, item_id, field)
    digest = hashed or value_hash(value)
    entry = entries.get(key)
    if entry is not None and entry.state == WRITTEN and entry.value_hash == digest:
        return None
    return Change(
        key=key,
        connector=connector,
        item_kind=kind,
        item_id=item_id,
        item_name=name,
        field=field,
        value=value,
        value_hash=digest,
        body=body,
        rag=rag,
        before=entry.value if entry is not None else None,
        ref=entry.ref if entry is not None else None,
        etag=entry.etag if entry is not None and entry.state != CONFLICTED else None,
        project_id=item_id,
    )


def status_body(
    verdict: Verdict, title: str, key: str, report: str, as_of: date, link: str | None
) -> str:
    """A status update's text: the colour and the report it comes from, the reasons, the
    link, and the write's mark last (how pmosync knows it again)."""
    lines = [
        title,
        f"Computed RAG: {RAG_WORDS[verdict.rag]}, by the PMO's rules (report {report!r}, "
        f"as of {as_of.isoformat()}).",
        "Why:" if verdict.reasons else "",
        reasons_text(verdict),
    ]
    if link:
        lines.append(f"Report: {link}")
    lines.append(mark(key))
    return "\n".join(line for line in lines if line)


def _status_updates(
    connector: str,
    spec: AsanaWriteback,
    verdicts: Sequence[Verdict],
    entries: Mapping[str, WriteEntry],
    today: date,
    as_of: date,
    link: str | None,
) -> Iterable[Change]:
    settings = spec.status_updates
    assert settings is not None
    period = period_of(today, settings.period)
    latest = _latest_status(entries.values())
    for verdict in verdicts:
        key = write_key(connector, verdict.source_id, STATUS_UPDATE, period)
        entry = entries.get(key)
        if entry is not None and entry.state in (WRITTEN, PENDING):
            continue  # this period's update is posted (or being confirmed)
        digest = _verdict_hash(verdict)
        last = latest.get(verdict.source_id)
        if settings.post == "on_change" and last is not None and last.value_hash == digest:
            continue
        title = filled(settings.title, verdict.rag, period)
        yield Change(
            key=key,
            connector=connector,
            item_kind="project",
            item_id=verdict.source_id,
            item_name=verdict.name,
            field=STATUS_UPDATE,
            value=RAG_WORDS[verdict.rag],
            value_hash=digest,
            body=status_body(verdict, title, key, spec.report, as_of, link),
            period=period,
            rag=verdict.rag,
            before=last.value if last is not None else None,
            project_id=verdict.source_id,
        )


def _latest_status(entries: Iterable[WriteEntry]) -> dict[str, WriteEntry]:
    """Per project, the latest status update pmosync posted (by period, then time)."""
    latest: dict[str, WriteEntry] = {}
    for entry in entries:
        if entry.field != STATUS_UPDATE or entry.state != WRITTEN:
            continue
        found = latest.get(entry.item_id)
        order = (entry.period or "", entry.updated_at or 0)
        if found is None or order > (found.period or "", found.updated_at or 0):  # type: ignore[operator]
            latest[entry.item_id] = entry
    return latest


def _nudges(
    connector: str,
    spec: AsanaWriteback,
    nudges: Sequence[Nudge],
    entries: Mapping[str, WriteEntry],
    today: date,
) -> tuple[list[Change], int]:
    """Comments for the configured findings, first ``max_per_run`` of them; and how many
    more were held back."""
    settings = spec.nudges
    assert settings is not None
    window = str(today.toordinal() // settings.every_days)
    wanted = []
    for nudge in nudges:
        if nudge.finding not in settings.findings:
            continue
        field = f"{COMMENT}:{nudge.finding}"
        key = write_key(connector, nudge.task_id, field, window)
        entry = entries.get(key)
        if entry is not None and entry.state in (WRITTEN, PENDING):
            continue
        text = NUDGE_TEXT.get(nudge.finding, nudge.finding)
        body = (
            f"PMO governance check: {text} ({nudge.detail}). Please update it in the plan; "
            f"this note comes from pmosync for the PMO.\n{mark(key)}"
        )
        wanted.append(
            Change(
                key=key,
                connector=connector,
                item_kind="task",
                item_id=nudge.task_id,
                item_name=f"{nudge.project_name} / {nudge.task_name}",
                field=field,
                value=text,
                value_hash=value_hash(text),
                body=body,
                period=window,
                project_id=nudge.project_id,
            )
        )
    kept = wanted[: settings.max_per_run]
    return kept, len(wanted) - len(kept)


def plan_asana(
    connector: str,
    spec: AsanaWriteback,
    verdicts: Sequence[Verdict],
    nudges: Sequence[Nudge],
    entries: Mapping[str, WriteEntry],
    *,
    today: date,
    as_of: date,
    link: str | None,
) -> ConnectorPlan:
    """The changes one Asana connector's write-back asks for."""
    plan = ConnectorPlan(connector)
    if spec.status_updates is not None:
        plan.changes += _status_updates(connector, spec, verdicts, entries, today, as_of, link)
    if spec.rag_field is not None:
        for verdict in verdicts:
            option = spec.rag_field.option_for(verdict.rag)
            change = _standing(
                connector,
                "project",
                verdict.source_id,
                verdict.name,
                RAG_FIELD,
                option,
                entries,
                rag=verdict.rag,
            )
            if change is not None:
                plan.changes.append(change)
    if spec.nudges is not None:
        comments, plan.held_back = _nudges(connector, spec, nudges, entries, today)
        plan.changes += comments
    return plan


def status_note(verdict: Verdict, report: str, link: str | None) -> str:
    """The PMO status task's description: the reasons and where the report is."""
    lines = [
        f"Computed RAG: {RAG_WORDS[verdict.rag]}, by the PMO's rules (report {report!r}).",
        reasons_text(verdict),
    ]
    if link:
        lines.append(f"Report: {link}")
    lines.append("Written by pmosync for the PMO: edits here are reported, not kept.")
    return "\n".join(lines)


def plan_planner(
    connector: str,
    spec: PlannerWriteback,
    verdicts: Sequence[Verdict],
    entries: Mapping[str, WriteEntry],
    *,
    link: str | None,
) -> ConnectorPlan:
    """The changes one Planner connector's write-back asks for."""
    plan = ConnectorPlan(connector)
    for verdict in verdicts:
        plan_id, name = verdict.source_id, verdict.name
        wanted: list[Change | None] = []
        if spec.label is not None:
            text = filled(spec.label.text, verdict.rag)
            wanted.append(
                _standing(connector, "plan", plan_id, name, LABEL, text, entries, rag=verdict.rag)
            )
        if spec.status_task is not None:
            title = filled(spec.status_task.title, verdict.rag)
            wanted.append(
                _standing(
                    connector, "plan", plan_id, name, STATUS_TASK, title, entries, rag=verdict.rag
                )
            )
            note = status_note(verdict, spec.report, link)
            wanted.append(
                _standing(
                    connector,
                    "plan",
                    plan_id,
                    name,
                    STATUS_NOTE,
                    note,
                    entries,
                    body=note,
                    rag=verdict.rag,
                )
            )
        plan.changes += [change for change in wanted if change is not None]
    return plan


def check(
    changes: Sequence[Change],
    current: Mapping[str, Current],
    entries: Mapping[str, WriteEntry],
) -> list[Change]:
    """Each change settled against the tool's current value, where it was read: a human's
    edit since pmosync's last write is a conflict; the wanted value already there is adopted;
    otherwise the write goes ahead. Changes not read are left as planned."""
    settled = []
    for change in changes:
        now = current.get(change.key)
        if now is None:
            settled.append(change)
            continue
        change = change.but(
            current=now.value, etag=now.etag or change.etag, ref=now.ref or change.ref
        )
        settled.append(judge(change, now.value, entries.get(change.key)))
    return settled


def judge(change: Change, current: str | None, entry: WriteEntry | None) -> Change:
    """One change against the value the tool shows (see ``check``)."""
    if _same(current, change.value):
        return change.but(action=ADOPT, note="already shows this value")
    last = entry.value if entry is not None else None
    if last is not None and not _same(current, last):
        shown = "empty" if current in (None, "") else repr(_clipped(current or ""))
        return change.but(
            action=CONFLICT,
            note=f"changed in the tool to {shown} since pmosync wrote {_clipped(last)!r}: "
            "left alone",
        )
    return change.but(action=WRITE)


NOTE_WIDTH = 60
"""How much of a value a conflict's note quotes: a status note is paragraphs long."""


def _clipped(text: str) -> str:
    """``text`` on one line, cut at ``NOTE_WIDTH`` characters with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= NOTE_WIDTH else line[: NOTE_WIDTH - 1] + "…"


def _same(left: str | None, right: str | None) -> bool:
    return " ".join((left or "").split()) == " ".join((right or "").split())


def skipped(change: Change, why: str) -> Change:
    return change.but(action=SKIP, note=why)
