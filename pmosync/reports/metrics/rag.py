"""Reported versus computed RAG: what the team says about a project against what its figures say.

The reported RAG is the team's latest word (its latest status update on or before the report
date, else the project's own health field). The computed RAG applies the report's rules to the
schedule (past the finish with open work, SPI(t) from earned schedule, slip of earned % behind
planned %), overdue milestones, CPI and the age of the last update; each rule that fires gives a
reason in words, so a red project says why. Where the two differ the PMO has a question
to ask, which is the point of showing both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from pmosync.config.reports import RagRules
from pmosync.reports.dataset import ProjectRow, StatusRow
from pmosync.reports.metrics.calendar import local_day
from pmosync.reports.metrics.progress import Progress

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


def latest_update(
    updates: Iterable[StatusRow], as_of: date, zone: tzinfo = UTC
) -> StatusRow | None:
    """The latest status update posted on or before ``as_of`` (its day in ``zone``); later ones
    did not exist yet on the report date."""
    latest: StatusRow | None = None
    for update in updates:
        if local_day(update.posted_at, zone) <= as_of and (
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


@dataclass(frozen=True, slots=True)
class Signals:
    """The figures the computed RAG judges, taken from a project's progress and earned value.

    ``finish`` is what "late" is judged against and ``finish_kind`` names it in the reason:
    ``baseline finish``, ``due date`` (no baseline) or ``planned finish`` (no due date either:
    the last task due date)."""

    slip_pct: float | None = None
    spi_t: float | None = None
    finish: date | None = None
    finish_kind: str = "baseline finish"
    open_work: int | None = None
    """Open work tasks; None when not known (then the SPI(t) and slip rules still apply)."""
    overdue_milestones: int = 0
    cpi: float | None = None


def slip_pct(planned_pct: float | None, earned_pct: float | None) -> float | None:
    """(planned % − earned %) / planned %, in percent: (PV − EV) / PV without needing a BAC,
    so a project without a budget is judged too. None before anything is planned."""
    if planned_pct is None or earned_pct is None or planned_pct <= 0:
        return None
    return (planned_pct - earned_pct) / planned_pct * 100.0


def signals(progress: Progress, cpi: float | None = None) -> Signals:
    """What the rules read from one project's progress (and its CPI, from earned value)."""
    plan = progress.schedule
    return Signals(
        slip_pct=slip_pct(plan.planned_pct, plan.earned_pct),
        spi_t=plan.spi_t,
        finish=plan.finish_date,
        finish_kind=plan.finish_kind or "finish",
        open_work=progress.work_tasks - progress.done_tasks,
        overdue_milestones=len(progress.milestones.overdue),
        cpi=cpi,
    )


def computed_rag(
    project: ProjectRow,
    figures: Signals,
    last_update: date | None,
    as_of: date,
    rules: RagRules,
) -> tuple[str, tuple[str, ...]]:
    """(colour, reasons): blue/complete for paused or finished projects, else the worst of the
    rules that fire, green when none does. The staleness rule applies only to projects whose
    tool has status updates (``ProjectRow.has_status_updates``)."""
    if project.status in FIXED:
        colour, reason = FIXED[project.status]
        return colour, (reason,)
    # once every work task is done the schedule is history: its forecast is its real finish,
    # and SPI(t) or a slip left by removed work would keep a finished project red for ever
    judging = figures.open_work != 0
    checks = [
        _past_finish(figures, as_of, rules),
        _spi_t(figures.spi_t, rules) if judging else None,
        _slip(figures.slip_pct, rules) if judging else None,
        _milestones(figures.overdue_milestones, rules),
        _cpi(figures.cpi, rules),
    ]
    if project.has_status_updates:
        checks.append(_stale(last_update, as_of, rules))
    triggered = [hit for hit in checks if hit is not None]
    if not triggered:
        return "green", ()
    colour = max((c for c, _ in triggered), key=SEVERITY.__getitem__)
    return colour, tuple(reason for _, reason in triggered)


def _past_finish(figures: Signals, as_of: date, rules: RagRules) -> tuple[str, str] | None:
    """Red once the finish is more than ``past_finish_grace_days`` behind with work open: the
    one lateness no percentage can hide (past the finish PV is the whole budget)."""
    if figures.finish is None or not figures.open_work:
        return None
    late = (as_of - figures.finish).days
    if late <= rules.past_finish_grace_days:
        return None
    tasks = "task" if figures.open_work == 1 else "tasks"
    return "red", (
        f"{late} days past its {figures.finish_kind} ({figures.finish.isoformat()}) "
        f"with {figures.open_work} open work {tasks}"
    )


def _spi_t(spi_t: float | None, rules: RagRules) -> tuple[str, str] | None:
    if spi_t is None:
        return None
    for colour, limit in (("red", rules.spi_t_red), ("amber", rules.spi_t_amber)):
        if spi_t < limit:
            return colour, f"SPI(t) {_shown(spi_t, limit)} below {limit:.2f}"
    return None


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
            return colour, f"CPI {_shown(cpi, limit)} below {limit:.2f}"
    return None


def _shown(value: float, limit: float) -> str:
    """``value`` with two decimals, or as many more as it takes not to read as ``limit``:
    0.899 below 0.90 must not say "0.90 below 0.90"."""
    digits = 2
    while digits < 6 and f"{value:.{digits}f}" == f"{limit:.{digits}f}":
        digits += 1
    return f"{value:.{digits}f}"


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
    progress: Progress,
    cpi: float | None,
    as_of: date,
    rules: RagRules,
    zone: tzinfo = UTC,
) -> Rag:
    """Reported and computed RAG of one project from its status updates and figures (days of
    updates read in ``zone``)."""
    latest = latest_update(updates, as_of, zone)
    last_day = local_day(latest.posted_at, zone) if latest is not None else None
    reported = reported_rag(project, latest)
    computed, reasons = computed_rag(project, signals(progress, cpi), last_day, as_of, rules)
    return Rag(
        reported=reported,
        computed=computed,
        reasons=reasons,
        disagrees=reported is not None and reported != computed,
        last_update=last_day,
    )
