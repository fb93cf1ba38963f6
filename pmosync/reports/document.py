"""A computed report as data: headline figures, sections of typed rows, and chart series.

Metrics produce a ``ReportDocument``; every renderer (HTML, XLSX, CSV, JSON, charts) reads only
this. It is also the frozen snapshot a run stores, so a past report re-renders exactly and trend
charts come from history rather than from recomputing the past against today's data.

Values are JSON values: ``str``, ``int``, ``float``, ``bool`` or ``None``; dates are ISO strings
and the column type says how to show them. ``None`` in a figure or cell means *undefined* (a CPI
with no cost yet, a ratio over zero): renderers show it as such, never as 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Shade = Literal["utilisation", "risk_score"]
"""How a heat-map cell is coloured by its value (``render.cells.shade`` holds the bands):
utilisation is a percent of capacity (over 100 flagged), risk_score a 1-25 probability x impact
score (the 5x5 matrix's low/medium/high/critical bands)."""
Layout = Literal["table", "cards"]
"""How HTML shows a section: a table, or one block per row ("cards": the first column as a
heading, the last as a paragraph of free text, the others as short label: value lines), for rows
holding prose such as status-update texts."""
YType = Literal["number", "int", "money", "percent", "hours", "date"]
"""What a chart's y values are, so its axis reads as such: whole counts (no halves), money in
thousands (never "1e6"), or dates (values are ``date.toordinal()`` days)."""

ValueType = Literal[
    "text",  # free text from a source (escaped in HTML; never a formula in a spreadsheet)
    "int",
    "number",  # a plain decimal figure, 2 places
    "money",  # an amount; the row's "currency" key (or the column's currency) names the unit
    "hours",
    "percent",  # 0..100 (not 0..1); may exceed 100 for utilisation
    "ratio",  # SPI, CPI: 2-3 places
    "date",  # ISO date string
    "days",  # a signed whole number of days
    "change",  # a signed whole-number change since the previous report (+2, -1, 0)
    "rag",  # green|amber|red|blue|complete, shown as a badge
    "flag",  # bool: a yes/no marker (over-allocated, disagrees)
]

UNDEFINED_TEXT = "n/a"
"""How every renderer shows an undefined figure."""


@dataclass(frozen=True)
class Column:
    """One column of a section. ``link`` names the row key holding a URL for this cell. A
    ``detail`` column is for the files only (XLSX, CSV, JSON): the HTML page and the email
    leave it out, so a wide table stays readable there."""

    key: str
    title: str
    type: ValueType = "text"
    link: str | None = None
    detail: bool = False
    shade: Shade | None = None
    """Colour the cell's background by its value (a heat-map column), or by the row's
    ``<key>__shade`` number when the row has one (see :func:`shade_value`)."""
    note: str | None = None
    """A row key whose text HTML shows under this cell's value, in small type (the computed
    RAG's reason under its badge), so one column says both; the files give the note its own
    column (the section's column of that key, else one titled "<title>: note")."""


SHADE_SUFFIX = "__shade"
"""A row key ``<column key>__shade`` holds the number a shaded cell is coloured by, when that is
not the value it shows: a 5x5 risk matrix cell shows how many risks sit there and is coloured by
its position's score (probability x impact), so a cell of 3 low risks is not drawn as "low" for
being 3. Files do not show the key (it is no column); a renderer colours by it."""


def shade_value(column: Column, row: dict[str, Any]) -> Any:
    """The value ``column``'s shading reads in ``row``: its ``<key>__shade`` number when the row
    holds one, else the cell's own value (None when the column is not shaded)."""
    if column.shade is None:
        return None
    return row.get(column.key + SHADE_SUFFIX, row.get(column.key))


@dataclass(frozen=True)
class Section:
    """A table: one XLSX sheet, one CSV file, one HTML table.

    ``key`` is a short slug (a-z, 0-9, _) used for the sheet and the CSV file name. ``html_limit``
    caps the rows shown in HTML and email (the files always hold every row); the HTML says how
    many more there are. A ``detail`` section is for the files only (XLSX, CSV, JSON): the HTML
    page and the email name it and leave its table out, so the page stays readable.
    """

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[dict[str, Any], ...]
    note: str | None = None
    html_limit: int | None = 50
    detail: bool = False
    layout: Layout = "table"
    page: str | None = None
    """The one-pager this section belongs to (a project's name in a board pack); None: the
    report's main part. Renderers keep each page's sections and charts together."""
    empty: str | None = None
    """The one line HTML shows instead of the table when there are no rows (e.g. "No expenses
    or invoices in the period."); None: an empty section is left out of HTML altogether."""


@dataclass(frozen=True)
class Highlight:
    """One line of "what changed this period" in an executive summary."""

    text: str
    rag: str | None = None
    """A RAG word colouring its marker (red for "turned red"), or None."""
    link: str | None = None


@dataclass(frozen=True)
class Figure:
    """A headline number at the top of the report ("Projects red: 3")."""

    key: str
    label: str
    value: Any
    type: ValueType = "int"
    rag: str | None = None
    """Colour the figure like a RAG badge (e.g. the red-projects count is red when > 0)."""
    change: float | None = None
    """The change since the previous report (``ReportDocument.previous_as_of``); None when
    there is no earlier report to compare with."""


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]
    color: str | None = None
    x: tuple[float | None, ...] = ()
    """A scatter's x value of each point (``values`` are their y); other kinds leave it empty
    and share the chart's ``x`` labels."""


@dataclass(frozen=True)
class Chart:
    """Data for one PNG chart; ``x`` are the category labels (weeks, dates, RAG values).

    A ``scatter`` has no categories: each series holds its points' x (``Series.x``) and y
    (``Series.values``), read on a numeric x axis of ``x_type`` titled ``x_label`` (value vs
    cost: a series per set, so the selected requests are their own colour and legend entry).
    """

    key: str
    title: str
    kind: Literal["bar", "stacked_bar", "line", "scatter"]
    x: tuple[str, ...]
    series: tuple[Series, ...]
    y_label: str = ""
    y_type: YType = "number"
    page: str | None = None
    """As ``Section.page``: the one-pager the chart belongs to."""
    x_label: str = ""
    x_type: YType = "number"
    """A scatter's x axis: its title and what its values are (money, hours...)."""

    def points(self) -> int:
        """How many x positions hold at least one value (a scatter: how many points have both
        coordinates): a chart of fewer than two is not a trend and is not drawn."""
        if self.kind == "scatter":
            return sum(
                1
                for s in self.series
                for x, y in zip(s.x, s.values, strict=False)
                if x is not None and y is not None
            )
        return sum(
            1
            for i in range(len(self.x))
            if any(i < len(s.values) and s.values[i] is not None for s in self.series)
        )


@dataclass(frozen=True)
class ReportDocument:
    """Everything one report run computed; JSON round-trips exactly."""

    report: str
    kind: str
    title: str
    as_of: str
    generated_at: str
    filters: dict[str, list[str]] = field(default_factory=dict)
    figures: tuple[Figure, ...] = ()
    charts: tuple[Chart, ...] = ()
    sections: tuple[Section, ...] = ()
    trend: dict[str, Any] = field(default_factory=dict)
    """This run's point for later trend charts (e.g. RAG counts, % complete, AC/EV/PV)."""
    highlights: tuple[Highlight, ...] = ()
    """The executive summary's "what changed this period" lines, shown first."""
    previous_as_of: str | None = None
    """The as-of date of the earlier report that ``Figure.change`` compares with."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReportDocument:
        return cls(
            report=data["report"],
            kind=data["kind"],
            title=data["title"],
            as_of=data["as_of"],
            generated_at=data["generated_at"],
            filters={k: list(v) for k, v in (data.get("filters") or {}).items()},
            figures=tuple(Figure(**f) for f in data.get("figures") or ()),
            highlights=tuple(Highlight(**h) for h in data.get("highlights") or ()),
            previous_as_of=data.get("previous_as_of"),
            charts=tuple(
                Chart(
                    key=c["key"],
                    title=c["title"],
                    kind=c["kind"],
                    x=tuple(c["x"]),
                    series=tuple(
                        Series(
                            s["name"], tuple(s["values"]), s.get("color"), tuple(s.get("x") or ())
                        )
                        for s in c["series"]
                    ),
                    y_label=c.get("y_label", ""),
                    y_type=c.get("y_type", "number"),
                    page=c.get("page"),
                    x_label=c.get("x_label", ""),
                    x_type=c.get("x_type", "number"),
                )
                for c in data.get("charts") or ()
            ),
            sections=tuple(
                Section(
                    key=s["key"],
                    title=s["title"],
                    columns=tuple(Column(**col) for col in s["columns"]),
                    rows=tuple(dict(r) for r in s["rows"]),
                    note=s.get("note"),
                    html_limit=s.get("html_limit"),
                    detail=bool(s.get("detail", False)),
                    layout=s.get("layout", "table"),
                    page=s.get("page"),
                    empty=s.get("empty"),
                )
                for s in data.get("sections") or ()
            ),
            trend=dict(data.get("trend") or {}),
        )

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


@dataclass(frozen=True)
class TrendPoint:
    """An earlier run's ``trend`` figures, for charts over time."""

    as_of: str
    trend: dict[str, Any]


@dataclass(frozen=True)
class RenderedFile:
    """One output file of a report run."""

    name: str
    content: bytes
    media_type: str
