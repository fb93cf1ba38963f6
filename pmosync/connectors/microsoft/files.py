"""Workbooks in a SharePoint folder or a Teams channel's files, read through Graph (or, with
``list:``, a SharePoint list's items as rows: see ``list_rows``).

The location is resolved once per run: a site path (``contoso.sharepoint.com:/sites/ops``) and a
folder, or a team and channel by name or id (the channel's ``filesFolder`` is a folder of the
team site's library). Its files are listed recursively; a file is fetched only when its ``cTag``
(which changes with the content, not with a rename) differs from the one recorded, and reading,
row keys and reconciliation are the shared workbook stream's.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pmosync.config.connectors import SharePointFilesConnector
from pmosync.connectors.base import CheckResult, Stream
from pmosync.connectors.errors import ConnectorError, InvalidRequest, NotFound
from pmosync.connectors.files.limits import Limits
from pmosync.connectors.files.stream import FileRef, Links, WorkbookStream, settings
from pmosync.connectors.microsoft.graph import GraphClient
from pmosync.connectors.microsoft.list_rows import ListRowsStream
from pmosync.connectors.microsoft.lists import read_list
from pmosync.connectors.microsoft.source import run_probes
from pmosync.connectors.retry import RetryPolicy

ITEM_FIELDS = "id,name,eTag,cTag,file,folder,webUrl,size,lastModifiedDateTime"
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def _odata_text(value: str) -> str:
    """A string literal for ``$filter`` (quotes doubled, as OData escapes them)."""
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class Folder:
    drive_id: str
    item_id: str
    label: str
    """How the user named it, for messages."""


class SharePointFolder:
    """Finds the configured folder and lists and downloads its workbooks."""

    def __init__(self, config: SharePointFilesConnector, client: GraphClient) -> None:
        self.config = config
        self.client = client
        self._folder: Folder | None = None

    async def folder(self) -> Folder:
        if self._folder is None:
            self._folder = await self._resolve()
        return self._folder

    async def _resolve(self) -> Folder:
        config, client = self.config, self.client
        if config.site is not None:
            site = await client.get(
                client.sdk.sites.by_site_id(config.site).to_get_request_information()
            )
            drive = await client.get(f"sites/{site['id']}/drive?$select=id")
            root = Folder(drive["id"], "root", f"site {config.site}")
        else:
            team = await self.team_id(config.team or "")
            channel = await self._channel_id(team, config.channel or "")
            files = await client.get(f"teams/{team}/channels/{channel}/filesFolder")
            drive = (files.get("parentReference") or {}).get("driveId")
            if not drive:
                raise InvalidRequest(f"channel {config.channel!r} has no files folder yet")
            root = Folder(drive, files["id"], f"team {config.team!r}, channel {config.channel!r}")
        if not config.folder:
            return root
        path = quote(config.folder.strip("/"))
        base = "root" if root.item_id == "root" else f"items/{root.item_id}"
        try:
            item = await client.get(f"drives/{root.drive_id}/{base}:/{path}:?$select=id,folder")
        except NotFound:
            raise NotFound(f"{root.label} has no folder {config.folder!r}", 404) from None
        if "folder" not in item:
            raise InvalidRequest(f"{root.label}: {config.folder!r} is a file, not a folder")
        return Folder(root.drive_id, item["id"], f"{root.label}, folder {config.folder!r}")

    async def team_id(self, team: str) -> str:
        if _GUID.match(team):
            return team
        named = await self.client.collect(
            f"groups?$filter=displayName eq {_odata_text(team)}"
            "&$select=id,displayName,groupTypes,resourceProvisioningOptions"
        )
        # Security and distribution groups (and Microsoft 365 groups without a team) may share
        # the team's name; only a Microsoft 365 group provisioned as a Team has channels.
        groups = [
            g
            for g in named
            if "Unified" in (g.get("groupTypes") or [])
            and "Team" in (g.get("resourceProvisioningOptions") or [])
        ]
        if len(groups) != 1:
            found = "no team" if not groups else f"{len(groups)} teams"
            raise NotFound(f"team {team!r}: {found} with that name; give the team's id", 404)
        return groups[0]["id"]

    async def _channel_id(self, team: str, channel: str) -> str:
        if re.match(r"^19:.+@thread\.", channel):
            return channel
        channels = await self.client.collect(f"teams/{team}/channels?$select=id,displayName")
        wanted = [
            c for c in channels if (c.get("displayName") or "").casefold() == channel.casefold()
        ]
        if len(wanted) != 1:
            names = ", ".join(sorted(c.get("displayName") or "?" for c in channels))
            raise NotFound(f"team has no channel {channel!r} (channels: {names})", 404)
        return wanted[0]["id"]

    async def listing(self) -> list[FileRef]:
        """Every file under the folder whose name matches a pattern, with its content tag."""
        folder = await self.folder()
        found: list[FileRef] = []
        pending = [(folder.item_id, "")]
        while pending:
            item_id, prefix = pending.pop()
            base = "root" if item_id == "root" else f"items/{item_id}"
            url = f"drives/{folder.drive_id}/{base}/children?$select={ITEM_FIELDS}"
            for item in await self.client.collect(url):
                name = f"{prefix}{item['name']}"
                if "folder" in item:
                    pending.append((item["id"], f"{name}/"))
                elif self._wanted(item["name"]):
                    version = item.get("cTag") or item.get("eTag") or ""
                    size = item.get("size")
                    size = size if isinstance(size, int) else None
                    found.append(FileRef(item["id"], name, version, item.get("webUrl"), size))
        return sorted(found, key=lambda ref: ref.name)

    def _wanted(self, name: str) -> bool:
        lowered = name.lower()
        return any(fnmatch.fnmatch(lowered, p.lower()) for p in self.config.patterns)

    async def fetch(self, ref: FileRef) -> bytes:
        folder = await self.folder()
        return await self.client.download(f"drives/{folder.drive_id}/items/{ref.key}/content")


class SharePointFilesSource:
    """Timesheet or cost workbooks from SharePoint or Teams, as one ``rows`` stream."""

    def __init__(
        self,
        name: str,
        config: SharePointFilesConnector,
        *,
        policy: RetryPolicy | None = None,
        links: Links | None = None,
    ) -> None:
        """``links`` resolves the files' names (see ``WorkbookStream``)."""
        self.name = name
        self.config = config
        self.client = GraphClient(config, policy=policy)
        self.folder = SharePointFolder(config, self.client)
        self._stream = WorkbookStream(
            lambda: self.client.run(self.folder.listing()),
            lambda ref: self.client.run(self.folder.fetch(ref)),
            columns=config.read_columns,
            sheet=config.sheet,
            encoding=None,
            requests=self.client.take_requests,
            limits=Limits.of(config),
            settings=settings(config),
            links=links,
        )

    def streams(self) -> list[Stream]:
        if self.config.list is not None:
            return [ListRowsStream(self.config, self.client)]
        return [self._stream]

    def warnings(self) -> list[str]:
        return self._stream.warnings()

    def take_requests(self) -> int:
        """Requests no page carried (a failed stream's): the engine records them."""
        return self.client.take_requests()

    def close(self) -> None:
        self.client.close()

    def check(self) -> list[CheckResult]:
        client, config = self.client, self.config
        if config.list is not None and config.site is not None:
            site, name = config.site, config.list
            probe = ("Sites.Read.All", lambda: read_list(client, site, name))
            results = run_probes(client, [probe])
            if all(result.level == "ok" for result in results):
                read = client.run(read_list(client, site, name))
                results.append(CheckResult("ok", f"{len(read.items)} item(s) in list {name!r}"))
            return results
        if config.team is not None:
            probes: list[tuple[str, Any]] = [
                ("Group.Read.All", lambda: self.folder.team_id(config.team or ""))
            ]
        else:
            probes = []
        probes.append(("Sites.Read.All", self.folder.listing))
        results = run_probes(client, probes)
        if all(result.level == "ok" for result in results):
            try:
                files = client.run(self.folder.listing())
            except ConnectorError as error:
                return [*results, CheckResult("error", str(error))]
            label = client.run(self.folder.folder()).label
            results.append(CheckResult("ok", f"{len(files)} workbook(s) in {label}"))
        return results
