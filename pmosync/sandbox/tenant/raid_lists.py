"""A PMO's RAID log in Microsoft 365: "Risks" and "Issues" lists on the PMO site, a RAID bucket
in each plan and RAID labels on tasks, written as people write them.

The lists have typed columns with SharePoint's internal names: a column created as
"Probability" beside a built-in one is ``Probability0``, one created with spaces has them
escaped (``Due_x0020_date``); Owner is a Person column (Graph gives it only as
``OwnerLookupId``), dates are days kept as midnight in the site's zone, Mitigation and
Resolution are multi-line rich text (kept as the editor's HTML, the typed text escaped inside).

The items are messy on purpose: a guest owns one risk, one status is left empty, two risks
share a title, one names its plan in other case and spacing, one a plan that does not exist
(kept portfolio-wide), one names no plan at all, one carries a status nobody mapped
("Parked"), one a probability of 7; hostile strings sit in titles and texts (``<img
onerror>``, a spreadsheet formula, U+202E, NUL, 2,000 characters).

Each plan gets a "RAID log" bucket (one spelled "raid LOG") holding RAID tasks whose kind is a
title prefix ("Risk: ...", "[Issue] ...", "Decision - ...") and sometimes ``P3 I4`` marks; the
first plan's bucket also holds a task naming no kind and one marked ``P7 I2`` (both
quarantined), and the second plan has a work-bucket task carrying the "RAID risk" label. Counts
grow with the plans, so the S and M tenants carry proportionate logs. Deterministic for a
seed and tenant. :class:`RaidData` keeps what was typed, for tests to compare with.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from html import escape
from zoneinfo import ZoneInfo

from pmosync.sandbox.tenant.model import Bucket, ListColumn
from pmosync.sandbox.tenant.pmo_lists import UNKNOWN_PLAN, new_list, pmo_site
from pmosync.sandbox.tenant.tenant import Tenant

RISKS_LIST = "Risks"
ISSUES_LIST = "Issues"
RAID_BUCKET = "RAID log"
RAID_LABEL_NAMES = ("RAID risk", "RAID issue")
"""The RAID labels, given to the two highest categories no task or label uses yet (the
generator's plans already have a "Risk" label on work tasks, which stay work)."""
RISK_STATUSES = ("Open", "Monitoring", "Mitigated", "Closed", "Parked")
ISSUE_STATUSES = ("New", "In progress", "Resolved")
ISSUE_TYPES = ("Issue", "Decision", "Assumption", "Change request")
IMPACTS = ("1 - Very low", "2 - Low", "3 - Medium", "4 - High", "5 - Very high")
RISK_COLUMNS = (
    ListColumn("Project", "text"),
    ListColumn("Owner", "personOrGroup"),
    ListColumn("Status0", "choice", choices=RISK_STATUSES),
    ListColumn("Probability0", "number"),
    ListColumn("Impact", "choice", choices=IMPACTS),
    ListColumn("Mitigation", "text", multiline=True, rich_text=True),
    ListColumn("Date_x0020_raised", "dateTime", date_only=True),
    ListColumn("Due_x0020_date", "dateTime", date_only=True),
)
ISSUE_COLUMNS = (
    ListColumn("Project", "text"),
    ListColumn("IssueType", "choice", choices=ISSUE_TYPES),
    ListColumn("AssignedTo", "personOrGroup"),
    ListColumn("Status0", "choice", choices=ISSUE_STATUSES),
    ListColumn("Description", "text", multiline=True),
    ListColumn("Resolution", "text", multiline=True, rich_text=True),
    ListColumn("Due_x0020_date", "dateTime", date_only=True),
    ListColumn("Closed", "dateTime", date_only=True),
)
RISK_TITLES = (
    "Vendor may deliver late",
    "Key engineer may leave",
    "Licence costs may overrun",
    "Data migration may corrupt records",
    "Regulator may change the reporting rules",
)
ISSUE_TITLES = (
    "Test environment unavailable",
    "Supplier invoice disputed",
    "Release blocked by a failing security scan",
)
DECISION_TITLES = ("Choose the hosting provider", "Approve the phase 2 budget")
MITIGATIONS = (
    "Second supplier on standby.\nWeekly call with the vendor.",
    "Pair on the critical modules; document as we go.",
    "Ask the sponsor for a contingency of 10 %.",
)
HOSTILE_TITLE = "<img src=x onerror=alert(1)> risk"
FORMULA = "=cmd|'/c calc'!A1"
RLO_TITLE = "Invoice \u202egnp.exe review"
NUL_TEXT = "before\x00after"
LONG_TEXT = ("Long description " * 125)[:2000]
BAD_TITLES = ("Risk nobody triaged", "Probability typed as seven")
"""The list items a sync quarantines (status 'Parked', probability 7)."""


@dataclass
class RaidData:
    """What was written: the lists' ids, the text typed into each rich-text field (by list
    id, item id and column), each plan's RAID bucket and the RAID tasks."""

    risks_id: str
    issues_id: str
    typed: dict[tuple[str, str, str], str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    tasks: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    """Category key -> RAID label name, the same in every plan."""


def rich(text: str) -> str:
    """Rich text as SharePoint's editor keeps it: HTML, the typed text escaped, lines as
    ``<br>``."""
    body = "<br>".join(escape(line) for line in text.split("\n"))
    return f'<div class="ExternalClass4F3C2B1A">{body}</div>'


def add_raid(tenant: Tenant, seed: int = 0, *, bad: bool = True) -> RaidData:
    """Add the RAID lists to the PMO site and a RAID bucket, labels and tasks to each plan;
    without ``bad``, none of the items a sync quarantines (the demo keeps its one slip)."""
    rng = random.Random(seed * 7919 + 17)
    site_id = pmo_site(tenant)
    zone = ZoneInfo(tenant.planner_zone)
    midnight = datetime.combine(tenant.today, time(), zone).astimezone(UTC)
    data = RaidData(
        new_list(tenant, site_id, RISKS_LIST, RISK_COLUMNS),
        new_list(tenant, site_id, ISSUES_LIST, ISSUE_COLUMNS),
    )
    _risks(tenant, data, rng, midnight, bad)
    _issues(tenant, data, rng, midnight)
    _planner(tenant, data, rng, zone, bad)
    return data


def _owners(tenant: Tenant) -> tuple[list[str], list[str]]:
    """(people with Planner work, guests) by id."""
    workers = sorted({u for t in tenant.tasks.values() for u in t.assignee_ids})
    guests = sorted(u.id for u in tenant.users.values() if "#EXT#" in u.user_principal_name)
    return workers or sorted(tenant.users), guests


def _day(rng: random.Random, today, low: int, high: int) -> str:
    return (today + timedelta(days=rng.randint(low, high))).isoformat()


def _write(tenant, data, list_id, fields, rich_fields, by, at) -> str:
    typed = {name: rich(text) for name, text in rich_fields.items()}
    item_id = tenant.add_list_item(list_id, {**fields, **typed}, by=by, at=at)
    for name, text in rich_fields.items():
        data.typed[(list_id, item_id, name)] = text
    return item_id


def _risks(
    tenant: Tenant, data: RaidData, rng: random.Random, midnight: datetime, bad: bool
) -> None:
    plans = list(tenant.plans.values())
    workers, guests = _owners(tenant)
    today = tenant.today
    for index, plan in enumerate(plans):
        for n in range(rng.randint(1, 3)):
            fields: dict[str, object] = {
                "Title": rng.choice(RISK_TITLES),
                "Project": plan.title,
                "Owner": rng.choice(workers),
                "Status0": rng.choice(RISK_STATUSES[:4]),
                "Probability0": rng.randint(1, 5),
                "Impact": rng.choice(IMPACTS),
                "Date_x0020_raised": _day(rng, today, -60, -1),
                "Due_x0020_date": _day(rng, today, -10, 40),
            }
            texts = {"Mitigation": rng.choice(MITIGATIONS)}
            first = n == 0
            if first and index == 0:
                fields["Title"] = HOSTILE_TITLE
                texts["Mitigation"] = FORMULA + "\n<script>alert(1)</script>"
            if first and index == 1 and guests:
                fields["Owner"] = guests[0]  # a guest owns it
            if first and index == 2:
                del fields["Status0"]  # saved without choosing one: open
            if first and index == 3:
                fields["Project"] = "  " + plan.title.upper() + " "
            if first and index == 4:
                fields["Probability0"] = 2.0  # typed as a float; a number column keeps 2
            at = midnight - timedelta(days=rng.randint(1, 30), hours=rng.randint(1, 9))
            _write(tenant, data, data.risks_id, fields, texts, fields["Owner"], at)
    if not plans:
        return
    first_plan, owner = plans[0], workers[0]
    odd: list[tuple[dict[str, object], dict[str, str]]] = [
        # the same title twice: two risks, both kept
        ({"Title": RISK_TITLES[0], "Project": first_plan.title, "Probability0": 3,
          "Impact": IMPACTS[3]}, {}),
        ({"Title": RISK_TITLES[0], "Project": first_plan.title, "Probability0": 4,
          "Impact": IMPACTS[1]}, {}),
        ({"Title": "Office move may disrupt two teams", "Project": UNKNOWN_PLAN,
          "Probability0": 2, "Impact": IMPACTS[2]}, {}),
        ({"Title": "Market downturn cuts the portfolio budget", "Probability0": 3,
          "Impact": IMPACTS[4], "Status0": "Monitoring"}, {"Mitigation": LONG_TEXT}),
        ({"Title": "Risk nobody triaged", "Project": first_plan.title, "Status0": "Parked",
          "Probability0": 2, "Impact": IMPACTS[0]}, {}),
        ({"Title": "Probability typed as seven", "Project": first_plan.title,
          "Probability0": 7, "Impact": IMPACTS[2]}, {}),
        ({"Title": RLO_TITLE, "Project": first_plan.title, "Probability0": 1,
          "Impact": IMPACTS[0]}, {"Mitigation": NUL_TEXT}),
    ]  # fmt: skip
    for fields, texts in odd:
        if not bad and fields["Title"] in BAD_TITLES:
            continue
        fields = {"Owner": owner, **fields}
        _write(tenant, data, data.risks_id, fields, texts, owner, midnight - timedelta(days=2))


def _issues(tenant: Tenant, data: RaidData, rng: random.Random, midnight: datetime) -> None:
    plans = list(tenant.plans.values())
    workers, _ = _owners(tenant)
    today = tenant.today
    for plan in plans:
        for _ in range(rng.randint(0, 2)):
            kind = rng.choices(ISSUE_TYPES, (60, 20, 10, 10))[0]
            status = rng.choice(ISSUE_STATUSES)
            fields: dict[str, object] = {
                "Title": rng.choice(DECISION_TITLES if kind == "Decision" else ISSUE_TITLES),
                "Project": plan.title,
                "IssueType": kind,
                "AssignedTo": rng.choice(workers),
                "Status0": status,
                "Description": f"Raised at the {plan.title} weekly.",
                "Due_x0020_date": _day(rng, today, -20, 20),
            }
            texts = {}
            if status == "Resolved":
                fields["Closed"] = _day(rng, today, -15, 0)
                texts["Resolution"] = "Workaround agreed with the supplier."
            at = midnight - timedelta(days=rng.randint(1, 30), hours=rng.randint(1, 9))
            _write(tenant, data, data.issues_id, fields, texts, workers[0], at)
    if plans:
        fields = {
            "Title": FORMULA,
            "Project": plans[0].title,
            "IssueType": "Issue",
            "Description": LONG_TEXT,
        }
        _write(tenant, data, data.issues_id, fields, {"Resolution": HOSTILE_TITLE}, None, None)


def _free_categories(tenant: Tenant) -> list[str]:
    """Categories no plan labels and no task carries (a generated task may carry an
    unlabelled one), highest first."""
    used = {c for t in tenant.tasks.values() for c in t.applied_categories}
    used |= {c for p in tenant.plans.values() for c in p.category_descriptions}
    return [f"category{n}" for n in range(25, 0, -1) if f"category{n}" not in used]


def _planner(tenant: Tenant, data: RaidData, rng: random.Random, zone: ZoneInfo, bad: bool) -> None:
    plans = list(tenant.plans.values())
    free = _free_categories(tenant)
    data.labels = dict(zip(free, RAID_LABEL_NAMES, strict=False))
    risk_label = next((k for k, name in data.labels.items() if name == "RAID risk"), None)
    for index, plan in enumerate(plans):
        plan.category_descriptions.update(data.labels)
        plan.details_version += 1
        name = "raid LOG" if index == 2 else RAID_BUCKET
        bucket = Bucket(tenant.ids.planner(), name, plan.id, tenant.next_order_hint())
        tenant.buckets[bucket.id] = bucket
        data.buckets[plan.id] = bucket.id
        people = sorted({u for t in tenant.plan_tasks(plan.id) for u in t.assignee_ids})
        titles = [
            f"Risk: {rng.choice(RISK_TITLES)} P{rng.randint(1, 5)} I{rng.randint(1, 5)}",
            f"[Issue] {rng.choice(ISSUE_TITLES)}",
            f"Decision - {rng.choice(DECISION_TITLES)}",
            f"Assumption: the {plan.title} sponsor stays",
        ][: rng.randint(2, 4)]
        if index == 0 and bad:
            titles += ["Check the budget", "Risk: Marks out of range P7 I2"]
        for title in titles:
            due = datetime.combine(tenant.today + timedelta(days=rng.randint(-10, 30)), time(),
                                   zone).astimezone(UTC)  # fmt: skip
            fields: dict[str, object] = {
                "bucket_id": bucket.id,
                "due_at": due,
                "percent_complete": rng.choice((0, 0, 50, 100)),
                "assignee_ids": rng.sample(people, min(len(people), rng.randint(0, 2))),
            }
            data.tasks.append(tenant.add_task(plan.id, title, **fields))
        if index == 1 and risk_label:  # a work task with the RAID risk label is RAID too
            work = next((b for b in tenant.plan_buckets(plan.id) if b.id != bucket.id), None)
            data.tasks.append(
                tenant.add_task(
                    plan.id,
                    "Supplier insolvency",
                    bucket_id=work.id if work else None,
                    applied_categories=[risk_label],
                    assignee_ids=people[:1],
                )
            )
