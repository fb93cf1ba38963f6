"""Earned schedule (Lipke, "Schedule is Different", 2003): schedule performance in time.

Money-based SV = EV − PV and SPI = EV / PV stop seeing lateness once the plan is over: past the
planned finish PV is the whole budget, so a project finishing a year late ends with SV 0 and
SPI 1. Earned schedule asks instead *when* the plan expected the value earned so far, and
compares that moment with the time actually spent.

This module is the arithmetic only, over a cumulative PV series per period (a month in the
textbooks, a working day in pmosync's reports), so the textbook examples can be checked with
the textbook numbers:

- ES = C + (EV − PV_C) / (PV_C+1 − PV_C), C the number of whole periods whose cumulative PV
  the earned value has reached (PV_0 = 0), counted up to the planned duration;
- PD, the planned duration: the periods until the plan reaches its final value (BAC);
- SV(t) = ES − AT, SPI(t) = ES / AT and IEAC(t) = PD / SPI(t), AT being the periods elapsed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

TOLERANCE = 1e-9
"""Summed float fractions: a plan that reaches 100 % must not stop at 99.9999999 %."""


@dataclass(frozen=True, slots=True)
class TimeIndicators:
    """Earned schedule, actual time and planned duration in periods, and what follows from
    them. ``spi_t`` is None when no time has elapsed, ``ieac_t`` when SPI(t) is None or 0."""

    es: float
    at: float
    pd: int
    sv_t: float
    spi_t: float | None
    ieac_t: float | None


def planned_duration(cumulative_pv: Sequence[float]) -> int:
    """PD: the first period whose cumulative PV reaches the series' final value (BAC). Later
    periods plan nothing new, so the plan is over by then; 0 for an empty or all-zero plan."""
    if not cumulative_pv or cumulative_pv[-1] <= TOLERANCE:
        return 0
    final = cumulative_pv[-1]
    for period, pv in enumerate(cumulative_pv, start=1):
        if pv >= final - TOLERANCE:
            return period
    return len(cumulative_pv)


def earned_schedule(cumulative_pv: Sequence[float], ev: float) -> float:
    """ES in periods: the time at which the plan expected ``ev``, interpolated linearly within
    the period it falls in. ``cumulative_pv[k]`` is the planned value at the end of period
    k + 1; ``ev`` is cumulative and in the same unit. ES never exceeds PD."""
    duration = planned_duration(cumulative_pv)
    earned = max(ev, 0.0)
    previous = 0.0
    for period in range(duration):
        pv = cumulative_pv[period]
        if pv > earned + TOLERANCE:
            share = (earned - previous) / (pv - previous)
            return period + min(max(share, 0.0), 1.0)
        previous = pv
    return float(duration)


def time_indicators(cumulative_pv: Sequence[float], ev: float, at: float) -> TimeIndicators:
    """ES, SV(t), SPI(t) and IEAC(t) at actual time ``at`` (periods elapsed)."""
    es = earned_schedule(cumulative_pv, ev)
    duration = planned_duration(cumulative_pv)
    spi_t = es / at if at > 0 else None
    ieac_t = duration / spi_t if spi_t else None
    return TimeIndicators(es, at, duration, es - at, spi_t, ieac_t)
