"""A Planner plan's RAG, where Planner itself has no status updates.

Planner has no status field and no status updates, so a PMO agrees with its project managers
on where the word is written; the YAML's ``rag_source`` names it, and the connector attaches
what it names to each plan record (the status tasks, in Planner's order) or reads the status
list's items. Here those become the PMO's colours through a RAG vocabulary (the Asana one's
names: On track, At risk, Off track, Green, Amber, Red...; the YAML's ``rag_vocabulary`` adds
to it):

- ``label``: the labels (plan categories) applied to the status task; when several RAG labels
  are applied the most severe counts (red, then amber, green, blue, complete);
- ``task`` and ``bucket``: the word a status task's title starts with ("At risk - vendor late"),
  after the configured prefix for ``task`` ("Status: At risk"); the first status task in
  Planner's order counts;
- ``list``: each item of the status list is a ``StatusUpdate`` posted when the item was last
  modified, by whoever modified it, so the staleness rule applies to it.

A word the vocabulary does not know leaves the plan without a reported RAG and is logged once
per connector and word, naming the key that maps it: the plan itself is always kept.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from pmosync.canonical.types import RAG, PersonIdentity, Project, StatusUpdate
from pmosync.mapping.asana.rag import RagVocabulary
from pmosync.mapping.result import Mapped, MappingError
from pmosync.mapping.values import build, parse_timestamp

log = logging.getLogger(__name__)

SEVERITY: tuple[RAG, ...] = ("red", "amber", "green", "blue", "complete")
"""Which of several applied RAG labels counts: the first of this order."""
_SEPARATORS = re.compile(r"\s*(?:[:;,|/]|\s[-–—]\s|[-–—]\s|\s[-–—])\s*")
"""What people put between a status word and the rest of a title ("At risk - late")."""


def _words(text: str) -> str:
    return " ".join(text.split())


class RagReader:
    """One Planner connector's way from a status word or label to a RAG."""

    def __init__(self, kind: str | None, name: str | None, vocabulary: Mapping[str, str], *,
                 source: str = "") -> None:  # fmt: skip
        self.kind = kind
        self.name = _words(name or "")
        self.vocabulary = RagVocabulary(vocabulary)
        self.source = source
        self._warned: set[str] = set()

    def word(self, text: str | None) -> RAG | None:
        """The RAG ``text`` says, trying the whole text, then the part before each separator
        (``At risk - vendor late`` -> ``At risk``); None when empty or not in the vocabulary."""
        text = _words(text or "")
        if not text:
            return None
        candidates = [text]
        for match in _SEPARATORS.finditer(text):
            candidates.append(text[: match.start()])
        for candidate in candidates:
            found = self._known(candidate)
            if found is not None:
                return found
        self._unknown(text)
        return None

    def _known(self, option: str) -> RAG | None:
        try:
            return self.vocabulary.option(option, "rag_source")
        except MappingError:
            return None

    def _unknown(self, text: str) -> None:
        if text.casefold() in self._warned:
            return
        self._warned.add(text.casefold())
        where = f"{self.source}: " if self.source else ""
        log.warning(
            "%srag_source %s %r: %r is not in the RAG vocabulary; the plan gets no reported "
            "RAG (map the word under rag_vocabulary to green, amber, red, blue or complete)",
            where,
            self.kind,
            self.name,
            text,
        )

    def plan_rag(self, raw: Mapping[str, Any]) -> RAG | None:
        """The RAG a plan record's status task or bucket carries; None without a rag source
        of these kinds or when the plan has no status task."""
        if self.kind not in ("label", "task", "bucket"):
            return None
        tasks = raw.get("statusTasks")
        if not isinstance(tasks, list) or not tasks or not isinstance(tasks[0], Mapping):
            return None
        first = tasks[0]
        if self.kind == "label":
            return self._labelled(first, raw)
        title = _words(str(first.get("title") or ""))
        if self.kind == "task" and title.casefold().startswith(self.name.casefold()):
            title = title[len(self.name) :]  # "Status: At risk" -> ": At risk"
        return self.word(title.lstrip(" :;,|/-–—"))

    def _labelled(self, task: Mapping[str, Any], plan: Mapping[str, Any]) -> RAG | None:
        details = plan.get("details") or {}
        labels = details.get("categoryDescriptions") if isinstance(details, Mapping) else None
        applied = task.get("appliedCategories") or {}
        if not isinstance(labels, Mapping) or not isinstance(applied, Mapping):
            return None
        found = set()
        for key, on in applied.items():
            label = labels.get(key)
            if on and isinstance(label, str) and label.strip():
                rag = self._known(label)
                if rag is not None:
                    found.add(rag)
        if not found:
            names = sorted(str(labels.get(k) or k) for k, on in applied.items() if on)
            self._unknown(", ".join(names) or "(no label)")
            return None
        return next(rag for rag in SEVERITY if rag in found)


def map_status_item(
    source: str, raw: Mapping[str, Any], columns: Mapping[str, str], reader: RagReader
) -> Mapped:
    """status_items ({item, planIds, list}) -> StatusUpdate of the plan the item names."""
    item = raw.get("item")
    if not isinstance(item, Mapping) or not isinstance(item.get("fields"), Mapping):
        raise MappingError("record has no list item with fields")
    item_id = str(item.get("id") or "").strip()
    list_name = str(raw.get("list") or "the status list")
    where = f"list {list_name!r} item {item_id or '?'}"
    if not item_id:
        raise MappingError(f"{where}: the item has no id")
    fields = item["fields"]
    project_column = columns.get("project", "Project")
    named = _words(str(fields.get(project_column) or ""))
    plans = raw.get("planIds") or []
    if not named:
        raise MappingError(f"{where}: {project_column} is empty (name the plan)")
    if not plans:
        raise MappingError(f"{where}: {project_column} {named!r} is no plan this connector syncs")
    if len(plans) > 1:
        raise MappingError(
            f"{where}: {project_column} {named!r} names {len(plans)} plans; rename one of them"
        )
    rag_column = columns.get("rag", "RAG")
    word = fields.get(rag_column)
    rag = reader.word(str(word)) if word not in (None, "") else None
    text_column = columns.get("text")
    text = fields.get(text_column) if text_column else None
    modified = item.get("lastModifiedDateTime") or item.get("createdDateTime")
    posted = parse_timestamp(modified, "lastModifiedDateTime")
    if posted is None:
        raise MappingError(f"{where}: the item has no lastModifiedDateTime")
    author = ((item.get("lastModifiedBy") or {}).get("user") or {}).get("id")
    update = build(
        StatusUpdate,
        source=source,
        source_id=f"{raw.get('listId') or list_name}:{item_id}",
        source_url=item.get("webUrl"),
        project_id=Project.ref(source, str(plans[0])),
        posted_at=posted,
        rag=rag,
        title=named,
        text=_words(str(text)) if text not in (None, "") else None,
        author_identity_id=PersonIdentity.ref(source, author) if author else None,
    )
    return Mapped([update])
