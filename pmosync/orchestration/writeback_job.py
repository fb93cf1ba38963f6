"""The write-back job: after a report run succeeds, write its verdicts back into the tools of
the connectors that follow that report (their ``writeback.report``).

Every engine calls this one function after its report job (``pmosync run``, the daemon, the
Temporal report workflow), so write-back is scheduled by the reports' own schedules: what a
team's tool shows is what the PMO's latest published report says, never figures of a report
that failed or did not run. ``run_writeback`` itself checks the report's readiness too, so a
sync that started since the report finished holds the write-back back (``waiting``).

Write-back never runs after a ``skipped`` or ``failed`` report; a report that runs without
any connector following it costs nothing here.
"""

from __future__ import annotations

import logging
from datetime import date

from pmosync.config import PmosyncConfig
from pmosync.connectors.paging import StopSignal
from pmosync.store import Store
from pmosync.writeback.run import WritebackOutcome, run_writeback

log = logging.getLogger("pmosync.writeback")


def following(config: PmosyncConfig, report: str) -> list[str]:
    """The connectors whose write-back follows ``report``, in config order."""
    return [
        name
        for name, connector in config.connectors.items()
        if (spec := getattr(connector, "writeback", None)) is not None and spec.report == report
    ]


def writeback_after_report(
    config: PmosyncConfig,
    store: Store,
    report: str,
    status: str,
    *,
    as_of: date | None = None,
    stop: StopSignal | None = None,
) -> WritebackOutcome | None:
    """Apply the write-back of the connectors following ``report`` once a run of it ended
    with ``status``; None when that run did not succeed or no connector follows it.

    ``as_of`` is the report's date: the verdicts written are that day's, and a status
    update's period is the one that day falls in."""
    names = following(config, report)
    if status != "succeeded" or not names:
        return None
    outcome = run_writeback(config, store, apply=True, connectors=names, today=as_of, stop=stop)
    log_outcome(outcome, report)
    return outcome


def log_outcome(outcome: WritebackOutcome, report: str) -> None:
    """One line per connector, as an operator reads an unattended engine's log."""
    for result in outcome.results:
        if result.error:
            log.error("write-back %s (report %s): %s", result.connector, report, result.error)
            continue
        counts = {a: result.count(a) for a in ("write", "adopt", "conflict", "skip")}
        failed = len(result.failed)
        log.info(
            "write-back %s (report %s): %d written, %d adopted, %d conflicts, %d skipped%s",
            result.connector,
            report,
            counts["write"],
            counts["adopt"],
            counts["conflict"],
            counts["skip"] - failed,
            f", {failed} failed" if failed else "",
        )
    level = logging.INFO if outcome.status in ("succeeded", "skipped") else logging.ERROR
    log.log(
        level,
        "write-back run %s %s%s",
        outcome.run_id,
        outcome.status,
        f": {outcome.error}" if outcome.error else "",
    )
