"""Reading the cells of one workbook row, with errors that say where and what to fix.

A workbook is typed by hand, so a cell holds whatever the person wrote: ``7.5``, ``7,5``,
``7:30`` for hours; a date cell or ``05.01.2026`` for a date; ``Yes``, ``x`` or ``TRUE`` for a
flag. Each reader accepts the forms people actually use and otherwise raises ``MappingError``
with one line naming the file, sheet, row, column header and value, e.g.
``Timesheet 2026-W03.xlsx, sheet Entries, row 7: Hours 'eight' is not a number of hours``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pmosync.mapping.result import MappingError

_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
_NAMED_EMAIL = re.compile(r"<\s*([^<>\s]+)\s*>$")
"""``Jane Doe <jane@contoso.com>``, as Outlook pastes an address."""
_CLOCK = re.compile(r"^(\d+):([0-5]\d)(?::([0-5]\d))?$")
_DECIMAL = re.compile(r"^(\d+(?:[.,]\d*)?|[.,]\d+)$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})$")
_SLASHED = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})$")
_YEAR_FIRST = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_HOURS_UNIT = re.compile(r"\s*(h|hrs?|hours?)$", re.IGNORECASE)
_SPACES = re.compile(r"[\s'\u00a0\u202f]")
"""Thousands may be grouped by spaces (also no-break ones) and apostrophes (Swiss style)."""
CURRENCY_SIGNS = {"€": "EUR", "$": "USD", "£": "GBP"}
_LEADING_CURRENCY = re.compile(r"^([€$£]|[A-Za-z]{3})\s*(.*)$")
_TRAILING_CURRENCY = re.compile(r"^(.*?)\s*([€$£]|[A-Za-z]{3})$")
_FLAGS = {
    "yes": True, "y": True, "true": True, "1": True, "x": True,
    "no": False, "n": False, "false": False, "0": False,
}  # fmt: skip


def shown(value: Any) -> str:
    """A cell value as a message quotes it: text in quotes, numbers as they are."""
    return repr(value) if isinstance(value, str) else str(value)


def _year(text: str) -> int:
    return 2000 + int(text) if len(text) == 2 else int(text)


class RowCells:
    """The cells of one raw row record, read by canonical column name."""

    def __init__(self, raw: Mapping[str, Any], headers: Mapping[str, str]) -> None:
        cells = raw.get("cells")
        if not isinstance(cells, Mapping):
            raise MappingError(f"{self._where(raw)}: record has no cells")
        self.raw = raw
        self.cells = cells
        self.headers = headers
        self.location = self._where(raw)
        self.uncalculated = frozenset(raw.get("uncalculated") or ())

    @staticmethod
    def _where(raw: Mapping[str, Any]) -> str:
        place = str(raw.get("file") or "?")
        if raw.get("sheet"):
            place += f", sheet {raw['sheet']}"
        if raw.get("row") is not None:  # a SharePoint list's rows are its items
            place += f", {'item' if raw.get('list') else 'row'} {raw['row']}"
        return place

    def header(self, name: str) -> str:
        """The column as the workbook heads it (the configured header text)."""
        return self.headers.get(name) or name.capitalize()

    def error(self, message: str) -> MappingError:
        return MappingError(f"{self.location}: {message}")

    def invalid(self, name: str, value: Any, problem: str) -> MappingError:
        return self.error(f"{self.header(name)} {shown(value)} {problem}")

    def raw_value(self, name: str) -> Any:
        """The cell as the file holds it, None when empty."""
        value = self.cells.get(name)
        return (value.strip() or None) if isinstance(value, str) else value

    def has(self, name: str) -> bool:
        return self.raw_value(name) is not None

    def value(self, name: str) -> Any:
        """The cell's value; an empty cell is an error (every reader below needs a value)."""
        value = self.raw_value(name)
        if value is None:
            if name in self.uncalculated:
                raise self.error(
                    f"{self.header(name)} is a formula whose result was never saved "
                    "(open the file in Excel and save it)"
                )
            raise self.error(f"{self.header(name)} is empty")
        return value

    def text(self, name: str) -> str:
        """A cell as text: numbers as written (an id typed into a number cell stays whole)."""
        value = self.value(name)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    def email(self, name: str) -> str:
        """An email address, lower-cased; ``Name <address>`` is taken for the address."""
        value = self.value(name)
        text = str(value).strip()
        named = _NAMED_EMAIL.search(text)
        address = (named[1] if named else text).removeprefix("mailto:")
        if not _EMAIL.match(address):
            raise self.invalid(name, value, "is not an email address")
        return address.lower()

    def day(self, name: str) -> date:
        """A date: a date cell (ISO text from the reader), or text as people write dates."""
        value = self.value(name)
        if not isinstance(value, str):
            raise self.invalid(name, value, "is not a date (format the column as dates)")
        text = value.strip()
        try:
            return datetime.fromisoformat(text).date() if "T" in text else date.fromisoformat(text)
        except ValueError:
            pass
        try:
            return self._written_date(name, value, text)
        except MappingError:
            raise
        except ValueError:
            raise self.invalid(name, value, "is not a date") from None

    def _written_date(self, name: str, value: str, text: str) -> date:
        if match := _YEAR_FIRST.match(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _DOTTED.match(text):
            return date(_year(match[3]), int(match[2]), int(match[1]))
        if match := _SLASHED.match(text):
            first, second, year = int(match[1]), int(match[2]), _year(match[3])
            order = self.raw.get("date_order")
            if first > 12 or order == "DMY":
                return date(year, second, first)
            if second > 12 or order == "MDY":
                return date(year, first, second)
            if first == second:
                return date(year, first, second)
            raise self.invalid(
                name,
                value,
                "is ambiguous (day or month first?); write it as "
                f"{year}-{second:02d}-{first:02d} or {first}.{second}.{year}",
            )
        raise ValueError(text)

    def minutes(self, name: str) -> Decimal:
        """A number of hours, in minutes: a number, ``7.5`` / ``7,5`` / ``7.5 h`` text, or
        ``h:mm`` (as a duration cell reads). Minutes, not hours, so ``1:00:30`` is exactly
        60.5 minutes rather than a recurring fraction of an hour."""
        value = self.value(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return Decimal(str(value)) * 60
        if isinstance(value, str):
            sign, text = _sign(_HOURS_UNIT.sub("", value.strip()))
            if match := _CLOCK.match(text):
                seconds = int(match[1]) * 3600 + int(match[2]) * 60 + int(match[3] or 0)
                return sign * Decimal(seconds) / 60
            if _DECIMAL.match(text):
                return sign * Decimal(text.replace(",", ".")) * 60
        raise self.invalid(name, value, "is not a number of hours")

    def money(self, name: str) -> tuple[Decimal, str | None]:
        """An amount and the currency written with it, if any: a number cell, or text such as
        ``1.234,50``, ``1,234.50``, ``€ 120``, ``120 EUR``, ``-45.00``, ``(45.00)``."""
        value = self.value(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return Decimal(str(value)), None
        if isinstance(value, str):
            try:
                return _money(value)
            except ValueError:
                pass
        raise self.invalid(name, value, "is not an amount of money")

    def currency(self) -> str | None:
        """The ``currency`` column's code, as costs and requests read it; None when the row has
        no currency cell."""
        if not self.has("currency"):
            return None
        code = currency_code(self.text("currency"))
        if code is None:
            raise self.invalid(
                "currency", self.value("currency"), "is not a currency code (e.g. EUR)"
            )
        return code

    def flag(self, name: str) -> bool | None:
        """Yes/no, y/n, true/false, 1/0, or x for a tick; empty is unknown."""
        value = self.raw_value(name)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        found = _FLAGS.get(str(value).strip().casefold())
        if found is None:
            raise self.invalid(name, value, "is not yes or no")
        return found


def _sign(text: str) -> tuple[int, str]:
    """(-1 or 1, the rest) of text that may start with + or - (or the minus sign)."""
    text = text.strip()
    if text[:1] in ("-", "\u2212"):
        return -1, text[1:].strip()
    return 1, text.removeprefix("+").strip()


def currency_code(text: str) -> str | None:
    """A currency as written: ``€``/``$``/``£`` or a three-letter code; None otherwise."""
    text = text.strip()
    if text in CURRENCY_SIGNS:
        return CURRENCY_SIGNS[text]
    return text.upper() if re.fullmatch(r"[A-Za-z]{3}", text) else None


def _grouped_number(text: str) -> Decimal:
    """Digits with thousands separators and a decimal point or comma, whichever convention:
    with both, the last one is the decimal mark; with one kind only, it separates thousands
    when it occurs several times or is followed by exactly three digits (``1,234``, ``1.234``),
    and is the decimal mark otherwise (``7,5``, ``0.125``)."""
    digits = _SPACES.sub("", text)
    if not re.fullmatch(r"[\d.,]*\d[\d.,]*", digits):
        raise ValueError(text)
    marks = {mark for mark in ".," if mark in digits}
    if len(marks) == 2:
        decimal_mark = max(".,", key=digits.rfind)
        thousands = ({".", ","} - {decimal_mark}).pop()
    elif marks:
        mark = marks.pop()
        head, _, tail = digits.rpartition(mark)
        as_thousands = digits.count(mark) > 1 or (len(tail) == 3 and head.strip("0") != "")
        decimal_mark, thousands = ("", mark) if as_thousands else (mark, "")
    else:
        return Decimal(digits)
    whole, _, fraction = digits.partition(decimal_mark) if decimal_mark else (digits, "", "")
    if thousands and not re.fullmatch(rf"\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})*", whole):
        raise ValueError(text)
    if decimal_mark and not re.fullmatch(r"\d*", fraction):
        raise ValueError(text)
    number = whole.replace(thousands, "") if thousands else whole
    return Decimal(f"{number or '0'}.{fraction}" if fraction else number)


def _money(text: str) -> tuple[Decimal, str | None]:
    """(amount, currency written with it or None) from text; ValueError if it is not one."""
    rest = text.strip()
    negative = rest.startswith("(") and rest.endswith(")")
    if negative:
        rest = rest[1:-1]
    sign, rest = _sign(rest)
    currency = None
    if match := _LEADING_CURRENCY.match(rest):
        currency, rest = currency_code(match[1]), match[2]
    elif match := _TRAILING_CURRENCY.match(rest):
        rest, currency = match[1], currency_code(match[2])
    inner_sign, rest = _sign(rest)
    amount = _grouped_number(rest) * sign * inner_sign
    return (-amount if negative else amount), currency
