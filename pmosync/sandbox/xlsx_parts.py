"""The parts of a hand-made XLSX besides its sheet and shared strings, for hostile workbooks.

The tests and ``bench/hostile_files.py`` write workbooks no spreadsheet program would (a DTD in
a part, a cell of a gigabyte, a sheet under a picture's name), so they write the zip's parts
themselves; these are the few parts Excel needs around them, in one place. Text cells are shared
strings, as Excel stores them (openpyxl writes inline strings).
"""

from __future__ import annotations

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"
SHEET_PART = "xl/worksheets/sheet1.xml"
STRINGS_PART = "xl/sharedStrings.xml"


def skeleton(sheet_part: str = SHEET_PART) -> dict[str, str]:
    """Part name -> XML of every part but the sheet (at ``sheet_part``, which the workbook's
    relationships point at whatever it is called) and the shared strings."""
    target = sheet_part.removeprefix("xl/")
    return {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{TYPES}.sheet.main+xml"/>'
            f'<Override PartName="/{sheet_part}" ContentType="{TYPES}.worksheet+xml"/>'
            f'<Override PartName="/{STRINGS_PART}" ContentType="{TYPES}.sharedStrings+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" '
            f'Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
            '<sheet name="Entries" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{RELS}">'
            f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="{target}"/>'
            f'<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
    }
