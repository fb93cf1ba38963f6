"""Deliver a report period to its targets, once each, and retry what failed before.

Targets go in a fixed order (SharePoint, folder, email, Teams) so the SharePoint link exists
before anything that points to it. Each target is checked against the store first (a period
already delivered there is skipped) and its result is recorded after, whatever happened: a
target that fails is written down and retried by a later run, and never stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date

from pmosync.config import PmosyncConfig
from pmosync.config.reports import EmailDelivery, FolderDelivery, SharePointDelivery, TeamsDelivery
from pmosync.connectors.errors import ConnectorError
from pmosync.connectors.paging import StopSignal
from pmosync.connectors.retry import RetryPolicy
from pmosync.reports.delivery import records
from pmosync.reports.delivery.card import adaptive_card
from pmosync.reports.delivery.context import GraphClients, Round
from pmosync.reports.delivery.folder import deliver_folder
from pmosync.reports.delivery.mail import deliver_email
from pmosync.reports.delivery.mime import EmailContent
from pmosync.reports.delivery.outcome import DeliveryError, DeliveryOutcome, DeliveryStatus
from pmosync.reports.delivery.scrub import config_secrets, one_line
from pmosync.reports.delivery.sharepoint import deliver_sharepoint
from pmosync.reports.delivery.targets import Target, TargetSettings, targets_of
from pmosync.reports.document import RenderedFile, ReportDocument
from pmosync.reports.snapshots import latest_snapshot, load_snapshot
from pmosync.store import Store

log = logging.getLogger(__name__)

RETRY_LIMIT = 10
"""Attempts after which an earlier period's failed target is no longer retried by later runs
(it stays in the store as failed): a mailbox that was deleted must not be tried forever."""

Render = Callable[[ReportDocument], tuple[Sequence[RenderedFile], EmailContent | None]]


def deliver_report(
    config: PmosyncConfig,
    store: Store,
    report_name: str,
    run_id: str,
    document: ReportDocument,
    files: Sequence[RenderedFile],
    email: EmailContent | None,
    *,
    stop: StopSignal | None = None,
) -> list[DeliveryOutcome]:
    """Deliver run ``run_id``'s ``document`` (rendered as ``files`` and ``email``) to every
    target of report ``report_name`` that has not had this period yet. ``stop`` (the daemon's
    shutdown) cuts every retry wait short; targets not reached are recorded failed, so the next
    run delivers them."""
    report = config.reports.get(report_name)
    if report is None:
        return []
    targets = targets_of(report)
    return _deliver(config, store, report_name, run_id, document, files, email, targets, stop)


def retry_failed(
    config: PmosyncConfig,
    store: Store,
    report_name: str,
    render: Render,
    *,
    current_period: str | None = None,
    stop: StopSignal | None = None,
) -> list[DeliveryOutcome]:
    """Deliver again what failed for earlier periods of the report, from their snapshots.

    ``current_period`` is the period this run delivers itself (default: the report date of the
    report's newest snapshot, i.e. this run's); its failures are this run's own and are left
    alone. Only targets still configured are retried, each at most ``RETRY_LIMIT`` times.
    """
    report = config.reports.get(report_name)
    if report is None:
        return []
    configured = {t.digest: t for t in targets_of(report)}
    if current_period is None:
        current_period = records.newest_period(store, report_name)
    pending: dict[str, list[records.DeliveryRecord]] = {}
    for row in records.for_report(store, report_name):
        if (
            row.status == "failed"
            and row.period != current_period
            and row.target in configured
            and row.attempts < RETRY_LIMIT
        ):
            pending.setdefault(row.period, []).append(row)
    outcomes: list[DeliveryOutcome] = []
    for period, rows in sorted(pending.items()):
        if stop is not None and stop.is_set():
            break
        targets = [t for t in configured.values() if t.digest in {r.target for r in rows}]
        outcomes += _retry_period(config, store, report_name, period, rows, targets, render, stop)
    return outcomes


def _retry_period(
    config: PmosyncConfig,
    store: Store,
    report_name: str,
    period: str,
    rows: list[records.DeliveryRecord],
    targets: list[Target],
    render: Render,
    stop: StopSignal | None,
) -> list[DeliveryOutcome]:
    run_id = rows[-1].run_id  # the newest attempt's snapshot
    document = load_snapshot(store, run_id)
    if document is None:
        found = latest_snapshot(store, report_name, date.fromisoformat(period))
        if found is not None:
            run_id, document = found
    problem: str | None = None
    if document is None:
        problem = f"no snapshot of the {period} report is left to deliver again"
    else:
        try:
            files, email = render(document)
        except Exception as error:  # noqa: BLE001 - one period's rendering must not stop others
            log.exception("re-rendering the %s report of %s failed", period, report_name)
            problem = f"could not render the {period} report again ({type(error).__name__})"
    if problem is not None or document is None:
        secrets = config_secrets(config)
        return [
            _record(store, report_name, run_id, period, t, "failed", problem, None, secrets)
            for t in targets
        ]
    return _deliver(config, store, report_name, run_id, document, files, email, targets, stop)


def _deliver(
    config: PmosyncConfig,
    store: Store,
    report_name: str,
    run_id: str,
    document: ReportDocument,
    files: Sequence[RenderedFile],
    email: EmailContent | None,
    targets: list[Target],
    stop: StopSignal | None = None,
) -> list[DeliveryOutcome]:
    period = document.as_of
    graphs = GraphClients(config, RetryPolicy().for_run(stop))
    round_ = Round(config, document, files, email, graphs, secrets=config_secrets(config))
    round_.stop = stop
    round_.link = _earlier_link(config, store, report_name, period)
    outcomes = []
    try:
        for target in targets:
            if stop is not None and stop.is_set():
                note = "shutdown requested before this delivery; the next run delivers it"
                where = (store, report_name, run_id, period, target)
                outcomes.append(_record(*where, "failed", note, None, round_.secrets))
                continue
            outcomes.append(_deliver_one(store, round_, report_name, run_id, target))
    finally:
        graphs.close()
    return outcomes


def _earlier_link(config: PmosyncConfig, store: Store, report_name: str, period: str) -> str | None:
    """The link of a SharePoint target that already has this period (a retried run)."""
    for target in targets_of(config.reports[report_name]):
        if target.kind == "sharepoint":
            found = records.find(store, report_name, period, target.digest)
            if found is not None and found.status == "delivered" and found.location:
                return found.location
    return None


def _deliver_one(
    store: Store, round_: Round, report_name: str, run_id: str, target: Target
) -> DeliveryOutcome:
    period = round_.document.as_of
    done = records.find(store, report_name, period, target.digest)
    if done is not None and done.status == "delivered":
        log.info("%s: %s already delivered for %s", report_name, target.label, period)
        return DeliveryOutcome(
            target.label, target.kind, period, "already_delivered", None, done.location
        )
    status: DeliveryStatus = "delivered"
    note: str | None = None
    location: str | None = None
    try:
        location, note = _send(round_, target.settings)
    except (ConnectorError, DeliveryError, ValueError) as error:
        status, note = "failed", str(error)
    except Exception as error:  # noqa: BLE001 - a bug in one target must not stop the others
        log.exception("delivering %s to %s failed", report_name, target.label)
        status, note = "failed", f"internal error ({type(error).__name__}): {error}"
    return _record(
        store, report_name, run_id, period, target, status, note, location, round_.secrets
    )


def _send(round_: Round, settings: TargetSettings) -> tuple[str | None, str | None]:
    """Deliver to one target: (where it landed, a note on a partial success)."""
    if isinstance(settings, SharePointDelivery):
        location = deliver_sharepoint(round_, settings)
        round_.link = round_.link or location
        return location, None
    if isinstance(settings, FolderDelivery):
        return deliver_folder(round_, settings), None
    if isinstance(settings, EmailDelivery):
        return None, deliver_email(round_, settings)
    _post_teams(round_, settings)
    return None, None


def _post_teams(round_: Round, settings: TeamsDelivery) -> None:
    from pmosync.connectors.teams import DEFAULT_POLICY, post_card

    card = adaptive_card(round_.document, round_.link)
    policy = DEFAULT_POLICY.for_run(round_.stop)
    post_card(settings.webhook_url.get_secret_value(), card, policy=policy)


def _record(
    store: Store,
    report_name: str,
    run_id: str,
    period: str,
    target: Target,
    status: DeliveryStatus,
    error: str | None,
    location: str | None,
    secrets: tuple[str, ...],
) -> DeliveryOutcome:
    return record_outcome(
        store,
        report=report_name,
        period=period,
        target=target.digest,
        label=target.label,
        kind=target.kind,
        run_id=run_id,
        status=status,
        error=error,
        location=location,
        secrets=secrets,
    )


def record_outcome(
    store: Store,
    *,
    report: str,
    period: str,
    target: str,
    label: str,
    kind: str,
    run_id: str,
    status: DeliveryStatus,
    error: str | None,
    location: str | None,
    secrets: tuple[str, ...],
) -> DeliveryOutcome:
    """Write one attempt's result (its error on one line, secrets masked), log it, and say it
    as the run's outcome: every delivery, a report target's or a reminder's, ends here."""
    text = one_line(error, secrets) if error else None
    records.record_attempt(
        store,
        report=report,
        period=period,
        target=target,
        label=label,
        run_id=run_id,
        status=status,
        error=text,
        location=location,
    )
    if status == "failed":
        log.warning("%s: delivery to %s for %s failed: %s", report, label, period, text)
    else:
        log.info("%s: delivered to %s for %s", report, label, period)
    return DeliveryOutcome(label, kind, period, status, text, location)
