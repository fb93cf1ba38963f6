"""One CSV file per section, for Excel and for scripts alike.

UTF-8 with a byte-order mark, because Excel opens a BOM-less UTF-8 CSV as the local code page
and garbles every accent, Arabic or emoji name. Every row of the section is written (HTML shows
only the first ``html_limit``). Numbers are plain numbers rounded by column type
(``cells.rounded``: percent and hours 1 place, money and ratios 2, days whole; the JSON file
keeps full precision), dates ISO, flags true/false, undefined an empty cell (never 0), and
text passes the one formula-safety rule, so a name like ``=HYPERLINK(...)`` reaches Excel as
text (``'=HYPERLINK(...)``: a CSV cell has no type to say "text" with, the apostrophe is the
convention spreadsheets honour), with no control character or bidirectional override in it.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from pmosync.reports.document import Section
from pmosync.reports.render.cells import file_columns, rounded, safe_text, typed

TWO_PLACES = frozenset({"money", "number"})


def csv_value(value: Any, value_type: str, decimal: str = ".") -> str:
    """One cell's text; numbers with ``decimal`` as their decimal mark."""
    shown = typed(value, value_type)
    if shown is None:
        return ""
    if isinstance(shown, bool):
        return "true" if shown else "false"
    if isinstance(shown, int | float):
        number = rounded(shown, value_type)
        if isinstance(number, float) and value_type in TWO_PLACES:
            text = f"{number:.2f}"
        else:
            text = str(number)
        return text.replace(".", decimal) if decimal != "." else text
    if isinstance(shown, date):
        return shown.isoformat()
    return safe_text(shown)


def render_csv(section: Section, delimiter: str = ",") -> bytes:
    """The section as CSV bytes: a header of column titles, then every row, fields separated
    by ``delimiter`` (a field holding it is quoted).

    ";" is what Excel expects where the decimal mark is a comma (most of Europe), and such an
    Excel reads "1234.5" as text or a date: with ";" numbers get a decimal comma ("1234,5"),
    never a thousands separator. With "," or a tab they keep the decimal point."""
    columns = file_columns(section)
    decimal = "," if delimiter == ";" else "."
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow([safe_text(column.title) for column in columns])
    for row in section.rows:
        values = row if isinstance(row, dict) else {}
        writer.writerow([csv_value(values.get(c.key), c.type, decimal) for c in columns])
    return out.getvalue().encode("utf-8-sig", "replace")
