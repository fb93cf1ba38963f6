"""Which engine schedules the jobs, and how to reach a Temporal cluster when it is Temporal.

``engine: daemon`` (the default) is the embedded APScheduler daemon: one machine, one store,
nothing else to run. ``engine: temporal`` hands the schedules to a Temporal cluster: ``pmosync
schedules apply`` makes its Schedules equal to this file, ``pmosync worker`` runs the jobs,
and ``pmosync sync`` goes through the cluster too, so a manual sync and a scheduled one of the
same connector never run at once. The same file works with either engine: moving between
them is stopping one and starting the other (docs/deploy.md).
"""

from __future__ import annotations

import re
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator

from pmosync.config.errors import LocatedMessage, LocatedProblems
from pmosync.config.fields import ConfigModel, NonEmptyStr

Engine = Literal["daemon", "temporal"]

_ADDRESS = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$")
_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$"


class TemporalTls(ConfigModel):
    """TLS to the Temporal frontend; with a client certificate and key, mutual TLS."""

    server_ca: NonEmptyStr | None = Field(
        None,
        description=(
            "PEM file of the CA that signed the server's certificate (relative to this file); "
            "none: the system's trusted roots (Temporal Cloud)."
        ),
    )
    client_cert: NonEmptyStr | None = Field(
        None, description="PEM file of this client's certificate, for mutual TLS."
    )
    client_key: NonEmptyStr | None = Field(
        None, description="PEM file of that certificate's private key (keep it 0600)."
    )
    server_name: NonEmptyStr | None = Field(
        None, description="The name the server's certificate must carry, when not the host's."
    )

    @model_validator(mode="after")
    def _pair(self) -> Self:
        if (self.client_cert is None) != (self.client_key is None):
            missing = "client_key" if self.client_key is None else "client_cert"
            text = f"mutual TLS needs both client_cert and client_key; {missing} is missing"
            raise LocatedProblems([LocatedMessage((), text, at_key=True)])
        return self


class Temporal(ConfigModel):
    """Where the Temporal cluster is and how pmosync's work runs on it."""

    address: NonEmptyStr = Field(
        "127.0.0.1:7233",
        description=(
            "host:port of the Temporal frontend (Temporal Cloud: "
            "<namespace>.<account>.tmprl.cloud:7233); `pmosync worker --address` overrides it."
        ),
    )
    namespace: NonEmptyStr = Field(
        "default", pattern=_NAME, description="The Temporal namespace pmosync works in."
    )
    task_queue: NonEmptyStr = Field(
        "pmosync",
        pattern=_NAME,
        description="The task queue of pmosync's workers; every worker of one store uses the same.",
    )
    tls: TemporalTls | None = Field(
        None,
        description=(
            "TLS to the frontend: {} for the system's trusted roots, or a CA file and/or a "
            "client certificate (mutual TLS). An api_key implies TLS."
        ),
    )
    api_key: SecretStr | None = Field(
        None,
        description=(
            "Temporal Cloud API key; write ${TEMPORAL_API_KEY}, not the value. Sent as a bearer "
            "token over TLS."
        ),
    )
    heartbeat_timeout_seconds: int = Field(
        60,
        ge=5,
        le=3600,
        description=(
            "A sync heartbeats as its pages commit and at least every quarter of this, waits "
            "for a quota or a Retry-After included; a worker silent this long is taken for "
            "dead and the sync resumes on another from its last committed page."
        ),
    )
    stream_timeout_minutes: int = Field(
        240, ge=1, le=7 * 24 * 60, description="The longest one attempt at one stream may run."
    )
    catchup_window_minutes: int = Field(
        10,
        ge=1,
        le=7 * 24 * 60,
        description=(
            "A tick missed while the cluster or every worker was down still runs when it "
            "comes back within this long; older ones are skipped (the next tick comes)."
        ),
    )
    report_wait_minutes: int = Field(
        30,
        ge=0,
        le=24 * 60,
        description=(
            "How long a scheduled report waits for the syncs of its connectors that are running "
            "at its tick; after that it runs and says how stale its data is."
        ),
    )

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        if not _ADDRESS.match(value):
            raise ValueError(f"{value!r} is not host:port (e.g. 127.0.0.1:7233)")
        return value

    def uses_tls(self) -> bool:
        return self.tls is not None or self.api_key is not None
