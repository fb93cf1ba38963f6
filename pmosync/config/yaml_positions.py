"""YAML text -> plain Python data, plus where every key and value was written.

``yaml.safe_load`` throws positions away and silently keeps the last of two duplicate keys, so
a message could only say *what* is wrong, never *where*, and a copy-pasted connector would
quietly replace the first. We compose the node tree with PyYAML's SafeLoader instead and walk it
ourselves: scalars are still built by SafeLoader's own constructors (so ``7``, ``true`` and
``2024-06-28`` mean what YAML says they mean), while mappings and sequences are built here,
recording the 1-based line/column of each key and value under its key path and refusing
duplicate keys, unsupported tags and alias bombs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pmosync.config.errors import Loc, Problem, short

#: Upper bound on nodes visited, counting every alias expansion: a real config has a few
#: hundred; "billion laughs" style alias chains would otherwise expand without limit.
MAX_NODES = 100_000

_TAG = "tag:yaml.org,2002:"
_MERGE_TAG = _TAG + "merge"
_SCALAR_TAGS = {_TAG + t for t in ("null", "bool", "int", "float", "binary", "timestamp", "str")}


@dataclass(frozen=True)
class Pos:
    """A 1-based line and column in the config file."""

    line: int
    col: int


def path_text(loc: Loc) -> str:
    """``('reports', 'weekly', 'deliver', 0, 'email')`` -> ``reports.weekly.deliver[0].email``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + short(part)
    return out


@dataclass
class Positions:
    """Where each key path was written: the key itself, and the start of its value.

    For list items the key and value positions are the same (the item's start). The root path
    ``()`` maps to the start of the document.
    """

    keys: dict[Loc, Pos] = field(default_factory=dict)
    values: dict[Loc, Pos] = field(default_factory=dict)

    def key(self, loc: Loc) -> Pos:
        return self.keys.get(loc) or self._nearest(loc)

    def value(self, loc: Loc) -> Pos:
        return self.values.get(loc) or self._nearest(loc)

    def _nearest(self, loc: Loc) -> Pos:
        while loc:
            loc = loc[:-1]
            if loc in self.keys:
                return self.keys[loc]
        return self.keys.get((), Pos(1, 1))


@dataclass
class ParsedYaml:
    """The result of parsing: data, positions, and the non-fatal problems found on the way.

    ``bad_paths`` are paths whose value could not be built (an unsupported tag, an impossible
    date); their data is ``None`` and later stages should not pile more messages onto them.
    """

    data: Any
    positions: Positions
    problems: list[Problem]
    bad_paths: set[Loc]


class YamlFatal(Exception):  # noqa: N818 - internal signal, always converted to ConfigError
    """The text cannot be turned into data at all; carries the single problem to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _pos(mark: yaml.Mark | None) -> Pos:
    return Pos(mark.line + 1, mark.column + 1) if mark is not None else Pos(1, 1)


def _line_col(text: str, index: int) -> Pos:
    line = text.count("\n", 0, index) + 1
    return Pos(line, index - (text.rfind("\n", 0, index) + 1) + 1)


def parse_yaml(text: str) -> ParsedYaml | None:
    """Parse ``text`` (already decoded, BOM removed). ``None`` means there is no document.

    Raises ``YamlFatal`` for syntax errors and for a top level that is not a mapping.
    """
    try:
        loader = yaml.SafeLoader(text)
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise YamlFatal(_syntax_problem(exc, text)) from None
    except yaml.reader.ReaderError as exc:
        at = _line_col(text, exc.position)
        problem = f"invalid YAML: control character #x{exc.character:04x} is not allowed"
        raise YamlFatal(Problem(at.line, at.col, "", problem)) from None
    except RecursionError:
        raise YamlFatal(Problem(None, None, "", "the YAML is nested too deeply")) from None
    try:
        if root is None or (isinstance(root, ScalarNode) and root.tag == _TAG + "null"):
            return None
        if not isinstance(root, MappingNode):
            at = _pos(root.start_mark)
            message = "the top level must be a mapping of keys (store, connectors, ...)"
            raise YamlFatal(Problem(at.line, at.col, "", message))
        walker = _Walker(loader)
        walker.positions.keys[()] = walker.positions.values[()] = _pos(root.start_mark)
        try:
            data = walker.walk(root, (), frozenset())
        except RecursionError:
            raise YamlFatal(Problem(None, None, "", "the YAML is nested too deeply")) from None
        return ParsedYaml(data, walker.positions, walker.problems, walker.bad_paths)
    finally:
        loader.dispose()


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    at = _pos(mark)
    if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
        return Problem(
            at.line, at.col, "", "invalid YAML: a tab character; YAML indents with spaces"
        )
    problem = (exc.problem or exc.context or "syntax error").strip()
    if "found another document" in problem:
        message = "invalid YAML: a second document ('---'); a config file holds one document"
        return Problem(at.line, at.col, "", message)
    hint = ""
    context, started = exc.context or "", exc.context_mark
    if "mapping values are not allowed" in problem:
        hint = " (check this line's indentation, or quote a value that contains ': ')"
    elif started is not None and exc.problem_mark is not None and started.line != mark.line:
        if "block" in context:
            hint = f" (check the indentation against line {started.line + 1})"
        elif context:
            hint = f" ({context.strip()} started at line {started.line + 1})"
    return Problem(at.line, at.col, "", f"invalid YAML: {problem}{hint}")


class _Walker:
    """Builds plain data from composed nodes, recording positions as it goes."""

    def __init__(self, loader: yaml.SafeLoader) -> None:
        self.loader = loader
        self.positions = Positions()
        self.problems: list[Problem] = []
        self.bad_paths: set[Loc] = set()
        self.visited = 0

    def _problem(self, node: Node, loc: Loc, message: str) -> None:
        at = _pos(node.start_mark)
        self.problems.append(Problem(at.line, at.col, path_text(loc), message))

    def walk(self, node: Node, loc: Loc, active: frozenset[int]) -> Any:
        self.visited += 1
        if self.visited > MAX_NODES:
            at = _pos(node.start_mark)
            message = f"the YAML expands to more than {MAX_NODES} values (aliases nested too deep)"
            raise YamlFatal(Problem(at.line, at.col, path_text(loc), message))
        if id(node) in active:
            at = _pos(node.start_mark)
            raise YamlFatal(Problem(at.line, at.col, path_text(loc), "an alias refers to itself"))
        if isinstance(node, ScalarNode):
            return self._scalar(node, loc)
        active = active | {id(node)}
        if isinstance(node, SequenceNode):
            if node.tag != _TAG + "seq":
                return self._unsupported(node, loc)
            items = []
            for index, child in enumerate(node.value):
                self.positions.keys[loc + (index,)] = _pos(child.start_mark)
                self.positions.values[loc + (index,)] = _pos(child.start_mark)
                items.append(self.walk(child, loc + (index,), active))
            return items
        if isinstance(node, MappingNode):
            if node.tag != _TAG + "map":
                return self._unsupported(node, loc)
            return self._mapping(node, loc, active)
        return self._unsupported(node, loc)  # pragma: no cover - PyYAML has no other node kinds

    def _unsupported(self, node: Node, loc: Loc) -> None:
        self._problem(node, loc, f"unsupported YAML tag '{short(node.tag)}'")
        self.bad_paths.add(loc)
        return None

    def _scalar(self, node: ScalarNode, loc: Loc) -> Any:
        if node.tag not in _SCALAR_TAGS:
            return self._unsupported(node, loc)
        try:
            return self.loader.construct_object(node, deep=True)
        except Exception as exc:  # noqa: BLE001 - any constructor failure is the user's value
            kind = node.tag.removeprefix(_TAG)
            reason = (exc.problem if isinstance(exc, yaml.MarkedYAMLError) else str(exc)) or ""
            # Give the reason ("month must be in 1..12") unless it quotes the value back.
            detail = f" ({short(reason)})" if reason and node.value not in reason else ""
            self._problem(node, loc, f"not a valid YAML {kind}{detail}")
            self.bad_paths.add(loc)
            return None

    def _mapping(self, node: MappingNode, loc: Loc, active: frozenset[int]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        # Merge keys (<<: *defaults) first, so that explicit keys override them, in whatever
        # order they were written.
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                self._merge(value_node, loc, active, result)
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            if not isinstance(key_node, ScalarNode):
                self._problem(key_node, loc, "a key must be a plain value, not a list or mapping")
                continue
            key = str(key_node.value)
            here = loc + (key,)
            if key in first_line:
                message = f"duplicate key (first defined at line {first_line[key]})"
                self._problem(key_node, here, message)
                continue
            first_line[key] = _pos(key_node.start_mark).line
            self.positions.keys[here] = _pos(key_node.start_mark)
            self.positions.values[here] = _pos(value_node.start_mark)
            result[key] = self.walk(value_node, here, active)
        return result

    def _merge(
        self, value_node: Node, loc: Loc, active: frozenset[int], result: dict[str, Any]
    ) -> None:
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        for source in sources:
            if not isinstance(source, MappingNode):
                self._problem(source, loc, "'<<' (merge) needs a mapping or a list of mappings")
                continue
            merged = self.walk(source, loc, active)
            for key, value in merged.items():
                result.setdefault(key, value)  # earlier sources win, as YAML specifies
