"""Keep secrets out of every message built from what a server sent back.

A server's error body is the one place a message can pick up a credential without our doing:
a proxy or a buggy API that echoes the request (its ``Authorization`` header, the token in a
URL) into its error text. Every connector runs each piece of server text through a
``Scrubber`` before it becomes part of an error or a log line; reports' deliveries use the same
masking for what they record. From there the text would reach stdout, stderr, the JSON logs,
``pmosync status``, ``pmosync runs`` and the ledger's ``error`` columns.

A ``Scrubber`` masks the secrets it was given (the connector's token or client secret, every
``SecretStr`` of a configuration) and, whatever it was given, any ``Authorization`` value,
any ``Bearer``/``Basic`` credential and anything shaped like a JWT (an Entra ID access token
that the configuration never held).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, urlsplit

from pydantic import BaseModel, SecretStr

MASK = "***"
MIN_SECRET = 4
"""Shorter configured values are not masked: masking "abc" everywhere would garble text and
hide nothing worth hiding."""

_PATTERNS = (
    # Authorization: Bearer xyz / "authorization": "Bearer xyz" / authorization=xyz
    re.compile(
        r"""(?ix)(authorization["']?\s*[:=]\s*["']?)
        (?:(?:bearer|basic|negotiate|token)(?:\s+|%20|\+))?[^\s"',;&]+"""
    ),
    re.compile(r"(?i)\b((?:bearer|basic)(?:\s+|%20|\+))[A-Za-z0-9\-._~+/=%]{4,}"),
    re.compile(r"()\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
)


class Scrubber:
    """Masks given secrets and any credential-shaped text; ``str`` in, ``str`` out."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        found: set[str] = set()
        for secret in secrets:
            if secret and len(secret) >= MIN_SECRET:
                found |= {secret, quote(secret, safe=""), quote(secret)}
        self.secrets = tuple(sorted(found, key=len, reverse=True))
        """Longest first, so a secret inside another is masked whole."""

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda match: f"{match.group(1)}{MASK}", text)
        return text

    def one_line(self, text: str, limit: int) -> str:
        """``text`` masked, on one line, at most ``limit`` characters (masked before it is cut,
        so no cut can leave half a secret behind)."""
        line = " ".join(self(text).split())
        return line if len(line) <= limit else line[: limit - 1] + "…"


def config_secrets(config: BaseModel) -> tuple[str, ...]:
    """Every ``SecretStr`` value of a configuration (and the query values and path of secret
    URLs, such as a webhook's ``sig``), longest first."""
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, SecretStr):
            secret = value.get_secret_value()
            found.add(secret)
            if "://" in secret:
                found.update(v for _, v in parse_qsl(urlsplit(secret).query) if len(v) >= 8)
                found.add(urlsplit(secret).path)
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(config)
    return tuple(sorted((s for s in found if len(s) >= MIN_SECRET), key=len, reverse=True))
