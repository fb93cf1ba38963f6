"""What a mapper returns for one raw record, and how it says it cannot.

A raw record can become several canonical records (an Asana task is a Task and an Assignment)
and can also retire records (unassigning a task retires its Assignment), so the result carries
both. A record the mapper cannot interpret raises ``MappingError``; its message is stored as the
quarantine reason and read by a person, so it is one line naming the field and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from pmosync.canonical.types import Record


class MappingError(ValueError):
    """A record the mapper cannot turn into canonical records.

    The engine quarantines the raw record with ``str(e)`` as the reason and carries on.
    """

    def naming(self, what: str, name: object) -> MappingError:
        """This error said of the record by its title ("request 'CRM': ..."): a RAID log or
        a pipeline is read by its titles, not by gids; unchanged when it has none."""
        return MappingError(f"{what} {name!r}: {self}" if name else str(self))

    @classmethod
    def from_validation(cls, entity: str, error: ValidationError) -> MappingError:
        """One line out of pydantic's multi-line report: which field, what is wrong with it."""
        problems = []
        for detail in error.errors(include_url=False):
            where = ".".join(str(part) for part in detail["loc"])
            message = detail["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        return cls(f"invalid {entity}: {'; '.join(problems)}")


@dataclass(frozen=True, slots=True)
class Tombstone:
    """A record the source no longer has (a task's assignment once the task is unassigned).

    Named by entity and ``source_id`` rather than canonical id so the store can soft-delete it
    with the same (source, source_id) key it upserts on.
    """

    entity: str
    source_id: str


@dataclass(slots=True)
class Mapped:
    """What one raw record becomes: records to upsert and records to soft-delete."""

    records: list[Record] = field(default_factory=list)
    tombstones: list[Tombstone] = field(default_factory=list)
