"""The workbook and the CSV files a PMO opens in Excel: native charts, conditional colours,
a print set-up, percentages Excel can compute with, and the European CSV delimiter.

Read back with openpyxl (an independent reader) and from the .xlsx's own XML parts.
"""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest
from pydantic import ValidationError
from report_docs import portfolio_doc

from pmosync.config.reports import Report
from pmosync.reports.document import Chart, Column, ReportDocument, Section, Series
from pmosync.reports.job import render
from pmosync.reports.render import render_files

AS_OF = "2026-11-23"


def xlsx(doc: ReportDocument) -> bytes:
    (file,) = render_files(doc, ["xlsx"])
    return file.content


def book(doc: ReportDocument):
    return openpyxl.load_workbook(io.BytesIO(xlsx(doc)))


def parts(content: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {
            name: archive.read(name).decode("utf-8")
            for name in archive.namelist()
            if name.startswith("xl/charts/chart")
        }


def doc_with(*charts: Chart, sections: tuple[Section, ...] = ()) -> ReportDocument:
    return ReportDocument(
        "sheet", "portfolio_status", "Sheet", AS_OF, "2026-11-23T07:00:00+00:00",
        charts=charts, sections=sections,
    )  # fmt: skip


# --- native charts --------------------------------------------------------------------------


def test_each_chart_of_two_points_or_more_is_a_native_excel_chart_over_its_figures():
    content = xlsx(portfolio_doc())
    charts = parts(content)
    assert sorted(charts) == ["xl/charts/chart1.xml", "xl/charts/chart2.xml"]
    bar, line = charts["xl/charts/chart1.xml"], charts["xl/charts/chart2.xml"]
    assert "<c:barChart>" in bar and "<c:lineChart>" in line
    # the series read their figures from the "Chart data" sheet, not from copies in the chart
    assert "'Chart data'!$B$3:$B$6" in bar
    data = openpyxl.load_workbook(io.BytesIO(content))["Chart data"]
    # block 1: title row, header row, then the RAG counts of report_docs (12, 5, 3, 1)
    assert data["A1"].value == "Projects by computed RAG"
    assert [data.cell(row, 2).value for row in range(3, 7)] == [12, 5, 3, 1]
    assert [data.cell(row, 1).value for row in range(3, 7)] == ["green", "amber", "red", "blue"]


def test_a_chart_of_fewer_than_two_points_is_not_drawn():
    lone = Chart("burn", "Burn over time", "line", ("2026-11-23",), (Series("AC", (5.0,)),))
    gaps = Chart("gaps", "Mostly empty", "line", ("a", "b", "c"), (Series("x", (None, 4.0, None)),))
    workbook = book(doc_with(lone, gaps))
    assert workbook.sheetnames == ["Summary"]


def test_money_axes_read_in_thousands_and_date_axes_as_dates():
    money = Chart(
        "burn", "Burn", "line", ("W1", "W2"), (Series("AC", (1_380_000.0, 2_000_000.0)),),
        y_label="EUR", y_type="money",
    )  # fmt: skip
    days = Chart(
        "mta", "Milestone trend", "line", ("2026-11-16", "2026-11-23"),
        (Series("Go-live", (739_600.0, 739_607.0)),), y_type="date",
    )  # fmt: skip
    content = xlsx(doc_with(money, days))
    charts = parts(content)
    assert 'formatCode="#,##0,&quot;k&quot;"' in charts["xl/charts/chart1.xml"]
    assert 'formatCode="yyyy-mm-dd"' in charts["xl/charts/chart2.xml"]
    data = openpyxl.load_workbook(io.BytesIO(content))["Chart data"]
    # block 2 starts after block 1's title, header, 2 rows and a blank row: rows 6.. (1-based)
    assert data["A6"].value == "Milestone trend"
    # ordinal 739,600 is 2025-12-15 (date(2025, 12, 15).toordinal() == 739600), 7 days on
    assert data["B8"].value.date().isoformat() == "2025-12-15"
    assert data["B9"].value.date().isoformat() == "2025-12-22"


def test_names_in_a_chart_are_text_cells_never_formulas_or_references():
    hostile = ("Budget!A1", '=HYPERLINK("http://x","y")', "Sheet1!$B$2")
    chart = Chart(
        hostile[0], hostile[1], "bar", ("a", "b"),
        (Series(hostile[0], (1.0, 2.0)), Series(hostile[2], (3.0, 4.0))), y_label=hostile[1],
    )  # fmt: skip
    content = xlsx(doc_with(chart))
    xml = parts(content)["xl/charts/chart1.xml"]
    # every name is a reference to a Chart data cell (c:strRef), never the text as a formula
    assert "Budget!A1" not in xml.replace("'Chart data'!", "")
    assert "'Chart data'!$A$1" in xml and "'Chart data'!$B$2" in xml
    data = openpyxl.load_workbook(io.BytesIO(content))["Chart data"]
    for cell, text in (("A1", hostile[1]), ("B2", hostile[0]), ("C2", hostile[2])):
        assert data[cell].data_type == "s" and data[cell].value == text


# --- conditional formats, freeze, print -------------------------------------------------------

HEAT = Section(
    "heat",
    "Utilisation",
    (
        Column("person", "Person"),
        Column("rag", "RAG", "rag"),
        Column("w1", "2026-W47", "percent", shade="utilisation"),
        Column("risk", "Score", "int", shade="risk_score"),
    ),
    (
        {"person": "Ann", "rag": "red", "w1": 150.0, "risk": 20},
        {"person": "Bo", "rag": "green", "w1": 42.5, "risk": 3},
    ),
)


def rules_of(sheet, cells: str) -> list:
    found = [
        rule for cf in sheet.conditional_formatting if str(cf.sqref) == cells for rule in cf.rules
    ]
    assert found, f"no conditional format on {cells}"
    return found


def test_rag_and_heat_map_columns_are_coloured_by_rules_excel_reapplies():
    sheet = book(doc_with(sections=(HEAT,)))["Utilisation"]
    # 150 % is written as the fraction 1.5 with a percent format
    assert sheet["C2"].value == 1.5 and sheet["C2"].number_format == "0.0%"
    rag = {rule.formula[0]: rule for rule in rules_of(sheet, "B2:B3")}
    assert set(rag) == {'"green"', '"amber"', '"red"', '"blue"', '"complete"'}
    assert rag['"red"'].dxf.fill.bgColor.rgb.endswith("C62828")
    bands = rules_of(sheet, "C2:C3")
    # the bands of cells.SHADE_BANDS as fractions: <=0.5, 0.5..0.85, 0.85..1, 1..1.1, >1.1
    assert [(r.operator, r.formula) for r in bands] == [
        ("lessThanOrEqual", ["0.5"]),
        ("between", ["0.5", "0.85"]),
        ("between", ["0.85", "1.0"]),
        ("between", ["1.0", "1.1"]),
        ("greaterThan", ["1.1"]),
    ]
    # Ann's 1.5 meets only the last rule: overloaded, red
    assert bands[-1].dxf.fill.bgColor.rgb.endswith("E57373")
    scores = rules_of(sheet, "D2:D3")
    assert [(r.operator, r.formula) for r in scores] == [
        ("lessThanOrEqual", ["4.0"]),
        ("between", ["4.0", "9.0"]),
        ("between", ["9.0", "16.0"]),
        ("greaterThan", ["16.0"]),
    ]


def test_a_risk_matrix_cell_is_coloured_by_its_position_score_not_by_its_count():
    # probability 5 x impact 4 = 20 (critical, red) holding 3 risks; 1 x 1 = 1 (low) holding 9
    matrix = Section(
        "matrix",
        "Risk matrix",
        (Column("p", "Probability", "int"), Column("i4", "Impact 4", "int", shade="risk_score")),
        ({"p": 5, "i4": 3, "i4__shade": 20}, {"p": 1, "i4": 9, "i4__shade": 4}),
    )
    sheet = book(doc_with(sections=(matrix,)))["Risk matrix"]
    assert (sheet["B2"].value, sheet["B3"].value) == (3, 9)  # the counts, not the scores
    assert sheet["B2"].fill.fgColor.rgb.endswith("E57373")  # critical
    assert sheet["B3"].fill.fgColor.rgb.endswith("C8E6C9")  # low
    # no rule over the counts: 9 would read "medium" and 3 "low"
    assert not [cf for cf in sheet.conditional_formatting if str(cf.sqref) == "B2:B3"]


def test_sheets_keep_the_first_column_in_view_and_print_landscape_on_the_page_width():
    sheet = book(doc_with(sections=(HEAT,)))["Utilisation"]
    assert sheet.freeze_panes == "B2"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.paperSize == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    # one page wide (1 is the attribute's default, so it may be left out), as long as it takes
    assert sheet.page_setup.fitToWidth in (None, 1) and sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows == "$1:$1"
    assert "Page &P of &N" in sheet.oddFooter.right.text


# --- CSV delimiter --------------------------------------------------------------------------


def test_a_semicolon_csv_has_decimal_commas_for_european_excel():
    section = Section(
        "costs",
        "Costs",
        (
            Column("name", "Name"),
            Column("amount", "Amount", "money"),
            Column("pct", "%", "percent"),
        ),
        ({"name": "Rent; Q1", "amount": 1234.5, "pct": 62.5},
         {"name": "=1+2", "amount": 10.0, "pct": None}),
    )  # fmt: skip
    doc = doc_with(sections=(section,))
    files, _ = render(doc, ["csv"], False, ";")
    text = files[0].content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows == [
        ["Name", "Amount", "%"],
        ["Rent; Q1", "1234,50", "62,5"],
        ["'=1+2", "10,00", ""],
    ]
    assert '"Rent; Q1"' in text  # the field holding the delimiter is quoted
    # the default stays the comma with a decimal point
    (plain,) = render_files(doc, ["csv"])
    assert plain.content.decode("utf-8-sig").splitlines()[1] == "Rent; Q1,1234.50,62.5"


def test_the_csv_delimiter_is_a_report_setting_with_three_choices():
    base = {"kind": "portfolio_status", "formats": ["csv"]}
    assert Report(**base).csv_delimiter == ","
    assert Report(**base, csv_delimiter=";").csv_delimiter == ";"
    with pytest.raises(ValidationError):
        Report(**base, csv_delimiter="|")
