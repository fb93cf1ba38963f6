"""``${VAR}`` and ``${VAR:-default}`` in config values, from the environment or a ``.env`` file.

Secrets must not live in the YAML file (it is shared, versioned, pasted into tickets), so any
string value may refer to environment variables. Interpolation runs on parsed string values,
never on raw text, so a variable's value can never break YAML syntax or inject keys, and every
problem can be reported at the value it belongs to. Rules, as in docker compose and the shell:

* ``${NAME}``: the variable's value; an unset variable is an error (a set but empty one is "").
* ``${NAME:-default}``: the default when the variable is unset *or empty*.
* ``$${`` is a literal ``${``; a ``$`` not followed by ``{`` is just a dollar sign.
* Names are letters, digits and ``_``, not starting with a digit.
* Variables come from the real environment first, then from ``.env`` beside the config file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pmosync.config.errors import Loc, Problem, short
from pmosync.config.yaml_positions import Positions, path_text

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WORDISH = re.compile(r"[A-Za-z0-9_]{1,40}")
#: A value that starts with a reference: what an unset variable's value is kept as, so a
#: validator can leave the message to the loader's "is not set".
UNSET_REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}")

Lookup = Callable[[str], str | None]


class MalformedReference(ValueError):  # noqa: N818 - reads better at the raise site
    """A ``${`` that is not a well-formed variable reference."""


def interpolate(text: str, lookup: Lookup) -> tuple[str, list[str]]:
    """Expand every reference in ``text``.

    Returns the expanded text and the names of unset variables (in order, each once); unset
    references expand to "" (the caller decides what to keep). Raises ``MalformedReference``
    for a broken reference; its message never quotes the surrounding text, which may be a
    secret.
    """
    out: list[str] = []
    missing: list[str] = []
    i = 0
    while True:
        j = text.find("$", i)
        if j < 0:
            out.append(text[i:])
            break
        out.append(text[i:j])
        if text.startswith("$${", j):
            out.append("${")
            i = j + 3
            continue
        if not text.startswith("${", j):
            out.append("$")
            i = j + 1
            continue
        end = text.find("}", j + 2)
        if end < 0:
            raise MalformedReference(
                "'${' is not closed by '}' "
                "(write ${NAME} or ${NAME:-default}; $${ for a literal ${)"
            )
        name, has_default, default = text[j + 2 : end].partition(":-")
        if not name:
            raise MalformedReference("empty variable name in '${}'")
        if not _NAME.fullmatch(name):
            if _WORDISH.fullmatch(name):
                raise MalformedReference(
                    f"invalid variable name '{name}' "
                    "(letters, digits and '_', not starting with a digit)"
                )
            raise MalformedReference(
                "malformed variable reference; write ${NAME} or ${NAME:-default}"
            )
        value = lookup(name)
        if has_default and not value:
            out.append(default)
        elif value is None:
            if name not in missing:
                missing.append(name)
        else:
            out.append(value)
        i = end + 1
    return "".join(out), missing


def make_lookup(environ: Mapping[str, str], dotenv: Mapping[str, str | None]) -> Lookup:
    """The real environment wins over ``.env``; a ``.env`` key without ``=`` counts as unset."""

    def lookup(name: str) -> str | None:
        if name in environ:
            return environ[name]
        return dotenv.get(name)

    return lookup


def read_dotenv(path: Path) -> dict[str, str | None]:
    """Read ``path`` if it exists, without touching ``os.environ``.

    Values are taken literally (no ``${}`` expansion inside ``.env``): python-dotenv would expand
    them from ``os.environ``, which may not be the environment ``load_config`` was given.
    Raises ``OSError`` / ``UnicodeDecodeError``; the loader turns those into one-line problems.
    """
    if not path.exists():
        return {}
    from dotenv import dotenv_values  # only paid for when a .env file exists

    return dict(dotenv_values(path, interpolate=False, encoding="utf-8"))


@dataclass
class Interpolated:
    """Data after interpolation, with the paths that came from variables or failed."""

    data: Any
    problems: list[Problem] = field(default_factory=list)
    #: Paths whose value was produced from a variable: never echo those values in messages.
    from_env: set[Loc] = field(default_factory=set)
    #: Paths that could not be interpolated; validation messages about them are noise.
    failed: set[Loc] = field(default_factory=set)
    #: The problems of ``problems`` that are unset variables, by path (a loader may let some
    #: of them wait until the value is used).
    unset: dict[Loc, list[Problem]] = field(default_factory=dict)


def interpolate_tree(data: Any, positions: Positions, lookup: Lookup) -> Interpolated:
    """Interpolate every string value (not keys) in ``data``, collecting every problem."""
    result = Interpolated(data=None)

    def visit(value: Any, loc: Loc) -> Any:
        if isinstance(value, dict):
            return {key: visit(item, loc + (key,)) for key, item in value.items()}
        if isinstance(value, list):
            return [visit(item, loc + (index,)) for index, item in enumerate(value)]
        if not isinstance(value, str) or "$" not in value:
            return value
        at = positions.value(loc)
        try:
            expanded, missing = interpolate(value, lookup)
        except MalformedReference as exc:
            result.problems.append(Problem(at.line, at.col, path_text(loc), str(exc)))
            result.failed.add(loc)
            return value
        for name in missing:
            message = f"environment variable {short(name)} is not set"
            problem = Problem(at.line, at.col, path_text(loc), message)
            result.problems.append(problem)
            result.unset.setdefault(loc, []).append(problem)
            result.failed.add(loc)
        if missing:
            # Keep the reference text: a non-empty stand-in that no check mistakes for "not
            # given" (an unset client_secret must not also read as "no way to sign in").
            return value
        if expanded != value:
            result.from_env.add(loc)
        return expanded

    result.data = visit(data, ())
    return result
