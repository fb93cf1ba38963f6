"""The Planner connector as the engine sees it, and the probe ``pmosync check`` runs.

The probe makes one small request per Graph permission the connector relies on, so a missing
permission is named before the first sync rather than discovered at 7 a.m.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from pmosync.config.connectors import PlannerConnector, RaidList
from pmosync.connectors.base import CheckResult, Stream
from pmosync.connectors.errors import ConnectorError, NotFound, PermissionDenied
from pmosync.connectors.microsoft.graph import GraphClient
from pmosync.connectors.microsoft.lists import read_list
from pmosync.connectors.microsoft.planner import (
    BucketsStream,
    PlannerRun,
    PlansStream,
    StatusListStream,
    TasksStream,
    UsersStream,
)
from pmosync.connectors.microsoft.raid_lists import RaidListStream
from pmosync.connectors.retry import RetryPolicy

Probe = tuple[str, Callable[[], Awaitable[object]]]


class PlannerSource:
    """Plans, buckets, tasks and assignees of the configured Microsoft 365 groups."""

    def __init__(
        self, name: str, config: PlannerConnector, *, policy: RetryPolicy | None = None
    ) -> None:
        self.name = name
        self.config = config
        self.client = GraphClient(config, policy=policy, max_concurrency=config.max_concurrency)
        self._run = PlannerRun(config, self.client)

    def streams(self) -> list[Stream]:
        run = self._run
        return [
            PlansStream(run),
            BucketsStream(run),
            TasksStream(run),
            StatusListStream(run),
            RaidListStream(run),
            UsersStream(run),
        ]

    def warnings(self) -> list[str]:
        return list(self._run.warnings)

    def take_requests(self) -> int:
        """Requests no page carried (a failed or skipped stream's): the engine records them."""
        return self.client.take_requests()

    def close(self) -> None:
        self.client.close()

    def check(self) -> list[CheckResult]:
        client, group = self.client, self.config.groups[0]
        probes: list[Probe] = [
            ("Group.Read.All", lambda: client.get(f"groups/{group}?$select=id,displayName")),
            ("Tasks.Read.All", lambda: client.get(f"groups/{group}/planner/plans")),
            ("User.Read.All", lambda: client.get("users?$top=1&$select=id")),
        ]
        source = self.config.rag_source
        if source is not None and source.list is not None:
            wanted = source.list
            probes.append(("Sites.Read.All", lambda: read_list(client, wanted.site, wanted.list)))
        results = run_probes(client, probes)
        if source is not None and source.list is None and all(r.level == "ok" for r in results):
            results.append(self._check_rag_source(group))
        if self.config.raid is not None and all(r.level == "ok" for r in results):
            results += [self._check_raid_list(spec) for spec in self.config.raid.lists]
        return results

    def _check_raid_list(self, spec: RaidList) -> CheckResult:
        """Whether a RAID list exists and has the columns the YAML names: one line."""
        client = self.client

        async def columns() -> set[str]:
            found = await client.get(client.sdk.sites.by_site_id(spec.site)
                                     .to_get_request_information())  # fmt: skip
            base = f"sites/{found['id']}/lists/{quote(spec.list, safe='')}"
            try:
                await client.get(f"{base}?$select=id")
            except NotFound:
                raise NotFound(f"site {spec.site} has no list {spec.list!r}", 404) from None
            return {c.get("name") for c in await client.collect(f"{base}/columns")}

        try:
            present = client.run(columns())
        except ConnectorError as error:
            return CheckResult("error", f"raid list {spec.list!r}: {error}")
        missing = sorted(set(spec.columns.values()) - present)
        if missing:
            names = ", ".join(repr(m) for m in missing)
            return CheckResult(
                "error",
                f"raid list {spec.list!r}: no column(s) {names} (give internal names; the list "
                f"has {', '.join(sorted(n for n in present if n))})",
            )
        return CheckResult(
            "ok", f"raid list {spec.list!r}: found, its {len(spec.columns)} columns present"
        )

    def _check_rag_source(self, group: str) -> CheckResult:
        """Whether the first group's plans hold the status task or bucket the rag source
        names: one line naming the plans that do not."""
        run = PlannerRun(self.config.model_copy(update={"groups": [group]}), self.client)
        try:
            for _ in PlansStream(run).pages(None, full=True):
                pass
        except ConnectorError as error:
            return CheckResult("error", f"rag_source: {error}")
        missing = [w for w in run.warnings if w.startswith("rag_source")]
        if missing:
            return CheckResult("warning", missing[0])
        source = self.config.rag_source
        assert source is not None
        name = getattr(source, source.kind)
        return CheckResult("ok", f"rag_source {source.kind} {name!r}: found in every plan")


def run_probes(client: GraphClient, probes: list[Probe]) -> list[CheckResult]:
    """One result per permission: granted, missing, failed, or not probed and why (after a
    refused sign-in or an unreachable host, nothing else can be asked)."""
    results = []
    stopped: str | None = None
    for permission, probe in probes:
        if stopped is not None:
            results.append(CheckResult("warning", f"{permission}: not probed ({stopped})"))
            continue
        try:
            client.run(probe())
        except PermissionDenied as error:
            results.append(CheckResult("error", f"missing permission {permission}: {error}"))
        except ConnectorError as error:
            results.append(CheckResult("error", str(error)))
            if error.fatal_for_connector:
                stopped = "the probe before it could not sign in or reach Graph"
        else:
            results.append(CheckResult("ok", f"{permission}: granted"))
    return results
