"""Text from sources made safe to keep and to show: the two cleaning rules, stated once.

Sources hand over text that people typed or pasted, and some of it is hostile or broken:

- NUL (U+0000). PostgreSQL refuses it in ``text`` columns and refuses the ``\\u0000`` escape
  in JSON/JSONB, so one user or bucket name holding it would fail a whole page, and the
  connector with it. :func:`without_nul` removes it (it is never meant to be seen; a U+FFFD in
  its place would show a stray box in every report), on both backends alike, from every string
  of a value, inside lists and mappings too. The store applies it to everything it writes.
- Control characters and bidirectional overrides. A C0/C1 control has no business in a report
  and breaks XML (XLSX); U+202E (right-to-left override) and its kin reorder the characters a
  reader sees ("exe.txt" shown for "txt.exe"), so a name could pose as another.
  :func:`shown_text` removes both for the renderers; tab, line feed and carriage return stay
  (they are layout), and so do the right-to-left and left-to-right marks (U+200E, U+200F,
  U+061C), which Arabic and Hebrew text legitimately carries and which reorder nothing but
  neutral characters next to them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

NUL = "\x00"

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
"""Embeddings, overrides and isolates (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI)."""

_HIDDEN = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{BIDI_CONTROLS}]")
"""What :func:`shown_text` removes: controls but tab, LF and CR; DEL; C1; bidi controls."""


def without_nul(value: Any) -> Any:
    """``value`` with NUL removed from every string in it (dict keys, list items, nested).

    Anything that is not text, a list, a tuple or a mapping comes back as it is; a value with
    no NUL anywhere comes back as the same object, found by a look that copies nothing: the
    Writer passes every record through here, and almost none holds a NUL."""
    return _cleaned(value) if _holds_nul(value) else value


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, Mapping):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_nul(item) for item in value)
    return False


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace(NUL, "")
    if isinstance(value, Mapping):
        return {_cleaned(key): _cleaned(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_cleaned(item) for item in value)
    return value


def shown_text(text: str) -> str:
    """``text`` without control characters (tab, LF and CR kept) and without bidirectional
    embeddings, overrides and isolates: what a report may show of a source's text."""
    return _HIDDEN.sub("", text)


def one_line(text: str) -> str:
    """``text`` as a single line: :func:`shown_text`, then every run of whitespace (line
    breaks, tabs, the Unicode line and paragraph separators) one space, trimmed."""
    return " ".join(shown_text(text).split())
