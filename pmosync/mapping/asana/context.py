"""What every Asana stream mapper needs besides the raw record: the connector's configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pmosync.canonical.types import RaidKind
from pmosync.mapping.asana.custom_fields import CustomField, CustomFields
from pmosync.mapping.asana.rag import RagVocabulary
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

    def field(self, custom: CustomFields, canonical: str) -> CustomField | None:
        """The custom field configured for ``canonical``, if configured and on this record."""
        reference = self.fields.get(canonical)
        return custom.find(reference) if reference else None


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
