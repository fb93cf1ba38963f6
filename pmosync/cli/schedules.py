"""When the configured reports run next, in words the commands print (``run``, ``report list``).

Ticks are the daemon's and ``pmosync run``'s own (croniter, in the organisation's time zone:
``organisation.timezone``, else the machine's), so what is printed is when the report will
actually come due.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pmosync.config import PmosyncConfig


def next_runs(config: PmosyncConfig, now: datetime) -> dict[str, datetime]:
    """Each scheduled report's first tick after ``now`` (read in the organisation's zone),
    soonest first."""
    from pmosync.orchestration.cron import next_tick

    zone = config.organisation.zone()
    ticks = {
        name: next_tick(report.schedule, now, zone)
        for name, report in config.reports.items()
        if report.schedule
    }
    return dict(sorted(ticks.items(), key=lambda item: item[1]))


def when(moment: datetime) -> str:
    """``2026-12-07 07:00 CET``: the moment in its own zone, to the minute (seconds only when
    not zero)."""
    text = moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M")
    zone = moment.strftime("%Z")
    return f"{text} {zone}" if zone else text
