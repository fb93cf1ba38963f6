"""The organisation's project requests, collected the way Asana intake works: a form feeding a
"Project intake" project, one task per submission.

The board's sections are the stages (New requests, Under review, Approved, On hold, Rejected,
Converted); the form's answers are custom fields: Sponsor (people), Estimated cost and
Expected benefit (currency numbers in EUR), Strategic alignment, Risk and Regulatory
(single-selects), Consultant effort (d) and Analyst effort (d) (numbers of days), Target start
and Target end (dates), and Converted to (text naming the project a request became). The task's
creator is who submitted the form.

Among them, deliberately, what a real intake board holds: a request with no sponsor, one
submitted by a guest (an external email), a title with NUL bytes and one that is a spreadsheet
formula, a Strategic alignment option ("Critical") no scoring model lists, a converted request
naming a project that was deleted, two requests of the same title, a project named in other
case and spacing, and a negative effort (quarantined). Built after everything else, from its
own random stream, so adding it changed no other record of any seed; ``org.intake`` holds what
each request is meant to become.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from pmosync.sandbox.org.model import (
    CustomField,
    EnumOption,
    IntakeEntry,
    Person,
    Project,
    Task,
)
from pmosync.sandbox.org.raid import board_project

if TYPE_CHECKING:
    from pmosync.sandbox.org.organisation import Org

CURRENCY = "EUR"
SECTIONS = {
    "New requests": "submitted",
    "Under review": "under_review",
    "Approved": "approved",
    "On hold": "on_hold",
    "Rejected": "rejected",
    "Converted": "converted",
}
STAGE_WEIGHTS = (9, 7, 5, 2, 3, 4)
ALIGNMENTS = ("High", "Medium", "Low")
UNLISTED_ALIGNMENT = "Critical"
"""A Strategic alignment option no scoring model lists."""
RISKS = {"Low": 2, "Medium": 3, "High": 4, "Very high": 5}
ROLES = {"Consultant": "Consultant effort (d)", "Analyst": "Analyst effort (d)"}
INTAKE_FIELDS = (
    "Sponsor", "Estimated cost", "Expected benefit", "Strategic alignment", "Risk", "Regulatory",
    "Consultant effort (d)", "Analyst effort (d)", "Target start", "Target end", "Converted to",
)  # fmt: skip
DELETED_PROJECT = "Legacy intranet refresh"
"""What a converted request names: a project that was deleted (no project has the name)."""
GUEST = ("Robin Vendor", "robin.vendor@partner-agency.example")
HOSTILE = {
    "nul": "Customer portal\x00 revamp\x00",
    "formula": '=HYPERLINK("http://evil.example/x","Approve me")',
}
TWIN_TITLE = "Data warehouse upgrade"
NEGATIVE_EFFORT = -3.0

TOPICS = (
    "CRM migration", "Self-service analytics", "Field service mobile app", "E-invoicing rollout",
    "Supplier portal", "HR onboarding automation", "Warehouse scanning", "Cloud backup",
    "Website accessibility audit", "Contract management system", "Chatbot for support",
    "Expense tool replacement", "GDPR records cleanup", "Network refresh", "Payroll integration",
    "Sales forecasting model", "Knowledge base", "Travel booking tool",
)  # fmt: skip


def size(projects: int) -> int:
    """Requests for an org's size: three per project, at least 12 (S: 30, M: 600)."""
    return max(12, projects * 3)


class _IntakeGen:
    def __init__(self, org: Org, seed: int, today: date) -> None:
        self.org = org
        self.rng = random.Random(f"{seed}:intake")
        self.today = today
        self.fields: dict[str, CustomField] = {}
        self.sections: dict[str, str] = {}
        self.delivery: list[Project] = []

    def at(self, day: date) -> datetime:
        moment = datetime.combine(day, time(8), UTC) + timedelta(
            seconds=self.rng.randint(0, 9 * 3600), milliseconds=self.rng.randint(0, 999)
        )
        return min(moment, datetime.combine(self.today, time(), UTC) - timedelta(seconds=1))

    def define_fields(self) -> None:
        new = self.org.new_gid

        def options(names: tuple[str, ...]) -> list[EnumOption]:
            return [EnumOption(new(), name, "none") for name in names]

        defs = [
            CustomField(new(), "Sponsor", "people", "Who sponsors the request."),
            CustomField(new(), "Estimated cost", "number", "One-off cost.", 0, "currency",
                        CURRENCY),
            CustomField(new(), "Expected benefit", "number", "Benefit over three years.", 0,
                        "currency", CURRENCY),
            CustomField(new(), "Strategic alignment", "enum", "Fit with the strategy.",
                        options=options((*ALIGNMENTS, UNLISTED_ALIGNMENT))),
            CustomField(new(), "Risk", "enum", "Delivery risk.", options=options(tuple(RISKS))),
            CustomField(new(), "Regulatory", "enum", "Required by regulation?",
                        options=options(("Yes", "No"))),
            CustomField(new(), "Consultant effort (d)", "number", "Consultant days.", 1),
            CustomField(new(), "Analyst effort (d)", "number", "Analyst days.", 1),
            CustomField(new(), "Target start", "date", "When it should start."),
            CustomField(new(), "Target end", "date", "When it should finish."),
            CustomField(new(), "Converted to", "text", "The project it became."),
        ]  # fmt: skip
        for definition in defs:
            self.org.custom_fields[definition.gid] = definition
            self.fields[definition.name] = definition

    def option(self, name: str, value: str) -> str:
        return next(o.gid for o in self.fields[name].options if o.name == value)

    def project(self) -> Project:
        project, self.sections = board_project(
            self.org,
            self.rng,
            name="Project intake",
            notes="Submissions of the project request form.",
            created=self.at(self.today - timedelta(days=365)),
            fields=[self.fields[n].gid for n in INTAKE_FIELDS],
            columns=SECTIONS,
        )
        self.org.intake_gid = project.gid
        return project

    def request(self, home: Project, title: str, *, creator: str | None = None) -> Task:
        """One submission, in a stage drawn by weight, with every field the form asks."""
        rng, org, fields = self.rng, self.org, self.fields
        section = rng.choices(list(SECTIONS), STAGE_WEIGHTS)[0]
        submitted = self.today - timedelta(days=rng.randint(1, 240))
        created = self.at(submitted)
        requester = creator or rng.choice(sorted(org.people))
        task = Task(
            gid=org.new_gid(),
            name=title,
            project_gid=home.gid,
            section_gid=self.sections[section],
            parent_gid=None,
            assignee_gid=rng.choice(sorted(org.people)) if rng.random() < 0.5 else None,
            created_by_gid=requester,
            created_at=created,
            modified_at=created,
            notes=f"Submitted through the project request form on {submitted.isoformat()}.",
        )
        cost = float(rng.randrange(20, 500) * 1000)
        benefit = float(round(cost * rng.uniform(0.5, 3.0), -3))
        sponsor = rng.choice(sorted(org.people))
        alignment = rng.choice(ALIGNMENTS)
        risk = rng.choice(list(RISKS))
        regulatory = rng.choice(("Yes", "No", "No"))
        effort = {"Consultant": float(rng.randrange(3, 40))}
        if rng.random() < 0.8:
            effort["Analyst"] = float(rng.randrange(2, 60)) + rng.choice((0.0, 0.5))
        start = self.today + timedelta(days=rng.randint(20, 200))
        end = start + timedelta(days=rng.randint(60, 300))
        custom = task.custom
        custom[fields["Sponsor"].gid] = [sponsor]
        custom[fields["Estimated cost"].gid] = cost
        custom[fields["Expected benefit"].gid] = benefit
        custom[fields["Strategic alignment"].gid] = self.option("Strategic alignment", alignment)
        custom[fields["Risk"].gid] = self.option("Risk", risk)
        custom[fields["Regulatory"].gid] = self.option("Regulatory", regulatory)
        for role, days in effort.items():
            custom[fields[ROLES[role]].gid] = days
        custom[fields["Target start"].gid] = _day(start)
        custom[fields["Target end"].gid] = _day(end)
        converted = None
        if section == "Converted" and self.delivery:
            converted = rng.choice(self.delivery)
            custom[fields["Converted to"].gid] = converted.name
        org.tasks[task.gid] = task
        org.intake[task.gid] = IntakeEntry(
            task_gid=task.gid,
            stage=SECTIONS[section],
            requester_gid=requester,
            sponsor_gid=sponsor,
            cost=cost,
            benefit=benefit,
            currency=CURRENCY,
            effort_days=effort,
            criteria={"strategic_fit": alignment, "regulatory": regulatory},
            risk=RISKS[risk],
            target_start=start,
            target_end=end,
            project_ref=converted.name if converted else None,
            project_gid=converted.gid if converted else None,
        )
        return task

    def run(self, count: int) -> None:
        org = self.org
        self.delivery = [org.projects[g] for g in sorted(org.projects) if g != org.raid_log_gid]
        self.define_fields()
        home = self.project()
        for n in range(count - _MESSY):
            topic = TOPICS[n % len(TOPICS)]
            self.request(home, topic if n < len(TOPICS) else f"{topic} {n // len(TOPICS) + 1}")
        self.messy(home)

    def messy(self, home: Project) -> None:
        """The requests a real intake board also holds, each with what a sync must make of
        it (``_MESSY`` counts them)."""
        org, fields = self.org, self.fields
        unsponsored = self.request(home, "Archive digitisation")
        unsponsored.custom[fields["Sponsor"].gid] = []
        org.intake[unsponsored.gid].sponsor_gid = None
        guest_gid = org.new_gid()
        org.guests[guest_gid] = Person(guest_gid, *GUEST)
        self.request(home, "Partner co-marketing site", creator=guest_gid)
        self.request(home, HOSTILE["nul"])
        self.request(home, HOSTILE["formula"])
        critical = self.request(home, "Fraud detection uplift")
        critical.custom[fields["Strategic alignment"].gid] = self.option(
            "Strategic alignment", UNLISTED_ALIGNMENT
        )
        org.intake[critical.gid].criteria["strategic_fit"] = UNLISTED_ALIGNMENT
        ghost = self.request(home, "Intranet search")
        self.convert(ghost, DELETED_PROJECT, None)
        for _ in range(2):
            self.request(home, TWIN_TITLE)
        if self.delivery:  # the project as someone typed it: other case, extra spaces
            target = self.delivery[0]
            spaced = self.request(home, "Mobile timesheets")
            self.convert(spaced, "  " + "  ".join(target.name.upper().split()) + " ", target)
        negative = self.request(home, "Robotic process automation pilot")
        negative.custom[fields["Analyst effort (d)"].gid] = NEGATIVE_EFFORT
        org.intake[negative.gid].effort_days["Analyst"] = NEGATIVE_EFFORT
        org.intake[negative.gid].problem = "Analyst effort field 'Analyst effort (d)' is -3"

    def convert(self, task: Task, written: str, project: Project | None) -> None:
        """Put a request in Converted, naming ``written`` as the project it became."""
        task.section_gid = self.sections["Converted"]
        task.custom[self.fields["Converted to"].gid] = written
        entry = self.org.intake[task.gid]
        entry.stage = "converted"
        entry.project_ref = written.strip()
        entry.project_gid = project.gid if project else None


_MESSY = 10
"""Requests ``messy`` adds (with a delivery project to convert to)."""


def _day(day: date) -> dict[str, Any]:
    return {"date": day.isoformat(), "date_time": None}


def add_intake(org: Org, seed: int, today: date, projects: int) -> None:
    """Give ``org`` its intake project, sized to its ``projects`` (see :func:`size`)."""
    _IntakeGen(org, seed, today).run(size(projects))
