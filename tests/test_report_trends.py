"""The trend pieces in documents: the S-curve chart, the milestone trend chart (dates as
ordinal days) and the baseline vs forecast table, alone and in the portfolio status report,
from the hand-worked datasets of the metric tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from test_metrics_milestone_trend import BASELINES, HISTORY, TASKS
from test_metrics_scurve import RESOURCES, small_project

from pmosync.config.reports import ReportRules
from pmosync.reports.dataset import MilestoneVersion, ProjectRow
from pmosync.reports.document import ReportDocument, TrendPoint
from pmosync.reports.kinds import ReportContext, builder
from pmosync.reports.kinds.trends import milestone_section, mta_chart, scurve_chart
from pmosync.reports.metrics.calendar import PLAIN
from pmosync.reports.metrics.milestone_trend import milestone_trends, report_dates
from pmosync.reports.metrics.scurve import SCurve

AS_OF = date(2026, 3, 25)
PROJECTS = {
    "p1": ProjectRow("p1", "asana", "Apollo", "https://asana/p1"),
    "p2": ProjectRow("p2", "asana", "Borealis"),
}


def context(history: tuple[TrendPoint, ...] = (), **rules) -> ReportContext:
    return ReportContext(
        name="weekly",
        kind="portfolio_status",
        title="Weekly",
        generated_at=datetime(2026, 3, 25, 7, tzinfo=UTC),
        rules=ReportRules(**rules),
        resources=RESOURCES,
        history=history,
        calendar=PLAIN,
    )


def trends():
    dates = report_dates(AS_OF, [date(2026, 3, 20)], 3)
    return milestone_trends(TASKS, HISTORY, BASELINES, dates, AS_OF, PLAIN)


def test_scurve_chart_is_pv_ev_ac_over_week_ends():
    curve = SCurve(
        "money", "EUR", AS_OF, (date(2026, 3, 22), AS_OF, date(2026, 3, 29)),
        (10.0, 20.0, 30.0), (5.0, 15.0, None), (4.0, 12.0, None), date(2026, 3, 16),
        date(2026, 3, 27),
    )  # fmt: skip
    chart = scurve_chart(curve, "S-curve", page="Apollo")
    assert chart is not None
    assert (chart.key, chart.kind, chart.y_type, chart.y_label, chart.page) == (
        "scurve_money_eur", "line", "money", "EUR", "Apollo",
    )  # fmt: skip
    assert chart.x == ("2026-03-22", "2026-03-25", "2026-03-29")
    assert {s.name: s.values for s in chart.series} == {
        "PV": (10.0, 20.0, 30.0),
        "EV": (5.0, 15.0, None),
        "AC": (4.0, 12.0, None),
    }
    hours = SCurve("hours", None, AS_OF, (AS_OF,), (1.0,), (1.0,), (1.0,), AS_OF, AS_OF)
    assert scurve_chart(hours, "one point") is None  # no trend to draw
    assert scurve_chart(None, "no curve") is None


def test_mta_chart_draws_the_most_slipped_as_ordinal_dates():
    chart = mta_chart(trends(), PROJECTS, count=2)
    assert chart is not None
    assert (chart.kind, chart.y_type) == ("line", "date")
    assert chart.x == ("2026-03-04", "2026-03-11", "2026-03-18", "2026-03-20", "2026-03-25")
    # the two that slipped most: Design signed off (10 working days vs baseline), Training
    # (5 since its first forecast); each labelled with its project on a portfolio chart
    ordinal = date.toordinal
    assert {s.name: s.values for s in chart.series} == {
        "Design signed off (Apollo)": tuple(
            float(ordinal(date(2026, 3, day))) for day in (13, 13, 20, 27, 27)
        ),
        "Training (Borealis)": tuple(
            float(ordinal(date(2026, month, day)))
            for month, day in ((4, 10), (4, 10), (4, 10), (4, 10), (4, 17))
        ),
    }
    # on a one-pager the project goes without saying
    one = mta_chart(trends(), PROJECTS, page="Apollo", key="mta_p1", count=1)
    assert one is not None and one.series[0].name == "Design signed off"
    # nothing known at two dates: no chart
    lone = milestone_trends(TASKS, {}, BASELINES, [AS_OF], AS_OF, PLAIN)
    assert mta_chart(lone, PROJECTS) is None


def test_baseline_vs_forecast_table():
    section = milestone_section(trends(), PROJECTS)
    shown = [c.key for c in section.columns if not c.detail]
    assert shown == ["milestone", "project", "baseline", "forecast", "slip_days", "status"]
    assert len(section.columns) <= 8
    first = section.rows[0]
    assert first == {
        "milestone": "Design signed off",
        "url": None,
        "project": "Apollo",
        "project_url": "https://asana/p1",
        "baseline": "2026-03-13",
        "forecast": "2026-03-27",
        "slip_days": 10,
        "status": "overdue",
        "moved_days": 10,  # its first forecast was the baseline date, Fri 13 Mar: 10 days
        "first_forecast": "2026-03-13",
    }
    assert [r["status"] for r in section.rows] == [
        "overdue", "slipping", "slipping", "no date", "on track", "done",
    ]  # fmt: skip
    # Kick-off was done on 9 Mar: old news for a report whose trend starts on the 10th
    recent = milestone_section(trends(), PROJECTS, done_since=date(2026, 3, 10))
    assert [r["milestone"] for r in recent.rows if r["status"] == "done"] == []
    assert len(recent.rows) == len(section.rows) - 1 and "2026-03-10" in (recent.note or "")
    kept = milestone_section(trends(), PROJECTS, done_since=date(2026, 3, 9))
    assert [r["milestone"] for r in kept.rows if r["status"] == "done"] == ["Kick-off"]
    empty = milestone_section(milestone_trends([], {}, {}, [AS_OF], AS_OF), PROJECTS)
    assert empty.rows == () and empty.empty == "No milestones."


def test_portfolio_status_shows_the_scurve_mta_and_baseline_vs_forecast_on_a_first_run():
    dataset = small_project()
    # the milestone "Go live" (due 27 Mar) was first due on 20 Mar, moved on 16 Mar
    dataset.milestone_history = {
        "m": (
            MilestoneVersion(datetime(2026, 3, 1, 9, tzinfo=UTC), date(2026, 3, 20), None),
            MilestoneVersion(datetime(2026, 3, 16, 9, tzinfo=UTC), date(2026, 3, 27), None),
        )
    }
    doc = builder("portfolio_status")(dataset, context(scurve_weeks=None, mta_weeks=2))
    charts = {c.key: c for c in doc.charts}
    curve = charts["scurve_money_eur"]
    assert curve.x == ("2026-03-08", "2026-03-15", "2026-03-22", "2026-03-25", "2026-03-29")
    # the week-by-week figures worked by hand in test_metrics_scurve
    assert {s.name: s.values for s in curve.series} == {
        "PV": pytest.approx((4800, 7200, 10800, 11520, 12000)),
        "EV": pytest.approx((4800, 4800, 4800, 10800, None)),
        "AC": pytest.approx((1600, 2900, 4100, 4500, None)),
    }
    # report dates: 11 and 18 Mar (two weeks back) and as_of
    mta = charts["milestone_trend"]
    assert mta.x == ("2026-03-11", "2026-03-18", "2026-03-25")
    assert mta.series[0].values == tuple(
        float(date(2026, 3, day).toordinal()) for day in (20, 27, 27)
    )
    section = doc.section("baseline_vs_forecast")
    assert [(r["milestone"], r["forecast"], r["status"]) for r in section.rows] == [
        ("Go live", "2026-03-27", "slipping")  # no baseline: later than its first forecast
    ]
    # the document round-trips with its new pieces
    assert ReportDocument.from_json(doc.to_json()) == doc
    # an earlier run's date joins the report dates
    later = builder("portfolio_status")(
        dataset,
        context((TrendPoint("2026-03-13", {}),), mta_weeks=1),
    )
    assert next(c for c in later.charts if c.key == "milestone_trend").x == (
        "2026-03-13", "2026-03-18", "2026-03-25",
    )  # fmt: skip


def test_window_of_weeks_limits_the_curve():
    doc = builder("portfolio_status")(small_project(), context(scurve_weeks=1))
    curve = next(c for c in doc.charts if c.key == "scurve_money_eur")
    # one week end back, as_of, one week end ahead
    assert curve.x == ("2026-03-22", "2026-03-25", "2026-03-29")
