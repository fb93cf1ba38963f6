"""Timesheet and cost workbooks: real XLSX and CSV files in, raw row records and canonical
records out, and every file or row that cannot be used says where and why.

Files are written here with openpyxl, msoffcrypto-tool and plain bytes in the encodings Excel
uses; every expected value is worked out by hand from the rows written, never by pmosync.
"""

from __future__ import annotations

import io
import struct
import zipfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import olefile
import openpyxl
import pytest
from msoffcrypto.format.ooxml import OOXMLFile

from pmosync.canonical.types import Budget, CostEntry, PersonIdentity, TimeEntry
from pmosync.connectors.base import Reconcile
from pmosync.connectors.files import read_workbook
from pmosync.mapping import MappingError
from pmosync.mapping.directory import Directory, ProjectEntry
from pmosync.mapping.workbooks import WorkbookMapper

TIME_COLUMNS = {
    "person": "Email",
    "date": "Date",
    "hours": "Hours",
    "project": "Project",
    "task": "Task",
    "billable": "Billable?",
}
HEADER = ["Email", "Date", "Hours", "Project", "Task", "Billable?"]
SOURCE = "ops-timesheets"
TODAY = date(2026, 1, 20)

DIRECTORY = Directory.build(
    [
        ProjectEntry("p-move", "Data centre move", "planner-ops", "plan-1"),
        ProjectEntry("p-web", "Website", "asana-eng", "1200000000000042"),
        ProjectEntry("p-web2", "Website", "planner-ops", "plan-2"),
    ],
    [("t-racks", "p-move", "Order racks"), ("t-cable", "p-move", "Cabling")],
    ["ann.lee@contoso.example", "jürgen.müller@contoso.example", "bo.chen@contoso.example"],
)


# --- files, written the way people's tools write them -------------------------------------


def xlsx(rows, *, sheet="Entries", title=None, header=HEADER, extra_sheets=(), merge=()):
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    if title:
        worksheet.append([title])
        worksheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        worksheet.append([])
    worksheet.append(header)
    for row in rows:
        worksheet.append(row)
    for cells in merge:
        worksheet.merge_cells(cells)
    for name in extra_sheets:
        workbook.create_sheet(name)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(lines, encoding="utf-8", delimiter=";"):
    text = "\r\n".join(delimiter.join(cells) for cells in lines) + "\r\n"
    return text.encode(encoding)


def encrypted(content: bytes, password: str = "s3cret") -> bytes:
    """An XLSX with a password to open, as Excel saves it (agile encryption in a CFB file)."""
    office = OOXMLFile(io.BytesIO(content))
    out = io.BytesIO()
    office.encrypt(password, out)
    return out.getvalue()


def compound_file(stream: str, data: bytes) -> bytes:
    """A minimal Compound File Binary (version 3) holding one stream, as Excel 97-2003
    stores a workbook in a ``Workbook`` stream."""
    sector, free, end, fat_sector, none = 512, 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    data = data.ljust(max(4096, -(-len(data) // sector) * sector), b"\0")
    count = len(data) // sector
    fat = [fat_sector, end] + [3 + i for i in range(count - 1)] + [end]
    fat += [free] * (128 - len(fat))
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
    header += struct.pack("<109I", 0, *[free] * 108)

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = name.encode("utf-16-le") + b"\0\0"
        fixed = struct.pack("<HBBIII", len(encoded), kind, 1, none, none, child)
        return encoded.ljust(64, b"\0") + fixed + b"\0" * 36 + struct.pack("<IQ", start, size)

    directory = entry("Root Entry", 5, 1, end, 0) + entry(stream, 2, none, 2, len(data))
    return header + struct.pack("<128I", *fat) + directory.ljust(sector, b"\0") + data


def read(name, content, columns=TIME_COLUMNS, **options):
    return read_workbook(name, content, columns=columns, **options)


def cells_of(result):
    return [(r["row"], r["cells"]) for r in result.records]


# --- reading XLSX ------------------------------------------------------------------------


def test_an_xlsx_sheet_becomes_one_record_per_row_under_its_header():
    content = xlsx(
        [
            ["ann.lee@contoso.example", date(2026, 1, 5), 7.5, "Data centre move", "Cabling", 1],
            ["bo.chen@contoso.example", datetime(2026, 1, 6), 8, "Website", None, "No"],
        ],
        title="Timesheet week 2",
    )
    result = read("Timesheet 2026-W02.xlsx", content, key="ts/W02.xlsx", url="file:///ts/W02")
    assert result.problem is None and result.warnings == []
    # title in row 1 (merged across), blank row 2, header in row 3, data from row 4
    assert result.records == [
        {
            "file": "Timesheet 2026-W02.xlsx",
            "file_key": "ts/W02.xlsx",
            "url": "file:///ts/W02",
            "sheet": "Entries",
            "row": 4,
            "cells": {
                "person": "ann.lee@contoso.example",
                "date": "2026-01-05",
                "hours": 7.5,
                "project": "Data centre move",
                "task": "Cabling",
                "billable": 1,
            },
            "duplicate_of": None,
        },
        {
            "file": "Timesheet 2026-W02.xlsx",
            "file_key": "ts/W02.xlsx",
            "url": "file:///ts/W02",
            "sheet": "Entries",
            "row": 5,
            "cells": {
                "person": "bo.chen@contoso.example",
                "date": "2026-01-06",
                "hours": 8,
                "project": "Website",
                "task": None,
                "billable": "No",
            },
            "duplicate_of": None,
        },
    ]
    assert result.present() == {"ts/W02.xlsx#Entries!4", "ts/W02.xlsx#Entries!5"}


def test_headers_match_whatever_their_case_spacing_and_column_order():
    header = ["  billable? ", "PROJECT", "Notes", "hours", "Email", "Task", "date"]
    content = xlsx(
        [["x", "Website", "call", 2, "ann.lee@contoso.example", None, date(2026, 1, 7)]],
        header=header,
    )
    result = read("t.xlsx", content)
    assert cells_of(result) == [
        (
            2,
            {
                "person": "ann.lee@contoso.example",
                "date": "2026-01-07",
                "hours": 2,
                "project": "Website",
                "task": None,
                "billable": "x",
            },
        )
    ]


def test_formulas_give_their_saved_result_and_an_unsaved_one_is_marked():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Entries"
    sheet.append(HEADER)
    sheet.append(["ann.lee@contoso.example", date(2026, 1, 5), "=4+3.5", "Website"])
    sheet.append(["ann.lee@contoso.example", date(2026, 1, 6), 6, "Website"])
    sheet.append([None, None, "=SUM(C2:C3)"])  # a totals row: nothing else in it
    sheet.append(["ann.lee@contoso.example", date(2026, 1, 5), "=2+2", "Website"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = read("t.xlsx", buffer.getvalue())
    # row 5 is no copy of row 2: neither formula's result is known
    assert [(r["row"], r["duplicate_of"]) for r in result.records] == [
        (2, None),
        (3, None),
        (5, None),
    ]
    assert result.records.pop()["uncalculated"] == ["hours"]
    # openpyxl saves no result for a formula: the cell is empty, never the formula text
    assert cells_of(result) == [
        (
            2,
            {
                "person": "ann.lee@contoso.example",
                "date": "2026-01-05",
                "hours": None,
                "project": "Website",
                "task": None,
                "billable": None,
            },
        ),
        (
            3,
            {
                "person": "ann.lee@contoso.example",
                "date": "2026-01-06",
                "hours": 6,
                "project": "Website",
                "task": None,
                "billable": None,
            },
        ),
    ]
    assert result.records[0]["uncalculated"] == ["hours"]
    assert "uncalculated" not in result.records[1]


def test_a_formula_result_saved_by_excel_is_read():
    # Excel writes the result beside the formula: <c><f>4+3.5</f><v>7.5</v></c>
    content = xlsx([["ann.lee@contoso.example", date(2026, 1, 5), "=4+3.5", "Website"]])
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b"<f>4+3.5</f><v />" in data
                data = data.replace(b"<f>4+3.5</f><v />", b"<f>4+3.5</f><v>7.5</v>")
            target.writestr(item, data)
    result = read("t.xlsx", out.getvalue())
    assert result.records[0]["cells"]["hours"] == 7.5
    assert "uncalculated" not in result.records[0]


def test_a_cell_merged_down_several_rows_belongs_to_each_of_them():
    content = xlsx(
        [
            ["ann.lee@contoso.example", date(2026, 1, 5), 2, "Website"],
            [None, date(2026, 1, 5), 3, "Data centre move"],
            [None, date(2026, 1, 6), 4, "Website"],
            ["bo.chen@contoso.example", date(2026, 1, 6), 1, "Website"],
        ],
        merge=["A2:A4"],
    )
    result = read("t.xlsx", content)
    people = [(row, cells["person"]) for row, cells in cells_of(result)]
    assert people == [
        (2, "ann.lee@contoso.example"),
        (3, "ann.lee@contoso.example"),
        (4, "ann.lee@contoso.example"),
        (5, "bo.chen@contoso.example"),
    ]


def test_times_and_durations_read_as_hours_and_minutes():
    content = xlsx(
        [
            ["ann.lee@contoso.example", date(2026, 1, 5), time(7, 30), "Website"],
            ["ann.lee@contoso.example", date(2026, 1, 6), timedelta(hours=9, minutes=5), "Website"],
            ["ann.lee@contoso.example", datetime(2026, 1, 7, 14, 30), 1, "Website"],
        ]
    )
    result = read("t.xlsx", content)
    assert [(c["date"], c["hours"]) for _, c in cells_of(result)] == [
        ("2026-01-05", "7:30"),
        ("2026-01-06", "9:05"),
        ("2026-01-07T14:30:00", 1),
    ]


def test_blank_rows_are_skipped_and_identical_rows_point_at_the_first():
    same = ["ann.lee@contoso.example", date(2026, 1, 5), 4, "Website", None, "Yes"]
    content = xlsx(
        [same, [None] * 6, ["bo.chen@contoso.example", date(2026, 1, 5), 4, "Website"], same, same]
    )
    result = read("t.xlsx", content)
    assert [(r["row"], r["duplicate_of"]) for r in result.records] == [
        (2, None),
        (4, None),
        (5, 2),
        (6, 2),
    ]
    # a copy keeps no entry alive: only rows 2 and 4 are present
    assert result.present() == {"t.xlsx#Entries!2", "t.xlsx#Entries!4"}


def test_the_named_sheet_is_read_and_a_missing_one_is_named_with_those_there_are():
    content = xlsx(
        [["ann.lee@contoso.example", date(2026, 1, 5), 1, "Website"]],
        sheet="Entries",
        extra_sheets=["Summary"],
    )
    assert read("t.xlsx", content, sheet="entries ").records[0]["sheet"] == "Entries"
    missing = read("t.xlsx", content, sheet="Hours", key="k")
    assert missing.problem == "t.xlsx has no sheet 'Hours' (its sheets: Entries, Summary)"
    assert missing.records == [
        {
            "file": "t.xlsx",
            "file_key": "k",
            "url": None,
            "sheet": "Hours",
            "row": None,
            "cells": {},
            "duplicate_of": None,
            "problem": "t.xlsx has no sheet 'Hours' (its sheets: Entries, Summary)",
        }
    ]
    assert missing.present() == frozenset()


def test_a_header_row_that_lacks_a_configured_header_names_what_is_missing():
    content = xlsx([["a@b.c", date(2026, 1, 5), 1]], header=["Email", "Date", "Time spent"])
    result = read("t.xlsx", content)
    assert result.problem == (
        "t.xlsx, sheet Entries has no header row with Email, Date, Hours, Project, Task, "
        "Billable? in its first 20 rows (missing: Hours, Project, Task, Billable?)"
    )


def test_a_header_below_row_20_is_not_searched_for():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for number in range(21):
        sheet.append([f"note {number}"])
    sheet.append(HEADER)
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert "in its first 20 rows" in read("t.xlsx", buffer.getvalue()).problem


def test_an_empty_sheet_is_a_warning_not_an_error():
    workbook = openpyxl.Workbook()
    workbook.active.title = "Entries"
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = read("Timesheet 2026-W04.xlsx", buffer.getvalue())
    assert result.problem is None and result.records == []
    assert result.warnings == ["Timesheet 2026-W04.xlsx, sheet Entries is empty"]
    header_only = read("t.xlsx", xlsx([]))
    assert header_only.problem is None and header_only.records == []
    assert header_only.warnings == ["t.xlsx, sheet Entries has a header but no rows under it"]


def test_a_password_protected_workbook_says_so():
    content = encrypted(xlsx([["ann.lee@contoso.example", date(2026, 1, 5), 1, "Website"]]))
    assert content[:4] == bytes.fromhex("d0cf11e0")  # a real encrypted Office file
    result = read("Budget.xlsx", content, key="fin/Budget.xlsx")
    assert result.problem == (
        "Budget.xlsx is password-protected; save a copy without a password for pmosync"
    )
    assert [r["file_key"] for r in result.records] == ["fin/Budget.xlsx"]


def test_an_excel_97_workbook_asks_to_be_saved_as_xlsx():
    content = compound_file("Workbook", b"\x09\x08\x10\x00" + b"\0" * 2000)
    assert olefile.OleFileIO(io.BytesIO(content)).listdir() == [["Workbook"]]
    for name in ("Old.xls", "Old.xlsx"):
        assert read(name, content).problem == f"{name} is an Excel 97-2003 .xls; save it as .xlsx"


def test_a_damaged_or_foreign_file_is_not_readable_and_says_why():
    good = xlsx([["ann.lee@contoso.example", date(2026, 1, 5), 1, "Website"]])
    truncated = read("Cut.xlsx", good[: len(good) // 2])
    assert truncated.problem.startswith("Cut.xlsx is not a readable XLSX file (")
    not_zip = read("Notes.xlsx", b"just some text, not a workbook")
    assert not_zip.problem == "Notes.xlsx is not a readable XLSX file (not a zip archive)"
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("readme.txt", "hello")
    foreign = read("Other.xlsx", zipped.getvalue())
    assert foreign.problem.startswith("Other.xlsx is not a readable XLSX file (")
    assert read("B.xlsb", zipped.getvalue()).problem == (
        "B.xlsb is an Excel binary workbook (.xlsb); save it as .xlsx"
    )


# --- reading CSV -------------------------------------------------------------------------

CSV_LINES = [
    ["Email", "Date", "Hours", "Project", "Task", "Billable?"],
    ["jürgen.müller@contoso.example", "05.01.2026", "7,5", "Data centre move", "Cabling", "ja"],
    ["ann.lee@contoso.example", "06.01.2026", "2", "Website", "Café € budget", "No"],
]
CSV_CELLS = [
    (
        2,
        {
            "person": "jürgen.müller@contoso.example",
            "date": "05.01.2026",
            "hours": "7,5",
            "project": "Data centre move",
            "task": "Cabling",
            "billable": "ja",
        },
    ),
    (
        3,
        {
            "person": "ann.lee@contoso.example",
            "date": "06.01.2026",
            "hours": "2",
            "project": "Website",
            "task": "Café € budget",
            "billable": "No",
        },
    ),
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_csv_in_the_encodings_excel_saves_reads_the_same(encoding):
    content = csv_bytes(CSV_LINES, encoding)
    if encoding == "cp1252":
        assert b"M\xfcller" not in content and b"m\xfcller" in content and b"\x80" in content
    result = read("Stunden.csv", content, key="Stunden.csv")
    assert result.problem is None
    assert cells_of(result) == CSV_CELLS
    assert {r["sheet"] for r in result.records} == {None}
    assert result.present() == {"Stunden.csv#!2", "Stunden.csv#!3"}


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_the_csv_delimiter_is_the_one_that_shows_the_header(delimiter):
    lines = [["Timesheet export"], *CSV_LINES]
    lines[3] = [*lines[3][:4], "Cabling; racks, too", lines[3][5]]
    text = "\r\n".join(
        delimiter.join(f'"{c}"' if (delimiter in c or '"' in c) else c for c in cells)
        for cells in lines
    )
    result = read("t.csv", text.encode("utf-8"))
    assert result.problem is None
    assert [row for row, _ in cells_of(result)] == [3, 4]
    assert result.records[1]["cells"]["task"] == "Cabling; racks, too"


def test_an_excel_sep_line_names_the_delimiter():
    content = b"sep=|\r\n" + csv_bytes(CSV_LINES, delimiter="|")
    result = read("t.csv", content)
    assert [row for row, _ in cells_of(result)] == [3, 4]


def test_a_configured_encoding_wins_and_a_wrong_one_says_so():
    content = csv_bytes(CSV_LINES, "cp1252")
    assert cells_of(read("t.csv", content, encoding="windows-1252")) == CSV_CELLS
    wrong = read("t.csv", content, encoding="utf-8")
    assert wrong.problem.startswith("t.csv is not valid utf-8 text (byte ")
    polish = csv_bytes([["Email", "Date", "Hours", "Project"], ["a@b.pl", "1.1.2026", "1", "Łódź"]])
    four = {name: TIME_COLUMNS[name] for name in ("person", "date", "hours", "project")}
    cp1250 = read("p.csv", polish.decode().encode("cp1250"), columns=four, encoding="cp1250")
    assert cp1250.records[0]["cells"]["project"] == "Łódź"


def test_an_empty_csv_is_a_warning():
    result = read("t.csv", b"")
    assert result.problem is None and result.warnings == ["t.csv is empty"]


def test_slashed_dates_carry_the_order_the_sheet_settles():
    def order(*dates):
        lines = [CSV_LINES[0]] + [["a@b.c", d, "1", "Website", "", ""] for d in dates]
        return {r.get("date_order") for r in read("t.csv", csv_bytes(lines)).records}

    assert order("05/01/2026", "13/01/2026") == {"DMY"}
    assert order("01/05/2026", "01/13/2026") == {"MDY"}
    assert order("05/01/2026", "06/01/2026") == {None}
    assert order("2026-01-05") == {None}


# --- mapping time rows -------------------------------------------------------------------


def mapper(kind="time", columns=TIME_COLUMNS, directory=DIRECTORY, **options):
    return WorkbookMapper(SOURCE, kind, directory, TODAY, columns=columns, **options)


def row(cells, *, row=7, sheet="Entries", file="Timesheet 2026-W03.xlsx", **extra):
    full = dict.fromkeys(TIME_COLUMNS)
    full.update(cells)
    return {
        "file": file,
        "file_key": f"ts/{file}",
        "url": f"https://contoso.sharepoint.com/ts/{file}",
        "sheet": sheet,
        "row": row,
        "cells": full,
        "duplicate_of": None,
        **extra,
    }


GOOD = {
    "person": "Ann.Lee@Contoso.example",
    "date": "2026-01-14",
    "hours": 7.5,
    "project": "data  centre MOVE",
    "task": "order racks",
    "billable": "Yes",
}


def error_of(raw, kind="time", **options):
    with pytest.raises(MappingError) as caught:
        mapper(kind, **options).map("rows", raw)
    return str(caught.value)


def test_a_timesheet_row_becomes_a_time_entry_and_the_identity_of_its_person():
    mapped = mapper().map("rows", row(GOOD))
    assert mapped.tombstones == []
    identity, entry = mapped.records
    assert identity == PersonIdentity(
        source=SOURCE, source_id="ann.lee@contoso.example", email="ann.lee@contoso.example"
    )
    assert entry == TimeEntry(
        source=SOURCE,
        source_id="ts/Timesheet 2026-W03.xlsx#Entries!7",
        source_url="https://contoso.sharepoint.com/ts/Timesheet 2026-W03.xlsx",
        identity_id=PersonIdentity.ref(SOURCE, "ann.lee@contoso.example"),
        project_id="p-move",
        task_id="t-racks",
        entry_date=date(2026, 1, 14),
        minutes=450,
        billable=True,
    )


def test_a_project_named_by_its_id_and_an_unknown_task_are_fine():
    mapped = mapper().map(
        "rows", row({**GOOD, "project": 1200000000000042.0, "task": "Nothing like it"})
    )
    entry = mapped.records[1]
    assert (entry.project_id, entry.task_id) == ("p-web", None)


@pytest.mark.parametrize(
    ("hours", "minutes"),
    [(8, 480), (7.25, 435), ("7,5", 450), ("7.75", 465), ("7:30", 450), ("0:05", 5),
     ("8h", 480), ("7,5 h", 450), (".5", 30), (0, 0), (24, 1440), ("1:00:30", 61)],
)  # fmt: skip
def test_hours_are_read_in_every_form_people_type(hours, minutes):
    assert mapper().map("rows", row({**GOOD, "hours": hours})).records[1].minutes == minutes


@pytest.mark.parametrize(
    ("hours", "problem"),
    [
        ("eight", "Hours 'eight' is not a number of hours"),
        ("7..5", "Hours '7..5' is not a number of hours"),
        (True, "Hours True is not a number of hours"),
        (-2, "Hours -2 is negative"),
        ("-0:30", "Hours '-0:30' is negative"),
        (24.5, "Hours 24.5 is more than 24 hours in a day"),
        ("25:30", "Hours '25:30' is more than 24 hours in a day"),
        (None, "Hours is empty"),
    ],
)
def test_hours_that_are_not_a_days_hours_are_refused_where_they_are(hours, problem):
    where = "Timesheet 2026-W03.xlsx, sheet Entries, row 7"
    assert error_of(row({**GOOD, "hours": hours})) == f"{where}: {problem}"


@pytest.mark.parametrize(
    ("written", "order", "day"),
    [
        ("2026-01-14", None, date(2026, 1, 14)),
        ("2026-01-14T09:30:00", None, date(2026, 1, 14)),
        ("14.01.2026", None, date(2026, 1, 14)),
        ("4.1.26", None, date(2026, 1, 4)),
        ("2026/01/14", None, date(2026, 1, 14)),
        ("14/01/2026", None, date(2026, 1, 14)),
        ("01/14/2026", None, date(2026, 1, 14)),
        ("03/01/2026", "DMY", date(2026, 1, 3)),
        ("01/03/2026", "MDY", date(2026, 1, 3)),
        ("01/01/2026", None, date(2026, 1, 1)),
    ],
)
def test_dates_are_read_as_written_in_the_sheet(written, order, day):
    extra = {"date_order": order} if order else {}
    entry = mapper().map("rows", row({**GOOD, "date": written}, **extra)).records[1]
    assert entry.entry_date == day


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("03/01/2026", "Date '03/01/2026' is ambiguous (day or month first?); "
         "write it as 2026-01-03 or 3.1.2026"),
        ("yesterday", "Date 'yesterday' is not a date"),
        ("31.02.2026", "Date '31.02.2026' is not a date"),
        (46036, "Date 46036 is not a date (format the column as dates)"),
        ("2099-01-05", "Date '2099-01-05' is in the future"),
        ("2026-01-28", "Date '2026-01-28' is in the future"),
    ],
)  # fmt: skip
def test_dates_that_are_not_dates_or_too_far_ahead_are_refused(written, problem):
    where = "Timesheet 2026-W03.xlsx, sheet Entries, row 7"
    assert error_of(row({**GOOD, "date": written})) == f"{where}: {problem}"


def test_a_week_ahead_is_allowed():
    # today is 2026-01-20: up to 2026-01-27 is planned work, later is a typo
    assert mapper().map("rows", row({**GOOD, "date": "2026-01-27"})).records[1].entry_date == (
        date(2026, 1, 27)
    )


@pytest.mark.parametrize(
    ("person", "problem"),
    [
        ("Ann Lee", "Email 'Ann Lee' is not an email address"),
        (None, "Email is empty"),
        ("zed@contoso.example",
         "person zed@contoso.example matches nobody synced (add an alias under people.aliases?)"),
    ],
)  # fmt: skip
def test_a_person_must_be_an_email_of_someone_synced(person, problem):
    where = "Timesheet 2026-W03.xlsx, sheet Entries, row 7"
    assert error_of(row({**GOOD, "person": person})) == f"{where}: {problem}"


def test_an_outlook_style_address_is_taken_for_its_email_and_anyone_goes_without_a_list():
    named = row({**GOOD, "person": "Jürgen Müller <Jürgen.Müller@contoso.example>"})
    assert mapper().map("rows", named).records[0].source_id == "jürgen.müller@contoso.example"
    open_directory = Directory.build(DIRECTORY.projects["data centre move"])
    stranger = row({**GOOD, "person": "zed@elsewhere.example"})
    assert mapper(directory=open_directory).map("rows", stranger).records[0].email == (
        "zed@elsewhere.example"
    )


def test_a_project_nobody_synced_or_one_of_two_namesakes_is_refused():
    where = "Timesheet 2026-W03.xlsx, sheet Entries, row 7"
    assert error_of(row({**GOOD, "project": "Moon base"})) == (
        f"{where}: project 'Moon base' matches no synced project"
    )
    ambiguous = error_of(row({**GOOD, "project": "Website"}))
    assert ambiguous.startswith(f"{where}: project 'Website' is ambiguous: it names 2 projects")


@pytest.mark.parametrize(
    ("written", "billable"),
    [("Yes", True), ("y", True), ("TRUE", True), ("x", True), (1, True), (True, True),
     ("no", False), ("N", False), ("false", False), (0, False), (False, False), (None, None)],
)  # fmt: skip
def test_billable_is_yes_or_no_in_any_common_spelling(written, billable):
    assert mapper().map("rows", row({**GOOD, "billable": written})).records[1].billable is billable


def test_approval_and_description_are_read_when_configured():
    columns = {**TIME_COLUMNS, "approval": "Status", "description": "Notes"}
    raw = row({**GOOD, "approval": " Approved ", "description": 42})
    entry = mapper(columns=columns).map("rows", raw).records[1]
    assert (entry.approval, entry.description) == ("approved", "42")
    assert error_of(row({**GOOD, "approval": "ok"}), columns=columns) == (
        "Timesheet 2026-W03.xlsx, sheet Entries, row 7: "
        "Status 'ok' is not one of draft, submitted, approved, rejected"
    )
    assert error_of(row({**GOOD, "billable": "maybe"})) == (
        "Timesheet 2026-W03.xlsx, sheet Entries, row 7: Billable? 'maybe' is not yes or no"
    )


def test_duplicates_problems_and_unsaved_formulas_explain_themselves():
    assert error_of(row(GOOD, row=9, duplicate_of=4)) == (
        "Timesheet 2026-W03.xlsx, sheet Entries, row 9: duplicates row 4"
    )
    problem = {
        "file": "Budget.xlsx",
        "file_key": "fin/Budget.xlsx",
        "url": None,
        "sheet": None,
        "row": None,
        "cells": {},
        "duplicate_of": None,
        "problem": "Budget.xlsx is password-protected; save a copy without a password",
    }
    assert error_of(problem) == problem["problem"]
    assert mapper().record_key(problem) == "fin/Budget.xlsx#file"
    unsaved = row({**GOOD, "hours": None}, uncalculated=["hours"])
    assert error_of(unsaved) == (
        "Timesheet 2026-W03.xlsx, sheet Entries, row 7: Hours is a formula whose result was "
        "never saved (open the file in Excel and save it)"
    )
    csv_row = row({**GOOD, "hours": "x"}, sheet=None, file="Stunden.csv", row=3)
    assert error_of(csv_row) == "Stunden.csv, row 3: Hours 'x' is not a number of hours"


def test_record_keys_scopes_and_deletions():
    workbooks = mapper()
    assert workbooks.record_key(row(GOOD)) == "ts/Timesheet 2026-W03.xlsx#Entries!7"
    assert workbooks.record_key(row(GOOD, sheet=None)) == "ts/Timesheet 2026-W03.xlsx#!7"
    assert workbooks.record_key({"no": "key"}).startswith("sha256:")
    with pytest.raises(MappingError, match="not a workbook row"):
        workbooks.map("rows", {"cells": {}})
    [scope] = workbooks.scopes(Reconcile("rows", "ts/a.xlsx", frozenset({"ts/a.xlsx#S!2"})))
    assert (scope.model, scope.prefix) == (TimeEntry, "ts/a.xlsx#")
    assert scope.present == {"ts/a.xlsx#S!2"}
    [cost_scope] = mapper("cost", COST_COLUMNS).scopes(Reconcile("rows", "c.csv", frozenset()))
    assert (cost_scope.model, cost_scope.present, cost_scope.prefix) == (CostEntry, set(), "c.csv#")
    assert workbooks.deleted("rows", ["x"]) == []
    assert workbooks.scopes(Reconcile("tasks", "x", frozenset())) == []


# --- mapping cost rows -------------------------------------------------------------------

COST_COLUMNS = {
    "date": "Date",
    "amount": "Amount",
    "project": "Project",
    "currency": "Currency",
    "category": "Type",
    "vendor": "Supplier",
    "person": "Booked by",
    "description": "What",
}


def cost_row(cells, **extra):
    full = dict.fromkeys(COST_COLUMNS)
    full.update(cells)
    return {
        "file": "Costs.csv",
        "file_key": "Costs.csv",
        "url": None,
        "sheet": None,
        "row": 5,
        "cells": full,
        "duplicate_of": None,
        **extra,
    }


def cost(cells, **options):
    options.setdefault("columns", COST_COLUMNS)
    mapped = mapper("cost", **options).map("rows", cost_row(cells))
    return mapped.records[-1], mapped.records[:-1]


@pytest.mark.parametrize(
    ("written", "amount", "currency"),
    [
        (120, Decimal("120"), None),
        (99.95, Decimal("99.95"), None),
        ("1.234,50", Decimal("1234.50"), None),
        ("1,234.50", Decimal("1234.50"), None),
        ("1 234,50", Decimal("1234.50"), None),
        ("1\u00a0234,50", Decimal("1234.50"), None),
        ("1'234.50", Decimal("1234.50"), None),
        ("1,234", Decimal("1234"), None),
        ("1.234.567", Decimal("1234567"), None),
        ("12,5", Decimal("12.5"), None),
        ("0.125", Decimal("0.125"), None),
        ("€ 120", Decimal("120"), "EUR"),
        ("120,00 €", Decimal("120.00"), "EUR"),
        ("$1,200.00", Decimal("1200.00"), "USD"),
        ("£45", Decimal("45"), "GBP"),
        ("CHF 1'250.00", Decimal("1250.00"), "CHF"),
        ("-45.00", Decimal("-45.00"), None),
        ("-€45", Decimal("-45"), "EUR"),
        ("(45.00)", Decimal("-45.00"), None),
    ],
)
def test_amounts_are_read_in_either_convention_with_their_currency(written, amount, currency):
    entry, _ = cost(
        {"date": "2026-01-10", "amount": written, "project": "Website"},
        default_currency="SEK",
        columns={"date": "Date", "amount": "Amount", "project": "Project"},
        directory=Directory.build([ProjectEntry("p-web", "Website", "asana-eng", "1")]),
    )
    assert (entry.amount, entry.currency) == (amount, currency or "SEK")


def test_a_cost_row_becomes_a_cost_entry_with_the_category_it_implies():
    entry, identities = cost(
        {"date": "10.01.2026", "amount": "1.250,00", "project": "Data centre move",
         "currency": "eur", "vendor": "Rack & Co", "person": "bo.chen@contoso.example",
         "description": "Racks"}
    )  # fmt: skip
    assert entry == CostEntry(
        source=SOURCE,
        source_id="Costs.csv#!5",
        project_id="p-move",
        entry_date=date(2026, 1, 10),
        amount=Decimal("1250.00"),
        currency="EUR",
        category="invoice",
        description="Racks",
        vendor="Rack & Co",
        identity_id=PersonIdentity.ref(SOURCE, "bo.chen@contoso.example"),
    )
    assert [i.email for i in identities] == ["bo.chen@contoso.example"]
    expense, nobody = cost({"date": "2026-01-10", "amount": 30, "project": "Data centre move",
                            "currency": "EUR"})  # fmt: skip
    assert (expense.category, expense.identity_id, nobody) == ("expense", None, [])
    labour, _ = cost({"date": "2026-01-10", "amount": 30, "project": "Data centre move",
                      "currency": "EUR", "category": "Labor"})  # fmt: skip
    assert labour.category == "labour"


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        ({"amount": "lots"}, "Amount 'lots' is not an amount of money"),
        ({"amount": "1.2.3,4,5"}, "Amount '1.2.3,4,5' is not an amount of money"),
        ({"amount": None}, "Amount is empty"),
        ({"amount": 120}, "Amount 120 has no currency (add a currency column or default_currency)"),
        ({"amount": "€ 120", "currency": "USD"}, "Amount '€ 120' is in EUR but Currency says USD"),
        ({"currency": "euros"}, "Currency 'euros' is not a currency code (e.g. EUR)"),
        ({"category": "food", "currency": "EUR"}, "Type 'food' is not expense, invoice or labour"),
        ({"person": "someone", "currency": "EUR"}, "Booked by 'someone' is not an email address"),
        ({"date": None, "currency": "EUR"}, "Date is empty"),
        ({"date": "2099-12-31", "currency": "EUR"}, "Date '2099-12-31' is in the future"),
        ({"project": "Nope", "currency": "EUR"}, "project 'Nope' matches no synced project"),
        ({"project": None, "currency": "EUR"}, "Project is empty"),
    ],
)
def test_cost_rows_that_cannot_be_booked_say_why(cells, problem):
    base = {"date": "2026-01-10", "amount": "€ 120", "project": "Data centre move"}
    raw = cost_row({**base, **cells})
    assert error_of(raw, "cost", columns=COST_COLUMNS) == f"Costs.csv, row 5: {problem}"


def test_messages_fall_back_to_canonical_names_without_columns():
    plain = WorkbookMapper(SOURCE, "time", DIRECTORY, TODAY)
    with pytest.raises(MappingError, match=r"row 7: Hours 'eight' is not a number of hours"):
        plain.map("rows", row({**GOOD, "hours": "eight"}))
    with pytest.raises(ValueError, match="unknown workbook kind"):
        WorkbookMapper(SOURCE, "payroll", DIRECTORY, TODAY)  # type: ignore[arg-type]


# --- mapping budget rows -----------------------------------------------------------------

BUDGET_COLUMNS = {"project": "Project", "amount": "Budget", "line": "Line", "measure": "Unit"}


def budget_row(cells, **extra):
    return {**row({}, row=3, sheet="Budgets", file="Budgets.xlsx", **extra), "cells": cells}


def budget(cells, **options):
    options.setdefault("columns", BUDGET_COLUMNS)
    [record] = mapper("budget", **options).map("rows", budget_row(cells)).records
    return record


def test_a_budget_row_becomes_a_workbook_budget_or_one_of_its_lines():
    capex = budget({"project": "Data centre move", "amount": "€ 60.000,00", "line": "CAPEX"})
    assert capex == Budget(
        source=SOURCE,
        source_id="ts/Budgets.xlsx#Budgets!3",
        source_url="https://contoso.sharepoint.com/ts/Budgets.xlsx",
        project_id="p-move",
        amount=Decimal("60000.00"),
        measure="money",
        currency="EUR",
        origin="workbook",
        line="CAPEX",
    )
    whole = budget({"project": "Data centre move", "amount": 90000, "line": "  "},
                   default_currency="USD")  # fmt: skip
    assert (whole.amount, whole.currency, whole.line) == (Decimal(90000), "USD", None)
    hours = budget({"project": "Data centre move", "amount": "1,200.5", "measure": "Hours"})
    assert (hours.measure, hours.amount, hours.currency) == ("hours", Decimal("1200.5"), None)


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        ({"amount": 120}, "Budget 120 has no currency (add a currency column or default_currency)"),
        ({"amount": "€ -5"}, "Budget '€ -5' is negative"),
        ({"amount": "€ 5", "measure": "days"}, "Unit 'days' is not money or hours"),
        ({"amount": "€ 5", "measure": "hours"}, "Budget '€ 5' is money in an hours budget"),
        ({"amount": "€ 5", "project": "Nope"}, "project 'Nope' matches no synced project"),
    ],
)
def test_budget_rows_that_cannot_be_read_say_why(cells, problem):
    raw = budget_row({"project": "Data centre move", **cells})
    message = error_of(raw, "budget", columns=BUDGET_COLUMNS)
    assert message == f"Budgets.xlsx, sheet Budgets, row 3: {problem}"


def test_budget_workbooks_take_budget_columns():
    from pmosync.config.connectors import WorkbookSource

    columns = {"project": "Project", "amount": "Budget", "line": "Line"}
    assert WorkbookSource.model_validate({"kind": "budget", "columns": columns}).kind == "budget"
    with pytest.raises(ValueError, match="'date' is not a column of kind budget"):
        WorkbookSource.model_validate({"kind": "budget", "columns": {**columns, "date": "Day"}})
