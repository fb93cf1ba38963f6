"""Asana users as person identities.

Only what Asana says about a user is kept here (a ``PersonIdentity``); merging identities into
people across tools is identity resolution's job, later. References to users anywhere else
(owner, assignee, author) are canonical ids computed from the gid, so a task never waits for
its assignee's user record to be mapped first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pmosync.canonical.types import PersonIdentity
from pmosync.mapping.asana.context import Context
from pmosync.mapping.asana.values import record_gid, ref_gid
from pmosync.mapping.result import Mapped
from pmosync.mapping.values import build, text


def identity_ref(ctx: Context, raw: Mapping[str, Any], key: str) -> str | None:
    """The identity id of the user compact in ``raw[key]``, ``None`` when nobody is set."""
    gid = ref_gid(raw, key)
    return PersonIdentity.ref(ctx.source, gid) if gid else None


def map_user(ctx: Context, raw: Mapping[str, Any]) -> Mapped:
    """users -> PersonIdentity."""
    identity = build(
        PersonIdentity,
        source=ctx.source,
        source_id=record_gid(raw),
        name=text(raw, "name"),
        email=text(raw, "email"),
    )
    return Mapped([identity], [])
