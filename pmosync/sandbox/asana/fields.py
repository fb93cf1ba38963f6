"""``opt_fields``: parsing into a field tree and projecting values through it.

Asana accepts dotted paths (``assignee.email``) and a grouping form
(``memberships.(project|section).gid``, groups may nest) which expands to one path per
alternative. The parsed tree maps a field name to the tree of its sub-fields; an empty subtree
means "this field, in its default (compact) form".
"""

from __future__ import annotations

FieldTree = dict[str, "FieldTree"]


def parse_opt_fields(text: str) -> FieldTree:
    """Turn ``"name,assignee.email,memberships.(project|section).gid"`` into a field tree."""
    tree: FieldTree = {}
    for part in _split_top_level(text):
        if not part:
            continue
        paths, _ = _parse_path(part, 0)
        for path in paths:
            node = tree
            for name in path:
                if name:
                    node = node.setdefault(name, {})
    return tree


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current.append(char)
    parts.append("".join(current).strip())
    return parts


def _parse_path(text: str, i: int) -> tuple[list[list[str]], int]:
    """Parse ``segment(.segment)*`` from ``i``; a segment is a name or ``(alt|alt...)``."""
    results: list[list[str]] = [[]]
    while i < len(text):
        if text[i] == "(":
            i += 1
            alternatives: list[list[str]] = []
            while i < len(text):
                sub, i = _parse_path(text, i)
                alternatives.extend(sub)
                if i < len(text) and text[i] == "|":
                    i += 1
                    continue
                if i < len(text) and text[i] == ")":
                    i += 1
                break
            results = [r + a for r in results for a in alternatives]
        else:
            start = i
            while i < len(text) and text[i] not in ".|()":
                i += 1
            results = [r + [text[start:i].strip()] for r in results]
        if i < len(text) and text[i] == ".":
            i += 1
            continue
        return results, i
    return results, i
