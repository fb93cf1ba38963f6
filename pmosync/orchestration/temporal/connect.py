"""The Temporal client as the YAML describes it: address, namespace, TLS or mutual TLS, API key.

Connecting is the one place a cluster problem surfaces for the commands, so it ends in one
line naming the address and namespace (never the API key): ``TemporalUnavailable``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from temporalio.client import Client
from temporalio.service import RPCError, TLSConfig

from pmosync.config import PmosyncConfig


class TemporalUnavailable(Exception):
    """The Temporal cluster cannot be reached, or refused us, or a TLS file cannot be read."""


@dataclass(frozen=True)
class Target:
    """Where to connect: the YAML's ``temporal:`` block with the command line's overrides."""

    address: str
    namespace: str
    task_queue: str

    @classmethod
    def of(
        cls,
        config: PmosyncConfig,
        address: str | None = None,
        namespace: str | None = None,
        task_queue: str | None = None,
    ) -> Target:
        settings = config.temporal
        return cls(
            address or settings.address,
            namespace or settings.namespace,
            task_queue or settings.task_queue,
        )

    def __str__(self) -> str:
        return f"Temporal at {self.address} (namespace {self.namespace})"


def _read(config: PmosyncConfig, path: str | None, what: str) -> bytes | None:
    if path is None:
        return None
    full = (config.config_path.parent / path).resolve()
    try:
        return full.read_bytes()
    except OSError as error:
        raise TemporalUnavailable(
            f"temporal.tls.{what}: cannot read {full}: {error.strerror or error}"
        ) from None


def tls_config(config: PmosyncConfig) -> TLSConfig | bool:
    """The TLS the YAML asks for: none, the system's roots, a CA and/or a client certificate."""
    settings = config.temporal
    if not settings.uses_tls():
        return False
    tls = settings.tls
    if tls is None:  # an API key alone: TLS with the system's roots (Temporal Cloud)
        return True
    return TLSConfig(
        server_root_ca_cert=_read(config, tls.server_ca, "server_ca"),
        client_cert=_read(config, tls.client_cert, "client_cert"),
        client_private_key=_read(config, tls.client_key, "client_key"),
        domain=tls.server_name,
    )


async def connect(config: PmosyncConfig, target: Target) -> Client:
    """A client of ``target``'s namespace, or ``TemporalUnavailable`` in one line."""
    api_key = config.temporal.api_key
    try:
        return await Client.connect(
            target.address,
            namespace=target.namespace,
            tls=tls_config(config),
            api_key=api_key.get_secret_value() if api_key is not None else None,
        )
    except RPCError as error:
        raise TemporalUnavailable(f"{target}: {_reason(error, config)}") from None
    except RuntimeError as error:  # the core SDK's connection failures
        raise TemporalUnavailable(f"{target}: cannot connect: {_reason(error, config)}") from None


def _reason(error: BaseException, config: PmosyncConfig | None = None) -> str:
    """What went wrong in a few words: the OS's own reason when the core SDK wraps one
    (``message: "Connection refused"``), a certificate problem said in words and pointing at
    the key to change, else the error's first line, shortened. Built from the error, never from
    the request, so no API key can appear."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    if found := re.search(r"InvalidCertificate\((\w+)", text):
        if found.group(1) == "UnknownIssuer":
            return (
                "the server's certificate is not signed by a CA this client trusts "
                "(temporal.tls.server_ca names the CA that signed it)"
            )
        return f"the server's certificate was refused ({found.group(1)}; temporal.tls.server_name?)"
    found = re.search(r'message: "([^"]+)"', text)
    reason = found.group(1).lower() if found else text[:300]
    tls = config.temporal.tls if config is not None else None
    if tls is not None and tls.client_cert is None and re.search(r"cancel|transport", reason):
        reason += " (the server may require a client certificate: temporal.tls.client_cert and "
        reason += "client_key)"
    return reason
