"""Identity resolution: one Person per human across the tools, on a real store.

The unit cases write identities the way connectors do (``store.writer().upsert``) and check
figures worked out by hand; the end-to-end case syncs the Asana and Graph sandboxes serving the
same humans (one with a different case, one under another address joined by an alias, one in
each tool only) and compares the persons with the sandboxes' own people.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli import run_pmosync
from graph_env import PLANNER, TIMESHEETS, planner_yaml, timesheets_yaml
from sqlalchemy import select

from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.canonical.types import Person, PersonIdentity, TimeEntry
from pmosync.config import load_config
from pmosync.config.models import People
from pmosync.store import Store
from pmosync.sync.people import (
    PERSON_SOURCE,
    resolve_people,
    unknown_workbook_emails,
    unresolved_identities,
)

ASANA, GRAPH, SHEETS = "asana-eng", "planner-ops", "ops-timesheets"
GONE = datetime(2025, 3, 1, tzinfo=UTC)


def identity(source, source_id, name=None, email=None, deleted_at=None) -> PersonIdentity:
    return PersonIdentity(
        source=source, source_id=source_id, name=name, email=email, deleted_at=deleted_at
    )


ADA_ASANA = identity(ASANA, "1", "Ada Lovelace", "Ada@Example.com")
ADA_GRAPH = identity(GRAPH, "g-ada", "Ada Lovelace", "ada@EXAMPLE.com")
ADA_SHEET = identity(SHEETS, "ada@example.com", None, "ada@example.com")
BOB_ASANA = identity(ASANA, "2", "Bob", "bob@old.example")
ROBERT_GRAPH = identity(GRAPH, "g-rob", "Robert", "robert@example.com")
CAROL_ASANA = identity(ASANA, "3", "Carol", None)
DAN_GRAPH = identity(GRAPH, "g-dan", "Dan", "dan@example.com", deleted_at=GONE)
EVE_ASANA = identity(ASANA, "4", "Eve", "eve@example.com")
IDENTITIES = [
    ADA_ASANA, ADA_GRAPH, ADA_SHEET, BOB_ASANA, ROBERT_GRAPH, CAROL_ASANA, DAN_GRAPH, EVE_ASANA,
]  # fmt: skip
ALIASES = People(aliases={"robert@example.com": ["bob@old.example"]})


def person_id(key: str) -> str:
    return Person.ref(PERSON_SOURCE, key)


def persons(store: Store) -> dict[str, dict]:
    """Person rows by source id, live and tombstoned."""
    table = ENTITY_TABLES[Person]
    with store.engine.connect() as connection:
        return {r.source_id: dict(r._mapping) for r in connection.execute(select(table))}


def links(store: Store) -> dict[str, str | None]:
    """Each identity's person_id, by identity id."""
    table = ENTITY_TABLES[PersonIdentity]
    with store.engine.connect() as connection:
        return dict(connection.execute(select(table.c.id, table.c.person_id)).all())


def live(rows: dict[str, dict]) -> dict[str, dict]:
    return {key: row for key, row in rows.items() if row["deleted_at"] is None}


def test_identities_group_by_lower_cased_email_and_alias(store):
    store.upsert(IDENTITIES)
    result = resolve_people(store, ALIASES)

    carol = "identity:" + CAROL_ASANA.id
    people = live(persons(store))
    assert set(people) == {"ada@example.com", "robert@example.com", carol, "eve@example.com"}
    assert (result.persons, result.identities, result.inserted, result.linked) == (4, 7, 4, 7)
    assert people["ada@example.com"]["name"] == "Ada Lovelace"  # two of two named identities
    assert people["robert@example.com"]["name"] == "Bob"  # Bob / Robert: a tie, first wins
    assert (people[carol]["name"], people[carol]["email"]) == ("Carol", None)
    assert people["eve@example.com"]["email"] == "eve@example.com"
    assert all(p["active"] and p["source"] == PERSON_SOURCE for p in people.values())
    assert "dan@example.com" not in persons(store)  # only a tombstoned identity: nobody

    assert links(store) == {
        ADA_ASANA.id: person_id("ada@example.com"),
        ADA_GRAPH.id: person_id("ada@example.com"),
        ADA_SHEET.id: person_id("ada@example.com"),
        BOB_ASANA.id: person_id("robert@example.com"),
        ROBERT_GRAPH.id: person_id("robert@example.com"),
        CAROL_ASANA.id: person_id(carol),
        DAN_GRAPH.id: None,
        EVE_ASANA.id: person_id("eve@example.com"),
    }


def test_a_second_resolution_writes_nothing(store):
    store.upsert(IDENTITIES)
    resolve_people(store, ALIASES)
    before, linked = persons(store), links(store)

    again = resolve_people(store, ALIASES)

    assert not again.changed
    assert (again.inserted, again.updated, again.deleted, again.linked) == (0, 0, 0, 0)
    assert (again.persons, again.identities) == (4, 7)
    assert persons(store) == before  # synced_at and row_hash included: not rewritten
    assert links(store) == linked


def test_a_connector_re_sync_keeps_the_person_link(store):
    store.upsert(IDENTITIES)
    resolve_people(store, ALIASES)
    linked = links(store)

    with store.writer() as writer:
        same = writer.upsert([ADA_ASANA, EVE_ASANA])
    assert (same.inserted, same.updated, same.unchanged) == (0, 0, 2)

    renamed = ADA_ASANA.model_copy(update={"name": "Ada King"})
    with store.writer() as writer:
        changed = writer.upsert([renamed])
    assert (changed.inserted, changed.updated) == (0, 1)
    assert links(store) == linked

    result = resolve_people(store, ALIASES)
    assert (result.updated, result.linked) == (1, 0)  # Ada King / Ada Lovelace: a tie
    assert live(persons(store))["ada@example.com"]["name"] == "Ada King"


def test_a_person_goes_with_its_last_identity_and_comes_back_with_it(store):
    store.upsert(IDENTITIES)
    resolve_people(store, ALIASES)

    with store.writer() as writer:
        writer.soft_delete(PersonIdentity, ASANA, ["4"])
    gone = resolve_people(store, ALIASES)
    assert (gone.deleted, gone.persons, gone.identities) == (1, 3, 6)
    assert persons(store)["eve@example.com"]["deleted_at"] is not None
    assert links(store)[EVE_ASANA.id] == person_id("eve@example.com")  # its history stays

    store.upsert([EVE_ASANA])
    back = resolve_people(store, ALIASES)
    assert (back.inserted, back.updated, back.deleted, back.persons) == (0, 1, 0, 4)
    assert persons(store)["eve@example.com"]["deleted_at"] is None


def test_dropping_an_alias_splits_the_person_and_adding_it_merges_again(store):
    store.upsert(IDENTITIES)
    resolve_people(store, ALIASES)

    split = resolve_people(store, People())
    assert (split.inserted, split.linked, split.persons) == (1, 1, 5)
    assert links(store)[BOB_ASANA.id] == person_id("bob@old.example")
    assert live(persons(store))["robert@example.com"]["name"] == "Robert"

    merged = resolve_people(store, ALIASES)
    assert (merged.deleted, merged.linked, merged.updated, merged.persons) == (1, 1, 1, 4)
    assert links(store)[BOB_ASANA.id] == person_id("robert@example.com")


def test_unresolved_lists_identities_without_email_or_alone_in_one_tool(store):
    store.upsert(IDENTITIES)
    resolve_people(store, ALIASES)

    found = {(u.identity.source, u.identity.source_id): u.reason for u in unresolved_identities(
        store, workbook_sources={SHEETS}
    )}  # fmt: skip
    # Ada and Bob/Robert are in both tools; Dan is gone; the workbook identity is not a tool.
    assert found == {(ASANA, "3"): "no email: cannot be matched", (ASANA, "4"): "only in asana-eng"}


# -- the command -----------------------------------------------------------------------------


def _quarantine_rows(store: Store, rows: list[tuple[int, str]]) -> None:
    with store.writer() as writer:
        for number, email in rows:
            writer.quarantine(
                {"row": number},
                f"week.xlsx Entries row {number}: person {email} matches nobody synced "
                "(add an alias under people.aliases?)",
                record_key=f"week.xlsx:Entries:{number}",
                source=SHEETS,
                stream="rows",
            )
        writer.quarantine(
            {"row": 9},
            "week.xlsx Entries row 9: Hours 'x' is not a number",
            record_key="week.xlsx:Entries:9",
            source=SHEETS,
            stream="rows",
        )


def _config(tmp_path: Path, aliases: str = "") -> Path:
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        "store: sqlite:///people.db\n"
        "connectors:\n"
        f"  {SHEETS}:\n"
        "    type: files\n"
        "    path: sheets\n"
        "    kind: time\n"
        "    columns: {person: Email, date: Date, hours: Hours, project: Project}\n" + aliases,
        encoding="utf-8",
    )
    return path


def test_the_command_lists_people_and_what_matched_nobody(tmp_path):
    config = _config(tmp_path)
    with Store.open(f"sqlite:///{tmp_path / 'people.db'}") as store:
        store.upsert(IDENTITIES)
        _quarantine_rows(store, [(3, "zoe@example.com"), (4, "zoe@example.com"), (5, "x@y.org")])

    result = run_pmosync("people", "--unresolved", "--format", "json", "-c", config)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    # No alias in this YAML: Bob and Robert are two people, each in one tool only.
    assert [(i["source"], i["source_id"], i["reason"]) for i in document["identities"]] == [
        (ASANA, "3", "no email: cannot be matched"),
        (ASANA, "2", "only in asana-eng"),
        (ASANA, "4", "only in asana-eng"),
        (GRAPH, "g-rob", "only in planner-ops"),
    ]
    assert document["workbook_emails"] == [
        {"connector": SHEETS, "email": "x@y.org", "rows": 1, "known_now": False},
        {"connector": SHEETS, "email": "zoe@example.com", "rows": 2, "known_now": False},
    ]

    aliased = _config(
        tmp_path,
        "people:\n  aliases:\n    robert@example.com: [Bob@Old.example]\n"
        "    eve@example.com: [zoe@example.com]\n",
    )
    table = run_pmosync("people", "--unresolved", "-c", aliased)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert not [line for line in lines if "g-rob" in line]  # the alias took effect, no sync run
    assert [line for line in lines if "zoe@example.com" in line and "known now" in line]
    assert [line for line in lines if "x@y.org" in line and "unknown" in line]

    listed = run_pmosync("people", "--format", "json", "-c", aliased)
    assert listed.returncode == 0, listed.stderr
    everyone = {p["email"]: p for p in json.loads(listed.stdout)["people"]}
    assert set(everyone) == {"ada@example.com", "robert@example.com", "eve@example.com", None}
    assert [i["source"] for i in everyone["ada@example.com"]["identities"]] == [
        ASANA, SHEETS, GRAPH,
    ]  # fmt: skip
    assert everyone["robert@example.com"]["name"] == "Bob"
    assert len(everyone["robert@example.com"]["identities"]) == 2


def test_the_command_on_a_missing_store_says_so_in_one_line(tmp_path):
    result = run_pmosync("people", "-c", _config(tmp_path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "no such database file yet" in result.stderr


# -- end to end: both sandboxes serving the same humans ---------------------------------------


@pytest.fixture
def sandboxes():
    from pmosync.sandbox import asana, graph
    from pmosync.sandbox.tenant import TenantSize

    org_sandbox = asana.serve("XS", seed=3)
    people = [(p.name, p.email) for p in org_sandbox.org.people.values()]
    (first_name, first), (_, second), (third_name, third) = people[:3]
    shared = [(first_name, first.upper())]  # the same human, another case
    shared += [(third_name, "other." + third)]  # another address: joined by an alias
    shared += people[3:]  # the second is in Asana only
    shared += [("Gwen Graph", "gwen.graph@example.org")]  # and Gwen in Microsoft 365 only
    size = TenantSize(groups=2, plans=2, tasks=40, people=len(shared), timesheet_weeks=1)
    tenant_sandbox = graph.serve(size, seed=3, people=shared)
    try:
        yield org_sandbox, tenant_sandbox, {"other." + third: third}
    finally:
        org_sandbox.stop()
        tenant_sandbox.stop()


def test_both_sandboxes_give_one_person_per_human(tmp_path, sandboxes):
    from pmosync.sync.run import run_sync

    org_sandbox, tenant_sandbox, alias_of = sandboxes
    org, tenant = org_sandbox.org, tenant_sandbox.tenant
    aliases = "".join(f"    {person}: [{alias}]\n" for alias, person in alias_of.items())
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        "store: sqlite:///pmosync.db\n"
        "connectors:\n"
        f"  {ASANA}:\n"
        "    type: asana\n"
        "    token: ${ASANA_TOKEN}\n"
        f'    workspace: "{org.workspace.gid}"\n'
        f"    base_url: {org_sandbox.base_url}\n"
        + planner_yaml(tenant_sandbox, sorted(tenant.groups))
        + timesheets_yaml(tenant_sandbox)
        + "people:\n  aliases:\n"
        + aliases,
        encoding="utf-8",
    )
    environ = {"ASANA_TOKEN": org_sandbox.token, "GRAPH_TOKEN": tenant_sandbox.token}
    config = load_config(path, environ=environ)

    # Ground truth from the sandboxes' own data, aliases applied by hand.
    def canonical(email: str) -> str:
        return alias_of.get(email.lower(), email.lower())

    in_asana = {canonical(p.email) for p in org.people.values()}
    assigned = {u for t in tenant.tasks.values() for u in t.assignee_ids}
    in_planner = {canonical(tenant.users[u].mail) for u in assigned}
    known = in_asana | in_planner | set(alias_of) | set(alias_of.values())
    sheet_rows = Counter(r.email.lower() for s in tenant.timesheets.values() for r in s.rows)
    in_sheets = {canonical(e) for e in sheet_rows if e in known}
    unknown = {e: n for e, n in sheet_rows.items() if e not in known}

    with Store.open(config.store, base_dir=tmp_path) as store:
        run_sync(config, store)
        again = resolve_people(store, config.people)  # run_sync resolved already: nothing to do
        assert not again.changed

        people = live(persons(store))
        assert set(people) == in_asana | in_planner  # one person per distinct email
        assert len(people) == len(in_asana | in_planner) == again.persons
        table = ENTITY_TABLES[PersonIdentity]
        with store.engine.connect() as connection:
            identities = connection.execute(
                select(table.c.id, table.c.source_id, table.c.source, table.c.person_id).where(
                    table.c.deleted_at.is_(None)
                )
            ).all()
            entries = connection.scalars(
                select(ENTITY_TABLES[TimeEntry].c.identity_id).where(
                    ENTITY_TABLES[TimeEntry].c.source == TIMESHEETS
                )
            ).all()
        email_of = {row["id"]: key for key, row in people.items()}
        tools: dict[str, set[str]] = {}
        for row in identities:
            tools.setdefault(email_of[row.person_id], set()).add(row.source)
        for email in people:
            wanted = {ASANA} if email in in_asana else set()
            wanted |= {PLANNER} if email in in_planner else set()
            wanted |= {TIMESHEETS} if email in in_sheets else set()
            assert tools[email] == wanted, email
        both = {email for email, found in tools.items() if {ASANA, PLANNER} <= found}
        assert set(alias_of.values()) <= both and len(both) >= 2  # the alias and the upper case
        # A timesheet row's entry counts for the person of the email the row names.
        by_id = {row.id: row for row in identities}
        assert entries and len(entries) == sum(sheet_rows[e] for e in sheet_rows if e in known)
        for entry in entries:
            logged_by = by_id[entry]
            assert email_of[logged_by.person_id] == canonical(logged_by.source_id)

        assert {e.email: e.rows for e in unknown_workbook_emails(store, config.people)} == unknown
