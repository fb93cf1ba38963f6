"""Odd documents (misfit values, broken charts, odd keys) render anyway, showing what they hold.

A report run must not die at 7 a.m. because one cell holds text where a number was expected
or a series is one value short: every renderer shows the value as it is, undefined as such.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import struct
import threading

import matplotlib.mathtext
import openpyxl
import pytest
from report_docs import AS_OF, GENERATED_AT, LONG_NAME, Page, portfolio_doc

from pmosync.reports.document import Chart, Column, Figure, ReportDocument, Section, Series
from pmosync.reports.render import email_html, render_files
from pmosync.reports.render.charts import render_chart

ALL_FORMATS = ["html", "xlsx", "csv", "json"]
GREY = "#757575"
# Charts are 8 x 4 inches at 150 dpi: 1200 x 600 pixels, whatever they hold.
CHART_SIZE = (1200, 600)

pytestmark = pytest.mark.filterwarnings("ignore:Glyph:UserWarning")


def document(*sections: Section, **fields) -> ReportDocument:
    base = {
        "report": "odd",
        "kind": "governance",
        "title": "Odd input",
        "as_of": AS_OF,
        "generated_at": GENERATED_AT,
        "sections": sections,
    }
    return ReportDocument(**(base | fields))


def by_format(doc: ReportDocument) -> dict[str, bytes]:
    """Format -> content (the first file of each format)."""
    out: dict[str, bytes] = {}
    for file in render_files(doc, ALL_FORMATS):
        out.setdefault(file.name.rsplit(".", 1)[-1], file.content)
    return out


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return struct.unpack(">II", png[16:24])  # IHDR width, height


MISFITS = Section(
    "misfits",
    "Misfits",
    (
        Column("int", "Int", "int"),
        Column("money", "Money", "money"),
        Column("percent", "Percent", "percent"),
        Column("date", "Date", "date"),
        Column("rag", "RAG", "rag"),
        Column("flag", "Flag", "flag"),
        Column("text", "Text", "text"),
        Column("ratio", "Ratio", "ratio"),
        Column("hours", "Hours", "hours"),
    ),
    (
        {
            "int": "12abc",
            "money": {"amount": 5},
            "percent": [1, 2],
            "date": "next Tuesday",
            "rag": "purple",
            "flag": "maybe",
            "text": 42,
            "ratio": float("nan"),
            "hours": float("inf"),
        },
        {"int": True, "date": "2026-13-45", "text": ["a", "b"]},
        {},
    ),
)


def test_values_that_do_not_fit_their_column_type_are_shown_as_they_are():
    files = by_format(document(MISFITS))
    page = Page(files["html"].decode())
    texts = page.cell_texts()
    for shown in ("12abc", '{"amount":5}', "[1,2]", "next Tuesday", "maybe", "42", "2026-13-45"):
        assert shown in texts, shown
    # an unknown RAG is a grey badge with its own word
    (badge,) = page.enclosing("purple", "td")
    assert badge["bgcolor"] == GREY
    # NaN and infinity are undefined: n/a, never "nan" or "inf"; the empty row is all n/a:
    # row 1: ratio, hours (2); row 2: money, percent, rag, flag, ratio, hours (6); row 3: 9
    assert texts.count("n/a") == 2 + 6 + 9
    assert "nan" not in texts and "inf" not in texts

    sheet = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))["Misfits"]
    first = [cell for cell in sheet[2]]
    assert [c.value for c in first] == [
        "12abc", '{"amount":5}', "[1,2]", "next Tuesday", "purple", "maybe", "42", None, None,
    ]  # fmt: skip
    assert all(c.data_type == "s" for c in first[:7])
    assert sheet["A3"].value == "true" and sheet["A3"].data_type == "s"  # a bool is no int

    rows = list(csv.reader(io.StringIO(files["csv"].decode("utf-8-sig"))))
    assert rows[1] == [
        "12abc", '{"amount":5}', "[1,2]", "next Tuesday", "purple", "maybe", "42", "", "",
    ]  # fmt: skip
    assert rows[3] == [""] * 9


def test_control_characters_and_lone_surrogates_do_not_break_any_format():
    name = "bad\x00name\x0bwith\x1fcontrols\ud800and a surrogate"
    section = Section("t", name, (Column("name", "Name"),), ({"name": name},))
    files = by_format(document(section, title=name))
    # UTF-8 cannot hold a lone surrogate: the page has "?" there, the rest as it was
    assert "controls?and a surrogate" in Page(files["html"].decode()).text()
    sheet = openpyxl.load_workbook(io.BytesIO(files["xlsx"])).worksheets[1]
    # the controls are gone; XML 1.0 cannot hold a lone surrogate: it became U+FFFD
    assert sheet["A2"].value == "badnamewithcontrols\ufffdand a surrogate"
    assert files["json"].startswith(b"{")
    assert files["csv"].startswith(b"\xef\xbb\xbf")


# Written out by hand: what each hostile name must show as, in every format.
HIDDEN_CHARACTERS = {
    "nul\x00and\x01c0\x1fcontrols": "nulandc0controls",
    "del\x7fand c1\x85\x9bcontrols": "deland c1controls",
    "invoice_\u202egpj.exe": "invoice_gpj.exe",  # right-to-left override: shows "exe.jpg"
    "\u202aembed\u202b\u202c\u202dsall\u2066\u2067\u2068isolates\u2069": "embedsallisolates",
    "=1+1\u202e": "=1+1",
}


def _hostile_doc(names) -> ReportDocument:
    rows = tuple({"name": name} for name in names)
    section = Section("t", names[0], (Column("name", names[1]),), rows, note=names[2])
    return document(section, title=names[3], filters={"owner": list(names)})


def test_controls_and_bidi_overrides_never_reach_html_csv_or_xlsx():
    names, shown = list(HIDDEN_CHARACTERS), list(HIDDEN_CHARACTERS.values())
    files = by_format(_hostile_doc(names))
    html = files["html"].decode()
    hidden = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
    assert not hidden.search(html)
    text = Page(html).text()
    assert all(name in text for name in shown)
    csv_text = files["csv"].decode("utf-8-sig")
    assert not hidden.search(csv_text)
    rows = list(csv.reader(io.StringIO(csv_text, newline="")))
    assert [row[0] for row in rows] == [shown[1], *shown[:-1], "'=1+1"]
    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))
    cells = [row[0].value for row in book.worksheets[1].iter_rows()]
    assert cells == [shown[1], *shown]
    assert book.sheetnames[1] == shown[0]


def test_right_to_left_marks_in_names_stay():
    """Arabic and Hebrew text carries RLM/LRM/ALM legitimately; they reorder nothing."""
    name = "\u200fمشروع\u200e 2026\u061c"
    files = by_format(_hostile_doc([name, "Name", "note", "title"]))
    assert name in files["html"].decode()
    assert name in files["csv"].decode("utf-8-sig")


def test_charts_with_broken_series_still_draw_at_the_same_size():
    # The label below is not valid mathtext: with mathtext on, matplotlib fails on it.
    bad_tex = r"Cost $\frac{ of $project"
    with pytest.raises(ValueError):
        matplotlib.mathtext.MathTextParser("agg").parse(bad_tex)
    charts = [
        Chart("short", bad_tex, "bar", ("a", "b", "c"), (Series(bad_tex, (1.0,)),), bad_tex),
        Chart("long", "Too many", "line", ("a",), (Series("s", (1.0, 2.0, 3.0)),)),
        Chart("none", "All undefined", "stacked_bar", ("a", "b"), (Series("s", (None, None)),)),
        Chart("empty", "Nothing", "bar", (), ()),
        Chart(
            "odd",
            "Odd values",
            "line",
            ("a", "b", "c"),
            (Series("s", ("x", float("nan"), True), "not-a-colour"),),
        ),  # fmt: skip
        Chart(
            "wide",
            LONG_NAME,
            "bar",
            (LONG_NAME,) * 30,
            tuple(Series(f"_series {n}", (float(n),) * 30) for n in range(40)),
        ),  # fmt: skip
    ]
    for chart in charts:
        assert png_size(render_chart(chart)) == CHART_SIZE, chart.key


def test_charts_render_the_same_bytes_from_many_threads():
    chart = portfolio_doc().charts[1]
    expected = render_chart(chart)
    results: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: results.append(render_chart(chart))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 4


def test_odd_and_repeated_section_keys_give_distinct_safe_csv_names():
    keys = ["projects", "projects", "../../etc/passwd", "", "Ünïcode key", "a" * 300]
    doc = document(*(Section(k, k or "x", (Column("a", "A"),), ({"a": 1},)) for k in keys))
    names = [f.name for f in render_files(doc, ["csv"])]
    assert names == [
        "odd-2026-11-23-projects.csv",
        "odd-2026-11-23-projects-2.csv",
        "odd-2026-11-23-etc-passwd.csv",
        "odd-2026-11-23-section.csv",
        "odd-2026-11-23-unicode-key.csv",
        "odd-2026-11-23-" + "a" * 40 + ".csv",  # keys are cut at 40 characters
    ]
    assert all(re.fullmatch(r"[a-z0-9_.-]+", name) for name in names)


def test_an_unknown_format_is_one_clear_error():
    with pytest.raises(ValueError) as error:
        render_files(portfolio_doc(), ["html", "docx"])
    assert str(error.value) == "unknown report format 'docx' (formats: html, xlsx, csv, json, pdf)"


def test_an_empty_document_renders_in_every_format():
    doc = document()
    files = render_files(doc, ALL_FORMATS)
    # no sections: no CSV file; html, xlsx and json still
    assert [f.name for f in files] == [
        "odd-2026-11-23.html",
        "odd-2026-11-23.xlsx",
        "odd-2026-11-23.json",
    ]
    assert openpyxl.load_workbook(io.BytesIO(files[1].content)).sheetnames == ["Summary"]
    assert "Odd input" in Page(files[0].content.decode()).cell_texts()
    assert email_html(doc).images == {}


def test_sections_without_rows_or_columns_say_so():
    doc = document(
        Section("empty", "Nothing found", (Column("a", "A"),), ()),
        Section("bare", "No columns", (), ({"a": 1},)),
        Section(
            "capped", "Capped at zero", (Column("a", "A"),), ({"a": 1}, {"a": 2}), html_limit=-5
        ),
    )
    odd_limit = Section("odd", "Odd limit", (Column("a", "A"),), ({"a": "r1"}, {"a": "r2"}))
    doc = dataclasses.replace(
        doc, sections=(*doc.sections, dataclasses.replace(odd_limit, html_limit="lots"))
    )
    texts = Page(by_format(doc)["html"].decode()).cell_texts()
    # an empty section without an ``empty`` line is left out of the page (the files keep it)
    assert "Nothing found" not in texts and "No columns." in texts
    assert "r1" in texts and "r2" in texts  # a limit that is no number limits nothing
    # a negative limit shows nothing: all 2 rows are "more"
    assert "\u2026 and 2 more rows in the XLSX/CSV" in texts


def test_odd_filters_and_figures_are_shown_not_fatal():
    doc = document(
        filters={"portfolio": "Ops", "owner": [None, 3]},
        figures=(Figure("odd", "Odd figure", "lots", "int"), Figure("rag", "Health", "red", "rag")),
    )
    files = by_format(doc)
    texts = Page(files["html"].decode()).cell_texts()
    assert "Ops" in texts and "None, 3" in texts and "lots" in texts
    summary = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))["Summary"]
    items = {row[0].value: row[1].value for row in summary.iter_rows(min_row=2)}
    assert items["Odd figure"] == "lots" and items["Health"] == "red"


def test_an_undefined_point_is_a_gap_in_the_line_not_a_zero():
    from PIL import Image

    magenta = (255, 0, 255)

    def magenta_columns(values: tuple[float | None, ...]) -> set[int]:
        # an unnamed series has no legend, so every magenta pixel is the line itself
        chart = Chart("gap", "Gap", "line", ("a", "b", "c"), (Series("", values, "#ff00ff"),))
        with Image.open(io.BytesIO(render_chart(chart))) as image:
            rgb = image.convert("RGB")
            width, height = rgb.size
            return {
                x
                for x in range(width)
                for y in range(0, height, 2)
                if rgb.getpixel((x, y)) == magenta
            }

    width = CHART_SIZE[0]
    middle = set(range(int(width * 0.4), int(width * 0.6)))  # around the "b" point
    # control: a zero in the middle draws the line down through it
    assert magenta_columns((2.0, 0.0, 2.0)) & middle
    # undefined: the points either side stand alone and nothing crosses the middle
    gap = magenta_columns((2.0, None, 2.0))
    assert gap and not gap & middle


def test_chart_labels_lose_controls_and_bidi_overrides_too():
    from pmosync.reports.render.charts import shorten

    assert [shorten(name) for name in HIDDEN_CHARACTERS] == list(HIDDEN_CHARACTERS.values())
