"""CSV files as grids: the text encoding and the delimiter, both as the file's author chose.

Excel's "Save as CSV" writes the Windows code page (Windows-1252 in Western Europe) and, where
the decimal comma is the custom, ``;`` between cells; "CSV UTF-8" adds a byte-order mark. So
the encoding is taken from a BOM, else strict UTF-8, else Windows-1252 when the text reads as
plausible Western text, else charset-normalizer's best guess; a configured ``encoding`` wins
over all of it. Guessing among legacy code pages is unreliable on a few short lines (Polish
Windows-1250 reads as valid Windows-1252), which is what the ``encoding`` setting is for.
The delimiter is the one of ``,``, ``;`` and tab under which the configured header row appears.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Mapping

from charset_normalizer import from_bytes

from pmosync.connectors.files.records import Cell
from pmosync.connectors.files.table import HEADER_SEARCH_ROWS, Grid, Unreadable, find_header

DELIMITERS = (",", ";", "\t")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SEP_LINE = re.compile(r"^sep=(.)\r?$")
"""Excel's own hint on a CSV's first line, e.g. ``sep=;``."""


def _decode_as(name: str, content: bytes, codec: str, what: str) -> str:
    try:
        return content.decode(codec)
    except UnicodeDecodeError as error:
        raise Unreadable(
            f"{name} is not valid {what} text (byte {error.start + 1} does not decode); "
            "set the connector's encoding to the one the file was saved in"
        ) from None


def decode(name: str, content: bytes, encoding: str | None) -> str:
    """The file's text, decoded as configured or as detected (see the module docstring)."""
    if encoding:
        codec = codecs.lookup(encoding).name
        return _decode_as(name, content, "utf-8-sig" if codec == "utf-8" else codec, encoding)
    for bom, codec in _BOMS:
        if content.startswith(bom):
            return _decode_as(name, content, codec, codec)
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if from_bytes(content, cp_isolation=["cp1252"]).best() is not None:
        return content.decode("cp1252")
    guess = from_bytes(content).best()
    if guess is None:
        raise Unreadable(
            f"{name} is not text in an encoding pmosync recognises; "
            "set the connector's encoding to the one the file was saved in"
        )
    return str(guess)


def _rows(text: str, delimiter: str, limit: int | None = None) -> list[tuple[int, list[Cell]]]:
    """(row number, cells) of the first ``limit`` records (all when None); blank text is None."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [
        (number, [value.strip() or None for value in values])
        for number, values in itertools.islice(enumerate(reader, 1), limit)
    ]


def _candidates(text: str) -> list[str]:
    """Delimiters to try: the one Excel's ``sep=`` line names first, then the most frequent."""
    head = text.splitlines()[:HEADER_SEARCH_ROWS]
    hint = _SEP_LINE.match(head[0]) if head else None
    counted = sorted(DELIMITERS, key=lambda d: -sum(line.count(d) for line in head))
    return [hint[1], *counted] if hint else counted


def _delimiter(text: str, columns: Mapping[str, str], name: str) -> str:
    """The first candidate under which the header row appears, else the most likely one (the
    table then reports which headers are missing)."""
    candidates = _candidates(text)
    for delimiter in candidates:
        try:
            find_header(_rows(text, delimiter, HEADER_SEARCH_ROWS), columns, name)
        except Unreadable:
            continue
        return delimiter
    return candidates[0]


def read_csv(name: str, content: bytes, encoding: str | None, columns: Mapping[str, str]) -> Grid:
    """The grid of a CSV file, split by whichever delimiter shows the configured header."""
    text = decode(name, content, encoding)
    try:
        return Grid(None, list(_rows(text, _delimiter(text, columns, name))))
    except csv.Error as error:
        raise Unreadable(f"{name} is not a readable CSV file ({error})") from None
