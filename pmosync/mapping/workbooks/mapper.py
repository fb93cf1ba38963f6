"""``WorkbookMapper``: raw workbook rows (from ``pmosync.connectors.files``) to canonical records.

Pure given its arguments: the directory of synced projects and people, and ``today`` (rows
dated more than a week ahead are typos), are passed in, so the same row maps the same way
whenever it is mapped again. ``links`` says what a file's names (projects, tasks, people)
resolve to in that directory: the workbook stream keeps the answer with its checkpoint and
reads a file again when it changes, so a task renamed upstream relinks the rows that name it
exactly as a ``--full`` sync would.

The one thing it remembers is which rows of the page in hand it refused, for the later pages
of a large file (``REFUSED_ROWS``): their entries from an earlier read must go, as they do for
a file read in one page.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, Literal

from pmosync.canonical.types import Budget, CostEntry, Leave, Record, Request, TimeEntry
from pmosync.contracts import Reconcile
from pmosync.contracts.workbooks import REFUSED_ROWS, file_prefix, parse_ref, record_key
from pmosync.mapping.directory import Directory
from pmosync.mapping.result import Mapped, MappingError
from pmosync.mapping.scope import ReconcileScope
from pmosync.mapping.values import record_digest
from pmosync.mapping.workbooks.cells import RowCells
from pmosync.mapping.workbooks.requests import RequestSettings, map_request_row
from pmosync.mapping.workbooks.rows import (
    RowContext,
    map_budget_row,
    map_cost_row,
    map_leave_row,
    map_time_row,
)

STREAM = "rows"

RowMapper = Callable[[RowContext, RowCells, str], Mapped]
ROW_MAPPERS: dict[str, tuple[RowMapper, type[Record]]] = {
    "time": (map_time_row, TimeEntry),
    "cost": (map_cost_row, CostEntry),
    "budget": (map_budget_row, Budget),
    "leave": (map_leave_row, Leave),
    "request": (map_request_row, Request),
}


class WorkbookMapper:
    """Maps the ``rows`` stream of one workbook connector of kind ``time``, ``cost`` or
    ``budget``."""

    def __init__(
        self,
        source: str,
        kind: Literal["time", "cost", "budget", "leave", "request"],
        directory: Directory,
        today: date,
        default_currency: str | None = None,
        *,
        columns: Mapping[str, str] | None = None,
        intake: Mapping[str, Any] | None = None,
    ) -> None:
        """``columns`` (canonical name -> header text, as configured) lets messages name a
        column as the workbook heads it; without it the canonical name is used. ``intake``:
        a request source's intake keys (criteria, effort, vocabularies)."""
        if kind not in ROW_MAPPERS:
            raise ValueError(f"unknown workbook kind {kind!r}")
        self._map_row, self._model = ROW_MAPPERS[kind]
        self._context = RowContext(
            source=source,
            directory=directory,
            today=today,
            headers={name: " ".join(text.split()) for name, text in (columns or {}).items()},
            default_currency=default_currency,
            request=RequestSettings.of(intake) if kind == "request" else None,
        )
        self._directory_digest: str | None = None
        self._refused: set[str] = set()

    def map(self, stream: str, raw: Mapping[str, Any]) -> Mapped:
        """One row's records; MappingError (the quarantine reason) when it cannot be used."""
        try:
            return self._map(stream, raw)
        except MappingError:
            key = record_key(raw) if isinstance(raw, Mapping) else None
            if key is not None:
                self._refused.add(key)
            raise

    def _map(self, stream: str, raw: Mapping[str, Any]) -> Mapped:
        if stream != STREAM:
            raise ValueError(f"unknown workbook stream {stream!r}")
        if not isinstance(raw, Mapping):
            raise MappingError(f"record is not a JSON object: {type(raw).__name__}")
        problem = raw.get("problem")
        if problem is not None:
            raise MappingError(str(problem))
        key = record_key(raw)
        if key is None:
            raise MappingError("record is not a workbook row (no file_key, sheet or row)")
        row = RowCells(raw, self._context.headers)
        duplicate = raw.get("duplicate_of")
        if duplicate is not None:
            raise row.error(f"duplicates row {duplicate}")
        return self._map_row(self._context, row, key)

    def links(self, refs: Sequence[str] | None) -> str:
        """A digest of what these names (``name_refs`` of a file's rows) resolve to now: a
        project's id or why none, a task's id, whether a person is known. None (a file that
        names too much to keep its names): a digest of the whole directory."""
        if refs is None:
            if self._directory_digest is None:
                self._directory_digest = _directory_digest(self._context.directory)
            return self._directory_digest
        return _digest([[ref, self._resolve(ref)] for ref in refs])

    def _resolve(self, ref: str) -> str | bool | None:
        directory = self._context.directory
        kind, parts = parse_ref(ref)
        if kind in ("p", "t") and parts:
            try:
                project = directory.project(parts[0])
            except MappingError as error:
                return str(error)
            return project if kind == "p" or len(parts) < 2 else directory.task(project, parts[1])
        if kind == "e" and parts:
            try:
                email = RowCells({"cells": {"person": parts[0]}}, {}).email("person")
            except MappingError:
                return None
            return directory.knows(email)
        return None

    def record_key(self, raw: Any) -> str:
        """The row's key (file, sheet, row), else a digest of the record."""
        if isinstance(raw, Mapping):
            key = record_key(raw)
            if key is not None:
                return key
        return record_digest(raw)

    def deleted(self, kind: str, source_ids: list[str]) -> list[ReconcileScope]:
        """Workbooks report no deletions; a file's absent rows are retired by ``scopes``."""
        return []

    def scopes(self, reconcile: Reconcile) -> list[ReconcileScope]:
        """A file read in full: its entries whose rows it no longer holds are retired (the
        engine leaves out the rows of the same page that no longer map). A later page of a
        large file: the entries of its rows that no longer map are retired, one by one."""
        if reconcile.kind not in (STREAM, REFUSED_ROWS) or reconcile.parent is None:
            return []
        prefix = file_prefix(reconcile.parent)
        refused = {key for key in self._refused if key.startswith(prefix)}
        self._refused -= refused
        if reconcile.kind == STREAM:
            return [ReconcileScope(self._model, set(reconcile.present), prefix=prefix)]
        return [ReconcileScope(self._model, set(), within={"source_id": key}) for key in refused]


def _digest(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _directory_digest(directory: Directory) -> str:
    """Everything a name could resolve to: the directory's lookups."""
    return _digest(
        [
            sorted(
                (key, sorted(e.id for e in entries)) for key, entries in directory.projects.items()
            ),
            sorted((list(key), sorted(ids)) for key, ids in directory.tasks.items()),
            sorted(directory.emails),
        ]
    )
