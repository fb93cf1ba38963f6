"""Which connector and mapping serve each connector ``type`` of the YAML.

The engine itself never names a connector; this table is the one place that does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from pmosync.config.connectors import (
    INTAKE_KEYS,
    AsanaConnector,
    FilesConnector,
    PlannerConnector,
    PlannerPremiumConnector,
    SharePointFilesConnector,
)
from pmosync.connectors.base import CheckResult, Source
from pmosync.connectors.errors import ConnectorError
from pmosync.connectors.retry import RetryPolicy
from pmosync.store import Store
from pmosync.sync.engine import Mapper

WORKBOOK_TYPES = (FilesConnector, SharePointFilesConnector)
"""Connectors whose rows name projects and people synced by the others: they run last."""

PROBE_POLICY = RetryPolicy(max_throttled=2, max_failures=1)
"""``pmosync check`` gives up quickly: a check should answer in seconds, not wait out an
outage."""


class UnsupportedConnector(Exception):
    """A connector type the configuration accepts but this version cannot sync yet."""


def sync_order(connectors: Mapping[str, object], names: Sequence[str]) -> list[str]:
    """Tool connectors first, then workbook connectors, each group in the given order."""
    return sorted(names, key=lambda name: isinstance(connectors[name], WORKBOOK_TYPES))


def open_mapper(
    name: str,
    config: object,
    *,
    store: Store | None = None,
    aliases: Mapping[str, Sequence[str]] = {},
) -> Mapper:
    """The mapping of one configured connector, without its connector (no network).

    Workbook mappers resolve rows against what is synced, read from ``store``; without one
    (a probe) they map nothing."""
    if isinstance(config, AsanaConnector):
        from pmosync.mapping.asana import AsanaMapper, intake_settings, owned_fields, raid_settings

        return AsanaMapper(
            name,
            fields=config.fields,
            rag_vocabulary=config.rag_vocabulary,
            priority_vocabulary=config.priority_vocabulary,
            raid=raid_settings(config.raid) if config.raid else None,
            intake=intake_settings(config.intake) if config.intake else None,
            owned_fields=owned_fields(config.writeback),
        )
    if isinstance(config, PlannerConnector):
        from pmosync.mapping.microsoft import PlannerMapper

        return PlannerMapper(
            name,
            group_as_portfolio=config.group_as_portfolio,
            milestone_category=config.milestone_category,
            priority_vocabulary=config.priority_vocabulary,
            timezone=config.timezone,
            rag_source=config.rag_source.kind if config.rag_source else None,
            rag_source_name=_rag_source_name(config),
            rag_vocabulary=config.rag_vocabulary,
            status_columns=(
                config.rag_source.list.columns
                if config.rag_source and config.rag_source.list
                else None
            ),
            raid=config.raid.model_dump() if config.raid is not None else None,
        )
    if isinstance(config, PlannerPremiumConnector):
        from pmosync.mapping.dataverse import PremiumMapper

        return PremiumMapper(
            name,
            environment=config.environment_url,
            timezone=config.timezone,
            priority_vocabulary=config.priority_vocabulary,
        )
    if isinstance(config, WORKBOOK_TYPES):
        from pmosync.mapping.directory import Directory
        from pmosync.mapping.workbooks import WorkbookMapper
        from pmosync.sync.directory import load_directory

        directory = (
            Directory()
            if store is None
            else load_directory(store, exclude_source=name, aliases=aliases)
        )
        return WorkbookMapper(
            name,
            config.kind,
            directory,
            datetime.now(UTC).date(),
            default_currency=config.default_currency,
            columns=config.read_columns,
            intake=config.model_dump(include=set(INTAKE_KEYS)),
        )
    kind = getattr(config, "type", type(config).__name__)
    raise UnsupportedConnector(f"{name}: connectors of type {kind} cannot be synced yet")


def _rag_source_name(config: PlannerConnector) -> str | None:
    """The status task, title prefix, bucket or list a Planner rag source names."""
    source = config.rag_source
    if source is None:
        return None
    return source.list.list if source.list is not None else getattr(source, source.kind)


def open_source(
    name: str,
    config: object,
    *,
    store: Store | None = None,
    aliases: Mapping[str, Sequence[str]] = {},
    policy: RetryPolicy | None = None,
    base_dir: Path | None = None,
) -> tuple[Source, Mapper]:
    """The connector and its mapper for one configured connector.

    A relative local ``path`` is taken from ``base_dir``, the config file's folder."""
    mapper = open_mapper(name, config, store=store, aliases=aliases)
    if isinstance(config, AsanaConnector):
        from pmosync.connectors.asana.source import AsanaSource

        return AsanaSource(name, config, policy=policy), mapper
    if isinstance(config, PlannerConnector):
        from pmosync.connectors.microsoft.source import PlannerSource

        return PlannerSource(name, config, policy=policy), mapper
    if isinstance(config, PlannerPremiumConnector):
        from pmosync.connectors.dataverse.source import PremiumSource

        return PremiumSource(name, config, policy=policy), mapper
    if isinstance(config, FilesConnector):
        from pmosync.connectors.files.source import FilesSource

        return FilesSource(name, config, base_dir=base_dir, links=mapper.links), mapper
    from pmosync.connectors.microsoft.files import SharePointFilesSource

    assert isinstance(config, SharePointFilesConnector)
    return SharePointFilesSource(name, config, policy=policy, links=mapper.links), mapper


def probe_source(name: str, config: object, base_dir: Path | None = None) -> list[CheckResult]:
    """``pmosync check``'s connectivity probe of one connector."""
    try:
        source, _ = open_source(name, config, policy=PROBE_POLICY, base_dir=base_dir)
    except UnsupportedConnector as error:
        return [CheckResult("warning", str(error))]
    except ConnectorError as error:  # a credential that cannot even be loaded (a bad file)
        return [CheckResult("error", str(error))]
    try:
        return source.check()
    finally:
        source.close()
