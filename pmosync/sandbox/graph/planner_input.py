"""Planner write bodies read as Planner reads them: into the tenant's field names, or a 400.

Planner validates strictly: a property the resource type does not have is refused with
OData's "does not exist on type" message, a read-only one cannot be set, open-type values
(``assignments``, ``checklist``) must declare their ``@odata.type``, and the data must be
consistent (a start after the due date, a bucket of another plan). What Planner computes
itself (order hints) is computed here too: a client's ``orderHint`` input only asks for a
place, the stored hint is the server's.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pmosync.sandbox.graph.errors import GraphError, bad_request
from pmosync.sandbox.tenant import ChecklistItem, PlannerTask, Tenant

CATEGORY = re.compile(r"category([1-9]|1\d|2[0-5])")
PREVIEW_TYPES = ("automatic", "noPreview", "checklist", "description", "reference")
MAX_TITLE = 255
TASK_TYPE = "microsoft.graph.plannerTask"
TASK_WRITABLE = frozenset(
    {
        "title", "bucketId", "appliedCategories", "assignments", "percentComplete", "priority",
        "startDateTime", "dueDateTime", "orderHint", "assigneePriority", "conversationThreadId",
    }
)  # fmt: skip
TASK_READ_ONLY = frozenset(
    {
        "id", "planId", "createdDateTime", "createdBy", "completedDateTime", "completedBy",
        "hasDescription", "previewType", "referenceCount", "checklistItemCount",
        "activeChecklistItemCount", "details", "assignedToTaskBoardFormat",
        "bucketTaskBoardFormat", "progressTaskBoardFormat",
    }
)  # fmt: skip
ASSIGNMENT_TYPE = "microsoft.graph.plannerAssignment"
CHECKLIST_TYPE = "microsoft.graph.plannerChecklistItem"


def no_such_property(name: str, type_name: str) -> GraphError:
    return bad_request(
        f"The property '{name}' does not exist on type '{type_name}'. Make sure to only use "
        "property names that are defined by the type or mark the type as open type."
    )


def _fields(body: dict[str, Any], type_name: str, writable: frozenset[str]) -> dict[str, Any]:
    """The body's properties (annotations checked and dropped); 400 for unknown/read-only."""
    out: dict[str, Any] = {}
    for name, value in body.items():
        if name.startswith("@"):
            if name == "@odata.type" and str(value).lstrip("#") != type_name:
                raise bad_request(f"The @odata.type '{value}' is not '#{type_name}'.")
            continue
        if name in writable:
            out[name] = value
        elif name in TASK_READ_ONLY and type_name == TASK_TYPE:
            raise bad_request(f"The property '{name}' is read-only and cannot be set.")
        else:
            raise no_such_property(name, type_name)
    return out


def _typed(value: Any, type_name: str, what: str) -> None:
    """An open-type value must say what it is (Planner's 400 otherwise)."""
    if not isinstance(value, dict) or str(value.get("@odata.type", "")).lstrip("#") != type_name:
        raise bad_request(f'{what} must be an object with "@odata.type": "#{type_name}".')


def _int(name: str, value: Any, top: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
        raise bad_request(f"Invalid value for '{name}': an integer from 0 to {top} is expected.")
    return value


def _when(name: str, value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise bad_request(f"Cannot convert the literal '{value}' to the expected type "
                          f"'Edm.DateTimeOffset' of '{name}'.") from None  # fmt: skip
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def task_changes(
    body: dict[str, Any], tenant: Tenant, plan_id: str, task: PlannerTask | None = None
) -> dict[str, Any]:
    """A task PATCH (or the settable part of a POST) as ``Tenant.edit_task`` fields."""
    given = _fields(body, TASK_TYPE, TASK_WRITABLE)
    out: dict[str, Any] = {}
    if "title" in given:
        title = given["title"]
        if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE:
            raise bad_request(f"The task title must be 1 to {MAX_TITLE} characters.")
        out["title"] = title
    if "bucketId" in given:
        bucket = tenant.buckets.get(str(given["bucketId"]))
        if bucket is None or bucket.plan_id != plan_id:
            raise bad_request("The bucket does not belong to the plan of the task.")
        out["bucket_id"] = bucket.id
    if "appliedCategories" in given:
        out["applied_categories"] = _categories(
            given["appliedCategories"], task.applied_categories if task else []
        )
    if "assignments" in given:
        out["assignee_ids"] = _assignments(
            given["assignments"], tenant, task.assignee_ids if task else []
        )
    if "percentComplete" in given:
        out["percent_complete"] = _int("percentComplete", given["percentComplete"], 100)
    if "priority" in given:
        out["priority"] = _int("priority", given["priority"], 10)
    for name, key in (("startDateTime", "start_at"), ("dueDateTime", "due_at")):
        if name in given:
            out[key] = _when(name, given[name])
    start = out.get("start_at", task.start_at if task else None)
    due = out.get("due_at", task.due_at if task else None)
    if start is not None and due is not None and start > due:
        raise bad_request("The start date of the task cannot be later than its due date.")
    for name, key in (("orderHint", "order_hint"), ("assigneePriority", "assignee_priority")):
        if name in given:
            if not isinstance(given[name], str):
                raise bad_request(f"Invalid value for '{name}': an order hint string is expected.")
            out[key] = tenant.next_order_hint()
    if "conversationThreadId" in given:
        thread = given["conversationThreadId"]
        if thread is not None and not isinstance(thread, str):
            raise bad_request("Invalid value for 'conversationThreadId'.")
        out["conversation_thread_id"] = thread
    return out


def _categories(value: Any, current: list[str]) -> list[str]:
    """``{"category3": true, "category4": false}`` applied to the task's categories."""
    if not isinstance(value, dict):
        raise bad_request("appliedCategories must be an object of categoryN: true|false.")
    applied = list(current)
    for key, on in value.items():
        if key.startswith("@"):
            continue
        if not CATEGORY.fullmatch(key):
            raise no_such_property(key, "microsoft.graph.plannerAppliedCategories")
        if on is not None and not isinstance(on, bool):
            raise bad_request(f"Invalid value for '{key}': true or false is expected.")
        if on and key not in applied:
            applied.append(key)
        elif not on and key in applied:
            applied.remove(key)
    return applied


def _assignments(value: Any, tenant: Tenant, current: list[str]) -> list[str]:
    """``{userId: {"@odata.type": "#microsoft.graph.plannerAssignment", "orderHint": " !"}}``
    assigns, ``{userId: null}`` unassigns."""
    if not isinstance(value, dict):
        raise bad_request("assignments must be an object keyed by user id.")
    assigned = list(current)
    for user_id, assignment in value.items():
        if user_id.startswith("@"):
            continue
        if assignment is None:
            if user_id in assigned:
                assigned.remove(user_id)
            continue
        _typed(assignment, ASSIGNMENT_TYPE, f"The assignment of '{user_id}'")
        if user_id not in tenant.users:
            raise bad_request(f"The user '{user_id}' cannot be assigned: no such user.")
        if user_id not in assigned:
            assigned.append(user_id)
    return assigned


def new_task(body: dict[str, Any], tenant: Tenant) -> tuple[str, dict[str, Any]]:
    """A POST /planner/tasks body -> (plan id, ``Tenant.add_task`` fields incl. title)."""
    plan_id = body.get("planId")
    if not isinstance(plan_id, str) or not plan_id:
        raise bad_request("The task needs a planId.")
    if plan_id not in tenant.plans:
        raise GraphError(404, "itemNotFound", "The requested item is not found.")
    rest = {k: v for k, v in body.items() if k != "planId"}
    if not isinstance(rest.get("title"), str):
        raise bad_request("The task needs a title.")
    return plan_id, task_changes(rest, tenant, plan_id)


def new_bucket(body: dict[str, Any], tenant: Tenant) -> tuple[str, str]:
    """A POST /planner/buckets body -> (plan id, name); the order hint is the server's."""
    fields = _fields(
        body, "microsoft.graph.plannerBucket", frozenset({"name", "planId", "orderHint"})
    )
    plan_id, name = fields.get("planId"), fields.get("name")
    if not isinstance(plan_id, str) or not plan_id:
        raise bad_request("The bucket needs a planId.")
    if plan_id not in tenant.plans:
        raise GraphError(404, "itemNotFound", "The requested item is not found.")
    if not isinstance(name, str) or not name.strip():
        raise bad_request("The bucket needs a name.")
    if "orderHint" in fields and not isinstance(fields["orderHint"], str):
        raise bad_request("Invalid value for 'orderHint': an order hint string is expected.")
    return plan_id, name


def details_changes(body: dict[str, Any], task: PlannerTask, now: datetime) -> dict[str, Any]:
    """A task details PATCH as ``Tenant.edit_task`` fields (description, checklist,
    preview_type); ``references`` is a real property the sandbox does not keep."""
    type_name = "microsoft.graph.plannerTaskDetails"
    writable = frozenset({"description", "previewType", "checklist", "references"})
    given = _fields(body, type_name, writable)
    if "references" in given:
        raise bad_request("The sandbox keeps no task references; leave 'references' out.")
    out: dict[str, Any] = {}
    if "description" in given:
        text = given["description"]
        if text is not None and not isinstance(text, str):
            raise bad_request("Invalid value for 'description': a string is expected.")
        out["description"] = text or ""
    if "previewType" in given:
        if given["previewType"] not in PREVIEW_TYPES:
            raise bad_request(f"Invalid previewType '{given['previewType']}'.")
        out["preview_type"] = given["previewType"]
    if "checklist" in given:
        out["checklist"] = _checklist(given["checklist"], task.checklist, now)
    return out


def _checklist(value: Any, current: list[ChecklistItem], now: datetime) -> list[ChecklistItem]:
    """Merge ``{itemId: {...} | null}`` into the checklist: null removes, an object adds or
    changes (a new item needs a title); changed items are stamped ``now``."""
    if not isinstance(value, dict):
        raise bad_request("checklist must be an object keyed by checklist item id.")
    items = {item.id: item for item in current}
    for item_id, entry in value.items():
        if item_id.startswith("@"):
            continue
        if entry is None:
            items.pop(item_id, None)
            continue
        _typed(entry, CHECKLIST_TYPE, f"Checklist item '{item_id}'")
        unknown = set(entry) - {"@odata.type", "title", "isChecked", "orderHint"}
        if unknown:
            raise no_such_property(sorted(unknown)[0], CHECKLIST_TYPE)
        before = items.get(item_id)
        title = entry.get("title", before.title if before else None)
        if not isinstance(title, str) or not title.strip():
            raise bad_request(f"Checklist item '{item_id}' needs a title.")
        checked = entry.get("isChecked", before.is_checked if before else False)
        if not isinstance(checked, bool):
            raise bad_request(f"Checklist item '{item_id}': isChecked must be true or false.")
        if before is None or (before.title, before.is_checked) != (title, checked):
            items[item_id] = ChecklistItem(item_id, title, checked, now)
    return list(items.values())


def category_labels(body: dict[str, Any]) -> dict[str, str | None]:
    """A plan details PATCH -> the ``categoryN: label | None`` changes; ``sharedWith`` of a
    group's plan is its members', not settable here."""
    type_name = "microsoft.graph.plannerPlanDetails"
    given = _fields(body, type_name, frozenset({"categoryDescriptions", "sharedWith"}))
    if "sharedWith" in given:
        raise bad_request("A group's plan is shared with the group's members; leave "
                          "'sharedWith' out.")  # fmt: skip
    value = given.get("categoryDescriptions", {})
    if not isinstance(value, dict):
        raise bad_request("categoryDescriptions must be an object of categoryN: name|null.")
    labels: dict[str, str | None] = {}
    for key, label in value.items():
        if key.startswith("@"):
            continue
        if not CATEGORY.fullmatch(key):
            raise no_such_property(key, "microsoft.graph.plannerCategoryDescriptions")
        if label is not None and not isinstance(label, str):
            raise bad_request(f"Invalid value for '{key}': a string or null is expected.")
        labels[key] = label
    return labels
