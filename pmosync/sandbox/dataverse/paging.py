"""Dataverse's paging cookie and delta tokens.

A nextLink's ``$skiptoken`` is the XML cookie Dataverse hands out,
``<cookie pagenumber="2" pagingcookie="<url-encoded inner cookie>" istracking="False" />``,
whose inner cookie carries the last row's sort values (the ``$orderby`` columns, then the primary
key): the next page starts after that row, so a row inserted or deleted between pages neither
repeats nor pushes another out (keyset paging). A change-tracked listing also carries the
version range it serves, ``since`` (exclusive) and ``upto`` (inclusive): a row changed while the
client pages moves past ``upto`` and comes with the next delta instead.

A ``$deltatoken`` is ``<version>!<MM/dd/yyyy HH:mm:ss>`` as Dataverse writes it.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote
from xml.sax.saxutils import quoteattr

from pmosync.sandbox.dataverse.errors import bad_request

INVALID = "The paging cookie ($skiptoken) is not valid."


@dataclass(frozen=True)
class Cookie:
    page: int
    """The page the cookie's rows ended (the next page is ``page + 1``)."""
    columns: tuple[str, ...]
    """The sort columns, the primary key last (for a delta listing: ``versionnumber``)."""
    last: tuple[Any, ...]
    tracking: bool = False
    since: int | None = None
    upto: int | None = None

    def encode(self) -> str:
        """The ``$skiptoken`` value (before URL-encoding into the link)."""
        inner_attrs = f'page="{self.page}"'
        if self.tracking:
            inner_attrs += f' since="{self.since}" upto="{self.upto}"'
        children = "".join(
            f"<{column} last={quoteattr(_value(value, column == self.columns[-1]))} />"
            for column, value in zip(self.columns, self.last, strict=True)
        )
        inner = f"<cookie {inner_attrs}>{children}</cookie>"
        return (
            f'<cookie pagenumber="{self.page + 1}" pagingcookie={quoteattr(quote(inner))} '
            f'istracking="{self.tracking}" />'
        )

    @classmethod
    def decode(cls, text: str, columns: tuple[str, ...]) -> Cookie:
        """The cookie of a ``$skiptoken`` (already URL-decoded once, as a query parameter
        is); a 400 when it is malformed or was issued for other sort columns."""
        try:
            outer = ET.fromstring(text)
            inner = ET.fromstring(unquote(outer.attrib["pagingcookie"]))
            tracking = outer.attrib.get("istracking", "False") == "True"
            found = tuple(child.tag for child in inner)
            if outer.tag != "cookie" or inner.tag != "cookie" or found != columns:
                raise ValueError(found)
            last = tuple(
                _parse(child.attrib["last"], i == len(columns) - 1) for i, child in enumerate(inner)
            )
            page = int(inner.attrib["page"])
            since = int(inner.attrib["since"]) if tracking else None
            upto = int(inner.attrib["upto"]) if tracking else None
        except (ET.ParseError, KeyError, ValueError, TypeError):
            raise bad_request(INVALID) from None
        return cls(page, columns, last, tracking, since, upto)


def _value(value: Any, is_key: bool) -> str:
    """A key as Dataverse writes it (``{guid}``), another column's value as JSON (so a number,
    a bool or null comes back as what it was)."""
    if is_key and isinstance(value, str):
        return "{" + value.upper() + "}"
    return json.dumps(value)


def _parse(text: str, is_key: bool) -> Any:
    if is_key and text.startswith("{") and text.endswith("}"):
        return text[1:-1].lower()
    return json.loads(text)


def delta_token(version: int, moment: datetime | None = None) -> str:
    """``1000042!12/06/2026 09:30:00``: the version served up to and when."""
    stamp = (moment or datetime.now(UTC)).strftime("%m/%d/%Y %H:%M:%S")
    return f"{version}!{stamp}"


def parse_delta_token(text: str) -> int:
    version, bang, _ = text.partition("!")
    try:
        if not bang:
            raise ValueError(text)
        return int(version)
    except ValueError:
        raise bad_request(f"The $deltatoken '{text}' is not valid.") from None
