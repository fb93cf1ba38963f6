"""Benefit-cost ratio, return on investment and net present value of a request.

A request states one estimated cost and one estimated benefit, in one currency; these turn
them into the figures a portfolio board compares. They are ratios of the request's own money
(BCR and ROI work in any currency); NPV is money in the request's currency.

NPV's timing convention (docs/reports.md repeats it): the cost is spent at once at the start
(year 0, not discounted), and the estimated benefit arrives in equal parts at the end of each of
``finance.years`` years, each part discounted at ``finance.discount_rate`` per year:

    NPV = -cost + sum over t = 1..years of (benefit / years) / (1 + rate)^t

rounded to the cent.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from pmosync.config.intake import Finance

CENT = Decimal("0.01")


def bcr(cost: Decimal | None, benefit: Decimal | None) -> float | None:
    """Benefit / cost; None without both, or when the cost is 0 (nothing to divide by)."""
    if cost is None or benefit is None or cost == 0:
        return None
    return float(benefit / cost)


def roi(cost: Decimal | None, benefit: Decimal | None) -> float | None:
    """(benefit - cost) / cost: what each unit spent returns beyond itself; None as ``bcr``."""
    if cost is None or benefit is None or cost == 0:
        return None
    return float((benefit - cost) / cost)


def npv(cost: Decimal | None, benefit: Decimal | None, finance: Finance) -> Decimal | None:
    """Net present value: the cost now, the benefit in equal parts at the end of each year,
    discounted; None without both cost and benefit."""
    if cost is None or benefit is None:
        return None
    present = benefit * annuity_factor(finance.discount_rate, finance.years)
    return (present - cost).quantize(CENT, rounding=ROUND_HALF_UP)


@lru_cache(maxsize=32)
def annuity_factor(rate: float, years: int) -> Decimal:
    """What 1 of benefit spread over ``years`` is worth today: the sum over t = 1..years of
    (1 / years) / (1 + rate)^t. Computed once per model, not once per request."""
    factor = 1 + Decimal(str(rate))
    return sum((1 / (years * factor**t) for t in range(1, years + 1)), Decimal(0))
