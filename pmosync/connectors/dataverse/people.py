"""People behind premium plans: project managers (system users), team members and assignment
resources (bookable resources, a User resource pointing at its system user).

A person's key is the one Graph's Planner connector uses too when it can be: the system user's
Entra object id (``azureactivedirectoryobjectid``); else ``systemuser:<id>``; else, for a generic
or contact resource with no user, ``resource:<bookableresourceid>``. Lookups go by id,
``LOOKUP_CHUNK`` ids a request, only for ids seen on changed rows, and are cached for the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pmosync.connectors.dataverse.client import DataverseClient
from pmosync.connectors.dataverse.tracking import Table, fetch

USER_COLUMNS = (
    "systemuserid",
    "fullname",
    "internalemailaddress",
    "azureactivedirectoryobjectid",
    "isdisabled",
)
USERS = Table("systemuser", "systemusers", "systemuserid", USER_COLUMNS)
USER_EXPAND = f"UserId($select={','.join(USER_COLUMNS)})"
"""A bookable resource's system user, read with it."""
RESOURCES = Table(
    "bookableresource",
    "bookableresources",
    "bookableresourceid",
    ("bookableresourceid", "name", "resourcetype", "msdyn_primaryemail", "_userid_value"),
    expand=USER_EXPAND,
)
RESOURCE_EXPAND = (
    "msdyn_bookableresourceid($select=bookableresourceid,name,msdyn_primaryemail,resourcetype;"
    f"$expand={USER_EXPAND})"
)
"""A team member's bookable resource and its system user, read with the team row."""


def user_key(user: Mapping[str, Any] | None, user_id: str | None) -> str | None:
    object_id = (user or {}).get("azureactivedirectoryobjectid")
    if object_id:
        return str(object_id)
    return f"systemuser:{user_id}" if user_id else None


def person_of_user(user_id: str, user: Mapping[str, Any] | None) -> dict[str, Any]:
    """The person record of a system user (``user`` None: it could not be read)."""
    user = user or {}
    return {
        "key": user_key(user, user_id),
        "name": user.get("fullname"),
        "email": user.get("internalemailaddress"),
        "objectId": user.get("azureactivedirectoryobjectid"),
        "systemuserid": user_id,
        "bookableresourceid": None,
        "resourcetype": None,
        "disabled": bool(user.get("isdisabled")),
    }


def person_of_resource(resource_id: str, resource: Mapping[str, Any] | None) -> dict[str, Any]:
    """The person record of a bookable resource (with its expanded ``UserId``, if a user)."""
    resource = resource or {}
    user = resource.get("UserId") if isinstance(resource.get("UserId"), Mapping) else None
    user_id = (user or {}).get("systemuserid") or resource.get("_userid_value")
    if user_id:
        person = person_of_user(str(user_id), user)
        person["name"] = person["name"] or resource.get("name")
        person["email"] = person["email"] or resource.get("msdyn_primaryemail")
    else:
        person = {
            "key": f"resource:{resource_id}",
            "name": resource.get("name"),
            "email": resource.get("msdyn_primaryemail"),
            "objectId": None,
            "systemuserid": None,
            "bookableresourceid": None,
            "resourcetype": None,
            "disabled": False,
        }
    person["bookableresourceid"] = resource_id
    person["resourcetype"] = resource.get("resourcetype")
    return person


def merge(old: Mapping[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """One person seen twice (as a manager and as a resource): what either knows."""
    if old is None:
        return new
    return {name: new.get(name) if new.get(name) is not None else old.get(name) for name in new}


class PeopleBook:
    """The run's people: lookups cached, and the records not yet handed to mapping."""

    def __init__(self, client: DataverseClient) -> None:
        self.client = client
        self.user_keys: dict[str, str] = {}
        self.resource_keys: dict[str, str] = {}
        self.records: dict[str, dict[str, Any]] = {}
        """Person key -> record, every person resolved this run."""
        self.pending: set[str] = set()
        """Keys of records resolved, or changed, since the last ``take``."""

    def users(
        self, ids: Iterable[str | None], known: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """Person key of each system user id: from ``known`` (a checkpoint's), the run's
        cache, or a lookup (the first time the run sees it)."""
        known = known or {}
        wanted = {i for i in ids if i}
        missing = {i for i in wanted if i not in self.user_keys and i not in known}
        found: dict[str, dict] = {}
        for rows in fetch(self.client, USERS, missing):
            found.update((str(r.get("systemuserid")), r) for r in rows)
        for user_id in missing:
            self._add(person_of_user(user_id, found.get(user_id)))
            self.user_keys[user_id] = user_key(found.get(user_id), user_id) or user_id
        return {i: self.user_keys.get(i) or known[i] for i in wanted}

    def resources(self, ids: Iterable[str | None], known: Mapping[str, str]) -> dict[str, str]:
        """Person key of each bookable resource id: from ``known`` (a checkpoint's), the run's
        cache, or a lookup of the resource and its system user."""
        wanted = {i for i in ids if i}
        missing = {i for i in wanted if i not in self.resource_keys and i not in known}
        found: dict[str, dict] = {}
        for rows in fetch(self.client, RESOURCES, missing):
            found.update((str(r.get("bookableresourceid")), r) for r in rows)
        for resource_id in missing:
            self.resource(resource_id, found.get(resource_id))
        return {i: self.resource_keys.get(i) or known[i] for i in wanted}

    def resource(self, resource_id: str, row: Mapping[str, Any] | None) -> str:
        """Record a bookable resource read with its user; its person key."""
        person = person_of_resource(resource_id, row)
        self._add(person)
        self.resource_keys[resource_id] = person["key"]
        if person["systemuserid"]:
            self.user_keys.setdefault(person["systemuserid"], person["key"])
        return person["key"]

    def _add(self, person: dict[str, Any]) -> None:
        key = person["key"]
        merged = merge(self.records.get(key), person)
        if merged != self.records.get(key):
            self.pending.add(key)
        self.records[key] = merged

    def take(self) -> list[dict[str, Any]]:
        """The records resolved since the last call (or changed since handed out)."""
        fresh = [self.records[k] for k in sorted(self.pending)]
        self.pending.clear()
        return fresh
