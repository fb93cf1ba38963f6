"""The Planner premium connector as the engine sees it, and the probe ``pmosync check`` runs.

The probe signs in (``WhoAmI``: a token Dataverse accepts, and an application user in the
environment), then reads one row of each table the streams read, so a missing table privilege
is named (``prvReadmsdyn_projecttask``) before the first sync; then it lists the plans to show
which ``projects:`` match, and says which tables lack change tracking.
"""

from __future__ import annotations

from collections.abc import Callable

from pmosync.config.connectors import PlannerPremiumConnector
from pmosync.connectors.base import CheckResult, Stream
from pmosync.connectors.dataverse.client import DataverseClient
from pmosync.connectors.dataverse.people import RESOURCES, USERS
from pmosync.connectors.dataverse.streams import (
    TABLES,
    AssignmentsStream,
    BucketsStream,
    PeopleStream,
    PremiumRun,
    ProjectsStream,
    TasksStream,
    matching,
    plan_names,
    scope_problems,
    words,
)
from pmosync.connectors.dataverse.tracking import tracking_flags
from pmosync.connectors.errors import ConnectorError
from pmosync.connectors.retry import RetryPolicy


class PremiumSource:
    """Premium plans, buckets, tasks and dependencies, assignments and people of one
    Dataverse environment."""

    def __init__(
        self, name: str, config: PlannerPremiumConnector, *, policy: RetryPolicy | None = None
    ) -> None:
        self.name = name
        self.config = config
        self.client = DataverseClient(config, policy=policy)
        self._run = PremiumRun(config, self.client)

    def streams(self) -> list[Stream]:
        run = self._run
        return [
            ProjectsStream(run),
            BucketsStream(run),
            TasksStream(run),
            AssignmentsStream(run),
            PeopleStream(run),
        ]

    def warnings(self) -> list[str]:
        return list(self._run.warnings)

    def take_requests(self) -> int:
        """Requests no page carried (a failed or skipped stream's): the engine records them."""
        return self.client.take_requests()

    def close(self) -> None:
        self.client.close()

    def check(self) -> list[CheckResult]:
        client = self.client
        results: list[CheckResult] = []

        def probe(what: str, call: Callable[[], object], ok: str) -> bool:
            try:
                call()
            except ConnectorError as error:
                results.append(CheckResult("error", f"{what}: {error}"))
                return not error.fatal_for_connector
            results.append(CheckResult("ok", ok))
            return True

        environment = self.config.environment_url
        if not probe("sign-in", lambda: client.get("WhoAmI"), f"signed in to {environment}"):
            results.append(
                CheckResult("warning", "tables, plans and change tracking: not probed (the "
                            "sign-in failed)")
            )  # fmt: skip
            return results
        for table in (*TABLES, RESOURCES, USERS):
            url = f"{table.entity_set}?$select={table.key}&$top=1"
            if not probe(table.logical, lambda url=url: client.get(url),
                         f"{table.logical}: readable"):  # fmt: skip
                return results
        results += self._check_scope()
        try:
            flags = tracking_flags(client, TABLES)
        except ConnectorError as error:
            results.append(CheckResult("error", f"change tracking: {error}"))
            return results
        for table in TABLES:
            if not flags[table.logical]:
                how = "in full each time" if table.small else "by modifiedon"
                gone = (
                    "" if table.small
                    else "; removals found by listing its key columns in full each run"
                )  # fmt: skip
                results.append(
                    CheckResult(
                        "warning",
                        f"{table.logical}: change tracking is off: read {how}{gone}",
                    )
                )
        return results

    def _check_scope(self) -> list[CheckResult]:
        """Which plans ``projects:`` selects: a line for the plans found, a warning for each
        entry that matches none, or several."""
        wanted = self.config.projects
        try:
            names = plan_names(self.client)
        except ConnectorError as error:
            return [CheckResult("error", f"projects: {error}")]
        if not wanted:
            return [CheckResult("ok", f"projects: all {len(names)} premium plans are synced")]
        folded = {p: words(n) for p, n in names.items()}
        found = {p for entry in wanted for p in matching(entry, folded)}
        results = [CheckResult("ok", f"projects: {len(found)} premium plan(s) in scope")]
        return results + [CheckResult("warning", p) for p in scope_problems(wanted, folded)]
