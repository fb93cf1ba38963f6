"""Deterministic generation of a Dataverse environment holding Planner premium plans.

Content comes from one ``random.Random`` seeded by ``seed`` and ids from the environment's
seeded GUID stream, drawn in a fixed order; every date derives from ``today``. So the same
seed, size, day and people give the same rows (only ``modifiedon``, the stamp of the real
moment a row was written, differs), which lets a benchmark recompute its ground truth.

The people are the same humans as the Asana organisation's and the Graph tenant's: given the
tenant, each system user's ``azureactivedirectoryobjectid`` is the Graph user id of the same
address, so the one person key (the Entra object id) joins the three tools.

Schedules are the plans' engine's: summary tasks roll their children up, leaves carry effort and
progress, finish-to-start dependencies point from an earlier leaf to a later one whose start
is after the predecessor's end (so there is never a cycle), and assignments split a leaf's effort
among 1-2 team members. With ``quirks`` the data also holds what real environments hold and
naive clients trip on (see :data:`QUIRKS`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import product
from typing import TYPE_CHECKING

from pmosync.sandbox.dataverse.environment import (
    LINK_FINISH_TO_START,
    Environment,
    day_end,
    day_start,
)
from pmosync.sandbox.dataverse.rollup import (
    add_working_days,
    effort_values,
    leaf_values,
    rolled_up,
    split_hours,
)
from pmosync.sandbox.org import words
from pmosync.sandbox.tenant.generate import DOMAIN, GUESTS, MAILLESS, TENANT_NAME, guest_upn

if TYPE_CHECKING:
    from pmosync.sandbox.tenant import Tenant


@dataclass(frozen=True, slots=True)
class EnvironmentSize:
    """Explicit counts of a generated environment; tests pass their own to stay small."""

    projects: int
    tasks: int
    """Tasks over all projects (summaries and milestones included)."""
    people: int
    """People generated when none are given (each a system user and a User resource)."""
    buckets: tuple[int, int] = (3, 6)
    """Buckets per project, least and most."""
    team: tuple[int, int] = (4, 10)
    """Team members per project, least and most (fewer when there are fewer people)."""


ENVIRONMENT_SIZES: dict[str, EnvironmentSize] = {
    "XS": EnvironmentSize(projects=3, tasks=90, people=6),
    "S": EnvironmentSize(projects=8, tasks=600, people=20),
    "M": EnvironmentSize(projects=60, tasks=30_000, people=60),
    "L": EnvironmentSize(projects=200, tasks=100_000, people=150),
}

APPLICATION_USER = "# pmosync"
"""The application user's full name (Dataverse's admin center prefixes app users with #)."""

GUEST_NAME, GUEST_EMAIL, _ = GUESTS[0]
GUEST_UPN = guest_upn(GUEST_EMAIL)
"""Quirks: a guest, the tenant's first guest (so the Graph user id matches)."""
DISABLED = ("Hugo Lambert", f"hugo.lambert@{DOMAIN}")
"""Quirks: a person who left (``isdisabled``), still on a team and assigned."""
MAILLESS_NAME, MAILLESS_UPN = MAILLESS
"""Quirks: a system user without ``internalemailaddress`` (the tenant's mailless account)."""
GENERIC_RESOURCE = "Contract developer"
"""Quirks: a Generic bookable resource: no user, no email."""
CONTACT_RESOURCE = ("Sam Rivera (Northwind)", "sam.rivera@northwind.example")
"""Quirks: a Contact resource known only by ``msdyn_primaryemail``."""
NUL_SUBJECT = "Review vendor\x00contract"
FORMULA_SUBJECT = '=HYPERLINK("https://example.invalid/x","Open me")'
HTML_SUBJECT = "Agree <b>x</b> & <i>scope</i>"
QUIRKS = (
    "a guest user (#EXT# UPN, external email) managing the first project",
    "a disabled user, a user without internalemailaddress",
    "a Generic resource (no user, no email) and a Contact resource (msdyn_primaryemail only), "
    "on the first project's team and assigned there",
    "the second project has no manager; the third is named like the first",
    "first project's leaves: a subject with a NUL byte, a formula, HTML; a task with no bucket",
)

PRIORITIES = (1, 3, 5, 9, 0, 2, 4, 6, 7, 8, 10)
PRIORITY_WEIGHTS = (10, 20, 45, 15, 2, 2, 1, 1, 2, 1, 1)
DEPENDENCY_COUNTS = ((0, 1, 2, 3), (30, 52, 16, 2))
"""Predecessors drawn per leaf (fewer when fewer earlier leaves end before it starts)."""
CATEGORIES = (("running", 55), ("late", 20), ("future", 15), ("done", 10))


def resolve_environment_size(size: str | EnvironmentSize) -> EnvironmentSize:
    """Accept a named size ("XS", "S", "M", "L") or explicit counts."""
    if isinstance(size, EnvironmentSize):
        return size
    try:
        return ENVIRONMENT_SIZES[size.upper()]
    except KeyError:
        raise ValueError(
            f"unknown environment size {size!r}; use one of {', '.join(ENVIRONMENT_SIZES)}"
        ) from None


def generate_environment(
    seed: int,
    size: str | EnvironmentSize,
    today: date,
    people: Sequence[tuple[str, str]] | None = None,
    tenant: Tenant | None = None,
    *,
    quirks: bool = True,
    application_user_id: str | None = None,
) -> Environment:
    """An environment of ``size`` for ``today``: the same rows for the same seed, size, day and
    people. ``people`` is [(name, email)] as the other sandboxes take it; with a Graph
    ``tenant`` and no people, the tenant's members with a mailbox are the people.
    ``application_user_id`` is the id of the application user the sandbox's token acts as
    (a fresh GUID otherwise); it is also ``env.application_user_id``."""
    return _Gen(seed, resolve_environment_size(size), today, people, tenant, quirks,
                application_user_id).run()  # fmt: skip


@dataclass(slots=True)
class _Resource:
    id: str
    name: str
    user_id: str | None
    """The system user of a User resource."""


@dataclass(slots=True)
class _Node:
    """A task of the plan being drawn: its children (none: a leaf), and once scheduled its
    working-day offsets from the project's start."""

    children: list[_Node]
    milestone: bool = False
    start: int = 0
    end: int = 0
    row: dict | None = None


class _Gen:
    def __init__(
        self,
        seed: int,
        size: EnvironmentSize,
        today: date,
        people: Sequence[tuple[str, str]] | None,
        tenant: Tenant | None,
        quirks: bool,
        application_user_id: str | None,
    ) -> None:
        if size.projects < 0 or size.tasks < 0 or size.people < 0:
            raise ValueError("environment sizes are counts: none may be negative")
        if size.tasks and not size.projects:
            raise ValueError("tasks need at least one project")
        if size.buckets[0] < 1 or size.buckets[0] > size.buckets[1]:
            raise ValueError("buckets per project must be a (least >= 1, most >= least) pair")
        self.rng = random.Random(f"pmosync-dataverse:{seed}")
        self.size = size
        self.today = today
        self.midnight = datetime.combine(today, time(), UTC)
        self.people = people
        self.tenant = tenant
        self.quirks = quirks
        self.env = Environment(today, seed=seed)
        self.application_user_id = application_user_id
        self.pool: list[_Resource] = []
        """User resources of the ordinary people: teams are drawn from it."""
        self.odd: dict[str, _Resource] = {}
        """Quirks: guest, disabled, mailless, generic and contact resources."""
        self.first_subject = ""
        """Quirks: the third project is named like the first."""
        self.origin = add_working_days(today, 0)
        self.latest = today if today.weekday() < 5 else add_working_days(today, -1)
        """The last working day on or before today: no actual date is later."""
        self._days: dict[int, date] = {}

    def run(self) -> Environment:
        self.directory()
        for index, count in enumerate(self.task_counts()):
            self.project(index, count)
        return self.env

    # -- time ------------------------------------------------------------------------------

    def day(self, offset: int) -> date:
        """The working day ``offset`` working days from today's (or the next) working day."""
        found = self._days.get(offset)
        if found is None:
            found = self._days[offset] = add_working_days(self.origin, offset)
        return found

    def created(self, day: date) -> datetime:
        """A creation moment during ``day``'s working hours, before today in any case."""
        at = datetime.combine(day, time(8), UTC) + timedelta(seconds=self.rng.randint(0, 32_400))
        return min(at, self.midnight - timedelta(days=1, seconds=self.rng.randint(0, 3600)))

    # -- people ----------------------------------------------------------------------------

    def the_people(self) -> list[tuple[str, str]]:
        if self.people is not None:
            return list(self.people)
        if self.tenant is not None:
            return [(u.display_name, u.mail) for u in self.tenant.users.values()
                    if u.mail and "#EXT#" not in u.user_principal_name.upper()]  # fmt: skip
        names = self.rng.sample(list(product(words.FIRST_NAMES, words.LAST_NAMES)),
                                self.size.people)  # fmt: skip
        return [(f"{f} {s}", f"{f}.{s}@{DOMAIN}".lower()) for f, s in names]

    def entra_ids(self) -> dict[str, str]:
        """The tenant's user ids by mail and by sign-in name (case-folded)."""
        found: dict[str, str] = {}
        if self.tenant is not None:
            for user in self.tenant.users.values():
                for address in (user.user_principal_name, user.mail):
                    if address:
                        found.setdefault(address.casefold(), user.id)
        return found

    def directory(self) -> None:
        """System users (the application user first), then their User resources, then the
        quirks' resources without a user."""
        env, entra = self.env, self.entra_ids()
        app_guid, app_object, application_id = env.guid(), env.guid(), env.guid()
        app_id = self.application_user_id or app_guid
        env.application_user_id = app_id
        long_ago = self.created(self.today - timedelta(days=900))
        env.upsert("systemuser", {
            "systemuserid": app_id, "fullname": APPLICATION_USER, "internalemailaddress": None,
            "domainname": f"{application_id}@{TENANT_NAME}.onmicrosoft.com",
            "azureactivedirectoryobjectid": app_object, "isdisabled": False,
            "applicationid": application_id,
        }, created=long_ago)  # fmt: skip
        # (name, email, sign-in name, disabled, quirk key)
        humans: list[tuple[str, str | None, str, bool, str | None]] = []
        seen: set[str] = set()
        for name, email in self.the_people():
            if not email or email.casefold() in seen:
                raise ValueError(f"people: missing or duplicate email for {name!r}")
            seen.add(email.casefold())
            humans.append((name, email, email, False, None))
        if self.quirks:
            humans += [
                (GUEST_NAME, GUEST_EMAIL, GUEST_UPN, False, "guest"),
                (*DISABLED, DISABLED[1], True, "disabled"),
                (MAILLESS_NAME, None, MAILLESS_UPN, False, "mailless"),
            ]
        users: list[tuple[str, str, str | None, str | None]] = []
        for name, email, upn, disabled, quirk in humans:
            user_id, object_id = env.guid(), env.guid()
            object_id = entra.get((email or upn).casefold(), entra.get(upn.casefold(), object_id))
            env.upsert("systemuser", {
                "systemuserid": user_id, "fullname": name, "internalemailaddress": email,
                "domainname": upn, "azureactivedirectoryobjectid": object_id,
                "isdisabled": disabled, "applicationid": None,
            }, created=self.created(self.today - timedelta(days=self.rng.randint(200, 800))))
            users.append((user_id, name, email, quirk))  # fmt: skip
        for user_id, name, email, quirk in users:
            resource = _Resource(env.guid(), name, user_id)
            env.upsert("bookableresource", {
                "bookableresourceid": resource.id, "name": name, "resourcetype": 3,
                "_userid_value": user_id, "msdyn_primaryemail": email,
            }, created=self.created(self.today - timedelta(days=self.rng.randint(100, 200))))
            if quirk is None:
                self.pool.append(resource)
            else:
                self.odd[quirk] = resource  # fmt: skip
        if self.quirks:  # resourcetype: 3 User (above), 1 Generic, 2 Contact
            for quirk, name, kind, email in (
                ("generic", GENERIC_RESOURCE, 1, None),
                ("contact", CONTACT_RESOURCE[0], 2, CONTACT_RESOURCE[1]),
            ):
                resource = _Resource(env.guid(), name, None)
                env.upsert("bookableresource", {
                    "bookableresourceid": resource.id, "name": name, "resourcetype": kind,
                    "_userid_value": None, "msdyn_primaryemail": email,
                }, created=self.created(self.today - timedelta(days=self.rng.randint(50, 100))))
                self.odd[quirk] = resource  # fmt: skip

    # -- projects --------------------------------------------------------------------------

    def task_counts(self) -> list[int]:
        """``size.tasks`` shared among the projects, unevenly, summing exactly."""
        count, total = self.size.projects, self.size.tasks
        weights = [self.rng.uniform(0.5, 1.5) for _ in range(count)]
        scale = total / sum(weights) if weights else 0
        shares = [int(w * scale) for w in weights]
        by_remainder = sorted(range(count), key=lambda i: (shares[i] - weights[i] * scale, i))
        for i in by_remainder[: total - sum(shares)]:
            shares[i] += 1
        return shares

    def name(self, index: int) -> str:
        adjectives, subjects = words.PROJECT_ADJECTIVES, words.PROJECT_SUBJECTS
        base = f"{adjectives[index % len(adjectives)]} {self.rng.choice(subjects)}"
        rounds = index // len(adjectives)
        return base if rounds == 0 else f"{base} {rounds + 1}"

    def project(self, index: int, count: int) -> None:
        env, rng, quirks = self.env, self.rng, self.quirks
        project_id = env.guid()
        category = rng.choices([c for c, _ in CATEGORIES], [w for _, w in CATEGORIES])[0]
        if index == 1 or self.size.projects == 1:
            category = "late"  # at least one late project in any environment
        length = rng.randint(30, 160)
        first = {
            "running": -rng.randint(length // 5, 4 * length // 5),
            "late": -length - rng.randint(5, 40),
            "future": rng.randint(5, 40),
            "done": -length - rng.randint(60, 200),
        }[category]
        subject = self.name(index)
        if index == 0:
            self.first_subject = subject
        elif quirks and index == 2:
            subject = self.first_subject
        team = self.team(index)
        manager: str | None = next(r.user_id for r in team if r.user_id)
        if quirks and index == 0:
            manager = self.odd["guest"].user_id
        if quirks and index == 1:
            manager = None
        buckets = [env.guid() for _ in range(rng.randint(*self.size.buckets))]
        roots = self.shape(count)
        nodes = self.schedule(roots, length)
        created = self.created(self.day(first) - timedelta(days=rng.randint(5, 30)))
        tasks = self.task_rows(index, project_id, roots, buckets, first, category)
        dependencies = self.dependencies(project_id, nodes)
        summaries, totals = rolled_up(tasks)
        for row in tasks:
            row.update(summaries.get(row["msdyn_projecttaskid"], {}))
        if totals is None:
            day = self.day(first)
            totals = {"msdyn_effort": 0.0, "msdyn_effortcompleted": 0.0,
                      "msdyn_effortremaining": 0.0, "msdyn_progress": 0.0,
                      "msdyn_scheduledstart": day_start(day), "msdyn_finish": day_end(day),
                      "msdyn_duration": 1}  # fmt: skip
        inactive = category == "done" and rng.random() < 0.5
        env.upsert("msdyn_project", {
            "msdyn_projectid": project_id, "msdyn_subject": subject,
            "msdyn_description": f"{subject}: {rng.choice(words.STATUS_TEXTS)}",
            "_msdyn_projectmanager_value": manager,
            "_ownerid_value": manager or env.application_user_id, "msdyn_hoursperday": 8.0,
            "statecode": 1 if inactive else 0, "statuscode": 2 if inactive else 1, **totals,
        }, created=created)  # fmt: skip
        names = words.SECTION_NAMES
        for n, bucket_id in enumerate(buckets):
            name = names[n] if n < len(names) else f"Stage {n + 1}"
            env.upsert("msdyn_projectbucket", {
                "msdyn_projectbucketid": bucket_id, "msdyn_name": name,
                "_msdyn_project_value": project_id,
            }, created=created + timedelta(seconds=n + 1))  # fmt: skip
        moment = created + timedelta(minutes=5)
        for n, row in enumerate(tasks):
            env.upsert("msdyn_projecttask", row, created=moment + timedelta(seconds=n))
        for n, row in enumerate(dependencies):
            env.upsert("msdyn_projecttaskdependency", row, created=moment + timedelta(seconds=n))
        members = self.team_rows(project_id, team, totals, moment)
        self.assignments(project_id, nodes, members, moment)

    def team(self, index: int) -> list[_Resource]:
        least, most = self.size.team
        pool = self.pool
        team = self.rng.sample(pool, min(len(pool), self.rng.randint(least, most)))
        if self.quirks and index == 0:
            team += [self.odd[k] for k in ("guest", "disabled", "mailless", "generic", "contact")]
        if not any(r.user_id for r in team):
            raise ValueError("a project's team needs one person (people is empty)")
        return team

    # -- tasks -----------------------------------------------------------------------------

    def shape(self, count: int) -> list[_Node]:
        """Top-level tasks totalling ``count``: summaries of 2-6 children, a fifth of which
        have 2-4 children of their own; what is left over (fewer than 3) are top-level leaves.
        A summary's last leaf child is often a milestone, and so is a top-level leaf."""
        rng, roots, left = self.rng, [], count
        while left > 0:
            if left < 3:
                roots.append(_Node([], milestone=rng.random() < 0.5))
                left -= 1
                continue
            k = min(rng.randint(2, 6), left - 1)
            left -= 1 + k
            children = [_Node([]) for _ in range(k)]
            for i in range(k):
                if left >= 2 and rng.random() < 0.2:
                    g = min(rng.randint(2, 4), left)
                    children[i] = _Node([_Node([]) for _ in range(g)])
                    left -= g
            if k >= 3 and not children[-1].children and rng.random() < 0.35:
                children[-1].milestone = True
            roots.append(_Node(children))
        return roots

    def schedule(self, roots: list[_Node], length: int) -> list[_Node]:
        """Give each leaf its working-day offsets from the project's start: a top-level task
        gets a window of the project's ``length`` and its leaves are laid out across it in order,
        a milestone at the latest end before it. Returns the leaves in plan order."""
        rng, leaves = self.rng, []
        for root in roots:
            start = rng.randint(0, max(0, length * 6 // 10))
            span = rng.randint(min(length - start, 10), length - start)
            group = list(_leaves(root))
            reached = start
            for j, leaf in enumerate(group):
                if leaf.milestone:  # alone: at its window's end; else after the leaves before
                    leaf.start = leaf.end = start + span - 1 if j == 0 else reached
                else:
                    leaf.start = start + j * span // len(group)
                    days = rng.randint(1, max(1, min(15, 2 * span // len(group))))
                    leaf.end = max(leaf.start, min(leaf.start + days - 1, start + span - 1))
                    reached = max(reached, leaf.end)
                leaves.append(leaf)
        return leaves

    def task_rows(
        self,
        index: int,
        project_id: str,
        roots: list[_Node],
        buckets: list[str],
        first: int,
        category: str,
    ) -> list[dict]:
        """Rows in plan order (a parent before its children); leaves carry their values,
        summaries get theirs from the roll-up."""
        rng, env, rows = self.rng, self.env, []
        quirky = self.quirks and index == 0
        plain = 0  # leaves that are not milestones, for the quirks

        def visit(node: _Node, parent: str | None, level: int, bucket: str | None) -> None:
            nonlocal plain
            task_id = env.guid()
            if rng.random() < 0.1:
                bucket = rng.choice(buckets)
            subject = rng.choice(words.MILESTONE_NAMES) if node.milestone else (
                f"{rng.choice(words.TASK_VERBS)} {rng.choice(words.TASK_OBJECTS)}")
            row = {
                "msdyn_projecttaskid": task_id, "msdyn_subject": subject,
                "_msdyn_project_value": project_id, "_msdyn_projectbucket_value": bucket,
                "_msdyn_parenttask_value": parent, "msdyn_outlinelevel": level,
                "msdyn_displaysequence": float(len(rows) + 1), "msdyn_summary": bool(node.children),
                "msdyn_ismilestone": node.milestone, "msdyn_iscritical": False,
                "msdyn_priority": rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0],
                "msdyn_descriptionplaintext": None,
            }  # fmt: skip
            if not node.children:
                self.leaf(row, node, first, category)
                if quirky and not node.milestone:
                    if plain < 3:
                        row["msdyn_subject"] = (NUL_SUBJECT, FORMULA_SUBJECT, HTML_SUBJECT)[plain]
                    elif plain == 3:
                        row["_msdyn_projectbucket_value"] = None
                    plain += 1
            node.row = row
            rows.append(row)
            for child in node.children:
                visit(child, task_id, level + 1, bucket)

        for n, root in enumerate(roots):
            visit(root, None, 1, buckets[n * len(buckets) // len(roots)])
        return rows

    def leaf(self, row: dict, node: _Node, first: int, category: str) -> None:
        """A leaf's dates, duration, effort and progress; a milestone is a moment (start ==
        end at the day's end, duration 0, no effort). Its actual start (once started) and end
        (once done) are its scheduled ones, or the last working day up to today when those are
        later (work done early); they draw nothing, so the rest of the data is unchanged."""
        rng = self.rng
        start, end = first + node.start, first + node.end
        if node.milestone:
            moment = day_end(self.day(end))
            slipped = category == "late" and rng.random() < 0.5
            done = category == "done" or (end < 0 and not slipped)
            actual = day_end(min(self.day(end), self.latest)) if done else None
            row.update(msdyn_scheduledstart=moment, msdyn_scheduledend=moment, msdyn_duration=0,
                       msdyn_actualstart=actual, msdyn_actualend=actual,
                       **leaf_values(0.0, 1.0 if done else 0.0))  # fmt: skip
            return
        days = end - start + 1
        effort = float(max(1, round(days * 8 * rng.choice((0.25, 0.5, 0.75, 1.0)))))
        if category == "done":
            progress = 1.0
        elif end < 0:
            behind = category == "late" and rng.random() < 0.5 or rng.random() < 0.05
            progress = rng.choice((0.0, 0.25, 0.5, 0.75, 0.9)) if behind else 1.0
        elif start > 0:
            progress = 0.1 if rng.random() < 0.05 else 0.0
        else:
            elapsed = (1 - start) / days * rng.uniform(0.6, 1.2)
            progress = min(1.0, round(elapsed * 20) / 20)
        row.update(
            msdyn_scheduledstart=day_start(self.day(start)),
            msdyn_scheduledend=day_end(self.day(end)),
            msdyn_duration=days,
            msdyn_actualstart=(
                day_start(min(self.day(start), self.latest)) if progress > 0 else None
            ),
            msdyn_actualend=day_end(min(self.day(end), self.latest)) if progress >= 1 else None,
            msdyn_iscritical=rng.random() < 0.15,
            msdyn_descriptionplaintext=(
                f"{rng.choice(words.STATUS_TEXTS)}" if rng.random() < 0.3 else None
            ),
            **leaf_values(effort, progress),
        )

    def dependencies(self, project_id: str, leaves: list[_Node]) -> list[dict]:
        """Finish-to-start links: each leaf draws 0-3 predecessors among the 12 leaves before
        it in plan order that end before it starts (a milestone: by its moment)."""
        rng, env, rows = self.rng, self.env, []
        counts, weights = DEPENDENCY_COUNTS
        for n, leaf in enumerate(leaves):
            wanted = rng.choices(counts, weights)[0]
            if not wanted:
                continue
            earlier = leaves[max(0, n - 12) : n]
            fits = [p for p in earlier
                    if p.end < leaf.start or (leaf.milestone and p.end <= leaf.start)]  # fmt: skip
            for predecessor in rng.sample(fits, min(wanted, len(fits))):
                rows.append({
                    "msdyn_projecttaskdependencyid": env.guid(),
                    "_msdyn_project_value": project_id,
                    "_msdyn_predecessortask_value": predecessor.row["msdyn_projecttaskid"],
                    "_msdyn_successortask_value": leaf.row["msdyn_projecttaskid"],
                    "msdyn_projecttaskdependencylinktype": LINK_FINISH_TO_START,
                    "msdyn_projecttaskdependencylinklag": 0.0,
                })  # fmt: skip
        return rows

    # -- people on the plan ----------------------------------------------------------------

    def team_rows(
        self, project_id: str, team: list[_Resource], totals: dict, moment: datetime
    ) -> dict[str, tuple[str, _Resource]]:
        """One msdyn_projectteam row per member; resource id -> (team row id, resource)."""
        members = {}
        for n, resource in enumerate(team):
            member_id = self.env.guid()
            self.env.upsert("msdyn_projectteam", {
                "msdyn_projectteamid": member_id, "msdyn_name": resource.name,
                "_msdyn_project_value": project_id,
                "_msdyn_bookableresourceid_value": resource.id,
                "msdyn_from": totals["msdyn_scheduledstart"], "msdyn_to": totals["msdyn_finish"],
            }, created=moment - timedelta(seconds=n + 1))  # fmt: skip
            members[resource.id] = (member_id, resource)
        return members

    def assignments(
        self,
        project_id: str,
        leaves: list[_Node],
        members: dict[str, tuple[str, _Resource]],
        moment: datetime,
    ) -> None:
        """1-2 assignments per leaf that is no milestone, splitting its effort; on the first
        project (quirks) the odd resources take the first leaves, so each is assigned."""
        env, rng = self.env, self.rng
        team = list(members)
        odd = [r.id for r in self.odd.values() if r.id in members]
        n = 0
        for leaf in leaves:
            task = leaf.row
            if leaf.milestone:
                continue
            chosen = rng.sample(team, min(len(team), 1 if rng.random() < 0.7 else 2))
            if odd:
                resource = odd.pop(0)
                chosen = [resource, *(r for r in chosen[1:] if r != resource)]
            shares = split_hours(task["msdyn_effort"], len(chosen))
            for resource_id, hours in zip(chosen, shares, strict=True):
                member_id, resource = members[resource_id]
                env.upsert("msdyn_resourceassignment", {
                    "msdyn_resourceassignmentid": env.guid(), "msdyn_name": resource.name,
                    "_msdyn_projectid_value": project_id,
                    "_msdyn_taskid_value": task["msdyn_projecttaskid"],
                    "_msdyn_bookableresourceid_value": resource_id,
                    "_msdyn_projectteamid_value": member_id,
                    "msdyn_start": task["msdyn_scheduledstart"],
                    "msdyn_finish": task["msdyn_scheduledend"],
                    **effort_values(hours, task["msdyn_progress"]),
                }, created=moment + timedelta(seconds=n))  # fmt: skip
                n += 1


def _leaves(node: _Node):
    if not node.children:
        yield node
        return
    for child in node.children:
        yield from _leaves(child)
