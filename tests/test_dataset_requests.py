"""What the intake report reads of requests: the project each became, looked up in the store,
people resolved, the sources filter, and the field history of each request.

The store is filled by hand; each expectation is read off the records written here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from pmosync.canonical import Person, PersonIdentity, Project, Request
from pmosync.config.reports import Filters
from pmosync.reports.dataset import load_dataset

A, B = "src-a", "src-b"
PEOPLE = "pmosync:people"
FIRST = datetime(2026, 11, 2, 9, tzinfo=UTC)
SECOND = datetime(2026, 11, 9, 9, tzinfo=UTC)
AS_OF = date(2026, 11, 23)


def _request(source_id: str, source: str = A, **fields) -> Request:
    return Request(source=source, source_id=source_id, title=f"Request {source_id}", **fields)


@pytest.fixture
def filled(store):
    ann = Person(source=PEOPLE, source_id="ann", name="Ann", email="ann@x.example")
    with store.writer() as writer:
        writer.now = FIRST
        writer.upsert(
            [
                ann,
                PersonIdentity(source=A, source_id="u1", email="ann@x.example", person_id=ann.id),
                PersonIdentity(source=A, source_id="u2", email="bob@x.example"),
                Project(source=A, source_id="p1", name="Website"),
                Project(source=A, source_id="p2", name="CRM", deleted_at=FIRST),
                Project(source=A, source_id="p3", name="Move"),
                Project(source=B, source_id="p4", name="Move"),
                _request("r1", project_id=Project.ref(A, "p1")),
                _request("r2", project_id=Project.ref(A, "p2")),
                _request("r3", project_ref="  website "),
                _request("r4", project_ref="Move"),
                _request("r5", project_ref="Nothing of the kind"),
                _request("r6", project_ref="p1"),
                _request("r7"),
                _request("r8", project_id=Project.ref(A, "never-synced")),
                _request(
                    "r9",
                    requester_identity_id=PersonIdentity.ref(A, "u1"),
                    sponsor_identity_id=PersonIdentity.ref(A, "u2"),
                    stage="submitted",
                    estimated_cost=Decimal("1000"),
                    currency="EUR",
                ),
                _request("b1", source=B),
            ]
        )
    with store.writer() as writer:  # a week later r9 is under review, its cost set higher
        writer.now = SECOND
        writer.upsert(
            [
                _request(
                    "r9",
                    requester_identity_id=PersonIdentity.ref(A, "u1"),
                    sponsor_identity_id=PersonIdentity.ref(A, "u2"),
                    stage="under_review",
                    estimated_cost=Decimal("1500"),
                    currency="EUR",
                )
            ]
        )
    return store


def test_the_project_a_request_became_is_looked_up_and_what_became_of_it_said(filled):
    dataset = load_dataset(filled, Filters(), AS_OF, ("requests",))
    rows = {r.title.removeprefix("Request "): r for r in dataset.requests}
    website = Project.ref(A, "p1")
    assert (rows["r1"].project_state, rows["r1"].project_id, rows["r1"].project_name) == (
        "live",
        website,
        "Website",
    )
    # tombstoned since: still named, and said to be deleted
    assert (rows["r2"].project_state, rows["r2"].project_name) == ("deleted", "CRM")
    # a name in another case and spacing, and a source id, both find the live project
    assert (rows["r3"].project_state, rows["r3"].project_id) == ("live", website)
    assert (rows["r6"].project_state, rows["r6"].project_id) == ("live", website)
    # two live projects are called Move (in two sources): which one is not guessed
    assert (rows["r4"].project_state, rows["r4"].project_id) == ("ambiguous", None)
    assert (rows["r5"].project_state, rows["r5"].project_id) == ("missing", None)
    assert (rows["r8"].project_state, rows["r8"].project_id) == ("missing", None)
    assert (rows["r7"].project_state, rows["r7"].project_id) == (None, None)


def test_people_resolve_to_persons_and_the_sources_filter_narrows(filled):
    dataset = load_dataset(filled, Filters(sources=[A]), AS_OF, ("requests",))
    rows = {r.title.removeprefix("Request "): r for r in dataset.requests}
    assert "b1" not in rows and len(rows) == 9
    ann = Person.ref(PEOPLE, "ann")
    assert rows["r9"].requester_id == ann  # the identity is linked to Ann
    assert rows["r9"].sponsor_id == PersonIdentity.ref(A, "u2")  # not linked: the identity
    assert ann in dataset.people and dataset.people[ann].email == "ann@x.example"
    assert (rows["r9"].stage, rows["r9"].estimated_cost) == ("under_review", Decimal("1500"))


def test_each_request_carries_its_field_history(filled):
    dataset = load_dataset(filled, Filters(), AS_OF, ("requests", "request_history"))
    r9 = Request.ref(A, "r9")
    versions = dataset.request_history[r9]
    assert [(v.valid_from, v.fields["stage"]) for v in versions] == [
        (FIRST, "submitted"),
        (SECOND, "under_review"),
    ]
    assert Decimal(versions[0].fields["estimated_cost"]) == Decimal("1000")
    assert len(dataset.request_history[Request.ref(A, "r1")]) == 1


def test_a_back_dated_dataset_reads_each_request_as_it_was(filled):
    before_review = date(2026, 11, 5)
    dataset = load_dataset(filled, Filters(), before_review, ("requests",), zone=UTC)
    r9 = next(r for r in dataset.requests if r.id == Request.ref(A, "r9"))
    assert (r9.stage, r9.estimated_cost) == ("submitted", Decimal("1000"))
