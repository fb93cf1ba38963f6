"""A Dataverse environment's rows, their change log, and the one mutation path.

Rows are kept as Dataverse returns them (logical column names, lookups as ``_x_value``, UTC
datetimes as ``...Z`` strings, decimals as numbers), so the server only selects and pages. Every
insert, update and delete goes through :meth:`Environment.upsert` / :meth:`Environment.delete`,
which stamp the row's ``versionnumber`` (one counter for the environment, as Dataverse's
rowversion) and ``modifiedon``, and log deletions: change tracking answers "what changed
since version N" from exactly that, and expiring a delta token is forgetting the log before a
version. The environment shares no code with the connector.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from pmosync.sandbox.org.clock import MutationClock


@dataclass(frozen=True, slots=True)
class Table:
    """One Dataverse table: its logical name, entity set (the URL's), primary key, whether
    change tracking is enabled on it, and the columns a row has."""

    logical_name: str
    entity_set: str
    key: str
    change_tracking: bool
    columns: tuple[str, ...]
    """Every column a row carries (besides ``@odata.etag``), lookups as ``_x_value``."""
    object_type_code: int
    """The table's OTC, which Dataverse's privilege errors quote."""


_COMMON = ("createdon", "modifiedon", "versionnumber", "statecode", "statuscode")

TABLES: dict[str, Table] = {
    t.logical_name: t
    for t in (
        Table("msdyn_project", "msdyn_projects", "msdyn_projectid", True, (
            "msdyn_projectid", "msdyn_subject", "msdyn_description", "msdyn_scheduledstart",
            "msdyn_finish", "msdyn_progress", "msdyn_effort", "msdyn_effortcompleted",
            "msdyn_effortremaining", "msdyn_duration", "_msdyn_projectmanager_value",
            "_ownerid_value", "msdyn_hoursperday", *_COMMON,
        ), 10121),
        Table("msdyn_projectbucket", "msdyn_projectbuckets", "msdyn_projectbucketid", True, (
            "msdyn_projectbucketid", "msdyn_name", "_msdyn_project_value", *_COMMON,
        ), 10126),
        Table("msdyn_projecttask", "msdyn_projecttasks", "msdyn_projecttaskid", True, (
            "msdyn_projecttaskid", "msdyn_subject", "_msdyn_project_value",
            "_msdyn_projectbucket_value", "_msdyn_parenttask_value", "msdyn_outlinelevel",
            "msdyn_displaysequence", "msdyn_summary", "msdyn_ismilestone",
            "msdyn_scheduledstart", "msdyn_scheduledend", "msdyn_duration", "msdyn_effort",
            "msdyn_effortcompleted", "msdyn_effortremaining", "msdyn_progress",
            "msdyn_priority", "msdyn_descriptionplaintext", "msdyn_iscritical",
            "msdyn_actualstart", "msdyn_actualend", *_COMMON,
        ), 10130),
        Table(
            "msdyn_projecttaskdependency", "msdyn_projecttaskdependencies",
            "msdyn_projecttaskdependencyid", True, (
                "msdyn_projecttaskdependencyid", "_msdyn_project_value",
                "_msdyn_predecessortask_value", "_msdyn_successortask_value",
                "msdyn_projecttaskdependencylinktype", "msdyn_projecttaskdependencylinklag",
                *_COMMON,
            ), 10131,
        ),
        Table(
            "msdyn_resourceassignment", "msdyn_resourceassignments",
            "msdyn_resourceassignmentid", True, (
                "msdyn_resourceassignmentid", "msdyn_name", "_msdyn_projectid_value",
                "_msdyn_taskid_value", "_msdyn_bookableresourceid_value",
                "_msdyn_projectteamid_value", "msdyn_start", "msdyn_finish", "msdyn_effort",
                "msdyn_effortcompleted", "msdyn_effortremaining", *_COMMON,
            ), 10134,
        ),
        # Change tracking is off on project team members here, as it may be in a real
        # environment (it is a per-table setting): a client must fall back to modifiedon.
        Table("msdyn_projectteam", "msdyn_projectteams", "msdyn_projectteamid", False, (
            "msdyn_projectteamid", "msdyn_name", "_msdyn_project_value",
            "_msdyn_bookableresourceid_value", "msdyn_from", "msdyn_to", *_COMMON,
        ), 10127),
        Table("bookableresource", "bookableresources", "bookableresourceid", True, (
            "bookableresourceid", "name", "resourcetype", "_userid_value",
            "msdyn_primaryemail", *_COMMON,
        ), 1150),
        Table("systemuser", "systemusers", "systemuserid", True, (
            "systemuserid", "fullname", "internalemailaddress", "domainname",
            "azureactivedirectoryobjectid", "isdisabled", "applicationid", *_COMMON,
        ), 8),
    )
}  # fmt: skip
"""The tables the emulator serves, by logical name."""

BY_ENTITY_SET = {t.entity_set: t for t in TABLES.values()}

LINK_FINISH_TO_START = 1
"""``msdyn_projecttaskdependencylinktype`` of a finish-to-start link (the only kind the plans'
UI makes)."""


def utc(moment: datetime) -> str:
    """A datetime as Dataverse writes it: UTC, whole seconds, ``Z``."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Deletion:
    """A row deleted at ``version`` (what a delta read reports as a ``$deletedEntity``)."""

    table: str
    id: str
    version: int


class Environment:
    """One Dataverse environment: its tables' rows, the version counter and the deletion log.

    Thread-safe: the server's threads read under ``lock`` while a test mutates."""

    def __init__(self, today: date, *, seed: int = 0) -> None:
        self.today = today
        self.organization_id = str(uuid.UUID(int=random.Random(f"dv-org:{seed}").getrandbits(128),
                                             version=4))  # fmt: skip
        self.rows: dict[str, dict[str, dict]] = {name: {} for name in TABLES}
        self.version = 1_000_000
        """The last version stamped; the next mutation takes ``version + 1``."""
        self.deletions: list[Deletion] = []
        self.expired_before = 0
        """Delta tokens older than this version are expired (``expire_delta_tokens``)."""
        self.lock = threading.RLock()
        self.application_user_id: str | None = None
        """The systemuser the sandbox's token acts as (set by the generator)."""
        self._rng = random.Random(f"pmosync-dataverse-ids:{seed}")
        self._clock = MutationClock(datetime.combine(today, time(), UTC))

    # -- ids and time ----------------------------------------------------------------------

    def guid(self) -> str:
        with self.lock:
            return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def now(self) -> datetime:
        """The timestamp of a mutation: strictly increasing."""
        return self._clock.now()

    # -- the one mutation path -------------------------------------------------------------

    def upsert(self, table: str, row: dict, *, created: datetime | None = None) -> dict:
        """Insert ``row`` (it carries its primary key) or update the stored row with the
        columns ``row`` gives; stamps ``versionnumber`` and ``modifiedon`` (and ``createdon``
        on insert, ``created`` when given). Returns the stored row."""
        spec = TABLES[table]
        with self.lock:
            key = row[spec.key]
            stored = self.rows[table].get(key)
            moment = self.now()
            self.version += 1
            if stored is None:
                stored = {column: None for column in spec.columns}
                stored["createdon"] = utc(created or moment)
                stored["statecode"], stored["statuscode"] = 0, 1
                self.rows[table][key] = stored
            unknown = set(row) - set(spec.columns)
            if unknown:
                raise KeyError(f"{table} has no column(s) {sorted(unknown)}")
            stored.update(row)
            stored["versionnumber"] = self.version
            stored["modifiedon"] = utc(moment if created is None else max(moment, created))
            return stored

    def delete(self, table: str, key: str) -> list[Deletion]:
        """Delete a row and, as Dataverse's cascade rules do for a project's schedule, the
        rows that depend on it: a project takes its buckets, tasks, dependencies, assignments
        and team; a task its subtasks, dependencies and assignments; a bucket its tasks.
        Returns every deletion logged."""
        with self.lock:
            if key not in self.rows[table]:
                return []
            done: list[Deletion] = []
            # A project's dependents are every row of its schedule, and nothing else hangs
            # off them: dropping them one by one saves scanning the tables once per task.
            drop = self._drop if table == "msdyn_project" else self.delete
            for child_table, child in list(self._dependents(table, key)):
                done += drop(child_table, child)
            return done + self._drop(table, key)

    def _drop(self, table: str, key: str) -> list[Deletion]:
        """Delete one row, no cascade; log it."""
        if self.rows[table].pop(key, None) is None:
            return []
        self.version += 1
        deletion = Deletion(table, key, self.version)
        self.deletions.append(deletion)
        return [deletion]

    def _dependents(self, table: str, key: str) -> Iterator[tuple[str, str]]:
        rows = self.rows
        if table == "msdyn_project":
            for name, column in (
                ("msdyn_projecttaskdependency", "_msdyn_project_value"),
                ("msdyn_resourceassignment", "_msdyn_projectid_value"),
                ("msdyn_projecttask", "_msdyn_project_value"),
                ("msdyn_projectbucket", "_msdyn_project_value"),
                ("msdyn_projectteam", "_msdyn_project_value"),
            ):
                spec = TABLES[name]
                yield from ((name, r[spec.key]) for r in list(rows[name].values())
                            if r[column] == key)  # fmt: skip
        elif table == "msdyn_projecttask":
            for r in list(rows["msdyn_projecttask"].values()):
                if r["_msdyn_parenttask_value"] == key:
                    yield "msdyn_projecttask", r["msdyn_projecttaskid"]
            for r in list(rows["msdyn_projecttaskdependency"].values()):
                if key in (r["_msdyn_predecessortask_value"], r["_msdyn_successortask_value"]):
                    yield "msdyn_projecttaskdependency", r["msdyn_projecttaskdependencyid"]
            for r in list(rows["msdyn_resourceassignment"].values()):
                if r["_msdyn_taskid_value"] == key:
                    yield "msdyn_resourceassignment", r["msdyn_resourceassignmentid"]
        elif table == "msdyn_projectbucket":
            for r in list(rows["msdyn_projecttask"].values()):
                if r["_msdyn_projectbucket_value"] == key:
                    yield "msdyn_projecttask", r["msdyn_projecttaskid"]

    # -- change tracking -------------------------------------------------------------------

    def changes_since(self, table: str, version: int) -> tuple[list[dict], list[str]]:
        """Rows of ``table`` inserted or updated after ``version`` (in version order) and ids
        deleted after it. The caller checks expiry first (``token_expired``)."""
        with self.lock:
            changed = sorted(
                (r for r in self.rows[table].values() if r["versionnumber"] > version),
                key=lambda r: r["versionnumber"],
            )
            gone = [d.id for d in self.deletions if d.table == table and d.version > version]
            return [dict(r) for r in changed], gone

    def token_expired(self, version: int) -> bool:
        return version < self.expired_before

    def expire_delta_tokens(self) -> None:
        """Every delta token handed out so far expires (Dataverse keeps change tracking data
        for a retention period; past it a client must read in full again). The deletion log
        before now is forgotten with it. The version moves on by one, so a full read made
        right after (with no mutation between) gets a token that is not expired."""
        with self.lock:
            self.version += 1
            self.expired_before = self.version
            self.deletions.clear()

    # -- reads -----------------------------------------------------------------------------

    def table_rows(self, table: str) -> list[dict]:
        """Copies of a table's rows in primary-key order (the order Dataverse pages in)."""
        with self.lock:
            rows = self.rows[table]
            return [dict(rows[k]) for k in sorted(rows)]

    def get(self, table: str, key: str) -> dict | None:
        with self.lock:
            row = self.rows[table].get(key)
            return None if row is None else dict(row)

    def find(self, table: str, **equals: object) -> list[dict]:
        """Rows whose columns equal the given values (a test's and the generator's lookup)."""
        with self.lock:
            return [
                dict(r) for r in self.rows[table].values()
                if all(r.get(column) == value for column, value in equals.items())
            ]  # fmt: skip


def day_start(day: date, hours: int = 8) -> str:
    """A scheduled start as the plans' UI stores it: the working day's start, in UTC."""
    return utc(datetime.combine(day, time(hours), UTC))


def day_end(day: date, hours: int = 17) -> str:
    """A scheduled finish: the working day's end, in UTC."""
    return utc(datetime.combine(day, time(hours), UTC))
