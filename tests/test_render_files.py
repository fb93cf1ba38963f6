"""The report's files: names, XLSX read back with openpyxl, CSV with the csv module, JSON."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from report_docs import (
    AS_OF,
    BLUE_LAKE,
    FORMULA_STARTS,
    HARBOR,
    HOSTILE_NAMES,
    LONG_NAME,
    NORTHWIND,
    hostile_doc,
    portfolio_doc,
)

from pmosync.reports.delivery.card import format_figure
from pmosync.reports.delivery.sharepoint import project_items
from pmosync.reports.document import Column, Figure, ReportDocument, Section
from pmosync.reports.render import file_stem, render_files

ROOT = Path(__file__).resolve().parent.parent
STEM = "weekly-portfolio-2026-11-23"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

pytestmark = pytest.mark.filterwarnings("ignore:Glyph:UserWarning")


def spreadsheet_text(text: str) -> str:
    """What a spreadsheet cell must hold for ``text``: a formula start gets a "'" (by hand)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def one(doc: ReportDocument, fmt: str) -> bytes:
    (file,) = render_files(doc, [fmt])
    return file.content


def workbook(doc: ReportDocument):
    return openpyxl.load_workbook(io.BytesIO(one(doc, "xlsx")))


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


# --- names -------------------------------------------------------------------------------


def test_every_format_is_named_after_the_report_and_date():
    files = render_files(portfolio_doc(), ["json", "html", "csv", "xlsx", "html"])
    # in the order asked, html once; one CSV per section (projects, findings)
    assert [(f.name, f.media_type) for f in files] == [
        (f"{STEM}.json", "application/json"),
        (f"{STEM}.html", "text/html; charset=utf-8"),
        (f"{STEM}-projects.csv", "text/csv; charset=utf-8"),
        (f"{STEM}-findings.csv", "text/csv; charset=utf-8"),
        (f"{STEM}.xlsx", XLSX_TYPE),
    ]


@pytest.mark.parametrize(
    ("report", "stem"),
    [
        ("weekly-portfolio", "weekly-portfolio-2026-11-23"),
        ("Weekly Portfolio / Ops", "weekly-portfolio-ops-2026-11-23"),
        ("../../etc/passwd", "etc-passwd-2026-11-23"),
        ("Relatório Mensal Ünïcode", "relatorio-mensal-unicode-2026-11-23"),
        ("..", None),
        ("مشروع ترحيل البيانات", None),
        ("🚀🎉", None),
    ],
)
def test_file_stem_is_a_safe_slug(report, stem):
    got = file_stem(portfolio_doc(report=report))
    if stem is not None:
        assert got == stem
    else:
        # nothing ASCII is left: "report-" + an 8-hex digest of the name, then the date
        assert re.fullmatch(r"report-[0-9a-f]{8}-2026-11-23", got)


def test_file_stems_of_different_names_differ_even_when_their_slugs_would_not():
    arabic = file_stem(portfolio_doc(report="تقرير أسبوعي"))
    hebrew = file_stem(portfolio_doc(report="דוח שבועי"))
    assert arabic != hebrew
    # two 2,000-character names that share their first 60 slug characters
    first = file_stem(portfolio_doc(report=LONG_NAME))
    second = file_stem(portfolio_doc(report=LONG_NAME[:-1] + "!"))
    assert first != second
    for stem in (first, second):
        # 60 slug characters + "-" + 8 digest + "-" + 10 date = 80
        assert len(stem) <= 80
        assert re.fullmatch(r"[a-z0-9-]+", stem)
        assert stem.endswith("-" + AS_OF)


# --- XLSX --------------------------------------------------------------------------------


def test_xlsx_has_a_summary_and_one_sheet_per_section_with_a_frozen_filtered_header():
    book = workbook(portfolio_doc())
    # the document's two charts come first, as native charts over their figures
    sheets = ["Summary", "Charts", "Chart data", "Projects", "Governance findings"]
    assert book.sheetnames == sheets
    projects, findings = book["Projects"], book["Governance findings"]
    for sheet in (projects, findings):
        assert sheet.freeze_panes == "B2"  # the header row and the first column stay in view
        assert all(cell.font.b for cell in sheet[1])
    # projects: 14 columns + "Project URL" = 15 (A..O), 3 rows + header = 4
    assert projects.auto_filter.ref == "A1:O4"
    # findings: 4 columns + "Item URL" = 5 (A..E), 120 rows + header = 121
    assert findings.auto_filter.ref == "A1:E121"
    assert findings.max_row == 121  # the files hold every row, html_limit or not
    assert [c.value for c in projects[1]][:3] == ["Project", "Project URL", "Owner"]
    assert projects.column_dimensions["A"].width > 8


def test_xlsx_numbers_are_numbers_dates_are_dates_and_undefined_is_empty():
    sheet = workbook(portfolio_doc())["Projects"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    northwind, harbor, blue = rows
    expected_numbers = {
        "% complete": (0.625, "0.0%"),  # 62.5 % is the fraction 0.625 in Excel
        "Budget": (120000, "#,##0.00"),
        "Actual cost": (98765.43, "#,##0.00"),
        "CPI": (0.87, "0.00"),
        "SV (days)": (-12, "+0;-0;0"),
        "Hours logged": (1234.5, "#,##0.0"),
        "Open tasks": (1234, "#,##0"),
    }
    for title, (value, number_format) in expected_numbers.items():
        cell = northwind[title]
        assert isinstance(cell.value, int | float) and not isinstance(cell.value, bool), title
        assert cell.value == value and cell.number_format == number_format, title
    assert northwind["Due"].value == datetime(2026, 12, 31)
    assert northwind["RAG disagrees"].value is True
    assert northwind["Computed RAG"].value == "red"
    # undefined stays empty (never 0) and a real 0 stays 0
    for title in ("Owner", "% complete", "Budget", "CPI", "Due"):
        assert harbor[title].value is None, title
    assert harbor["Actual cost"].value == 0 and harbor["Hours logged"].value == 0
    assert blue["Due"].value == datetime(2026, 10, 1) and blue["CPI"].value == 1.05
    # the name links to the project, http(s) only; the URL column holds every address as text
    assert northwind["Project"].hyperlink.target == NORTHWIND["url"]
    assert harbor["Project"].hyperlink is None
    assert harbor["Project URL"].value == HARBOR["url"]
    assert harbor["Project URL"].data_type == "s"
    assert blue["Project URL"].value == BLUE_LAKE["url"]


def test_xlsx_summary_lists_header_and_figures():
    sheet = workbook(portfolio_doc())["Summary"]
    items = {row[0].value: row[1].value for row in sheet.iter_rows(min_row=2)}
    assert items["Report"] == "Weekly portfolio status"
    assert items["As of"] == datetime(2026, 11, 23)
    assert items["Filter: portfolio"] == "Operations, Digital"
    assert items["Projects"] == 47
    assert items["Actual cost (EUR)"] == 98765.43
    assert items["Portfolio SPI"] is None  # undefined


def test_xlsx_text_is_always_text_never_a_formula():
    sheet = workbook(hostile_doc())["Projects"]
    names = [row[0] for row in sheet.iter_rows(min_row=2)]
    owners = [row[2] for row in sheet.iter_rows(min_row=2)]
    assert len(names) == len(HOSTILE_NAMES)
    for name, name_cell, owner_cell in zip(HOSTILE_NAMES, names, owners, strict=True):
        # a string cell, holding exactly the source's text (no "'" in front: a string cell is
        # never run); XML keeps line breaks as LF, so a leading CR reads back as LF
        expected = name.replace("\r", "\n")
        for cell in (name_cell, owner_cell):
            assert cell.data_type == "s", name[:40]
            assert cell.value == expected, name[:40]
            # Excel's quote prefix (a format flag) on formula starts: editing keeps it text
            assert cell.quotePrefix == name.startswith(FORMULA_STARTS), name[:40]
    assert names[1].value == '=HYPERLINK("http://x","y")'
    assert names[4].value == "-2+3"
    assert names[7].value == LONG_NAME  # 2,000 characters, whole
    # the sheet title came from a name too: still a valid sheet
    assert workbook(hostile_doc()).sheetnames == ["Summary", "Charts", "Chart data", "Projects"]


def test_xlsx_sheet_names_are_valid_and_distinct():
    titles = ["Budget: Q1/Q2 [draft]*?", "Budget: Q1/Q2 [draft]*?", "summary", "History",
              LONG_NAME, "'quoted'", ""]  # fmt: skip
    doc = ReportDocument(
        "names", "governance", "Names", AS_OF, "2026-11-23T07:00:00+00:00",
        sections=tuple(
            Section(f"s{n}", title, (Column("a", "A"),), ({"a": "x"},))
            for n, title in enumerate(titles)
        ),
    )  # fmt: skip
    # by hand: forbidden characters become spaces, runs of spaces one, 31 characters at most
    # (a long one ends at a whole word and an ellipsis: "Programme to consolidate every" is 30,
    # + "…" = 31), no quote at either end, unique ignoring case, Excel's reserved "History"
    # renamed, and an empty title falls back to the section key
    assert workbook(doc).sheetnames == [
        "Summary",
        "Budget Q1 Q2 draft",
        "Budget Q1 Q2 draft (2)",
        "summary (2)",
        "History (1)",
        "Programme to consolidate every\u2026",
        "quoted",
        "s6",
    ]


def test_xlsx_sheet_names_are_cut_at_a_word_not_inside_one():
    titles = [
        "Milestones completed this period by project",  # 43 characters
        "Milestones completed this period by person",  # the same first 31
        "Resource/utilisation: weekly*capacity [all]",  # forbidden characters, then too long
        "Supercalifragilisticexpialidociousness",  # one 38-letter word
    ]
    doc = ReportDocument(
        "names", "governance", "Names", AS_OF, "2026-11-23T07:00:00+00:00",
        sections=tuple(
            Section(f"s{n}", title, (Column("a", "A"),), ({"a": "x"},))
            for n, title in enumerate(titles)
        ),
    )  # fmt: skip
    # by hand: 30 units leave "Milestones completed this peri", inside "period": back to
    # "Milestones completed this" + "…" (26). The second is the same name: " (2)" (4) leaves
    # 27 units, 26 of text -> the same word cut, + " (2)". "Resource utilisation weekly
    # capacity all" (forbidden characters -> spaces): 30 units end inside "capacity" ->
    # "Resource utilisation weekly…". One word longer than 31 is cut inside it: 30 + "…".
    names = workbook(doc).sheetnames
    assert names == [
        "Summary",
        "Milestones completed this\u2026",
        "Milestones completed this\u2026 (2)",
        "Resource utilisation weekly\u2026",
        "Supercalifragilisticexpialidoc\u2026",
    ]
    assert all(len(name) <= 31 for name in names)


def test_xlsx_of_50000_rows_streams_within_a_small_memory_budget(tmp_path):
    # In a fresh interpreter: the peak RSS the render adds over the built document.
    # openpyxl's normal mode holds a Cell object per value: ~80 MB for these 250,000 cells;
    # write-only mode streams them (~15 MB). 40 MB tells the two apart with room to spare.
    script = textwrap.dedent(
        f"""
        import io, resource, sys
        sys.path.insert(0, {str(ROOT / "tests")!r})
        from report_docs import FINDING_COLUMNS, findings
        from pmosync.reports.document import ReportDocument, Section
        from pmosync.reports.render.xlsx import render_xlsx
        render_xlsx(ReportDocument("w", "k", "t", "2026-11-23", "x"))  # imports, warm
        doc = ReportDocument("big", "governance", "Big", "2026-11-23", "x", sections=(
            Section("findings", "Findings", FINDING_COLUMNS, findings(50_000)),))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        content = render_xlsx(doc)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        open({str(tmp_path / "big.xlsx")!r}, "wb").write(content)
        print((after - before) // 1024)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) < 40
    book = openpyxl.load_workbook(tmp_path / "big.xlsx", read_only=True)
    rows = list(book["Findings"].iter_rows(values_only=True))
    book.close()
    assert len(rows) == 50_001  # header + every row
    assert rows[-1][:3] == ("overdue_unassigned", "Project 50000", "Task 50000")


# --- CSV ---------------------------------------------------------------------------------


def test_csv_per_section_with_bom_typed_values_and_every_row():
    files = {f.name: f.content for f in render_files(portfolio_doc(), ["csv"])}
    projects = files[f"{STEM}-projects.csv"]
    assert projects.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, so Excel reads UTF-8
    header, northwind, harbor, blue = csv_rows(projects)
    assert header[:3] == ["Project", "Project URL", "Owner"]
    assert northwind == [
        "Northwind Migration", NORTHWIND["url"], "Dana Ortiz", "green", "red", "62.5",
        "120000.00", "98765.43", "EUR", "0.87", "-12", "1234.5", "1234", "2026-12-31", "true",
    ]  # fmt: skip
    # undefined is an empty cell, never 0; a real zero is 0
    assert harbor == [
        "Harbor Portal", HARBOR["url"], "", "amber", "amber", "", "", "0.00", "USD", "", "3",
        "0.0", "0", "", "false",
    ]  # fmt: skip
    assert blue[5] == "100.0" and blue[7] == "5250.50"
    findings = csv_rows(files[f"{STEM}-findings.csv"])
    assert len(findings) == 1 + 120  # every row, although HTML shows 50
    assert findings[-1][:3] == ["overdue_unassigned", "Project 120", "Task 120"]


def test_csv_text_is_formula_safe():
    (content,) = [f.content for f in render_files(hostile_doc(), ["csv"])]
    rows = csv_rows(content)[1:]
    assert [row[0] for row in rows] == [spreadsheet_text(name) for name in HOSTILE_NAMES]
    assert rows[1][0] == '\'=HYPERLINK("http://x","y")'
    assert rows[2][0] == "'+cmd|' /C calc'!A0"
    assert rows[3][0] == "'@SUM(1)" and rows[4][0] == "'-2+3"
    assert "مشروع ترحيل البيانات" in content.decode("utf-8-sig")


# --- JSON --------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [portfolio_doc, hostile_doc])
def test_json_round_trips_exactly(make):
    doc = make()
    content = one(doc, "json")
    assert ReportDocument.from_json(json.loads(content.decode("utf-8"))) == doc
    if make is hostile_doc:
        assert "🚀".encode() in content
        assert "مشروع ترحيل البيانات".encode() in content  # UTF-8, not \\u escapes


# --- rounding: the document keeps full precision, each renderer rounds by column type ------


def thirds_doc() -> ReportDocument:
    """One row of figures that do not end: 1/3 as a percent, hours, money, ratio and days."""
    columns = (
        Column("project", "Project"),
        Column("pct_complete", "% complete", "percent"),
        Column("hours", "Hours", "hours"),
        Column("cost", "Cost", "money"),
        Column("cpi", "CPI", "ratio"),
        Column("days", "SV (days)", "days"),
    )
    row = {"project": "Thirds", "pct_complete": 100 / 3, "hours": 10 / 3, "cost": 1000 / 3,
           "cpi": 0.625, "days": -2.5}  # fmt: skip
    return ReportDocument(
        "thirds", "portfolio_status", "Thirds", AS_OF, "2026-11-23T07:00:00+00:00",
        figures=(Figure("pct_complete", "% complete", 100 / 3, "percent"),),
        sections=(Section("projects", "Projects", columns, (row,)),),
    )  # fmt: skip


def test_json_keeps_full_precision_and_every_renderer_rounds_by_column_type():
    doc = thirds_doc()
    data = json.loads(one(doc, "json"))
    (row,) = data["sections"][0]["rows"]
    assert row["pct_complete"] == 100 / 3 and row["cost"] == 1000 / 3  # 33.333..., not 33.3
    assert data["figures"][0]["value"] == 100 / 3
    # by hand, half up: 33.333 -> 33.3 %, 3.333 -> 3.3 h, 333.333 -> 333.33, 0.625 -> 0.63
    # (Python's format would give 0.62), -2.5 days -> -3 (half away from zero)
    (_, thirds) = csv_rows(one(doc, "csv"))
    assert thirds == ["Thirds", "33.3", "3.3", "333.33", "0.63", "-3"]
    page = one(doc, "html").decode()
    # HTML shows money in thousands, the column headed "Cost (k)": 333.333 / 1000 = 0.333 -> 0.3
    assert ">Cost (k)<" in page
    for shown in ("33.3%", "3.3", "0.3", "0.63", "-3"):
        assert f">{shown}<" in page, shown
    assert ">33.33" not in page and "3.333" not in page
    # the workbook keeps the figure and shows its places by number format
    sheet = workbook(doc)["Projects"]
    cells = dict(zip([c.value for c in sheet[1]], sheet[2], strict=True))
    assert cells["% complete"].value == pytest.approx(1 / 3, abs=1e-12)
    assert cells["% complete"].number_format == "0.0%"
    assert cells["Cost"].value == pytest.approx(1000 / 3, abs=1e-9)
    # the Teams card, the mail fallback and the SharePoint list show what the report shows
    assert format_figure(doc.figures[0]) == "33.3%"
    assert project_items(doc, None)[0]["PercentComplete"] == 33.3


# --- imports -----------------------------------------------------------------------------


def test_render_and_export_modules_import_no_heavy_library():
    probe = (
        "import sys\n"
        "import pmosync.reports.render, pmosync.reports.render.cells, pmosync.reports.export\n"
        "print([m for m in ('matplotlib', 'openpyxl', 'jinja2') if m in sys.modules])\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr
