"""A synthetic organisation as canonical records, for benchmarks that start at the store.

The report bench needs a store that looks like a year of real syncs (projects behind and ahead,
overdue tasks nobody owns, people who forget their timesheets, costs in a second currency) but
has no reason to pay for the connectors and the sandbox to get it. This module builds the
canonical records directly, deterministically from a seed, and streams them in pages so the
generator never holds the organisation in memory (the bench measures peak RSS of the same
process).

Two sources, as a PSO mixing Asana and Planner would have: ``asana-eng`` and ``planner-ops``.
Persons live under the reserved resolution source and every identity is linked to its person,
as ``pmosync sync`` leaves them after identity resolution.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from pmosync.canonical import (
    Allocation,
    Assignment,
    Budget,
    CostEntry,
    Person,
    PersonIdentity,
    Phase,
    Portfolio,
    PortfolioItem,
    Project,
    RaidItem,
    StatusUpdate,
    Task,
    TimeEntry,
)
from pmosync.canonical.types import Record
from pmosync.sync.people import PERSON_SOURCE

ASANA, PLANNER = "asana-eng", "planner-ops"
TEAMS = ("Engineering", "Operations", "Finance", "Marketing", "IT", "R&D")


def _words(text: str, separator: str = " ") -> tuple[str, ...]:
    return tuple(text.split(separator))


FIRST = _words(
    "Ada Alan Amara Ana Ben Carla Chen Dara Eli Emma Femi Grace Hugo Ines Ivan Jana Jonas Kai "
    "Lena Liam Maya Mohamed Nadia Noah Olga Omar Paula Pedro Quinn Rosa Sami Sara Tomas Una "
    "Vera Wei Xavier Yara Zoe Zeynep"
)
LAST = _words(
    "Abara Becker Costa Dubois Eriksen Fischer Garcia Haddad Ivanova Jensen Kowalski Larsen "
    "Moreau Nakamura Okafor Petrov Quispe Rossi Schmidt Tanaka Ueda Vargas Weber Xu Yilmaz "
    "Zimmermann O'Brien Müller"
)
PROJECT_WORDS = _words(
    "CRM Migration|Data Platform|ERP Rollout|Website Relaunch|Office Move|Cloud Landing Zone|"
    "Payroll Upgrade|Customer Portal|Security Audit|Mobile App|Warehouse Automation|"
    "Intranet Refresh|R&D <Pilot>|Billing Rewrite|Analytics Hub|Supplier Onboarding",
    "|",
)
PHASES = ("Initiation", "Planning", "Execution", "Testing", "Rollout", "Closure")
TASK_VERBS = _words("Draft Review Build Test Deploy Document Migrate Design Approve Train Plan")
TASK_OBJECTS = _words(
    "requirements|API gateway|data model|release notes|user guide|vendor contract|test plan|"
    'dashboard|access rights|cutover runbook|=SUM(A1:A9) import|budget "v2"|<script> audit',
    "|",
)
VENDORS = ("Contoso Consulting", "Fabrikam Ltd", "Northwind & Co", "Tailspin GmbH", "Litware")
RAGS = ("green", "amber", "red")


@dataclass(frozen=True)
class OrgSize:
    """How big an organisation to build."""

    projects: int
    portfolios: int
    tasks: int
    people: int
    time_entries: int
    costs_per_project: int = 20
    weeks: int = 16
    """Weeks of time entries before as_of."""


SIZES = {
    "S": OrgSize(projects=10, portfolios=2, tasks=2_500, people=20, time_entries=5_000),
    "M": OrgSize(projects=200, portfolios=8, tasks=50_000, people=400, time_entries=100_000),
}


@dataclass
class _Person:
    index: int
    name: str
    email: str
    team: str
    active: bool
    profile: str  # regular | under | over | sporadic | forgetful
    projects: list[int] = field(default_factory=list)


@dataclass
class _Project:
    index: int
    source: str
    source_id: str
    status: str
    start: date | None
    due: date | None
    members: list[int] = field(default_factory=list)
    estimate_hours: float = 0.0
    task_count: int = 0
    budget_currency: str | None = None
    owner: int | None = None
    assigned: dict[int, list[str]] = field(default_factory=dict)
    """Task source ids by assigned person index (for time entries against a task)."""
    task_ids: list[str] = field(default_factory=list)


@dataclass
class OrgCounts:
    """What was generated, by entity."""

    by_entity: dict[str, int] = field(default_factory=dict)

    def add(self, record: Record) -> None:
        self.by_entity[record.entity] = self.by_entity.get(record.entity, 0) + 1


def _noon(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _person_identity(source: str, person: int) -> str:
    return PersonIdentity.ref(source, f"user-{person}")


class CanonicalOrg:
    """Generates the records of one organisation; iterate ``pages()`` once."""

    def __init__(self, size: OrgSize, as_of: date, seed: int = 7) -> None:
        self.size = size
        self.as_of = as_of
        self.rng = random.Random(seed)
        self.raid_rng = random.Random(f"{seed}:raid")  # its own: the other records stay put
        self.counts = OrgCounts()
        self.stamp = _noon(as_of, 6)
        self.people: list[_Person] = []
        self.projects: list[_Project] = []

    # -- driving ---------------------------------------------------------------------------

    def pages(self, page_size: int = 1000) -> Iterator[list[Record]]:
        """The records in pages of ``page_size``, parents before children."""
        page: list[Record] = []
        for record in self._records():
            self.counts.add(record)
            page.append(record)
            if len(page) >= page_size:
                yield page
                page = []
        if page:
            yield page

    def _records(self) -> Iterator[Record]:
        yield from self._people()
        yield from self._projects()
        yield from self._portfolios()
        for project, count in zip(self.projects, self._task_counts(), strict=True):
            yield from self._phases_and_tasks(project, count)
        for project in self.projects:
            yield from self._budget_costs_status(project)
        yield from self._allocations()
        yield from self._time_entries()
        yield from self._raid_items()

    # -- people ----------------------------------------------------------------------------

    def _people(self) -> Iterator[Record]:
        rng, used = self.rng, set()
        profiles = ["regular"] * 65 + ["under"] * 15 + ["over"] * 5 + ["sporadic"] * 10
        profiles += ["forgetful"] * 5
        for n in range(self.size.people):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            local = f"{first}.{last}".lower().replace("'", "")
            email, k = f"{local}@contoso.com", 2
            while email in used:
                email, k = f"{local}{k}@contoso.com", k + 1
            used.add(email)
            person = _Person(
                index=n,
                name=f"{first} {last}",
                email=email,
                team=rng.choice(TEAMS),
                active=rng.random() > 0.02,
                profile=rng.choice(profiles),
            )
            self.people.append(person)
            person_id = Person.ref(PERSON_SOURCE, email)
            yield Person(
                source=PERSON_SOURCE,
                source_id=email,
                name=person.name,
                email=email,
                active=person.active,
                updated_at=self.stamp,
            )
            for source in (ASANA, PLANNER):
                if source == PLANNER and n % 7 == 3:
                    continue  # not everyone has a Microsoft 365 planner identity in use
                yield PersonIdentity(
                    source=source,
                    source_id=f"user-{n}",
                    person_id=person_id,
                    name=person.name,
                    email=email,
                    updated_at=self.stamp,
                )

    # -- projects and portfolios -----------------------------------------------------------

    def _projects(self) -> Iterator[Record]:
        rng, as_of, size = self.rng, self.as_of, self.size
        for n in range(size.projects):
            # Planner identities skip some people: planner projects staff from those who have one
            source = PLANNER if n % 10 in (3, 7, 9) else ASANA
            start = as_of - timedelta(days=rng.randint(30, 330))
            due = start + timedelta(days=rng.randint(120, 480))
            roll = rng.random()
            status = (
                "active"
                if roll < 0.80
                else "on_hold"
                if roll < 0.87
                else "completed"
                if roll < 0.95
                else "archived"
            )
            if status in ("completed", "archived"):
                due = as_of - timedelta(days=rng.randint(5, 60))
                start = min(start, due - timedelta(days=120))
            project = _Project(n, source, f"{source[:1]}p{100000 + n}", status, start, due)
            self.projects.append(project)
        # staff: every person on 1..4 projects, every project someone
        for person in self.people:
            eligible = [
                p.index
                for p in self.projects
                if p.source == ASANA or person.index % 7 != 3  # needs a planner identity
            ]
            picks = rng.sample(eligible, min(len(eligible), rng.choice((1, 2, 2, 3, 3, 4))))
            person.projects = picks
            for p in picks:
                self.projects[p].members.append(person.index)
        for project in self.projects:
            if not project.members:
                eligible = [p for p in self.people if p.index % 7 != 3]
                lucky = rng.choice(eligible)
                lucky.projects.append(project.index)
                project.members.append(lucky.index)
        for project in self.projects:
            yield self._project_record(project)

    def _project_record(self, project: _Project) -> Project:
        rng, n = self.rng, project.index
        name = f"{PROJECT_WORDS[n % len(PROJECT_WORDS)]} {2026 - n % 3}-{n:03d}"
        project.owner = rng.choice(project.members) if rng.random() > 0.05 else None
        start, due = project.start, project.due
        created = start - timedelta(days=rng.randint(3, 40)) if start else self.as_of
        if rng.random() < 0.03:
            start = None  # dates missing in the tool: a governance finding
        if rng.random() < 0.03:
            due = None
        return Project(
            source=project.source,
            source_id=project.source_id,
            source_url=self._url(project, project.source_id),
            updated_at=self.stamp,
            name=name,
            owner_identity_id=(
                _person_identity(project.source, project.owner)
                if project.owner is not None
                else None
            ),
            team=rng.choice(TEAMS),
            status=project.status,  # type: ignore[arg-type]
            rag=(
                "blue"
                if project.status == "on_hold"
                else "complete"
                if project.status == "completed"
                else rng.choice((*RAGS, "green", "green", None))
            ),
            start_date=start,
            due_date=due,
            completed_at=(
                _noon(project.due, 17)
                if project.status == "completed" and project.due is not None
                else None
            ),
            created_at=_noon(created, 9),
        )

    def _portfolios(self) -> Iterator[Record]:
        rng = self.rng
        portfolios = []
        for n in range(self.size.portfolios):
            source = PLANNER if n % 4 == 3 else ASANA
            source_id = f"{source[:1]}f{200000 + n}"
            portfolios.append((source, source_id))
            yield Portfolio(
                source=source,
                source_id=source_id,
                source_url=f"https://app.asana.com/0/portfolio/{source_id}",
                updated_at=self.stamp,
                name=f"{TEAMS[n % len(TEAMS)]} portfolio {n + 1}",
                owner_identity_id=_person_identity(source, (n * 7) % self.size.people),
            )
        for project in self.projects:
            same = [p for p in portfolios if p[0] == project.source] or portfolios
            roll = rng.random()
            wanted = 0 if roll < 0.05 else 2 if roll > 0.95 else 1  # none, or several
            chosen = rng.sample(same, min(len(same), wanted))
            for source, portfolio_id in chosen:
                yield PortfolioItem(
                    source=source,
                    source_id=f"{portfolio_id}:{project.source_id}",
                    updated_at=self.stamp,
                    portfolio_id=Portfolio.ref(source, portfolio_id),
                    project_id=Project.ref(project.source, project.source_id),
                )

    # -- phases, tasks, assignments --------------------------------------------------------

    def _task_counts(self) -> list[int]:
        weights = [self.rng.uniform(0.4, 1.6) for _ in self.projects]
        total = sum(weights)
        counts = [int(self.size.tasks * w / total) for w in weights]
        for n in range(self.size.tasks - sum(counts)):
            counts[n % len(counts)] += 1
        return counts

    def _phases_and_tasks(self, project: _Project, count: int) -> Iterator[Record]:
        rng, as_of = self.rng, self.as_of
        project.task_count = count
        project_ref = Project.ref(project.source, project.source_id)
        phases = PHASES[: rng.randint(4, 6)]
        phase_ids = []
        for position, phase_name in enumerate(phases):
            source_id = f"{project.source_id}-s{position}"
            phase_ids.append(Phase.ref(project.source, source_id))
            yield Phase(
                source=project.source,
                source_id=source_id,
                updated_at=self.stamp,
                project_id=project_ref,
                name=phase_name,
                position=position,
            )
        start = project.start or as_of - timedelta(days=120)
        due = project.due or as_of + timedelta(days=120)
        span = max((due - start).days, 30)
        lateness = rng.uniform(0.0, 0.45)  # how far behind this team runs
        estimating = rng.random() > 0.08
        closed = project.status in ("completed", "archived")
        parents: list[str] = []
        for k in range(count):
            source_id = f"{project.source_id}-t{k:05d}"
            milestone = rng.random() < 0.05
            offset = int(span * k / max(count, 1)) + rng.randint(-10, 10)
            t_start = start + timedelta(days=max(0, offset))
            t_due = t_start + timedelta(days=0 if milestone else rng.randint(3, 30))
            if closed:
                status = "done"
            elif t_due < as_of:
                status = (
                    "done"
                    if rng.random() > 0.05 + lateness
                    else rng.choice(("in_progress", "not_started"))
                )
            elif t_start <= as_of:
                roll = rng.random()
                status = "done" if roll < 0.15 else "in_progress" if roll < 0.75 else "not_started"
            else:
                status = "in_progress" if rng.random() < 0.05 else "not_started"
            completed_at = None
            if status == "done":
                late = rng.randint(-3, 12)
                done_day = min(t_due + timedelta(days=late), as_of)
                completed_at = _noon(max(done_day, t_start), 16)
            percent = None
            if status == "in_progress" and rng.random() < 0.7:
                percent = float(rng.randint(5, 95))
            elif status == "done" and rng.random() < 0.5:
                percent = 100.0
            elif status == "not_started" and rng.random() < 0.3:
                percent = 0.0
            estimate = None
            if not milestone and estimating and rng.random() < 0.8:
                estimate = float(rng.choice((2, 4, 4, 8, 8, 8, 16, 24, 40)))
                project.estimate_hours += estimate
            parent_id = None
            if not milestone and parents and rng.random() < 0.10:
                parent_id = Task.ref(project.source, rng.choice(parents[-20:]))
            elif not milestone:
                parents.append(source_id)
            no_due = rng.random() < (0.05 if milestone else 0.03)
            no_start = rng.random() < 0.08
            yield Task(
                source=project.source,
                source_id=source_id,
                source_url=self._url(project, source_id),
                updated_at=self.stamp,
                project_id=project_ref,
                phase_id=phase_ids[min(len(phase_ids) - 1, k * len(phase_ids) // count)],
                parent_id=parent_id,
                name=f"{rng.choice(TASK_VERBS)} {rng.choice(TASK_OBJECTS)} #{k}",
                is_milestone=milestone,
                status=status,  # type: ignore[arg-type]
                start_date=None if no_start or milestone else t_start,
                due_date=None if no_due else t_due,
                completed_at=completed_at,
                created_at=_noon(start - timedelta(days=rng.randint(0, 20)), 8),
                percent_complete=percent,
                estimate_hours=estimate,
                priority=rng.choice(("low", "medium", "high", "urgent", None)),  # type: ignore[arg-type]
                tags=["bench"] if k % 9 == 0 else [],
            )
            project.task_ids.append(source_id)
            roll = rng.random()
            assignees = (
                [] if roll < 0.08 else rng.sample(project.members, min(2, len(project.members)))
            )
            if roll < 0.96:
                assignees = assignees[:1]
            for person in assignees:
                project.assigned.setdefault(person, []).append(source_id)
                yield Assignment(
                    source=project.source,
                    source_id=f"{source_id}:user-{person}",
                    updated_at=self.stamp,
                    task_id=Task.ref(project.source, source_id),
                    identity_id=_person_identity(project.source, person),
                )

    # -- money and status ------------------------------------------------------------------

    def _budget_costs_status(self, project: _Project) -> Iterator[Record]:
        rng, as_of = self.rng, self.as_of
        project_ref = Project.ref(project.source, project.source_id)
        hours = project.estimate_hours or project.task_count * 6.0
        roll = rng.random()
        if roll < 0.90:
            if roll < 0.06:
                measure, currency = "hours", None
                amount = Decimal(round(hours * rng.uniform(0.9, 1.25)))
            else:
                measure, currency = "money", ("USD" if roll < 0.13 else "EUR")
                amount = Decimal(round(hours * 90 * rng.uniform(0.8, 1.3), -2))
            project.budget_currency = currency
            yield Budget(
                source=project.source,
                source_id=f"{project.source_id}-budget",
                updated_at=self.stamp,
                project_id=project_ref,
                amount=amount,
                measure=measure,  # type: ignore[arg-type]
                currency=currency,
            )
        start = project.start or as_of - timedelta(days=200)
        days = max((min(as_of, project.due or as_of) - start).days, 1)
        costs = self.size.costs_per_project
        for k in range(rng.randint(costs // 2, costs * 3 // 2)):
            category = rng.choice(("expense", "expense", "invoice", "labour"))
            currency = project.budget_currency or "EUR"
            if rng.random() < 0.05:
                currency = "GBP" if currency != "GBP" else "EUR"
            cents = rng.randint(5_000, 500_000 if category == "invoice" else 80_000)
            person = rng.choice(project.members)
            yield CostEntry(
                source=project.source,
                source_id=f"{project.source_id}-c{k}",
                updated_at=self.stamp,
                project_id=project_ref,
                entry_date=start + timedelta(days=rng.randint(0, days)),
                amount=Decimal(cents) / 100,
                currency=currency,
                category=category,  # type: ignore[arg-type]
                description=f"{category.title()} {k}",
                vendor=rng.choice(VENDORS) if category == "invoice" else None,
                identity_id=_person_identity(project.source, person)
                if category == "labour"
                else None,
            )
        roll = rng.random()
        if roll < 0.08:
            return  # a project that never posts a status update
        cadence = rng.choice((7, 7, 14, 14, 21))
        stopped = rng.randint(28, 60) if roll > 0.88 else 0  # went quiet: stale
        rag = rng.choice(RAGS)
        day = as_of - timedelta(days=7 * self.size.weeks + rng.randint(0, 6))
        day -= timedelta(days=(day.weekday() - 4) % 7)  # a Friday
        k = 0
        while day <= as_of - timedelta(days=stopped):
            if rng.random() < 0.3:
                rag = rng.choice(RAGS)
            if project.status == "on_hold":
                rag = "blue"
            author = project.owner if project.owner is not None else project.members[0]
            yield StatusUpdate(
                source=project.source,
                source_id=f"{project.source_id}-u{k}",
                updated_at=self.stamp,
                project_id=project_ref,
                posted_at=_noon(day, 15),
                rag=rag,  # type: ignore[arg-type]
                title=f"Status {day.isoformat()}",
                text=f"Progress as planned <b>mostly</b> & risks noted (update {k}).",
                author_identity_id=_person_identity(project.source, author),
            )
            day += timedelta(days=cadence)
            k += 1

    # -- RAID log --------------------------------------------------------------------------

    def _raid_items(self) -> Iterator[Record]:
        """About 1.5 RAID items per project (M: about 300), every kind, with hostile titles
        and mitigations, a few portfolio-wide, some closed, some overdue."""
        rng, as_of = self.raid_rng, self.as_of
        kinds = ("risk", "risk", "issue", "issue", "assumption", "decision", "change_request")
        hostile = ('<script>alert("r")</script> vendor lock-in', "=HYPERLINK(\"x\",\"y\")",
                   "Budget \u202etxt.exe overrun", "R&D <Pilot> slips")  # fmt: skip
        for k in range(round(len(self.projects) * 1.5)):
            project = rng.choice(self.projects) if rng.random() < 0.95 else None
            source = project.source if project else ASANA
            kind = kinds[k % len(kinds)]
            raised = as_of - timedelta(days=rng.randint(1, 180))
            closed = rng.random() < 0.25
            probability, impact = rng.randint(1, 5), rng.randint(1, 5)
            owner = rng.choice(project.members if project else [0])
            yield RaidItem(
                source=source,
                source_id=f"raid-{k}",
                updated_at=self.stamp,
                project_id=Project.ref(source, project.source_id) if project else None,
                kind=kind,  # type: ignore[arg-type]
                title=hostile[k % len(hostile)] if k % 17 == 0 else f"{kind.title()} {k}",
                owner_identity_id=_person_identity(source, owner),
                status="closed" if closed else rng.choice(("open", "in_progress")),
                raised_on=raised,
                due_date=raised + timedelta(days=rng.randint(7, 90)),
                closed_on=min(raised + timedelta(days=rng.randint(1, 60)), as_of)
                if closed
                else None,
                probability=probability if kind in ("risk", "issue") else None,
                impact=impact if kind in ("risk", "issue") else None,
                mitigation=hostile[1] if k % 23 == 0 else f"Mitigation plan {k}",
            )

    # -- allocations and time --------------------------------------------------------------

    def _allocations(self) -> Iterator[Record]:
        rng, as_of = self.rng, self.as_of
        for person in self.people:
            for p in person.projects:
                project = self.projects[p]
                periods = [
                    (
                        as_of - timedelta(weeks=self.size.weeks + rng.randint(0, 4)),
                        as_of + timedelta(weeks=rng.randint(2, 12)),
                    )
                ]
                if rng.random() < 0.1:  # a later, overlapping ramp-up
                    periods.append((as_of - timedelta(weeks=2), as_of + timedelta(weeks=10)))
                # a fair share of a week, more or less: some people end up over-allocated
                share = 100 / len(person.projects) * rng.uniform(0.6, 1.15)
                for k, (start, end) in enumerate(periods):
                    weeks = (end - start).days / 7
                    by_percent = rng.random() < 0.6
                    yield Allocation(
                        source=project.source,
                        source_id=f"{project.source_id}:user-{person.index}:a{k}",
                        updated_at=self.stamp,
                        identity_id=_person_identity(project.source, person.index),
                        project_id=Project.ref(project.source, project.source_id),
                        start_date=start,
                        end_date=end,
                        percent=float(max(5, round(share / 5) * 5)) if by_percent else None,
                        hours=None if by_percent else round(weeks * share * 0.4),
                    )

    def _time_entries(self) -> Iterator[Record]:
        """``size.time_entries`` entries over the working days of the last ``weeks`` weeks,
        each person logging per day what their profile says, split into a few entries."""
        rng, as_of = self.rng, self.as_of
        first = as_of - timedelta(weeks=self.size.weeks)
        days = [first + timedelta(days=d) for d in range((as_of - first).days)]
        days = [d for d in days if d.weekday() < 5]
        daily = {"regular": 8.0, "under": 5.5, "over": 10.5, "sporadic": 8.0, "forgetful": 8.0}
        slots: list[tuple[_Person, date, float]] = []
        for person in self.people:
            skipped = {rng.randrange(self.size.weeks) for _ in range(self.size.weeks // 3)}
            for day in days:
                week = (day - first).days // 7
                if person.profile == "sporadic" and week in skipped:
                    continue
                if person.profile == "forgetful" and week >= self.size.weeks - 2:
                    continue
                if not person.active and week >= self.size.weeks - 4:
                    continue  # left the company a month ago
                if rng.random() < 0.02:
                    continue  # a day off nobody booked
                hours = daily[person.profile] + rng.choice((0, 0, 0, 0, 0, 0, 0, 0.5, 1))
                slots.append((person, day, hours))
        total = self.size.time_entries
        if len(slots) > total:
            slots = rng.sample(slots, total)
        per_slot = [total // len(slots)] * len(slots)
        for n in rng.sample(range(len(slots)), total - sum(per_slot)):
            per_slot[n] += 1
        serial = 0
        for (person, day, hours), count in zip(slots, per_slot, strict=True):
            quarters = max(count, round(hours * 4))
            cuts = sorted(rng.sample(range(1, quarters), count - 1)) if count > 1 else []
            bounds = [0, *cuts, quarters]
            for k in range(count):
                project = self.projects[rng.choice(person.projects)]
                mine = project.assigned.get(person.index)
                task = None
                if rng.random() < 0.8:
                    task = rng.choice(mine) if mine else rng.choice(project.task_ids)
                recent = (as_of - day).days <= 7
                yield TimeEntry(
                    source=project.source,
                    source_id=f"te{serial}",
                    updated_at=self.stamp,
                    identity_id=_person_identity(project.source, person.index),
                    project_id=Project.ref(project.source, project.source_id),
                    task_id=Task.ref(project.source, task) if task else None,
                    entry_date=day,
                    minutes=(bounds[k + 1] - bounds[k]) * 15,
                    billable=rng.random() < 0.7,
                    approval=rng.choice(("draft", "submitted")) if recent else "approved",
                )
                serial += 1

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _url(project: _Project, item: str) -> str:
        if project.source == ASANA:
            return f"https://app.asana.com/0/{project.source_id}/{item}"
        return f"https://planner.cloud.microsoft/contoso.onmicrosoft.com/Home/Task/{item}"
