"""Money in thousands and chart axis labels: one rule for the HTML page, the email and charts.

A PMO reads budgets as "1,380" in a column headed "Budget (k EUR)", never "1,380,000.00 EUR" in
every cell, and a burn chart's axis as "1,380k", never matplotlib's "1e6". The files (XLSX, CSV,
JSON) keep every amount whole: this is for reading, not for sums.

Thousands are rounded half up (as people round by hand, see ``cells.rounded``): from 10k on to
whole thousands ("1,380"), below that to one place ("5.3", "0.8"), and below 0.1k to two ("0.04")
so a small amount is never shown as nothing; a non-zero amount under 0.005k reads "<0.01".
"""

from __future__ import annotations

import math
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

WHOLE_FROM = 10.0
"""From this many thousands on, whole thousands are shown."""


def _half_up(value: float, places: int) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def thousands(amount: float) -> str:
    """An amount in thousands, without unit: 1_380_000 -> "1,380", 800 -> "0.8", 0 -> "0"."""
    if not math.isfinite(amount):
        return str(amount)
    if amount == 0:
        return "0"
    k = amount / 1000
    places = 0 if abs(k) >= WHOLE_FROM else 1 if abs(k) >= 0.1 else 2
    shown = _half_up(k, places)
    if shown == 0:
        return "<0.01" if amount > 0 else ">-0.01"
    return f"{shown:,.{places}f}"


def money_k(amount: float, currency: str | None = None) -> str:
    """An amount as "1,380k" (with its currency when given: "1,380k EUR")."""
    text = f"{thousands(amount)}k" if amount else "0"
    return f"{text} {currency}" if currency else text


def axis_label(value: float, y_type: str) -> str:
    """A y-axis tick as its chart's ``y_type`` says: money "1,380k", int "12", percent "40%",
    hours "1,200", date "2026-12-07" (values are ``date.toordinal()``), number "0.95"."""
    if not math.isfinite(value):
        return ""
    if y_type == "money":
        return money_k(value)
    if y_type == "int":
        return f"{round(value):,d}"
    if y_type == "percent":
        return f"{value:,.0f}%" if float(value).is_integer() else f"{value:,.1f}%"
    if y_type == "hours":
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    if y_type == "date":
        ordinal = round(value)
        if 1 <= ordinal <= date.max.toordinal():
            return date.fromordinal(ordinal).isoformat()
        return ""
    return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"
