"""A synthetic organisation shared by the API emulators, the demo, the tests and benchmarks.

``generate_org`` builds it deterministically; :class:`Org` holds it, mutates it under one lock
and journals every change; ``org_snapshot`` dumps it as plain JSON for ground-truth checks.
"""

from pmosync.sandbox.org.generate import generate_org
from pmosync.sandbox.org.model import (
    SIZES,
    Allocation,
    Budget,
    Change,
    CustomField,
    EnumOption,
    IntakeEntry,
    OrgSize,
    Person,
    Portfolio,
    Project,
    RaidEntry,
    Section,
    StatusUpdate,
    Story,
    Task,
    Team,
    TimeEntry,
    Workspace,
)
from pmosync.sandbox.org.organisation import Org
from pmosync.sandbox.org.snapshot import org_snapshot

__all__ = [
    "SIZES",
    "Allocation",
    "Budget",
    "Change",
    "CustomField",
    "EnumOption",
    "IntakeEntry",
    "Org",
    "OrgSize",
    "Person",
    "Portfolio",
    "Project",
    "RaidEntry",
    "Section",
    "StatusUpdate",
    "Story",
    "Task",
    "Team",
    "TimeEntry",
    "Workspace",
    "generate_org",
    "org_snapshot",
]
