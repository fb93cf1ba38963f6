"""``pmosync check``'s probes of the delivery targets, so a wrong password or a folder the app
may not write is heard at set-up time, not at 7 a.m. when the report is sent.

Each distinct target is probed once, whatever number of reports deliver to it: the mail server
(connect, TLS and login, nothing sent), each SharePoint site folder (a small file written where
the report's files go, then removed: Graph has no other way to tell an app it may write) and
each Teams webhook (its host answers HTTPS; a GET posts nothing). Folder and email-through-Graph
deliveries are not probed here: the folder is local, and Graph mail needs a message to test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pmosync.config import PmosyncConfig
from pmosync.config.connectors import MicrosoftAuth
from pmosync.connectors.base import CheckResult
from pmosync.connectors.errors import ConnectorError, PermissionDenied
from pmosync.connectors.retry import RetryPolicy

CHECK_FILE = ".pmosync-check-{}.txt"
"""The name of the file the SharePoint probe writes and removes at once."""


@dataclass(frozen=True, slots=True)
class Probed:
    """One probe's outcome, named as ``check`` prints it."""

    target: str
    result: CheckResult


def probe_deliveries(config: PmosyncConfig, policy: RetryPolicy | None = None) -> list[Probed]:
    """Probe every distinct delivery target of the configured reports."""
    results: list[Probed] = []
    sharepoint: dict[tuple[int, str, str], tuple[MicrosoftAuth, str, str]] = {}
    webhooks: dict[str, str] = {}
    smtp = False
    for name, report in config.reports.items():
        for delivery in report.deliver:
            target: Any = delivery.target
            if delivery.kind == "email" and target.via == "smtp":
                smtp = True
            elif delivery.kind == "sharepoint":
                auth = config.microsoft_auth_for(target.connector)
                if auth is not None:
                    folder = static_folder(target.folder)
                    sharepoint.setdefault((id(auth), target.site, folder),
                                          (auth, target.site, folder))  # fmt: skip
            elif delivery.kind == "teams":
                webhooks.setdefault(target.webhook_url.get_secret_value(), name)
    if smtp and config.smtp is not None:
        results.append(Probed("smtp", _probe_smtp(config)))
    if sharepoint:
        results += _probe_sharepoint(list(sharepoint.values()), policy)
    for url, report_name in webhooks.items():
        results.append(Probed(f"report {report_name}: teams", _probe_webhook(url)))
    return results


def static_folder(template: str) -> str:
    """The part of a folder template before its first placeholder: where every report date's
    folder is created (``Reports/{year}/{week}`` -> ``Reports``; the library's root for "")."""
    return "/".join(part for part in template.split("{", 1)[0].split("/") if part.strip())


def _probe_smtp(config: PmosyncConfig) -> CheckResult:
    from pmosync.connectors.smtp import check_login

    assert config.smtp is not None
    try:
        return CheckResult("ok", check_login(config.smtp))
    except ConnectorError as error:
        return CheckResult("error", str(error))


def _probe_webhook(url: str) -> CheckResult:
    from pmosync.connectors.teams import check_reachable

    try:
        return CheckResult("ok", check_reachable(url))
    except ConnectorError as error:
        return CheckResult("error", str(error))


def _probe_sharepoint(
    folders: list[tuple[MicrosoftAuth, str, str]], policy: RetryPolicy | None
) -> Iterator[Probed]:
    from pmosync.connectors.microsoft.graph import GraphClient

    clients: dict[int, GraphClient] = {}
    try:
        for auth, site, folder in folders:
            label = f"sharepoint {site}"
            try:
                if id(auth) not in clients:
                    clients[id(auth)] = GraphClient(auth, policy=policy, max_concurrency=1)
                client = clients[id(auth)]
                text = client.run(_write_and_remove(client, site, folder))
                yield Probed(label, CheckResult("ok", text))
            except PermissionDenied as error:
                text = (f"cannot write in folder '{folder or '/'}': {error} (the app needs "
                        "Sites.ReadWrite.All or Files.ReadWrite.All)")  # fmt: skip
                yield Probed(label, CheckResult("error", text))
            except ConnectorError as error:
                yield Probed(label, CheckResult("error", str(error)))
    finally:
        for client in clients.values():
            client.close()


async def _write_and_remove(client: Any, site: str, folder: str) -> str:
    from pmosync.connectors.microsoft.publish import SharePointSite
    from pmosync.connectors.microsoft.upload import upload_file

    drive = await SharePointSite(client, site).drive()
    name = CHECK_FILE.format(uuid.uuid4().hex[:12])
    path = f"{folder}/{name}" if folder else name
    item = await upload_file(client, drive.drive_id, path, b"pmosync check\n", "text/plain")
    item_id = quote(str(item["id"]), safe="")
    await client.send(
        client.request("DELETE", f"drives/{quote(drive.drive_id, safe='')}/items/{item_id}")
    )
    return f"folder '{folder or '/'}' is writable (a test file was written and removed)"
