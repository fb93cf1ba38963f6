"""Mapping: raw source records in, canonical records out.

Each source has a mapper (``pmosync.mapping.asana.AsanaMapper``) whose ``map(stream, raw)`` is a
pure function of the record and the connector's field configuration: no I/O, no clock. That is
what lets the engine re-map a quarantined record later and get the same ids, and lets tests
state expected output by hand. Mappers know the canonical model and the config, never the
connectors: raw records arrive as plain dicts, exactly as the tool's API returned them.
"""

from pmosync.mapping.result import Mapped, MappingError, Tombstone

__all__ = ["Mapped", "MappingError", "Tombstone"]
