"""Query indexes over the org, kept current from its change journal.

List endpoints walk a sorted list of keys from a keyset position instead of scanning every
task: keys are gids (16-digit, so string order is creation order) or ``"<sort>|<gid>"`` for
date or positional orders. The org journals every mutation; before serving a request the
sandbox replays the entries it has not seen, re-indexing just the touched records.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Iterable, Iterator
from heapq import merge
from itertools import islice

from pmosync.sandbox.org import Org


def key_gid(key: str) -> str:
    """The gid at the end of a key."""
    return key.rpartition("|")[2]


def positional(gids: Iterable[str]) -> SortedKeys:
    """Keys that keep a list's own order (sections in a project, items in a portfolio)."""
    return SortedKeys(f"{i:06d}|{g}" for i, g in enumerate(gids))


class SortedKeys:
    """A sorted list of key strings with keyset iteration."""

    __slots__ = ("keys",)

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self.keys = sorted(keys)

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, key: str) -> None:
        insort(self.keys, key)

    def discard(self, key: str) -> None:
        i = bisect_left(self.keys, key)
        if i < len(self.keys) and self.keys[i] == key:
            del self.keys[i]

    def after(
        self, key: str | None, low: str | None = None, high: str | None = None
    ) -> Iterator[str]:
        """Keys strictly after ``key`` (and from ``low``) up to the last key starting ``high|``."""
        keys = self.keys
        start = bisect_right(keys, key) if key is not None else 0
        if low is not None:
            start = max(start, bisect_left(keys, low))
        stop = bisect_right(keys, high + "|~") if high is not None else len(keys)
        return islice(keys, start, stop)


def merged_after(lists: Iterable[SortedKeys], key: str | None) -> Iterator[str]:
    """Keyset iteration over the union of several sorted lists (a portfolio's projects)."""
    return merge(*(keys.after(key) for keys in lists))


def newest_first(seconds: float, gid: str) -> str:
    """A key that sorts later moments (then later gids) first: ``<inverted ms><inverted
    gid>|<gid>``."""
    return f"{10**14 - round(seconds * 1000):014d}{10**17 - int(gid):017d}|{gid}"


EMPTY = SortedKeys()


class OrgIndex:
    """Sorted key lists for every filtered listing the sandbox serves."""

    def __init__(self, org: Org) -> None:
        self.org = org
        self.tasks_by_project: defaultdict[str, SortedKeys] = defaultdict(SortedKeys)
        self.tasks_by_section: defaultdict[str, SortedKeys] = defaultdict(SortedKeys)
        self.tasks_by_assignee: defaultdict[str, SortedKeys] = defaultdict(SortedKeys)
        self.entries_by_task: defaultdict[str, SortedKeys] = defaultdict(SortedKeys)
        self.entries_by_project: defaultdict[str, SortedKeys] = defaultdict(SortedKeys)
        self.entries_by_user: defaultdict[str, SortedKeys] = defaultdict(SortedKeys)
        self.entries_by_date = SortedKeys()
        self.statuses_by_project: defaultdict[str, SortedKeys] = defaultdict(SortedKeys)
        """Newest first (see ``newest_first``), as Asana lists a parent's status updates."""
        self.stories_by_task: defaultdict[str, SortedKeys] = defaultdict(SortedKeys)
        self.allocations_by_project: defaultdict[str, SortedKeys] = defaultdict(SortedKeys)
        self.allocations_by_assignee: defaultdict[str, SortedKeys] = defaultdict(SortedKeys)
        self._task_keys: dict[str, tuple[str | None, str | None, str | None]] = {}
        self._entry_keys: dict[str, tuple[str, str, str, str]] = {}
        self._status_keys: dict[str, tuple[str, str]] = {}
        self._story_keys: dict[str, str] = {}
        self._allocation_keys: dict[str, tuple[str, str]] = {}
        with org.lock:
            for gid in sorted(org.tasks):
                self._index_task(gid)
            for gid in sorted(org.time_entries):
                self._index_entry(gid)
            for gid in sorted(org.status_updates):
                self._index_status(gid)
            for gid in sorted(org.allocations):
                self._index_allocation(gid)
            for gid in sorted(org.stories):
                self._index_story(gid)
            self.applied = len(org.changes)

    def refresh(self) -> None:
        """Apply journal entries made since the last refresh (caller holds ``org.lock``)."""
        changes = self.org.changes
        for change in changes[self.applied :]:
            reindex = self._REINDEX.get(change.resource_type)
            if reindex is not None:
                reindex(self, change.gid)
        self.applied = len(changes)

    # -- per-resource reindexing ------------------------------------------------------------

    def _index_task(self, gid: str) -> None:
        old = self._task_keys.pop(gid, None)
        if old is not None:
            for table, bucket in zip(
                (self.tasks_by_project, self.tasks_by_section, self.tasks_by_assignee),
                old,
                strict=True,
            ):
                if bucket is not None:
                    table[bucket].discard(gid)
        task = self.org.tasks.get(gid)
        if task is None:
            return
        new = (task.project_gid, task.section_gid, task.assignee_gid)
        for table, bucket in zip(
            (self.tasks_by_project, self.tasks_by_section, self.tasks_by_assignee), new, strict=True
        ):
            if bucket is not None:
                table[bucket].add(gid)
        self._task_keys[gid] = new

    def _index_entry(self, gid: str) -> None:
        old = self._entry_keys.pop(gid, None)
        if old is not None:
            task, project, user, dated = old
            self.entries_by_task[task].discard(gid)
            self.entries_by_project[project].discard(gid)
            self.entries_by_user[user].discard(gid)
            self.entries_by_date.discard(dated)
        entry = self.org.time_entries.get(gid)
        if entry is None:
            return
        new = (entry.task_gid, entry.project_gid, entry.user_gid, f"{entry.entered_on}|{gid}")
        self.entries_by_task[new[0]].add(gid)
        self.entries_by_project[new[1]].add(gid)
        self.entries_by_user[new[2]].add(gid)
        self.entries_by_date.add(new[3])
        self._entry_keys[gid] = new

    def _index_status(self, gid: str) -> None:
        old = self._status_keys.pop(gid, None)
        if old is not None:
            self.statuses_by_project[old[0]].discard(old[1])
        status = self.org.status_updates.get(gid)
        if status is not None:
            key = newest_first(status.created_at.timestamp(), gid)
            self.statuses_by_project[status.project_gid].add(key)
            self._status_keys[gid] = (status.project_gid, key)

    def _index_story(self, gid: str) -> None:
        old = self._story_keys.pop(gid, None)
        if old is not None:
            self.stories_by_task[old].discard(gid)
        story = self.org.stories.get(gid)
        if story is not None:
            self.stories_by_task[story.task_gid].add(gid)
            self._story_keys[gid] = story.task_gid

    def _index_allocation(self, gid: str) -> None:
        old = self._allocation_keys.pop(gid, None)
        if old is not None:
            self.allocations_by_project[old[0]].discard(gid)
            self.allocations_by_assignee[old[1]].discard(gid)
        allocation = self.org.allocations.get(gid)
        if allocation is not None:
            self.allocations_by_project[allocation.project_gid].add(gid)
            self.allocations_by_assignee[allocation.assignee_gid].add(gid)
            self._allocation_keys[gid] = (allocation.project_gid, allocation.assignee_gid)

    _REINDEX = {
        "task": _index_task,
        "time_tracking_entry": _index_entry,
        "status_update": _index_status,
        "allocation": _index_allocation,
        "story": _index_story,
    }

    # -- derived facts ----------------------------------------------------------------------

    def task_gids_in_project(self, project_gid: str) -> list[str]:
        return self.tasks_by_project.get(project_gid, EMPTY).keys

    def minutes_on_task(self, task_gid: str) -> int:
        entries = self.org.time_entries
        keys = self.entries_by_task.get(task_gid, EMPTY).keys
        return sum(entries[g].duration_minutes for g in keys)
