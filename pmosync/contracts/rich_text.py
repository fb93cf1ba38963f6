"""Rich text as SharePoint gives it (a multi-line column with rich text holds HTML), read as
the words it shows: the list connector hands request descriptions over as text, and the RAID
mapping reads mitigations and resolutions with the same rule. Here, so neither imports the
other.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


class _Text(HTMLParser):
    """Rich text's words: tags dropped, entities decoded, blocks and breaks as new lines."""

    BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(html: str) -> str:
    """The text a rich-text field's HTML shows: each line stripped, empty lines dropped."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)
