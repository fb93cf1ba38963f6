"""The one exception a bad config file produces, and the pieces that build its lines.

A PSO tool expert reads these messages at 7 a.m. in a terminal or a CI log, so every problem
is ONE line that starts with ``file:line:col`` (editors and CI annotators make that clickable),
names the dotted key path, and says what is wrong in words. Secrets never appear: no message in
this package is built from a value the user typed unless the value is known to be harmless and
short (see ``show_value``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: Key names whose values are secrets wherever they appear; never echoed in any message.
SECRET_KEYS = frozenset({"token", "client_secret", "password", "webhook_url", "store"})

#: Longest user value we are willing to quote back in a message.
MAX_SHOWN = 40

Loc = tuple[str | int, ...]


class ConfigError(Exception):
    """Raised by ``load_config`` for every problem the user can cause.

    ``problems`` holds one line per problem, sorted by position; ``str(err)`` joins them, so a
    CLI can print it and exit 2 without knowing anything else about configs.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: list[str] = list(problems)
        super().__init__("\n".join(self.problems))

    def __str__(self) -> str:
        return "\n".join(self.problems)


@dataclass(frozen=True, order=True)
class Problem:
    """One problem, before it is rendered against a file name.

    ``line``/``col`` are 1-based; ``None`` means the problem is about the file as a whole.
    """

    line: int | None
    col: int | None
    path: str = field(compare=False)
    message: str = field(compare=False)

    def render(self, source: str) -> str:
        where = source if self.line is None else f"{source}:{self.line}:{self.col}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


def sort_and_render(problems: Iterable[Problem], source: str) -> list[str]:
    """File-level problems first, then by line and column; exact duplicates dropped."""
    ordered = sorted(problems, key=lambda p: (p.line or 0, p.col or 0))
    lines: list[str] = []
    for p in ordered:
        text = p.render(source)
        if text not in lines:
            lines.append(text)
    return lines


@dataclass(frozen=True)
class LocatedMessage:
    """A message a validator wants shown at a location *below* the model it validates.

    ``loc`` is relative to the model that raised it; ``at_key`` points at the key itself
    instead of its value (for "this name is wrong" messages).
    """

    loc: Loc
    message: str
    at_key: bool = False


class LocatedProblems(ValueError):  # noqa: N818 - it travels through pydantic as a ValueError
    """Raised inside model validators to report problems at precise keys.

    pydantic only knows the location of the model whose validator failed; cross-checks such as
    "this delivery needs an smtp section" are about a key deep inside it. pydantic keeps the
    original exception in the error's ``ctx["error"]``, and ``explain`` expands it back into
    one positioned line per message.
    """

    def __init__(self, messages: Sequence[LocatedMessage]) -> None:
        self.messages = list(messages)
        super().__init__("; ".join(m.message for m in self.messages))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for a close match, else ``""``."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{matches[0]}'?" if matches else ""


def show_value(value: object) -> str | None:
    """Quote a short scalar for a message, or ``None`` if it should not be shown.

    Only str/int/float/bool values up to ``MAX_SHOWN`` characters on one line are shown; the
    caller is responsible for not calling this for secret fields.
    """
    if isinstance(value, bool | int | float):
        text = str(value)
        return text if len(text) <= MAX_SHOWN else None
    if isinstance(value, str) and len(value) <= MAX_SHOWN and "\n" not in value:
        return f"'{value}'"
    return None


def short(text: str) -> str:
    """Truncate a key or name for display (keys are not secret, but may be pasted garbage)."""
    text = text.replace("\n", " ")
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."
