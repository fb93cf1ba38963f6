"""Deterministic generation of a synthetic organisation.

Everything is drawn from one ``random.Random(seed)`` in a fixed order and every timestamp is
derived from ``today``, so the same seed, size and day give byte-identical data; that is what
lets a benchmark in another process recompute the ground truth.

Cost follows work (see :mod:`costing`): every work task carries an estimate, each project's
budget is its planned cost plus contingency, and the time logged on a task is the effort it has
earned times its project's spend factor, so budgets, actuals and progress tell one story.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from itertools import product

from pmosync.sandbox.org import costing, words
from pmosync.sandbox.org.clock import GidFactory
from pmosync.sandbox.org.intake import add_intake
from pmosync.sandbox.org.model import (
    Allocation,
    Budget,
    CustomField,
    EnumOption,
    OrgSize,
    Person,
    Portfolio,
    Project,
    Section,
    StatusUpdate,
    Task,
    Team,
    TimeEntry,
    Workspace,
    resolve_size,
)
from pmosync.sandbox.org.organisation import Org
from pmosync.sandbox.org.raid import add_raid_log

EMAIL_DOMAIN = "contoso.example"
CURRENCY = "EUR"
TASK_FIELDS = ("Estimate (h)", "Priority", "% Complete")


class _Gen:
    """One generation run: the rng, the gid source and the instant everything precedes."""

    def __init__(self, seed: int, size: OrgSize, today: date) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        # Rates and spend factors come from their own stream: pricing the work must not
        # change which projects, tasks and people a seed gives.
        self.plan_rng = random.Random(f"{seed}:plan")
        self.spend: dict[str, float] = {}
        # Work tasks and logged cost per project, read once when the first budget is priced.
        self.priced: tuple[dict[str, list[Task]], dict[str, float]] | None = None
        self.size = size
        self.today = today
        self.midnight = datetime.combine(today, time(), UTC)
        gids = GidFactory(seed)
        self.gid = gids
        self.org = Org(Workspace(gids(), "Contoso", EMAIL_DOMAIN), today, gids)

    def moment(self, day: date, *, not_after: datetime | None = None) -> datetime:
        """A working-hours timestamp on ``day`` (ms precision), never at or after the cap."""
        rng = self.rng
        cap = not_after or self.midnight
        at = datetime.combine(day, time(8), UTC) + timedelta(
            seconds=rng.randint(0, 10 * 3600), milliseconds=rng.randint(0, 999)
        )
        return min(at, cap - timedelta(minutes=rng.randint(1, 600)))

    def run(self) -> Org:
        self.people()
        self.teams()
        self.fields()
        self.projects()
        for project in list(self.org.projects.values()):
            self.sections(project)
        self.tasks()
        self.time_entries()
        for project in self.org.projects.values():
            self.status_updates(project)
            self.allocations(project)
            self.budget(project)
        self.portfolios()
        add_raid_log(self.org, self.seed, self.today, self.size.projects)
        add_intake(self.org, self.seed, self.today, self.size.projects)
        return self.org

    def people(self) -> None:
        names = self.rng.sample(
            list(product(words.FIRST_NAMES, words.LAST_NAMES)), self.size.people
        )
        for first, last in names:
            gid = self.gid()
            email = f"{first}.{last}@{EMAIL_DOMAIN}".lower()
            self.org.people[gid] = Person(gid, f"{first} {last}", email)
            self.org.rates[gid] = self.plan_rng.choice(costing.RATE_LEVELS)

    def teams(self) -> None:
        for i in range(self.size.teams):
            name = words.TEAM_NAMES[i % len(words.TEAM_NAMES)]
            if i >= len(words.TEAM_NAMES):
                name = f"{name} {i // len(words.TEAM_NAMES) + 1}"
            gid = self.gid()
            self.org.teams[gid] = Team(gid, name, f"The {name} team.")

    def fields(self) -> None:
        def options(*pairs: tuple[str, str]) -> list[EnumOption]:
            return [EnumOption(self.gid(), name, color) for name, color in pairs]

        defs = [
            CustomField(
                self.gid(), "Budget", "number", "Approved project budget.", 0, "currency", CURRENCY
            ),
            CustomField(
                self.gid(),
                "Health",
                "enum",
                "Overall project health.",
                options=options(
                    ("On track", "green"),
                    ("At risk", "yellow"),
                    ("Off track", "red"),
                    ("On hold", "blue"),
                ),
            ),
            CustomField(self.gid(), "Estimate (h)", "number", "Estimated effort in hours.", 1),
            CustomField(
                self.gid(),
                "Priority",
                "enum",
                "Task priority.",
                options=options(
                    ("Low", "cool-gray"),
                    ("Medium", "yellow"),
                    ("High", "orange"),
                    ("Urgent", "red"),
                ),
            ),
            CustomField(
                self.gid(), "% Complete", "number", "Share of work done (0..1).", 0, "percentage"
            ),
        ]
        for custom_field in defs:
            self.org.custom_fields[custom_field.gid] = custom_field

    def projects(self) -> None:
        rng, org = self.rng, self.org
        teams, people = sorted(org.teams), sorted(org.people)
        budget, health = org.field_named("Budget"), org.field_named("Health")
        task_fields = [org.field_named(n).gid for n in TASK_FIELDS]
        for i in range(self.size.projects):
            start = self.today - timedelta(days=rng.randint(20, 420))
            due = start + timedelta(days=rng.randint(45, 360))
            created = self.moment(start - timedelta(days=rng.randint(1, 30)))
            finished = due < self.today and rng.random() < 0.8
            name = (
                f"{words.PROJECT_ADJECTIVES[i % len(words.PROJECT_ADJECTIVES)]} "
                f"{rng.choice(words.PROJECT_SUBJECTS)}"
            )
            if i >= len(words.PROJECT_ADJECTIVES):
                name = f"{name} {i // len(words.PROJECT_ADJECTIVES) + 1}"
            gid = self.gid()
            project = Project(
                gid=gid,
                name=name,
                team_gid=teams[i % len(teams)],
                owner_gid=rng.choice(people),
                created_at=created,
                modified_at=self.moment(self.today - timedelta(days=rng.randint(1, 20))),
                start_on=start,
                due_on=due,
                color=rng.choice(words.COLORS),
                notes=f"{name}: a delivery project.",
                completed=finished,
                completed_at=self.moment(due) if finished else None,
                archived=finished and rng.random() < 0.5,
            )
            project.modified_at = max(project.modified_at, project.created_at)
            # A placeholder drawn to keep the seed's stream; budget() prices the plan.
            project.custom[budget.gid] = float(rng.randrange(20_000, 800_000, 5_000))
            project.custom[health.gid] = rng.choice(health.options).gid
            project.settings = {field_gid: self.gid() for field_gid in task_fields}
            org.projects[gid] = project

    def sections(self, project: Project) -> None:
        count = self.rng.randint(3, 6)
        names = words.SECTION_NAMES[:count]
        for name in names:
            gid = self.gid()
            created = project.created_at + timedelta(minutes=len(project.section_gids) + 1)
            self.org.sections[gid] = Section(gid, name, project.gid, created)
            project.section_gids.append(gid)

    def tasks(self) -> None:
        rng, org = self.rng, self.org
        projects = list(org.projects.values())
        weights = [rng.uniform(0.5, 1.5) for _ in projects]
        total = sum(weights)
        counts = [int(w / total * self.size.tasks) for w in weights]
        for i in range(self.size.tasks - sum(counts)):
            counts[i % len(counts)] += 1
        for project, count in zip(projects, counts, strict=True):
            made: list[Task] = []
            for _ in range(count):
                task = self.task(project, made)
                made.append(task)
                if rng.random() < 0.02:
                    for _ in range(rng.randint(1, 3)):
                        self.subtask(task)

    def task(self, project: Project, earlier: list[Task]) -> Task:
        rng, org = self.rng, self.org
        assert project.start_on and project.due_on
        span = (project.due_on - project.start_on).days
        milestone = rng.random() < 0.05
        start = project.start_on + timedelta(days=rng.randint(0, max(span - 1, 0)))
        due = min(start + timedelta(days=rng.randint(1, 30)), project.due_on)
        created = self.moment(
            min(start, self.today - timedelta(days=1)) - timedelta(days=rng.randint(0, 20)),
        )
        created = max(created, project.created_at + timedelta(minutes=10))
        task = Task(
            gid=self.gid(),
            name=(
                rng.choice(words.MILESTONE_NAMES)
                if milestone
                else f"{rng.choice(words.TASK_VERBS)} {rng.choice(words.TASK_OBJECTS)}"
            ),
            project_gid=project.gid,
            section_gid=rng.choice(project.section_gids),
            parent_gid=None,
            assignee_gid=rng.choice(sorted(org.people)) if rng.random() < 0.85 else None,
            created_by_gid=project.owner_gid,
            created_at=created,
            modified_at=created,
            start_on=None if milestone or rng.random() < 0.3 else start,
            due_on=due,
            resource_subtype="milestone" if milestone else "default_task",
        )
        self.finish(task)
        self.custom(task)
        if earlier and rng.random() < 0.04:
            for dep in rng.sample(earlier[-20:], min(len(earlier[-20:]), rng.randint(1, 2))):
                task.dependencies.append(dep.gid)
        org.tasks[task.gid] = task
        return task

    def finish(self, task: Task) -> None:
        """Complete past work mostly, current work sometimes; touch modified_at after that."""
        rng = self.rng
        due = task.due_on or self.today
        started = task.start_on or due
        done = rng.random() < (0.85 if due < self.today else 0.15 if started < self.today else 0)
        if done:
            day = min(due + timedelta(days=rng.randint(-3, 5)), self.today - timedelta(days=1))
            task.completed = True
            task.completed_at = max(self.moment(day), task.created_at + timedelta(hours=1))
            task.completed_at = min(task.completed_at, self.midnight - timedelta(seconds=1))
        last = task.completed_at or task.created_at
        touched = last + timedelta(minutes=rng.randint(0, 3 * 24 * 60))
        task.modified_at = min(touched, self.midnight - timedelta(milliseconds=1))
        task.modified_at = max(task.modified_at, last)

    def custom(self, task: Task) -> None:
        rng, org = self.rng, self.org
        estimate = org.field_named("Estimate (h)")
        priority = org.field_named("Priority")
        percent = org.field_named("% Complete")
        if task.resource_subtype != "milestone":  # the plan estimates all work
            task.custom[estimate.gid] = float(rng.choice((1, 2, 4, 8, 16, 24, 40)))
        if rng.random() < 0.7:
            task.custom[priority.gid] = rng.choice(priority.options).gid
        task.custom[percent.gid] = (
            1.0 if task.completed else rng.choice((0.0, 0.1, 0.25, 0.5, 0.75, 0.9))
        )

    def subtask(self, parent: Task) -> None:
        rng, org = self.rng, self.org
        sub = Task(
            gid=self.gid(),
            name=f"{rng.choice(words.TASK_VERBS)} {rng.choice(words.TASK_OBJECTS)} (part)",
            project_gid=None,
            section_gid=None,
            parent_gid=parent.gid,
            assignee_gid=parent.assignee_gid,
            created_by_gid=parent.created_by_gid,
            created_at=parent.created_at + timedelta(minutes=rng.randint(1, 120)),
            modified_at=parent.created_at,
            due_on=parent.due_on,
        )
        sub.created_at = min(sub.created_at, self.midnight - timedelta(hours=1))
        self.finish(sub)
        self.custom(sub)
        org.tasks[sub.gid] = sub
        parent.subtask_gids.append(sub.gid)

    def spend_factors(self) -> None:
        """Deal the spend profiles round the projects in a seeded order, then draw each
        project's hours spent per hour earned within its profile."""
        order = sorted(self.org.projects)
        self.plan_rng.shuffle(order)
        profiles = costing.SPEND_PROFILES
        for i, gid in enumerate(order):
            _, low, high = profiles[i % len(profiles)]
            self.spend[gid] = round(self.plan_rng.uniform(low, high), 3)

    def time_entries(self) -> None:
        """``size.time_entries`` entries, shared out over the work tasks in proportion to the
        hours each has taken: its estimate x how far it is x its project's spend factor."""
        org = self.org
        self.spend_factors()
        targets: list[tuple[Task, float]] = []
        for task in org.tasks.values():
            project_gid = org.task_project(task)
            if project_gid is None or not costing.is_work(org, task):
                continue
            done = 1.0 if task.completed else float(task.custom.get(self._percent, 0.0) or 0.0)
            hours = costing.estimate_of(org, task) * done * self.spend[project_gid]
            if hours > 0:
                targets.append((task, hours))
        count = self.size.time_entries if targets else 0
        total = sum(hours for _, hours in targets)
        shares = [count * hours / total for _, hours in targets] if targets else []
        counts = [int(share) for share in shares]
        by_remainder = sorted(range(len(shares)), key=lambda i: (counts[i] - shares[i], i))
        for i in by_remainder[: count - sum(counts)]:
            counts[i] += 1
        people = sorted(org.people)
        for (task, hours), entries in zip(targets, counts, strict=True):
            if entries:
                self.log_time(task, hours, entries, people)

    def log_time(self, task: Task, hours: float, entries: int, people: list[str]) -> None:
        """``entries`` time entries on ``task`` adding up to about ``hours``, on days between
        its start and its completion (or today), by its assignee."""
        rng, org = self.rng, self.org
        statuses = ("DRAFT", "SUBMITTED", "APPROVED", "REJECTED")
        project_gid = org.task_project(task) or ""
        floor = self.today - timedelta(days=363)  # time tracking keeps a year
        first = max(task.start_on or task.created_at.date(), floor)
        last = min(task.completed_at.date() if task.completed_at else self.today, self.today)
        first = min(first, max(last, floor))
        last = max(last, first)
        weights = [rng.uniform(0.5, 1.5) for _ in range(entries)]
        scale = hours * 60 / sum(weights)
        for weight in weights:
            minutes = min(max(round(weight * scale / 15) * 15, 15), 480)
            day = first + timedelta(days=rng.randint(0, (last - first).days))
            gid = self.gid()
            org.time_entries[gid] = TimeEntry(
                gid=gid,
                task_gid=task.gid,
                project_gid=project_gid,
                user_gid=task.assignee_gid or rng.choice(people),
                entered_on=day,
                duration_minutes=minutes,
                billable_status="billable" if rng.random() < 0.7 else "nonBillable",
                approval_status=rng.choices(statuses, weights=(20, 25, 50, 5))[0],
                description=rng.choice(("", "Workshop", "Review", "Implementation", "Meeting")),
                created_at=self.moment(day),
            )

    @property
    def _percent(self) -> str:
        return self.org.field_named("% Complete").gid

    def status_updates(self, project: Project) -> None:
        rng, org = self.rng, self.org
        assert project.start_on
        count = rng.randint(0, 6)
        first = max(project.start_on, self.today - timedelta(days=200))
        days = sorted(
            first + timedelta(days=rng.randint(0, max((self.today - first).days - 1, 0)))
            for _ in range(count)
        )
        for n, day in enumerate(days):
            last = n == count - 1
            kind = (
                "complete"
                if last and project.completed
                else rng.choice(("on_track", "on_track", "at_risk", "off_track", "on_hold"))
            )
            at = self.moment(day)
            gid = self.gid()
            org.status_updates[gid] = StatusUpdate(
                gid=gid,
                project_gid=project.gid,
                status_type=kind,
                title=f"{rng.choice(words.STATUS_TITLES)} {day.isoformat()}",
                text=rng.choice(words.STATUS_TEXTS),
                author_gid=project.owner_gid
                if rng.random() < 0.8
                else rng.choice(sorted(org.people)),
                created_at=at,
                modified_at=at,
            )
            project.current_status_gid = gid

    def allocations(self, project: Project) -> None:
        rng, org = self.rng, self.org
        assert project.start_on and project.due_on
        for _ in range(rng.randint(1, 4)):
            span = (project.due_on - project.start_on).days
            start = project.start_on + timedelta(days=rng.randint(0, max(span - 7, 0)))
            hours = rng.random() < 0.5
            gid = self.gid()
            org.allocations[gid] = Allocation(
                gid=gid,
                project_gid=project.gid,
                assignee_gid=rng.choice(sorted(org.people)),
                start_date=start,
                end_date=start + timedelta(days=rng.randint(7, 90)),
                effort_type="hours" if hours else "percent",
                effort_value=float(rng.choice((8, 16, 20, 40) if hours else (25, 50, 75, 100))),
                created_by_gid=project.owner_gid,
            )

    def budget(self, project: Project) -> None:
        """The project's budget: its planned cost plus contingency, in the "Budget" field and,
        for most projects, also as Asana's native budget, stating the same amount (one budget
        said twice, as a real workspace does). The native budget's estimate is the planned
        cost and its actual the logged time at people's rates."""
        org = self.org
        if self.priced is None:
            self.priced = (costing.work_by_project(org), costing.labour_by_project(org))
        work, labour = self.priced
        planned = costing.planned_cost(org, work.get(project.gid, []))
        total = costing.budget_total(planned)
        project.custom[org.field_named("Budget").gid] = total
        if self.rng.random() >= 0.7:
            return
        gid = self.gid()
        org.budgets[gid] = Budget(
            gid=gid,
            project_gid=project.gid,
            budget_type="cost",
            currency=CURRENCY,
            total=total,
            estimate=round(planned, 2),
            actual=labour.get(project.gid, 0.0),
        )

    def portfolios(self) -> None:
        rng, org = self.rng, self.org
        projects = sorted(org.projects)
        per = max(1, round(len(projects) / max(self.size.portfolios, 1) * 1.3))
        for i in range(self.size.portfolios):
            team = org.teams[sorted(org.teams)[i % len(org.teams)]]
            members = rng.sample(projects, min(per, len(projects)))
            gid = self.gid()
            org.portfolios[gid] = Portfolio(
                gid=gid,
                name=f"{team.name} Portfolio" + (f" {i + 1}" if i >= len(org.teams) else ""),
                owner_gid=rng.choice(sorted(org.people)),
                created_at=self.moment(self.today - timedelta(days=rng.randint(200, 500))),
                color=rng.choice(words.COLORS),
                project_gids=sorted(members),
            )


def generate_org(seed: int = 1, size: str | OrgSize = "S", today: date | None = None) -> Org:
    """Build an organisation; identical for identical seed, size and ``today``."""
    return _Gen(seed, resolve_size(size), today or date.today()).run()
