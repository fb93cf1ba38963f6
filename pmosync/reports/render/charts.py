"""One PNG per ``Chart``, drawn with matplotlib's Agg canvas and no pyplot.

pyplot keeps global figure state, which leaks between threads (the daemon renders reports in
worker threads); a ``Figure`` on its own ``FigureCanvasAgg`` has none, and picks the Agg backend
explicitly whatever ``MPLBACKEND`` says. Every label comes from a source (project, person and
series names), so mathtext parsing is switched off on every text: "$5k $overrun" is drawn as
typed instead of raising a parse error. Long labels are shortened so a 2,000-character name
cannot squash the plot, the output size is fixed (``WIDTH_PX`` x ``HEIGHT_PX``), and a None
value is a gap (no bar, a break in the line), never a zero.

The y axis reads as its ``Chart.y_type`` says (``units.axis_label``): money in thousands
("1,380k", never "1e6"), counts on whole ticks only (no "2.5 findings"), percents with "%",
dates as dates; every axis but a date's starts at zero. A chart with fewer than two x positions
holding data is no trend: it is not drawn at all (:func:`drawn`), in the page, the email or the
files.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from pmosync.reports.document import Chart
from pmosync.reports.render.cells import OTHER_RAG, RAG_STYLES, as_text
from pmosync.reports.render.units import axis_label

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.0, 150
PAGE_DPI = 80
"""A one-pager's chart (``Chart.page``, a board pack's) is printed a third of a page wide:
640 x 320 pixels are sharp there, and a pack of hundreds of projects stays a few MB."""
WIDTH_PX, HEIGHT_PX = int(WIDTH_IN * DPI), int(HEIGHT_IN * DPI)
LABEL_CHARS = 32
LEGEND_ENTRIES = 12
RAG_COLORS = {
    **{rag: background for rag, (background, _, _) in RAG_STYLES.items()},
    "grey": OTHER_RAG[0],
    "gray": OTHER_RAG[0],
}
"""RAG names as colours: the badge colours, so a RAG chart matches the tables."""
PALETTE = ("#3b6ea5", "#e07b39", "#5a9e6f", "#8c6bb1", "#c4a000", "#4aa3b5", "#a0522d", "#7f7f7f")
FONT_SIZE = 9


def shorten(label: str, limit: int = LABEL_CHARS) -> str:
    """``label`` on one line, without control characters or bidirectional overrides (as every
    text a report shows, see ``cells.as_text``), and at most ``limit`` characters (an
    ellipsis marks a cut)."""
    text = " ".join(as_text(label).split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _color(name: str | None, index: int) -> str:
    from matplotlib.colors import is_color_like

    if isinstance(name, str):
        lowered = name.strip().lower()
        if lowered in RAG_COLORS:
            return RAG_COLORS[lowered]
        if is_color_like(name):
            return name
    return PALETTE[index % len(PALETTE)]


def _values(values: Sequence[object], length: int) -> list[float]:
    """The series' values fitted to the x labels: None, text and NaN become NaN (a gap)."""
    out: list[float] = []
    for value in list(values)[:length]:
        number = (
            float(value)
            if isinstance(value, int | float) and not isinstance(value, bool)
            else math.nan
        )
        out.append(number if math.isfinite(number) else math.nan)
    return out + [math.nan] * (length - len(out))


def drawn(charts: Sequence[Chart]) -> list[Chart]:
    """The charts worth drawing: those with data at two x positions or more (a lone dot on a
    first run says nothing about a trend)."""
    return [chart for chart in charts if chart.points() >= 2]


def _y_axis(axes, y_type: str) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    if y_type in ("int", "date"):
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: axis_label(value, y_type)))


def render_chart(chart: Chart, dpi: float = DPI) -> bytes:
    """The chart as a PNG of exactly ``WIDTH_PX`` x ``HEIGHT_PX`` pixels; at another ``dpi``,
    the same ``WIDTH_IN`` x ``HEIGHT_IN`` inches in that many dots (``PAGE_DPI``: fewer)."""
    from matplotlib import rc_context

    # Source names are text, never mathtext: every text made while drawing (tick labels are
    # made late, during the draw itself) is created with parsing off.
    with rc_context({"text.parse_math": False}):
        buffer = io.BytesIO()
        figure = draw(chart)
        if dpi != DPI:
            figure.set_dpi(dpi)
        figure.canvas.print_png(buffer, metadata={"Software": None})
        return buffer.getvalue()


def draw(chart: Chart):
    """The chart as a matplotlib ``Figure`` on its own Agg canvas (``render_chart`` prints
    it; a test reads its axes)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if chart.kind == "scatter":
        return _draw_scatter(figure, axes, chart)
    x_labels = [shorten(label) for label in chart.x]
    series = list(chart.series)
    positions = list(range(len(x_labels)))
    handles = _draw(axes, chart.kind, positions, series, len(x_labels))
    axes.set_title(shorten(chart.title, 90), fontsize=FONT_SIZE + 2, loc="left", parse_math=False)
    if chart.y_label:
        axes.set_ylabel(shorten(chart.y_label, 50), fontsize=FONT_SIZE, parse_math=False)
    axes.set_xticks(positions, x_labels, parse_math=False)
    widest = max((len(label) for label in x_labels), default=0)
    rotate = len(x_labels) > 6 or widest * len(x_labels) > 90
    axes.tick_params(axis="x", labelsize=FONT_SIZE - (1 if rotate else 0))
    axes.tick_params(axis="y", labelsize=FONT_SIZE)
    y_type = chart.y_type if isinstance(chart.y_type, str) else "number"
    _y_axis(axes, y_type)
    if y_type != "date" and handles and axes.get_ylim()[0] > 0:
        # Amounts, hours, counts and percents are read from zero: a cumulative S-curve whose
        # axis starts at 180k would make a 10 % gap between EV and PV look like a chasm.
        axes.set_ylim(bottom=0)
    if rotate:
        for tick in axes.get_xticklabels():
            tick.set_rotation(40)
            tick.set_horizontalalignment("right")
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    if not handles:
        axes.text(0.5, 0.5, "No data", transform=axes.transAxes, ha="center", va="center")
        axes.set_yticks([])
    elif len(series) > 1 or series[0].name:
        _legend(figure, handles)
    return figure


def _legend(figure, handles: list) -> None:
    shown = handles[:LEGEND_ENTRIES]
    figure.legend(
        [handle for handle, _ in shown],
        [label for _, label in shown],
        loc="outside lower center",
        ncols=min(len(shown), 4),
        fontsize=FONT_SIZE - 1,
        frameon=False,
    )


def _draw_scatter(figure, axes, chart: Chart):
    """A scatter: each series' points at (``Series.x``, ``values``) on two numeric axes read
    from zero, a series per colour and legend entry (value vs cost, the selected set apart);
    a point missing either coordinate is left out, never drawn at 0."""
    from matplotlib.ticker import FuncFormatter

    handles: list = []
    for index, series in enumerate(chart.series):
        length = min(len(series.x), len(series.values))
        xs, ys = _values(series.x, length), _values(series.values, length)
        points = [(x, y) for x, y in zip(xs, ys, strict=True) if not (math.isnan(x + y))]
        if not points:
            continue
        label = shorten(series.name) if series.name else f"Series {index + 1}"
        dots = axes.scatter(
            [x for x, _ in points],
            [y for _, y in points],
            s=30,
            color=_color(series.color, index),
            alpha=0.85,
            edgecolors="white",
            linewidths=0.4,
        )
        handles.append((dots, label))
    axes.set_title(shorten(chart.title, 90), fontsize=FONT_SIZE + 2, loc="left", parse_math=False)
    if chart.y_label:
        axes.set_ylabel(shorten(chart.y_label, 50), fontsize=FONT_SIZE, parse_math=False)
    if chart.x_label:
        axes.set_xlabel(shorten(chart.x_label, 60), fontsize=FONT_SIZE, parse_math=False)
    axes.tick_params(labelsize=FONT_SIZE)
    y_type = chart.y_type if isinstance(chart.y_type, str) else "number"
    x_type = chart.x_type if isinstance(chart.x_type, str) else "number"
    _y_axis(axes, y_type)
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: axis_label(value, x_type)))
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    if not handles:
        axes.text(0.5, 0.5, "No data", transform=axes.transAxes, ha="center", va="center")
        axes.set_xticks([])
        axes.set_yticks([])
        return figure
    if x_type != "date" and axes.get_xlim()[0] > 0:
        axes.set_xlim(left=0)
    if y_type != "date" and axes.get_ylim()[0] > 0:
        axes.set_ylim(bottom=0)
    _legend(figure, handles)
    return figure


def _draw(axes, kind: str, positions: list[int], series: list, length: int) -> list:
    """Draw the series on ``axes``; their (legend handle, label) pairs, none if no data.

    Handles are kept by hand: matplotlib's own legend drops labels that start with "_".
    """
    data = [_values(s.values, length) for s in series]
    if not positions or not any(not math.isnan(v) for row in data for v in row):
        return []
    handles: list = []
    labels = [shorten(s.name) if s.name else f"Series {i + 1}" for i, s in enumerate(series)]
    colors = [_color(s.color, i) for i, s in enumerate(series)]
    if kind == "line":
        for values, label, color in zip(data, labels, colors, strict=True):
            (line,) = axes.plot(positions, values, marker="o", markersize=3, color=color)
            handles.append((line, label))
    elif kind == "stacked_bar":
        bottoms = [0.0] * length
        for values, label, color in zip(data, labels, colors, strict=True):
            shown = [(p, v, b) for p, v, b in zip(positions, values, bottoms, strict=True)]
            shown = [(p, v, b) for p, v, b in shown if not math.isnan(v)]
            bars = axes.bar(
                [p for p, _, _ in shown],
                [v for _, v, _ in shown],
                bottom=[b for _, _, b in shown],
                color=color,
                width=0.6,
            )
            handles.append((bars, label))
            bottoms = [b if math.isnan(v) else b + v for v, b in zip(values, bottoms, strict=True)]
    else:
        width = 0.8 / len(series)
        for index, (values, label, color) in enumerate(zip(data, labels, colors, strict=True)):
            offset = (index - (len(series) - 1) / 2) * width
            shown = [(p + offset, v) for p, v in zip(positions, values, strict=True)]
            shown = [(p, v) for p, v in shown if not math.isnan(v)]
            bars = axes.bar([p for p, _ in shown], [v for _, v in shown], width=width, color=color)
            handles.append((bars, label))
    return handles
