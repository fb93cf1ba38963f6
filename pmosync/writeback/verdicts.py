"""The PMO's verdicts write-back carries: each project's computed RAG and reasons, and each
task's governance findings, exactly as the named report judges them today.

The report's own code computes them (its filters, its RAG rules, the organisation's calendar):
write-back never has a second opinion of its own. Only the canonical ids are in the report's
rows, so the projects' and tasks' ids in their tools are read from the store beside them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.canonical.types import Project, Task
from pmosync.config import PmosyncConfig
from pmosync.reports.dataset import load_dataset
from pmosync.reports.delivery.records import for_report
from pmosync.reports.job import organisation_calendar, status_sources
from pmosync.reports.kinds import DATASET_PARTS
from pmosync.reports.metrics.governance import governance_findings
from pmosync.reports.metrics.portfolio import project_metrics
from pmosync.store import Store
from pmosync.writeback.changes import Nudge, Verdict

TASK_FINDINGS = frozenset({"unassigned_overdue", "undated_milestones"})
NOT_WRITTEN = frozenset({"archived"})
"""Project statuses write-back leaves alone: an archived project is out of its team's sight,
and a status posted there would only notify its old followers (a completed one still gets its
"Complete", once)."""


@dataclass(frozen=True, slots=True)
class Judged:
    """Every verdict and nudge of one report on one day, for all connectors."""

    report: str
    as_of: date
    verdicts: tuple[Verdict, ...]
    nudges: tuple[Nudge, ...]

    def of(self, connector: str) -> tuple[list[Verdict], list[Nudge]]:
        """The verdicts and nudges about ``connector``'s items."""
        return (
            [v for v in self.verdicts if v.source == connector],
            [n for n in self.nudges if n.source == connector],
        )


def judge(config: PmosyncConfig, store: Store, report: str, as_of: date) -> Judged:
    """The computed RAG of every project in ``report``'s scope as of ``as_of``, and the
    task findings of its governance rules."""
    settings = config.reports[report]
    kind = settings.kind
    dataset = load_dataset(
        store,
        settings.filters,
        as_of,
        DATASET_PARTS[kind],
        zone=config.organisation.zone(),
        status_sources=status_sources(config),
    )
    calendar = organisation_calendar(config, as_of)
    metrics = project_metrics(dataset, settings.rules, config.resources, calendar)
    project_ids = _source_ids(store, Project, (m.project.id for m in metrics))
    verdicts = tuple(
        Verdict(
            project_id=m.project.id,
            source=m.project.source,
            source_id=project_ids[m.project.id],
            name=m.project.name,
            rag=m.rag.computed,
            reasons=m.rag.reasons,
            url=m.project.source_url,
        )
        for m in metrics
        if m.project.id in project_ids and m.project.status not in NOT_WRITTEN
    )
    findings = [
        f
        for f in governance_findings(dataset, settings.rules.governance, calendar.zone)
        if f.rule in TASK_FINDINGS and f.task_id is not None
    ]
    task_ids = _source_ids(store, Task, (f.task_id for f in findings if f.task_id))
    sources = {m.project.id: m.project.source for m in metrics}
    nudges = tuple(
        Nudge(
            source=sources.get(f.project_id, ""),
            task_id=task_ids[f.task_id],
            task_name=f.item,
            project_id=project_ids.get(f.project_id, ""),
            project_name=f.project,
            finding=f.rule,
            detail=f.detail,
        )
        for f in findings
        if f.task_id in task_ids and f.project_id in sources
    )
    return Judged(report, as_of, verdicts, nudges)


def _source_ids(store: Store, model: type, ids: Iterable[str]) -> dict[str, str]:
    """Canonical id -> the id in its tool, for the live rows among ``ids``."""
    wanted = sorted(set(ids))
    table = ENTITY_TABLES[model]
    found: dict[str, str] = {}
    with store.engine.connect() as connection:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            query = select(table.c.id, table.c.source_id).where(
                table.c.id.in_(chunk), table.c.deleted_at.is_(None)
            )
            found.update({row.id: row.source_id for row in connection.execute(query)})
    return found


def report_link(config: PmosyncConfig, store: Store, report: str, link: str | None) -> str | None:
    """Where readers find the report: the configured link, else where its latest run was
    delivered on SharePoint (a web address), else nothing."""
    if link:
        return link
    for record in reversed(for_report(store, report)):
        if record.status == "delivered" and (record.location or "").startswith("https://"):
            return record.location
    return None
