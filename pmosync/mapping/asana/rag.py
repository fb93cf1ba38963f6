"""Project health in the PMO's five colours, from a health field or from a status update.

Teams say health two ways in Asana: the status update's ``status_type`` (a fixed list in the
spec) or a single-select custom field whose option names are theirs to choose. The fixed list
maps once here; option names go through a vocabulary that starts with the names Asana and most
teams use and that the YAML's ``rag_vocabulary`` extends or overrides.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import cast

from pmosync.canonical.types import RAG, RAG_VALUES
from pmosync.mapping.result import MappingError

STATUS_TYPE_RAG: dict[str, RAG] = {
    "on_track": "green",
    "at_risk": "amber",
    "off_track": "red",
    "on_hold": "blue",
    "complete": "complete",
    # Goal statuses (the spec lists them on the same enum); a project should not carry them,
    # but an older update or a converted goal can.
    "achieved": "complete",
    "partial": "amber",
    "missed": "red",
    "dropped": "blue",
}
"""Every ``status_type`` of StatusUpdateBase in Asana's OpenAPI spec."""

DEFAULT_VOCABULARY: dict[str, RAG] = {
    "on track": "green",
    "green": "green",
    "at risk": "amber",
    "amber": "amber",
    "yellow": "amber",
    "off track": "red",
    "red": "red",
    "on hold": "blue",
    "blue": "blue",
    "complete": "complete",
    "done": "complete",
}
"""Option names most health fields use, keyed in lower case."""

_NONE: Mapping[str, str] = MappingProxyType({})


def _key(option: str) -> str:
    return " ".join(option.split()).casefold()


class RagVocabulary:
    """Option name of a health field -> RAG, case- and spacing-insensitive."""

    def __init__(self, overrides: Mapping[str, str] = _NONE) -> None:
        self._names: dict[str, RAG] = dict(DEFAULT_VOCABULARY)
        for option, rag in overrides.items():
            if rag not in RAG_VALUES:
                raise ValueError(f"rag_vocabulary maps {option!r} to {rag!r}, not a RAG value")
            self._names[_key(option)] = cast(RAG, rag)

    def option(self, option: str, field: str) -> RAG:
        """The RAG an option stands for; an unknown option is the user's to name."""
        try:
            return self._names[_key(option)]
        except KeyError:
            choices = ", ".join(RAG_VALUES)
            raise MappingError(
                f"option {option!r} of the rag field {field!r} is not in the RAG vocabulary; "
                f"add it to rag_vocabulary ({choices})"
            ) from None


def status_type_rag(status_type: str | None) -> RAG | None:
    """The RAG of a status update's ``status_type``; ``None`` when there is no update."""
    if status_type is None:
        return None
    try:
        return STATUS_TYPE_RAG[status_type]
    except KeyError:
        raise MappingError(f"status_type {status_type!r} is not an Asana status type") from None
