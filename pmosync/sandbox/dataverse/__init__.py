"""A Dataverse Web API (OData v4) emulator over loopback HTTP: the tables of Planner premium
plans (formerly Project for the web) for the synthetic tenant's people.

It shares no code with the connector on purpose.
"""

from pmosync.sandbox.dataverse.environment import TABLES, Environment

__all__ = ["TABLES", "Environment"]
