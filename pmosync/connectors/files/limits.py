"""How much of a workbook pmosync will read: the guard against hostile and runaway files.

A workbook is untrusted input. An XLSX is a zip of XML, so a 1 MB file can unpack to gigabytes
(one shared string of a billion characters, or a billion rows); a CSV can simply be huge. The
sizes a zip's directory declares are the writer's word, not a fact, so what a part really
unpacks to is counted while it is read (``CountedReader``) and reading stops as soon as the
count passes the limit. A file over any limit is refused with one sentence naming the file and
the limit (``TooLarge``), and every other file is read as usual.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Any

from pmosync.config.connectors import WorkbookSource
from pmosync.connectors.files.table import Unreadable

MB = 1 << 20
LINE_CELLS = 64
"""A CSV line may be as long as this many cells at ``max_cell_chars`` each (a line is read
whole before it is split, so its length is bounded as well as its cells')."""


class TooLarge(Unreadable):
    """A file over one of the configured limits; ``str()`` names the file and the limit."""


@dataclass(frozen=True, slots=True)
class Limits:
    """The ``max_unpacked_mb``, ``max_rows`` and ``max_cell_chars`` of a workbook connector."""

    unpacked_mb: int
    rows: int
    cell_chars: int

    @classmethod
    def of(cls, config: WorkbookSource) -> Limits:
        return cls(config.max_unpacked_mb, config.max_rows, config.max_cell_chars)

    @classmethod
    def defaults(cls) -> Limits:
        """The configuration's defaults (one place says what they are: the config model)."""
        fields = WorkbookSource.model_fields
        return cls(
            fields["max_unpacked_mb"].default,
            fields["max_rows"].default,
            fields["max_cell_chars"].default,
        )

    @property
    def unpacked_bytes(self) -> int:
        return self.unpacked_mb * MB

    def unpacked(self, name: str, packed: bool = True) -> TooLarge:
        """Over ``max_unpacked_mb``: an XLSX as it unpacks, a CSV file (``packed=False``)."""
        mb = self.unpacked_mb
        if packed:
            return TooLarge(
                f"{name} is refused: it unpacks to more than {mb} MB (max_unpacked_mb: {mb})"
            )
        return TooLarge(f"{name} is refused: it is larger than {mb} MB (max_unpacked_mb: {mb})")

    def too_many_rows(self, name: str, sheet: str | None = None) -> TooLarge:
        rows = self.rows
        return TooLarge(
            f"{name} is refused: it has more than {rows} rows (max_rows: {rows})", sheet
        )

    def too_many_texts(self, name: str) -> TooLarge:
        """An XLSX's table of distinct texts, held whole by any reader, past ``max_rows``."""
        rows = self.rows
        return TooLarge(
            f"{name} is refused: it holds more than {rows} distinct texts (max_rows: {rows})"
        )

    def long_line(self, name: str, line: int) -> TooLarge:
        chars = self.line_chars
        return TooLarge(
            f"{name} is refused: line {line} is longer than {chars} characters "
            f"({LINE_CELLS} cells of max_cell_chars: {self.cell_chars})"
        )

    @property
    def line_chars(self) -> int:
        """The longest line a CSV file may have: a row of ``LINE_CELLS`` cells at the limit."""
        return LINE_CELLS * self.cell_chars

    def long_cell(self, name: str, sheet: str | None = None) -> TooLarge:
        chars = self.cell_chars
        return TooLarge(
            f"{name} is refused: a cell holds more than {chars} characters "
            f"(max_cell_chars: {chars})",
            sheet,
        )

    def check_cell(self, name: str, value: Any, sheet: str | None = None) -> None:
        """TooLarge when ``value`` is text longer than the cell limit."""
        if isinstance(value, str) and len(value) > self.cell_chars:
            raise self.long_cell(name, sheet)


class CountedReader:
    """A binary reader that raises ``TooLarge`` once more than ``budget`` bytes came through.

    Shared by the parts of one file, so the budget is the file's, not each part's."""

    def __init__(self, source: IO[bytes], budget: Budget) -> None:
        self._source = source
        self._budget = budget

    def read(self, size: int = -1) -> bytes:
        # never ask for more than the budget allows plus one byte, so an unbounded read of a
        # bomb cannot allocate the whole part before the count says no
        left = self._budget.left + 1
        chunk = self._source.read(left if size is None or size < 0 else min(size, left))
        self._budget.spend(len(chunk))
        return chunk

    def close(self) -> None:
        """The parser closes its input when done; the part is closed by whoever opened it."""


class Budget:
    """The bytes one file may still unpack to."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.name = name
        self.limits = limits
        self.left = limits.unpacked_bytes

    def spend(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise self.limits.unpacked(self.name)
