"""Reading the fields of a JSON request body with Asana's 400 messages.

Query parameters arrive as strings (see ``params``); a body's fields arrive typed, and Asana
refuses a wrong type naming the field (``archived: Not a Boolean: "yes"``), so a client learns
which input was wrong. Rich text (``html_text``, ``html_notes``) must be well-formed XML with a
``<body>`` root, as Asana parses it; its plain text is what the plain field then reads.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from typing import Any

from pmosync.sandbox.asana import params
from pmosync.sandbox.asana.errors import bad_request

MISSING = object()


def text(data: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    """A string field; None when absent (a 400 when ``required``)."""
    value = data.get(name, MISSING)
    if value is MISSING or value is None:
        if required:
            raise bad_request(f"{name}: Missing input")
        return None
    if not isinstance(value, str):
        raise bad_request(f"{name}: Not a String: {value!r}")
    return value


def boolean(data: dict[str, Any], name: str) -> bool | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise bad_request(f"{name}: Not a Boolean: {value!r}")
    return value


def gid(data: dict[str, Any], name: str, me: str | None = None) -> str | None:
    """A gid field (a string, a number or ``{"gid": ...}``); "me" is ``me`` where allowed."""
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("gid")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise bad_request(f"{name}: Not a Long: {value!r}")
    found = params.gid(name, str(value), allow_me=me is not None)
    return me if found == "me" else found


def day(data: dict[str, Any], name: str) -> Any:
    """A date field: a date, or None to clear it (absent fields are the caller's to skip)."""
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request(f"{name}: Not a valid date: {value!r}")
    return params.day(name, value)


def rich_text(name: str, html: str) -> str:
    """The plain text of an ``html_*`` field; a 400 when it is not ``<body>`` XML."""
    try:
        root = ElementTree.fromstring(html)
    except ElementTree.ParseError:
        raise bad_request(f"{name}: XML is invalid") from None
    if root.tag != "body":
        raise bad_request(f"{name}: The root element must be <body>")
    return "".join(root.itertext())


def text_or_html(data: dict[str, Any], *, exclusive: bool) -> tuple[str, str | None]:
    """(plain text, html or None) of a ``text``/``html_text`` pair, one of them required;
    ``exclusive``: sending both is a 400 (a story's rule; a status update takes the HTML)."""
    plain = text(data, "text")
    html = text(data, "html_text")
    if plain is not None and html is not None and exclusive:
        raise bad_request("text: Cannot be used with html_text")
    if html is not None:
        return rich_text("html_text", html), html
    if plain is None or not plain.strip():
        raise bad_request("text: Missing input")
    return plain, None
