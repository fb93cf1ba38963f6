"""The PMO site's lists that people write by hand: project health and leave.

Planner has no status updates, so a PMO asks its project managers to write each plan's status
into a SharePoint list ("Project health": Project, RAG, Comment) and keeps absences in another
("Leave": Employee, Start, End, HoursPerDay, LeaveType). :func:`add_pmo_lists` adds both to a
generated tenant's PMO site with items written as people write them, and as messily:

- each plan gets one to three status items over the last weeks, by its owner, some of them
  older than a fortnight (stale);
- one item is written by a guest (whose author has no mailbox in the tenant when the guest has
  none), one has an empty RAG, one names its plan in other case and spacing, one names a plan
  that does not exist;
- with ``duplicate_title`` the last plan is renamed to the first plan's title (two groups may
  well have a "Website relaunch"), so items naming it cannot say which plan they mean;
- leave items for people who have Planner work, whole days or a number of hours a day, the
  person in a Person column (Graph gives it as a lookup id into the site's hidden "User
  Information List"); one names someone with no Planner work (whom a sync does not know) and
  one ends before it starts.

Dates are written as days and kept, as SharePoint keeps them, as midnight in the site's zone
(the tenant's Planner zone), which Graph gives back in UTC. Deterministic for a seed and tenant.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pmosync.sandbox.tenant.generate import PMO_SITE_PATH
from pmosync.sandbox.tenant.model import ListColumn, SharePointList
from pmosync.sandbox.tenant.tenant import Tenant

HEALTH_LIST = "Project health"
LEAVE_LIST = "Leave"
RAG_CHOICES = ("On track", "At risk", "Off track")
LEAVE_TYPES = ("Annual", "Sick", "Training")
HEALTH_COLUMNS = (
    ListColumn("Project", "text"),
    ListColumn("RAG", "choice", choices=RAG_CHOICES),
    ListColumn("Comment", "text"),
)
LEAVE_COLUMNS = (
    ListColumn("Employee", "personOrGroup"),
    ListColumn("Start", "dateTime", date_only=True),
    ListColumn("End", "dateTime", date_only=True),
    ListColumn("HoursPerDay", "number"),
    ListColumn("LeaveType", "choice", choices=LEAVE_TYPES),
)
UNKNOWN_PLAN = "Intranet relaunch (old)"
COMMENTS = (
    "Vendor confirmed the delivery date.",
    "Two key people out next week; testing slips.",
    "Scope change request pending with the sponsor.",
    "All milestones met so far.",
    "Budget approval still outstanding.",
)


@dataclass(frozen=True, slots=True)
class PmoLists:
    """The two lists' ids and the plan renamed for ``duplicate_title`` (None if none)."""

    health_id: str
    leave_id: str
    duplicated_plan: str | None


def pmo_site(tenant: Tenant) -> str:
    return next(s.id for s in tenant.sites.values() if s.path == PMO_SITE_PATH)


def new_list(tenant: Tenant, site_id: str, name: str, columns: tuple[ListColumn, ...]) -> str:
    list_id = tenant.add_list(site_id, name, columns)
    sp_list: SharePointList = tenant.lists[list_id]
    sp_list.zone = tenant.planner_zone
    return list_id


def add_pmo_lists(tenant: Tenant, seed: int = 0, *, duplicate_title: bool = False) -> PmoLists:
    """Add the "Project health" and "Leave" lists, with their items, to the PMO site."""
    rng = random.Random(seed)
    site_id = pmo_site(tenant)
    zone = ZoneInfo(tenant.planner_zone)
    midnight = datetime.combine(tenant.today, time(), zone).astimezone(UTC)
    plans = list(tenant.plans.values())
    duplicated = None
    if duplicate_title and len(plans) >= 4:
        plans[-1].title, duplicated = plans[0].title, plans[-1].id
    health = new_list(tenant, site_id, HEALTH_LIST, HEALTH_COLUMNS)
    guests = sorted(u.id for u in tenant.users.values() if "#EXT#" in u.user_principal_name)
    for index, plan in enumerate(plans):
        if duplicated is not None and plan.id == duplicated:
            continue  # its title is the first plan's: the first plan's items name both
        count = rng.randint(1, 3)
        ages = sorted((rng.randint(1, 40) for _ in range(count)), reverse=True)
        for n, age in enumerate(ages):
            latest = n == count - 1
            fields: dict[str, object] = {
                "Title": f"{plan.title} {(tenant.today - timedelta(days=age)).isoformat()}",
                "Project": plan.title,
                "RAG": rng.choices(RAG_CHOICES, (60, 30, 10))[0],
                "Comment": rng.choice(COMMENTS),
            }
            author = plan.created_by
            if latest and index == 1 and guests:
                author = guests[0]  # a guest project manager
            if latest and index == 2:
                del fields["RAG"]  # saved without choosing one
            if latest and index == 3:
                fields["Project"] = "  " + plan.title.upper() + " "
            at = midnight - timedelta(days=age, hours=rng.randint(1, 10))
            tenant.add_list_item(health, fields, by=author, at=at)
    if plans:
        tenant.add_list_item(
            health,
            {"Title": UNKNOWN_PLAN, "Project": UNKNOWN_PLAN, "RAG": "On track"},
            by=plans[0].created_by,
            at=midnight - timedelta(days=3),
        )
    leave = new_list(tenant, site_id, LEAVE_LIST, LEAVE_COLUMNS)
    _leave_items(tenant, leave, rng, midnight)
    return PmoLists(health, leave, duplicated)


def _workers(tenant: Tenant) -> list[str]:
    """Users assigned to some task (the people a Planner sync knows), by id."""
    return sorted({u for t in tenant.tasks.values() for u in t.assignee_ids})


def _leave_items(tenant: Tenant, list_id: str, rng: random.Random, midnight: datetime) -> None:
    today = tenant.today
    workers = _workers(tenant)
    admin = workers[0] if workers else None
    for user_id in workers:
        user = tenant.users[user_id]
        for _ in range(rng.randint(0, 2)):
            start = today + timedelta(days=rng.randint(-30, 60))
            end = start + timedelta(days=rng.randint(0, 9))
            fields: dict[str, object] = {
                "Title": f"{user.display_name} {start.isoformat()}",
                "Employee": user_id,
                "Start": start.isoformat(),
                "End": end.isoformat(),
                "LeaveType": rng.choice(LEAVE_TYPES),
            }
            if rng.random() < 0.25:
                fields["HoursPerDay"] = 4
            at = midnight - timedelta(days=rng.randint(1, 60))
            tenant.add_list_item(list_id, fields, by=admin, at=at)
    odd: list[dict[str, object]] = []
    named = {u for t in tenant.tasks.values() for u in (*t.assignee_ids, t.created_by,
                                                         t.completed_by) if u}  # fmt: skip
    idle = sorted(set(tenant.users) - named)
    if idle:  # someone with no Planner work: nobody the sync knows
        odd.append(
            {"Title": "Temp", "Employee": idle[0], "Start": today.isoformat(),
             "End": (today + timedelta(days=2)).isoformat(), "LeaveType": "Annual"}
        )  # fmt: skip
    if workers:  # typed the wrong way round
        start = today + timedelta(days=10)
        odd.append(
            {"Title": "Typo", "Employee": workers[0], "Start": start.isoformat(),
             "End": (start - timedelta(days=3)).isoformat(), "LeaveType": "Annual"}
        )  # fmt: skip
    for fields in odd:
        tenant.add_list_item(list_id, fields, by=admin, at=midnight - timedelta(days=1))


def leave_day(value: object, zone: str) -> date | None:
    """A stored Start/End value as the day it stands for on the site (test ground truth)."""
    if not isinstance(value, datetime):
        return None
    return value.astimezone(ZoneInfo(zone)).date()
