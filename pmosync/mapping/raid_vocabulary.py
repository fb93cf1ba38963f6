"""The words tools use for a RAID item's kind, status and ratings, and what each means.

Source-neutral: an Asana single-select option, a Planner label or a SharePoint choice column
say the same things ("Change request", "Mitigating", "Very high"). Each vocabulary starts with
these defaults and the YAML adds to or overrides them; names are matched case- and
spacing-insensitively. A word no vocabulary names is ``None`` here and the caller decides (the
Asana mapping quarantines the task, naming the word and the key that would map it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from pmosync.canonical.types import RaidKind, RaidStatus

DEFAULT_KINDS: Mapping[str, RaidKind] = MappingProxyType(
    {
        "risk": "risk",
        "risks": "risk",
        "issue": "issue",
        "issues": "issue",
        "assumption": "assumption",
        "assumptions": "assumption",
        "decision": "decision",
        "decisions": "decision",
        "change request": "change_request",
        "change requests": "change_request",
        "change": "change_request",
        "cr": "change_request",
        "change_request": "change_request",
        # one-letter marks, as in a Planner title "[R] Vendor late"
        "r": "risk",
        "i": "issue",
        "a": "assumption",
        "d": "decision",
    }
)

DEFAULT_STATUSES: Mapping[str, RaidStatus] = MappingProxyType(
    {
        "open": "open",
        "new": "open",
        "raised": "open",
        "proposed": "open",
        "pending": "open",
        "active": "open",  # a live risk: not closed, not necessarily being worked on
        "not started": "open",
        "identified": "open",
        "awaiting decision": "open",
        "in progress": "in_progress",
        "in_progress": "in_progress",
        "ongoing": "in_progress",
        "mitigating": "in_progress",
        "being mitigated": "in_progress",
        "monitoring": "in_progress",
        "escalated": "in_progress",
        "under review": "in_progress",
        "assessing": "in_progress",
        "closed": "closed",
        "resolved": "closed",
        "done": "closed",
        "complete": "closed",
        "completed": "closed",
        "mitigated": "closed",
        "accepted": "closed",
        "approved": "closed",
        "rejected": "closed",
        "decided": "closed",
        "cancelled": "closed",
        "canceled": "closed",
    }
)

DEFAULT_RATINGS: Mapping[str, int] = MappingProxyType(
    {
        "very low": 1,
        "rare": 1,
        "negligible": 1,
        "low": 2,
        "unlikely": 2,
        "minor": 2,
        "medium": 3,
        "moderate": 3,
        "possible": 3,
        "high": 4,
        "likely": 4,
        "major": 4,
        "very high": 5,
        "almost certain": 5,
        "critical": 5,
        "severe": 5,
    }
)


_LEADING_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)(?=\s|[-–—:.)]|$)")


def normalise(word: str) -> str:
    """A word as the vocabularies key it: case- and spacing-insensitive."""
    return " ".join(word.split()).casefold()


def leading_number(text: str) -> float | None:
    """The number a text starts with, before a space, a separator or the end ("3", "3.0",
    "4 - Likely", "2) Low", "5-Very high"); None when it starts with none."""
    match = _LEADING_NUMBER.match(text)
    return float(match.group(1)) if match else None


def whole(number: Any, high: int) -> int | None:
    """``number`` as an int when it is a whole number from 1 to ``high`` (3.0 is 3); None for
    3.5, 0, 7, a bool or no number at all. Ratings are 1-5, scores 1-25, in every source."""
    if isinstance(number, bool) or not isinstance(number, int | float):
        return None
    return int(number) if float(number).is_integer() and 1 <= number <= high else None


class RaidVocabulary:
    """Kind, status and rating words -> canonical values, defaults plus the YAML's."""

    def __init__(
        self,
        kinds: Mapping[str, RaidKind] = MappingProxyType({}),
        statuses: Mapping[str, RaidStatus] = MappingProxyType({}),
        ratings: Mapping[str, int] = MappingProxyType({}),
    ) -> None:
        self._kinds = {**DEFAULT_KINDS, **{normalise(k): v for k, v in kinds.items()}}
        self._statuses = {**DEFAULT_STATUSES, **{normalise(k): v for k, v in statuses.items()}}
        self._ratings = {**DEFAULT_RATINGS, **{normalise(k): v for k, v in ratings.items()}}

    def kind(self, word: str) -> RaidKind | None:
        return self._kinds.get(normalise(word))

    def status(self, word: str) -> RaidStatus | None:
        return self._statuses.get(normalise(word))

    def word_rating(self, word: str) -> int | None:
        """A rating word only ("Likely"), without reading a number from it."""
        return self._ratings.get(normalise(word))

    def rating(self, word: str) -> int | None:
        """A rating word, or an option starting with its number ("4 - Likely", "5")."""
        found = self.word_rating(word)
        return found if found is not None else whole(leading_number(word), 5)
