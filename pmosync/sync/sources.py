"""Which connector and mapping serve each connector ``type`` of the YAML.

The engine itself never names a connector; this table is the one place that does.
"""

from __future__ import annotations

from pmosync.config.connectors import AsanaConnector
from pmosync.connectors.base import CheckResult, Source
from pmosync.sync.engine import Mapper


class UnsupportedConnector(Exception):
    """A connector type the configuration accepts but this version cannot sync yet."""


def open_source(name: str, config: object) -> tuple[Source, Mapper]:
    """The connector and its mapper for one configured connector."""
    if isinstance(config, AsanaConnector):
        from pmosync.connectors.asana.source import AsanaSource
        from pmosync.mapping.asana import AsanaMapper

        mapper = AsanaMapper(name, fields=config.fields, rag_vocabulary=config.rag_vocabulary)
        return AsanaSource(name, config), mapper
    kind = getattr(config, "type", type(config).__name__)
    raise UnsupportedConnector(f"{name}: connectors of type {kind} cannot be synced yet")


def probe_source(name: str, config: object) -> list[CheckResult]:
    """``pmosync check``'s connectivity probe of one connector, with few retries: a check
    should answer in seconds, not wait out an outage."""
    if isinstance(config, AsanaConnector):
        from pmosync.connectors.asana.client import RetryPolicy
        from pmosync.connectors.asana.source import AsanaSource

        source = AsanaSource(name, config, policy=RetryPolicy(max_throttled=2, max_failures=1))
        try:
            return source.check()
        finally:
            source.close()
    kind = getattr(config, "type", type(config).__name__)
    return [CheckResult("warning", f"connectors of type {kind} cannot be probed yet")]
