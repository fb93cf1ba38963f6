"""The top-level config model, its small sections, and the checks that span sections.

One model describes the whole file, so the loader, the ``check`` command and the JSON Schema
that editors use for completion all come from the same definition.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator

from pmosync.config.connectors import (
    MICROSOFT_CREDENTIALS,
    MICROSOFT_SHARED,
    MICROSOFT_TYPES,
    AsanaConnector,
    Connector,
    MicrosoftAuth,
    MicrosoftSignIn,
    PlannerConnector,
    WorkbookSource,
)
from pmosync.config.engine import Engine, Temporal
from pmosync.config.errors import Loc, LocatedMessage, LocatedProblems, did_you_mean, short
from pmosync.config.fields import (
    ConfigModel,
    ConnectorName,
    Cron,
    Currency,
    Email,
    NonEmptyStr,
    ReportName,
    StoreUrl,
)
from pmosync.config.intake import Intake, IntakeSourceFields
from pmosync.config.interpolate import UNSET_REFERENCE
from pmosync.config.organisation import Organisation
from pmosync.config.reports import Report


class People(ConfigModel):
    """How one human's identities in several tools are merged.

    People are matched by email; aliases cover the cases where one person uses several
    addresses (old domains, personal Asana accounts).
    """

    aliases: dict[Email, list[Email]] = Field(
        default={},
        description=(
            "Canonical email -> the other emails of the same person. Emails are "
            "compared in lower case; an email may be the alias of one person only."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _no_case_duplicates(cls, data: object) -> object:
        aliases = data.get("aliases") if isinstance(data, dict) else None
        if isinstance(aliases, dict):
            seen: dict[str, str] = {}
            messages = []
            for key in aliases:
                folded = str(key).strip().lower()
                if folded in seen:
                    text = f"'{short(str(key))}' is the same email as '{short(seen[folded])}'"
                    messages.append(LocatedMessage(("aliases", key), text, at_key=True))
                else:
                    seen[folded] = str(key)
            if messages:
                raise LocatedProblems(messages)
        return data

    @model_validator(mode="after")
    def _aliases_unambiguous(self) -> Self:
        owner: dict[str, str] = {}
        messages = []
        for person, others in self.aliases.items():
            for index, email in enumerate(others):
                loc: Loc = ("aliases", person, index)
                if email in self.aliases:
                    text = f"'{short(email)}' is itself a person's email; it cannot be an alias"
                    messages.append(LocatedMessage(loc, text))
                elif owner.get(email, person) != person:
                    text = f"'{short(email)}' is already an alias of '{short(owner[email])}'"
                    messages.append(LocatedMessage(loc, text))
                owner.setdefault(email, person)
        if messages:
            raise LocatedProblems(messages)
        return self

    def canonical_email(self, email: str) -> str:
        """The canonical (lower-case) email of whoever uses ``email``."""
        email = email.strip().lower()
        for person, others in self.aliases.items():
            if email in others:
                return person
        return email


class Smtp(ConfigModel):
    """Mail server for email deliveries with ``via: smtp``."""

    host: NonEmptyStr = Field(description="Mail server host name.")
    port: int = Field(
        587,
        ge=1,
        le=65535,
        description="Port; 587 by default, 465 when security is ssl and no port is given.",
    )
    security: Literal["starttls", "ssl", "none"] = Field(
        "starttls",
        description="starttls (submission, port 587), ssl (implicit TLS, port 465) or none.",
    )
    username: NonEmptyStr | None = Field(None, description="Login name, if the server wants one.")
    password: SecretStr | None = Field(None, description="Login password; write ${SMTP_PASSWORD}.")
    from_address: Email = Field(
        alias="from", description="Sender address of the emails sent through this server."
    )
    timeout_s: float = Field(30, gt=0, le=600, description="Seconds to wait for the server.")
    ca_file: NonEmptyStr | None = Field(
        None,
        description=(
            "PEM file of the certificate authority that signed the server's certificate, for "
            "relays with a private CA (a relative path is read from this file's folder); "
            "default: the system's trusted authorities."
        ),
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.password is not None and self.username is None:
            raise LocatedProblems([LocatedMessage(("password",), "password needs username", True)])
        if self.security == "ssl" and "port" not in self.model_fields_set:
            self.port = 465
        return self


class HourlyRates(ConfigModel):
    """Labour cost of logged time, for actual cost (AC) in earned value."""

    currency: Currency = Field(description="Currency of the rates (ISO 4217, e.g. EUR).")
    default: Decimal | None = Field(
        None, ge=0, description="Rate per hour for anyone not listed; none leaves them uncosted."
    )
    people: dict[Email, Decimal] = Field(default={}, description="Rate per hour by person email.")


BudgetOrigin = Literal["budget_api", "custom_field", "workbook"]


class RateCard(ConfigModel):
    """One hourly rate for a person, a role or a project (or a pair of them), over a period.

    The most specific card that applies on an entry's day prices it: project and person, then
    person, then project and role, then role, then project, then a card naming none of them."""

    rate: Decimal = Field(ge=0, description="Rate per hour.")
    currency: Currency = Field(description="Currency of the rate (ISO 4217, e.g. EUR).")
    person: Email | None = Field(None, description="The person (email) this rate is for.")
    role: NonEmptyStr | None = Field(
        None, description="The role this rate is for (people get roles under resources.roles)."
    )
    project: NonEmptyStr | None = Field(
        None, description="The project this rate is for: its name, or its id in its tool."
    )
    valid_from: date | None = Field(
        None, alias="from", description="First day the rate applies; none: since always."
    )
    valid_to: date | None = Field(
        None, alias="to", description="Last day the rate applies; none: from then on."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        messages = []
        if self.person is not None and self.role is not None:
            text = "a rate card names a person or a role, not both"
            messages.append(LocatedMessage(("role",), text, True))
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            text = f"to ({self.valid_to}) is before from ({self.valid_from})"
            messages.append(LocatedMessage(("to",), text, True))
        if messages:
            raise LocatedProblems(messages)
        return self

    @property
    def scope(self) -> tuple[str | None, str | None, str | None]:
        """(person, role, project): what the card is for. Of two cards for one scope that both
        apply on a day, the one that started later wins: a new rate supersedes the old one
        without the old one needing a ``to``."""
        project = self.project.strip().casefold() if self.project else None
        return (self.person, self.role.strip().casefold() if self.role else None, project)

    def applies_on(self, day: date) -> bool:
        """Whether ``day`` is within from..to (both included)."""
        return (self.valid_from or date.min) <= day <= (self.valid_to or date.max)


class Resources(ConfigModel):
    """People's capacity and cost, which no project tool states reliably, and which of the
    budgets the tools state counts."""

    weekly_capacity_hours: float = Field(
        40, gt=0, le=168, description="Contract hours per week for anyone not listed."
    )
    capacity: dict[Email, float] = Field(
        default={}, description="Contract hours per week by person email."
    )
    hourly_rates: HourlyRates | None = Field(
        None,
        description=(
            "Rates that turn logged hours into labour cost (one currency, per person and a "
            "default; rate_cards add roles, projects and dates and win over these)."
        ),
    )
    rate_cards: list[RateCard] = Field(
        default=[],
        description=(
            "Hourly rates per person, role or project with the days they apply (from/to); the "
            "most specific card that applies on an entry's day prices it: project+person, "
            "person, project+role, role, project, then a card naming none; of equally specific "
            "cards the one that started last."
        ),
    )
    roles: dict[Email, NonEmptyStr] = Field(
        default={}, description="Role of each person (email) for the rate cards of a role."
    )
    budget_precedence: list[BudgetOrigin] = Field(
        default=["budget_api", "custom_field", "workbook"],
        min_length=1,
        description=(
            "Which statement of a project's budget counts when several say it: budget_api "
            "(Asana's native budget), custom_field (a budget field), workbook (a budget "
            "workbook). The first present wins; the others are noted, never added. Origins "
            "left out rank after those listed."
        ),
    )

    @model_validator(mode="after")
    def _cards_unambiguous(self) -> Self:
        messages = []
        for index, card in enumerate(self.rate_cards):
            for earlier in range(index):
                other = self.rate_cards[earlier]
                if other.scope == card.scope and other.valid_from == card.valid_from:
                    text = (
                        f"starts the same day as rate card {earlier + 1} for the same person, "
                        "role and project: which rate applies?"
                    )
                    messages.append(LocatedMessage(("rate_cards", index), text))
                    break
        if len(set(self.budget_precedence)) != len(self.budget_precedence):
            text = "an origin is listed twice"
            messages.append(LocatedMessage(("budget_precedence",), text))
        if messages:
            raise LocatedProblems(messages)
        return self

    def capacity_of(self, email: str | None) -> float:
        """Weekly contract hours of the person with ``email``."""
        if email is not None and email in self.capacity:
            return self.capacity[email]
        return self.weekly_capacity_hours


class Sync(ConfigModel):
    """The sync daemon."""

    schedule: Cron | None = Field(
        None,
        description=(
            "When the daemon syncs (cron: 5 fields, or 6 with seconds first); none means no "
            "scheduled syncs."
        ),
    )
    max_parallel_connectors: int = Field(
        2, ge=1, le=16, description="Connectors synced at the same time."
    )
    quota_store: SecretStr | None = Field(
        None,
        description=(
            "A Redis URL (redis://, rediss:// or unix://; write ${PMOSYNC_REDIS_URL} when it "
            "holds a password) where every process that signs in with the same token shares "
            "that token's request budget, and a 429 pauses them all: needed when several "
            "workers sync at once. None: each process keeps its own budget."
        ),
    )

    @field_validator("quota_store")
    @classmethod
    def _redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        text = value.get_secret_value() if value is not None else ""
        scheme_ok = text.startswith(("redis://", "rediss://", "unix://"))
        if value is not None and not UNSET_REFERENCE.fullmatch(text) and not scheme_ok:
            raise ValueError("is not a Redis URL (redis://host:6379/0, rediss:// or unix://)")
        return value


class PmosyncConfig(ConfigModel):
    """A pmosync configuration file."""

    store: StoreUrl = Field(
        "sqlite:///pmosync.db",
        description=(
            "SQLAlchemy database URL, e.g. sqlite:///pmosync.db or "
            "postgresql+psycopg://user@host/db; a relative SQLite path is in `state_dir`, else "
            "beside this file."
        ),
    )
    connectors: dict[ConnectorName, Connector] = Field(
        default={},
        description=(
            "Sources to sync, by name (lower-case letters, digits, - and _); the name is "
            "recorded as `source` on every record."
        ),
    )
    people: People = Field(
        default_factory=People,
        description="How the same person is recognised across tools (email aliases).",
    )
    microsoft: MicrosoftAuth | None = Field(
        None,
        description=(
            "Sign-in to Microsoft Graph shared by the planner and sharepoint_files connectors "
            "and the Graph deliveries; a connector's own sign-in keys override it."
        ),
    )
    smtp: Smtp | None = Field(None, description="Mail server for email deliveries with via: smtp.")
    resources: Resources = Field(
        default_factory=Resources,
        description=(
            "Capacity of people, and what cost and budgets count: hourly rates, rate cards, "
            "roles, budget precedence."
        ),
    )
    organisation: Organisation = Field(
        default_factory=Organisation,
        description=(
            "The time zone instants become days in (and schedules run in), and the working "
            "calendar (weekend, public holidays, closure days) of capacity, compliance and "
            "planned value."
        ),
    )
    output_dir: NonEmptyStr = Field(
        "reports",
        description=(
            "Where every report run keeps its rendered files (relative to `state_dir`, else "
            "to this file): "
            "`<output_dir>/<report>-<as_of>/`."
        ),
    )
    state_dir: NonEmptyStr | None = Field(
        None,
        description=(
            "A writable folder for what pmosync writes: a relative SQLite `store` and "
            "`output_dir` are read from it instead of from this file's folder (relative to this "
            "file; the PMOSYNC_STATE_DIR environment variable overrides it). Absolute paths "
            "stay as written."
        ),
    )
    intake: Intake = Field(
        default_factory=Intake,
        description=(
            "Project requests: the fields a complete request has, the scoring models that rank "
            "them, and the funding and people left that the selection must fit."
        ),
    )
    reports: dict[ReportName, Report] = Field(
        default={},
        description="Report jobs, by name; the names list and history are reserved.",
    )
    sync: Sync = Field(
        default_factory=Sync,
        description=(
            "When the connectors sync (unless a connector has its own schedule), how many at "
            "once, and where request quotas are shared."
        ),
    )
    engine: Engine = Field(
        "daemon",
        description=(
            "What runs the schedules: daemon (the embedded `pmosync daemon`, one machine) or "
            "temporal (a Temporal cluster: `pmosync schedules apply` and `pmosync worker`)."
        ),
    )
    temporal: Temporal = Field(
        default_factory=Temporal,
        description="The Temporal cluster, when engine is temporal.",
    )

    _config_path: Path | None = PrivateAttr(default=None)

    @property
    def config_path(self) -> Path:
        """Absolute path of the file this config was loaded from."""
        if self._config_path is None:
            raise RuntimeError("this configuration was not loaded from a file")
        return self._config_path

    @property
    def state_path(self) -> Path:
        """The folder relative written paths start from: the state folder, else the file's own.

        The loader has made ``state_dir`` absolute (``PMOSYNC_STATE_DIR`` first).
        """
        return Path(self.state_dir) if self.state_dir else self.config_path.parent

    @property
    def output_path(self) -> Path:
        """The folder report runs keep their files in (``output_dir`` against ``state_path``)."""
        return (self.state_path / self.output_dir).resolve()

    def microsoft_auth_for(self, named: str | None) -> MicrosoftAuth | None:
        """The sign-in a delivery uses: the named connector's, else the top-level
        ``microsoft:`` block, else the only Microsoft connector's; None when there is none."""
        if named is None and self.microsoft is not None:
            return self.microsoft
        connector = self.connectors.get(self.microsoft_connector_for(named) or "")
        return connector if isinstance(connector, MicrosoftAuth) else None

    def microsoft_connector_for(self, named: str | None) -> str | None:
        """The Microsoft connector a delivery signs in with: the named one, else the only one.

        ``None`` when there is no single answer (validation has already reported that for any
        delivery that needs one).
        """
        if named is not None:
            return named if named in self.connectors else None
        candidates = self._microsoft_connectors()
        return candidates[0] if len(candidates) == 1 else None

    def _microsoft_connectors(self) -> list[str]:
        return [n for n, c in self.connectors.items() if c.type in MICROSOFT_TYPES]

    def _share_microsoft(self) -> list[LocatedMessage]:
        """Give each Microsoft connector what it leaves out of the top-level ``microsoft:``
        block (the same objects, so a deferred secret is found in both), then check that it
        can sign in."""
        messages: list[LocatedMessage] = []
        block = self.microsoft
        for name, connector in self.connectors.items():
            if not isinstance(connector, MicrosoftSignIn):
                continue
            if block is not None:
                for key in getattr(connector, "shared_keys", MICROSOFT_SHARED):
                    if key not in connector.model_fields_set and key in block.model_fields_set:
                        setattr(connector, key, getattr(block, key))
                if not connector.credentials_given():
                    for key in MICROSOFT_CREDENTIALS:
                        setattr(connector, key, getattr(block, key))
            for problem in connector.sign_in_problems():
                loc: Loc = ("connectors", name, *problem.loc)
                messages.append(LocatedMessage(loc, problem.message, problem.at_key))
        return messages

    def _share_timezone(self) -> None:
        """A connector with a ``timezone`` key (planner; sharepoint_files reading a list) that
        leaves it out reads dates in the organisation's zone, when one is named: the plans and
        lists are used where the organisation works."""
        if self.organisation.timezone is None:
            return
        for connector in self.connectors.values():
            if hasattr(connector, "timezone") and "timezone" not in connector.model_fields_set:
                connector.timezone = self.organisation.timezone

    @model_validator(mode="after")
    def _cross_checks(self) -> Self:
        self._share_timezone()
        messages: list[LocatedMessage] = self._share_microsoft()
        for name, report in self.reports.items():
            base: Loc = ("reports", name)
            for index, source in enumerate(report.filters.sources):
                if source not in self.connectors:
                    loc = base + ("filters", "sources", index)
                    messages.append(LocatedMessage(loc, self._no_connector(source)))
            for index, delivery in enumerate(report.deliver):
                messages += self._check_delivery(delivery.kind, delivery.target, base, index)
            if report.kind == "intake_pipeline" and not self.intake.models:
                text = "a report of kind intake_pipeline needs intake.models: no scoring model"
                messages.append(LocatedMessage(base + ("kind",), text))
        messages += self._check_intake_sources()
        messages += self._check_writeback()
        if messages:
            raise LocatedProblems(messages)
        return self

    def _intake_sources(self) -> dict[str, IntakeSourceFields]:
        """The connectors that capture requests, with their request fields, by name."""
        found: dict[str, IntakeSourceFields] = {}
        for name, connector in self.connectors.items():
            if isinstance(connector, AsanaConnector) and connector.intake is not None:
                found[name] = connector.intake
            elif isinstance(connector, WorkbookSource) and connector.kind == "request":
                found[name] = connector
        return found

    def _check_intake_sources(self) -> list[LocatedMessage]:
        """A scoring model or required field reading ``criteria.<name>`` or ``effort.<role>``
        that no request source maps would score every request 0 on it, silently: say so at
        the key. Without any request source there is nothing to compare with yet."""
        sources = self._intake_sources()
        if not sources:
            return []
        mapped = {
            "criteria": {n for s in sources.values() for n in s.criteria},
            "effort": {n for s in sources.values() for n in s.effort},
        }
        wanted: list[tuple[Loc, str]] = [
            (("intake", "required", i), field) for i, field in enumerate(self.intake.required)
        ]
        for model_name, model in self.intake.models.items():
            base: Loc = ("intake", "models", model_name)
            for name, criterion in model.criteria.items():
                wanted.append((base + ("criteria", name), criterion.source or f"criteria.{name}"))
            for index, gate in enumerate(model.gates):
                wanted.append((base + ("gates", index, "source"), gate.source))
        messages = []
        for loc, source in wanted:
            kind, dot, name = source.partition(".")
            if dot and kind in mapped and name not in mapped[kind]:
                known = ", ".join(sorted(mapped[kind])) or "none"
                text = (
                    f"{source}: no request source maps {kind} {name!r} (they map: {known}); "
                    f"add it under {kind}: of a connector's intake fields"
                )
                messages.append(LocatedMessage(loc, text))
        return messages

    def _check_writeback(self) -> list[LocatedMessage]:
        """A connector's write-back names a report whose computed RAG it writes (a
        portfolio_status or board_pack report), and owns only what the connector does not
        read as the team's word: an owned field or label read back would echo."""
        messages = []
        for name, connector in self.connectors.items():
            spec = getattr(connector, "writeback", None)
            if spec is None:
                continue
            base: Loc = ("connectors", name, "writeback")
            report = self.reports.get(spec.report)
            if report is None:
                known = ", ".join(sorted(self.reports)) or "none"
                text = f"no report named {spec.report!r} (reports: {known})"
                messages.append(LocatedMessage(base + ("report",), text))
            elif report.kind not in WRITEBACK_REPORT_KINDS:
                text = (
                    f"report {spec.report!r} is a {report.kind} report; write-back takes the "
                    f"computed RAG of a {' or '.join(WRITEBACK_REPORT_KINDS)} report"
                )
                messages.append(LocatedMessage(base + ("report",), text))
            messages += _owned_and_read(connector, base)
        return messages

    def _check_delivery(
        self, kind: str, target: object, base: Loc, index: int
    ) -> list[LocatedMessage]:
        loc: Loc = base + ("deliver", index, kind)
        via = getattr(target, "via", None)
        named = getattr(target, "connector", None)
        if kind == "email" and via == "smtp":
            out = []
            if self.smtp is None:
                text = "email via smtp needs a top-level 'smtp' section (or use via: graph)"
                out.append(LocatedMessage(loc, text, at_key=True))
            if named is not None:
                text = "connector is only used with via: graph"
                out.append(LocatedMessage(loc + ("connector",), text, at_key=True))
            return out
        if kind == "sharepoint" or (kind == "email" and via == "graph"):
            what = "a sharepoint delivery" if kind == "sharepoint" else "email via graph"
            problems = self._check_microsoft(named, loc, what)
            if not problems and kind == "email" and getattr(target, "sender", None) is None:
                auth = self.microsoft_auth_for(named)
                if auth is not None and auth.token is None:  # an app sign-in has no /me
                    text = (
                        "email via graph needs 'sender:', the mailbox to send from (an app "
                        "signs in as no user, so there is no 'me' to send as)"
                    )
                    problems.append(LocatedMessage(loc, text, at_key=True))
            return problems
        return []

    def _check_microsoft(self, named: str | None, loc: Loc, what: str) -> list[LocatedMessage]:
        kinds = " or ".join(MICROSOFT_TYPES)
        if named is not None:
            if named not in self.connectors:
                return [LocatedMessage(loc + ("connector",), self._no_connector(named))]
            actual = self.connectors[named].type
            if actual not in MICROSOFT_TYPES:
                text = f"connector '{named}' is of type {actual}; {what} needs a {kinds} connector"
                return [LocatedMessage(loc + ("connector",), text)]
            return []
        if self.microsoft is not None:
            return []
        candidates = self._microsoft_connectors()
        if not candidates:
            text = (
                f"{what} signs in through a {kinds} connector or a top-level 'microsoft:' "
                "block, and none is configured"
            )
            return [LocatedMessage(loc, text, at_key=True)]
        if len(candidates) > 1:
            text = (
                f"{what} needs 'connector:' to say which Microsoft connector to sign in with "
                f"({', '.join(candidates)})"
            )
            return [LocatedMessage(loc, text, at_key=True)]
        return []

    def _no_connector(self, name: str) -> str:
        known = ", ".join(self.connectors) or "none configured"
        hint = did_you_mean(name, self.connectors)
        return f"no connector named '{short(name)}'{hint} (connectors: {known})"


WRITEBACK_REPORT_KINDS = ("portfolio_status", "board_pack")
"""The report kinds that judge each project's RAG (their rules), so can be written back."""


def _words(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def _asana_field_keys(connector: AsanaConnector) -> list[tuple[str, str | None]]:
    """Every custom field an Asana connector reads, as (its key in the YAML, name or gid)."""
    named: list[tuple[str, str | None]] = [
        (f"fields.{key}", ref) for key, ref in connector.fields.items()
    ]
    raid, intake = connector.raid, connector.intake
    if raid is not None:
        named += [("raid.type_field", raid.type_field), ("raid.project_field", raid.project_field)]
        named += [(f"raid.fields.{key}", ref) for key, ref in raid.fields.items()]
    if intake is not None:
        named.append(("intake.stage_field", intake.stage_field))
        for block in ("fields", "criteria", "effort"):
            named += [(f"intake.{block}.{k}", ref) for k, ref in getattr(intake, block).items()]
    return named


def _owned_and_read(connector: object, base: Loc) -> list[LocatedMessage]:
    """Where a connector would read back as the team's word what its write-back owns."""
    spec = connector.writeback  # type: ignore[attr-defined]
    messages = []
    if isinstance(connector, AsanaConnector) and spec.rag_field is not None:
        owned = _words(spec.rag_field.field)
        for key, ref in _asana_field_keys(connector):
            if ref is not None and _words(ref) == owned:
                what = "RAG" if key == "fields.rag" else key.rpartition(".")[2].replace("_", " ")
                text = (
                    f"{spec.rag_field.field!r} is also {key}: pmosync would read its own "
                    f"write back as the team's {what}; give write-back a field of its own"
                )
                messages.append(LocatedMessage(base + ("rag_field", "field"), text))
    if isinstance(connector, PlannerConnector):
        source_bucket = connector.rag_source.bucket if connector.rag_source else None
        task = spec.status_task
        if task is not None and source_bucket and _words(source_bucket) == _words(task.bucket):
            text = (
                f"bucket {task.bucket!r} is also rag_source.bucket, where the "
                "team writes its status; give write-back a bucket of its own"
            )
            messages.append(LocatedMessage(base + ("status_task", "bucket"), text))
        raid = connector.raid
        raid_bucket = getattr(raid, "bucket", None) if raid is not None else None
        if spec.status_task is not None and _words(raid_bucket) == _words(spec.status_task.bucket):
            text = f"bucket {spec.status_task.bucket!r} is also raid.bucket"
            messages.append(LocatedMessage(base + ("status_task", "bucket"), text))
    return messages
