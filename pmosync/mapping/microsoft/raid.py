"""RAID items from Microsoft 365: Planner tasks of a RAID bucket or carrying a RAID label, and
the items of SharePoint lists kept as RAID logs ("Risks", "Issues").

Planner has no RAID fields, so a task says what it can:

- its kind by a RAID label (the YAML's ``raid.label``, e.g. ``{risk: Risk}``) or, failing that,
  a title prefix read through the kind vocabulary ("Risk: vendor late", "[Issue] ...",
  "Decision - ..."); a RAID task naming no kind is quarantined, naming the plan and the task;
- its status by its progress: not started = open, in progress = in_progress, done = closed
  (closed on the day it was completed);
- its owner: the person assigned first (earliest ``assignedDateTime``, then Planner's order);
- probability and impact only when its title or description carries marks such as ``P3 I4``
  (both 1-5; ``P7`` is quarantined). Reading them out of a checklist or prose would be guessing,
  so without marks they stay empty and so does the score.

A list item's fields come by the list's internal column names the YAML gives: choices as text
through the status, kind and rating vocabularies (an unknown word is quarantined, naming the
list and the item id), numbers as int or float (3.0 is 3; 3.5 or 7 is no 1-5 rating), dates as
midnight in the site's zone given back in UTC (read back as the site's day), a multi-line rich
text column as HTML (read as its text; a plain text column is kept as written, markup and
all), the owner as the Graph user the connector resolved from the Person column. An item
naming no plan this connector syncs is portfolio-wide (``project_id`` None); the connector
notes it.

Source ids: ``task:<task id>`` for a Planner task, ``list:<list id>:<item id>`` for a list
item, so each listing retires only its own items.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from typing import Any

from pmosync.canonical.types import RAID_KINDS, PersonIdentity, Project, RaidItem
from pmosync.contracts.rich_text import html_text
from pmosync.mapping.raid_vocabulary import RaidVocabulary, leading_number, normalise, whole
from pmosync.mapping.result import Mapped, MappingError
from pmosync.mapping.values import build, local_day_of, parse_timestamp

TASK_PREFIX = "task:"
"""Source-id prefix of a Planner task's RAID item."""

_BRACKETED = re.compile(r"^\s*[\[(]\s*([^\])]{1,40}?)\s*[\])]\s*[:|\-–—]?\s*(.*)$", re.S)
_SEPARATED = re.compile(r"^\s*([^:|\[\]()]{1,40}?)\s*(?::|\||\s[-–—]\s)\s*(.*)$", re.S)
_MARKS = re.compile(r"(?<![\w])P\s*(\d+)\s*[,/]?\s*I\s*(\d+)(?![\w])", re.I)


class RaidRules:
    """One connector's RAID vocabularies and lists, from the YAML's ``raid`` block (as plain
    data: mapping does not read config models)."""

    def __init__(self, raid: Mapping[str, Any] | None) -> None:
        raid = raid or {}
        self.bucket: str | None = raid.get("bucket")
        self.labels = {normalise(name): kind for kind, name in (raid.get("label") or {}).items()}
        self.words = RaidVocabulary(
            raid.get("kind_vocabulary") or {},
            raid.get("status_vocabulary") or {},
            raid.get("rating_vocabulary") or {},
        )
        self.lists = {(spec["site"], spec["list"]): spec for spec in raid.get("lists") or ()}

    def kind_word(self, value: str) -> str | None:
        return self.words.kind(value)

    def split_prefix(self, title: str) -> tuple[str | None, str]:
        """(kind, rest) of a title starting with a kind word and a separator ("Risk: x",
        "[Issue] x", "CR - x"); (None, title) when it starts with no known kind."""
        for pattern in (_BRACKETED, _SEPARATED):
            match = pattern.match(title)
            if match is not None:
                kind = self.kind_word(match.group(1))
                if kind is not None and match.group(2).strip():
                    return kind, match.group(2).strip()
        return None, title


# -- Planner tasks -----------------------------------------------------------------------------


def _marks(text: str, where: str) -> tuple[int | None, int | None, str]:
    """Probability and impact from a ``P3 I4`` mark, and the text without it."""
    match = _MARKS.search(text)
    if match is None:
        return None, None, text
    probability, impact = int(match.group(1)), int(match.group(2))
    for name, value in (("probability", probability), ("impact", impact)):
        if not 1 <= value <= 5:
            raise MappingError(f"{where}: {name} {value} in {match.group(0)!r} is not 1-5")
    rest = (text[: match.start()] + " " + text[match.end() :]).strip(" \t-–—|,;")
    return probability, impact, " ".join(rest.split()) if rest else text


def first_assignee(task: Mapping[str, Any]) -> str | None:
    """The person assigned first: earliest ``assignedDateTime``, then the assignees' order
    in Planner (``orderHint``), then user id."""
    assignments = task.get("assignments") or {}
    if not isinstance(assignments, Mapping) or not assignments:
        return None

    def order(user: str) -> tuple[str, str, str]:
        entry = assignments.get(user)
        entry = entry if isinstance(entry, Mapping) else {}
        return (str(entry.get("assignedDateTime") or "9999"), str(entry.get("orderHint")), user)

    return min(assignments, key=order)


def map_raid_task(source: str, raw: Mapping[str, Any], rules: RaidRules, zone: tzinfo) -> Mapped:
    """A Planner task the connector marked as RAID (``raid: true``) -> RaidItem."""
    task = raw.get("task")
    if not isinstance(task, Mapping):
        raise MappingError("record has no task object")
    task_id, plan = str(task.get("id") or ""), str(task.get("planId") or "")
    if not task_id or not plan:
        raise MappingError("record has no task id or planId")
    where = f"plan {plan} task {task_id}"
    labels = raw.get("categoryDescriptions") or {}
    applied = task.get("appliedCategories") or {}
    if not isinstance(labels, Mapping) or not isinstance(applied, Mapping):
        raise MappingError(f"{where}: appliedCategories or categoryDescriptions is no object")
    names = {normalise(str(labels.get(k) or k)) for k, on in applied.items() if on}
    labelled = {rules.labels[n] for n in names if n in rules.labels}
    title = str(task.get("title") or "")
    prefixed, rest = rules.split_prefix(title)
    kind = next((k for k in RAID_KINDS if k in labelled), None) or prefixed
    if kind is None:
        raise MappingError(
            f"{where} {title!r}: a RAID task names no kind (apply a RAID label, or start the "
            "title with a kind such as 'Risk: ' or '[Issue] ')"
        )
    details = raw.get("details") or {}
    description = details.get("description") if isinstance(details, Mapping) else None
    description = description if isinstance(description, str) and description.strip() else None
    probability, impact, rest = _marks(rest, where)
    if probability is None and description:
        probability, impact, _ = _marks(description, where)
    percent = task.get("percentComplete") or 0
    status = "closed" if percent == 100 else "in_progress" if percent else "open"
    owner = first_assignee(task)
    item = build(
        RaidItem,
        source=source,
        source_id=TASK_PREFIX + task_id,
        source_url=f"https://planner.cloud.microsoft/webui/plan/{plan}/view/board/task/{task_id}",
        project_id=Project.ref(source, plan),
        kind=kind,
        title=rest,
        description=description,
        owner_identity_id=PersonIdentity.ref(source, owner) if owner else None,
        status=status,
        raised_on=local_day_of(task, "createdDateTime", zone),
        due_date=local_day_of(task, "dueDateTime", zone),
        closed_on=(
            local_day_of(task, "completedDateTime", zone)
            if status == "closed"
            else None
        ),
        probability=probability,
        impact=impact,
    )
    return Mapped([item])


# -- SharePoint list items ---------------------------------------------------------------------


def _rating(value: Any, field: str, rules: RaidRules, where: str) -> int | None:
    """A 1-5 rating from a number, a numeric text ("3", "3 - Medium") or a word."""
    if value is None or value == "":
        return None
    number: Any = value
    if isinstance(value, str):
        found = rules.words.word_rating(value)
        if found is not None:
            return found
        number = leading_number(value)
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise MappingError(f"{where}: {field} {value!r} is not a rating (1-5 or a known word)")
    rating = whole(number, 5)
    if rating is None:
        raise MappingError(f"{where}: {field} {value!r} is not a whole number from 1 to 5")
    return rating


def _score(value: Any, where: str) -> int | None:
    if value is None or value == "":
        return None
    number = value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    score = whole(number, 25)
    if score is None:
        raise MappingError(f"{where}: score {value!r} is not a whole number from 1 to 25")
    return score


def _list_day(value: Any, field: str, zone: tzinfo, where: str) -> date | None:
    """A date column's value as the site's day: SharePoint keeps the day as midnight in the
    site's zone and Graph gives it back in UTC (24 Nov in Paris reads 2026-11-23T23:00:00Z)."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    try:
        moment = parse_timestamp(value, field)
    except MappingError:
        raise MappingError(f"{where}: {field} {value!r} is not a date") from None
    assert isinstance(moment, datetime)
    return moment.astimezone(zone).date()


def list_item_key(list_id: str, item_id: str) -> str:
    """Source id (and quarantine key) of a RAID list item."""
    return f"list:{list_id}:{item_id}"


def map_raid_list_item(
    source: str, raw: Mapping[str, Any], rules: RaidRules, zone: tzinfo
) -> Mapped:
    """raid_items ({raidItem, list, listId, site, planIds, ownerId, richColumns}) -> RaidItem."""
    item = raw.get("raidItem")
    if not isinstance(item, Mapping) or not isinstance(item.get("fields"), Mapping):
        raise MappingError("record has no list item with fields")
    item_id = str(item.get("id") or "").strip()
    list_name = str(raw.get("list") or "?")
    where = f"list {list_name!r} item {item_id or '?'}"
    spec = rules.lists.get((raw.get("site"), raw.get("configured") or list_name))
    if spec is None:
        raise MappingError(f"{where}: the list is no longer under raid.lists")
    if not item_id:
        raise MappingError(f"{where}: the item has no id")
    columns: Mapping[str, str] = spec.get("columns") or {"title": "Title"}
    fields = item["fields"]
    rich = set(raw.get("richColumns") or ())

    def value(name: str) -> Any:
        column = columns.get(name)
        return fields.get(column) if column else None

    def words(name: str) -> str | None:
        found = value(name)
        if found is None or found == "":
            return None
        if not isinstance(found, str | int | float) or isinstance(found, bool):
            raise MappingError(f"{where}: {columns[name]} is not text: {found!r}")
        text = str(found)
        if columns[name] in rich:
            text = html_text(text)
        return text if text.strip() else None

    title = words("title")
    if title is None:
        raise MappingError(f"{where}: {columns.get('title', 'Title')} (the title) is empty")
    kind = spec.get("kind")
    if kind is None:
        word = words("type")
        kind = rules.kind_word(word) if word else None
        if kind is None:
            raise MappingError(
                f"{where}: {columns.get('type')} {word!r} is no RAID kind (map it under "
                "raid.kind_vocabulary to risk, issue, assumption, decision or change_request)"
            )
    said = words("status")
    status = rules.words.status(said) if said else "open"
    if status is None:
        raise MappingError(
            f"{where}: {columns.get('status')} {said!r} is no known status (map it under "
            "raid.status_vocabulary to open, in_progress or closed)"
        )
    plans = raw.get("planIds") or []
    owner = raw.get("ownerId")
    created = parse_timestamp(item.get("createdDateTime"), "createdDateTime")
    raised = _list_day(value("raised"), columns.get("raised", "raised"), zone, where)
    record = build(
        RaidItem,
        source=source,
        source_id=list_item_key(str(raw.get("listId") or list_name), item_id),
        source_url=item.get("webUrl") or raw.get("listUrl"),
        project_id=Project.ref(source, str(plans[0])) if len(plans) == 1 else None,
        kind=kind,
        title=title,
        description=words("description"),
        owner_identity_id=PersonIdentity.ref(source, owner) if isinstance(owner, str) else None,
        status=status,
        raised_on=raised or (created.astimezone(zone).date() if created else None),
        due_date=_list_day(value("due"), columns.get("due", "due"), zone, where),
        closed_on=_list_day(value("closed"), columns.get("closed", "closed"), zone, where),
        probability=_rating(value("probability"), columns.get("probability", ""), rules, where),
        impact=_rating(value("impact"), columns.get("impact", ""), rules, where),
        score=_score(value("score"), where),
        mitigation=words("mitigation"),
        resolution=words("resolution"),
    )
    return Mapped([record])
