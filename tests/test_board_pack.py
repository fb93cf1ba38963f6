"""The board pack: the executive summary, then a one-pager per project, red first; rendered to
PDF by WeasyPrint, rasterised by poppler's pdftoppm and read back by tesseract.

The dataset is built by hand, so every expectation is worked out here from its rows: which
project is red (two overdue milestones, rules.rag.overdue_milestones_red = 2), amber (one) or
green (none), what its latest status update says, which RAID items are its top ones.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from test_render_chromium import _tool  # skip, or fail in CI, without a Debian tool

from pmosync.config.reports import ReportRules
from pmosync.reports.dataset import (
    BaselineRow,
    BudgetRow,
    Dataset,
    MilestoneVersion,
    PersonRow,
    ProjectRow,
    RaidRow,
    StatusRow,
    TaskRow,
    TimeRow,
)
from pmosync.reports.document import ReportDocument, TrendPoint
from pmosync.reports.kinds import ReportContext
from pmosync.reports.kinds.board_pack import PACK_LIMIT, build
from pmosync.reports.render import FormatsNotRendered, render_files
from pmosync.store.baselines import PlannedTask

AS_OF = date(2026, 3, 16)  # a Monday
LONG_TOKEN = "Q" * 180
"""An unbroken token far wider than an A4 page at 9 pt: it must wrap, not run off the page."""
HOSTILE = (
    "Supplier slipped again <script>alert(1)</script> and the invoice_\u202egpj.exe file is "
    f"held back. Reference {LONG_TOKEN} end."
)
RED, AMBER, GREEN = "Zephyr Migration", "Borealis Upgrade", "Aurora Launch"
"""By name the pack would read Aurora, Borealis, Zephyr; by attention it is the reverse."""


def _at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, tzinfo=UTC)


def dataset() -> Dataset:
    projects = [
        ProjectRow("p-red", "asana", RED, owner_id="u1"),
        ProjectRow("p-amber", "asana", AMBER, owner_id="u2"),
        ProjectRow("p-green", "asana", GREEN, owner_id="u2"),
    ]
    tasks = [
        # red: two open milestones due before 2026-03-16 (overdue_milestones_red = 2)
        TaskRow("r-m1", "p-red", "Cutover rehearsal", is_milestone=True, due_date=date(2026, 3, 2)),
        TaskRow("r-m2", "p-red", "Data freeze", is_milestone=True, due_date=date(2026, 3, 9)),
        # amber: one (overdue_milestones_amber = 1)
        TaskRow("a-m1", "p-amber", "Vendor sign-off", is_milestone=True,
                due_date=date(2026, 3, 10)),
        TaskRow("g-m1", "p-green", "Press release", is_milestone=True, due_date=date(2026, 4, 1)),
        # red's work: 40 h done in February, 40 h under way in March (an hours budget of 80)
        TaskRow("r-w1", "p-red", "Build", status="done", start_date=date(2026, 2, 2),
                due_date=date(2026, 2, 27), completed_at=_at(2, 27), estimate_hours=40.0),
        TaskRow("r-w2", "p-red", "Migrate", status="in_progress", start_date=date(2026, 3, 2),
                due_date=date(2026, 3, 27), estimate_hours=40.0),
    ]  # fmt: skip
    entries = [
        TimeRow("u1", "p-red", date(2026, 2, 13), 20 * 60, "r-w1"),
        TimeRow("u1", "p-red", date(2026, 2, 27), 25 * 60, "r-w1"),
        TimeRow("u1", "p-red", date(2026, 3, 13), 10 * 60, "r-w2"),
    ]
    # Data freeze was baselined for Wednesday 4 March and moved to Monday 9 March on 5 March
    baseline = BaselineRow(
        "p-red", "Baseline", _at(1, 30), "first_sync", date(2026, 2, 2), date(2026, 3, 27),
        tasks=(
            PlannedTask("r-m1", "Cutover rehearsal", "milestone", None, date(2026, 3, 2)),
            PlannedTask("r-m2", "Data freeze", "milestone", None, date(2026, 3, 4)),
            PlannedTask("r-w1", "Build", "work", date(2026, 2, 2), date(2026, 2, 27), 40.0),
            PlannedTask("r-w2", "Migrate", "work", date(2026, 3, 2), date(2026, 3, 27), 40.0),
        ),
    )  # fmt: skip
    history = {
        "r-m2": (
            MilestoneVersion(_at(1, 30), date(2026, 3, 4), None),
            MilestoneVersion(_at(3, 5), date(2026, 3, 9), None),
        )
    }
    updates = [
        StatusRow("p-red", _at(3, 2), "amber", "Week 10", "u1", "An older update."),
        StatusRow("p-red", _at(3, 13), "red", "Week 11", "u1", HOSTILE),
        StatusRow("p-amber", _at(3, 13), "amber", "Week 11", "u2", "Waiting for the vendor."),
        StatusRow("p-green", _at(3, 13), "green", "Week 11", "u2", "On track for April."),
    ]
    raid = [
        RaidRow("k2", "p-red", "risk", "Licence cost rises", "open", "u1", date(2026, 3, 1),
                probability=2, impact=2, score=4,
                mitigation="Negotiate a cap. " + "Escalate " * 600),
        RaidRow("k1", "p-red", "risk", "Key engineer leaves", "open", "u1", date(2026, 3, 1),
                probability=4, impact=5, score=20, mitigation="Pair up on the runbook"),
        RaidRow("k3", "p-red", "issue", "Test rig broken", "open", "u1", date(2026, 3, 3),
                due_date=date(2026, 3, 10)),
        RaidRow("k4", "p-red", "risk", "Closed risk", "closed", "u1", date(2026, 1, 3),
                probability=5, impact=5, score=25),
        RaidRow("k5", "p-red", "risk", "Raised after the report date", "open", "u1",
                date(2026, 3, 20), probability=5, impact=5, score=25),
    ]  # fmt: skip
    people = {
        "u1": PersonRow("u1", "Ana Silva", "ana@example.com"),
        "u2": PersonRow("u2", "Ben Ode", "ben@example.com"),
    }
    return Dataset(
        as_of=AS_OF,
        projects=projects,
        tasks=tasks,
        status_updates=updates,
        raid_items=raid,
        people=people,
        time_entries=entries,
        budgets=[BudgetRow("p-red", Decimal("80"), "hours")],
        baselines={"p-red": baseline},
        milestone_history=history,
    )


def context(**rules) -> ReportContext:
    """A pack with one earlier run: Zephyr was computed amber and reported green then."""
    earlier = TrendPoint(
        "2026-03-09",
        {
            "project_rag": {"p-red": "amber", "p-green": "green"},
            "project_rag_reported": {"p-red": "green", "p-green": "green"},
        },
    )
    return ReportContext(
        name="board",
        kind="board_pack",
        title="Board pack March",
        generated_at=datetime(2026, 3, 16, 7, tzinfo=UTC),
        rules=ReportRules(**rules),
        history=(earlier,),
    )


def pages_of(doc: ReportDocument) -> list[str]:
    """The one-pagers' names in the order the document first names them."""
    return list(dict.fromkeys(s.page for s in doc.sections if s.page is not None))


def page_section(doc: ReportDocument, page: str, title: str):
    return next(s for s in doc.sections if s.page == page and s.title == title)


# --- the document -------------------------------------------------------------------------------


def test_one_pagers_come_red_then_amber_then_green_after_the_summary():
    doc = build(dataset(), context())
    assert pages_of(doc) == [RED, AMBER, GREEN]
    first_page = next(i for i, s in enumerate(doc.sections) if s.page is not None)
    assert first_page > 0 and all(s.page is None for s in doc.sections[:first_page])
    assert doc.previous_as_of == "2026-03-09"
    # what changed since the earlier pack: Zephyr was computed amber on 9 March, red now
    assert any(h.text.startswith(f"{RED} turned red (was amber)") for h in doc.highlights)


def test_a_one_pager_holds_the_latest_status_text_rag_history_milestones_and_raid():
    doc = build(dataset(), context())
    [card] = page_section(doc, RED, "Latest status update").rows
    # the 13 March update, not the 2 March one; the document keeps the text as written
    assert card["text"] == HOSTILE and card["author"] == "Ana Silva"
    assert card["posted"] == "2026-03-13" and card["rag"] == "red"
    history = page_section(doc, RED, "RAG history").rows
    assert [(r["as_of"], r["reported"], r["computed"]) for r in history] == [
        ("2026-03-16", "red", "red"),  # this pack: reported by the 13 March update
        ("2026-03-09", "green", "amber"),  # the earlier pack's trend point
    ]
    milestones = page_section(doc, RED, "Next milestones: baseline vs forecast").rows
    # Data freeze: baseline Wed 4 March, forecast Mon 9 March = Thu, Fri, Mon: 3 working days
    shown = [(m["milestone"], m["baseline"], m["forecast"], m["slip_days"]) for m in milestones]
    assert shown == [
        ("Data freeze", "2026-03-04", "2026-03-09", 3),
        ("Cutover rehearsal", "2026-03-02", "2026-03-02", 0),
    ]
    assert {m["status"] for m in milestones} == {"overdue"}
    items = page_section(doc, RED, "Top RAID items").rows
    # open risks by score (20 before 4), then the open issue; the closed risk and the one
    # raised after the report date are not in it
    assert [i["title"] for i in items] == [
        "Key engineer leaves",
        "Licence cost rises",
        "Test rig broken",
    ]
    [figures] = page_section(doc, RED, "Key figures").rows
    assert figures["computed_rag"] == "red"
    assert page_section(doc, AMBER, "Top RAID items").rows == ()
    # two charts at most per project: the red one's milestone trend and S-curve
    charts: dict[str | None, list[str]] = {}
    for chart in doc.charts:
        charts.setdefault(chart.page, []).append(chart.title)
    assert list(charts) == [RED], charts
    assert len(charts[RED]) == 2 and charts[RED][1].startswith("S-curve (hours)"), charts
    # a project no earlier pack recorded has only this pack's row
    assert [r["as_of"] for r in page_section(doc, AMBER, "RAG history").rows] == ["2026-03-16"]


def test_red_amber_leaves_the_green_project_out_of_the_pages_not_out_of_the_counts():
    doc = build(dataset(), context(pack_projects="red_amber"))
    assert pages_of(doc) == [RED, AMBER]
    counts = {f.key: f.value for f in doc.figures}
    assert counts["projects"] == 3 and counts["green"] == 1


def test_a_pack_of_more_projects_than_its_limit_pages_the_first_and_says_so():
    """203 projects: 200 one-pagers (red first), the summary's table lists all 203 and says
    that 3 have no page."""
    more = dataset()
    more.projects += [ProjectRow(f"p{i}", "asana", f"Project {i:03d}") for i in range(200)]
    doc = build(more, context())
    pages = pages_of(doc)
    assert len(pages) == PACK_LIMIT == 200 and pages[0] == RED
    projects = next(s for s in doc.sections if s.page is None and s.key == "projects")
    assert len(projects.rows) == 203
    assert "the other 3 are listed here only" in projects.note


def test_the_trend_point_records_each_projects_rags_for_the_next_pack():
    doc = build(dataset(), context())
    assert doc.trend["project_rag"] == {"p-red": "red", "p-amber": "amber", "p-green": "green"}
    assert doc.trend["project_rag_reported"] == {
        "p-red": "red",
        "p-amber": "amber",
        "p-green": "green",
    }


# --- the PDF, read back -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf(tmp_path_factory) -> Path:
    [rendered] = render_files(build(dataset(), context()), ["pdf"])
    assert rendered.name == "board-2026-03-16.pdf"
    assert rendered.media_type == "application/pdf" and rendered.content.startswith(b"%PDF")
    path = tmp_path_factory.mktemp("pack") / rendered.name
    path.write_bytes(rendered.content)
    return path


@pytest.fixture(scope="module")
def ocr_pages(pdf) -> list[str]:
    """Each page rasterised at 100 dpi and read by tesseract, in page order."""
    pdftoppm = _tool("pdftoppm", "poppler-utils")
    tesseract = _tool("tesseract", "tesseract-ocr")
    subprocess.run([pdftoppm, "-r", "100", "-png", pdf, pdf.parent / "page"], check=True)
    images = sorted(pdf.parent.glob("page-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
    texts = []
    for image in images:
        result = subprocess.run(
            [tesseract, image, "-", "--psm", "3"], capture_output=True, text=True, check=True
        )
        texts.append(result.stdout)
    return texts


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_each_project_heads_a_page_of_its_own_after_the_summary(pdf, ocr_pages):
    info = subprocess.run(
        [_tool("pdfinfo", "poppler-utils"), pdf], capture_output=True, text=True, check=True
    ).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])
    assert pages == len(ocr_pages)
    assert re.search(r"^Title:\s+Board pack March$", info, re.M), info
    heads = [_lines(text)[0] if _lines(text) else "" for text in ocr_pages]
    summary_pages = pages - 3
    assert summary_pages >= 1, heads
    assert heads[summary_pages:] == [RED, AMBER, GREEN], heads
    assert "Board pack March" in heads[0]
    assert "What changed this period" in ocr_pages[0]
    for number, text in enumerate(ocr_pages, 1):
        assert f"Page {number} of {pages}" in text, (number, text[-300:])


def test_the_red_projects_status_text_is_read_back_as_text(ocr_pages):
    red = _squeezed(ocr_pages[-3])
    assert "Supplier slipped again" in red and "held back" in red, red
    # the markup in the text is shown as the characters typed, never taken as an element
    assert "<script>alert(1)</script>" in red, red
    # U+202E removed: the file name reads in the order its characters are stored
    assert "invoice_gpj.exe" in red, red
    assert "Key engineer" in red and "Ana Silva" in red
    # a 5,400-character mitigation is cut in print, saying where the rest is, so the row
    # (never split across pages) still fits the one-pager
    assert "Esca" in red and "in the HTML" in red and "Escalate " * 20 not in red, red


def test_a_long_unbroken_token_wraps_inside_the_page(pdf):
    """Every word pdftotext finds lies inside the page: the 180-character token was broken
    across lines, and all of its characters are on the page."""
    pdftotext = _tool("pdftotext", "poppler-utils")
    boxes = subprocess.run(
        [pdftotext, "-bbox", pdf, "-"], capture_output=True, text=True, check=True
    ).stdout
    width = float(re.search(r'<page width="([\d.]+)"', boxes)[1])
    words = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)<', boxes)
    assert words
    assert all(float(x_max) <= width for _, x_max, _ in words)
    assert sum(len(w) for _, _, w in words if set(w) == {"Q"}) == len(LONG_TOKEN)
    assert max(len(w) for _, _, w in words if set(w) == {"Q"}) < len(LONG_TOKEN)


# --- a machine without Pango ----------------------------------------------------------------

FAKE_WEASYPRINT = """\
raise OSError(
    "cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open shared object file: "
    "No such file or directory"
)
"""


def test_without_pango_the_pdf_fails_in_one_line_and_the_other_formats_are_rendered(tmp_path):
    """In a process where WeasyPrint cannot load Pango (its import raises the OSError cffi
    raises), the pdf fails with one line naming the library and the fix, and the HTML of the
    same run is still rendered."""
    fake = tmp_path / "site" / "weasyprint"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(FAKE_WEASYPRINT, encoding="utf-8")
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_board_pack import build, context, dataset
        from pmosync.reports.job import render
        missing = []
        files, _ = render(build(dataset(), context()), ["html", "pdf"], False, ",", missing)
        print([f.name for f in files])
        print(missing)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(fake.parent)}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    names, missing = result.stdout.splitlines()
    assert names == "['board-2026-03-16.html']"
    assert "libpango-1.0-0" in missing and "apt-get install libpango-1.0-0" in missing
    assert missing.count("PDF format") == 1


def test_render_files_hands_back_the_other_formats_with_the_reason(tmp_path):
    """Without the ``missing`` list the caller gets ``FormatsNotRendered`` holding the rest."""
    fake = tmp_path / "site" / "weasyprint"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(FAKE_WEASYPRINT, encoding="utf-8")
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_board_pack import build, context, dataset
        from pmosync.reports.render import FormatsNotRendered, render_files
        try:
            render_files(build(dataset(), context()), ["json", "pdf"])
        except FormatsNotRendered as error:
            print([f.name for f in error.files])
            print(error)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(fake.parent)}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    names, reason = result.stdout.splitlines()
    assert names == "['board-2026-03-16.json']"
    assert reason.startswith("PDF format: WeasyPrint cannot load") and "Pango" in reason
    assert FormatsNotRendered  # the name the job catches
