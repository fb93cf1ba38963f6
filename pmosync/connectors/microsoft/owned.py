"""What of a plan pmosync's write-back owns, which the Planner streams never read back.

A Planner ``writeback:`` block owns two things in every plan (``pmosync.config.writeback``):

- the status bucket (``status_task.bucket``, "PMO"), matched as every bucket name is, case and
  spacing aside: its tasks are pmosync's status task, never the team's work, a RAID item or the
  rag source's status task, and the bucket itself is no phase of the plan;
- the label slot (``label.category``, category25): whatever name it carries ("PMO: Red") it is
  the PMO's computed RAG, never a tag of a task, a RAG label or a RAID label.

The streams drop them before anything else looks at a listing, so what pmosync wrote is never
taken in as the team's word (an echo would make the reported RAG equal the computed one) and
a write of pmosync's changes nothing the next sync stores. The write mark is not needed here:
ownership is by place (a bucket, a label slot), as the YAML says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pmosync.config.writeback import PlannerWriteback


def _words(text: Any) -> str:
    return " ".join(str(text or "").split()).casefold()


class Owned:
    """One Planner connector's owned bucket name and label slot (either may be None)."""

    def __init__(self, writeback: PlannerWriteback | None) -> None:
        task = writeback.status_task if writeback is not None else None
        label = writeback.label if writeback is not None else None
        self.bucket: str | None = task.bucket if task is not None else None
        self.category: str | None = label.category if label is not None else None

    @property
    def marker(self) -> Any:
        """What the tasks' mapping depends on besides their etags (None when nothing is
        owned, so a checkpoint from before write-back stays valid)."""
        if self.bucket is None and self.category is None:
            return None
        return ["owned", _words(self.bucket), self.category]

    def bucket_ids(self, buckets: Iterable[Mapping[str, Any]]) -> set[str]:
        """The ids of a plan's buckets named like the status bucket (case and spacing aside)."""
        if self.bucket is None:
            return set()
        wanted = _words(self.bucket)
        return {str(b.get("id")) for b in buckets if _words(b.get("name")) == wanted}

    def team_buckets(self, buckets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A plan's buckets without the status bucket."""
        owned = self.bucket_ids(buckets)
        return [b for b in buckets if str(b.get("id")) not in owned]

    def team_tasks(self, tasks: list[dict[str, Any]], owned: set[str]) -> list[dict[str, Any]]:
        """The tasks outside the ``owned`` buckets, each without the owned label."""
        return [self.unlabelled(t) for t in tasks if t.get("bucketId") not in owned]

    def unlabelled(self, task: dict[str, Any]) -> dict[str, Any]:
        """``task`` without the owned label among its ``appliedCategories`` (a copy, when it
        carries it)."""
        applied = task.get("appliedCategories")
        if self.category is None or not isinstance(applied, Mapping):
            return task
        if self.category not in applied:
            return task
        kept = {key: on for key, on in applied.items() if key != self.category}
        return {**task, "appliedCategories": kept}

    def plan_details(self, details: Any) -> Any:
        """A plan's details without the owned label's name among ``categoryDescriptions``."""
        if self.category is None or not isinstance(details, Mapping):
            return details
        labels = details.get("categoryDescriptions")
        if not isinstance(labels, Mapping) or self.category not in labels:
            return details
        kept = {key: name for key, name in labels.items() if key != self.category}
        return {**details, "categoryDescriptions": kept}
