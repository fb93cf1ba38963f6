"""Drive addressing and writes shared by the drive routes and upload sessions.

An item is addressed by id, by ``root``, or by a path below either (``root:/a/b.xlsx``,
``{folder-id}:/b.xlsx``). Writes by path create missing folders, as Graph does for uploads.
"""

from __future__ import annotations

from dataclasses import dataclass

from pmosync.sandbox.graph.errors import conflict, invalid_request, item_not_found
from pmosync.sandbox.graph.paths import split_address
from pmosync.sandbox.tenant import Drive, DriveItem, Tenant

CONFLICT_BEHAVIOURS = ("replace", "fail", "rename")


def drive(tenant: Tenant, drive_id: str) -> Drive:
    found = tenant.drives.get(drive_id)
    if found is None:
        raise item_not_found("The drive could not be found.")
    return found


def base_item(tenant: Tenant, drive_id: str, key: str) -> DriveItem:
    """The item an address starts from: ``root`` or an id in this drive."""
    drive(tenant, drive_id)
    if key == "root":
        return tenant.drive_root(drive_id)
    found = tenant.items.get(key)
    if found is None or found.drive_id != drive_id:
        raise item_not_found("The resource could not be found.")
    return found


def item(tenant: Tenant, drive_id: str, ref: str) -> DriveItem:
    """The item an address names, or a 404."""
    key, path = split_address(ref)
    found: DriveItem | None = base_item(tenant, drive_id, key)
    for segment in (s for s in (path or "").split("/") if s):
        if found is None or not found.is_folder:
            break
        found = tenant.child_named(found.id, segment)
    if found is None:
        raise item_not_found("The resource could not be found.")
    return found


@dataclass(frozen=True)
class Target:
    """Where a file write lands: a folder address plus a relative path, or an existing file."""

    drive_id: str
    base_key: str
    path: str | None
    """``a/b/name.xlsx`` below the base; None when the base is the file itself."""

    @property
    def name(self) -> str | None:
        return self.path.rsplit("/", 1)[-1] if self.path else None


def target(tenant: Tenant, drive_id: str, ref: str) -> Target:
    """Check an upload address: its base must exist (the rest may be created)."""
    key, path = split_address(ref)
    base = base_item(tenant, drive_id, key)
    if path is None:
        if base.is_folder:
            raise invalid_request("Cannot upload content to a folder; address a file name.")
        return Target(drive_id, base.id, None)
    if not path:
        raise invalid_request("The upload path must name a file.")
    if not base.is_folder:
        raise invalid_request(f"{base.name!r} is a file, not a folder.")
    return Target(drive_id, base.id, path)


def conflict_behaviour(value: object | None, default: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str) or value.lower() not in CONFLICT_BEHAVIOURS:
        raise invalid_request(
            f"Invalid value '{value}' for @microsoft.graph.conflictBehavior; "
            "use fail, replace or rename."
        )
    return value.lower()


def write(tenant: Tenant, where: Target, content: bytes, behaviour: str) -> tuple[DriveItem, bool]:
    """Store the file; (item, created) where created is False for a replaced file."""
    try:
        if where.path is None:
            existing = tenant.items[where.base_key]
            stored = tenant.put_file(
                where.drive_id, existing.parent_id, existing.name, content, "replace"
            )
            return stored, False
        *folders, name = where.path.split("/")
        parent = tenant.items[where.base_key]
        for segment in folders:
            parent = tenant.make_folder(where.drive_id, parent.id, segment)
        existed = tenant.child_named(parent.id, name) is not None
        stored = tenant.put_file(where.drive_id, parent.id, name, content, behaviour)
        return stored, not existed or behaviour == "rename"
    except ValueError as error:
        if str(error) == "nameAlreadyExists":
            raise conflict(where.name or "") from None
        raise invalid_request(str(error)) from None
    except KeyError:
        raise item_not_found("The resource could not be found.") from None
