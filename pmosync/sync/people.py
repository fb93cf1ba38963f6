"""Identity resolution: one ``Person`` per human, whatever tools they appear in.

Each tool says what it knows about a human in a ``PersonIdentity`` (Asana user, Microsoft 365
user, a workbook row's email). Resolution groups the live identities by canonical email (lower
case, an alias from ``people.aliases`` standing for its person's email), keeps one ``Person`` per
group under the reserved source ``PERSON_SOURCE`` and points each identity's ``person_id`` at it.
Records reference identities, never persons, so an alias added to the YAML re-groups people on
the next resolution without rewriting a single task or time entry.

An identity without an email cannot be matched to anything: it gets a person of its own (source
id ``identity:<identity id>``) and ``pmosync people --unresolved`` lists it for the PSO.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from pmosync.canonical.tables import ENTITY_TABLES
from pmosync.canonical.types import Person, PersonIdentity
from pmosync.config.models import People
from pmosync.store import Store
from pmosync.store.schema import quarantine

PERSON_SOURCE = "pmosync:people"
"""The ``source`` of resolved persons. ``check_connector_name`` refuses ':', so no connector
can ever write records under this name."""

UNMATCHED_EMAIL = re.compile(r"\bperson (\S+@\S+) matches nobody synced\b")
"""A workbook row quarantined for naming an unknown person (``mapping/workbooks/rows.py``)."""

_NO_EMAIL_PREFIX = "identity:"
_SOURCE_ID_LIMIT = 255


@dataclass
class PeopleResolution:
    """What one resolution found and changed (all zero changes: nothing was written)."""

    persons: int = 0
    """Live persons afterwards."""
    identities: int = 0
    """Live identities resolved."""
    inserted: int = 0
    """Persons seen for the first time."""
    updated: int = 0
    """Persons whose name changed, or that came back with a returning identity."""
    deleted: int = 0
    """Persons soft-deleted: none of their identities is live any more."""
    linked: int = 0
    """Identities whose ``person_id`` changed (new, re-grouped by an alias, or first linked)."""

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated or self.deleted or self.linked)


class _PersonKeys:
    """The person source id an identity belongs to: its canonical email, else its own id.

    The rule of ``People.canonical_email`` with the aliases read once into a dict, so 10,000
    identities against hundreds of aliases stay a dictionary lookup each."""

    def __init__(self, people: People) -> None:
        self._owner = {
            alias: person for person, others in people.aliases.items() for alias in others
        }

    def __call__(self, email: str | None, identity_id: str) -> str:
        folded = (email or "").strip().lower()
        if folded and len(folded) <= _SOURCE_ID_LIMIT:  # longer is no address: nobody to match
            return self._owner.get(folded, folded)
        return _NO_EMAIL_PREFIX + identity_id


def _person_name(names: Iterable[str | None]) -> str | None:
    """The most common non-empty name; a tie goes to the alphabetically first."""
    counted = Counter(name.strip() for name in names if name and name.strip())
    if not counted:
        return None
    return min(counted, key=lambda name: (-counted[name], name))


def resolve_people(store: Store, people: People) -> PeopleResolution:
    """Group the live identities into persons and link each identity to its person.

    One transaction. Idempotent: with no identity and no alias changed, it writes nothing
    (unchanged persons are not rewritten, identities already linked are not touched).
    A tombstoned identity keeps its link, or follows its email to a live person (an alias
    added later), so the time it logged still counts for the right human.
    """
    table = ENTITY_TABLES[PersonIdentity]
    result = PeopleResolution()
    with store.writer() as writer:
        rows = writer.connection.execute(
            select(table.c.id, table.c.name, table.c.email, table.c.person_id, table.c.deleted_at)
        ).all()
        person_key = _PersonKeys(people)
        key_of = {row.id: person_key(row.email, row.id) for row in rows}
        names: dict[str, list[str | None]] = defaultdict(list)
        for row in rows:
            if row.deleted_at is None:
                names[key_of[row.id]].append(row.name)
        persons = [
            Person(
                source=PERSON_SOURCE,
                source_id=key,
                name=_person_name(found),
                email=None if key.startswith(_NO_EMAIL_PREFIX) else key,
                active=True,
            )
            for key, found in names.items()
        ]
        counts = writer.upsert(persons)
        result.inserted, result.updated = counts.inserted, counts.updated
        result.deleted = len(writer.soft_delete_missing(Person, PERSON_SOURCE, names))
        links: dict[str, str] = {}
        for row in rows:
            key = key_of[row.id]
            if key not in names:  # a tombstoned identity whose person is gone: keep its link
                continue
            target = Person.ref(PERSON_SOURCE, key)
            if row.person_id != target:
                links[row.id] = target
        result.linked = writer.set_resolved(PersonIdentity, "person_id", links)
        result.persons = len(names)
        result.identities = sum(len(found) for found in names.values())
    return result


# -- the report behind ``pmosync people`` --------------------------------------------------


@dataclass(frozen=True)
class IdentityEntry:
    """One live identity as the report shows it."""

    source: str
    source_id: str
    name: str | None
    email: str | None

    @property
    def label(self) -> str:
        return f"{self.source}: {self.email or self.name or self.source_id}"


@dataclass
class PersonEntry:
    id: str
    name: str | None
    email: str | None
    identities: list[IdentityEntry] = field(default_factory=list)


@dataclass(frozen=True)
class UnresolvedIdentity:
    identity: IdentityEntry
    reason: str


@dataclass(frozen=True)
class UnknownWorkbookEmail:
    """An email that quarantined workbook rows name and no identity has."""

    connector: str
    email: str
    rows: int
    known_now: bool
    """An identity or an alias has the email by now: ``pmosync quarantine retry`` (or the
    workbook's next full read) brings the rows in."""


def list_people(store: Store) -> list[PersonEntry]:
    """Live persons with their live identities, sorted by name then email."""
    persons_table = ENTITY_TABLES[Person]
    with store.engine.connect() as connection:
        persons = {
            row.id: PersonEntry(row.id, row.name, row.email)
            for row in connection.execute(
                select(persons_table.c.id, persons_table.c.name, persons_table.c.email).where(
                    persons_table.c.source == PERSON_SOURCE, persons_table.c.deleted_at.is_(None)
                )
            )
        }
        for row in _live_identities(connection):
            if row.person_id in persons:
                persons[row.person_id].identities.append(_entry(row))
    for person in persons.values():
        person.identities.sort(key=_identity_order)
    return sorted(persons.values(), key=lambda p: ((p.name or "").casefold(), p.email or "", p.id))


def unresolved_identities(
    store: Store, workbook_sources: Collection[str] = ()
) -> list[UnresolvedIdentity]:
    """Live identities that matched nobody: those without an email, and, when more than one
    tool contributes identities, those alone in their person (a human seen in one tool only,
    maybe under another address). Workbook identities are left out: a workbook row only becomes
    an identity when its email is already known, and a tool missing from a workbook is normal."""
    with store.engine.connect() as connection:
        rows = [r for r in _live_identities(connection) if r.source not in workbook_sources]
    tools = {row.source for row in rows if row.email}
    per_person = Counter(row.person_id for row in rows)
    found = []
    for row in rows:
        if not row.email:
            found.append(UnresolvedIdentity(_entry(row), "no email: cannot be matched"))
        elif len(tools) > 1 and per_person[row.person_id] == 1:
            found.append(UnresolvedIdentity(_entry(row), f"only in {row.source}"))
    return sorted(found, key=lambda u: _identity_order(u.identity))


def unknown_workbook_emails(store: Store, people: People) -> list[UnknownWorkbookEmail]:
    """Emails that open quarantine entries say match nobody, with their row count per connector."""
    identities = ENTITY_TABLES[PersonIdentity]
    rows: Counter[tuple[str, str]] = Counter()
    with store.engine.connect() as connection:
        reasons = connection.execute(
            select(quarantine.c.source, quarantine.c.reason).where(
                quarantine.c.resolved_at.is_(None),
                quarantine.c.reason.contains("matches nobody synced"),
            )
        )
        for source, reason in reasons:
            match = UNMATCHED_EMAIL.search(reason)
            if match:
                rows[(source, match[1].lower())] += 1
        emails = sorted({email for _, email in rows})
        known = set()
        for start in range(0, len(emails), 500):
            known.update(
                connection.scalars(
                    select(identities.c.email).where(
                        identities.c.deleted_at.is_(None),
                        identities.c.email.in_(emails[start : start + 500]),
                    )
                )
            )
    aliased = {email for person, others in people.aliases.items() for email in (person, *others)}
    return [
        UnknownWorkbookEmail(connector, email, count, email in known or email in aliased)
        for (connector, email), count in sorted(rows.items())
    ]


def _live_identities(connection: Connection) -> list[Any]:
    table = ENTITY_TABLES[PersonIdentity]
    query = select(
        table.c.source, table.c.source_id, table.c.name, table.c.email, table.c.person_id
    ).where(table.c.deleted_at.is_(None))
    return list(connection.execute(query))


def _entry(row: Any) -> IdentityEntry:
    return IdentityEntry(row.source, row.source_id, row.name, row.email)


def _identity_order(identity: IdentityEntry) -> tuple[str, str, str]:
    return (identity.source, identity.email or "", identity.source_id)
