"""One configured Asana connector: its streams for a sync, and a connectivity check.

A workspace on a free plan answers premium endpoints with 402; the client reports the first such
answer here, which lowers the limiter to the free plan's 150 requests a minute unless the YAML
set a quota.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import Any

from pmosync.config.connectors import AsanaConnector
from pmosync.connectors.asana import fields
from pmosync.connectors.asana.client import AsanaClient
from pmosync.connectors.asana.intake import IntakeRules
from pmosync.connectors.asana.raid import RaidRules, is_field
from pmosync.connectors.asana.streams import STREAMS, AsanaRun, Scope
from pmosync.connectors.base import CheckResult, Stream
from pmosync.connectors.errors import ConnectorError, PaymentRequired, PermissionDenied
from pmosync.connectors.retry import RetryPolicy

FREE_PLAN_PER_MINUTE = 150


def owned_fields(config: AsanaConnector) -> tuple[str, ...] | None:
    """The custom fields the connector's write-back owns; None without a ``writeback:``."""
    spec = config.writeback
    if spec is None:
        return None
    return (spec.rag_field.field,) if spec.rag_field is not None else ()


def _today() -> str:
    return date.today().isoformat()


class AsanaSource:
    """The streams of one Asana connector over one SDK client."""

    def __init__(
        self, name: str, config: AsanaConnector, *, policy: RetryPolicy | None = None
    ) -> None:
        self.name = name
        self.config = config
        self.client = AsanaClient(
            token=config.token.get_secret_value(),
            base_url=str(config.base_url),
            requests_per_minute=config.requests_per_minute,
            max_concurrency=config.max_concurrency,
            policy=policy,
            on_payment_required=self.on_free_plan,
        )
        self.run = AsanaRun(
            client=self.client,
            scope=Scope(
                workspace=config.workspace,
                portfolios=tuple(config.portfolios),
                projects=tuple(config.projects),
                teams=tuple(config.teams),
            ),
            max_concurrency=config.max_concurrency,
            overlap=timedelta(minutes=config.modified_since_overlap_minutes),
            time_window_days=config.time_entries_window_days,
            plan_refresh=timedelta(minutes=config.plan_refresh_minutes),
            raid=RaidRules(
                projects=frozenset(config.raid.projects),
                type_field=config.raid.type_field,
                project_field=config.raid.project_field,
            )
            if config.raid
            else None,
            intake=IntakeRules(
                projects=frozenset(config.intake.projects),
                project_field=config.intake.fields.get("project"),
            )
            if config.intake
            else None,
            owned_fields=owned_fields(config),
        )

    def streams(self) -> list[Stream]:
        chosen = [stream for stream in STREAMS if stream.name != "portfolios"
                  or not (self.config.projects or self.config.teams)]  # fmt: skip
        return [stream(self.run) for stream in chosen]

    def warnings(self) -> list[str]:
        return list(self.run.warnings)

    def take_requests(self) -> int:
        """Requests no page carried (a failed or skipped stream's): the engine records them."""
        return self.client.counter.take()

    def on_free_plan(self) -> None:
        explicit = "requests_per_minute" in self.config.model_fields_set
        if not explicit and self.client.limiter.per_minute > FREE_PLAN_PER_MINUTE:
            self.client.limiter.set_rate(FREE_PLAN_PER_MINUTE)
            self.run.warn(
                "the workspace is on a free Asana plan: premium streams are skipped and "
                f"requests are held to {FREE_PLAN_PER_MINUTE}/min"
            )

    def close(self) -> None:
        self.client.close()

    def check(self) -> list[CheckResult]:
        """Probe the token, the workspace and each stream's endpoint with one small request.

        Every probe reports a line of its own: ok, failed with the reason, or not probed and
        why (a refused token or an unknown workspace makes the rest meaningless; the streams
        read per project need a project to probe with, which a failed projects probe cannot
        give). Nothing is dropped in silence.
        """
        client = self.client
        workspace = self.config.workspace
        results: list[CheckResult] = []
        try:
            me = client.get(client.users.get_user, "me", {"opt_fields": "name,email"})
        except ConnectorError as error:
            rest = ("workspace", "projects", *_WORKSPACE_PROBES, *_PROJECT_PROBES)
            return [CheckResult("error", str(error)), *_not_probed(rest, "the token was refused")]
        results.append(CheckResult("ok", f"token accepted (user {me.get('name', '?')})"))
        try:
            ws = client.get(client.workspaces.get_workspace, workspace, {"opt_fields": "name"})
        except ConnectorError as error:
            rest = ("projects", *_WORKSPACE_PROBES, *_PROJECT_PROBES)
            failed = CheckResult("error", str(error))
            return [*results, failed, *_not_probed(rest, "the workspace could not be read")]
        results.append(CheckResult("ok", f"workspace {workspace} ({ws.get('name', '?')})"))
        project, why_none = self._probe_projects(results)
        probes: list[tuple[str, Any, tuple[Any, ...]]] = [
            ("users", client.users.get_users, ({"workspace": workspace, "limit": 1},)),
            ("portfolios", client.portfolios.get_portfolios,
             (workspace, {"limit": 1, "opt_fields": "gid"})),
            ("time_entries", client.time_entries.get_time_tracking_entries,
             ({"workspace": workspace, "entered_on_start_date": _today(), "limit": 1},)),
        ]  # fmt: skip
        if project is not None:
            probes += [
                ("tasks", client.tasks.get_tasks,
                 ({"project": project, "limit": 1, "opt_fields": fields.TASK},)),
                ("status_updates", client.status_updates.get_statuses_for_object,
                 (project, {"limit": 1})),
                ("allocations", client.allocations.get_allocations,
                 ({"parent": project, "limit": 1},)),
                ("budgets", client.budgets.get_budgets, (project,)),
            ]  # fmt: skip
        for stream, call, args in probes:
            try:
                client.get(call, *args)
                results.append(CheckResult("ok", f"{stream}: readable"))
            except ConnectorError as error:
                results.append(_failed(stream, error))
        if project is None:
            results += _not_probed(_PROJECT_PROBES, why_none)
        return results + self._probe_raid() + self._probe_intake()

    def _designated(
        self, gids: Sequence[str], what: str, results: list[CheckResult]
    ) -> Iterator[tuple[str, str, list[Any]]]:
        """Each designated project (a RAID log, an intake board) read with its field settings:
        (gid, name, settings); a project that cannot be read is one error line in ``results``
        ("<what> project <gid>: <why>")."""
        client = self.client
        opts = {"opt_fields": "name," + _SETTING_FIELDS}
        for gid in gids:
            try:
                project = client.get(client.projects.get_project, gid, opts)
            except ConnectorError as error:
                results.append(CheckResult("error", f"{what} project {gid}: {error}"))
                continue
            yield gid, project.get("name", "?"), project.get("custom_field_settings") or []

    def _probe_intake(self) -> list[CheckResult]:
        """One line per intake project: readable, with its sections (the stages) or the stage
        field, or what is missing (an intake project that is not there would leave the
        pipeline silently empty)."""
        intake = self.config.intake
        if intake is None:
            return []
        results: list[CheckResult] = []
        for gid, name, settings in self._designated(intake.projects, "intake: intake", results):
            named = [intake.stage_field] if intake.stage_field else []
            named += list(intake.fields.values())
            named += list(intake.criteria.values()) + list(intake.effort.values())
            missing = [
                ref.strip()
                for ref in dict.fromkeys(named)
                if not any(is_field(s.get("custom_field"), ref) for s in settings)
            ]
            if missing:
                shown = ", ".join(repr(ref) for ref in missing)
                results.append(CheckResult(
                    "warning",
                    f"intake: intake project {gid} ({name}) has no field {shown}: those "
                    "request fields stay empty",
                ))  # fmt: skip
            else:
                results.append(CheckResult("ok", f"intake: intake project {gid} ({name}) readable"))
        return results

    def _probe_raid(self) -> list[CheckResult]:
        """One line per RAID project: readable and carrying the RAID type field, or what is
        missing (a RAID project that is not there would leave the log silently empty)."""
        raid = self.config.raid
        if raid is None:
            return []
        results: list[CheckResult] = []
        for gid, name, settings in self._designated(raid.projects, "raid: RAID", results):
            if not any(is_field(s.get("custom_field"), raid.type_field) for s in settings):
                results.append(CheckResult(
                    "warning",
                    f"raid: RAID project {gid} ({name}) has no field "
                    f"{raid.type_field.strip()!r} (raid.type_field): its items need default_kind",
                ))  # fmt: skip
            else:
                results.append(CheckResult("ok", f"raid: RAID project {gid} ({name}) readable"))
        return results

    def _probe_projects(self, results: list[CheckResult]) -> tuple[str | None, str]:
        """Probe the projects endpoint; (a project to probe the per-project streams with, or
        None and why there is none)."""
        client = self.client
        try:
            if self.config.projects:
                gid = self.config.projects[0]
                client.get(client.projects.get_project, gid, {"opt_fields": "gid"})
                found = [{"gid": gid}]
            else:
                listing = client.projects.get_projects_for_workspace
                found = client.get(
                    listing, self.config.workspace, {"limit": 1, "opt_fields": "gid"}
                )
        except ConnectorError as error:
            results.append(_failed("projects", error))
            return None, "the projects probe failed, so there is no project to probe with"
        results.append(CheckResult("ok", "projects: readable"))
        if not found:
            return None, "the workspace has no project to probe with"
        return found[0]["gid"], ""


_SETTING_FIELDS = "custom_field_settings.custom_field.name,custom_field_settings.custom_field.gid"
_WORKSPACE_PROBES = ("users", "portfolios", "time_entries")
_PROJECT_PROBES = ("tasks", "status_updates", "allocations", "budgets")
"""Streams probed on one project of the scope."""


def _not_probed(streams: tuple[str, ...], reason: str) -> list[CheckResult]:
    return [CheckResult("warning", f"{stream}: not probed ({reason})") for stream in streams]


def _failed(stream: str, error: ConnectorError) -> CheckResult:
    if isinstance(error, PaymentRequired):
        return CheckResult("warning", f"{stream}: not on this plan, will be skipped ({error})")
    if isinstance(error, PermissionDenied):
        return CheckResult("error", f"{stream}: permission denied ({error})")
    return CheckResult("error", f"{stream}: {error}")
