"""The words intake tools use for a request's stage and risk, and what each means.

Source-neutral, like the RAID vocabulary: an Asana section or single-select option, a
SharePoint choice column or a workbook cell say the same things ("Under review", "Parked",
"Medium"). The YAML's ``stage_vocabulary`` and ``risk_vocabulary`` add to or override these
defaults; words are matched case- and spacing-insensitively. A word no vocabulary names is
``None`` here and the caller quarantines the request, naming the word and the key that maps it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from pmosync.canonical.types import RequestStage
from pmosync.mapping.raid_vocabulary import DEFAULT_RATINGS, leading_number, normalise, whole

DEFAULT_STAGES: Mapping[str, RequestStage] = MappingProxyType(
    {
        "submitted": "submitted",
        "new": "submitted",
        "new request": "submitted",
        "new requests": "submitted",
        "received": "submitted",
        "intake": "submitted",
        "draft": "submitted",
        "under review": "under_review",
        "under_review": "under_review",
        "in review": "under_review",
        "review": "under_review",
        "triage": "under_review",
        "assessment": "under_review",
        "assessing": "under_review",
        "evaluation": "under_review",
        "scoring": "under_review",
        "approved": "approved",
        "accepted": "approved",
        "go": "approved",
        "rejected": "rejected",
        "declined": "rejected",
        "not approved": "rejected",
        "cancelled": "rejected",
        "canceled": "rejected",
        "withdrawn": "rejected",
        "on hold": "on_hold",
        "on_hold": "on_hold",
        "hold": "on_hold",
        "deferred": "on_hold",
        "parked": "on_hold",
        "backlog": "on_hold",
        "converted": "converted",
        "in delivery": "converted",
        "project created": "converted",
        "started": "converted",
    }
)


class IntakeVocabulary:
    """Stage and risk words -> canonical values, defaults plus the YAML's."""

    def __init__(
        self,
        stages: Mapping[str, RequestStage] = MappingProxyType({}),
        risks: Mapping[str, int] = MappingProxyType({}),
    ) -> None:
        self._stages = {**DEFAULT_STAGES, **{normalise(k): v for k, v in stages.items()}}
        self._risks = {**DEFAULT_RATINGS, **{normalise(k): v for k, v in risks.items()}}

    def stage(self, word: str) -> RequestStage | None:
        return self._stages.get(normalise(word))

    def risk(self, word: str) -> int | None:
        """A risk word ("High"), or an option starting with its number ("4 - High", "4")."""
        found = self._risks.get(normalise(word))
        return found if found is not None else whole(leading_number(word), 5)
