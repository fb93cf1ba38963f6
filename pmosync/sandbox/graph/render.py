"""Tenant records as Graph v1.0 JSON (camelCase, ISO-8601 UTC timestamps with ``Z``).

Only shapes live here; which records a response holds, and the envelope around them, is the
handlers' business. Properties follow the v1.0 resource pages (user, group, team, channel,
plannerPlan(+Details), plannerBucket, plannerTask(+Details), site, drive, driveItem, list,
listItem); properties a real tenant would fill from features the sandbox lacks are null or
empty, never invented.
"""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import quote

from pmosync.sandbox.graph.etags import item_ctag, item_etag, planner_etag
from pmosync.sandbox.tenant import (
    Bucket,
    Channel,
    Drive,
    DriveItem,
    Group,
    ListColumn,
    Plan,
    PlannerTask,
    SharePointList,
    Site,
    Tenant,
    User,
)
from pmosync.sandbox.tenant.columns import render_value

GRAPH = "https://graph.microsoft.com/v1.0"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CATEGORY_COUNT = 25
SYSTEM = {"user": {"displayName": "System Account"}}


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _identity(user_id: str | None) -> dict[str, Any] | None:
    if user_id is None:
        return None
    return {"user": {"displayName": None, "id": user_id}}


def provisioned_at(tenant: Tenant) -> datetime:
    """When the tenant's sites and drives were made: a year before ``today`` (no model field)."""
    return datetime.combine(tenant.today - timedelta(days=365), time(), UTC)


# -- directory ---------------------------------------------------------------------------------


def user(record: User) -> dict[str, Any]:
    given, _, surname = record.display_name.partition(" ")
    return {
        "businessPhones": [],
        "displayName": record.display_name,
        "givenName": given or None,
        "jobTitle": record.job_title,
        "mail": record.mail,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": None,
        "surname": surname or None,
        "userPrincipalName": record.user_principal_name,
        "id": record.id,
    }


def group(record: Group, tenant: Tenant) -> dict[str, Any]:
    """Microsoft 365, security and distribution groups differ in ``groupTypes``,
    ``mailEnabled``/``securityEnabled`` and whether ``resourceProvisioningOptions`` says Team."""
    unified = record.kind == "unified"
    return {
        "id": record.id,
        "deletedDateTime": None,
        "classification": None,
        "createdDateTime": iso(record.created_at),
        "description": record.description,
        "displayName": record.display_name,
        "groupTypes": ["Unified"] if unified else [],
        "mail": None if record.kind == "security" else f"{record.mail_nickname}@{tenant.domain}",
        "mailEnabled": record.kind != "security",
        "mailNickname": record.mail_nickname,
        "securityEnabled": record.kind == "security",
        "visibility": "Private" if unified else None,
        "resourceProvisioningOptions": ["Team"] if unified and record.is_team else [],
    }


def team(record: Group, tenant: Tenant) -> dict[str, Any]:
    return {
        "id": record.id,
        "createdDateTime": iso(record.created_at),
        "displayName": record.display_name,
        "description": record.description,
        "internalId": f"19:{record.id.replace('-', '')}@thread.tacv2",
        "classification": None,
        "specialization": "none",
        "visibility": "private",
        "webUrl": f"https://teams.microsoft.com/l/team/{quote(record.id)}?tenantId={tenant.tenant_id}",
        "isArchived": False,
        "tenantId": tenant.tenant_id,
    }


def channel(record: Channel, tenant: Tenant) -> dict[str, Any]:
    created = tenant.groups[record.team_id].created_at if record.team_id in tenant.groups else None
    return {
        "id": record.id,
        "createdDateTime": iso(created),
        "displayName": record.display_name,
        "description": record.description,
        "isFavoriteByDefault": None,
        "email": "",
        "tenantId": tenant.tenant_id,
        "webUrl": f"https://teams.microsoft.com/l/channel/{quote(record.id, safe='')}/"
        f"{quote(record.display_name)}?groupId={record.team_id}&tenantId={tenant.tenant_id}",
        "membershipType": "standard",
    }


# -- Planner -----------------------------------------------------------------------------------


def plan(record: Plan) -> dict[str, Any]:
    return {
        "@odata.etag": planner_etag("Plan", record.id, record.version),
        "createdDateTime": iso(record.created_at),
        "owner": record.group_id,
        "title": record.title,
        "id": record.id,
        "createdBy": _identity(record.created_by),
        "container": {
            "containerId": record.group_id,
            "type": "group",
            "url": f"{GRAPH}/groups/{record.group_id}",
        },
    }


def plan_details(record: Plan, tenant: Tenant) -> dict[str, Any]:
    members = tenant.groups[record.group_id].member_ids if record.group_id in tenant.groups else []
    categories: dict[str, Any] = {
        "@odata.type": "#microsoft.graph.plannerCategoryDescriptions",
    }
    for n in range(1, CATEGORY_COUNT + 1):
        categories[f"category{n}"] = record.category_descriptions.get(f"category{n}")
    return {
        "@odata.etag": planner_etag("PlanDe", record.id, record.details_version),
        "sharedWith": {user_id: True for user_id in members},
        "categoryDescriptions": categories,
        "id": record.id,
    }


def bucket(record: Bucket) -> dict[str, Any]:
    return {
        "@odata.etag": planner_etag("Bucket", record.id, record.version),
        "name": record.name,
        "planId": record.plan_id,
        "orderHint": record.order_hint,
        "id": record.id,
    }


def task(record: PlannerTask) -> dict[str, Any]:
    active = sum(not item.is_checked for item in record.checklist)
    assigned_at = iso(record.created_at)
    return {
        "@odata.etag": planner_etag("Task", record.id, record.version),
        "planId": record.plan_id,
        "bucketId": record.bucket_id,
        "title": record.title,
        "orderHint": record.order_hint,
        "assigneePriority": record.assignee_priority,
        "percentComplete": record.percent_complete,
        "startDateTime": iso(record.start_at),
        "createdDateTime": iso(record.created_at),
        "dueDateTime": iso(record.due_at),
        "hasDescription": bool(record.description),
        "previewType": record.preview_type,
        "completedDateTime": iso(record.completed_at),
        "completedBy": _identity(record.completed_by),
        "referenceCount": 0,
        "checklistItemCount": len(record.checklist),
        "activeChecklistItemCount": active,
        "conversationThreadId": record.conversation_thread_id,
        "priority": record.priority,
        "id": record.id,
        "createdBy": _identity(record.created_by),
        "appliedCategories": {key: True for key in record.applied_categories},
        "assignments": {
            user_id: {
                "@odata.type": "#microsoft.graph.plannerAssignment",
                "assignedDateTime": assigned_at,
                "orderHint": f"8585{n:015d} !",
                "assignedBy": _identity(record.created_by),
            }
            for n, user_id in enumerate(record.assignee_ids)
        },
    }


def task_details(record: PlannerTask) -> dict[str, Any]:
    modified = iso(record.created_at)
    return {
        "@odata.etag": planner_etag("TaskDe", record.id, record.details_version),
        "description": record.description,
        "previewType": record.preview_type,
        "id": record.id,
        "references": {},
        "checklist": {
            item.id: {
                "@odata.type": "#microsoft.graph.plannerChecklistItem",
                "isChecked": item.is_checked,
                "title": item.title,
                "orderHint": f"8585{n:015d}",
                "lastModifiedDateTime": iso(item.modified_at) if item.modified_at else modified,
                "lastModifiedBy": _identity(record.created_by),
            }
            for n, item in enumerate(record.checklist)
        },
    }


# -- SharePoint and files ----------------------------------------------------------------------


def site_url(record: Site) -> str:
    return f"https://{record.hostname}{quote(record.path)}"


def site(record: Site, tenant: Tenant) -> dict[str, Any]:
    at = iso(provisioned_at(tenant))
    return {
        "id": record.id,
        "createdDateTime": at,
        "lastModifiedDateTime": at,
        "description": "",
        "name": record.path.rstrip("/").rsplit("/", 1)[-1],
        "displayName": record.display_name,
        "webUrl": site_url(record),
        "root": {},
        "siteCollection": {"hostname": record.hostname},
    }


def drive(record: Drive, tenant: Tenant) -> dict[str, Any]:
    owner_site = tenant.sites.get(record.site_id)
    web = f"{site_url(owner_site)}/Shared%20Documents" if owner_site else None
    return {
        "id": record.id,
        "createdDateTime": iso(provisioned_at(tenant)),
        "description": "",
        "driveType": "documentLibrary",
        "name": record.name,
        "webUrl": web,
        "createdBy": SYSTEM,
        "owner": SYSTEM,
    }


def drive_item(record: DriveItem, tenant: Tenant, download_url: str | None) -> dict[str, Any]:
    """A driveItem; ``download_url`` is the pre-authenticated link (files only)."""
    owner = tenant.drives.get(record.drive_id)
    owner_site = tenant.sites.get(owner.site_id) if owner else None
    path = tenant.item_path(record.id)
    base = f"{site_url(owner_site)}/Shared%20Documents" if owner_site else ""
    body: dict[str, Any] = {
        "@odata.etag": item_etag(record.id, record.version),
        "createdDateTime": iso(record.created_at),
        "eTag": item_etag(record.id, record.version),
        "id": record.id,
        "lastModifiedDateTime": iso(record.modified_at),
        "name": "root" if record.parent_id is None else record.name,
        "webUrl": base + (quote(path) if path != "/" else ""),
        "cTag": item_ctag(record.id, record.version),
        "size": len(record.content) if record.content is not None else _folder_size(record, tenant),
        "createdBy": SYSTEM,
        "lastModifiedBy": SYSTEM,
        "parentReference": _parent_reference(record, tenant, path, owner_site),
        "fileSystemInfo": {
            "createdDateTime": iso(record.created_at),
            "lastModifiedDateTime": iso(record.modified_at),
        },
    }
    if record.parent_id is None:
        body["root"] = {}
    if record.is_folder:
        body["folder"] = {"childCount": sum(1 for _ in _children(record, tenant))}
    else:
        body["file"] = {"mimeType": mime_type(record.name)}
        if download_url is not None:
            body = {"@microsoft.graph.downloadUrl": download_url, **body}
    return body


def _parent_reference(
    record: DriveItem, tenant: Tenant, path: str, owner_site: Site | None
) -> dict[str, Any]:
    ref: dict[str, Any] = {"driveType": "documentLibrary", "driveId": record.drive_id}
    if owner_site is not None:
        ref["siteId"] = owner_site.id
    if record.parent_id is not None:
        parent_path = path.rsplit("/", 1)[0]
        ref["id"] = record.parent_id
        ref["name"] = (
            tenant.items[record.parent_id].name if record.parent_id in tenant.items else None
        )
        ref["path"] = f"/drives/{record.drive_id}/root:{quote(parent_path)}"
    return ref


def _children(record: DriveItem, tenant: Tenant) -> list[DriveItem]:
    return [i for i in tenant.items.values() if i.parent_id == record.id]


def _folder_size(record: DriveItem, tenant: Tenant) -> int:
    """A folder's size is the total of what it holds (folders of folders included)."""
    total, pending = 0, [record.id]
    while pending:
        current = pending.pop()
        for child in tenant.items.values():
            if child.parent_id == current:
                if child.content is None:
                    pending.append(child.id)
                else:
                    total += len(child.content)
    return total


def mime_type(name: str) -> str:
    if name.lower().endswith(".xlsx"):
        return XLSX
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


_COLUMN_FACETS: dict[str, dict[str, Any]] = {
    "text": {"allowMultipleLines": False, "appendChangesToExistingText": False,
             "linesForEditing": 0, "maxLength": 255},
    "number": {"decimalPlaces": "automatic", "displayAs": "number"},
    "boolean": {},
}  # fmt: skip
_SYSTEM_COLUMNS = (
    ListColumn("ID", "number", indexed=True),
    ListColumn("Created", "dateTime"),
    ListColumn("Modified", "dateTime"),
)
"""Columns every list has and nobody writes: listed, as Graph lists them, read-only."""


def list_column(record: SharePointList, column: ListColumn) -> dict[str, Any]:
    """A columnDefinition: name, flags and the one facet that gives its type."""
    system = column.name not in record.columns
    if column.kind == "dateTime":
        facet = {"displayAs": "default", "format": "dateOnly" if column.date_only else "dateTime"}
    elif column.kind == "personOrGroup":
        facet = {"allowMultipleSelection": column.multiple, "displayAs": "nameWithPresence",
                 "chooseFromType": "peopleOnly"}  # fmt: skip
    elif column.kind == "choice":  # several options: check boxes (Graph has no other flag)
        facet = {"allowTextEntry": False, "choices": list(column.choices),
                 "displayAs": "checkBoxes" if column.multiple else "dropDownMenu"}  # fmt: skip
    elif column.kind == "currency":
        facet = {"locale": column.locale or "en-US"}
    elif column.kind == "text" and (column.multiline or column.rich_text):
        facet = {"allowMultipleLines": True, "appendChangesToExistingText": False,
                 "linesForEditing": 6, "maxLength": 63999,
                 "textType": "richText" if column.rich_text else "plain"}  # fmt: skip
    else:
        facet = dict(_COLUMN_FACETS[column.kind])
    return {
        "columnGroup": "Custom Columns" if not system else "_Hidden",
        "description": "",
        "displayName": column.name,
        "enforceUniqueValues": False,
        "hidden": False,
        "id": f"{record.id[:24]}{sum(map(ord, column.name)):012x}",
        "indexed": column.indexed,
        "name": column.name,
        "readOnly": system,
        "required": column.name == "Title",
        column.kind: facet,
    }


def list_columns(record: SharePointList) -> list[dict[str, Any]]:
    return [list_column(record, c) for c in (*record.columns.values(), *_SYSTEM_COLUMNS)]


def sp_list(
    record: SharePointList, tenant: Tenant, *, with_columns: bool = False
) -> dict[str, Any]:
    owner = tenant.sites.get(record.site_id)
    at = iso(provisioned_at(tenant))
    expanded = {"columns": list_columns(record)} if with_columns else {}
    return {
        **expanded,
        "@odata.etag": f'"{record.id},1"',
        "createdDateTime": at,
        "description": "",
        "id": record.id,
        "lastModifiedDateTime": at,
        "name": record.display_name.replace(" ", ""),
        "webUrl": f"{site_url(owner)}/Lists/{quote(record.display_name.replace(' ', ''))}"
        if owner
        else None,
        "displayName": record.display_name,
        "createdBy": SYSTEM,
        "parentReference": {"siteId": record.site_id},
        "list": {"contentTypesEnabled": False, "hidden": False, "template": "genericList"},
    }


def _list_author(tenant: Tenant, user_id: str | None) -> dict[str, Any]:
    """A list item's author as SharePoint gives it: the user's id, name and email (a guest's
    is their own address, or none), or the System Account."""
    found = tenant.users.get(user_id) if user_id else None
    if found is None:
        return SYSTEM
    return {"user": {"email": found.mail, "id": found.id, "displayName": found.display_name}}


def _person_lookup(tenant: Tenant, site_id: str, user_id: str) -> dict[str, Any]:
    """One person of a multi-person field, as Graph gives it."""
    user = tenant.users[user_id]
    return {
        "LookupId": tenant.site_user(site_id, user_id),
        "LookupValue": user.display_name,
        "Email": user.mail or "",
    }


def list_item(
    record: SharePointList, item_id: str, tenant: Tenant, *, with_fields: bool
) -> dict[str, Any]:
    at = iso(datetime.combine(tenant.today, time(), UTC))
    fields = record.items[item_id]
    meta = record.meta.get(item_id)
    body: dict[str, Any] = {
        "@odata.etag": f'"{record.id}-{item_id},1"',
        "createdDateTime": iso(meta.created_at) if meta else at,
        "eTag": f'"{record.id}-{item_id},1"',
        "id": item_id,
        "lastModifiedDateTime": iso(meta.modified_at) if meta else at,
        "webUrl": None,
        "createdBy": _list_author(tenant, meta.created_by) if meta else SYSTEM,
        "lastModifiedBy": _list_author(tenant, meta.modified_by) if meta else SYSTEM,
        "parentReference": {"id": record.id, "siteId": record.site_id},
        "contentType": {"id": "0x0100", "name": "Item"},
    }
    if with_fields:
        typed = {}
        for name, value in fields.items():
            column = record.columns.get(name)
            if name.startswith("_"):
                continue  # the sandbox's own bookkeeping (a user list item's user)
            if column is not None and column.kind == "personOrGroup" and column.multiple:
                # several people: an array of lookups (the id as a number), each with the
                # person's display name and address (empty for a guest without a mailbox)
                typed[name] = [_person_lookup(tenant, record.site_id, str(v)) for v in value]
            elif column is not None and column.kind == "personOrGroup":
                # Graph gives a person field only as its lookup id into the site's hidden
                # "User Information List", never the person's name or address
                typed[f"{name}LookupId"] = str(tenant.site_user(record.site_id, str(value)))
            elif isinstance(value, list):  # several choices, annotated as Graph does
                typed[f"{name}@odata.type"] = "Collection(Edm.String)"
                typed[name] = list(value)
            else:
                typed[name] = render_value(value)
        body["fields"] = {"@odata.etag": body["eTag"], "id": item_id, **typed}
    return body
