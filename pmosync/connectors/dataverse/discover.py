"""``pmosync discover`` for a planner_premium connector: the premium plans its application
user can read in the environment, with the ids its ``projects:`` key takes (names work too).

It signs in and reads through the same client, limiter and retry policy as a sync.
"""

from __future__ import annotations

from pmosync.config.connectors import PlannerPremiumConnector
from pmosync.connectors.base import Discovery, Found
from pmosync.connectors.dataverse.client import DataverseClient
from pmosync.connectors.dataverse.streams import plan_names
from pmosync.connectors.retry import RetryPolicy


def discover_premium(
    config: PlannerPremiumConnector, policy: RetryPolicy | None = None
) -> Discovery:
    """The environment's premium plans, by name."""
    client = DataverseClient(config, policy=policy)
    try:
        plans = sorted((name, key) for key, name in plan_names(client).items())
    finally:
        client.close()
    return Discovery([Found("premium plan", key, name, "projects") for name, key in plans])
