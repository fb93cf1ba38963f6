"""pydantic validation errors -> one positioned, human line each.

pydantic's messages are written for programmers ("Extra inputs are not permitted", a link to
its docs, the input dumped back). A PSO tool expert needs the line to fix, the key path, and a
sentence: "unknown key 'schedual'; did you mean 'schedule'?". This module makes that
translation, looking every location up in the positions recorded while parsing, and never
quoting a value that could be a secret.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterator
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from pmosync.config.errors import (
    SECRET_KEYS,
    Loc,
    LocatedProblems,
    Problem,
    did_you_mean,
    short,
    show_value,
)
from pmosync.config.yaml_positions import Positions, path_text

_QUOTED = re.compile(r"'([^']*)'")
_PREFIXES = ("Value error, ", "Assertion failed, ")

#: What a type error expected, in words, by pydantic error type.
_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping of keys",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "a date without a time (YYYY-MM-DD)",
}
_BOUNDS = {
    "greater_than_equal": ("ge", "must be at least {}"),
    "less_than_equal": ("le", "must be at most {}"),
    "greater_than": ("gt", "must be greater than {}"),
    "less_than": ("lt", "must be less than {}"),
}


class Explainer:
    """Translates the errors of one validation run against one parsed file."""

    def __init__(
        self,
        root: type[BaseModel],
        data: Any,
        positions: Positions,
        *,
        hidden: set[Loc] | None = None,
        from_env: set[Loc] | None = None,
    ) -> None:
        self.root = root
        self.data = data
        self.positions = positions
        self.hidden = hidden or set()
        self.from_env = from_env or set()

    def explain(self, exc: ValidationError) -> list[Problem]:
        problems: list[Problem] = []
        for error in exc.errors(include_url=False):
            for subject, problem in self._explain(error):
                if not any(subject[: len(h)] == h for h in self.hidden):
                    problems.append(problem)
        return problems

    # -- locating ---------------------------------------------------------------------------

    def _resolve(self, loc: Loc) -> tuple[Loc, bool]:
        """Map a pydantic location onto the user's data.

        Elements that are not keys or indices of the data (union tags, a missing key) are
        skipped; ``[key]`` (pydantic's marker for a dict key's own error) sets ``at_key``.
        """
        out: list[str | int] = []
        current = self.data
        at_key = False
        for part in loc:
            if part == "[key]":
                at_key = True
                continue
            if isinstance(current, dict):
                key = part if part in current else _casefold_key(current, part)
                if key is not None:
                    out.append(key)
                    current = current[key]
            elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
                out.append(part)
                current = current[part]
        return tuple(out), at_key

    def _value_at(self, loc: Loc) -> Any:
        current = self.data
        for part in loc:
            current = current[part]
        return current

    def _problem(self, loc: Loc, message: str, *, at_key: bool, path: Loc | None = None) -> Problem:
        pos = self.positions.key(loc) if at_key else self.positions.value(loc)
        return Problem(pos.line, pos.col, path_text(loc if path is None else path), message)

    def _may_show(self, loc: Loc) -> bool:
        return loc not in self.from_env and not any(part in SECRET_KEYS for part in loc)

    def _scrub(self, message: str, loc: Loc) -> str:
        """Remove the value at ``loc`` from a validator's message if it must not be shown.

        Validators quote short values to be helpful, but cannot know that a value came from
        an environment variable (and so may be a credential pasted into the wrong key).
        """
        if self._may_show(loc):
            return message
        try:
            value = self._value_at(loc)
        except (KeyError, IndexError, TypeError):
            return message
        if isinstance(value, str):
            for text in {value, value.strip()} - {""}:
                message = message.replace(f"'{text}'", "the value")
                if len(text) >= 4:  # shorter text is no secret, and may be part of a word
                    message = message.replace(text, "***")
        return message

    # -- translating --------------------------------------------------------------------------

    def _explain(self, error: Any) -> Iterator[tuple[Loc, Problem]]:
        loc: Loc = tuple(error["loc"])
        kind: str = error["type"]
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, LocatedProblems):
            for item in cause.messages:
                target, _ = self._resolve(loc + item.loc)
                message = self._scrub(item.message, target)
                yield target, self._problem(target, message, at_key=item.at_key)
            return
        target, key_error = self._resolve(loc)
        if kind == "missing":
            message = f"missing required key '{short(str(loc[-1]))}'"
            yield target + (str(loc[-1]),), self._problem(target, message, at_key=True)
        elif kind == "extra_forbidden":
            yield target, self._unknown_key(loc, target)
        elif kind == "union_tag_invalid":
            yield self._bad_tag(error, target)
        elif kind == "union_tag_not_found":
            yield self._missing_tag(error, target)
        elif key_error:
            message = self._key_message(kind, error, target)
            yield target, self._problem(target, message, at_key=True, path=target[:-1])
        else:
            message = self._scrub(self._value_message(kind, error, target), target)
            yield target, self._problem(target, message, at_key=False)

    def _unknown_key(self, loc: Loc, target: Loc) -> Problem:
        key = str(loc[-1])
        allowed = _allowed_keys(self.root, loc[:-1])
        hint = ""
        if allowed:
            hint = did_you_mean(key, allowed) or f" (allowed: {', '.join(allowed)})"
        return self._problem(
            target, f"unknown key '{short(key)}'{hint}", at_key=True, path=target[:-1]
        )

    def _bad_tag(self, error: Any, target: Loc) -> tuple[Loc, Problem]:
        ctx = error.get("ctx") or {}
        known = sorted(_QUOTED.findall(str(ctx.get("expected_tags", ""))))
        field = _QUOTED.sub(r"\1", str(ctx.get("discriminator", "type")))
        entry = self._value_at(target)
        value = entry.get(field) if isinstance(entry, dict) else None
        subject = target + (field,)
        what = "connector type" if target[:1] == ("connectors",) else field
        shown = show_value(value) if isinstance(value, str) and self._may_show(subject) else None
        if shown is None:
            message = f"unknown {what} (known: {', '.join(known)})"
        else:
            hint = did_you_mean(value, known)
            message = f"unknown {what} {shown}{hint} (known: {', '.join(known)})"
        return subject, self._problem(subject, message, at_key=False)

    def _missing_tag(self, error: Any, target: Loc) -> tuple[Loc, Problem]:
        ctx = error.get("ctx") or {}
        field = _QUOTED.sub(r"\1", str(ctx.get("discriminator", "type")))
        known = _union_tags(self.root, tuple(error["loc"]), field)
        listing = f" (known: {', '.join(known)})" if known else ""
        message = f"missing required key '{field}'{listing}"
        return target + (field,), self._problem(target, message, at_key=True)

    def _key_message(self, kind: str, error: Any, target: Loc) -> str:
        key = str(target[-1]) if target else ""
        if kind == "literal_error":
            allowed = _QUOTED.findall(str((error.get("ctx") or {}).get("expected", "")))
            hint = did_you_mean(key, allowed) or ""
            return f"unknown key '{short(key)}'{hint} (allowed: {', '.join(allowed)})"
        return _clean(error["msg"])

    def _value_message(self, kind: str, error: Any, target: Loc) -> str:
        ctx = error.get("ctx") or {}
        value = error.get("input")
        shown = show_value(value) if self._may_show(target) else None
        got = f" (got {shown})" if shown is not None else ""
        if kind in ("value_error", "assertion_error"):
            return _clean(error["msg"])
        if kind == "literal_error":
            allowed = _QUOTED.findall(str(ctx.get("expected", "")))
            hint = did_you_mean(value, allowed) if isinstance(value, str) and shown else ""
            subject = f"{shown} is not" if shown else "must be"
            return f"{subject} one of {', '.join(allowed)}{hint}"
        if kind in _EXPECTED:
            expected = _EXPECTED[kind]
            if value is None:
                return f"has no value; expected {expected}"
            if kind == "list_type" and isinstance(value, str | int | float):
                return "must be a list; for a single item write [item]"
            if isinstance(value, dict | list):
                actual = "a list" if isinstance(value, list) else "a mapping"
                return f"must be {expected}, not {actual}"
            return f"must be {expected}{got}"
        if kind in _BOUNDS:
            name, template = _BOUNDS[kind]
            return template.format(ctx.get(name)) + got
        if kind in ("too_short", "string_too_short") and ctx.get("min_length") == 1:
            return "must not be empty"
        return _clean(error["msg"])


def _clean(message: str) -> str:
    """Drop pydantic's "Value error, " prefix; start lower-case like our own messages."""
    for prefix in _PREFIXES:
        message = message.removeprefix(prefix)
    if message[1:2].isupper():  # an acronym such as "URL": leave it alone
        return message
    return message[:1].lower() + message[1:]


def _casefold_key(mapping: dict[Any, Any], part: str | int) -> str | None:
    if not isinstance(part, str):
        return None
    folded = part.lower()
    return next((k for k in mapping if isinstance(k, str) and k.lower() == folded), None)


# -- walking the model types along a location --------------------------------------------------


def _unwrap(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


def _members(tp: Any) -> list[Any]:
    tp = _unwrap(tp)
    if get_origin(tp) in (Union, types.UnionType):
        return [_unwrap(arg) for arg in get_args(tp) if arg is not type(None)]
    return [tp]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _tag_of(model: type[BaseModel], field: str = "type") -> tuple[str, ...]:
    info = model.model_fields.get(field)
    if info is None or get_origin(info.annotation) is not Literal:
        return ()
    return tuple(str(arg) for arg in get_args(info.annotation))


def _type_at(tp: Any, loc: Loc) -> Any:
    """The annotation found by following ``loc`` (a pydantic location) from ``tp``."""
    for index, part in enumerate(loc):
        members = _members(tp)
        models = [m for m in members if _is_model(m)]
        if len(models) > 1:  # a discriminated union: this loc element is the tag
            chosen = [m for m in models if str(part) in _tag_of(m)]
            if not chosen:
                return None
            return _type_at(chosen[0], loc[index + 1 :])
        tp = members[0]
        origin = get_origin(tp)
        if _is_model(tp):
            field = next((f for n, f in tp.model_fields.items() if (f.alias or n) == part), None)
            if field is None:
                return None
            tp = field.annotation
        elif origin is dict:
            tp = get_args(tp)[1]
        elif origin is list:
            tp = get_args(tp)[0]
        else:
            return None
    return tp


def _allowed_keys(root: type[BaseModel], loc: Loc) -> list[str]:
    models = [m for m in _members(_type_at(root, loc)) if _is_model(m)]
    if len(models) != 1:
        return []
    return [f.alias or n for n, f in models[0].model_fields.items()]


def _union_tags(root: type[BaseModel], loc: Loc, field: str) -> list[str]:
    tp = _type_at(root, loc)
    if tp is None:
        return []
    return sorted(tag for m in _members(tp) if _is_model(m) for tag in _tag_of(m, field))
