"""One report run, end to end: compute, freeze, render, keep locally, deliver, record.

The order is what makes a run safe to retry. The figures are frozen as a snapshot before
anything is rendered, the files are kept in the output folder before anything is sent, and each
delivery is recorded per target and report date, so a run that fails half-way is repaired by the
next one without recomputing the past or sending anything twice.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pmosync.config import PmosyncConfig
from pmosync.reports.asof import AS_OF_FIGURE, HistoryNotCovering, basis_text, check_covered
from pmosync.reports.atomic import remove_stale_parts, write_atomically
from pmosync.reports.collector import collector_paused
from pmosync.reports.dataset import end_of_day, load_dataset
from pmosync.reports.document import Figure, RenderedFile, ReportDocument
from pmosync.reports.intake_scores import keep_scores, previous_scores
from pmosync.reports.kinds import DATASET_PARTS, ReportContext, builder
from pmosync.reports.metrics.calendar import WorkingCalendar, calendar_for
from pmosync.reports.readiness import check_readiness, with_data_age
from pmosync.reports.snapshots import history, load_snapshot, save_snapshot
from pmosync.store import Store, StoreError

if TYPE_CHECKING:
    from pmosync.connectors.paging import StopSignal
    from pmosync.reports.delivery import DeliveryOutcome
    from pmosync.reports.metrics.intake import Scored
    from pmosync.reports.render import EmailHtml

log = logging.getLogger(__name__)

REPORT_KIND = "report"
INTAKE_KIND = "intake_pipeline"
"""The kind whose runs keep each request's score when it changed (``reports.intake_scores``)."""
CALENDAR_YEARS = 10
"""Public holidays are looked up this many years either side of the report date."""


@dataclass(frozen=True)
class ReportOutcome:
    """What one report run did: its ledger run, files kept, and each delivery."""

    run_id: str
    name: str
    status: str  # succeeded | failed | skipped (its data was not ready: ``error`` says why)
    as_of: date | None = None
    error: str | None = None
    folder: Path | None = None
    files: tuple[Path, ...] = ()
    deliveries: tuple[DeliveryOutcome, ...] = field(default_factory=tuple)


def compute_document(
    config: PmosyncConfig,
    store: Store,
    name: str,
    as_of: date,
    generated_at: datetime | None = None,
    scored: list[Scored] | None = None,
) -> ReportDocument:
    """The figures of report ``name`` as of ``as_of``, from the store as it is now.

    ``scored`` (an intake_pipeline report) receives every score the document was built from,
    for the run to keep (``intake_scores.keep_scores``)."""
    report = config.reports[name]
    filters = report.filters
    calendar = organisation_calendar(config, as_of)
    context = ReportContext(
        name=name,
        kind=report.kind,
        title=report.title or name,
        generated_at=generated_at or datetime.now(UTC),
        rules=report.rules,
        resources=config.resources,
        filters={key: list(values) for key, values in filters.model_dump().items() if values},
        history=history(store, name, as_of),
        calendar=calendar,
        timezone=calendar.zone,
        intake=config.intake,
        previous_scores=(previous_scores(store, as_of) if report.kind == INTAKE_KIND else {}),
        scored=scored,
    )
    with collector_paused():
        dataset = load_dataset(
            store,
            filters,
            as_of,
            DATASET_PARTS[report.kind],
            zone=config.organisation.zone(),
            status_sources=status_sources(config),
        )
        document = builder(report.kind)(dataset, context)
    return with_as_of_basis(document, dataset.reconstructed)


def with_as_of_basis(document: ReportDocument, reconstructed: bool) -> ReportDocument:
    """``document`` with an "As of" headline figure when its projects, tasks and budgets were
    reconstructed from the store's history (a back-dated report), unchanged otherwise."""
    if not reconstructed:
        return document
    day = date.fromisoformat(document.as_of)
    figure = Figure(AS_OF_FIGURE, "As of", basis_text(day), type="text")
    return replace(document, figures=(figure, *document.figures))


def check_history_covers(config: PmosyncConfig, store: Store, as_of: date) -> None:
    """Raise ``HistoryNotCovering`` when ``as_of`` ended (in the organisation's zone) before
    the store's field history begins: its report could not be reconstructed. ``report --as-of``
    asks first, so the refusal is one line and no run; a scheduled run finds it as a failure."""
    end = end_of_day(as_of, config.organisation.zone())
    if end <= datetime.now(UTC):
        with store.engine.connect() as connection:
            check_covered(connection, as_of, end)


def status_sources(config: PmosyncConfig) -> frozenset[str]:
    """The connectors whose tools post status updates (each connector model says), so only
    their projects can be flagged for a missing or stale update."""
    return frozenset(
        name for name, connector in config.connectors.items() if connector.yields_status_updates
    )


def organisation_calendar(config: PmosyncConfig, as_of: date) -> WorkingCalendar:
    """The organisation's working calendar and zone, with public holidays for the years a
    report around ``as_of`` can reach (plans run years either side of the report date)."""
    settings = config.organisation
    return calendar_for(
        settings.calendar,
        as_of.year - CALENDAR_YEARS,
        as_of.year + CALENDAR_YEARS,
        settings.zone(),
    )


def render(
    document: ReportDocument,
    formats: Sequence[str],
    with_email: bool,
    csv_delimiter: str = ",",
    missing: list[str] | None = None,
) -> tuple[list[RenderedFile], EmailHtml | None]:
    """The report's files and, when an email goes out, its HTML with cid images.

    A format this machine cannot render (the PDF engine's library missing) is left out and its
    one-line reason added to ``missing``: the other files are still kept and delivered. Without
    ``missing`` it raises ``render.FormatsNotRendered``.
    """
    from pmosync.reports.render import FormatsNotRendered, chart_images, email_html, render_files

    drawing = with_email or any(name in formats for name in ("html", "pdf"))
    charts = chart_images(document) if drawing else None
    try:
        files = render_files(document, formats, charts, csv_delimiter=csv_delimiter)
    except FormatsNotRendered as error:
        if missing is None:
            raise
        files = error.files
        if str(error) not in missing:
            missing.append(str(error))
    return files, (email_html(document, charts) if with_email else None)


class FilesNotKept(Exception):
    """The output folder cannot take the files (missing mount, permissions, disk full)."""


def keep_files(
    folder: Path, files: Sequence[RenderedFile], *, parts_before: datetime | None = None
) -> list[Path]:
    """Write ``files`` into ``folder``, each atomically (a crash never leaves half a file).

    ``parts_before`` (the run's start) also removes the hidden parts a killed run left there.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if parts_before is not None:
            remove_stale_parts(folder, parts_before)
        for rendered in files:
            write_atomically(folder / rendered.name, rendered.content)
    except OSError as error:
        reason = error.strerror or str(error)
        raise FilesNotKept(f"cannot keep the report's files in {folder}: {reason}") from None
    return [folder / rendered.name for rendered in files]


def output_folder(config: PmosyncConfig, document: ReportDocument, out: Path | None) -> Path:
    """Where a run keeps its files: ``--out``, else ``<output_dir>/<report>-<as_of>``."""
    from pmosync.reports.render import file_stem

    return out if out is not None else config.output_path / file_stem(document)


def run_report(
    config: PmosyncConfig,
    store: Store,
    name: str,
    as_of: date | None = None,
    *,
    out: Path | None = None,
    deliver: bool = True,
    allow_stale: bool = False,
    stop: StopSignal | None = None,
) -> ReportOutcome:
    """Run report ``name`` as of ``as_of`` (default today), recorded as a ledger run.

    It runs only on data whose syncs have finished (``reports.readiness``): while a sync runs,
    or before the first sync of a connector it reads has completed, the run is recorded as
    ``skipped`` with the reason and nothing is computed or sent (``allow_stale`` runs it all the
    same, the document saying its data is incomplete). Old data runs, and the document says so.

    The run fails when the report could not be computed, or kept when it has no target, or
    when a delivery failed; a failed delivery is retried by the next run of the same report.
    Files that cannot be kept locally are one warning when the report has targets. ``stop``
    (a shutdown) cuts the deliveries' retry waits short; what it left undelivered is failed and
    delivered by the next run.
    """
    as_of = as_of or config.reports[name].as_of or config.organisation.today()
    report = config.reports[name]
    started = datetime.now(UTC)
    readiness = check_readiness(config, store, name)
    run_id = store.ledger.start_run(REPORT_KIND, name)
    if readiness.waiting is not None and not allow_stale:
        _finish(store, run_id, "skipped", f"waiting: {readiness.waiting}")
        return ReportOutcome(run_id, name, "skipped", as_of, f"waiting: {readiness.waiting}")
    targets = report.deliver if deliver else []
    with_email = any(target.kind == "email" for target in targets)
    missing: list[str] = []  # formats this machine cannot render: the run fails, saying why
    scored: list[Scored] = []  # an intake pipeline's scores, computed once for both uses
    try:
        with collector_paused():  # one pause for the whole computation: see reports.collector
            document = compute_document(config, store, name, as_of, scored=scored)
            document = with_data_age(document, readiness, started)
            save_snapshot(store, run_id, document)
            if report.kind == INTAKE_KIND and as_of == config.organisation.today():
                # today's scores only: a back-dated run's are a reconstruction, not a change
                keep_scores(store, scored, config.intake.models, as_of, run_id)
            files, email = render(
                document, report.formats, with_email, report.csv_delimiter, missing
            )
        folder = output_folder(config, document, out)
        try:
            kept = keep_files(folder, files, parts_before=started)
        except FilesNotKept as error:
            if not targets:  # the kept files are all this run makes
                raise
            # The local copy is a convenience: the targets still get the report.
            log.warning("report %s: %s; delivering it anyway", name, error)
            kept = []
        outcomes: list[DeliveryOutcome] = []
        if targets:
            from pmosync.reports.delivery import deliver_report, retry_failed

            outcomes += deliver_report(
                config, store, name, run_id, document, files, email, stop=stop
            )
            outcomes += retry_failed(
                config,
                store,
                name,
                lambda doc: render(doc, report.formats, with_email, report.csv_delimiter, missing),
                stop=stop,
            )
        if deliver and report.reminders is not None and report.reminders.enabled:
            from pmosync.reports.delivery.reminders import send_reminders

            outcomes += send_reminders(config, store, name, run_id, document)
    except (StoreError, HistoryNotCovering) as error:
        return _failed(store, run_id, name, as_of, str(error))
    except FilesNotKept as error:
        return _failed(store, run_id, name, as_of, str(error))
    except Exception as error:  # a bug: the run says so, the traceback goes to the caller
        _finish(store, run_id, "failed", f"internal error ({type(error).__name__}): {error}")
        raise
    failed = [o for o in outcomes if o.status == "failed"]
    error = "; ".join([*missing, *(f"{o.label}: {o.error}" for o in failed)]) or None
    status = "failed" if failed or missing else "succeeded"
    _finish(store, run_id, status, error)
    kept_in = folder if kept else None
    return ReportOutcome(run_id, name, status, as_of, error, kept_in, tuple(kept), tuple(outcomes))


def _failed(store: Store, run_id: str, name: str, as_of: date, message: str) -> ReportOutcome:
    _finish(store, run_id, "failed", message)
    return ReportOutcome(run_id, name, "failed", as_of, message)


def _finish(store: Store, run_id: str, status: str, error: str | None) -> None:
    # If the store went away mid-run, the next run marks this one interrupted.
    with contextlib.suppress(StoreError):
        store.ledger.finish_run(run_id, status, error)


def rerender(
    config: PmosyncConfig, store: Store, run_id: str, out: Path | None = None
) -> tuple[ReportDocument, list[Path]] | None:
    """Render the snapshot of an earlier run again, exactly as it was (nothing recomputed).

    Formats are the report's current ones (all four when the report is no longer configured).
    None when that run kept no snapshot.
    """
    document = load_snapshot(store, run_id)
    if document is None:
        return None
    report = config.reports.get(document.report)
    formats = report.formats if report is not None else ["html", "xlsx", "csv", "json"]
    delimiter = report.csv_delimiter if report is not None else ","
    missing: list[str] = []
    files, _ = render(document, formats, False, delimiter, missing)
    for reason in missing:  # the other formats are kept all the same
        log.warning("report %s: %s", document.report, reason)
    return document, keep_files(output_folder(config, document, out), files)
