"""SQL tables of the canonical entities, derived from their pydantic types.

The pydantic type is the single statement of what a record holds; its table follows from it, so
a field cannot be added to one and forgotten in the other. Two columns exist only in the store:
``row_hash`` (a digest of the record's content, so an unchanged record is never rewritten) and
``synced_at`` (when pmosync last wrote the row). There are no foreign keys between entities:
sources deliver streams in any order, a task may arrive before its project, and a tombstone must
never cascade.
"""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from decimal import Decimal

from pydantic import AwareDatetime
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

from pmosync.canonical.columns import JsonDocument, UtcDateTime
from pmosync.canonical.types import ENTITY_TYPES, Record

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID_LENGTH = 36
STORE_ONLY_COLUMNS = ("row_hash", "synced_at")

RESOLVED_COLUMNS: dict[str, frozenset[str]] = {
    "person_identity": frozenset({"person_id"}),
}
"""Columns pmosync derives after a sync, not the source: an identity's ``person_id`` is set by
identity resolution. A connector's upsert of the record inserts them as it says (empty) but never
overwrites them, and they stay out of the row hash, so re-syncing an unchanged identity neither
unlinks it from its person nor counts as an update."""


def _unwrap(annotation: object) -> tuple[object, bool]:
    """The annotation without ``| None`` or ``Annotated[...]``, and whether None was allowed."""
    nullable = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            nullable = nullable or len(args) < len(typing.get_args(annotation))
            if len(args) != 1:
                raise TypeError(f"cannot store a union of {args}")
            annotation = args[0]
        else:
            return annotation, nullable


def _column_type(name: str, annotation: object) -> TypeEngine:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return String(max(len(str(v)) for v in typing.get_args(annotation)))
    if origin in (list, dict):
        return JsonDocument
    if annotation is str:
        return String(ID_LENGTH) if name == "id" or name.endswith("_id") else Text()
    simple: dict[object, TypeEngine] = {
        bool: Boolean(),
        int: Integer(),
        float: Float(),
        Decimal: Numeric(18, 4),
        date: Date(),
        datetime: UtcDateTime(),
        AwareDatetime: UtcDateTime(),
    }
    if annotation in simple:
        return simple[annotation]
    raise TypeError(f"no column type for {name}: {annotation!r}")


def _columns(model: type[Record]) -> list[Column]:
    columns = []
    for name, field in model.model_fields.items():
        annotation, nullable = _unwrap(field.annotation)
        if name == "id":
            columns.append(Column("id", String(ID_LENGTH), primary_key=True))
        elif name == "source":
            columns.append(Column("source", String(64), nullable=False))
        elif name == "source_id":
            columns.append(Column("source_id", String(255), nullable=False))
        else:
            columns.append(Column(name, _column_type(name, annotation), nullable=nullable))
    columns.append(Column("row_hash", String(32), nullable=True))
    columns.append(Column("synced_at", UtcDateTime(), nullable=False))
    return columns


_LOOKUP_COLUMNS: dict[str, tuple[str, ...]] = {
    "person": ("email",),
    "person_identity": ("email",),
    "time_entry": ("entry_date",),
    "cost_entry": ("entry_date",),
}
"""Columns besides references that identity resolution and reports search by."""


def _table(model: type[Record]) -> Table:
    columns = _columns(model)
    indexed = [c.name for c in columns if c.name.endswith("_id") and c.name != "source_id"]
    indexed += _LOOKUP_COLUMNS.get(model.entity, ())
    references = [Index(None, name) for name in indexed]
    return Table(
        model.entity,
        metadata,
        *columns,
        UniqueConstraint("source", "source_id"),
        *references,
    )


ENTITY_TABLES: dict[type[Record], Table] = {model: _table(model) for model in ENTITY_TYPES}
"""The table of each canonical entity type."""
