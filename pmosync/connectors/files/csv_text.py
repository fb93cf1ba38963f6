"""CSV files as grids: the text encoding and the delimiter, both as the file's author chose.

Excel's "Save as CSV" writes the Windows code page (Windows-1252 in Western Europe) and, where
the decimal comma is the custom, ``;`` between cells; "CSV UTF-8" adds a byte-order mark. So
the encoding is taken from a BOM, else strict UTF-8, else Windows-1252 when the text reads as
plausible Western text, else charset-normalizer's best guess; a configured ``encoding`` wins
over all of it. Guessing among legacy code pages is unreliable on a few short lines (Polish
Windows-1250 reads as valid Windows-1252), which is what the ``encoding`` setting is for.
The delimiter is the one of ``,``, ``;`` and tab under which the configured header row appears.

The file is streamed, never held whole: one pass checks that it decodes (and where it does
not), the guesses look at its first megabyte, and the grid's passes read it line by line with
each line's length bounded, so a CSV of any size costs memory for a page of rows.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import IO

from charset_normalizer import from_bytes

from pmosync.connectors.files.limits import Limits
from pmosync.connectors.files.records import Cell
from pmosync.connectors.files.table import (
    HEADER_SEARCH_ROWS,
    Grid,
    Rows,
    Unreadable,
    find_header,
)

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
CHUNK = 1 << 20
SAMPLE = 1 << 20
"""How much of the file the encoding guess and the delimiter search look at."""
_FIELD_LIMIT = "field larger than field limit"
"""csv's own bound on a cell (131,072 characters, above any ``max_cell_chars``)."""


def _first_bad_byte(source: IO[bytes], codec: str) -> int | None:
    """The 0-based offset of the first byte that does not decode as ``codec``, else None."""
    decoder = codecs.getincrementaldecoder(codec)()
    source.seek(0)
    offset = 0
    while True:
        chunk = source.read(CHUNK)
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as error:
            return offset - len(decoder.getstate()[0]) + error.start
        if not chunk:
            return None
        offset += len(chunk)


def _decodes_as(name: str, source: IO[bytes], codec: str, what: str) -> str:
    bad = _first_bad_byte(source, codec)
    if bad is not None:
        raise Unreadable(
            f"{name} is not valid {what} text (byte {bad + 1} does not decode); "
            "set the connector's encoding to the one the file was saved in"
        )
    return codec


def encoding_of(name: str, source: IO[bytes], encoding: str | None) -> str:
    """The codec the file is read with, as configured or as detected (see the module
    docstring); Unreadable if the file does not decode with it."""
    if encoding:
        codec = codecs.lookup(encoding).name
        return _decodes_as(name, source, "utf-8-sig" if codec == "utf-8" else codec, encoding)
    source.seek(0)
    sample = source.read(SAMPLE)
    for bom, codec in _BOMS:
        if sample.startswith(bom):
            return _decodes_as(name, source, codec, codec)
    if _first_bad_byte(source, "utf-8") is None:
        return "utf-8"
    if from_bytes(sample, cp_isolation=["cp1252"]).best() is not None:
        return _decodes_as(name, source, "cp1252", "cp1252")
    guess = from_bytes(sample).best()
    if guess is None:
        raise Unreadable(
            f"{name} is not text in an encoding pmosync recognises; "
            "set the connector's encoding to the one the file was saved in"
        )
    return _decodes_as(name, source, guess.encoding, guess.encoding)


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


@contextmanager
def _text(source: IO[bytes], codec: str) -> Iterator[io.TextIOWrapper]:
    """The file as text from its start; the file itself stays open for the next pass."""
    source.seek(0)
    text = io.TextIOWrapper(source, encoding=codec, newline="")  # type: ignore[type-var]
    try:
        yield text
    finally:
        text.detach()


def _lines(name: str, text: IO[str], limits: Limits) -> Iterator[str]:
    """The file's lines, TooLarge at the first one longer than ``limits.line_chars``."""
    for number in itertools.count(1):
        line = text.readline(limits.line_chars + 1)
        if not line:
            return
        if len(line) > limits.line_chars:
            raise limits.long_line(name, number)
        yield line


def read_csv(
    name: str, source: IO[bytes], encoding: str | None, columns: Mapping[str, str], limits: Limits
) -> Grid:
    """The grid of a CSV file, split by whichever delimiter shows the configured header; each
    pass over its rows reads the file again from its start."""
    size = source.seek(0, io.SEEK_END)
    if size > limits.unpacked_bytes:
        raise limits.unpacked(name, packed=False)
    codec = encoding_of(name, source, encoding)
    with _text(source, codec) as text:
        head = text.read(SAMPLE)
    try:
        delimiter = _delimiter(head, columns, name)
    except csv.Error as error:
        raise _unreadable(name, error, limits) from None

    def rows() -> Rows:
        with _text(source, codec) as text:
            reader = csv.reader(_lines(name, text, limits), delimiter=delimiter)
            try:
                for number, values in enumerate(reader, 1):
                    yield number, [value.strip() or None for value in values]
            except csv.Error as error:
                raise _unreadable(name, error, limits) from None

    return Grid(None, rows)


def _unreadable(name: str, error: csv.Error, limits: Limits) -> Unreadable:
    if _FIELD_LIMIT in str(error):
        return limits.long_cell(name)
    return Unreadable(f"{name} is not a readable CSV file ({error})")
