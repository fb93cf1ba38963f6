"""The HTML report (file and email body): escaped, typed, Outlook-safe, honest about n/a."""

from __future__ import annotations

import base64
import re

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
