"""``AsanaMapper``: one entry point from (stream, raw Asana record) to canonical records."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from pmosync.contracts import Reconcile
from pmosync.mapping.asana import lifecycle
from pmosync.mapping.asana.context import Context, IntakeSettings, RaidSettings
from pmosync.mapping.asana.people import map_user
from pmosync.mapping.asana.portfolios import map_portfolio, map_portfolio_item
from pmosync.mapping.asana.projects import map_project, map_section
from pmosync.mapping.asana.rag import RagVocabulary
from pmosync.mapping.asana.resourcing import map_allocation, map_budget, map_time_entry
from pmosync.mapping.asana.status_updates import map_status_update
from pmosync.mapping.asana.tasks import map_task
from pmosync.mapping.asana.values import record_gid
from pmosync.mapping.priority import PriorityVocabulary
from pmosync.mapping.result import Mapped, MappingError
from pmosync.mapping.scope import ReconcileScope
from pmosync.mapping.values import record_digest

StreamMapper = Callable[[Context, Mapping[str, Any]], Mapped]

STREAM_MAPPERS: Mapping[str, StreamMapper] = MappingProxyType(
    {
        "users": map_user,
        "portfolios": map_portfolio,
        "portfolio_items": map_portfolio_item,
        "projects": map_project,
        "sections": map_section,
        "tasks": map_task,
        "time_entries": map_time_entry,
        "status_updates": map_status_update,
        "allocations": map_allocation,
        "budgets": map_budget,
    }
)

_NONE: Mapping[str, str] = MappingProxyType({})


class AsanaMapper:
    """Maps the records of one Asana connector's streams onto the canonical model.

    Pure: the output depends only on the record and the configuration given here, so a rerun
    or a re-map of a quarantined record yields the same records and ids.
    """

    streams: ClassVar[frozenset[str]] = frozenset(STREAM_MAPPERS)

    def __init__(
        self,
        source: str,
        *,
        fields: Mapping[str, str] = _NONE,
        rag_vocabulary: Mapping[str, str] = _NONE,
        priority_vocabulary: Mapping[str, str] = _NONE,
        raid: RaidSettings | None = None,
        intake: IntakeSettings | None = None,
        owned_fields: tuple[str, ...] = (),
    ) -> None:
        """``owned_fields``: the custom fields (name or gid) write-back owns, never read."""
        self._context = Context(
            source=source,
            fields=dict(fields),
            vocabulary=RagVocabulary(rag_vocabulary),
            priorities=PriorityVocabulary(priority_vocabulary, source=source),
            raid=raid,
            intake=intake,
            owned_fields=owned_fields,
        )

    def map(self, stream: str, raw: Mapping[str, Any]) -> Mapped:
        """What one raw record of ``stream`` becomes; MappingError if it is malformed."""
        try:
            mapper = STREAM_MAPPERS[stream]
        except KeyError:
            raise ValueError(f"unknown Asana stream {stream!r}") from None
        if not isinstance(raw, Mapping):
            raise MappingError(f"record is not a JSON object: {type(raw).__name__}")
        record_gid(raw)  # first, so a record without one says so whatever else is wrong
        return mapper(self._context, raw)

    def record_key(self, raw: Any) -> str:
        """The best identifier of a raw record for quarantine: its gid, else a digest.

        The digest is of the canonical JSON, so the same bad record quarantined twice is
        recognisably the same one.
        """
        if isinstance(raw, Mapping):
            gid = raw.get("gid")
            if isinstance(gid, str | int) and not isinstance(gid, bool) and str(gid).strip():
                return str(gid)
        return record_digest(raw)

    def deleted(self, kind: str, source_ids: list[str]) -> list[ReconcileScope]:
        """What goes when the source reports records of ``kind`` deleted."""
        return lifecycle.deleted(self._context.source, kind, source_ids)

    def scopes(self, reconcile: Reconcile) -> list[ReconcileScope]:
        """Where a complete listing's absentees are to be tombstoned."""
        return lifecycle.scopes(self._context.source, reconcile)
