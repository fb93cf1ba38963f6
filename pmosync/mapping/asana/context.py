"""What every Asana stream mapper needs besides the raw record: the connector's configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pmosync.mapping.asana.custom_fields import CustomField, CustomFields
from pmosync.mapping.asana.rag import RagVocabulary
from pmosync.mapping.priority import PriorityVocabulary


@dataclass(frozen=True, slots=True)
class Context:
    """The connector's name (the ``source`` of every record) and its field configuration."""

    source: str
    fields: Mapping[str, str]
    """Canonical field (budget, rag, priority, ...) -> Asana custom field name or gid."""
    vocabulary: RagVocabulary
    priorities: PriorityVocabulary = field(default_factory=PriorityVocabulary)
    """Priority option names -> canonical priority (defaults plus ``priority_vocabulary``)."""

    def field(self, custom: CustomFields, canonical: str) -> CustomField | None:
        """The custom field configured for ``canonical``, if configured and on this record."""
        reference = self.fields.get(canonical)
        return custom.find(reference) if reference else None
