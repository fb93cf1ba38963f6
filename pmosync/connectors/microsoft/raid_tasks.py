"""Which Planner tasks are RAID items rather than work: those in a plan's RAID bucket and those
carrying a RAID label (the YAML's ``raid.bucket`` and ``raid.label``).

The tasks stream asks this of the listing it already has (no second crawl), marks the RAID
tasks' records for mapping, and reconciles work tasks and RAID tasks apart, so a task moved
into the RAID bucket leaves the plan's work and one moved out leaves the RAID log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pmosync.config.connectors import PlannerRaid


def _words(text: Any) -> str:
    return " ".join(str(text or "").split()).casefold()


def raid_bucket_ids(raid: PlannerRaid | None, buckets: Iterable[Mapping[str, Any]]) -> set[str]:
    """The ids of a plan's buckets named like the RAID bucket (case and spacing aside)."""
    if raid is None or raid.bucket is None:
        return set()
    wanted = _words(raid.bucket)
    return {str(b.get("id")) for b in buckets if _words(b.get("name")) == wanted}


def is_raid_task(
    raid: PlannerRaid | None,
    task: Mapping[str, Any],
    categories: Mapping[str, Any],
    bucket_ids: set[str],
) -> bool:
    """In a RAID bucket, or carrying a label the raid block names."""
    if raid is None:
        return False
    if task.get("bucketId") in bucket_ids:
        return True
    if not raid.label:
        return False
    wanted = {_words(name) for name in raid.label.values()}
    applied = task.get("appliedCategories") or {}
    if not isinstance(applied, Mapping):
        return False
    return any(on and _words(categories.get(key) or key) in wanted for key, on in applied.items())


def raid_marker(raid: PlannerRaid | None, bucket_ids: set[str]) -> Any:
    """What, besides a task's own etag, decides whether it is RAID: a renamed bucket or an
    edited raid block re-maps the plan's tasks (None without a raid block, so a checkpoint
    from before RAID stays valid)."""
    if raid is None:
        return None
    return [raid.bucket, sorted(raid.label.values()), sorted(bucket_ids)]
