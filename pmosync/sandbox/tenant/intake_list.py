"""The PMO site's "Project requests" list: intake kept in SharePoint, typed as a PMO types it.

A PMO that runs on Microsoft 365 collects project requests in a list (often behind a Microsoft
Forms or Power Apps form): Title, Requester and Sponsor (Person columns; Sponsor allows several
people), Submitted, TargetStart and TargetEnd (dates), Stage, StrategicFit and Risk (choices),
BenefitAreas (a multi-choice), EstimatedCost and ExpectedBenefit (Currency columns whose locale,
de-DE, says euros), ConsultantDays and AnalystDays (numbers), Regulatory (Yes/No),
ConvertedProject (text naming the plan a request became) and Description (rich text, kept as
the editor's HTML). :func:`add_intake_list` adds it to a generated tenant's PMO site with about
20 items, as messy as a real tenant's:

- a guest without a mailbox asks for one (the user list knows them only by their ``#EXT#``
  sign-in name), one request has no sponsor, one has two sponsors;
- two requests share a title, one title starts with ``=cmd|`` (a spreadsheet formula if it
  were ever pasted unescaped), one description holds a NUL byte;
- one request is "Parked - awaiting funding", a stage no default vocabulary names, one ends
  before it starts;
- converted requests ("In delivery") name the plan they became, one a plan that no longer
  exists.

It draws on its own random stream and is added after everything else, so every other record
of every seed is what it was. Deterministic for a seed and tenant; :class:`IntakeList` keeps
what a test needs beside the list itself (the list is the ground truth).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pmosync.sandbox.tenant.model import ListColumn
from pmosync.sandbox.tenant.pmo_lists import UNKNOWN_PLAN, new_list, pmo_site
from pmosync.sandbox.tenant.raid_lists import rich
from pmosync.sandbox.tenant.tenant import Tenant

REQUESTS_LIST = "Project requests"
STAGES = ("New", "Under review", "Approved", "On hold", "Rejected", "In delivery")
PARKED = "Parked - awaiting funding"
FITS = ("High", "Medium", "Low")
RISKS = ("Low", "Medium", "High", "Very high")
BENEFIT_AREAS = ("Revenue", "Cost saving", "Compliance", "Customer experience")
LOCALE = "de-DE"
REQUEST_COLUMNS = (
    ListColumn("Requester", "personOrGroup"),
    ListColumn("Sponsor", "personOrGroup", multiple=True),
    ListColumn("Submitted", "dateTime", date_only=True),
    ListColumn("Stage", "choice", choices=(*STAGES, PARKED)),
    ListColumn("EstimatedCost", "currency", locale=LOCALE),
    ListColumn("ExpectedBenefit", "currency", locale=LOCALE),
    ListColumn("ConsultantDays", "number"),
    ListColumn("AnalystDays", "number"),
    ListColumn("StrategicFit", "choice", choices=FITS),
    ListColumn("Risk", "choice", choices=RISKS),
    ListColumn("BenefitAreas", "choice", choices=BENEFIT_AREAS, multiple=True),
    ListColumn("Regulatory", "boolean"),
    ListColumn("TargetStart", "dateTime", date_only=True),
    ListColumn("TargetEnd", "dateTime", date_only=True),
    ListColumn("ConvertedProject", "text"),
    ListColumn("Description", "text", multiline=True, rich_text=True),
)
TITLES = (
    "CRM replacement", "Customer portal", "Data warehouse refresh", "ERP upgrade",
    "Mobile field app", "Payroll outsourcing", "Office move", "Cyber security uplift",
    "E-invoicing", "Website relaunch", "Supplier portal", "AI document triage",
    "Records retention", "Warehouse scanners", "Contract management", "HR self-service",
)  # fmt: skip
DESCRIPTIONS = (
    "Replace the ageing system before support ends.\nVendor shortlist attached.",
    "Requested by the regional leads after the audit.",
    "Saves manual work every month-end.",
    "Needed for the new regulation <EU 2027/12> & its reporting.",
)
FORMULA_TITLE = "=cmd|' /C calc'!A0"
NUL_DESCRIPTION = "Scanning\x00 of the paper archive"


@dataclass(frozen=True, slots=True)
class IntakeList:
    """The list's id and its items a test looks for, by item id."""

    list_id: str
    guest_item: str | None
    parked_item: str
    backwards_item: str
    lost_plan_item: str
    two_sponsors_item: str
    no_sponsor_item: str
    duplicate_items: tuple[str, str]
    formula_item: str
    typed: dict[tuple[str, str], str]
    """(item id, column) -> the text typed into a rich-text column (kept as HTML)."""


def _people(tenant: Tenant) -> tuple[list[str], list[str]]:
    """(members with a mailbox, guests without one) by id."""
    members = sorted(u.id for u in tenant.users.values() if "#EXT#" not in u.user_principal_name
                     and u.mail)  # fmt: skip
    guests = sorted(u.id for u in tenant.users.values()
                    if "#EXT#" in u.user_principal_name and not u.mail)  # fmt: skip
    return members, guests


def add_intake_list(
    tenant: Tenant, seed: int = 0, *, count: int = 20, bad: bool = True
) -> IntakeList:
    """Add the "Project requests" list and ``count`` (at least 12) items to the PMO site;
    without ``bad``, no request ends before it starts (the demo keeps its few slips)."""
    rng = random.Random(f"intake-list-{seed}")
    site_id = pmo_site(tenant)
    zone = ZoneInfo(tenant.planner_zone)
    midnight = datetime.combine(tenant.today, time(), zone).astimezone(UTC)
    list_id = new_list(tenant, site_id, REQUESTS_LIST, REQUEST_COLUMNS)
    members, guests = _people(tenant)
    plans = sorted(p.title for p in tenant.plans.values())
    typed: dict[tuple[str, str], str] = {}
    ids: list[str] = []
    for index in range(max(count, 12)):
        submitted = tenant.today - timedelta(days=rng.randint(3, 120))
        start = tenant.today + timedelta(days=rng.randint(14, 180))
        stage = rng.choices(STAGES, (3, 4, 2, 1, 1, 2))[0]
        fields: dict[str, object] = {
            "Title": TITLES[index % len(TITLES)],
            "Requester": rng.choice(members),
            "Sponsor": [rng.choice(members)],
            "Submitted": submitted.isoformat(),
            "Stage": stage,
            "EstimatedCost": rng.randrange(20, 900) * 1000,
            "ExpectedBenefit": round(rng.randrange(10, 2000) * 1000 + rng.random() * 100, 2),
            "ConsultantDays": rng.randint(3, 40),
            "AnalystDays": rng.choice((0, 2.5, 10, 20, 45)),
            "StrategicFit": rng.choice(FITS),
            "Risk": rng.choice(RISKS),
            "BenefitAreas": sorted(rng.sample(BENEFIT_AREAS, rng.randint(1, 2))),
            "Regulatory": rng.random() < 0.3,
            "TargetStart": start.isoformat(),
            "TargetEnd": (start + timedelta(days=rng.randint(30, 365))).isoformat(),
        }
        if stage == "In delivery" and plans:
            fields["ConvertedProject"] = rng.choice(plans)
        text = rng.choice(DESCRIPTIONS)
        fields["Description"] = rich(text)
        at = midnight - timedelta(days=(tenant.today - submitted).days, hours=rng.randint(1, 9))
        item = tenant.add_list_item(list_id, fields, by=str(fields["Requester"]), at=at)
        typed[(item, "Description")] = text
        ids.append(item)
    # the messy ones, on items of the generated run (their fields rewritten)
    first, dup, formula, parked, backwards, lost, two, none, nul, guest = ids[:10]

    def edit(list_id: str, item_id: str, fields: dict[str, object]) -> None:
        tenant.edit_list_item(list_id, item_id, fields, at=midnight - timedelta(hours=1))

    edit(list_id, dup, {"Title": TITLES[0]})  # a second "CRM replacement"
    edit(list_id, formula, {"Title": FORMULA_TITLE})
    edit(list_id, parked, {"Stage": PARKED})
    start = tenant.today + timedelta(days=60)
    if bad:
        end = start - timedelta(days=7)
        edit(list_id, backwards, {"TargetStart": start.isoformat(), "TargetEnd": end.isoformat()})
    edit(list_id, lost, {"Stage": "In delivery", "ConvertedProject": UNKNOWN_PLAN})
    edit(list_id, two, {"Sponsor": sorted(rng.sample(members, 2))})
    edit(list_id, none, {"Sponsor": None})
    edit(list_id, nul, {"Description": rich(NUL_DESCRIPTION)})
    typed[(nul, "Description")] = NUL_DESCRIPTION
    guest_item = None
    if guests:
        edit(list_id, guest, {"Requester": guests[-1]})
        guest_item = guest
    sp_list = tenant.lists[list_id]
    assert sp_list.items[first]["Title"] == sp_list.items[dup]["Title"]
    return IntakeList(
        list_id, guest_item, parked, backwards, lost, two, none, (first, dup), formula, typed
    )


def set_stage(tenant: Tenant, list_id: str, item_id: str, stage: str) -> None:
    """Move a request to another stage, as its reviewer would (the item's Stage choice)."""
    tenant.edit_list_item(list_id, item_id, {"Stage": stage})


def delete_request(tenant: Tenant, list_id: str, item_id: str) -> None:
    """Delete a request from the list (a withdrawn request someone tidied away)."""
    tenant.delete_list_item(list_id, item_id)
