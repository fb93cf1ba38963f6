"""Governance findings: what a project plan lacks for the PMO to trust its figures.

Each check names a gap the PMO would otherwise chase by hand (no owner, no dates, no budget, no
recent status update, overdue work nobody owns, milestones without a date). Completed and
archived projects are exempt: nobody fixes the plan of a finished project. Only the checks the
report's rules switch on run, so a PMO that does not budget per project is not told so weekly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, tzinfo

from pmosync.config.reports import GOVERNANCE_CHECKS, GovernanceRules
from pmosync.reports.dataset import Dataset, ProjectRow, StatusRow, TaskRow
from pmosync.reports.metrics.calendar import local_day

EXEMPT_STATUSES = frozenset({"completed", "archived"})

RULE_TITLES: dict[str, str] = {
    "owner": "No owner",
    "dates": "Missing start or due date",
    "budget": "No budget",
    "status_update": "No recent status update",
    "unassigned_overdue": "Overdue task without assignee",
    "undated_milestones": "Milestone without due date",
}
"""A short human title per check, for tables and chart labels."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One gap in one project: ``rule`` is a GovernanceCheck name; ``item`` names the task or
    milestone ("" for the project itself, and "" too for a task whose name is empty: ``task_id``
    tells the two apart); ``url`` links to the item, else the project."""

    rule: str
    project_id: str
    project: str
    item: str
    detail: str
    url: str | None
    task_id: str | None = None
    """The task or milestone the finding is about; None for the project itself."""


def governed_projects(dataset: Dataset) -> list[ProjectRow]:
    """Projects the checks apply to: all but completed and archived ones."""
    return [p for p in dataset.projects if p.status not in EXEMPT_STATUSES]


def governance_findings(
    dataset: Dataset, rules: GovernanceRules, zone: tzinfo = UTC
) -> list[Finding]:
    """Every finding of the enabled checks, ordered by project name, then check (in the order
    of ``GOVERNANCE_CHECKS``), then item (overdue tasks by due date, milestones by name). A
    status update's day is taken in ``zone``.

    Tasks and status updates are grouped by project once, so the cost is linear in the rows.
    """
    enabled = set(rules.checks)
    budgeted = {b.project_id for b in dataset.budgets}
    tasks = _by_project(dataset.tasks)
    last_update = _last_updates(dataset.status_updates, dataset.as_of, zone)
    findings: list[Finding] = []
    for project in sorted(governed_projects(dataset), key=lambda p: (p.name.casefold(), p.id)):
        project_tasks = tasks.get(project.id, ())
        # Generators: a disabled check's is never consumed, so it costs nothing.
        checks = {
            "owner": _owner(project),
            "dates": _dates(project),
            "budget": _budget(project, budgeted),
            "status_update": _status_update(
                project, last_update.get(project.id), dataset.as_of, rules.status_update_days
            ),
            "unassigned_overdue": _unassigned_overdue(project, project_tasks, dataset.as_of),
            "undated_milestones": _undated_milestones(project, project_tasks),
        }
        for rule in GOVERNANCE_CHECKS:
            if rule in enabled:
                findings.extend(checks[rule])
    return findings


def _by_project(tasks: Iterable[TaskRow]) -> dict[str, list[TaskRow]]:
    grouped: dict[str, list[TaskRow]] = defaultdict(list)
    for task in tasks:
        grouped[task.project_id].append(task)
    return grouped


def _last_updates(updates: Iterable[StatusRow], as_of: date, zone: tzinfo = UTC) -> dict[str, date]:
    """Date of each project's latest status update posted on or before ``as_of``; a later one
    did not exist yet on the report date (a re-run of an old report must agree with itself)."""
    latest: dict[str, date] = {}
    for update in updates:
        day = local_day(update.posted_at, zone)
        if day <= as_of and (update.project_id not in latest or day > latest[update.project_id]):
            latest[update.project_id] = day
    return latest


def _finding(project: ProjectRow, rule: str, detail: str, item: TaskRow | None = None) -> Finding:
    url = (item.source_url if item is not None else None) or project.source_url
    return Finding(
        rule=rule,
        project_id=project.id,
        project=project.name,
        item=item.name if item is not None else "",
        detail=detail,
        url=url,
        task_id=item.id if item is not None else None,
    )


def _owner(project: ProjectRow) -> Iterator[Finding]:
    if project.owner_id is None:
        yield _finding(project, "owner", "project has no owner")


def _dates(project: ProjectRow) -> Iterator[Finding]:
    missing = [
        name
        for name, value in (("start", project.start_date), ("due", project.due_date))
        if value is None
    ]
    if missing:
        yield _finding(project, "dates", f"no {' or '.join(missing)} date")


def _budget(project: ProjectRow, budgeted: set[str]) -> Iterator[Finding]:
    if project.id not in budgeted:
        yield _finding(project, "budget", "project has no budget")


def _status_update(
    project: ProjectRow, last: date | None, as_of: date, max_days: int
) -> Iterator[Finding]:
    """An update ``max_days`` old is still in time; one day older is not. A project whose
    tool has no status updates (a Planner plan without a status source, a premium plan) is
    not asked for one, as the RAG's staleness rule does not: its team could not post one."""
    if not project.has_status_updates:
        return
    if last is None:
        yield _finding(project, "status_update", "no status update posted")
        return
    age = (as_of - last).days
    if age > max_days:
        yield _finding(
            project, "status_update", f"no status update since {last.isoformat()} ({age} days)"
        )


def _unassigned_overdue(
    project: ProjectRow, tasks: Iterable[TaskRow], as_of: date
) -> Iterator[Finding]:
    """Open, past-due tasks nobody is assigned to. Milestones are left to the RAG rules: they
    are checkpoints, often owned by nobody in particular, and overdue ones already turn a
    project amber or red."""
    overdue = [
        t
        for t in tasks
        if not t.is_milestone
        and t.status != "done"
        and t.due_date is not None
        and t.due_date < as_of
        and not t.assignee_ids
    ]
    for task in sorted(overdue, key=lambda t: (t.due_date, t.name.casefold(), t.id)):
        days = (as_of - task.due_date).days
        detail = f"due {task.due_date.isoformat()} ({days} days overdue), no assignee"
        yield _finding(project, "unassigned_overdue", detail, task)


def _undated_milestones(project: ProjectRow, tasks: Iterable[TaskRow]) -> Iterator[Finding]:
    """Open milestones without a due date: nothing can tell whether they slip. A milestone
    already done has its completion date and needs no fixing."""
    undated = [t for t in tasks if t.is_milestone and t.status != "done" and t.due_date is None]
    for milestone in sorted(undated, key=lambda t: (t.name.casefold(), t.id)):
        yield _finding(project, "undated_milestones", "milestone has no due date", milestone)
