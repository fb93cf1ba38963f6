"""The HTML report reads at 600, 800 and 1,280 px: a real browser (headless Chromium) lays out
a realistic portfolio page at each width and says how wide the page became, OCR reads it back at
800 px, and every kind's document (the demo's reports, computed from its synced world) shows at
most ``MAX_COLUMNS`` columns a table.

Chromium is asked with ``--dump-dom`` on a copy of the page with one small script appended: on
load it writes ``document.documentElement.scrollWidth``, ``window.innerWidth`` and how far any
table scrolls inside its own box into the DOM, where the test reads them.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import get_args

import pytest
from report_docs import LONG_URL_TEXT, UNBROKEN, readable_doc
from test_render_chromium import chromium, run_chromium, tesseract  # noqa: F401 - fixtures

from pmosync.config.reports import ReportKind
from pmosync.reports.render import render_files
from pmosync.reports.render.html import MAX_COLUMNS

pytestmark = pytest.mark.filterwarnings("ignore:Glyph:UserWarning")

WIDTHS = (600, 800, 1280)
MEASURE = """<script>
window.addEventListener("load", function () {
  var inner = 0;
  document.querySelectorAll("div").forEach(function (box) {
    if (box.style.overflowX === "auto") inner = Math.max(inner, box.scrollWidth - box.clientWidth);
  });
  var out = document.createElement("div");
  out.id = "measured";
  out.textContent = [document.documentElement.scrollWidth, window.innerWidth, inner].join(" ");
  document.body.appendChild(out);
});
</script>"""


def _page(tmp: Path, html: bytes, name: str) -> Path:
    page = tmp / name
    page.write_bytes(html.replace(b"</body>", MEASURE.encode() + b"</body>"))
    return page


def _measure(browser: str, tmp: Path, page: Path, width: int) -> tuple[int, int, int]:
    dom = run_chromium(browser, tmp, page, "--dump-dom", scale=1, size=(width, 1000))
    found = re.search(r'id="measured">(\d+) (\d+) (\d+)<', dom)
    assert found, dom[-2000:]
    page_width, window, inner = (int(n) for n in found.groups())
    return page_width, window, inner


@pytest.fixture(scope="module")
def readable_page(tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("widths")
    (html,) = render_files(readable_doc(30), ["html"])
    return tmp, _page(tmp, html.content, "readable.html")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_page_never_scrolls_sideways(chromium, readable_page, width):  # noqa: F811
    tmp, page = readable_page
    page_width, window, inner = _measure(chromium, tmp, page, width)
    assert window == width
    # 30 projects with long names, a 200-character unbroken name, a long URL as a name and in
    # a status text, eight columns: all of it inside the window, no table scrolling in its box
    assert page_width <= width, (width, page_width)
    assert inner == 0, (width, inner)


def test_at_800_px_the_key_figures_read_back_and_names_are_whole(
    chromium,  # noqa: F811
    tesseract,  # noqa: F811
    tmp_path,
):
    (html,) = render_files(readable_doc(30), ["html"])
    page = tmp_path / "readable.html"
    page.write_bytes(html.content)
    png = tmp_path / "page.png"
    run_chromium(chromium, tmp_path, page, f"--screenshot={png}", scale=2, size=(800, 1800))
    result = subprocess.run([tesseract, str(png), "-"], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    # typed into report_docs.readable_doc: 7 projects red; budget 41,400,000 EUR in thousands;
    # the budget column's header carries the unit once
    # (the first row of tiles reads label, label, label, then value, value, value)
    assert "Projects red" in text, text
    assert re.search(r"\b30 7 41,400k\b", text), text
    assert "Budget" in text and "(k EUR)" in text, text  # the header wraps onto two lines
    # the third tile row is not cut off: the fifth figure is on the page
    assert "62.5%" in text, text
    # a project name wraps between words, never inside one ("Websit e", "Relau nch")
    assert "Website" in text and "Relaunch" in text, text
    assert "Websit e" not in text and "Relau nch" not in text, text


def test_long_tokens_are_in_the_page_whole(readable_page):
    _, page = readable_page
    html = page.read_text("utf-8")
    # wrapping is the browser's (overflow-wrap), the text itself is not cut
    assert UNBROKEN in html and LONG_URL_TEXT in html


# -- every kind's document: at most eight columns a table in HTML ---------------------------------


@pytest.fixture(scope="module")
def demo_documents(tmp_path_factory):
    """Every report of the demo's configuration (one of each kind), computed by its kind from
    the demo world synced into a fresh store (not rendered: only the documents are needed)."""
    from pmosync.demo.tour import _load, serving
    from pmosync.reports.job import compute_document
    from pmosync.store import Store
    from pmosync.sync.run import run_sync

    folder = tmp_path_factory.mktemp("demo")
    documents = {}
    with serving(folder) as (_world, _sink, config_path):
        config = _load(config_path)
        with Store.open(config.store, base_dir=folder, schema="create") as store:
            run_sync(config, store)
            for name, report in config.reports.items():
                document = compute_document(config, store, name, config.organisation.today())
                documents[report.kind] = document
    return documents


KINDS = get_args(ReportKind)
"""Every report kind there is: a new one is held to the eight columns too."""


@pytest.mark.parametrize("kind", KINDS)
def test_no_table_in_html_has_more_than_eight_columns(demo_documents, kind):
    document = demo_documents.get(kind)
    assert document is not None, f"the demo ran no {kind} report: {sorted(demo_documents)}"
    wide = {
        section.key: [c.title for c in section.columns if c.detail is not True]
        for section in document.sections
        if section.detail is not True
        and len([c for c in section.columns if c.detail is not True]) > MAX_COLUMNS
    }
    # a kind marks columns past the eighth detail=True (files only), never the renderer cutting
    assert not wide, f"{kind}: more than {MAX_COLUMNS} columns in HTML: {wide}"


@pytest.mark.parametrize("kind", ["portfolio_status", "raid_log", "resource_utilisation"])
def test_the_demo_reports_never_scroll_sideways(chromium, demo_documents, tmp_path, kind):  # noqa: F811
    """The demo's own reports, as their kinds computed them: the page stays inside the window
    at every width; from 800 px on no table scrolls inside its box either (at 600 px a table
    of eight wide columns may, by a few pixels, rather than widen the page)."""
    (html,) = render_files(demo_documents[kind], ["html"])
    page = _page(tmp_path, html.content, f"{kind}.html")
    for width in WIDTHS:
        page_width, window, inner = _measure(chromium, tmp_path, page, width)
        assert page_width <= width == window, (kind, width, page_width)
        if width >= 800:
            assert inner == 0, (kind, width, inner)
