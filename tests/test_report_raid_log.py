"""The raid_log report kind end to end: a store filled by hand, the real ``pmosync report``
command, and the HTML, XLSX, CSV and JSON files read back; hostile text in every RAID text field
(title, description, mitigation, resolution, the owner's name) is escaped in HTML and never a
formula in a spreadsheet. Every expected figure is worked out in the comments from the rows
typed in here; the RAID section of the portfolio status report is checked from the same rows.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
from cli import run_pmosync
from report_docs import FORMULA_STARTS, Page

from pmosync.canonical import PersonIdentity, Project, RaidItem
from pmosync.config.reports import RaidRules, ReportRules
from pmosync.reports.dataset import Dataset, PersonRow, ProjectRow, RaidRow
from pmosync.reports.document import TrendPoint, shade_value
from pmosync.reports.kinds import ReportContext
from pmosync.reports.kinds.raid_log import build, raid_sections
from pmosync.reports.render import render_files
from pmosync.reports.render.cells import shade
from pmosync.store import Store

TOOL = "tool-a"
AS_OF = "2026-11-23"  # a Monday
FILLED_AT = datetime(2026, 11, 1, tzinfo=UTC)
SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x","y")'
CMD = "+cmd|' /C calc'!A0"
RLO = "Supplier \u202eevil.exe\u202c name"  # U+202E reorders what a reader sees
NUL = "Action\x00 with NUL"
HOSTILE_OWNER = "@SUM(1) <b>Ann</b>"


def _raid(source_id: str, kind: str, title: str, **fields) -> RaidItem:
    return RaidItem(
        source=TOOL,
        source_id=source_id,
        kind=kind,
        title=title,
        source_url=f"https://a.example/raid/{source_id}",
        **fields,
    )


def _fill(url: str) -> None:
    """Two projects and a RAID log of eight items, hostile text in every text field.

    Open risks: R1 (Website, 5 x 4 = 20), R2 (Website, 3 x 5 = 15, in progress), R3
    (portfolio-wide, 2 x 2 = 4); R4 is closed. Risks scoring 15+: R1, R2 = 2.
    I1 (Archive move) was due Fri 2026-11-13: 10 calendar days overdue on Mon 11-23.
    D1 raised 11-01 (22 days old), due 11-27: due in 4 days, within the 7 of "due soon".
    C1 is closed with a resolution starting "Approved": approved, so no open change request.
    A1 is an open assumption.
    """
    web, archive = Project.ref(TOOL, "web"), Project.ref(TOOL, "arc")
    owner = PersonIdentity.ref(TOOL, "u1")
    with Store.open(url) as store, store.writer() as writer:
        writer.now = FILLED_AT
        writer.upsert(
            [
                Project(
                    source=TOOL, source_id="web", name="Website", source_url="https://a.example/w"
                ),
                Project(source=TOOL, source_id="arc", name="Archive move"),
                PersonIdentity(
                    source=TOOL, source_id="u1", name=HOSTILE_OWNER, email="ann@x.example"
                ),
                _raid(
                    "R1",
                    "risk",
                    SCRIPT,
                    project_id=web,
                    owner_identity_id=owner,
                    probability=5,
                    impact=4,
                    due_date=date(2026, 12, 1),
                    mitigation=FORMULA,
                    description=SCRIPT,
                    raised_on=date(2026, 11, 2),
                ),
                _raid(
                    "R2",
                    "risk",
                    FORMULA,
                    project_id=web,
                    status="in_progress",
                    probability=3,
                    impact=5,
                    mitigation=CMD,
                    raised_on=date(2026, 11, 3),
                ),
                _raid("R3", "risk", RLO, probability=2, impact=2, mitigation=RLO),
                _raid(
                    "R4",
                    "risk",
                    "Closed risk",
                    project_id=web,
                    status="closed",
                    probability=5,
                    impact=5,
                ),
                _raid(
                    "I1",
                    "issue",
                    CMD,
                    project_id=archive,
                    owner_identity_id=owner,
                    due_date=date(2026, 11, 13),
                    mitigation=NUL,
                    description=NUL,
                ),
                _raid(
                    "D1",
                    "decision",
                    "-2+3",
                    project_id=web,
                    raised_on=date(2026, 11, 1),
                    due_date=date(2026, 11, 27),
                ),
                _raid(
                    "C1",
                    "change_request",
                    "\t=1+1",
                    project_id=web,
                    status="closed",
                    resolution="Approved <b>by</b> the board =1+1",
                    closed_on=date(2026, 11, 5),
                ),
                _raid("A1", "assumption", "@SUM(A1:A9)", project_id=archive, mitigation=SCRIPT),
            ]  # fmt: skip
        )


def _config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "pmosync.yaml"
    path.write_text(
        f"store: {url}\n"
        "output_dir: out\n"
        "reports:\n"
        "  raid:\n"
        "    kind: raid_log\n"
        "    formats: [html, xlsx, csv, json]\n"
        "  weekly:\n"
        "    kind: portfolio_status\n"
        "    formats: [json]\n",
        encoding="utf-8",
    )
    return path


def _run(tmp_path: Path, store_url: str, report: str = "raid") -> Path:
    _fill(store_url)
    config = _config(tmp_path, store_url)
    done = run_pmosync("report", report, "-c", config, "--as-of", AS_OF, "--no-deliver")
    assert done.returncode == 0, done.stderr
    return tmp_path / "out" / f"{report}-{AS_OF}"


def _is_number(text: str) -> bool:
    return re.fullmatch(r"-?\d+(\.\d+)?", text) is not None


def test_the_raid_log_report_figures_and_files(tmp_path, store_url):
    folder = _run(tmp_path, store_url)
    stem = f"raid-{AS_OF}"
    names = sorted(p.name for p in folder.iterdir())
    assert f"{stem}.html" in names and f"{stem}.xlsx" in names and f"{stem}.json" in names
    document = json.loads((folder / f"{stem}.json").read_text("utf-8"))
    figures = {f["key"]: f["value"] for f in document["figures"] if f["key"] != "as_of_basis"}
    assert figures == {  # (the run adds an "as of" line of its own)
        "open_risks": 3,  # R1, R2, R3 (R4 closed)
        "high_risks": 2,  # R1 20, R2 15
        "overdue_issues": 1,  # I1
        "decisions_awaited": 1,  # D1
        "open_change_requests": 0,  # C1 approved
        "open_issues": 1,
    }
    sections = {s["key"]: s for s in document["sections"]}
    top = sections["top_risks"]["rows"]
    assert [r["risk"] for r in top] == [SCRIPT, FORMULA, RLO]  # 20, 15, 4
    assert [r["project"] for r in top] == ["Website", "Website", "portfolio-wide"]
    assert top[0]["owner"] == HOSTILE_OWNER and top[0]["url"] == "https://a.example/raid/R1"
    (overdue,) = sections["overdue_issues"]["rows"]
    assert (overdue["project"], overdue["days_overdue"]) == ("Archive move", 10)
    assert overdue["action"] == "Action with NUL"  # the store keeps NUL out, the rest stays
    (decision,) = sections["decisions_awaited"]["rows"]
    assert (decision["age_days"], decision["due_in_days"], decision["state"]) == (
        22, 4, "due soon"
    )  # fmt: skip
    (change,) = sections["change_requests"]["rows"]
    assert change["outcome"] == "approved"
    # the heat map: probability 5 is the first row, impact 4 its fourth cell
    matrix = {r["probability"].split()[0]: r for r in sections["risk_heat_map"]["rows"]}
    assert [matrix[p][f"impact_{i}"] for p, i in (("5", 4), ("3", 5), ("2", 2))] == [1, 1, 1]
    assert sum(r[f"impact_{i}"] for r in matrix.values() for i in range(1, 6)) == 3
    assert len(sections["raid_log"]["rows"]) == 8 and sections["raid_log"]["detail"]


def test_hostile_raid_text_is_escaped_in_html(tmp_path, store_url):
    html = (_run(tmp_path, store_url) / f"raid-{AS_OF}.html").read_text("utf-8")
    page = Page(html)
    assert page.elements("script") == [] and "<script" not in html.lower()
    assert page.elements("b") == []  # "<b>Ann</b>" is text, not bold
    texts = page.cell_texts()
    assert SCRIPT in texts and FORMULA in texts and "-2+3" in texts
    assert HOSTILE_OWNER in texts
    assert "\u202e" not in html and "\x00" not in html
    assert "Supplier evil.exe name" in texts  # the override dropped, the characters kept
    # each item links to its own page in the tool
    hrefs = {a.get("href") for a in page.elements("a")}
    assert {"https://a.example/raid/R1", "https://a.example/raid/I1"} <= hrefs


def test_hostile_raid_text_is_never_a_formula_in_csv_or_xlsx(tmp_path, store_url):
    folder = _run(tmp_path, store_url)
    stem = f"raid-{AS_OF}"
    for path in folder.glob("*.csv"):
        text = path.read_text("utf-8-sig")
        assert "\u202e" not in text and "\x00" not in text, path.name
        for row in csv.reader(io.StringIO(text, newline="")):
            for cell in row:
                # a number may be negative ("-3 days"); text never starts a formula
                assert _is_number(cell) or not cell.startswith(FORMULA_STARTS), (path.name, cell)
    top = list(csv.reader(io.StringIO((folder / f"{stem}-top_risks.csv").read_text("utf-8-sig"))))
    assert [row[0] for row in top[1:]] == [SCRIPT, "'" + FORMULA, "Supplier evil.exe name"]

    book = openpyxl.load_workbook(folder / f"{stem}.xlsx")
    strings = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    strings.append(cell.value)
    assert FORMULA in strings and CMD in strings and "\t=1+1" in strings
    assert not any("\u202e" in s or "\x00" in s for s in strings)


def test_the_portfolio_status_report_carries_the_raid_sections(tmp_path, store_url):
    folder = _run(tmp_path, store_url, "weekly")
    document = json.loads((folder / f"weekly-{AS_OF}.json").read_text("utf-8"))
    sections = {s["key"]: s for s in document["sections"]}
    assert [r["risk"] for r in sections["top_risks"]["rows"]] == [SCRIPT, FORMULA, RLO]
    assert [r["days_overdue"] for r in sections["overdue_issues"]["rows"]] == [10]
    assert [r["decision"] for r in sections["decisions_awaited"]["rows"]] == ["-2+3"]
    assert "risk_heat_map" in sections


# --- the builder over a hand-built dataset ------------------------------------------------------

DAY = date(2026, 11, 23)


def _context(**fields) -> ReportContext:
    return ReportContext(
        name="raid",
        kind="raid_log",
        title="RAID log",
        generated_at=datetime(2026, 11, 23, 7, tzinfo=UTC),
        **fields,
    )


def _dataset(items: list[RaidRow]) -> Dataset:
    return Dataset(
        as_of=DAY,
        projects=[ProjectRow("p1", TOOL, "Website", "https://a.example/w")],
        people={"u1": PersonRow("u1", "Ann Lee")},
        raid_items=items,
    )


RISKS = [
    RaidRow("r1", "p1", "risk", "Vendor", "open", "u1", probability=5, impact=4, score=20),
    RaidRow("r2", None, "risk", "Rates", "open", probability=1, impact=3, score=3),
    RaidRow("r3", "gone", "risk", "Orphan", "open"),  # unrated, a project not in the report
]


def test_a_report_with_no_raid_items_says_so_in_one_line():
    doc = build(_dataset([]), _context())
    html = render_files(doc, ["html"])[0].content.decode("utf-8")
    text = " ".join(Page(html).cell_texts())
    assert "No RAID items in scope" in text
    for line in ("No open risks", "No overdue issues", "No decisions awaited"):
        assert line not in text
    assert {f.key: f.value for f in doc.figures}["open_risks"] == 0
    assert raid_sections(_dataset([]), RaidRules()) == ()  # portfolio status: no RAID part


def test_heat_map_cells_are_shaded_by_their_score_not_their_count():
    doc = build(_dataset(RISKS), _context())
    section = doc.section("risk_heat_map")
    rows = {r["probability"].split()[0]: r for r in section.rows}
    column = {c.key: c for c in section.columns}
    # probability 5 x impact 4: one risk, score 20 -> critical (not "low" for a count of 1)
    assert rows["5"]["impact_4"] == 1
    assert shade(shade_value(column["impact_4"], rows["5"]), "risk_score")[2] == "critical"
    # probability 1 x impact 3: one risk, score 3 -> low; 4 x 4 empty, still high (16)
    assert shade(shade_value(column["impact_3"], rows["1"]), "risk_score")[2] == "low"
    assert rows["4"]["impact_4"] == 0
    assert shade(shade_value(column["impact_4"], rows["4"]), "risk_score")[2] == "high"
    assert "1 open risk(s) lack a probability or impact" in section.note  # r3
    top = doc.section("top_risks").rows
    assert [(r["project"], r["owner"]) for r in top] == [
        ("Website", "Ann Lee"),
        ("portfolio-wide", None),
        ("(project not in this report)", None),
    ]


def test_html_tables_show_at_most_eight_columns():
    doc = build(_dataset(RISKS), _context())
    for section in doc.sections:
        shown = [c for c in section.columns if not c.detail]
        assert section.detail or len(shown) <= 8, section.key


def test_figures_show_the_change_since_the_previous_report_and_rules_apply():
    previous = TrendPoint("2026-11-16", {"open_risks": 1, "high_risks": 3})
    rules = ReportRules(raid=RaidRules(top=1, high_score=3))
    doc = build(_dataset(RISKS), _context(history=(previous,), rules=rules))
    figures = {f.key: f for f in doc.figures}
    assert doc.previous_as_of == "2026-11-16"
    assert (figures["open_risks"].value, figures["open_risks"].change) == (3, 2.0)  # 3 - 1
    # scoring 3+: r1 (20) and r2 (3) = 2; was 3
    assert (figures["high_risks"].value, figures["high_risks"].change) == (2, -1.0)
    assert figures["high_risks"].label == "Risks scoring 3+"
    assert figures["overdue_issues"].change is None  # the previous report had no such figure
    assert [r["risk"] for r in doc.section("top_risks").rows] == ["Vendor"]  # top: 1
    portfolio = raid_sections(_dataset(RISKS), rules.raid)
    assert [s.key for s in portfolio] == [
        "top_risks", "risk_heat_map", "overdue_issues", "decisions_awaited"
    ]  # fmt: skip
    assert portfolio[0].html_limit == 1
