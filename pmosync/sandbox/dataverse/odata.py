"""The OData query options Dataverse's Web API takes on a read: parsed, checked, evaluated.

``$select``, ``$filter`` (comparisons, and/or/not, parentheses, GUID / string / number / bool /
null / datetime literals and ``Microsoft.Dynamics.CRM.In``), ``$orderby`` and single-valued
``$expand`` with nested ``$select``/``$expand``. Anything else is refused with the 400 Dataverse
gives rather than half-evaluated: a client must not come to depend on a query the sandbox only
pretends to answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pmosync.sandbox.dataverse.errors import NOT_FOUND, bad_request, unknown_property

Predicate = Callable[[dict[str, Any]], bool]

NAVIGATION: dict[str, dict[str, tuple[str, str]]] = {
    "msdyn_projectteam": {
        "msdyn_bookableresourceid": ("_msdyn_bookableresourceid_value", "bookableresource")
    },
    "bookableresource": {"UserId": ("_userid_value", "systemuser")},
    "msdyn_project": {"msdyn_projectmanager": ("_msdyn_projectmanager_value", "systemuser")},
}
"""Single-valued navigation properties by table: name -> (lookup column, target table)."""

_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
GUID = re.compile(f"^{_GUID}$")
_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<string>'(?:[^']|'')*')"
    r"|(?P<datetime>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)"
    rf"(?![\w-])|(?P<guid>{_GUID})(?![\w-])"
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?![\w.])"
    r"|(?P<name>[A-Za-z_][\w.]*)"
    r"|(?P<punct>[()\[\],=])"
    r"|(?P<other>\S+?)"
    r")"
)
_OPERATORS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}
_IN = "Microsoft.Dynamics.CRM.In"
_LITERAL_WORDS = {"true": True, "false": False, "null": None}


# -- $select ---------------------------------------------------------------------------------


def parse_select(text: str | None, columns: Collection[str], type_name: str) -> list[str] | None:
    """The selected column names (None: every column); an unknown one is a 400."""
    if text is None:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise bad_request("The $select query option is empty.", NOT_FOUND)
    for name in names:
        if name not in columns:
            raise unknown_property(name, type_name)
    return names


# -- $orderby --------------------------------------------------------------------------------


def parse_orderby(
    text: str | None, columns: Collection[str], type_name: str
) -> list[tuple[str, bool]]:
    """``a asc, b desc`` -> [("a", False), ("b", True)] (the bool: descending)."""
    if not text:
        return []
    order: list[tuple[str, bool]] = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise bad_request(f"Syntax error in the $orderby query option: '{text}'.", NOT_FOUND)
        if words[0] not in columns:
            raise unknown_property(words[0], type_name)
        order.append((words[0], len(words) == 2 and words[1] == "desc"))
    return order


def compare(a: Any, b: Any) -> int:
    """-1/0/1 in Dataverse's sort order: nulls first, strings without regard to case."""
    if a is None or b is None:
        return (a is not None) - (b is not None)
    if isinstance(a, str) and isinstance(b, str):
        a, b = a.casefold(), b.casefold()
    try:
        return (a > b) - (a < b)
    except TypeError:
        return (str(a) > str(b)) - (str(a) < str(b))


def compare_keys(a: list[Any], b: list[Any], descending: list[bool]) -> int:
    for x, y, desc in zip(a, b, descending, strict=True):
        result = compare(x, y)
        if result:
            return -result if desc else result
    return 0


# -- $expand ---------------------------------------------------------------------------------


@dataclass
class Expand:
    """One expanded navigation property: where it points and what to take from there."""

    name: str
    lookup: str
    table: str
    select: list[str] | None
    expand: list[Expand] = field(default_factory=list)


def parse_expand(
    text: str | None, table: str, columns_of: Callable[[str], Collection[str]]
) -> list[Expand]:
    """``nav($select=a;$expand=nav2($select=b)),nav3`` against ``table``'s navigations."""
    if not text:
        return []
    expands = []
    for item in _split_top(text, ","):
        name, _, rest = item.partition("(")
        name = name.strip()
        navigation = NAVIGATION.get(table, {}).get(name)
        if navigation is None:
            raise unknown_property(name, table)
        lookup, target = navigation
        options: dict[str, str] = {}
        if rest:
            if not rest.rstrip().endswith(")"):
                raise bad_request(f"Syntax error in the $expand query option: '{text}'.", NOT_FOUND)
            for option in _split_top(rest.rstrip()[:-1], ";"):
                key, eq, value = option.partition("=")
                key = key.strip()
                if not eq or key not in ("$select", "$expand"):
                    raise bad_request(
                        f"The query option '{key}' is not supported inside $expand of the "
                        f"single-valued navigation property '{name}'.",
                        NOT_FOUND,
                    )
                options[key] = value.strip()
        expands.append(
            Expand(
                name,
                lookup,
                target,
                parse_select(options.get("$select"), columns_of(target), target),
                parse_expand(options.get("$expand"), target, columns_of),
            )
        )
    return expands


def _split_top(text: str, separator: str) -> list[str]:
    """Split on ``separator`` outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise bad_request(f"Unbalanced parentheses in '{text}'.", NOT_FOUND)
        elif char == separator and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth:
        raise bad_request(f"Unbalanced parentheses in '{text}'.", NOT_FOUND)
    parts.append(text[start:])
    return [p for p in (part.strip() for part in parts) if p]


# -- $filter ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Literal:
    value: Any
    kind: str


def parse_filter(text: str | None, columns: Collection[str], type_name: str) -> Predicate | None:
    """A predicate over a row, or None without ``$filter``; unsupported grammar is a 400."""
    if text is None:
        return None
    parser = _FilterParser(text, columns, type_name)
    predicate = parser.expression()
    if parser.peek() is not None:
        raise parser.unsupported()
    return predicate


class _FilterParser:
    def __init__(self, text: str, columns: Collection[str], type_name: str) -> None:
        self.text = text
        self.columns = columns
        self.type_name = type_name
        self.tokens: list[tuple[str, str]] = []
        for found in _TOKEN.finditer(text):
            kind = found.lastgroup
            if kind is None:
                continue
            self.tokens.append((kind, found.group(kind)))
        self.at = 0

    def unsupported(self, detail: str | None = None) -> Exception:
        return bad_request(
            detail or f"The $filter query option '{self.text}' is not supported.", NOT_FOUND
        )

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise self.unsupported()
        self.at += 1
        return token

    def word(self, value: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "name" and token[1] == value:
            self.at += 1
            return True
        return False

    def expression(self) -> Predicate:
        left = self.conjunction()
        while self.word("or"):
            right = self.conjunction()
            left = (lambda a, b: lambda row: a(row) or b(row))(left, right)
        return left

    def conjunction(self) -> Predicate:
        left = self.negation()
        while self.word("and"):
            right = self.negation()
            left = (lambda a, b: lambda row: a(row) and b(row))(left, right)
        return left

    def negation(self) -> Predicate:
        if self.word("not"):
            inner = self.negation()
            return lambda row: not inner(row)
        return self.primary()

    def primary(self) -> Predicate:
        token = self.peek()
        if token is None:
            raise self.unsupported()
        if token == ("punct", "("):
            self.take()
            inner = self.expression()
            self.take(")")
            return inner
        if token[0] != "name":
            raise self.unsupported()
        self.take()
        if token[1] == _IN:
            return self.in_function()
        if self.peek() == ("punct", "("):
            raise self.unsupported(f"The function '{token[1]}' is not supported in $filter.")
        column = self.column(token[1])
        operator = self.peek()
        if operator is None or operator[0] != "name" or operator[1] not in _OPERATORS:
            raise self.unsupported()
        self.take()
        literal = self.literal()
        return _comparison(column, operator[1], literal)

    def column(self, name: str) -> str:
        if name in _LITERAL_WORDS or "." in name:
            raise self.unsupported()
        if name not in self.columns:
            raise unknown_property(name, self.type_name)
        return name

    def literal(self) -> _Literal:
        kind, text = self.take()
        if kind == "string":
            return _Literal(text[1:-1].replace("''", "'"), "string")
        if kind == "guid":
            return _Literal(text.lower(), "guid")
        if kind == "number":
            number = float(text) if any(c in text for c in ".eE") else int(text)
            return _Literal(number, "number")
        if kind == "datetime":
            return _Literal(parse_datetime(text), "datetime")
        if kind == "name" and text in _LITERAL_WORDS:
            return _Literal(_LITERAL_WORDS[text], "null" if text == "null" else "bool")
        raise self.unsupported()

    def in_function(self) -> Predicate:
        self.take("(")
        if self.take()[1] != "PropertyName":
            raise self.unsupported()
        self.take("=")
        kind, quoted = self.take()
        if kind != "string":
            raise self.unsupported()
        column = self.column(quoted[1:-1])
        self.take(",")
        if self.take()[1] != "PropertyValues":
            raise self.unsupported()
        self.take("=")
        self.take("[")
        values: list[_Literal] = []
        while self.peek() != ("punct", "]"):
            if values:
                self.take(",")
            values.append(self.literal())
        self.take("]")
        self.take(")")
        tests = [_comparison(column, "eq", value) for value in values]
        return lambda row: any(test(row) for test in tests)


def _comparison(column: str, operator: str, literal: _Literal) -> Predicate:
    compare_op = _OPERATORS[operator]

    def test(row: dict[str, Any]) -> bool:
        value = row.get(column)
        if literal.kind == "null" or value is None:
            if operator in ("eq", "ne"):
                return compare_op(value is None, literal.value is None)
            return False
        return compare_op(*_comparable(value, literal))

    return test


def _comparable(value: Any, literal: _Literal) -> tuple[Any, Any]:
    """The stored value and the literal as two things Python can compare as Dataverse would:
    GUIDs and strings without regard to case, datetimes as instants."""
    if literal.kind == "datetime" and isinstance(value, str):
        try:
            return parse_datetime(value), literal.value
        except ValueError:
            return value, literal.value.isoformat()
    if isinstance(value, str) and isinstance(literal.value, str):
        return value.casefold(), literal.value.casefold()
    if isinstance(value, bool) != isinstance(literal.value, bool) or isinstance(
        value, str
    ) != isinstance(literal.value, str):
        return str(value), str(literal.value)
    return value, literal.value


def parse_datetime(text: str) -> datetime:
    """An ISO date or datetime, in UTC when it names no offset."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
