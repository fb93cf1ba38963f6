"""What every Asana stream mapper needs besides the raw record: the connector's configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pmosync.canonical.types import RaidKind
from pmosync.mapping.asana.custom_fields import CustomField, CustomFields
from pmosync.mapping.asana.rag import RagVocabulary
from pmosync.mapping.intake_vocabulary import IntakeVocabulary
from pmosync.mapping.priority import PriorityVocabulary
from pmosync.mapping.raid_vocabulary import RaidVocabulary


@dataclass(frozen=True, slots=True)
class RaidSettings:
    """The connector's ``raid:`` block as the mapping reads it (which task is a RAID item is
    the connector's to say: it tags the record ``_raid``)."""

    type_field: str = "RAID type"
    default_kind: RaidKind | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    """RAID field (probability, impact, ...) -> Asana custom field name or gid."""
    vocabulary: RaidVocabulary = field(default_factory=RaidVocabulary)


@dataclass(frozen=True, slots=True)
class IntakeSettings:
    """The connector's ``intake:`` block as the mapping reads it (which task is a request is
    the connector's to say: it tags the record ``_request``)."""

    stage_field: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    """Request field (sponsor, estimated_cost, ...) -> Asana custom field name or gid."""
    criteria: Mapping[str, str] = field(default_factory=dict)
    """Criterion name -> Asana custom field name or gid."""
    effort: Mapping[str, str] = field(default_factory=dict)
    """Role -> Asana number field name or gid."""
    hours_per_unit: float = 1.0
    """Hours in one unit of the effort fields (1 for hours, hours_per_day for days)."""
    default_currency: str | None = None
    vocabulary: IntakeVocabulary = field(default_factory=IntakeVocabulary)


@dataclass(frozen=True, slots=True)
class Context:
    """The connector's name (the ``source`` of every record) and its field configuration."""

    source: str
    fields: Mapping[str, str]
    """Canonical field (budget, rag, priority, ...) -> Asana custom field name or gid."""
    vocabulary: RagVocabulary
    priorities: PriorityVocabulary = field(default_factory=PriorityVocabulary)
    """Priority option names -> canonical priority (defaults plus ``priority_vocabulary``)."""
    raid: RaidSettings | None = None
    """None: the connector reads no RAID log."""
    intake: IntakeSettings | None = None
    """None: the connector reads no requests."""
    owned_fields: tuple[str, ...] = ()
    """Custom fields (name or gid) pmosync's write-back owns: left out of every record."""

    def custom_fields(self, raw: Mapping[str, Any]) -> CustomFields:
        """The custom fields of ``raw`` the team keeps (those write-back owns left out)."""
        return CustomFields(raw, self.owned_fields)

    def field(self, custom: CustomFields, canonical: str) -> CustomField | None:
        """The custom field configured for ``canonical``, if configured and on this record."""
        reference = self.fields.get(canonical)
        return custom.find(reference) if reference else None


def owned_fields(writeback: Any) -> tuple[str, ...]:
    """The custom fields a connector's ``writeback:`` block owns (read by attribute, as
    below): its rag_field, if any."""
    rag_field = getattr(writeback, "rag_field", None) if writeback is not None else None
    return (rag_field.field,) if rag_field is not None else ()


def raid_settings(block: Any) -> RaidSettings:
    """RaidSettings from the connector's ``raid:`` block (read by attribute: the mapping does
    not import the config models)."""
    return RaidSettings(
        type_field=block.type_field,
        default_kind=block.default_kind,
        fields=dict(block.fields),
        vocabulary=RaidVocabulary(
            block.type_vocabulary, block.status_vocabulary, block.rating_vocabulary
        ),
    )


def intake_settings(block: Any) -> IntakeSettings:
    """IntakeSettings from the connector's ``intake:`` block (read by attribute, as above)."""
    return IntakeSettings(
        stage_field=block.stage_field,
        fields=dict(block.fields),
        criteria=dict(block.criteria),
        effort=dict(block.effort),
        hours_per_unit=block.hours_per_day if block.effort_unit == "days" else 1.0,
        default_currency=block.default_currency,
        vocabulary=IntakeVocabulary(block.stage_vocabulary, block.risk_vocabulary),
    )
