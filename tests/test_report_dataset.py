"""What a report reads from the store: filters, tombstones, and people resolved across tools.

The store is filled by hand with canonical records; every expectation below is read off those
records, not computed by the loader.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from pmosync.canonical import (
    Assignment,
    Person,
    PersonIdentity,
    Portfolio,
    PortfolioItem,
    Project,
    Task,
    TimeEntry,
)
from pmosync.config.reports import Filters
from pmosync.reports.dataset import load_dataset

A, B = "src-a", "src-b"
PEOPLE = "pmosync:people"
GONE = datetime(2026, 11, 1, tzinfo=UTC)
AS_OF = date(2026, 11, 23)
FILLED_AT = datetime(2026, 11, 2, tzinfo=UTC)


def _fill(store) -> None:
    ann = Person(source=PEOPLE, source_id="ann@x.example", name="Ann", email="ann@x.example")
    with store.writer() as writer:
        writer.now = FILLED_AT  # the history covers AS_OF: the dataset is that day's
        writer.upsert(
            [
                ann,
                Portfolio(source=A, source_id="pf-a", name="Alpha"),
                Portfolio(source=A, source_id="pf-b", name="Beta"),
                Project(source=A, source_id="p1", name="Website", team="Eng"),
                Project(source=A, source_id="p2", name="CRM", team="Ops"),
                Project(source=B, source_id="p3", name="Move", team="Eng"),
                Project(source=A, source_id="p4", name="Old", deleted_at=GONE),
                PortfolioItem(
                    source=A,
                    source_id="pf-a/p1",
                    portfolio_id=Portfolio.ref(A, "pf-a"),
                    project_id=Project.ref(A, "p1"),
                ),
                PortfolioItem(
                    source=A,
                    source_id="pf-a/p2",
                    portfolio_id=Portfolio.ref(A, "pf-a"),
                    project_id=Project.ref(A, "p2"),
                ),
                PortfolioItem(
                    source=A,
                    source_id="pf-b/p2",
                    portfolio_id=Portfolio.ref(A, "pf-b"),
                    project_id=Project.ref(A, "p2"),
                ),
                # Ann in both tools (resolved to one person); Bob only in B, not resolved yet.
                PersonIdentity(source=A, source_id="u1", email="ann@x.example", person_id=ann.id),
                PersonIdentity(source=B, source_id="u2", email="ann@x.example", person_id=ann.id),
                PersonIdentity(source=B, source_id="u3", name="Bob", email="bob@x.example"),
                Task(source=A, source_id="t1", project_id=Project.ref(A, "p1"), name="Design"),
                Task(source=B, source_id="t2", project_id=Project.ref(B, "p3"), name="Pack"),
                Task(source=A, source_id="t3", project_id=Project.ref(A, "p4"), name="Of the old"),
                Task(
                    source=A,
                    source_id="t4",
                    project_id=Project.ref(A, "p1"),
                    name="X",
                    deleted_at=GONE,
                ),
                Assignment(
                    source=A,
                    source_id="t1/u1",
                    task_id=Task.ref(A, "t1"),
                    identity_id=PersonIdentity.ref(A, "u1"),
                ),
                Assignment(
                    source=B,
                    source_id="t1/u2",
                    task_id=Task.ref(A, "t1"),
                    identity_id=PersonIdentity.ref(B, "u2"),
                ),
                Assignment(
                    source=B,
                    source_id="t2/u3",
                    task_id=Task.ref(B, "t2"),
                    identity_id=PersonIdentity.ref(B, "u3"),
                ),
                *(
                    TimeEntry(
                        source=source,
                        source_id=key,
                        identity_id=PersonIdentity.ref(source, user),
                        project_id=Project.ref(project_source, project),
                        entry_date=date(2026, 11, 16),
                        minutes=minutes,
                    )
                    for source, key, user, project_source, project, minutes in (
                        (A, "e1", "u1", A, "p1", 60),
                        (B, "e2", "u2", B, "p3", 30),
                        (B, "e3", "u3", B, "p3", 90),
                        (A, "e4", "u1", A, "p4", 15),  # on the tombstoned project
                    )
                ),
            ]
        )


def test_an_unfiltered_dataset_holds_live_rows_with_people_resolved(store):
    _fill(store)
    data = load_dataset(store, Filters(), AS_OF)
    ann, bob = Person.ref(PEOPLE, "ann@x.example"), PersonIdentity.ref(B, "u3")

    assert [p.name for p in data.projects] == ["CRM", "Move", "Website"]  # by name; Old is gone
    crm = data.projects[0]
    assert set(crm.portfolio_ids) == {Portfolio.ref(A, "pf-a"), Portfolio.ref(A, "pf-b")}
    assert sorted(p.name for p in data.portfolios) == ["Alpha", "Beta"]
    tasks = {t.name: t for t in data.tasks}
    assert set(tasks) == {"Design", "Pack"}  # t3's project and t4 itself are tombstoned
    assert tasks["Design"].assignee_ids == (ann,)  # Ann in two tools is one assignee
    assert tasks["Pack"].assignee_ids == (bob,)  # an unresolved identity stands for itself
    time = sorted((t.person_id, t.minutes) for t in data.time_entries)
    assert time == sorted([(ann, 60), (ann, 30), (bob, 90)])  # e4 is on a tombstoned project
    assert set(data.people) == {ann, bob}
    assert (data.people[ann].name, data.people[bob].label) == ("Ann", "Bob")


def test_filters_narrow_projects_and_everything_hanging_off_them(store):
    _fill(store)
    ann, bob = Person.ref(PEOPLE, "ann@x.example"), PersonIdentity.ref(B, "u3")

    by_source = load_dataset(store, Filters(sources=[B]), AS_OF)
    assert [p.name for p in by_source.projects] == ["Move"]
    assert [t.name for t in by_source.tasks] == ["Pack"]
    assert sorted(t.minutes for t in by_source.time_entries) == [30, 90]
    assert set(by_source.people) == {ann, bob}  # both have an identity in src-b

    by_name = load_dataset(store, Filters(portfolios=["Beta"]), AS_OF)
    assert [p.name for p in by_name.projects] == ["CRM"]
    by_tool_id = load_dataset(store, Filters(portfolios=["pf-a"]), AS_OF)
    assert [p.name for p in by_tool_id.projects] == ["CRM", "Website"]

    eng = load_dataset(store, Filters(teams=["Eng"]), AS_OF)
    assert [p.name for p in eng.projects] == ["Move", "Website"]
    both = load_dataset(store, Filters(teams=["Eng"], sources=[A]), AS_OF)
    assert [p.name for p in both.projects] == ["Website"]


def test_a_dataset_reads_only_the_parts_asked_for(store):
    _fill(store)
    data = load_dataset(store, Filters(), AS_OF, parts=("time_entries",))
    assert len(data.time_entries) == 3 and data.tasks == [] and data.status_updates == []
    assert [p.name for p in data.projects] == ["CRM", "Move", "Website"]  # always there
