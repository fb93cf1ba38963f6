"""Mapping of Microsoft 365 records (Planner via Graph) onto the canonical model."""

from pmosync.mapping.microsoft.mapper import PlannerMapper

__all__ = ["PlannerMapper"]
