"""Hand-made XLSX files for the hostile-file tests: the parts Excel writes, text cells as shared
strings (as Excel stores them, unlike openpyxl), and any part's XML as the test wants it (a
DTD, a huge text, a sheet under an odd name).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

from openpyxl.utils import get_column_letter

from pmosync.sandbox.xlsx_parts import MAIN, SHEET_PART, STRINGS_PART, skeleton


def shared_strings(*texts: str, doctype: str = "") -> bytes:
    items = "".join(f"<si><t>{text}</t></si>" for text in texts)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}'
        f'<sst xmlns="{MAIN}" count="{len(texts)}" uniqueCount="{len(texts)}">{items}</sst>'
    ).encode()


def handmade(
    rows: list[list],
    *,
    header: Sequence[str] = ("Email", "Date", "Hours", "Project"),
    texts: tuple[str, ...] = (),
    doctype: str = "",
    sst: str = "",
    sheet_part: str = SHEET_PART,
):
    """An XLSX whose text cells are shared strings, as Excel writes them: each text of
    ``rows`` (under the header) becomes one, after ``texts``; ``doctype`` goes into the
    sheet's XML, ``sst`` into the shared strings'. ``sheet_part`` names the sheet's part
    (the workbook's relationships point at it, whatever it is called)."""
    strings = list(texts)
    heads = "".join(
        f'<c r="{get_column_letter(n)}1" t="inlineStr"><is><t>{text}</t></is></c>'
        for n, text in enumerate(header, 1)
    )
    body = [f'<row r="1">{heads}</row>']
    for number, row in enumerate(rows, 2):
        cells = []
        for n, value in enumerate(row, 1):
            col = get_column_letter(n)
            if isinstance(value, str):
                strings.append(value)
                cells.append(f'<c r="{col}{number}" t="s"><v>{len(strings) - 1}</v></c>')
            else:
                cells.append(f'<c r="{col}{number}"><v>{value}</v></c>')
        body.append(f'<row r="{number}">{"".join(cells)}</row>')
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<worksheet xmlns="{MAIN}">'
        f"<sheetData>{''.join(body)}</sheetData></worksheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in skeleton(sheet_part).items():
            archive.writestr(name, xml)
        archive.writestr(sheet_part, sheet)
        archive.writestr(STRINGS_PART, shared_strings(*strings, doctype=sst))
    return out.getvalue()


LAUGHS = (
    '<!DOCTYPE sst [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)
"""Nine levels of ten: ``&lol9;`` would expand to 10**9 "lol"s (3 GB)."""
