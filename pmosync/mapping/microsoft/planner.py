"""Planner records (Graph JSON) -> canonical records.

Planner speaks in its own scales; the canonical model in the PMO's:
- ``percentComplete`` 0 / 1-99 / 100 -> not started / in progress / done (the Planner UI only
  sets 0, 50 and 100; the API allows any value);
- ``priority`` 0-10 -> urgent (0-1), high (2-4, "important"), medium (5-7), low (8-10), the
  bands the Planner UI uses, through the connector's priority vocabulary (the YAML's
  ``priority_vocabulary`` may remap a number); anything else is "unknown", never a quarantine;
- ``appliedCategories`` ``{"category3": true}`` -> tags, through the plan's own labels
  (unlabelled categories keep their key, so nothing silently disappears);
- a task carrying the configured milestone category is a milestone (Planner has no milestones);
- assignees -> one ``Assignment`` per person, keyed ``task:user`` since a task can have several.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, tzinfo
from typing import Any

from pmosync.canonical.types import (
    RAG,
    Assignment,
    PersonIdentity,
    Phase,
    Portfolio,
    PortfolioItem,
    Priority,
    Project,
    Task,
    TaskStatus,
)
from pmosync.mapping.priority import PriorityVocabulary, planner_vocabulary
from pmosync.mapping.result import Mapped, MappingError
from pmosync.mapping.values import build, local_day_of, parse_timestamp, text

PLANNER_WEB = "https://planner.cloud.microsoft/webui"


def graph_id(raw: Mapping[str, Any], key: str = "id") -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise MappingError(f"record has no {key}")
    return value


def user_id(raw: Mapping[str, Any], key: str) -> str | None:
    """The user id in an identity set such as ``createdBy`` (``{"user": {"id": ...}}``)."""
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise MappingError(f"{key} is not an identity set: {value!r}")
    user = value.get("user") or {}
    found = user.get("id") if isinstance(user, Mapping) else None
    return found if isinstance(found, str) and found else None


def identity(source: str, user: str | None) -> str | None:
    return PersonIdentity.ref(source, user) if user else None


def assignment_id(task: str, user: str) -> str:
    """Source id of one assignee of one task."""
    return f"{task}:{user}"


def plan_url(plan: str) -> str:
    return f"{PLANNER_WEB}/plan/{plan}"


def status_of(percent: int) -> TaskStatus:
    if percent >= 100:
        return "done"
    return "in_progress" if percent > 0 else "not_started"


DEFAULT_PRIORITY = 5
"""What Graph stores for a task nobody gave a priority ("medium")."""


def priority_of(task: Mapping[str, Any], vocabulary: PriorityVocabulary) -> Priority:
    """The task's ``priority`` number through the vocabulary; a value that is not a whole
    number, or one the vocabulary does not name, is "unknown" (counted and warned about)."""
    value = task.get("priority")
    if value is None:
        value = DEFAULT_PRIORITY
    if isinstance(value, bool) or not isinstance(value, int):
        value = repr(value)  # never a key of the vocabulary: unknown, and named as it is
    return vocabulary.priority(value, "Planner's priority")


def _int(raw: Mapping[str, Any], key: str, low: int, high: int, default: int) -> int:
    value = raw.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise MappingError(f"{key} is not a whole number from {low} to {high}: {value!r}")
    return value


def map_group(source: str, raw: Mapping[str, Any], as_portfolio: bool) -> Mapped:
    """groups -> Portfolio (when groups are reported as portfolios)."""
    if not as_portfolio:
        graph_id(raw)
        return Mapped()
    portfolio = build(
        Portfolio, source=source, source_id=graph_id(raw), name=text(raw, "displayName") or ""
    )
    return Mapped([portfolio])


def map_plan(
    source: str, raw: Mapping[str, Any], as_portfolio: bool, rag: RAG | None = None
) -> Mapped:
    """plans -> Project (and its PortfolioItem in the group's portfolio); ``rag`` is what the
    plan's rag source says (see ``status``)."""
    plan = graph_id(raw)
    group = raw.get("group") or {}
    if not isinstance(group, Mapping):
        raise MappingError("group is not an object (the connector adds it)")
    group_id = graph_id(group) if group else None
    project = build(
        Project,
        source=source,
        source_id=plan,
        source_url=plan_url(plan),
        name=text(raw, "title") or "",
        owner_identity_id=identity(source, user_id(raw, "createdBy")),
        team=text(group, "displayName") if group else None,
        created_at=parse_timestamp(raw.get("createdDateTime"), "createdDateTime"),
        rag=rag,
    )
    records: list[Any] = [project]
    if as_portfolio and group_id:
        records.append(
            build(
                PortfolioItem,
                source=source,
                source_id=plan,
                portfolio_id=Portfolio.ref(source, group_id),
                project_id=project.id,
            )
        )
    return Mapped(records)


def map_bucket(source: str, raw: Mapping[str, Any]) -> Mapped:
    """buckets -> Phase, ordered as Planner orders them (by ``orderHint``)."""
    phase = build(
        Phase,
        source=source,
        source_id=graph_id(raw),
        project_id=Project.ref(source, graph_id(raw, "planId")),
        name=text(raw, "name") or "",
    )
    return Mapped([phase])


def map_task(
    source: str,
    raw: Mapping[str, Any],
    milestone_label: str | None,
    priorities: PriorityVocabulary | None = None,
    *,
    zone: tzinfo = UTC,
) -> Mapped:
    """tasks ({task, details, categoryDescriptions}) -> Task and its Assignments; start and
    due dates are read in ``zone``, the one the plan is used in."""
    task = raw.get("task")
    if not isinstance(task, Mapping):
        raise MappingError("record has no task object")
    task_id, plan = graph_id(task), graph_id(task, "planId")
    labels = raw.get("categoryDescriptions") or {}
    applied = task.get("appliedCategories") or {}
    if not isinstance(labels, Mapping) or not isinstance(applied, Mapping):
        raise MappingError("appliedCategories or the plan's categoryDescriptions is not an object")
    tags = sorted({(labels.get(key) or key) for key, on in applied.items() if on})
    percent = _int(task, "percentComplete", 0, 100, 0)
    details = raw.get("details") or {}
    bucket = task.get("bucketId")
    canonical = build(
        Task,
        source=source,
        source_id=task_id,
        source_url=f"{plan_url(plan)}/view/board/task/{task_id}",
        project_id=Project.ref(source, plan),
        phase_id=Phase.ref(source, bucket) if isinstance(bucket, str) and bucket else None,
        name=text(task, "title") or "",
        is_milestone=bool(milestone_label) and milestone_label in tags,
        status=status_of(percent),
        percent_complete=float(percent),
        start_date=local_day_of(task, "startDateTime", zone),
        due_date=local_day_of(task, "dueDateTime", zone),
        completed_at=parse_timestamp(task.get("completedDateTime"), "completedDateTime"),
        created_at=parse_timestamp(task.get("createdDateTime"), "createdDateTime"),
        priority=priority_of(task, priorities or planner_vocabulary(source=source)),
        tags=tags,
        description=(text(details, "description") or None) if details else None,
    )
    assignments = task.get("assignments") or {}
    if not isinstance(assignments, Mapping):
        raise MappingError("assignments is not an object")
    records: list[Any] = [canonical]
    for user in sorted(assignments):
        records.append(
            build(
                Assignment,
                source=source,
                source_id=assignment_id(task_id, user),
                task_id=canonical.id,
                identity_id=PersonIdentity.ref(source, user),
            )
        )
    return Mapped(records)


def guest_address(upn: str) -> str | None:
    """A guest's own address from the sign-in name the inviting tenant gave them:
    ``jo_fabrikam.com#EXT#@contoso.onmicrosoft.com`` -> ``jo@fabrikam.com`` (the last ``_``
    before ``#EXT#`` stands for the ``@``; a domain has no ``_``). None if ``upn`` is no guest's."""
    head, marker, _ = upn.partition("#EXT#")
    local, underscore, domain = head.rpartition("_")
    if not marker or not underscore or not local or "." not in domain:
        return None
    return f"{local}@{domain}"


def map_user(source: str, raw: Mapping[str, Any]) -> Mapped:
    """users -> PersonIdentity; the email is ``mail``, else for a guest the external address
    inside their sign-in name, else the sign-in name if it is one."""
    email = text(raw, "mail") or None
    upn = text(raw, "userPrincipalName") or ""
    if email is None and "#EXT#" in upn:
        email = guest_address(upn)
    elif email is None and "@" in upn:
        email = upn
    person = build(
        PersonIdentity,
        source=source,
        source_id=graph_id(raw),
        name=text(raw, "displayName"),
        email=email,
    )
    return Mapped([person])
