"""Custom field values sent by ``PUT /tasks/{gid}`` and ``PUT /projects/{gid}``, checked the
way Asana checks them before anything is written.

``custom_fields`` maps a field gid to a value: a number, a string, an enum *option gid*, a date
object, a list of user gids, or null to clear. Asana refuses (nothing applied):

- 402 on a free workspace: custom fields are a premium feature;
- 400 a field that is not on the object (a task's project's field settings, a project's own
  fields), naming the field;
- 400 an enum value that is not an option of that field, or an option that is disabled;
- 400 a value of the wrong type for the field;
- 403 a field whose value is read only to the caller: a formula field, or a field locked by
  another user (the spec: "Attempting to edit a locked custom field will return HTTP error code
  403 Forbidden").
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from typing import Any

from pmosync.sandbox.asana import params
from pmosync.sandbox.asana.errors import PREMIUM_ONLY, ApiError, bad_request, forbidden
from pmosync.sandbox.org import CustomField, Org

TEXT_LIMIT = 1024


def read_only_reason(org: Org, field: CustomField, user_gid: str | None) -> str | None:
    """Why ``user_gid`` may not set this field's values (None: they may)."""
    if field.gid in org.formula_fields:
        return "is a formula field; its value is computed and read only"
    owner = org.locked_fields.get(field.gid)
    if owner is not None and owner != user_gid:
        who = org.user(owner)
        return f"is locked by {who.name if who else owner}; only they can change its value"
    return None


def named(field: CustomField) -> str:
    return f"{field.name!r} ({field.gid})"


def resolve(
    org: Org, values: Any, on_object: Collection[str], where: str, user_gid: str
) -> dict[str, Any]:
    """{field gid: value as stored} for a request's ``custom_fields``; ApiError otherwise.

    ``on_object`` is the gids of the fields the object has; ``where`` names the object in
    messages ("task 123", "project 456 (Apollo)")."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise bad_request("custom_fields: Must be an object of custom field gid to value")
    if values and not org.workspace.is_premium:
        raise ApiError(402, PREMIUM_ONLY)
    resolved: dict[str, Any] = {}
    for key, value in values.items():
        field_gid = params.gid("custom_fields", str(key))
        field = org.custom_fields.get(field_gid)
        if field is None or field_gid not in on_object:
            label = named(field) if field else field_gid
            raise bad_request(f"custom_fields: Custom field {label} is not on {where}")
        reason = read_only_reason(org, field, user_gid)
        if reason is not None:
            raise forbidden(f"custom_fields: Custom field {named(field)} {reason}")
        resolved[field_gid] = None if value is None else _value(org, field, value)
    return resolved


def _value(org: Org, field: CustomField, value: Any) -> Any:
    label = named(field)
    if field.type == "number":
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = float(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad_request(f"custom_fields: Number value for {label} is not a number: {value!r}")
        return round(float(value), field.precision) if field.precision else value
    if field.type == "enum":
        option = field.option(str(value)) if isinstance(value, str | int) else None
        if option is None:
            raise bad_request(
                f"custom_fields: {value!r} is not an enum option gid of custom field {label}"
            )
        if not option.enabled:
            raise bad_request(
                f"custom_fields: Enum option {option.name!r} ({option.gid}) of custom field "
                f"{label} is disabled"
            )
        return option.gid
    if field.type == "text":
        if not isinstance(value, str):
            raise bad_request(f"custom_fields: Text value for {label} is not a string: {value!r}")
        if len(value) > TEXT_LIMIT:
            raise bad_request(f"custom_fields: Text value for {label} exceeds {TEXT_LIMIT} chars")
        return value
    if field.type == "date":
        day = value.get("date") if isinstance(value, dict) else value
        if not isinstance(day, str):
            raise bad_request(f"custom_fields: Date value for {label} must be {{'date': ...}}")
        return {"date": params.day("custom_fields", day).isoformat(), "date_time": None}
    if field.type == "people":
        gids = value.split(",") if isinstance(value, str) else value
        if not isinstance(gids, list) or any(org.user(str(g)) is None for g in gids):
            raise bad_request(f"custom_fields: People value for {label} names unknown users")
        return [str(g) for g in gids]
    raise bad_request(f"custom_fields: Custom field {label} cannot be set through the API")
