"""ReportDocuments built by hand for the renderer tests: every value typed in here, so each test
knows the truth it checks without asking the code under test."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from html.parser import HTMLParser

from pmosync.reports.document import Chart, Column, Figure, ReportDocument, Section, Series

AS_OF = "2026-11-23"
GENERATED_AT = "2026-11-23T07:00:00+00:00"
LONG_NAME = ("Programme to consolidate every regional warehouse system " * 40)[:2000]
HOSTILE_NAMES = (
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3",
    "\t=1+1",
    "\r=1+1",
    LONG_NAME,
    "مشروع ترحيل البيانات",  # Arabic (right to left)
    "פרויקט הגירה",  # Hebrew (right to left)
    "Launch 🚀 party 🎉 👩🏽‍💻",
    'Quote " and <b>bold</b> & ampersand',
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

PROJECT_COLUMNS = (
    Column("name", "Project", "text", link="url"),
    Column("owner", "Owner"),
    Column("reported_rag", "Reported RAG", "rag"),
    Column("computed_rag", "Computed RAG", "rag"),
    Column("pct_complete", "% complete", "percent"),
    Column("budget", "Budget", "money"),
    Column("ac", "Actual cost", "money"),
    Column("currency", "Currency"),
    Column("cpi", "CPI", "ratio"),
    Column("sv_days", "SV (days)", "days"),
    Column("hours", "Hours logged", "hours"),
    Column("open_tasks", "Open tasks", "int"),
    Column("due", "Due", "date"),
    Column("disagrees", "RAG disagrees", "flag"),
)

NORTHWIND = {
    "name": "Northwind Migration",
    "url": "https://app.asana.com/0/1200000000000001/list",
    "owner": "Dana Ortiz",
    "reported_rag": "green",
    "computed_rag": "red",
    "pct_complete": 62.5,
    "budget": 120000.0,
    "ac": 98765.43,
    "currency": "EUR",
    "cpi": 0.87,
    "sv_days": -12,
    "hours": 1234.5,
    "open_tasks": 1234,
    "due": "2026-12-31",
    "disagrees": True,
}
HARBOR = {
    "name": "Harbor Portal",
    "url": "javascript:alert(document.cookie)",
    "owner": None,
    "reported_rag": "amber",
    "computed_rag": "amber",
    "pct_complete": None,
    "budget": None,
    "ac": 0.0,
    "currency": "USD",
    "cpi": None,
    "sv_days": 3,
    "hours": 0.0,
    "open_tasks": 0,
    "due": None,
    "disagrees": False,
}
BLUE_LAKE = {
    "name": "Blue Lake",
    "url": "http://planner.example.test/plan/42",
    "owner": "Sam Lee",
    "reported_rag": "blue",
    "computed_rag": "complete",
    "pct_complete": 100.0,
    "budget": 5000.0,
    "ac": 5250.5,
    "currency": "GBP",
    "cpi": 1.05,
    "sv_days": 0,
    "hours": 40.0,
    "open_tasks": 7,
    "due": "2026-10-01",
    "disagrees": False,
}
PROJECT_ROWS = (NORTHWIND, HARBOR, BLUE_LAKE)

FIGURES = (
    Figure("projects", "Projects", 47, "int"),
    Figure("red", "Projects red", 3, "int", rag="red"),
    Figure("ac", "Actual cost (EUR)", 98765.43, "money"),
    Figure("cpi", "Portfolio CPI", 0.87, "ratio"),
    Figure("spi", "Portfolio SPI", None, "ratio"),
    Figure("complete", "Complete (effort)", 62.5, "percent"),
)

CHARTS = (
    Chart(
        "rag_counts",
        "Projects by computed RAG",
        "bar",
        ("green", "amber", "red", "blue"),
        (Series("Projects", (12.0, 5.0, 3.0, 1.0), "#3b6ea5"),),
        "projects",
    ),
    Chart(
        "trend",
        "SPI and CPI by week",
        "line",
        ("2026-W44", "2026-W45", "2026-W46", "2026-W47"),
        (
            Series("SPI", (0.95, None, 0.91, 0.9), "#3b6ea5"),
            Series("CPI", (0.9, 0.89, None, 0.87), "#e07b39"),
        ),
    ),
)


def findings(count: int) -> tuple[dict, ...]:
    """``count`` governance findings, numbered from 1."""
    return tuple(
        {
            "rule": "overdue_unassigned",
            "project": f"Project {n}",
            "item": f"Task {n}",
            "detail": f"due {n} days ago, nobody assigned",
            "url": f"https://app.asana.com/0/1/{n}",
        }
        for n in range(1, count + 1)
    )


FINDING_COLUMNS = (
    Column("rule", "Rule"),
    Column("project", "Project"),
    Column("item", "Item", link="url"),
    Column("detail", "Detail"),
)


def portfolio_doc(
    rows: Sequence[dict] = PROJECT_ROWS,
    finding_count: int = 120,
    html_limit: int | None = 50,
    report: str = "weekly-portfolio",
    charts: tuple[Chart, ...] = CHARTS,
) -> ReportDocument:
    """A portfolio-status-like report: figures, two charts, projects, many findings."""
    return ReportDocument(
        report=report,
        kind="portfolio_status",
        title="Weekly portfolio status",
        as_of=AS_OF,
        generated_at=GENERATED_AT,
        filters={"portfolio": ["Operations", "Digital"], "owner": ["dana@contoso.test"]},
        figures=FIGURES,
        charts=charts,
        sections=(
            Section(
                "projects",
                "Projects",
                PROJECT_COLUMNS,
                tuple(rows),
                note="Costs in other currencies are not converted (2 entries).",
            ),
            Section(
                "findings",
                "Governance findings",
                FINDING_COLUMNS,
                findings(finding_count),
                html_limit=html_limit,
            ),
        ),
        trend={"rag": {"green": 12, "amber": 5, "red": 3}, "cpi": 0.87},
    )


def hostile_doc(names: Sequence[str] = HOSTILE_NAMES) -> ReportDocument:
    """One project row per hostile name; the names are also the owner, filter, figure label,
    section note, chart labels and report title."""
    rows = tuple(
        {**NORTHWIND, "name": name, "owner": name, "url": f"https://example.test/p/{n}"}
        for n, name in enumerate(names)
    )
    return ReportDocument(
        report="hostile names",
        kind="portfolio_status",
        title=names[0],
        as_of=AS_OF,
        generated_at=GENERATED_AT,
        filters={"portfolio": list(names)},
        figures=(Figure("x", names[1], 1, "int"),),
        charts=(
            Chart("names", names[0], "bar", tuple(names), (Series(names[2], (1.0,) * len(names)),)),
        ),
        sections=(
            Section("projects", "Projects", PROJECT_COLUMNS, rows, note=names[0], html_limit=None),
        ),
    )


class Page(HTMLParser):
    """An HTML page as a browser's parser sees it: tags with attributes, text per element."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.text_in: list[tuple[str, dict[str, str | None], str]] = []
        self.chains: list[tuple[str, tuple[tuple[str, dict[str, str | None]], ...]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag not in ("meta", "img", "br", "link", "input"):
            self.stack.append((tag, attributes))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        self.texts.append(data)
        if self.stack:
            tag, attributes = self.stack[-1]
            self.text_in.append((tag, attributes, data))
            self.chains.append((data, tuple(self.stack)))

    def elements(self, tag: str) -> list[dict[str, str | None]]:
        return [attributes for name, attributes in self.tags if name == tag]

    def text(self) -> str:
        return "".join(self.texts)

    def cell_texts(self) -> list[str]:
        """The text of each element that holds text directly, stripped."""
        return [data.strip() for _, _, data in self.text_in if data.strip()]

    def enclosing(self, text: str, tag: str) -> list[dict[str, str | None]]:
        """The attributes of the nearest ``tag`` around each text node equal to ``text``."""
        found = []
        for data, chain in self.chains:
            if data.strip() == text:
                found += [attrs for name, attrs in reversed(chain) if name == tag][:1]
        return found

    def links(self) -> dict[str, str]:
        """Link text -> href of every <a>."""
        out = {}
        for tag, attributes, data in self.text_in:
            if tag == "a":
                out[data] = attributes.get("href") or ""
        return out


# A realistic portfolio page for the width tests: 30 projects with long names, one 200-character
# unbroken name and a long URL as text, eight visible columns (the rest detail), highlights, a
# cards section of status texts, a heat-map column, empty sections and a one-point chart.
UNBROKEN = "Apollo" + "X" * 194  # 200 characters without a break opportunity
LONG_URL_TEXT = "https://contoso.sharepoint.com/sites/pmo/" + "very-long-folder-name/" * 12
_PROJECT_COLUMN = {column.key: column for column in PROJECT_COLUMNS}
_SHOWN = ("name", "owner", "reported_rag", "computed_rag", "pct_complete", "budget", "ac", "due")
READABLE_COLUMNS = (
    *(_PROJECT_COLUMN[key] for key in _SHOWN),
    *(replace(_PROJECT_COLUMN[key], detail=True) for key in ("currency", "cpi", "hours")),
)
"""PROJECT_COLUMNS' eight columns shown in HTML, and three of the rest in the files only."""
RAGS = ("green", "amber", "red", "green", "amber")


def readable_projects(count: int = 30) -> tuple[dict, ...]:
    """``count`` EUR projects: names long enough to wrap, one unbroken, one a URL."""
    rows = []
    for n in range(1, count + 1):
        name = f"Apollo Website Relaunch and Customer Portal Consolidation Wave {n}"
        if n == 2:
            name = UNBROKEN
        if n == 3:
            name = LONG_URL_TEXT
        rows.append(
            {
                **NORTHWIND,
                "name": name,
                "url": f"https://app.asana.com/0/12000000000{n:05d}/list",
                "owner": "Maximilian Alexander Oppenheimer-Rodríguez" if n % 3 else "Dana Ortiz",
                "reported_rag": RAGS[n % 5],
                "computed_rag": RAGS[(n + 1) % 5],
                "budget": 1_380_000.0 + n * 1000,
                "ac": 987_654.32,
            }
        )
    return tuple(rows)


STATUS_TEXT = (
    "Cut-over rehearsal slipped a week because the vendor's test environment was not ready; "
    "mitigation agreed with procurement. See " + LONG_URL_TEXT + " for the plan. " * 3
)


def readable_doc(count: int = 30) -> ReportDocument:
    """What a PMO reads on Monday: tiles with changes, highlights, 30 projects, status cards,
    a utilisation heat-map column, one empty section with its line and one without."""
    from pmosync.reports.document import Highlight

    return ReportDocument(
        report="weekly-portfolio",
        kind="portfolio_status",
        title="Weekly portfolio status",
        as_of="2026-12-07",
        generated_at="2026-12-07T07:00:00+00:00",
        filters={"portfolio": ["Operations", "Digital"]},
        figures=(
            Figure("projects", "Projects", count, "int", change=2),
            Figure("red", "Projects red", 7, "int", rag="red", change=-1),
            Figure("budget", "Budget (EUR)", 41_400_000.0, "money", change=0),
            Figure("cpi", "Portfolio CPI", 0.87, "ratio"),
            Figure("complete", "Complete (effort)", 62.5, "percent", change=1.5),
        ),
        highlights=(
            Highlight("Apollo Website Relaunch Wave 4 turned red: vendor delay", "red"),
            Highlight("Harbor Portal recovered to green", "green", "https://app.asana.com/0/1/2"),
            Highlight(UNBROKEN, None),
        ),
        previous_as_of="2026-11-30",
        charts=(
            CHARTS[0],
            Chart(
                "burn",
                "Portfolio burn over time",
                "line",
                ("2026-W49",),
                (Series("Actual cost", (1_380_000.0,)),),
                y_type="money",
            ),
        ),
        sections=(
            Section("projects", "Projects", READABLE_COLUMNS, readable_projects(count)),
            Section(
                "status",
                "Status updates",
                (
                    Column("project", "Project"),
                    Column("rag", "RAG", "rag"),
                    Column("author", "Author"),
                    Column("date", "Date", "date"),
                    Column("text", "Update"),
                ),
                tuple(
                    {
                        "project": f"Apollo Website Relaunch Wave {n}",
                        "rag": RAGS[n % 5],
                        "author": "Dana Ortiz",
                        "date": "2026-12-04",
                        "text": STATUS_TEXT,
                    }
                    for n in range(1, 6)
                ),
                layout="cards",
            ),
            Section(
                "utilisation",
                "Utilisation",
                (
                    Column("person", "Person"),
                    Column("week", "Week"),
                    Column("util", "Utilisation", "percent", shade="utilisation"),
                ),
                (
                    {"person": "Dana Ortiz", "week": "2026-W49", "util": 45.0},
                    {"person": "Sam Lee", "week": "2026-W49", "util": 120.0},
                ),
            ),
            Section(
                "expenses",
                "Expenses and invoices",
                (Column("item", "Item"), Column("amount", "Amount", "money")),
                (),
                empty="No expenses or invoices in the period.",
            ),
            Section("leave", "Leave this week", (Column("person", "Person"),), ()),
        ),
    )
