"""Keep secrets out of what a delivery records: every error passes through ``one_line``.

Connectors already build their messages without secrets; this is the second line of defence
for text that came from elsewhere (a server's reply, an unexpected exception): any secret of
the configuration that shows up in it is masked before it reaches the store or a log.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, SecretStr

ERROR_LIMIT = 500
MASK = "***"


def config_secrets(config: BaseModel) -> tuple[str, ...]:
    """Every ``SecretStr`` value of the configuration (and the query values of secret URLs,
    such as a webhook's ``sig``), longest first so a secret inside another is masked whole."""
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
    return tuple(sorted((s for s in found if len(s) >= 4), key=len, reverse=True))


def one_line(text: str, secrets: tuple[str, ...], limit: int = ERROR_LIMIT) -> str:
    """``text`` on one line, at most ``limit`` characters, with every secret masked."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
