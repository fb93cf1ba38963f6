"""Sites, drives and drive items: lookups by id or path, listings, downloads and uploads.

``GET .../content`` answers 302 to a pre-authenticated link (no Authorization needed there),
as Graph does. Simple uploads (``PUT .../content``) default to ``replace``; upload sessions
follow the reference and default to ``fail``.
"""

from __future__ import annotations

from typing import Any

from pmosync.sandbox.graph import files, render
from pmosync.sandbox.graph.auth import Access
from pmosync.sandbox.graph.call import Call, Reply
from pmosync.sandbox.graph.errors import GraphError, conflict, invalid_request, item_not_found
from pmosync.sandbox.graph.paths import split_address
from pmosync.sandbox.graph.routing import Route
from pmosync.sandbox.tenant import DriveItem, Site, Tenant

SIMPLE_UPLOAD_MAX = 250 * 1024 * 1024
CONFLICT_OPTION = "@microsoft.graph.conflictBehavior"


def site(tenant: Tenant, ref: str) -> Site:
    """A site by id (``host,guid,guid``) or by ``host:/server-relative/path``."""
    host, path = split_address(ref)
    if path is not None:
        try:
            return tenant.site_by_path(host, path)
        except KeyError:
            raise item_not_found("Requested site could not be found") from None
    found = tenant.sites.get(ref)
    if found is None:
        raise item_not_found("Requested site could not be found")
    return found


def group_drive_id(tenant: Tenant, group_id: str) -> str:
    group = tenant.groups.get(group_id)
    if group is None or group.site_id is None or group.site_id not in tenant.sites:
        raise item_not_found("The group has no document library.")
    return tenant.sites[group.site_id].drive_id


def _item(call: Call) -> DriveItem:
    return files.item(call.tenant, call.args["drive"], call.args["item"])


def _item_shape(call: Call) -> Any:
    tenant, links = call.tenant, call.env.downloads

    def shape(record: DriveItem) -> dict[str, Any]:
        return render.drive_item(record, tenant, None if record.is_folder else links.url(record.id))

    return shape


def get_site(call: Call) -> Reply:
    return call.entity(
        "sites/$entity", render.site(site(call.tenant, call.args["site"]), call.tenant)
    )


def search_sites(call: Call) -> Reply:
    """``GET /sites?search=``: the sites whose name, title or address contain the text, ``*``
    for all of them, as Graph answers an app; without ``search`` Graph lists nothing useful
    to an app, so it is a 400 here."""
    text = (call.option("search") or "").strip().strip('"').casefold()
    if not text:
        raise invalid_request("Provide a search query: GET /sites?search={text}, * for all")
    tenant = call.tenant

    def matches(record: Site) -> bool:
        fields = (record.display_name, record.path, render.site_url(record))
        return text == "*" or any(text in value.casefold() for value in fields)

    found = [record for record in tenant.sites.values() if matches(record)]
    return call.listing("sites", found, lambda s: [s.id], lambda s: render.site(s, tenant))


def site_drive(call: Call) -> Reply:
    found = site(call.tenant, call.args["site"])
    drive = files.drive(call.tenant, found.drive_id)
    return call.entity("drives/$entity", render.drive(drive, call.tenant))


def site_drives(call: Call) -> Reply:
    found = site(call.tenant, call.args["site"])
    drives = [d for d in call.tenant.drives.values() if d.site_id == found.id]
    tenant = call.tenant
    return call.listing("drives", drives, lambda d: [d.id], lambda d: render.drive(d, tenant))


def group_drive(call: Call) -> Reply:
    call.group(call.args["group"])
    drive = files.drive(call.tenant, group_drive_id(call.tenant, call.args["group"]))
    return call.entity("drives/$entity", render.drive(drive, call.tenant))


def get_drive(call: Call) -> Reply:
    return call.entity(
        "drives/$entity", render.drive(files.drive(call.tenant, call.args["drive"]), call.tenant)
    )


def get_item(call: Call) -> Reply:
    return call.entity("drives/items/$entity", _item_shape(call)(_item(call)))


def children(call: Call) -> Reply:
    folder = _item(call)
    if not folder.is_folder:
        return call.listing("drives/items", [], lambda i: [i.id], _item_shape(call))
    return call.listing(
        f"drives('{folder.drive_id}')/items('{folder.id}')/children",
        call.tenant.children(folder.id),
        lambda i: [i.name.casefold(), i.name, i.id],
        _item_shape(call),
    )


def create_folder(call: Call) -> Reply:
    parent = _item(call)
    body = call.json()
    name = body.get("name")
    if not isinstance(name, str) or "folder" not in body:
        raise invalid_request('Give the folder as {"name": "...", "folder": {}}.')
    behaviour = files.conflict_behaviour(body.get(CONFLICT_OPTION), "fail")
    tenant = call.tenant
    existing = tenant.child_named(parent.id, name)
    if existing is not None and behaviour == "fail":
        raise conflict(name)
    if existing is not None and behaviour == "rename":
        name = _free_name(tenant, parent.id, name)
    try:
        folder = tenant.make_folder(parent.drive_id, parent.id, name)
    except ValueError as error:
        if str(error) == "nameAlreadyExists":
            raise conflict(name) from None
        raise invalid_request(str(error)) from None
    status = 200 if existing is not None and behaviour == "replace" else 201
    return call.entity("drives/items/$entity", render.drive_item(folder, tenant, None), status)


def _free_name(tenant: Tenant, parent_id: str, name: str) -> str:
    n = 1
    while tenant.child_named(parent_id, f"{name} {n}") is not None:
        n += 1
    return f"{name} {n}"


def download(call: Call) -> Reply:
    item = _item(call)
    if item.is_folder:
        raise invalid_request("A folder has no content to download.")
    return Reply(302, None, {"Location": call.env.downloads.url(item.id)})


def upload(call: Call) -> Reply:
    where = files.target(call.tenant, call.args["drive"], call.args["item"])
    if len(call.raw_body) > SIMPLE_UPLOAD_MAX:
        raise GraphError(
            413, "requestTooLarge", "Simple uploads are limited to 250 MB; use an upload session."
        )
    behaviour = files.conflict_behaviour(call.query.get(CONFLICT_OPTION), "replace")
    stored, created = files.write(call.tenant, where, call.raw_body, behaviour)
    return call.entity("drives/items/$entity", _item_shape(call)(stored), 201 if created else 200)


def create_upload_session(call: Call) -> Reply:
    where = files.target(call.tenant, call.args["drive"], call.args["item"])
    body = call.json() if call.raw_body.strip() else {}
    item = body.get("item") or {}
    if not isinstance(item, dict):
        raise invalid_request("item must be a driveItemUploadableProperties object.")
    behaviour = files.conflict_behaviour(item.get(CONFLICT_OPTION), "fail")
    if behaviour == "fail" and _exists(call.tenant, where):
        raise conflict(where.name or "")
    url, session = call.env.uploads.open(where, behaviour)
    return call.entity(
        "microsoft.graph.uploadSession",
        {
            "uploadUrl": url,
            "expirationDateTime": session.expiration(),
            "nextExpectedRanges": ["0-"],
        },
    )


def _exists(tenant: Tenant, where: files.Target) -> bool:
    """Whether a path upload would meet an existing item (an id upload always does)."""
    if where.path is None:
        return False
    try:
        files.item(tenant, where.drive_id, f"{where.base_key}:/{where.path}")
    except GraphError:
        return False
    return True


def delete_item(call: Call) -> Reply:
    item = _item(call)
    if item.parent_id is None:
        raise GraphError(403, "accessDenied", "The root of a drive cannot be deleted.")
    call.tenant.delete_item(item.id)
    return Reply(204)


ROUTES = (
    Route("GET", "/sites", search_sites, Access.SITES_READ),
    Route("GET", "/sites/{site}", get_site, Access.SITES_READ),
    Route("GET", "/sites/{site}/drive", site_drive, Access.FILES_READ),
    Route("GET", "/sites/{site}/drives", site_drives, Access.FILES_READ),
    Route("GET", "/groups/{group}/drive", group_drive, Access.FILES_READ),
    Route("GET", "/drives/{drive}", get_drive, Access.FILES_READ),
    Route("GET", "/drives/{drive}/items/{item}", get_item, Access.FILES_READ),
    Route("DELETE", "/drives/{drive}/items/{item}", delete_item, Access.FILES_WRITE),
    Route("GET", "/drives/{drive}/items/{item}/children", children, Access.FILES_READ),
    Route("POST", "/drives/{drive}/items/{item}/children", create_folder, Access.FILES_WRITE),
    Route("GET", "/drives/{drive}/items/{item}/content", download, Access.FILES_READ),
    Route("PUT", "/drives/{drive}/items/{item}/content", upload, Access.FILES_WRITE),
    Route(
        "POST",
        "/drives/{drive}/items/{item}/createUploadSession",
        create_upload_session,
        Access.FILES_WRITE,
    ),
)
