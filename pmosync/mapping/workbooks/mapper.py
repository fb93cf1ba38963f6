"""``WorkbookMapper``: raw workbook rows (from ``pmosync.connectors.files``) to canonical records.

Pure given its arguments: the directory of synced projects and people, and ``today`` (rows
dated more than a week ahead are typos), are passed in, so the same row maps the same way
whenever it is mapped again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Literal

from pmosync.canonical.types import CostEntry, Record, TimeEntry
from pmosync.connectors.base import Reconcile
from pmosync.connectors.files.records import file_prefix, record_key
from pmosync.mapping.directory import Directory
from pmosync.mapping.result import Mapped, MappingError
from pmosync.mapping.scope import ReconcileScope
from pmosync.mapping.workbooks.cells import RowCells
from pmosync.mapping.workbooks.rows import RowContext, map_cost_row, map_time_row

STREAM = "rows"

RowMapper = Callable[[RowContext, RowCells, str], Mapped]
ROW_MAPPERS: dict[str, tuple[RowMapper, type[Record]]] = {
    "time": (map_time_row, TimeEntry),
    "cost": (map_cost_row, CostEntry),
}


class WorkbookMapper:
    """Maps the ``rows`` stream of one workbook connector of kind ``time`` or ``cost``."""

    def __init__(
        self,
        source: str,
        kind: Literal["time", "cost"],
        directory: Directory,
        today: date,
        default_currency: str | None = None,
        *,
        columns: Mapping[str, str] | None = None,
    ) -> None:
        """``columns`` (canonical name -> header text, as configured) lets messages name a
        column as the workbook heads it; without it the canonical name is used."""
        if kind not in ROW_MAPPERS:
            raise ValueError(f"unknown workbook kind {kind!r}")
        self._map_row, self._model = ROW_MAPPERS[kind]
        self._context = RowContext(
            source=source,
            directory=directory,
            today=today,
            headers={name: " ".join(text.split()) for name, text in (columns or {}).items()},
            default_currency=default_currency,
        )

    def map(self, stream: str, raw: Mapping[str, Any]) -> Mapped:
        """One row's records; MappingError (the quarantine reason) when it cannot be used."""
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

    def record_key(self, raw: Any) -> str:
        """The row's key (file, sheet, row), else a digest of the record."""
        if isinstance(raw, Mapping):
            key = record_key(raw)
            if key is not None:
                return key
        text = json.dumps(raw, sort_keys=True, default=str, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]

    def deleted(self, kind: str, source_ids: list[str]) -> list[ReconcileScope]:
        """Workbooks report no deletions; a file's absent rows are retired by ``scopes``."""
        return []

    def scopes(self, reconcile: Reconcile) -> list[ReconcileScope]:
        """A file read in full: its entries whose rows it no longer holds are retired."""
        if reconcile.kind != STREAM:
            return []
        prefix = file_prefix(reconcile.parent) if reconcile.parent is not None else None
        return [ReconcileScope(self._model, set(reconcile.present), prefix=prefix)]
