"""Mapping of Planner premium plans (Dataverse rows) onto the canonical model."""

from pmosync.mapping.dataverse.mapper import PremiumMapper

__all__ = ["PremiumMapper"]
