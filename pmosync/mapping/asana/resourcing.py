"""Asana time tracking entries, allocations and budgets: the hours and money of a project."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pmosync.canonical.types import (
    Allocation,
    ApprovalStatus,
    Budget,
    Project,
    Task,
    TimeEntry,
)
from pmosync.mapping.asana.context import Context
from pmosync.mapping.asana.people import identity_ref
from pmosync.mapping.asana.values import record_gid, ref_gid
from pmosync.mapping.result import Mapped, MappingError, Tombstone
from pmosync.mapping.values import build, date_of, text

APPROVAL: dict[str, ApprovalStatus] = {
    "DRAFT": "draft",
    "SUBMITTED": "submitted",
    "APPROVED": "approved",
    "REJECTED": "rejected",
}
"""TimeTrackingEntryBase ``approval_status`` in Asana's spec -> canonical approval."""

BILLABLE: dict[str, bool] = {"billable": True, "nonbillable": False}
"""``billable_status`` (lower-cased) -> billable; ``notApplicable`` and unset mean unknown."""

HOURS = Decimal("0.0001")
"""Time budgets come in minutes; hours keep the store's four decimal places."""


def _project_gid(raw: Mapping[str, Any], key: str, missing: str) -> str:
    gid = ref_gid(raw, key)
    if gid is None:
        raise MappingError(missing)
    return gid


def _approval(raw: Mapping[str, Any]) -> ApprovalStatus | None:
    status = text(raw, "approval_status")
    if status is None:
        return None
    try:
        return APPROVAL[status.upper()]
    except KeyError:
        raise MappingError(f"approval_status {status!r} is not an Asana approval status") from None


def map_time_entry(ctx: Context, raw: Mapping[str, Any]) -> Mapped:
    """time_entries -> TimeEntry, booked to the project it is attributable to."""
    identity = identity_ref(ctx, raw, "created_by")
    if identity is None:
        raise MappingError("time entry has no created_by (the person who logged it)")
    project_gid = _project_gid(
        raw, "attributable_to", "time entry is not attributable to a project"
    )
    task_gid = ref_gid(raw, "task")
    billable = text(raw, "billable_status")
    entry = build(
        TimeEntry,
        source=ctx.source,
        source_id=record_gid(raw),
        identity_id=identity,
        project_id=Project.ref(ctx.source, project_gid),
        task_id=Task.ref(ctx.source, task_gid) if task_gid else None,
        entry_date=date_of(raw, "entered_on"),
        minutes=raw.get("duration_minutes"),
        billable=BILLABLE.get(billable.casefold()) if billable else None,
        approval=_approval(raw),
        description=text(raw, "description"),
    )
    return Mapped([entry], [])


def _effort(raw: Mapping[str, Any]) -> dict[str, Any]:
    """AllocationBase ``effort`` ({type: hours|percent, value}) as the canonical field."""
    effort = raw.get("effort")
    if effort is None:
        return {}
    if not isinstance(effort, Mapping) or effort.get("type") not in ("hours", "percent"):
        raise MappingError(f"effort is not hours or percent: {effort!r}")
    return {effort["type"]: effort.get("value")}


def map_allocation(ctx: Context, raw: Mapping[str, Any]) -> Mapped:
    """allocations -> Allocation of a person (or placeholder) to the parent project."""
    identity = identity_ref(ctx, raw, "assignee")
    if identity is None:
        raise MappingError("allocation has no assignee")
    project_gid = _project_gid(raw, "parent", "allocation has no parent project")
    allocation = build(
        Allocation,
        source=ctx.source,
        source_id=record_gid(raw),
        identity_id=identity,
        project_id=Project.ref(ctx.source, project_gid),
        start_date=date_of(raw, "start_date"),
        end_date=date_of(raw, "end_date"),
        **_effort(raw),
    )
    return Mapped([allocation], [])


def _amount(total: Mapping[str, Any]) -> Decimal | None:
    value = total.get("value")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MappingError(f"budget total.value is not a number: {value!r}")
    return Decimal(str(value))


def _actual(raw: Mapping[str, Any], kind: str, currency: str | None) -> Decimal | None:
    """What Asana computed as spent: a cost budget's ``actual.value`` (logged time x Asana's
    resource rates) in money, a time budget's minutes as hours. None when Asana gives none, or
    a cost actual in another currency than the total (a currency cannot be added to another)."""
    actual = raw.get("actual")
    if actual is None:
        return None
    if not isinstance(actual, Mapping):
        raise MappingError(f"budget actual is not an Asana object: {actual!r}")
    value = actual.get("value")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MappingError(f"budget actual.value is not a number: {value!r}")
    amount = Decimal(str(value))
    if kind == "time":
        return (amount / 60).quantize(HOURS)
    units = actual.get("units")
    if isinstance(units, str) and units.strip() and units.strip().upper() != currency:
        return None
    return amount


def map_budget(ctx: Context, raw: Mapping[str, Any]) -> Mapped:
    """budgets -> Budget (origin ``budget_api``) from its user-set total: money for cost
    budgets, hours for time, with Asana's computed ``actual`` in the same measure.

    A budget whose total is switched off (``enabled: false``, value and units null) has no
    amount to report, so any earlier amount is retired rather than left standing.
    """
    gid = record_gid(raw)
    project_gid = _project_gid(raw, "parent", "budget has no parent project")
    total = raw.get("total") or {}
    if not isinstance(total, Mapping):
        raise MappingError(f"budget total is not an Asana object: {total!r}")
    amount = _amount(total)
    if amount is None or total.get("enabled") is False:
        return Mapped([], [Tombstone("budget", gid)])
    kind = raw.get("budget_type")
    values: dict[str, Any]
    if kind == "cost":
        units = total.get("units")
        if not isinstance(units, str) or not units.strip():
            raise MappingError("cost budget has no currency (total.units)")
        values = {"measure": "money", "amount": amount, "currency": units.strip().upper()}
    elif kind == "time":
        values = {"measure": "hours", "amount": (amount / 60).quantize(HOURS)}
    else:
        raise MappingError(f"budget_type {kind!r} is neither cost nor time")
    budget = build(
        Budget,
        source=ctx.source,
        source_id=gid,
        project_id=Project.ref(ctx.source, project_gid),
        origin="budget_api",
        actual=_actual(raw, kind, values.get("currency")),
        **values,
    )
    return Mapped([budget], [])
