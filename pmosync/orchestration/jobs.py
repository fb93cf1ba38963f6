"""Report jobs as the scheduler sees them: which are due (running one is `reports.job`).

``due_reports`` is what ``pmosync run`` asks after its sync: a report is due when its schedule
ticked since it last ran, so cron, a systemd timer or a CronJob can call ``pmosync run`` as often
as they like and each report still runs once per tick. The daemon runs reports on their ticks
itself and records them the same way, so switching between the two never runs a report twice.
"""

from __future__ import annotations

from datetime import datetime

from pmosync.config import PmosyncConfig
from pmosync.orchestration.cron import latest_tick
from pmosync.reports.job import REPORT_KIND
from pmosync.store import Store


def due_reports(config: PmosyncConfig, store: Store, now: datetime) -> list[str]:
    """The scheduled reports whose latest tick at or before ``now`` is later than their last
    run (any outcome but ``skipped``: a run skipped because its data was not ready stays due,
    so it runs next time once the sync has finished); a scheduled report that never ran is
    due. In the config's order.

    Ticks are read in the organisation's time zone (``organisation.timezone``, else the
    machine's); a naive ``now`` is a time in that zone.
    """
    scheduled = {name: r.schedule for name, r in config.reports.items() if r.schedule}
    if not scheduled:
        return []
    last_run = store.ledger.last_runs(REPORT_KIND, ignore=("skipped",))
    zone = config.organisation.zone()
    return [
        name
        for name, schedule in scheduled.items()
        if name not in last_run or latest_tick(schedule, now, zone) > last_run[name][0]
    ]
