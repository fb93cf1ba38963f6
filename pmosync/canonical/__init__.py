"""The canonical project model: pydantic types, their stable ids, and their SQL tables.

Importing this package loads pydantic only; ``pmosync.canonical.tables`` brings SQLAlchemy in,
for the store and the migrations.
"""

from pmosync.canonical.ids import canonical_id
from pmosync.canonical.types import (
    ENTITIES,
    ENTITY_TYPES,
    RAG,
    RAG_VALUES,
    RAID_KINDS,
    RAID_STATUSES,
    Allocation,
    Assignment,
    Budget,
    CostEntry,
    Leave,
    Person,
    PersonIdentity,
    Phase,
    Portfolio,
    PortfolioItem,
    Project,
    RaidItem,
    Record,
    StatusUpdate,
    Task,
    TimeEntry,
)

__all__ = [
    "ENTITIES",
    "ENTITY_TYPES",
    "RAG",
    "RAG_VALUES",
    "RAID_KINDS",
    "RAID_STATUSES",
    "Allocation",
    "Assignment",
    "Budget",
    "CostEntry",
    "Leave",
    "Person",
    "PersonIdentity",
    "Phase",
    "Portfolio",
    "PortfolioItem",
    "Project",
    "RaidItem",
    "Record",
    "StatusUpdate",
    "Task",
    "TimeEntry",
    "canonical_id",
]
