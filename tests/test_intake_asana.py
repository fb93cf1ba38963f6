"""Project requests from an Asana intake project end to end: the official SDK against the
sandbox's "Project intake" project, through the connector's ``intake:`` block and the mapping,
into a real store, compared with the sandbox's own ground truth (``org.intake``).

The expected values are read off the sandbox's records and entries (its option names, its
days of effort times the 8 hours of a day the YAML leaves at its default), never from
pmosync's vocabularies or mapping.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from asana_env import (
    SOURCE,
    differences,
    intake_block,
    live_rows,
    raid_block,
    sync_once,
    write_config,
)
from sqlalchemy import select

from pmosync.canonical.types import PersonIdentity, Project, Request, Task
from pmosync.sandbox.asana import AsanaSandbox
from pmosync.sandbox.org import generate_org
from pmosync.sandbox.org.intake import DELETED_PROJECT, GUEST, HOSTILE, TWIN_TITLE
from pmosync.store import Store
from pmosync.store.schema import quarantine

HOURS_PER_DAY = 8


@pytest.fixture
def org():
    return generate_org(seed=23, size="XS")


@pytest.fixture
def sandbox(org):
    with AsanaSandbox(org) as running:
        yield running


def _sync(tmp_path, sandbox, org, *, extra="", full=False, store_url=None):
    block = intake_block(org) + extra
    return sync_once(tmp_path, sandbox, extra=block, full=full, store=store_url)


def expected_requests(org) -> dict[str, dict[str, Any]]:
    """Every request the sandbox holds that maps, by gid, as the store must hold it."""
    wanted = {}
    for gid, entry in org.intake.items():
        if entry.problem is not None:
            continue
        task = org.tasks[gid]
        wanted[gid] = {
            "title": task.name.replace("\x00", ""),  # the store keeps no NUL, anywhere
            "description": task.notes or None,
            "stage": entry.stage,
            "requester_identity_id": PersonIdentity.ref(SOURCE, entry.requester_gid),
            "sponsor_identity_id": (
                PersonIdentity.ref(SOURCE, entry.sponsor_gid) if entry.sponsor_gid else None
            ),
            "estimated_cost": Decimal(str(entry.cost)),
            "estimated_benefit": Decimal(str(entry.benefit)),
            "currency": entry.currency,
            "effort_hours": {
                role: days * HOURS_PER_DAY for role, days in entry.effort_days.items()
            },
            "target_start": entry.target_start,
            "target_end": entry.target_end,
            "criteria": dict(entry.criteria),
            "risk": entry.risk,
            "project_ref": entry.project_ref,
            "project_id": Project.ref(SOURCE, entry.project_gid) if entry.project_gid else None,
        }
    return wanted


def request_differences(store: Store, org) -> list[str]:
    rows = live_rows(store, Request)
    with org.lock:
        wanted = expected_requests(org)
    problems = []
    if set(rows) != set(wanted):
        missing, extra = sorted(set(wanted) - set(rows)), sorted(set(rows) - set(wanted))
        problems.append(f"missing {missing[:3]}, extra {extra[:3]}")
    for gid in set(rows) & set(wanted):
        for column, value in wanted[gid].items():
            stored = rows[gid][column]
            if isinstance(value, date) and isinstance(stored, str):
                stored = date.fromisoformat(stored)
            if isinstance(value, Decimal) and stored is not None:
                stored = Decimal(str(stored))
            if stored != value:
                problems.append(f"{gid}.{column}: {stored!r} != {value!r}")
    return problems[:20]


def _quarantined(store: Store) -> dict[str, str]:
    with store.engine.connect() as connection:
        query = select(quarantine).where(quarantine.c.resolved_at.is_(None))
        return {row.record_key: row.reason for row in connection.execute(query)}


def test_the_sandbox_intake_board_is_as_messy_as_promised(org):
    titles = [org.tasks[gid].name for gid in org.intake]
    assert len(org.intake) >= 12 and titles.count(TWIN_TITLE) == 2
    assert set(HOSTILE.values()) <= set(titles)
    stages = {entry.stage for entry in org.intake.values()}
    assert {"submitted", "under_review", "converted"} <= stages
    assert any(entry.sponsor_gid is None for entry in org.intake.values())
    assert any(entry.requester_gid in org.guests for entry in org.intake.values())
    assert any(e.project_ref == DELETED_PROJECT and e.project_gid is None
               for e in org.intake.values())  # fmt: skip
    assert any(e.criteria["strategic_fit"] == "Critical" for e in org.intake.values())
    assert sum(1 for e in org.intake.values() if e.problem) == 1


def test_a_sync_holds_exactly_the_sandbox_requests(tmp_path, store_url):
    org = generate_org(seed=23, size="XS")
    with AsanaSandbox(org) as sandbox:
        store, results = _sync(tmp_path, sandbox, org, store_url=store_url)
    with store:
        assert request_differences(store, org) == []
        # a request is no work, and the intake project is no project
        assert differences(store, org, intake=True) == []
        assert not set(org.intake) & set(live_rows(store, Task))
        assert org.intake_gid not in live_rows(store, Project)
        # the bad request waits in the quarantine, named by its title, and nothing else does
        reasons = _quarantined(store)
        bad = {gid: entry.problem for gid, entry in org.intake.items() if entry.problem}
        assert set(reasons) == set(bad)
        for gid, problem in bad.items():
            assert problem in reasons[gid]
            assert repr(org.tasks[gid].name) in reasons[gid]
        assert not results[0].failed
        assert any(DELETED_PROJECT in warning for warning in results[0].warnings)


def test_formula_nul_and_guest_requests_are_stored_as_written(tmp_path, org, sandbox):
    store, _ = _sync(tmp_path, sandbox, org)
    with store:
        rows = list(live_rows(store, Request).values())
        titles = [row["title"] for row in rows]
        assert HOSTILE["formula"] in titles  # a formula is text: escaping is the report's job
        assert HOSTILE["nul"].replace("\x00", "") in titles
        assert titles.count(TWIN_TITLE) == 2  # two requests, one title: both kept
        guest = next(gid for gid, person in org.guests.items() if person.email == GUEST[1])
        assert PersonIdentity.ref(SOURCE, guest) in {row["requester_identity_id"] for row in rows}


def test_an_incremental_sync_follows_stage_moves_and_deletions(tmp_path, org, sandbox):
    store, _ = _sync(tmp_path, sandbox, org)
    store.close()
    sections = {org.sections[g].name: g for g in org.projects[org.intake_gid].section_gids}
    good = [g for g, e in org.intake.items() if e.problem is None and e.stage != "approved"]
    moved, deleted = good[:2]
    org.move_task(moved, sections["Approved"])
    org.intake[moved].stage = "approved"
    org.delete_task(deleted)
    # the bad effort is fixed upstream: the request leaves the quarantine
    bad = next(g for g, e in org.intake.items() if e.problem)
    org.edit_task(bad, custom={"Analyst effort (d)": 4.0})
    org.intake[bad].effort_days["Analyst"] = 4.0
    org.intake[bad].problem = None

    store, results = _sync(tmp_path, sandbox, org)
    with store:
        rows = live_rows(store, Request)
        assert rows[moved]["stage"] == "approved"
        assert deleted not in rows
        assert bad in rows and bad not in _quarantined(store)
        assert request_differences(store, org) == []
        assert differences(store, org, intake=True) == []
        assert not results[0].failed
        # incremental: the tasks listing asked only for what changed since the last pass
        tasks = next(s for s in results[0].streams if s.name == "tasks")
        assert tasks.counts.inserted + tasks.counts.updated < len(org.tasks)


def test_a_request_deleted_while_the_token_expired_is_retired_by_the_full_listing(
    tmp_path, org, sandbox
):
    store, _ = _sync(tmp_path, sandbox, org)
    store.close()
    victim = next(g for g, e in org.intake.items() if e.problem is None)
    org.delete_task(victim)
    sandbox.expire_sync_tokens()
    store, _ = _sync(tmp_path, sandbox, org)
    with store:
        assert victim not in live_rows(store, Request)
        assert request_differences(store, org) == []


def test_unreadable_values_are_quarantined_naming_the_request_and_the_rest_sync(
    tmp_path, org, sandbox
):
    """A section no vocabulary names, a cost without a currency and a text field where a
    number belongs: each request waits in the quarantine, named, and every other one syncs."""
    icebox = org.add_section(org.intake_gid, "Icebox")
    good = [g for g, e in org.intake.items() if e.problem is None]
    frozen = good[0]
    org.move_task(frozen, icebox)
    store, _ = _sync(tmp_path, sandbox, org)
    with store:
        reasons = _quarantined(store)
        assert "'Icebox'" in reasons[frozen] and repr(org.tasks[frozen].name) in reasons[frozen]
        rows = live_rows(store, Request)
        assert set(good) - {frozen} <= set(rows) and frozen not in rows
    # the benefit read from a plain number field, no default currency: every request with one
    no_currency = intake_block(org).replace(
        "estimated_benefit: Expected benefit", "estimated_benefit: Consultant effort (d)"
    )
    store, _ = sync_once(tmp_path, sandbox, extra=no_currency, full=True)
    with store:
        reasons = _quarantined(store)
        name = org.tasks[good[1]].name
        assert "no currency" in reasons[good[1]] and repr(name) in reasons[good[1]]
        assert "'Consultant effort (d)'" in reasons[good[1]]
    # a text field named where a number belongs
    as_text = intake_block(org).replace(
        "estimated_cost: Estimated cost", "estimated_cost: Converted to"
    )
    store, results = sync_once(tmp_path, sandbox, extra=as_text, full=True)
    with store:
        reasons = _quarantined(store)
        assert "'Converted to' is a text field" in reasons[good[1]]
        assert not results[0].failed


def test_the_raid_log_and_the_intake_project_are_read_side_by_side(tmp_path, org, sandbox):
    store, results = _sync(tmp_path, sandbox, org, extra=raid_block(org))
    with store:
        assert request_differences(store, org) == []
        assert differences(store, org, raid=True, intake=True) == []
        assert not results[0].failed


def test_check_probes_each_intake_project(tmp_path, org, sandbox):
    from cli import run_pmosync

    delivery = next(g for g in sorted(org.projects) if g not in (org.intake_gid,
                                                                 org.raid_log_gid))  # fmt: skip
    missing = "1200000000999998"
    block = intake_block(org).replace(
        f'["{org.intake_gid}"]', f'["{org.intake_gid}", "{delivery}", "{missing}"]'
    )
    path, _ = write_config(tmp_path, sandbox, extra=block)
    result = run_pmosync("check", "-c", path, env={"ASANA_TOKEN": sandbox.token})
    lines = (result.stdout + result.stderr).splitlines()
    home = f"ok: intake: intake project {org.intake_gid} (Project intake) readable"
    assert any(home in line for line in lines), result.stdout
    assert any(f"intake project {delivery}" in x and "has no field 'Sponsor'" in x for x in lines)
    assert any(f"error: intake: intake project {missing}" in x for x in lines), result.stdout


def test_a_task_leaving_the_intake_rules_retires_its_request(tmp_path, org, sandbox):
    """Without the intake block the project is an ordinary one again: its requests retire
    and its tasks are work."""
    store, _ = _sync(tmp_path, sandbox, org)
    store.close()
    store, _ = sync_once(tmp_path, sandbox)
    with store:
        assert live_rows(store, Request) == {}
        assert differences(store, org) == []


def _custom(gid: str, name: str, kind: str, **value: Any) -> dict[str, Any]:
    return {"gid": gid, "name": name, "type": kind, "resource_subtype": kind, **value}


def test_each_field_type_gives_its_criterion_value():
    """Records shaped as Asana sends them, with field types the sandbox's form does not use:
    a multi-select, a number, text, a date and a people field (the values written by hand)."""
    from pmosync.config.asana_intake import AsanaIntake
    from pmosync.mapping.asana import AsanaMapper, intake_settings

    block = AsanaIntake(
        projects=["9"],
        criteria={"regions": "Regions", "score": "Score", "note": "Note", "due": "Due",
                  "owner": "Owner", "flag": "Flag"},
        effort={"Analyst": "Hours"},
        fields={"estimated_cost": "Cost", "project": "Became"},
        default_currency="GBP",
    )  # fmt: skip
    mapper = AsanaMapper(SOURCE, intake=intake_settings(block))
    raw = {
        "gid": "42", "name": "Shared CRM", "created_at": "2026-03-01T10:00:00.000Z",
        "created_by": {"gid": "7"}, "_request": True, "_request_section": "Triage",
        "_request_project": None, "_request_project_ref": "Old CRM",
        "custom_fields": [
            _custom("1", "Regions", "multi_enum",
                    multi_enum_values=[{"gid": "a", "name": "EMEA"}, {"gid": "b", "name": "APAC"}]),
            _custom("2", "Score", "number", number_value=7),
            _custom("3", "Note", "text", text_value="  board asked  "),
            _custom("4", "Due", "date", date_value={"date": "2027-01-31"}),
            _custom("5", "Owner", "people",
                    people_value=[{"gid": "8", "email": "Ana.Lima@Contoso.example"}]),
            _custom("6", "Flag", "enum", enum_value={"gid": "y", "name": "Yes"}),
            _custom("10", "Hours", "number", number_value=12.5),
            _custom("11", "Cost", "number", number_value=90000, format="none"),
            _custom("12", "Became", "text", text_value="Old CRM"),
        ],
    }  # fmt: skip
    [request] = mapper.map("tasks", raw).records
    assert request.criteria == {
        "regions": "EMEA, APAC", "score": 7.0, "note": "board asked", "due": "2027-01-31",
        "owner": "ana.lima@contoso.example", "flag": "Yes",
    }  # fmt: skip
    assert request.stage == "under_review"  # Triage
    assert request.effort_hours == {"Analyst": 12.5}  # effort_unit hours by default
    assert (request.estimated_cost, request.currency) == (Decimal("90000"), "GBP")
    assert request.requester_identity_id == PersonIdentity.ref(SOURCE, "7")
    assert (request.project_ref, request.project_id) == ("Old CRM", None)


def test_a_request_names_its_project_by_name_in_any_spacing_or_by_gid():
    from pmosync.connectors.asana.intake import IntakeRules

    rules = IntakeRules(projects=frozenset({"9"}), project_field="Became")
    in_scope = {"1": {"name": "Apollo  Website"}, "2": {"name": "Beacon"}}

    def record(named: str | None, parent: bool = False) -> dict[str, Any]:
        membership = {"project": {"gid": "9"}, "section": {"name": "Approved"}}
        return {
            "gid": "5",
            "parent": {"gid": "4"} if parent else None,
            "custom_fields": [_custom("12", "Became", "text", text_value=named)],
            "memberships": [membership],
        }

    records = [record(" apollo website "), record("2"), record("Gone"), record(None)]
    rules.tag(records, in_scope)
    assert [r["_request_project"] for r in records] == ["1", "2", None, None]
    assert [r["_request_project_ref"] for r in records] == ["apollo website", "2", "Gone", None]
    assert all(r["_request"] and r["_request_section"] == "Approved" for r in records)
    assert rules.unplaced == {"Gone"}
    subtask = record("Beacon", parent=True)
    rules.tag([subtask], in_scope)
    assert subtask["_request"] is False  # an assessor's checklist item is no request


def test_a_stage_field_overrides_the_section_and_an_unknown_stage_names_the_request():
    from pmosync.config.asana_intake import AsanaIntake
    from pmosync.mapping.asana import AsanaMapper, intake_settings
    from pmosync.mapping.result import MappingError

    block = AsanaIntake(projects=["9"], stage_field="Status",
                        stage_vocabulary={"Waiting for funds": "on_hold"})  # fmt: skip
    mapper = AsanaMapper(SOURCE, intake=intake_settings(block))

    def raw(option: str) -> dict[str, Any]:
        status = _custom("1", "Status", "enum", enum_value={"gid": "o", "name": option})
        return {"gid": "42", "name": "=1+1", "_request": True, "_request_section": "Approved",
                "custom_fields": [status]}  # fmt: skip

    assert mapper.map("tasks", raw("Parked")).records[0].stage == "on_hold"
    assert mapper.map("tasks", raw("waiting  for FUNDS")).records[0].stage == "on_hold"
    with pytest.raises(MappingError) as caught:
        mapper.map("tasks", raw("Icebox"))
    assert str(caught.value).startswith("request '=1+1': stage field 'Status' ")
    assert "'Icebox'" in str(caught.value)


def test_the_sandbox_serves_people_and_currency_fields_as_asana_does(org, sandbox):
    """Through the official SDK: a people field's users with the sub-fields asked (a guest's
    external email included), a currency field's ISO code, and the submitter as created_by."""
    import asana

    configuration = asana.Configuration()
    configuration.host = sandbox.base_url
    configuration.access_token = sandbox.token
    tasks = asana.TasksApi(asana.ApiClient(configuration))
    opts = {"opt_fields": "created_by.gid,custom_fields.name,custom_fields.people_value.email,"
            "custom_fields.currency_code,custom_fields.number_value"}  # fmt: skip
    guest_gid, guest = next(iter(org.guests.items()))
    submitted = next(g for g, e in org.intake.items() if e.requester_gid == guest_gid)
    task = tasks.get_task(submitted, opts)
    assert task["created_by"]["gid"] == guest_gid
    fields = {field["name"]: field for field in task["custom_fields"]}
    sponsor = org.people[org.intake[submitted].sponsor_gid]
    assert fields["Sponsor"]["people_value"] == [{"gid": sponsor.gid, "email": sponsor.email}]
    assert fields["Estimated cost"]["currency_code"] == "EUR"
    assert fields["Estimated cost"]["number_value"] == org.intake[submitted].cost
    users = asana.UsersApi(asana.ApiClient(configuration))
    assert users.get_user(guest_gid, {"opt_fields": "email"})["email"] == guest.email
