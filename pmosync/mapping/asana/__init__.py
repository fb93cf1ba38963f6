"""Asana records onto the canonical model.

One module per kind of Asana record (people, portfolios, projects, tasks, resourcing, status
updates), with the shared readers (values, custom fields, RAG) beside them; ``AsanaMapper`` is
the only entry point the sync engine uses.
"""

from pmosync.mapping.asana.context import intake_settings, owned_fields, raid_settings
from pmosync.mapping.asana.mapper import AsanaMapper

__all__ = ["AsanaMapper", "intake_settings", "owned_fields", "raid_settings"]
