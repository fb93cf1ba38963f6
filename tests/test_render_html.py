"""The HTML report (file and email body): escaped, typed, Outlook-safe, honest about n/a."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from datetime import date

import pytest
from report_docs import (
    BLUE_LAKE,
    HARBOR,
    HOSTILE_NAMES,
    NORTHWIND,
    Page,
    hostile_doc,
    portfolio_doc,
)

from pmosync.reports.render import email_html, render_files

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The badge palette the design asks for (background colours), spelled out here on purpose.
BADGE_COLOURS = {
    "Green": "#2e7d32",
    "Amber": "#f5a623",
    "Red": "#c62828",
    "Blue": "#1565c0",
    "Complete": "#757575",
}

pytestmark = pytest.mark.filterwarnings("ignore:Glyph:UserWarning")


def html_of(doc) -> str:
    (page,) = render_files(doc, ["html"])
    return page.content.decode("utf-8")


@pytest.fixture(scope="module")
def portfolio_page() -> Page:
    return Page(html_of(portfolio_doc()))


def test_hostile_names_stay_text_and_never_become_markup():
    html = html_of(hostile_doc())
    page = Page(html)
    # A browser's parser finds no element a name could have opened: no script, no <b>.
    assert page.elements("script") == []
    assert page.elements("b") == []
    assert "<script" not in html.lower()
    for name in HOSTILE_NAMES:
        # each name is one text node, character for character (project and owner columns)
        assert page.texts.count(name) >= 2, name[:40]
    # the title, taken from a name, is the literal text too
    (title,) = [data for tag, _, data in page.text_in if tag == "title"]
    assert title == "<script>alert(1)</script>"


def test_right_to_left_names_get_automatic_direction():
    page = Page(html_of(hostile_doc()))
    for name in ("مشروع ترحيل البيانات", "פרויקט הגירה"):
        spans = [attrs for tag, attrs, data in page.text_in if data == name and tag == "span"]
        assert spans and all(attrs.get("dir") == "auto" for attrs in spans)


def test_undefined_is_na_with_an_explanation_never_zero(portfolio_page):
    undefined = [attrs for tag, attrs, data in portfolio_page.text_in if data.strip() == "n/a"]
    # Harbor Portal has five undefined cells (owner, % complete, budget, CPI, due) and the
    # figures one (Portfolio SPI): 5 + 1 = 6, each with a tooltip saying why.
    assert len(undefined) == 6
    assert all("Undefined" in (attrs.get("title") or "") for attrs in undefined)
    # a real zero stays a zero: Harbor's actual cost 0.0 USD, its hours 0.0, open tasks 0
    texts = portfolio_page.cell_texts()
    assert "0 USD" in texts and "0.0" in texts and "0" in texts


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            NORTHWIND,
            # 62.5 percent; money in thousands with the row's currency (the column mixes EUR,
            # USD and GBP): 120,000 -> 120k, 98,765.43 -> 98.77k -> whole from 10k on -> 99k;
            # ratio 2 dp; days signed; hours 1 dp; int with separator; ISO date; flag as a word
            [
                "62.5%",
                "120k EUR",
                "99k EUR",
                "0.87",
                "-12",
                "1,234.5",
                "1,234",
                "2026-12-31",
                "Yes",
            ],
        ),
        (HARBOR, ["0 USD", "+3", "No"]),
        # 5,000 -> 5.0k and 5,250.50 -> 5.2505k -> one place below 10k, half up -> 5.3k
        (BLUE_LAKE, ["100.0%", "5.0k GBP", "5.3k GBP", "1.05", "40.0", "2026-10-01"]),
    ],
)
def test_cells_are_formatted_by_type(portfolio_page, row, expected):
    texts = portfolio_page.cell_texts()
    for text in expected:
        assert text in texts, (row["name"], text)


def test_numbers_are_right_aligned_and_text_left(portfolio_page):
    for text in ("120k EUR", "62.5%", "0.87", "-12", "1,234"):
        # table cells only (figure tiles have no align)
        cells = [td for td in portfolio_page.enclosing(text, "td") if td.get("align")]
        assert cells, text
        for cell in cells:
            assert cell["align"] == "right", text
            assert "text-align:right" in cell["style"]
    (owner,) = portfolio_page.enclosing("Dana Ortiz", "td")
    assert owner["align"] == "left"


def test_rag_badges_carry_their_word_and_colour(portfolio_page):
    # Northwind reported green / computed red; Harbor amber twice; Blue Lake blue / complete.
    counts = {"Green": 1, "Amber": 2, "Red": 1, "Blue": 1, "Complete": 1}
    for word, colour in BADGE_COLOURS.items():
        badges = portfolio_page.enclosing(word, "td")
        assert len(badges) == counts[word], word
        for badge in badges:
            assert badge["bgcolor"] == colour
            assert f"background-color:{colour}" in badge["style"]


def test_only_http_and_https_addresses_become_links():
    odd_urls = {
        "Script link": "javascript:alert(1)",
        "Mixed case": "JaVaScRiPt:alert(1)",
        "Split scheme": "java\nscript:alert(1)",
        "Data link": "data:text/html,<script>alert(1)</script>",
        "File link": "file:///etc/passwd",
        "No scheme": "//evil.example.test/x",
        "Mail link": "mailto:pmo@contoso.test",
        "Control character": "https://contoso.test/a\x00b",
        "Not a string": 42,
    }
    rows = [NORTHWIND, BLUE_LAKE] + [
        {**NORTHWIND, "name": name, "url": url} for name, url in odd_urls.items()
    ]
    page = Page(html_of(portfolio_doc(rows=rows, finding_count=0)))
    links = page.links()
    assert links["Northwind Migration"] == NORTHWIND["url"]
    assert links["Blue Lake"] == BLUE_LAKE["url"]
    for name in odd_urls:
        assert name not in links, name
        assert name in page.cell_texts()  # still shown, as text
    assert all(re.match(r"https?://", attrs["href"]) for attrs in page.elements("a"))


def test_rows_past_the_html_limit_are_counted_not_shown(portfolio_page):
    texts = portfolio_page.cell_texts()
    # 120 findings, html_limit 50: Task 1..50 shown, 120 - 50 = 70 more in the files
    assert "Task 50" in texts and "Task 51" not in texts
    assert "\u2026 and 70 more rows in the XLSX/CSV" in texts


def test_no_limit_shows_every_row():
    page = Page(html_of(portfolio_doc(finding_count=120, html_limit=None)))
    assert "Task 120" in page.cell_texts()
    assert "more rows" not in page.text()


def test_header_figures_and_notes(portfolio_page):
    texts = portfolio_page.cell_texts()
    assert "Weekly portfolio status" in texts
    assert "As of 2026-11-23 \u00b7 generated 2026-11-23 07:00 UTC" in texts
    assert "Operations, Digital" in texts and "dana@contoso.test" in texts
    assert "Costs in other currencies are not converted (2 entries)." in texts
    # headline figures, formatted by type: 47 projects, 3 red, 98,765.43 money in thousands
    # (98.77k, whole from 10k on: 99k), CPI, 62.5 %
    for value in ("47", "3", "99k", "0.87", "62.5%"):
        assert value in texts, value
    # the red-projects figure is coloured red, its label and value inside that tile
    (tile,) = portfolio_page.enclosing("Projects red", "td")
    assert tile["bgcolor"] == BADGE_COLOURS["Red"]


def test_markup_is_outlook_safe(portfolio_page):
    # no <style>, stylesheet or script; layout by tables, never flexbox or grid
    for tag in ("style", "link", "script", "iframe", "object"):
        assert portfolio_page.elements(tag) == [], tag
    styles = [attrs.get("style") or "" for _, attrs in portfolio_page.tags]
    assert not any("flex" in s or "grid" in s or "position:" in s for s in styles)
    # every background colour is also a bgcolor attribute (Outlook ignores the CSS one)
    for _, attrs in portfolio_page.tags:
        colour = re.search(r"background-color:(#[0-9a-f]{6})", attrs.get("style") or "")
        if colour:
            assert attrs.get("bgcolor") == colour.group(1)


def test_file_charts_are_embedded_pngs(portfolio_page):
    images = portfolio_page.elements("img")
    assert len(images) == 2  # the document has two charts
    assert [img["alt"] for img in images] == ["Projects by computed RAG", "SPI and CPI by week"]
    for img in images:
        prefix = "data:image/png;base64,"
        assert img["src"].startswith(prefix)
        assert base64.b64decode(img["src"][len(prefix) :]).startswith(PNG_SIGNATURE)


def test_email_body_shows_charts_as_cid_images():
    email = email_html(portfolio_doc())
    page = Page(email.html)
    sources = [img["src"] for img in page.elements("img")]
    assert sources == [f"cid:{cid}" for cid in email.images]
    assert len(email.images) == 2
    assert all(png.startswith(PNG_SIGNATURE) for png in email.images.values())
    assert "data:image" not in email.html
    # the same report otherwise: the same figures and rows
    assert "99k EUR" in page.cell_texts()


def test_detail_columns_and_sections_are_for_the_files_only():
    from pmosync.reports.document import Column, ReportDocument, Section

    columns = (
        Column("project", "Project"),
        Column("cpi", "CPI", "ratio"),
        Column("team", "Team of the project", detail=True),
    )
    doc = ReportDocument(
        "detail", "portfolio_status", "Detail", "2026-11-23", "2026-11-23T07:00:00+00:00",
        sections=(
            Section("projects", "Projects", columns, ({"project": "Apollo", "cpi": 0.5,
                                                      "team": "Ops"},)),
            Section("forecasts", "Forecasts and baselines",
                    (Column("eac", "EAC (AC + BAC - EV)", "money"),), ({"eac": 1.0},),
                    detail=True),
        ),
    )  # fmt: skip
    page = Page(html_of(doc))
    texts = page.cell_texts()
    # the page: the project and its CPI, not the files-only column nor the files-only table,
    # which it names instead
    assert "Apollo" in texts and "0.50" in texts
    assert "Team of the project" not in page.text() and "Ops" not in texts
    assert "EAC (AC + BAC - EV)" not in page.text()
    assert "In the XLSX and CSV files only: Forecasts and baselines." in texts
    # the files hold both
    files = {f.name: f.content for f in render_files(doc, ["csv"])}
    assert b"Team of the project" in files["detail-2026-11-23-projects.csv"]
    assert b"EAC (AC + BAC - EV)" in files["detail-2026-11-23-forecasts.csv"]


# -- reading the report: money in thousands, charts from two points, the new document fields ----


def _money_doc(rows, columns=None):
    from pmosync.reports.document import Column, ReportDocument, Section

    columns = columns or (
        Column("name", "Project"),
        Column("budget", "Budget", "money"),
        Column("ac", "Actual cost", "money"),
    )
    return ReportDocument(
        "money", "portfolio_status", "Money", "2026-12-07", "2026-12-07T07:00:00+00:00",
        sections=(Section("projects", "Projects", columns, tuple(rows)),),
    )  # fmt: skip


def test_money_is_in_thousands_with_one_currency_in_the_header():
    rows = [
        {"name": "Apollo", "budget": 1_380_000.0, "ac": 800.0, "currency": "EUR"},
        {"name": "Zephyr", "budget": 5_250.5, "ac": None, "currency": "EUR"},
    ]
    page = Page(html_of(_money_doc(rows)))
    texts = page.cell_texts()
    # every shown row is in EUR: the unit once, in the header
    assert "Budget (k EUR)" in texts and "Actual cost (k EUR)" in texts
    # by hand: 1,380,000.00 / 1,000 = 1,380 (whole from 10k on); 5,250.50 / 1,000 = 5.2505 ->
    # one place below 10k, half up: 5.3; 800 / 1,000 = 0.8; an undefined cost stays n/a
    assert {"1,380", "5.3", "0.8", "n/a"} <= set(texts)
    assert not any("EUR" in t and t[0].isdigit() for t in texts)  # no currency in cells
    assert "1,380,000.00" not in page.text()


def test_mixed_currencies_name_theirs_in_each_cell():
    rows = [
        {"name": "Apollo", "budget": 1_380_000.0, "ac": 0.0, "currency": "EUR"},
        {"name": "Harbor", "budget": 42_000.0, "ac": 0.0, "currency": "USD"},
    ]
    texts = Page(html_of(_money_doc(rows))).cell_texts()
    # 1,380,000 EUR -> 1,380k EUR; 42,000 USD -> 42k USD; the header has no unit
    assert "Budget" in texts and "Budget (k EUR)" not in texts
    assert "1,380k EUR" in texts and "42k USD" in texts
    assert "0 EUR" in texts and "0 USD" in texts  # a real zero stays zero


def test_an_hours_basis_is_shown_in_hours_never_as_bare_thousands():
    # Earned value without a budget is in estimated hours (basis "hours", no currency): a
    # premium plan's 912.5 h BAC must not read "0.9" beside money in thousands.
    rows = [
        {"name": "Apollo", "budget": 53_000.0, "ac": 26_000.0, "currency": "EUR"},
        {"name": "Beacon", "budget": 912.5, "ac": 0.0, "currency": None, "basis": "hours"},
    ]
    texts = Page(html_of(_money_doc(rows))).cell_texts()
    # mixed units: each cell names its own; 912.5 h rounds half up to 913 h
    assert "53k EUR" in texts and "913 h" in texts and "0 h" in texts
    assert "0.9" not in texts and "Budget" in texts
    only_hours = [rows[1], {**rows[1], "name": "Comet", "budget": 1_240.0}]
    texts = Page(html_of(_money_doc(only_hours))).cell_texts()
    # every row in hours: the unit once, in the header; 1,240 h stays 1,240, not "1.2"
    assert "Budget (h)" in texts and {"913", "1,240"} <= set(texts)


def test_an_empty_section_is_one_line_or_left_out():
    from pmosync.reports.document import Column, ReportDocument, Section

    doc = ReportDocument(
        "empty", "portfolio_status", "Empty", "2026-12-07", "2026-12-07T07:00:00+00:00",
        sections=(
            Section("expenses", "Expenses and invoices", (Column("item", "Item"),), (),
                    empty="No expenses or invoices in the period."),
            Section("leave", "Leave this week", (Column("person", "Person"),), ()),
        ),
    )  # fmt: skip
    page = Page(html_of(doc))
    texts = page.cell_texts()
    assert "Expenses and invoices" in texts
    assert "No expenses or invoices in the period." in texts
    assert "(0 rows)" not in page.text() and page.elements("th") == []  # no empty table
    assert "Leave this week" not in page.text()


def test_a_chart_of_fewer_than_two_points_is_not_in_the_page():
    from pmosync.reports.document import Chart, Series

    lone = Chart("burn", "Burn over time", "line", ("2026-W49", "2026-W50"),
                 (Series("AC", (1_380_000.0, None)),), y_type="money")  # fmt: skip
    doc = portfolio_doc(charts=(lone, *portfolio_doc().charts))
    assert lone.points() == 1
    page = Page(html_of(doc))
    assert [img["alt"] for img in page.elements("img")] == [
        "Projects by computed RAG",
        "SPI and CPI by week",
    ]
    email = email_html(doc)
    assert len(email.images) == 2 and "Burn over time" not in email.html
    # nor in the workbook's images
    xlsx = render_files(doc, ["xlsx"])[0].content
    assert b"Burn over time" not in xlsx


@pytest.mark.parametrize(
    ("value", "y_type", "expected"),
    [
        (1_380_000, "money", "1,380k"),  # 1,380,000 / 1,000
        (2_500_000, "money", "2,500k"),
        (800, "money", "0.8k"),
        (0, "money", "0"),
        (3, "int", "3"),
        (40, "percent", "40%"),
        (date(2026, 12, 7).toordinal(), "date", "2026-12-07"),
    ],
)
def test_the_y_axis_reads_as_its_type(value, y_type, expected):
    from pmosync.reports.render.units import axis_label

    assert axis_label(value, y_type) == expected


def test_a_count_axis_has_whole_ticks_and_money_no_exponent():
    from pmosync.reports.document import Chart, Series
    from pmosync.reports.render.charts import draw

    def ticks(chart):
        figure = draw(chart)
        figure.canvas.draw()
        return [t.get_text() for t in figure.axes[0].get_yticklabels() if t.get_text()]

    counts = Chart("f", "Findings", "bar", ("a", "b", "c"), (Series("n", (0.0, 1.0, 3.0)),),
                   y_type="int")  # fmt: skip
    shown = ticks(counts)
    # 0..3 findings: matplotlib's own ticks would be 0.0, 0.5, ..., 3.0; whole counts only
    assert shown and all(re.fullmatch(r"\d+", t) for t in shown), shown
    assert "3" in shown
    burn = Chart("b", "Burn", "line", ("w1", "w2"), (Series("AC", (0.0, 1_380_000.0)),),
                 y_type="money")  # fmt: skip
    shown = ticks(burn)
    assert all(re.fullmatch(r"0|-?[\d,]+k", t) for t in shown), shown
    assert "1,200k" in shown or "1,000k" in shown, shown
    figure = draw(burn)
    figure.canvas.draw()
    assert figure.axes[0].yaxis.get_offset_text().get_text() == ""  # no "1e6" over the axis


def test_amount_axes_start_at_zero_and_date_axes_do_not():
    from pmosync.reports.document import Chart, Series
    from pmosync.reports.render.charts import draw

    # a cumulative curve from 180k to 280k: matplotlib would start its axis near 175k
    curve = Chart("s", "S-curve", "line", ("w1", "w2", "w3"),
                  (Series("PV", (180_000.0, 230_000.0, 280_000.0)),), y_type="money")  # fmt: skip
    assert draw(curve).axes[0].get_ylim()[0] == 0
    # milestone forecasts as ordinal days: an axis from day 0 (year 1) would flatten them
    trend = Chart("m", "MTA", "line", ("r1", "r2"), (Series("Go-live", (739_600.0, 739_607.0)),),
                  y_type="date")  # fmt: skip
    assert draw(trend).axes[0].get_ylim()[0] > 739_000


def test_highlights_changes_cards_shading_and_pages():
    from report_docs import readable_doc

    from pmosync.reports.document import Section

    doc = readable_doc(5)
    page_section = Section("p1", "Milestones", doc.sections[2].columns, doc.sections[2].rows,
                           page="Apollo one-pager")  # fmt: skip
    doc = replace(doc, sections=(*doc.sections, page_section))
    html = html_of(doc)
    page = Page(html)
    texts = page.cell_texts()
    # the executive summary right after the tiles, its markers coloured by RAG
    assert "What changed since 2026-11-30" in texts
    assert html.index("Projects red") < html.index("What changed") < html.index("Status updates")
    marks = [td["bgcolor"] for td in page.elements("td") if td.get("width") == "10"]
    assert marks == [BADGE_COLOURS["Red"], BADGE_COLOURS["Green"], "#9ca3af"]  # no RAG: grey
    assert page.links()["Harbor Portal recovered to green"] == "https://app.asana.com/0/1/2"
    # changes since the previous report, by type: +2 projects, -1 red, budget unchanged,
    # +1.5 percentage points complete; no line for CPI (no change given)
    for line in ("+2 since 2026-11-30", "-1 since 2026-11-30", "no change since 2026-11-30",
                 "+1.5 pts since 2026-11-30"):  # fmt: skip
        assert line in texts, line
    # the status section as cards: heading, "Label: value" lines, the text as a paragraph
    assert "Apollo Website Relaunch Wave 1" in texts and "Author:" in texts
    assert any(t.startswith("Cut-over rehearsal slipped") for t in texts)
    assert "Update" not in texts  # no table header: cards
    # heat-map cells: 45 % under-used (light blue), 120 % overloaded (red), band word as title
    # (twice each: in the main part and on the one-pager below)
    under, under_again = page.enclosing("45.0%", "td")
    over, over_again = page.enclosing("120.0%", "td")
    assert (under, over) == (under_again, over_again)
    assert (under["bgcolor"], under["title"]) == ("#e3f2fd", "under-used")
    assert (over["bgcolor"], over["title"]) == ("#e57373", "overloaded")
    assert "background-color:#e57373" in over["style"]
    # a page's pieces under an h2 with its name, after the main part
    (heading,) = [data for tag, _, data in page.text_in if tag == "h2"]
    assert heading == "Apollo one-pager"
    assert html.index("Expenses and invoices") < html.index("Apollo one-pager")
    assert html.index("Apollo one-pager") < html.rindex("Utilisation")


def test_a_column_note_shows_under_the_value_in_html_and_as_a_column_in_the_files():
    from pmosync.reports.document import Column, ReportDocument, Section

    section = Section(
        "projects",
        "Projects",
        (Column("name", "Project"), Column("rag", "Computed RAG", "rag", note="why")),
        ({"name": "Apollo", "rag": "red", "why": "past its baseline finish <b>(2026-10-01)</b>"},),
    )
    doc = ReportDocument(
        "notes", "portfolio_status", "Notes", "2026-11-23", "2026-11-23T07:00:00+00:00",
        sections=(section,),
    )  # fmt: skip
    page = html_of(doc)
    # one visible column for the RAG and its reason: the reason under the badge, escaped
    assert page.count("<th") == 2
    badge, rest = page.split(">Red<", 1)
    assert "past its baseline finish &lt;b&gt;(2026-10-01)&lt;/b&gt;" in rest.split("</td>")[0]
    (csv_file,) = render_files(doc, ["csv"])
    header, row = csv_file.content.decode("utf-8-sig").splitlines()
    assert header == "Project,Computed RAG,Computed RAG: note"
    assert row == "Apollo,red,past its baseline finish <b>(2026-10-01)</b>"


def test_a_risk_matrix_cell_is_coloured_by_its_position_score_in_html():
    from pmosync.reports.document import Column, ReportDocument, Section

    matrix = Section(
        "matrix",
        "Risk matrix",
        (Column("p", "Probability", "int"), Column("i4", "Impact 4", "int", shade="risk_score")),
        ({"p": 5, "i4": 3, "i4__shade": 20}, {"p": 1, "i4": 9, "i4__shade": 4}),
    )
    doc = ReportDocument(
        "matrix", "raid_log", "Matrix", "2026-11-23", "2026-11-23T07:00:00+00:00",
        sections=(matrix,),
    )  # fmt: skip
    cells = re.findall(
        r'<td[^>]*bgcolor="(#[0-9a-f]{6})"[^>]*>\s*<span title="(\w+)"', html_of(doc)
    )
    # 5 x 4 = 20 is critical (red) though it holds 3 risks; 1 x 4 = 4 is low though it holds 9
    assert ("#e57373", "critical") in cells and ("#c8e6c9", "low") in cells
    assert not [c for c in cells if c[1] in ("medium", "high")]


def test_a_change_column_is_signed_in_html_and_xlsx():
    import io

    import openpyxl

    from pmosync.reports.document import Column, ReportDocument, Section

    section = Section(
        "rag", "RAG counts", (Column("rag", "RAG", "rag"), Column("d", "Change", "change")),
        ({"rag": "red", "d": 1}, {"rag": "amber", "d": -2}, {"rag": "green", "d": 0},
         {"rag": "blue", "d": None}),
    )  # fmt: skip
    doc = ReportDocument(
        "changes", "portfolio_status", "Changes", "2026-11-23", "2026-11-23T07:00:00+00:00",
        sections=(section,),
    )  # fmt: skip
    cells = re.findall(r'<td align="right"[^>]*>(?:<span[^>]*>)?([^<]*)<', html_of(doc))
    assert cells == ["+1", "-2", "0", "n/a"], cells
    (xlsx,) = render_files(doc, ["xlsx"])
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["RAG counts"]
    assert [sheet.cell(row, 2).value for row in range(2, 5)] == [1, -2, 0]
    assert sheet["B2"].number_format == "+0;-0;0"
