"""Unset variables a command does not need yet: connector, mail-server and delivery values.

``pmosync status`` reads the store only, yet a config whose ``token: ${ASANA_TOKEN}`` has no
value used to stop it, so an operator had to export every secret just to look at the ledger.
``load_config(..., defer_unset=True)`` therefore accepts an unset variable in a connector's,
the ``smtp`` section's or a delivery's value: the value becomes an ``UnsetSecret`` (secrets)
or an ``UnsetText`` (other text), each carrying the one-line problem ``check`` would have
printed. A command that is about to use a connector or a report's deliveries asks
``unset_problems`` first and stops with those lines; a secret that is read anyway raises
``MissingVariable`` instead of ever sending the reference text as a credential.

Anywhere else (``store``, ``output_dir``, a report's rules) an unset variable stays an error at
load time, because every command that loads the file may need those values.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn

from pydantic import BaseModel, SecretStr

from pmosync.config.errors import ConfigError, Loc

_MASK = "**********"


class MissingVariable(ConfigError):
    """A secret whose ``${VAR}`` was unset at load time was read: the connector or delivery
    that needs it cannot run. ``problems`` are the lines ``pmosync check`` prints for it."""


class UnsetSecret:
    """Stands for a secret whose variable was unset; reading it raises ``MissingVariable``.

    Deliberately not a ``SecretStr``: code that collects every secret of the configuration (to
    mask them in messages) passes over it, and nothing can mistake it for a usable value.
    """

    __slots__ = ("problems",)

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems

    def get_secret_value(self) -> NoReturn:
        raise MissingVariable(self.problems)

    def __str__(self) -> str:
        return _MASK

    def __repr__(self) -> str:
        return f"UnsetSecret('{_MASK}')"


class UnsetText(str):
    """Text whose variable was unset: the reference as written (``${AZURE_TENANT_ID}``), with
    the problem lines that ``unset_problems`` reports when something is about to use it."""

    problems: list[str]

    def __new__(cls, text: str, problems: list[str]) -> UnsetText:
        made = super().__new__(cls, text)
        made.problems = problems
        return made


def deferrable(loc: Loc) -> bool:
    """Whether an unset variable at ``loc`` may wait until the value is used."""
    if loc[:1] in (("connectors",), ("microsoft",), ("smtp",)):
        return True
    return len(loc) > 3 and loc[0] == "reports" and loc[2] == "deliver"


def defer(config: BaseModel, loc: Loc, problems: list[str]) -> bool:
    """Put a stand-in at ``loc`` of the validated ``config``; False when the value there is
    not text (a number, a flag: validation has already turned it into something else)."""
    parent: Any = config
    for step in loc[:-1]:
        parent = _child(parent, step)
        if parent is None:
            return False
    last = loc[-1]
    value = _child(parent, last)
    if isinstance(value, SecretStr):
        stand_in: object = UnsetSecret(problems)
    elif type(value) is str:
        stand_in = UnsetText(value, problems)
    else:
        return False
    if isinstance(parent, BaseModel):
        name = _field_name(parent, str(last)) or ""
        setattr(parent, name, stand_in)
        if loc[0] == "microsoft":  # the connectors that share the block hold the same value
            for connector in getattr(config, "connectors", {}).values():
                if getattr(connector, name, None) is value:
                    setattr(connector, name, stand_in)
    else:
        parent[last] = stand_in
    return True


def _field_name(model: BaseModel, key: str) -> str | None:
    for name, info in type(model).model_fields.items():
        if key in (name, info.alias):
            return name
    return None


def _child(parent: Any, step: str | int) -> Any:
    if isinstance(parent, BaseModel):
        name = _field_name(parent, str(step))
        return getattr(parent, name) if name is not None else None
    if isinstance(parent, dict):
        return parent.get(step)
    if isinstance(parent, list) and isinstance(step, int) and 0 <= step < len(parent):
        return parent[step]
    return None


def unset_problems(
    config: Any, connectors: Iterable[str] = (), reports: Iterable[str] = ()
) -> list[str]:
    """The problem lines of unset variables that ``connectors`` and the deliveries of
    ``reports`` need (the Microsoft connector a delivery signs in with, the mail server of an
    email via smtp, the top-level ``microsoft:`` block); empty when they can all run."""
    known = config.connectors
    needed: list[Any] = [known[name] for name in connectors if name in known]
    for name in reports:
        report = config.reports.get(name)
        if report is None:
            continue
        needed.append(report)
        for delivery in report.deliver:
            target = delivery.target
            via = getattr(target, "via", None)
            if delivery.kind == "email" and via == "smtp":
                needed.append(config.smtp)
            elif delivery.kind == "sharepoint" or via == "graph":
                needed.append(config.microsoft_auth_for(getattr(target, "connector", None)))
    lines: list[str] = []
    for value in needed:
        for line in _collect(value):
            if line not in lines:
                lines.append(line)
    return lines


def unset_keys(section: Any, keys: Iterable[str]) -> list[str]:
    """The problem lines of the unset variables among ``keys`` of one section (for a command
    that uses only some of it, as ``discover`` uses a connector's sign-in but not its ids)."""
    return [line for key in keys for line in _collect(getattr(section, key, None))]


def _collect(value: Any) -> Iterable[str]:
    if isinstance(value, UnsetSecret | UnsetText):
        yield from value.problems
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _collect(getattr(value, name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _collect(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _collect(item)
