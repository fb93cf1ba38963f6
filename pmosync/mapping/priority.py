"""A task's priority in the PMO's four words, from a tool's option names or Planner's numbers.

Teams name their priority options as they like ("P1", "Blocker", "Nice to have"), and a new
option appears the day someone adds it in the tool. Refusing an unknown option used to send the
whole task to the quarantine, and with it out of every report (109 tasks vanished from one).
So an option no vocabulary names becomes the priority ``"unknown"``: the task is kept, the
unknown option is counted, and a warning naming it (and the key that maps it) is logged once
per option and connector.

The vocabulary starts with defaults and the YAML's ``priority_vocabulary`` adds to or overrides
them, as ``rag_vocabulary`` does for health:

- option names (Asana's enum field): Low, Medium, High, Urgent as Asana's own Priority field
  has them, and Critical, Important, Normal as teams often add them; case and spacing do not
  matter;
- Planner's ``priority`` number, 0 to 10, in the bands Microsoft documents for Planner:
  0-1 urgent, 2-4 important (high), 5-7 medium, 8-10 low. A number outside 0-10 is unknown.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from types import MappingProxyType
from typing import cast

from pmosync.canonical.types import PRIORITY_VALUES, Priority

log = logging.getLogger(__name__)

UNKNOWN: Priority = "unknown"
CHOICES = tuple(value for value in PRIORITY_VALUES if value != UNKNOWN)
"""What the YAML may map an option to."""

DEFAULT_OPTIONS: Mapping[str, Priority] = MappingProxyType(
    {
        "low": "low",
        "medium": "medium",
        "normal": "medium",
        "high": "high",
        "important": "high",
        "urgent": "urgent",
        "critical": "urgent",
    }
)
"""Option names (normalised: lower case, single spaces) -> canonical priority."""

PLANNER_NUMBERS: Mapping[str, Priority] = MappingProxyType(
    {
        **dict.fromkeys(("0", "1"), "urgent"),
        **dict.fromkeys(("2", "3", "4"), "high"),
        **dict.fromkeys(("5", "6", "7"), "medium"),
        **dict.fromkeys(("8", "9", "10"), "low"),
    }
)
"""Planner's ``priority`` (as text) -> canonical priority, in Graph's documented bands."""

_NONE: Mapping[str, str] = MappingProxyType({})


def normalise(option: str) -> str:
    """An option name as the vocabulary keys it: case- and spacing-insensitive."""
    return " ".join(option.split()).casefold()


class PriorityVocabulary:
    """Option name (or Planner number) -> canonical priority; unknown options are counted.

    One vocabulary serves one connector's mapper, so the warning for an unknown option is
    logged once per connector and option however many tasks carry it."""

    def __init__(
        self,
        overrides: Mapping[str, str] = _NONE,
        *,
        defaults: Mapping[str, Priority] = DEFAULT_OPTIONS,
        source: str = "",
    ) -> None:
        self.source = source
        self._names: dict[str, Priority] = dict(defaults)
        for option, priority in overrides.items():
            if priority not in CHOICES:
                raise ValueError(
                    f"priority_vocabulary maps {option!r} to {priority!r}, "
                    f"not one of {', '.join(CHOICES)}"
                )
            self._names[normalise(str(option))] = cast(Priority, priority)
        self.unknown: Counter[str] = Counter()
        """How many times each unknown option was seen by this vocabulary."""

    def priority(self, option: str | int, field: str) -> Priority:
        """The priority ``option`` of ``field`` stands for; ``"unknown"`` (counted, and
        warned about the first time) when the vocabulary does not name it."""
        key = normalise(str(option))
        found = self._names.get(key)
        if found is not None:
            return found
        self.unknown[key] += 1
        if self.unknown[key] == 1:
            where = f"{self.source}: " if self.source else ""
            log.warning(
                "%spriority %r of %s is not in the priority vocabulary; its tasks get the "
                "priority 'unknown' (map it under priority_vocabulary to one of %s)",
                where,
                str(option),
                field,
                ", ".join(CHOICES),
            )
        return UNKNOWN


def planner_vocabulary(
    overrides: Mapping[str, str] = _NONE, *, source: str = ""
) -> PriorityVocabulary:
    """The vocabulary of a Planner connector: Graph's bands, then the YAML's numbers."""
    return PriorityVocabulary(overrides, defaults=PLANNER_NUMBERS, source=source)
