"""The pmosync configuration file: schema, loading and JSON Schema export.

``load_config(path)`` returns a validated ``PmosyncConfig`` or raises ``ConfigError`` whose
``problems`` are one line each (``file:line:col: key.path: message``); ``config_json_schema()``
gives editors the same schema for completion. See docs/config.md.
"""

from pmosync.config.connectors import (
    AsanaConnector,
    Connector,
    FilesConnector,
    MicrosoftAuth,
    PlannerConnector,
    PlannerPremiumConnector,
    SharePointFilesConnector,
    WorkbookSource,
)
from pmosync.config.errors import ConfigError
from pmosync.config.fields import FOLDER_PLACEHOLDERS
from pmosync.config.loader import load_config
from pmosync.config.models import People, PmosyncConfig, Smtp, Sync
from pmosync.config.reports import (
    Delivery,
    EmailDelivery,
    Filters,
    FolderDelivery,
    Report,
    SharePointDelivery,
    TeamsDelivery,
)
from pmosync.config.schema import config_json_schema

__all__ = [
    "FOLDER_PLACEHOLDERS",
    "AsanaConnector",
    "ConfigError",
    "Connector",
    "Delivery",
    "EmailDelivery",
    "FilesConnector",
    "Filters",
    "FolderDelivery",
    "MicrosoftAuth",
    "People",
    "PlannerConnector",
    "PlannerPremiumConnector",
    "PmosyncConfig",
    "Report",
    "SharePointDelivery",
    "SharePointFilesConnector",
    "Smtp",
    "Sync",
    "TeamsDelivery",
    "WorkbookSource",
    "config_json_schema",
    "load_config",
]
