"""RAID log figures: top risks, the 5x5 heat map, overdue issues, decisions awaited, change
requests; pure functions over ``Dataset.raid_items`` (``RaidRow``) and a report date.

What the figures mean (docs/reports.md, "RAID log", says the same):

- *Open* is status ``open`` or ``in_progress``; ``closed`` is closed whatever ``closed_on`` says
  (the source's status is what its owner set).
- *Score* is probability x impact on the 1-5 x 1-5 matrix (1-25), or the source's own score when
  it states one (``canonical.RaidItem``); an item without a score sorts after every scored one.
- *Overdue*: an open issue whose due date is before the report date; days overdue are calendar
  days (``as_of - due_date``), not working days: a RAID action's due date is a promise to a
  person, and a weekend does not pause it.
- *Awaited*: an open decision; its age counts calendar days since it was raised, and it is
  "due soon" when its due date is within ``warning_days`` of the report date.
- A change request is *approved* or *rejected* when it is closed and its resolution's first
  word says so (approved/accepted, rejected/declined/refused, any case); closed otherwise
  ("closed", outcome not stated); open while not closed.

A report of a past day passes ``known_by(items, as_of)`` first, so items raised after that day
do not appear in it. Every function returns new lists and never fails on missing fields: an
undated, unscored or unowned item is placed last, not dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from pmosync.canonical import RAID_KINDS, RAID_STATUSES
from pmosync.config.reports import RaidRules
from pmosync.reports.dataset import RaidRow

OPEN_STATUSES = frozenset({"open", "in_progress"})
"""The statuses of an item still needing attention."""
RATINGS = (1, 2, 3, 4, 5)
"""The probability and impact scale of the 5x5 matrix."""
HIGH_SCORE: int = RaidRules.model_fields["high_score"].default
"""The default top-risk threshold, the YAML's own (``RaidRules.high_score``, 15): 15, 16, 20 and
25 are the scores of a risk at least likely (3) and severe (5), or likely and major (4 x 4)."""
APPROVED_WORDS = frozenset({"approved", "approve", "accepted", "accept"})
REJECTED_WORDS = frozenset({"rejected", "reject", "declined", "decline", "refused", "refuse"})
CR_OUTCOMES = ("open", "approved", "rejected", "closed")
"""A change request's outcome (:func:`change_request_outcome`), in the order reports show."""

_LAST = date.max


def is_open(item: RaidRow) -> bool:
    """Whether ``item`` still needs attention (open or in progress)."""
    return item.status in OPEN_STATUSES


def known_by(items: Iterable[RaidRow], as_of: date) -> list[RaidRow]:
    """The items raised by the end of ``as_of`` (and those without a raised date: their day is
    unknown, so they are not hidden)."""
    return [i for i in items if i.raised_on is None or i.raised_on <= as_of]


def _by_score(item: RaidRow) -> tuple[int, date, str, str]:
    """Highest score first, then earliest due date, then title; unscored and undated last."""
    score = item.score if item.score is not None else 0
    return (-score, item.due_date or _LAST, item.title.casefold(), item.id)


def open_of_kind(items: Iterable[RaidRow], kind: str) -> list[RaidRow]:
    """Open items of ``kind`` (a ``RAID_KINDS`` value) by score, due date, then title."""
    return sorted((i for i in items if i.kind == kind and is_open(i)), key=_by_score)


def top_risks(items: Iterable[RaidRow], limit: int | None = 10) -> list[RaidRow]:
    """The open risks by score (highest first), then due date (earliest first), then title;
    at most ``limit`` of them (None: all)."""
    risks = open_of_kind(items, "risk")
    return risks if limit is None else risks[:limit]


@dataclass(frozen=True)
class HeatMap:
    """Open risks counted on the 5x5 matrix: ``counts[(probability, impact)]``; ``unrated`` are
    open risks lacking a probability or an impact (they cannot be placed, and are not lost)."""

    counts: dict[tuple[int, int], int]
    unrated: int = 0

    def count(self, probability: int, impact: int) -> int:
        return self.counts.get((probability, impact), 0)

    def grid(self) -> tuple[tuple[int, ...], ...]:
        """Rows of counts as a risk matrix is drawn: probability 5 (top) down to 1, each row
        impact 1 (left) to 5."""
        return tuple(tuple(self.count(p, i) for i in RATINGS) for p in reversed(RATINGS))

    @property
    def rated(self) -> int:
        return sum(self.counts.values())


def heat_map(items: Iterable[RaidRow]) -> HeatMap:
    """Open risks by (probability, impact). A rating outside 1-5 (an odd row) counts as
    unrated rather than landing off the grid."""
    counts: dict[tuple[int, int], int] = {}
    unrated = 0
    for item in items:
        if item.kind != "risk" or not is_open(item):
            continue
        p, i = item.probability, item.impact
        if p in RATINGS and i in RATINGS:
            counts[(p, i)] = counts.get((p, i), 0) + 1
        else:
            unrated += 1
    return HeatMap(counts, unrated)


@dataclass(frozen=True)
class Overdue:
    """An open item past its due date by ``days`` calendar days (at least 1)."""

    item: RaidRow
    days: int


def overdue_issues(items: Iterable[RaidRow], as_of: date) -> list[Overdue]:
    """Open issues due before ``as_of``, most overdue first (then by score, then title).
    Days overdue are calendar days: ``(as_of - due_date).days``."""
    found = [
        Overdue(i, (as_of - i.due_date).days)
        for i in items
        if i.kind == "issue" and is_open(i) and i.due_date is not None and i.due_date < as_of
    ]
    found.sort(key=lambda o: (-o.days, *_by_score(o.item)))
    return found


@dataclass(frozen=True)
class Awaited:
    """An open decision: ``age_days`` since it was raised (None: no raised date),
    ``due_in_days`` until its due date (negative: past it; None: no due date), and ``state``:
    "overdue", "due soon" (within the warning days) or None."""

    item: RaidRow
    age_days: int | None
    due_in_days: int | None
    state: str | None


def decisions_awaited(
    items: Iterable[RaidRow], as_of: date, warning_days: int = 7
) -> list[Awaited]:
    """Open decisions, those due first (earliest due date; undated last, oldest first among
    them). A decision is "overdue" when due before ``as_of``, "due soon" when due within
    ``warning_days`` calendar days from ``as_of`` (inclusive)."""
    out = []
    for item in items:
        if item.kind != "decision" or not is_open(item):
            continue
        age = (as_of - item.raised_on).days if item.raised_on is not None else None
        due_in = (item.due_date - as_of).days if item.due_date is not None else None
        state = None
        if due_in is not None and due_in < 0:
            state = "overdue"
        elif due_in is not None and due_in <= warning_days:
            state = "due soon"
        out.append(Awaited(item, age, due_in, state))
    out.sort(
        key=lambda a: (
            a.item.due_date or _LAST,
            -(a.age_days if a.age_days is not None else -1),
            a.item.title.casefold(),
            a.item.id,
        )
    )
    return out


def raised_between(items: Iterable[RaidRow], start: date, end: date) -> list[RaidRow]:
    """Items of any kind and status raised from ``start`` to ``end``, both days included,
    earliest first (then by score); items without a raised date are not in any period."""
    found = [i for i in items if i.raised_on is not None and start <= i.raised_on <= end]
    found.sort(key=lambda i: (i.raised_on, *_by_score(i)))
    return found


def new_top_risks(
    items: Iterable[RaidRow], start: date, end: date, threshold: int = HIGH_SCORE
) -> list[RaidRow]:
    """Open risks raised from ``start`` to ``end`` (both included) scoring at least
    ``threshold``, highest score first: the executive summary's "new top risks"."""
    found = [
        i
        for i in raised_between(items, start, end)
        if i.kind == "risk" and is_open(i) and i.score is not None and i.score >= threshold
    ]
    found.sort(key=_by_score)
    return found


def high_risks(items: Iterable[RaidRow], threshold: int = HIGH_SCORE) -> list[RaidRow]:
    """Open risks scoring at least ``threshold``, highest first."""
    return [r for r in top_risks(items, None) if r.score is not None and r.score >= threshold]


def counts_by_kind(items: Iterable[RaidRow]) -> dict[str, dict[str, int]]:
    """``{kind: {status: count}}`` with every kind and status present (zeros included); a row
    with an unknown kind or status (an odd snapshot) is not counted."""
    counts = {kind: dict.fromkeys(RAID_STATUSES, 0) for kind in RAID_KINDS}
    for item in items:
        if item.kind in counts and item.status in counts[item.kind]:
            counts[item.kind][item.status] += 1
    return counts


def change_request_outcome(item: RaidRow) -> str:
    """ "open" while not closed; once closed "approved" or "rejected" when the resolution's
    first word says so (see the module docs), else "closed"."""
    if is_open(item):
        return "open"
    words = (item.resolution or "").strip().split(maxsplit=1)
    first = words[0].strip(".:;,-!").casefold() if words else ""
    if first in APPROVED_WORDS:
        return "approved"
    if first in REJECTED_WORDS:
        return "rejected"
    return "closed"


def change_requests(items: Iterable[RaidRow]) -> dict[str, int]:
    """Change requests by outcome (``CR_OUTCOMES``, zeros included)."""
    counts = dict.fromkeys(CR_OUTCOMES, 0)
    for item in items:
        if item.kind == "change_request":
            counts[change_request_outcome(item)] += 1
    return counts
