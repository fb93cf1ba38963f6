"""Deterministic generation of a synthetic Microsoft 365 tenant.

Content is drawn from one ``random.Random(seed)`` in a fixed order and ids from a second seeded
stream (:class:`IdFactory`); every timestamp derives from ``today``. So the same seed, size,
day and people give the same tenant in any process, which lets a benchmark recompute the
ground truth that the emulator serves.

Timesheets: every member of the Operations team (whose "Timesheets" channel holds the
workbooks) logs every working day of every generated week; people outside that team log
nothing. Each row's project is the title of a plan of a group the person belongs to.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import product
from zoneinfo import ZoneInfo

from pmosync.sandbox.org import words
from pmosync.sandbox.tenant import vocabulary as vocab
from pmosync.sandbox.tenant.model import (
    TENANT_SIZES,
    Bucket,
    Channel,
    ChecklistItem,
    Drive,
    DriveItem,
    Group,
    ListColumn,
    Plan,
    PlannerTask,
    SharePointList,
    Site,
    TenantSize,
    Timesheet,
    TimesheetRow,
    User,
)
from pmosync.sandbox.tenant.tenant import Tenant
from pmosync.sandbox.tenant.workbooks import TIMESHEET_SHEET, render_timesheet

DOMAIN = "contoso.example"
SHAREPOINT_HOST = "contoso.sharepoint.com"
OPERATIONS = "Operations"
TIMESHEETS_CHANNEL = "Timesheets"
PMO_SITE_PATH = "/sites/pmo"
REPORTS_FOLDER = "Reports"
STATUS_LIST = "Project status"
TENANT_NAME = "contoso"
"""The ``contoso.onmicrosoft.com`` part of a guest's sign-in name."""
GUESTS = (
    ("Ana Ortiz", "ana.ortiz@fabrikam.example", True),
    ("Wei Li", "wei_li@northwind.example", False),
)
"""Quirks: guests (display name, external address, whether ``mail`` is set). Their sign-in
name is ``local_domain#EXT#@contoso.onmicrosoft.com``; the second has no mail, only that."""


def guest_upn(external: str) -> str:
    """A guest's sign-in name in the tenant: ``jo_fabrikam.example#EXT#@contoso.onmicrosoft.com``
    for ``jo@fabrikam.example``."""
    local, _, domain = external.partition("@")
    return f"{local}_{domain}#EXT#@{TENANT_NAME}.onmicrosoft.com"


MAILLESS = ("Planner Robot", "planner.robot@contoso.example")
"""Quirks: a member account without a mailbox (``mail`` null), known by its sign-in name."""
LOOKALIKE_KINDS = ("security", "distribution")
"""Quirks: groups of these kinds named exactly like the Operations team (no plans, no team)."""
QUIRKS_ZONE = "Europe/Paris"
"""Quirks: the zone the plans are used in; their dates are stored as midnight there."""
STATUS_COLUMNS = (
    ListColumn("Report", "text"),
    ListColumn("AsOf", "dateTime", date_only=True),
    ListColumn("RAG", "text"),
    ListColumn("ComputedRAG", "text"),
    ListColumn("PercentComplete", "number"),
    ListColumn("Link", "text"),
)
"""The PMO's status list as an admin creates it (besides Title): typed, none indexed."""


def resolve_tenant_size(size: str | TenantSize) -> TenantSize:
    """Accept a named size ("XS", "S", "M") or explicit counts."""
    if isinstance(size, TenantSize):
        return size
    try:
        return TENANT_SIZES[size.upper()]
    except KeyError:
        raise ValueError(
            f"unknown tenant size {size!r}; use one of {', '.join(sorted(TENANT_SIZES))}"
        ) from None


def week_name(monday: date) -> str:
    """``Timesheet 2026-W47.xlsx``: the ISO year and week of the Monday."""
    year, week, _ = monday.isocalendar()
    return f"Timesheet {year}-W{week:02d}.xlsx"


def timesheet_weeks(today: date, count: int) -> list[date]:
    """The Mondays of ``count`` weeks, oldest first, ending with the last full ISO week before
    ``today`` (the week whose Sunday is before today)."""
    last = today - timedelta(days=today.weekday() + 7)
    return [last - timedelta(weeks=n) for n in reversed(range(count))]


class _Gen:
    """One generation run: the content rng, the tenant being filled and its ``today``."""

    def __init__(
        self,
        seed: int,
        size: TenantSize,
        today: date,
        people: Sequence[tuple[str, str]] | None,
        *,
        quirks: bool = False,
    ) -> None:
        if size.groups < 1:
            raise ValueError("a tenant needs at least one group (the Operations team)")
        if size.tasks and not size.plans:
            raise ValueError("tasks need at least one plan")
        self.rng = random.Random(seed)
        self.size = size
        self.today = today
        self.midnight = datetime.combine(today, time(), UTC)
        self.people = people
        self.tenant = Tenant(today, seed=seed, domain=DOMAIN)
        self.ids = self.tenant.ids
        self.quirks = quirks
        self.addresses: dict[str, str] = {}
        """User id -> the address its person types in a timesheet when ``mail`` is not it."""
        self.zone = ZoneInfo(QUIRKS_ZONE) if quirks else UTC
        if quirks:
            self.tenant.planner_zone = QUIRKS_ZONE

    def moment(self, day: date) -> datetime:
        """A working-hours timestamp on ``day`` (ms precision), always before today."""
        rng = self.rng
        at = datetime.combine(day, time(8), UTC) + timedelta(
            seconds=rng.randint(0, 10 * 3600), milliseconds=rng.randint(0, 999)
        )
        return min(at, self.midnight - timedelta(minutes=rng.randint(1, 600)))

    def planner_time(self, day: date) -> datetime:
        """A start or due datetime as Planner stores a picked date: mostly UTC midnight, some
        at the hour a client in another zone sent."""
        hour = self.rng.choices((0, 8, 12), weights=(85, 10, 5))[0]
        return datetime.combine(day, time(hour), self.zone).astimezone(UTC)

    def run(self) -> Tenant:
        self.users()
        self.groups()
        for group in self.tenant.groups.values():
            if group.kind != "unified":
                continue  # security and distribution groups have no site
            group.site_id = self.site(group.display_name, f"/sites/{group.mail_nickname.lower()}")
        self.channels()
        self.plans()
        self.tasks()
        self.timesheets()
        self.pmo()
        return self.tenant

    # -- directory ---------------------------------------------------------------------------

    def users(self) -> None:
        people = self.people
        if people is None:
            names = self.rng.sample(
                list(product(words.FIRST_NAMES, words.LAST_NAMES)), self.size.people
            )
            people = [(f"{f} {s}", f"{f}.{s}@{DOMAIN}".lower()) for f, s in names]
        seen: set[str] = set()
        for name, email in people:
            if email.casefold() in seen:
                raise ValueError(f"duplicate email {email!r} in people")
            seen.add(email.casefold())
            user = User(self.ids.guid(), name, email, email, self.rng.choice(vocab.JOB_TITLES))
            self.tenant.users[user.id] = user
        if self.quirks:
            for name, external, with_mail in GUESTS:
                upn = guest_upn(external)
                guest = User(self.ids.guid(), name, external if with_mail else None, upn)
                self.tenant.users[guest.id] = guest
                self.addresses[guest.id] = external
            name, upn = MAILLESS
            robot = User(self.ids.guid(), name, None, upn)
            self.tenant.users[robot.id] = robot
            self.addresses[robot.id] = upn

    def groups(self) -> None:
        rng, count = self.rng, self.size.groups
        others = [n for n in words.TEAM_NAMES if n != OPERATIONS]
        names = [OPERATIONS] + [
            others[i % len(others)] + (f" {i // len(others) + 1}" if i >= len(others) else "")
            for i in range(count - 1)
        ]
        members: list[list[str]] = [[] for _ in names]
        for user_id in self.tenant.users:
            home = rng.randrange(count)
            for i in range(count):
                extra = 0.6 if i == 0 else 0.3
                if i == home or rng.random() < extra:
                    members[i].append(user_id)
        for i, name in enumerate(names):
            nickname = name.replace(" ", "")
            team = i == 0
            owners = rng.sample(members[i], min(len(members[i]), rng.randint(1, 2)))
            group = Group(
                id=self.ids.guid(),
                display_name=name,
                description=(
                    "Operations team: run-the-business projects and weekly timesheets."
                    if team
                    else f"The {name} group."
                ),
                mail_nickname=nickname,
                owner_ids=owners,
                member_ids=members[i],
                created_at=self.moment(self.today - timedelta(days=rng.randint(400, 900))),
                is_team=team,
            )
            self.tenant.groups[group.id] = group
        if self.quirks:
            team = next(iter(self.tenant.groups.values()))
            for kind in LOOKALIKE_KINDS:
                lookalike = Group(
                    id=self.ids.guid(),
                    display_name=team.display_name,
                    description=f"{kind.capitalize()} group named like the team.",
                    mail_nickname=f"{team.mail_nickname}-{kind}",
                    owner_ids=team.owner_ids[:1],
                    member_ids=list(team.member_ids),
                    created_at=team.created_at,
                    kind=kind,
                )
                self.tenant.groups[lookalike.id] = lookalike

    # -- sites and files ---------------------------------------------------------------------

    def site(self, name: str, path: str) -> str:
        """A site with its default "Documents" library and that library's root folder."""
        tenant = self.tenant
        site_id = f"{SHAREPOINT_HOST},{self.ids.guid()},{self.ids.guid()}"
        drive_id, root_id = self.ids.drive(), self.ids.item()
        created = self.moment(self.today - timedelta(days=self.rng.randint(400, 900)))
        tenant.sites[site_id] = Site(site_id, SHAREPOINT_HOST, path, name, drive_id)
        tenant.drives[drive_id] = Drive(drive_id, site_id, "Documents", root_id)
        tenant.insert_item(DriveItem(root_id, drive_id, None, "root", created, created))
        return site_id

    def folder(self, parent: DriveItem, name: str) -> DriveItem:
        """A folder made within a month of its parent (so before any generated file in it)."""
        day = parent.created_at.date() + timedelta(days=self.rng.randint(0, 30))
        at = max(self.moment(day), parent.created_at)
        item = DriveItem(self.ids.item(), parent.drive_id, parent.id, name, at, at)
        return self.tenant.insert_item(item)

    def channels(self) -> None:
        tenant = self.tenant
        team = next(iter(tenant.groups.values()))
        assert team.site_id is not None
        root = tenant.drive_root(tenant.sites[team.site_id].drive_id)
        for name, about in (
            ("General", "Team-wide announcements."),
            (TIMESHEETS_CHANNEL, "Weekly timesheet workbooks, one per ISO week."),
        ):
            channel = Channel(self.ids.channel(), team.id, name, about, self.folder(root, name).id)
            tenant.channels[channel.id] = channel

    def pmo(self) -> None:
        tenant = self.tenant
        site_id = self.site("PMO", PMO_SITE_PATH)
        self.folder(tenant.drive_root(tenant.sites[site_id].drive_id), REPORTS_FOLDER)
        status = SharePointList(self.ids.guid(), site_id, STATUS_LIST)
        status.columns.update((c.name, c) for c in STATUS_COLUMNS)
        tenant.lists[status.id] = status

    # -- Planner -----------------------------------------------------------------------------

    def plans(self) -> None:
        rng, tenant = self.rng, self.tenant
        groups = [g for g in tenant.groups.values() if g.kind == "unified"]
        titles: set[str] = set()
        for i in range(self.size.plans):
            group = groups[i % len(groups)]
            prefix = vocab.GROUP_PREFIXES.get(group.display_name, group.display_name)
            base = (
                f"{prefix} — {rng.choice(words.PROJECT_ADJECTIVES)} "
                f"{rng.choice(words.PROJECT_SUBJECTS)}"
            )
            title, n = base, 1
            while title.casefold() in titles:  # a second such project: "... 2"
                n += 1
                title = f"{base} {n}"
            titles.add(title.casefold())
            labels = rng.sample(vocab.CATEGORY_LABELS, rng.randint(3, 6))
            keys = sorted(rng.sample(range(1, 11), len(labels)))
            plan = Plan(
                id=self.ids.planner(),
                title=title,
                group_id=group.id,
                created_by=rng.choice(group.owner_ids or sorted(tenant.users)),
                created_at=self.moment(self.today - timedelta(days=rng.randint(30, 400))),
                category_descriptions={
                    f"category{k}": label for k, label in zip(keys, labels, strict=True)
                },
            )
            tenant.plans[plan.id] = plan
            count = rng.randint(3, 6)
            names = sorted(rng.sample(vocab.BUCKET_NAMES, count), key=vocab.BUCKET_NAMES.index)
            for name in names:
                bucket = Bucket(self.ids.planner(), name, plan.id, tenant.next_order_hint())
                tenant.buckets[bucket.id] = bucket

    def tasks(self) -> None:
        rng, tenant = self.rng, self.tenant
        plans = list(tenant.plans.values())
        if not plans:
            return
        weights = [rng.uniform(0.5, 1.5) for _ in plans]
        total = sum(weights)
        counts = [int(w / total * self.size.tasks) for w in weights]
        for i in range(self.size.tasks - sum(counts)):
            counts[i % len(counts)] += 1
        outsiders = {
            plan.group_id: sorted(set(tenant.users) - set(tenant.groups[plan.group_id].member_ids))
            for plan in plans
        }
        for plan, count in zip(plans, counts, strict=True):
            buckets = tenant.plan_buckets(plan.id)
            members = tenant.groups[plan.group_id].member_ids or sorted(tenant.users)
            for _ in range(count):
                tenant.insert_task(self.task(plan, buckets, members, outsiders[plan.group_id]))

    def task(
        self, plan: Plan, buckets: list[Bucket], members: list[str], outsiders: list[str]
    ) -> PlannerTask:
        rng = self.rng
        age = max((self.today - plan.created_at.date()).days - 1, 0)
        created = max(
            self.moment(plan.created_at.date() + timedelta(days=rng.randint(0, age))),
            plan.created_at + timedelta(minutes=1),
        )
        start = created.date() + timedelta(days=rng.randint(0, 30)) if rng.random() < 0.7 else None
        due = (
            (start or created.date()) + timedelta(days=rng.randint(1, 45))
            if rng.random() < 0.85
            else None
        )
        assignees = rng.sample(
            members, min(len(members), rng.choices((0, 1, 2, 3), (15, 60, 20, 5))[0])
        )
        if assignees and outsiders and rng.random() < 0.03:
            assignees[-1] = rng.choice(outsiders)
        task = PlannerTask(
            id=self.ids.planner(),
            plan_id=plan.id,
            bucket_id=rng.choice(buckets).id,
            title=f"{rng.choice(words.TASK_VERBS)} {rng.choice(words.TASK_OBJECTS)}",
            order_hint=self.tenant.next_order_hint(),
            created_by=rng.choice(members),
            created_at=created,
            percent_complete=self.percent(start, due),
            priority=rng.choices((1, 3, 5, 9, 0, 2, 7, 10), (10, 20, 55, 10, 1, 2, 1, 1))[0],
            start_at=self.planner_time(start) if start else None,
            due_at=self.planner_time(due) if due else None,
            assignee_ids=list(dict.fromkeys(assignees)),
            applied_categories=self.categories(plan),
        )
        if task.percent_complete == 100:
            day = min(due or self.today, self.today) + timedelta(days=rng.randint(-5, 2))
            task.completed_at = min(
                max(self.moment(day), created + timedelta(hours=1)),
                self.midnight - timedelta(seconds=1),
            )
            task.completed_by = (task.assignee_ids or [task.created_by])[0]
        if rng.random() < 0.3:
            task.description = rng.choice(vocab.DESCRIPTIONS)
        if rng.random() < 0.2:
            done = task.percent_complete == 100
            task.checklist = [
                ChecklistItem(self.ids.guid(), title, done or rng.random() < 0.4)
                for title in rng.sample(vocab.CHECKLIST_ITEMS, rng.randint(1, 5))
            ]
        return task

    def percent(self, start: date | None, due: date | None) -> int:
        """Mostly the UI's 0/50/100, by where the dates sit relative to today; a few odd
        values that only API clients write."""
        rng = self.rng
        if rng.random() < 0.03:
            return rng.choice((10, 25, 75, 90))
        if due is not None and due < self.today:
            weights = (10, 15, 75)
        elif (start or due or self.today) <= self.today:
            weights = (40, 45, 15)
        else:
            weights = (90, 8, 2)
        return rng.choices((0, 50, 100), weights)[0]

    def categories(self, plan: Plan) -> list[str]:
        """0-2 labelled categories; rarely one with no label (Planner allows applying those)."""
        rng = self.rng
        labelled = list(plan.category_descriptions)
        chosen = rng.sample(labelled, min(len(labelled), rng.choices((0, 1, 2), (50, 35, 15))[0]))
        if rng.random() < 0.01:
            unlabelled = [f"category{n}" for n in range(1, 26)]
            chosen.append(rng.choice([c for c in unlabelled if c not in labelled]))
        return sorted(chosen, key=lambda c: int(c.removeprefix("category")))

    # -- timesheets --------------------------------------------------------------------------

    def timesheets(self) -> None:
        tenant = self.tenant
        team = next(iter(tenant.groups.values()))
        folder_id = next(
            c.folder_id for c in tenant.channels.values() if c.display_name == TIMESHEETS_CHANNEL
        )
        task_titles = {
            plan_id: sorted({t.title for t in tenant.plan_tasks(plan_id)})
            for plan_id in tenant.plans
        }
        projects = {
            user_id: [
                p for p in tenant.plans.values() if user_id in tenant.groups[p.group_id].member_ids
            ]
            for user_id in team.member_ids
        }
        for monday in timesheet_weeks(self.today, self.size.timesheet_weeks):
            rows: list[TimesheetRow] = []
            for offset in range(5):
                day = monday + timedelta(days=offset)
                for user_id in team.member_ids:
                    if projects[user_id]:
                        rows.extend(self.day_rows(user_id, day, projects[user_id], task_titles))
            at = self.moment(monday + timedelta(days=4))
            item = DriveItem(
                self.ids.item(),
                tenant.items[folder_id].drive_id,
                folder_id,
                week_name(monday),
                at,
                min(at + timedelta(minutes=self.rng.randint(1, 120)), self.midnight),
                render_timesheet(rows),
            )
            tenant.insert_item(item)
            tenant.timesheets[item.id] = Timesheet(item.id, monday, TIMESHEET_SHEET, rows)

    def day_rows(
        self, user_id: str, day: date, plans: list[Plan], titles: dict[str, list[str]]
    ) -> list[TimesheetRow]:
        """1-3 rows totalling 6-9 h in quarter hours, each at least an hour; two draws of the
        same project/task/billable merge, so no two rows of a workbook are identical."""
        rng = self.rng
        parts = rng.choices((1, 2, 3), (40, 40, 20))[0]
        spare = rng.randint(24, 36) - 4 * parts
        cuts = sorted(rng.randint(0, spare) for _ in range(parts - 1))
        quarters = [4 + b - a for a, b in zip([0, *cuts], [*cuts, spare], strict=True)]
        email = self.addresses.get(user_id) or self.tenant.users[user_id].mail
        merged: dict[tuple[str, str | None, bool], int] = {}
        for amount in quarters:
            plan = rng.choice(plans)
            task = rng.choice(titles[plan.id]) if titles[plan.id] and rng.random() < 0.7 else None
            key = (plan.title, task, rng.random() < 0.75)
            merged[key] = merged.get(key, 0) + amount
        return [
            TimesheetRow(email, day, amount / 4, project, task, billable)
            for (project, task, billable), amount in merged.items()
        ]


def generate_tenant(
    seed: int = 1,
    size: str | TenantSize = "S",
    today: date | None = None,
    people: Sequence[tuple[str, str]] | None = None,
    *,
    quirks: bool = False,
) -> Tenant:
    """Build a tenant; identical for identical seed, size, ``today``, people and quirks.

    ``people`` are (display name, email) pairs, e.g. the Asana organisation's, so both tools
    share the same humans; without them ``size.people`` names are made up.

    ``quirks`` adds what real directories hold and tidy test data does not (see
    :data:`GUESTS`, :data:`MAILLESS`, :data:`LOOKALIKE_KINDS`, :data:`QUIRKS_ZONE`): guests,
    an account without mail, a security and a distribution group named like the Operations
    team, and Planner dates picked in Europe/Paris (stored as local midnight, in UTC). Without
    it the tenant is exactly what it was before quirks existed.
    """
    gen = _Gen(seed, resolve_tenant_size(size), today or date.today(), people, quirks=quirks)
    return gen.run()
