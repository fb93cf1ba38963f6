"""The organisation's RAID log, kept in Asana the two ways teams keep it.

- A "RAID log" project: every task is a RAID item, its kind in the "RAID type" field, the
  delivery project it concerns named in a "Project" text field, probability a number (1-5),
  impact a single-select (Very low .. Very high), a "RAID status" single-select, a
  "Mitigation" text and a "Raised on" date; the owner is the assignee, the due date Asana's.
- A few tasks in delivery projects with "RAID type" set (those projects gain the fields).

Among them, deliberately, what a real log holds: hostile strings (``<script>``, a spreadsheet
formula, a right-to-left override, a NUL byte, a 2,000-character description), a probability
of 7, a type option no vocabulary names ("Opportunity") and an item naming a project that does
not exist. Built after everything else, from its own random stream, so adding it changed no
other record of any seed; ``org.raid`` holds what each item is meant to be.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from pmosync.sandbox.org.model import (
    CustomField,
    EnumOption,
    Project,
    RaidEntry,
    Section,
    Task,
)

if TYPE_CHECKING:
    from pmosync.sandbox.org.organisation import Org

KINDS = {
    "Risk": "risk",
    "Issue": "issue",
    "Assumption": "assumption",
    "Decision": "decision",
    "Change request": "change_request",
}
UNKNOWN_KIND = "Opportunity"
IMPACTS = ("Very low", "Low", "Medium", "High", "Very high")
STATUSES = ("Open", "Mitigating", "Closed")
NO_SUCH_PROJECT = "Project Atlantis (cancelled)"
RAID_FIELDS = (
    "RAID type", "Project", "Probability", "Impact", "RAID status", "Mitigation", "Raised on"
)  # fmt: skip
INLINE_FIELDS = ("RAID type", "Probability", "Impact")
"""The fields a delivery project gains when some of its tasks are RAID items."""

HOSTILE = {
    "script": '<script>alert("raid")</script> Vendor lock-in',
    "formula": '=HYPERLINK("http://evil.example/x","Click to mitigate")',
    "bidi": "Budget overrun \u202etxt.exe",
    "nul": "Assumption with a NUL\x00byte",
}
LONG_TEXT = ("The supplier may not deliver the integration on time. " * 40)[:2000]

TOPICS = {
    "risk": ("Key supplier may slip", "Team member may leave", "Budget may be cut",
             "Data migration may fail", "Regulation may change"),
    "issue": ("Test environment down", "Licence renewal blocked", "Vendor invoice disputed",
              "Requirements conflict"),
    "assumption": ("Users available for UAT", "Legacy API stays up", "Budget approved in Q3"),
    "decision": ("Choose hosting provider", "Go/no-go for pilot", "Drop offline mode"),
    "change_request": ("Add SSO login", "Extend scope to EMEA", "Move launch by a month"),
}  # fmt: skip


def sizes(projects: int) -> tuple[int, int]:
    """(items in the RAID log, RAID-typed tasks in delivery projects) for an org's size:
    about 1.5 log items per project (M: 300) and one inline item per 5 projects."""
    return max(10, round(projects * 1.5)), max(3, projects // 5)


def board_project(
    org: Org,
    rng: random.Random,
    *,
    name: str,
    notes: str,
    created: datetime,
    fields: Sequence[str],
    columns: Sequence[str],
) -> tuple[Project, dict[str, str]]:
    """A PMO's designated project (the RAID log, the intake board): owned by someone, with
    the custom fields ``fields`` (gids) set up on it and one section per column, registered in
    ``org``; the project and its sections' gids by name."""
    gid = org.new_gid()
    project = Project(
        gid=gid,
        name=name,
        team_gid=sorted(org.teams)[0],
        owner_gid=rng.choice(sorted(org.people)),
        created_at=created,
        modified_at=created,
        start_on=None,
        due_on=None,
        color="none",
        notes=notes,
    )
    project.settings = {field: org.new_gid() for field in fields}
    org.projects[gid] = project
    sections: dict[str, str] = {}
    for column in columns:
        section = org.new_gid()
        org.sections[section] = Section(section, column, gid, created)
        project.section_gids.append(section)
        sections[column] = section
    return project, sections


class _RaidGen:
    def __init__(self, org: Org, seed: int, today: date) -> None:
        self.org = org
        self.rng = random.Random(f"{seed}:raid")
        self.today = today
        self.fields: dict[str, CustomField] = {}

    def at(self, day: date) -> datetime:
        moment = datetime.combine(day, time(9), UTC) + timedelta(
            seconds=self.rng.randint(0, 8 * 3600), milliseconds=self.rng.randint(0, 999)
        )
        return min(moment, datetime.combine(self.today, time(), UTC) - timedelta(seconds=1))

    def define_fields(self) -> None:
        org, new = self.org, self.org.new_gid

        def options(names: tuple[str, ...]) -> list[EnumOption]:
            return [EnumOption(new(), name, "none") for name in names]

        defs = [
            CustomField(new(), "RAID type", "enum", "Kind of RAID item.",
                        options=options((*KINDS, UNKNOWN_KIND))),
            CustomField(new(), "Project", "text", "Delivery project the item concerns."),
            CustomField(new(), "Probability", "number", "Likelihood, 1 (rare) to 5.", 0),
            CustomField(new(), "Impact", "enum", "Impact if it happens.",
                        options=options(IMPACTS)),
            CustomField(new(), "RAID status", "enum", "Where the item stands.",
                        options=options(STATUSES)),
            CustomField(new(), "Mitigation", "text", "Response plan or action."),
            CustomField(new(), "Raised on", "date", "When the item was raised."),
        ]  # fmt: skip
        for definition in defs:
            org.custom_fields[definition.gid] = definition
            self.fields[definition.name] = definition

    def option(self, name: str, value: str) -> str:
        found = next(o for o in self.fields[name].options if o.name == value)
        return found.gid

    def log_project(self) -> Project:
        project, _ = board_project(
            self.org,
            self.rng,
            name="RAID log",
            notes="The PMO's risks, issues, assumptions, decisions and change requests.",
            created=self.at(self.today - timedelta(days=400)),
            fields=[self.fields[n].gid for n in RAID_FIELDS],
            columns=STATUSES,  # the log's board: one column per status
        )
        self.org.raid_log_gid = project.gid
        return project

    def item(
        self, home: Project, kind_name: str, concerns: Project | None, *, named: str | None = None
    ) -> Task:
        """One RAID item: a task in ``home`` (the log or a delivery project)."""
        rng, org = self.rng, self.org
        kind = KINDS.get(kind_name)
        raised = self.today - timedelta(days=rng.randint(1, 200))
        created = self.at(raised)
        closed = rng.random() < 0.25
        status = "Closed" if closed else rng.choice(("Open", "Open", "Mitigating"))
        task = Task(
            gid=org.new_gid(),
            name=f"{rng.choice(TOPICS[kind or 'risk'])}",
            project_gid=home.gid,
            section_gid=(
                home.section_gids[STATUSES.index(status)]
                if home.gid == org.raid_log_gid
                else rng.choice(home.section_gids)
            ),
            parent_gid=None,
            assignee_gid=rng.choice(sorted(org.people)) if rng.random() < 0.9 else None,
            created_by_gid=home.owner_gid,
            created_at=created,
            modified_at=created,
            due_on=raised + timedelta(days=rng.randint(7, 120)) if rng.random() < 0.8 else None,
            notes=f"Raised in the weekly review of {raised.isoformat()}.",
        )
        if closed:
            task.completed = True
            task.completed_at = self.at(min(raised + timedelta(days=rng.randint(1, 60)),
                                            self.today - timedelta(days=1)))  # fmt: skip
            task.completed_at = max(task.completed_at, created + timedelta(minutes=1))
            task.modified_at = task.completed_at
        custom = task.custom
        custom[self.fields["RAID type"].gid] = self.option("RAID type", kind_name)
        custom[self.fields["Probability"].gid] = float(rng.randint(1, 5))
        custom[self.fields["Impact"].gid] = self.option("Impact", rng.choice(IMPACTS))
        if home.gid == org.raid_log_gid:
            custom[self.fields["RAID status"].gid] = self.option("RAID status", status)
            custom[self.fields["Project"].gid] = named or (concerns.name if concerns else None)
            custom[self.fields["Mitigation"].gid] = (
                f"Owner to review by {task.due_on.isoformat()}" if task.due_on else None
            )
            custom[self.fields["Raised on"].gid] = {"date": raised.isoformat(), "date_time": None}
        org.tasks[task.gid] = task
        org.raid[task.gid] = RaidEntry(task.gid, kind, concerns.gid if concerns else None)
        return task

    def run(self, log_items: int, inline_items: int) -> None:
        org, rng = self.org, self.rng
        delivery = [org.projects[g] for g in sorted(org.projects)]
        self.define_fields()
        log = self.log_project()
        kinds = list(KINDS)
        for n in range(log_items):
            self.item(log, kinds[n % len(kinds)], rng.choice(delivery))
        self.hostile(log, delivery)
        inline_homes = rng.sample(delivery, min(len(delivery), max(1, inline_items // 2)))
        for home in inline_homes:
            home.settings.update({self.fields[n].gid: org.new_gid() for n in INLINE_FIELDS})
        for n in range(inline_items):
            home = inline_homes[n % len(inline_homes)]
            self.item(home, kinds[n % 2], home)  # risks and issues raised inside the plan

    def hostile(self, log: Project, delivery: list[Project]) -> None:
        """The items a real log also holds, each with what a sync must make of it."""
        org, rng = self.org, self.rng
        script = self.item(log, "Risk", rng.choice(delivery))
        script.name = HOSTILE["script"]
        script.notes = LONG_TEXT
        formula = self.item(log, "Issue", rng.choice(delivery))
        formula.custom[self.fields["Mitigation"].gid] = HOSTILE["formula"]
        bidi = self.item(log, "Decision", rng.choice(delivery))
        bidi.name = HOSTILE["bidi"]
        nul = self.item(log, "Assumption", rng.choice(delivery))
        nul.name = HOSTILE["nul"]
        unplaced = self.item(log, "Risk", None, named=NO_SUCH_PROJECT)
        unplaced.name = "Merger may freeze spending"
        too_likely = self.item(log, "Risk", rng.choice(delivery))
        too_likely.custom[self.fields["Probability"].gid] = 7.0
        org.raid[too_likely.gid].problem = "probability field 'Probability' is 7"
        unknown = self.item(log, UNKNOWN_KIND, rng.choice(delivery))
        unknown.name = "Reuse the Apollo design system"
        org.raid[unknown.gid].problem = f"RAID type {UNKNOWN_KIND!r}"


def add_raid_log(org: Org, seed: int, today: date, projects: int) -> None:
    """Give ``org`` its RAID log, sized to its ``projects`` (see :func:`sizes`)."""
    log_items, inline_items = sizes(projects)
    _RaidGen(org, seed, today).run(log_items, inline_items)
