"""Asana portfolios and their items (a project's membership of a portfolio)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pmosync.canonical.types import Portfolio, PortfolioItem, Project
from pmosync.mapping.asana.context import Context
from pmosync.mapping.asana.people import identity_ref
from pmosync.mapping.asana.values import context_gid, record_gid
from pmosync.mapping.result import Mapped
from pmosync.mapping.values import build, text, timestamp_of


def map_portfolio(ctx: Context, raw: Mapping[str, Any]) -> Mapped:
    """portfolios -> Portfolio."""
    portfolio = build(
        Portfolio,
        source=ctx.source,
        source_id=record_gid(raw),
        name=text(raw, "name"),
        owner_identity_id=identity_ref(ctx, raw, "owner"),
        source_url=text(raw, "permalink_url"),
        updated_at=timestamp_of(raw, "modified_at"),
    )
    return Mapped([portfolio], [])


def portfolio_item_id(portfolio_gid: str, project_gid: str) -> str:
    """A membership's source id joins both gids: a project may sit in several portfolios, and
    each membership is its own record."""
    return f"{portfolio_gid}:{project_gid}"


def map_portfolio_item(ctx: Context, raw: Mapping[str, Any]) -> Mapped:
    """portfolio_items (a project compact + ``_portfolio``) -> PortfolioItem."""
    portfolio_gid = context_gid(raw, "_portfolio")
    project_gid = record_gid(raw)
    item = build(
        PortfolioItem,
        source=ctx.source,
        source_id=portfolio_item_id(portfolio_gid, project_gid),
        portfolio_id=Portfolio.ref(ctx.source, portfolio_gid),
        project_id=Project.ref(ctx.source, project_gid),
    )
    return Mapped([item], [])
