"""Reported versus computed RAG: what the team says about a project against what its figures say.

The reported RAG is the team's latest word (its latest status update on or before the report
date, else the project's own health field). The computed RAG applies the report's rules to the
schedule slip, overdue milestones, CPI and the age of the last update; each rule that fires
gives a reason in words, so a red project says why. Where the two differ the PMO has a question
to ask, which is the point of showing both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pmosync.config.reports import RagRules
from pmosync.reports.dataset import ProjectRow, StatusRow

SEVERITY = {"green": 0, "amber": 1, "red": 2}
"""Order of the computed colours: the worst triggered rule wins."""

FIXED = {
    "on_hold": ("blue", "project on hold"),
    "completed": ("complete", "project completed"),
    "archived": ("complete", "project archived"),
}
"""Project states whose RAG is not judged by the rules. Archived projects are finished work
too, so they read as complete rather than turning red on their old plan."""


@dataclass(frozen=True, slots=True)
class Rag:
    """A project's reported and computed RAG, the computed one's reasons, and whether they
    disagree (both known and different)."""

    reported: str | None
    computed: str
    reasons: tuple[str, ...]
    disagrees: bool
    last_update: date | None


def latest_update(updates: Iterable[StatusRow], as_of: date) -> StatusRow | None:
    """The latest status update posted on or before ``as_of``; later ones did not exist yet on
    the report date."""
    latest: StatusRow | None = None
    for update in updates:
        if update.posted_at.date() <= as_of and (
            latest is None or _instant(update.posted_at) > _instant(latest.posted_at)
        ):
            latest = update
    return latest


def _instant(moment: datetime) -> datetime:
    """A naive UTC datetime, so sources with and without time zones compare."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def reported_rag(project: ProjectRow, latest: StatusRow | None) -> str | None:
    """The latest update's RAG, else the project's own health field."""
    if latest is not None and latest.rag is not None:
        return latest.rag
    return project.rag


def computed_rag(
    project: ProjectRow,
    slip_pct: float | None,
    overdue_milestones: int,
    cpi: float | None,
    last_update: date | None,
    as_of: date,
    rules: RagRules,
) -> tuple[str, tuple[str, ...]]:
    """(colour, reasons): blue/complete for paused or finished projects, else the worst of the
    rules that fire, green when none does."""
    if project.status in FIXED:
        colour, reason = FIXED[project.status]
        return colour, (reason,)
    triggered = [
        hit
        for hit in (
            _slip(slip_pct, rules),
            _milestones(overdue_milestones, rules),
            _cpi(cpi, rules),
            _stale(last_update, as_of, rules),
        )
        if hit is not None
    ]
    if not triggered:
        return "green", ()
    colour = max((c for c, _ in triggered), key=SEVERITY.__getitem__)
    return colour, tuple(reason for _, reason in triggered)


def _slip(slip_pct: float | None, rules: RagRules) -> tuple[str, str] | None:
    if slip_pct is None:
        return None
    for colour, limit in (("red", rules.slip_red_pct), ("amber", rules.slip_amber_pct)):
        if slip_pct >= limit:
            return colour, f"schedule slip {slip_pct:.1f}% at or above {limit:g}%"
    return None


def _milestones(overdue: int, rules: RagRules) -> tuple[str, str] | None:
    noun = "milestone" if overdue == 1 else "milestones"
    for colour, limit in (
        ("red", rules.overdue_milestones_red),
        ("amber", rules.overdue_milestones_amber),
    ):
        if overdue >= limit:
            return colour, f"{overdue} overdue {noun} ({colour} from {limit})"
    return None


def _cpi(cpi: float | None, rules: RagRules) -> tuple[str, str] | None:
    if cpi is None:
        return None
    for colour, limit in (("red", rules.cpi_red), ("amber", rules.cpi_amber)):
        if cpi < limit:
            return colour, f"CPI {cpi:.2f} below {limit:.2f}"
    return None


def _stale(last_update: date | None, as_of: date, rules: RagRules) -> tuple[str, str] | None:
    """An update ``status_stale_days`` old is still fresh; one day older is stale."""
    if last_update is None:
        return "amber", "no status update"
    age = (as_of - last_update).days
    if age > rules.status_stale_days:
        return "amber", f"last status update {age} days ago (over {rules.status_stale_days})"
    return None


def project_rag(
    project: ProjectRow,
    updates: Iterable[StatusRow],
    slip_pct: float | None,
    overdue_milestones: int,
    cpi: float | None,
    as_of: date,
    rules: RagRules,
) -> Rag:
    """Reported and computed RAG of one project from its status updates and figures."""
    latest = latest_update(updates, as_of)
    last_day = latest.posted_at.date() if latest is not None else None
    reported = reported_rag(project, latest)
    computed, reasons = computed_rag(
        project, slip_pct, overdue_milestones, cpi, last_day, as_of, rules
    )
    return Rag(
        reported=reported,
        computed=computed,
        reasons=reasons,
        disagrees=reported is not None and reported != computed,
        last_update=last_day,
    )
