"""Project requests from the PMO site's "Project requests" SharePoint list (``kind: request``
of a ``sharepoint_files`` connector with ``list:``), read through msgraph-sdk from the Graph
sandbox into a real store (SQLite and PostgreSQL).

The expected requests are read off the sandbox's own list and converted here by hand: its
stage choices through the words the default vocabulary documents, its risk words Low 2 ...
Very high 5, days as 8 hours, Currency columns of locale de-DE in euros, a Person column's user
by their mail (a guest without one by the address inside their ``#EXT#`` sign-in name), a
date as its day on the site (Europe/Paris). Bad items are quarantined naming the list, the
item and the request's title; the rest sync."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from graph_env import write_config
from sqlalchemy import select, text

from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.canonical.types import PersonIdentity, Request
from pmosync.sandbox.graph import GraphSandbox
from pmosync.sandbox.tenant import TenantSize, generate_tenant
from pmosync.sandbox.tenant.intake_list import (
    LOCALE,
    REQUESTS_LIST,
    add_intake_list,
    set_stage,
)
from pmosync.sandbox.tenant.model import ListColumn
from pmosync.store import Store
from pmosync.sync.run import run_sync

SOURCE = "pmo-requests"
TODAY = date(2026, 12, 4)
PARIS = ZoneInfo("Europe/Paris")
STAGE = {"New": "submitted", "Under review": "under_review", "Approved": "approved",
         "On hold": "on_hold", "Rejected": "rejected", "In delivery": "converted"}  # fmt: skip
RISK = {"Low": 2, "Medium": 3, "High": 4, "Very high": 5}
CURRENCY = {"de-DE": "EUR", "en-US": "USD", "en-GB": "GBP"}


def _yaml(sandbox, *, extra: str = "") -> str:
    return (
        f"  {SOURCE}:\n"
        "    type: sharepoint_files\n"
        "    token: ${GRAPH_TOKEN}\n"
        f"    base_url: {sandbox.base_url}\n"
        "    site: contoso.sharepoint.com:/sites/pmo\n"
        f"    list: {REQUESTS_LIST}\n"
        "    kind: request\n"
        "    timezone: Europe/Paris\n"
        "    columns: {title: Title, requester: Requester, sponsor: Sponsor, submitted: Submitted,"
        " stage: Stage, cost: EstimatedCost, benefit: ExpectedBenefit, start: TargetStart,"
        " end: TargetEnd, risk: Risk, project: ConvertedProject, description: Description}\n"
        "    criteria: {strategic_fit: StrategicFit, regulatory: Regulatory,"
        " benefit_areas: BenefitAreas}\n"
        "    effort: {Consultant: ConsultantDays, Analyst: AnalystDays}\n"
        "    effort_unit: days\n" + extra
    )


@pytest.fixture
def tenant():
    tenant = generate_tenant(
        seed=11, size=TenantSize(groups=2, plans=4, tasks=60, people=8, timesheet_weeks=1),
        today=TODAY, quirks=True,
    )  # fmt: skip
    tenant.planner_zone = "Europe/Paris"
    return tenant


def _email(user) -> str:
    if user.mail:
        return user.mail.lower()
    head = user.user_principal_name.partition("#EXT#")[0]
    local, _, domain = head.rpartition("_")
    return f"{local}@{domain}".lower()


def _day(value) -> date | None:
    return value.astimezone(PARIS).date() if value is not None else None


def _expected(tenant, data, locale: str = LOCALE) -> tuple[dict[str, dict], set[str]]:
    """Item id -> the request it must become; and the items that must be refused."""
    sp = tenant.lists[data.list_id]
    expected, refused = {}, set()
    for item_id, f in sp.items.items():
        start, end = _day(f.get("TargetStart")), _day(f.get("TargetEnd"))
        if f.get("Stage") not in STAGE or (start and end and end < start):
            refused.add(item_id)
            continue
        sponsors = f.get("Sponsor") or []
        expected[item_id] = {
            "title": f["Title"],
            "requester": _email(tenant.users[f["Requester"]]),
            "sponsor": _email(tenant.users[sponsors[0]]) if sponsors else None,
            "submitted_at": datetime.combine(_day(f["Submitted"]), time(), UTC),
            "stage": STAGE[f["Stage"]],
            "estimated_cost": Decimal(str(f["EstimatedCost"])),
            "estimated_benefit": Decimal(str(f["ExpectedBenefit"])),
            "currency": CURRENCY[locale],
            "effort_hours": {
                role: float(f[column]) * 8
                for role, column in (("Consultant", "ConsultantDays"), ("Analyst", "AnalystDays"))
                if f.get(column) is not None
            },
            "target_start": start,
            "target_end": end,
            "risk": RISK[f["Risk"]],
            "criteria": {
                "strategic_fit": f["StrategicFit"],
                "regulatory": f["Regulatory"],
                "benefit_areas": ", ".join(f["BenefitAreas"]),
            },
            "project_ref": f.get("ConvertedProject"),
            "project_id": None,
            "description": data.typed[(item_id, "Description")].replace("\x00", ""),
        }
    return expected, refused


def _stored(store: Store) -> tuple[dict[str, dict], dict[str, dict]]:
    """Item id -> the stored request (people as emails), live ones and every one."""
    requests = ENTITY_TABLES[Request]
    identities = ENTITY_TABLES[PersonIdentity]
    with store.engine.connect() as connection:
        emails = {
            r.id: r.email
            for r in connection.execute(select(identities).where(identities.c.source == SOURCE))
        }
        rows = list(connection.execute(select(requests).where(requests.c.source == SOURCE)))
    every = {}
    for row in rows:
        item_id = row.source_id.rpartition("!")[2]
        values = dict(row._mapping)
        values["requester"] = emails.get(values["requester_identity_id"])
        values["sponsor"] = emails.get(values["sponsor_identity_id"])
        every[item_id] = values
    live = {k: v for k, v in every.items() if v["deleted_at"] is None}
    return live, every


def _control(sandbox, body: dict) -> None:
    """The sandbox's list-item control, over HTTP as a test in another process would."""
    request = urllib.request.Request(
        f"{sandbox.base_url}/_sandbox/list_item",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {sandbox.token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert json.load(reply) == {"ok": True}


def _quarantine(store: Store) -> list[str]:
    query = text("SELECT reason FROM quarantine WHERE resolved_at IS NULL")
    with store.engine.connect() as connection:
        return sorted(r[0] for r in connection.execute(query))


def _differences(store: Store, expected: dict[str, dict]) -> list[str]:
    live, _ = _stored(store)
    problems = [f"item {k} missing" for k in sorted(set(expected) - set(live))]
    problems += [f"item {k} should not be live" for k in sorted(set(live) - set(expected))]
    for key in sorted(set(expected) & set(live)):
        for column, value in expected[key].items():
            have = live[key][column]
            if column in ("estimated_cost", "estimated_benefit") and have is not None:
                have = Decimal(str(have))
            if column == "submitted_at" and have is not None and have.tzinfo is None:
                have = have.replace(tzinfo=UTC)
            if have != value:
                problems.append(f"item {key}.{column}: store {have!r}, list {value!r}")
    return problems


def test_the_request_list_syncs_and_follows_stage_changes_and_deletions(
    tmp_path, tenant, store_url
):
    data = add_intake_list(tenant, seed=5)
    sp = tenant.lists[data.list_id]
    expected, refused = _expected(tenant, data)
    assert refused == {data.parked_item, data.backwards_item}
    assert data.guest_item in expected and tenant.users[sp.items[data.guest_item]["Requester"]]
    with GraphSandbox(tenant, page_size=7) as sandbox:
        path, config = write_config(tmp_path, sandbox, _yaml(sandbox), store=store_url)
        with Store.open(config.store, base_dir=path.parent) as store:
            results = run_sync(config, store).connectors
            assert not any(r.failed for r in results), results
            assert _differences(store, expected) == []
            live, _ = _stored(store)
            # the guest without a mailbox, by the address inside their sign-in name
            guest = live[data.guest_item]["requester"]
            assert "#ext#" not in guest and guest.endswith("@northwind.example")
            assert live[data.no_sponsor_item]["sponsor"] is None
            two = sp.items[data.two_sponsors_item]["Sponsor"]
            assert live[data.two_sponsors_item]["sponsor"] == _email(tenant.users[two[0]])
            assert live[data.formula_item]["title"].startswith("=cmd|")
            first, second = data.duplicate_items
            assert live[first]["title"] == live[second]["title"]  # two requests, one title
            assert live[data.lost_plan_item]["stage"] == "converted"
            assert live[data.lost_plan_item]["project_ref"] == "Intranet relaunch (old)"
            reasons = _quarantine(store)
            titles = {i: sp.items[i]["Title"] for i in refused}
            assert reasons == sorted(
                [
                    f"list '{REQUESTS_LIST}', item {data.parked_item}, request "
                    f"{titles[data.parked_item]!r}: Stage 'Parked - awaiting funding' is no "
                    "stage stage_vocabulary names (add it there)",
                    f"list '{REQUESTS_LIST}', item {data.backwards_item}, request "
                    f"{titles[data.backwards_item]!r}: TargetEnd "
                    f"{_day(sp.items[data.backwards_item]['TargetEnd'])} is before TargetStart "
                    f"{_day(sp.items[data.backwards_item]['TargetStart'])}",
                ]
            )

            # a reviewer moves one request on, someone deletes another
            moved = min((i for i in expected if expected[i]["stage"] != "approved"), key=int)
            gone = max(expected, key=int)
            set_stage(tenant, data.list_id, moved, "Approved")
            _control(sandbox, {"list": REQUESTS_LIST, "item": gone, "delete": True})
            run_sync(config, store)
            expected, _ = _expected(tenant, data)
            assert _differences(store, expected) == []
            live, every = _stored(store)
            assert live[moved]["stage"] == "approved"
            assert gone not in live and every[gone]["deleted_at"] is not None  # a tombstone


def test_a_vocabulary_word_brings_a_parked_request_in(tmp_path, tenant, sqlite_url):
    data = add_intake_list(tenant, seed=5)
    extra = '    stage_vocabulary: {"Parked - awaiting funding": on_hold}\n'
    with GraphSandbox(tenant) as sandbox:
        path, config = write_config(
            tmp_path, sandbox, _yaml(sandbox, extra=extra), store=sqlite_url
        )
        with Store.open(config.store, base_dir=path.parent) as store:
            run_sync(config, store)
            live, _ = _stored(store)
            assert live[data.parked_item]["stage"] == "on_hold"
            assert len(_quarantine(store)) == 1  # only the request that ends before it starts


@pytest.mark.parametrize(
    ("locale", "default", "currency"),
    [("en-US", None, "USD"), ("en-GB", None, "GBP"), ("tlh-QQ", "CHF", "CHF"),
     ("tlh-QQ", None, None)],
)  # fmt: skip
def test_a_currency_column_says_its_currency_by_its_locale(
    tmp_path, tenant, sqlite_url, locale, default, currency
):
    data = add_intake_list(tenant, seed=5)
    sp = tenant.lists[data.list_id]
    for name in ("EstimatedCost", "ExpectedBenefit"):
        sp.columns[name] = ListColumn(name, "currency", locale=locale)
    extra = f"    default_currency: {default}\n" if default else ""
    with GraphSandbox(tenant) as sandbox:
        path, config = write_config(
            tmp_path, sandbox, _yaml(sandbox, extra=extra), store=sqlite_url
        )
        with Store.open(config.store, base_dir=path.parent) as store:
            run_sync(config, store)
            live, _ = _stored(store)
            reasons = _quarantine(store)
    if currency is not None:
        assert live and {r["currency"] for r in live.values()} == {currency}
        return
    # every item has an amount: each is refused, naming the column and its locale
    assert not live
    assert len(reasons) == len(sp.items)
    unknown = [r for r in reasons if "currency column EstimatedCost has locale 'tlh-QQ'" in r]
    assert len(unknown) == len(sp.items)


def _get(sandbox, path: str) -> dict:
    request = urllib.request.Request(
        f"{sandbox.base_url}/{path}", headers={"Authorization": f"Bearer {sandbox.token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.load(reply)


def test_the_sandbox_gives_typed_columns_as_graph_documents_them(tenant):
    """Graph's shapes: a currencyColumn facet with its locale, a multi-person field as an
    array of LookupId (a number) / LookupValue / Email, a single person only as
    <Column>LookupId (text), a multi-choice as an array annotated Collection(Edm.String)."""
    data = add_intake_list(tenant, seed=5)
    site = tenant.lists[data.list_id].site_id
    with GraphSandbox(tenant) as sandbox:
        columns = _get(sandbox, f"sites/{site}/lists/{data.list_id}/columns")["value"]
        by_name = {c["name"]: c for c in columns}
        assert by_name["EstimatedCost"]["currency"] == {"locale": "de-DE"}
        assert by_name["Sponsor"]["personOrGroup"]["allowMultipleSelection"] is True
        assert by_name["Requester"]["personOrGroup"]["allowMultipleSelection"] is False
        assert by_name["Description"]["text"]["textType"] == "richText"
        item = _get(
            sandbox, f"sites/{site}/lists/{data.list_id}/items/{data.two_sponsors_item}"
            "?$expand=fields"
        )["fields"]  # fmt: skip
    assert isinstance(item["RequesterLookupId"], str) and "Requester" not in item
    assert [set(p) for p in item["Sponsor"]] == [{"LookupId", "LookupValue", "Email"}] * 2
    assert all(isinstance(p["LookupId"], int) for p in item["Sponsor"])
    assert item["BenefitAreas@odata.type"] == "Collection(Edm.String)"
    assert isinstance(item["BenefitAreas"], list)
    assert isinstance(item["EstimatedCost"], int | float)
    assert isinstance(item["Regulatory"], bool)
