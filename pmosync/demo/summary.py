"""The few lines a newcomer reads at the end of ``pmosync demo``: what was synced, where the
reports and emails are, which projects need attention and why, and what to try next."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from pmosync.demo.config_file import INTAKE_REPORT
from pmosync.demo.tour import OVER_CPI, UNDER_CPI, TourResult
from pmosync.store.writer import WriteCounts

REASON_LIMIT = 110
ATTENTION_LIMIT = 8


def summary_lines(
    result: TourResult, world_urls: tuple[str, str, str], program: str = "pmosync"
) -> list[str]:
    """The summary of one run, as plain lines (no colour: it is also read in CI logs).

    ``program`` is how the reader runs pmosync (``.venv/bin/pmosync`` after ``make demo``), so
    the commands it suggests work when pasted."""
    lines = [_headline(result), ""]
    asana_url, graph_url, dataverse_url = world_urls
    lines.append(
        f"Sandboxes on 127.0.0.1: Asana {asana_url}, Microsoft Graph {graph_url}, "
        f"Dataverse {dataverse_url}"
    )
    if result.incremental and result.changed_tasks:
        lines.append(
            f"Since the last run the teams edited, added or deleted {result.changed_tasks} "
            "tasks and posted a status update."
        )
    lines += ["", *_sync_lines(result, program), "", *_report_lines(result)]
    lines += ["", *_delivery_lines(result), *_writeback_lines(result)]
    lines += ["", *_cost_lines(result), *_attention_lines(result)]
    lines += ["", *_next_lines(result, program)]
    return lines


def _headline(result: TourResult) -> str:
    kind = "an incremental sync" if result.incremental else "a first, full sync"
    outcome = "finished" if not result.failed else "finished with failures (see above)"
    return (
        f"pmosync demo {outcome} in {result.seconds:.0f} s: run {result.run_number} of this "
        f"demo organisation, {kind}."
    )


def _sync_lines(result: TourResult, program: str) -> list[str]:
    how = "incrementally" if result.incremental else "in full"
    spent = f"{result.requests:,} API requests"
    if result.incremental and result.first_requests:
        spent += f"; the first, full sync made {result.first_requests:,}"
    store = _shown(result.folder / "pmosync.db")
    lines = [f"Synced {how} in {result.sync_seconds:.1f} s ({spent}) into {store}:"]
    lines.append(f"  {'connector':<12}{'new':>7}{'changed':>9}{'deleted':>9}{'unchanged':>11}"
                 f"{'quarantined':>13}{'requests':>10}")  # fmt: skip
    quarantined = 0
    for connector in result.sync.connectors:
        totals = WriteCounts()
        for stream in connector.streams:
            totals.add(stream.counts)
        quarantined += totals.quarantined
        lines.append(
            f"  {connector.name:<12}{totals.inserted:>7,}{totals.updated:>9,}{totals.deleted:>9,}"
            f"{totals.unchanged:>11,}{totals.quarantined:>13,}{totals.requests:>10,}"
        )
        if connector.failed:
            lines.append(f"    failed: {connector.error or 'a stream failed'}")
    if result.premium_projects:
        names = ", ".join(result.premium_projects)
        lines.append(
            f"  {len(result.premium_projects)} Planner premium plans ({names}), which Graph's "
            "Planner API does not show, came from Dataverse"
        )
    if quarantined:
        lines.append(
            f"  {quarantined} record(s) could not be mapped and wait in the quarantine, the rest "
            f"synced: {program} quarantine list -c {_shown(result.config_path)}"
        )
    return lines


def _report_lines(result: TourResult) -> list[str]:
    if not result.reports:
        return ["No reports are configured."]
    as_of = result.reports[0].as_of
    lines = [f"Reports as of {as_of}, kept in {_shown(result.folder / 'out')}/:"]
    for outcome in result.reports:
        folder = _shown(outcome.folder) + "/" if outcome.folder else "no files kept"
        names = ", ".join(path.name for path in outcome.files)
        lines.append(f"  {outcome.name:<12} {outcome.status:<10} {folder}  {names}")
        if outcome.error:
            lines.append(f"    {outcome.error}")
    return lines


def _delivery_lines(result: TourResult) -> list[str]:
    statuses = Counter(
        (delivery.kind, delivery.status)
        for outcome in result.reports
        for delivery in outcome.deliveries
    )
    lines = ["Delivered:"]
    if result.emails:
        lines.append(
            f"  email: {len(result.emails)} messages through the local SMTP sink, kept as "
            f"{_shown(result.emails[0].parent)}/*.eml (any mail client opens them)"
        )
    if result.sharepoint:
        lines.append(
            f"  SharePoint sandbox, PMO site: {len(result.sharepoint)} files under "
            f"{_common_folder(result.sharepoint)}, {result.list_items} items in its "
            f"'Project status' list; copies in {_shown(result.folder / 'out' / 'sharepoint')}/"
        )
    repeated = sum(n for (_, status), n in statuses.items() if status == "already_delivered")
    if repeated:
        lines.append(
            f"  {repeated} deliveries skipped: each report date goes to each target once, and "
            "an earlier run already delivered today's"
        )
    failed = [
        f"{outcome.name} -> {delivery.label}: {delivery.error}"
        for outcome in result.reports
        for delivery in outcome.deliveries
        if delivery.status == "failed"
    ]
    lines += [f"  failed: {line}" for line in failed]
    return lines if len(lines) > 1 else ["Nothing was delivered."]


FIELD_WORDS = {
    "status_update": "status updates",
    "rag_field": "PMO RAG values",
    "label": "plan labels",
    "status_task": "status tasks",
    "status_note": "status notes",
}


def _writeback_lines(result: TourResult) -> list[str]:
    """What write-back wrote into each tool, counted per connector and per owned field."""
    lines: list[str] = []
    for outcome in result.writebacks:
        run = f" (run {outcome.run_id[:8]})" if outcome.run_id else ""
        lines += ["", f"Written back into the teams' tools{run}, the portfolio report's RAG:"]
        for connector in outcome.results:
            if connector.error:
                lines.append(f"  {connector.connector:<12}failed: {connector.error}")
                continue
            written = Counter(c.field for c in connector.changes if c.action == "write")
            parts = [f"{n} {FIELD_WORDS.get(name, name)}" for name, n in sorted(written.items())]
            line = f"  {connector.connector:<12}{sum(written.values())} written"
            line += f" ({', '.join(parts)})" if parts else ""
            others = [
                f"{connector.count('adopt')} already shown" if connector.count("adopt") else "",
                f"{connector.count('conflict')} conflicts" if connector.count("conflict") else "",
                f"{len(connector.failed)} failed" if connector.failed else "",
            ]
            lines.append("; ".join([line, *filter(None, others)]))
    return lines


def _cost_lines(result: TourResult) -> list[str]:
    """The portfolio's cost performance in two lines (none without a money total)."""
    cost = result.cost
    if cost is None or cost.cpi is None:
        return []
    unit = cost.currency or "money"
    lines = [f"Portfolio CPI {cost.cpi:.2f} ({cost.projects} projects in flight, in {unit})"]
    if cost.over:
        named = ", ".join(f"{name} {cpi:.2f}" for name, cpi in cost.over)
        lines.append(f"  over budget (CPI below {OVER_CPI:.2f}): {named}")
    if cost.under:
        named = ", ".join(f"{name} {cpi:.2f}" for name, cpi in cost.under)
        lines.append(f"  under budget (CPI above {UNDER_CPI:.2f}): {named}")
    return [*lines, ""]


def _attention_lines(result: TourResult) -> list[str]:
    if not result.attention:
        return ["No project is red or amber by the portfolio report's rules."]
    counts = Counter(item.rag for item in result.attention)
    lines = [
        f"Projects needing attention (computed RAG): {counts['red']} red, {counts['amber']} amber"
    ]
    for item in result.attention[:ATTENTION_LIMIT]:
        reasons = item.reasons if len(item.reasons) <= REASON_LIMIT else (
            item.reasons[: REASON_LIMIT - 1] + "…")  # fmt: skip
        claimed = f" (reports {item.reported})" if item.reported else ""
        lines.append(
            f"  {item.rag.upper():<6}{item.project}{claimed}: {reasons or 'see the report'}"
        )
    if len(result.attention) > ATTENTION_LIMIT:
        lines.append(f"  … and {len(result.attention) - ATTENTION_LIMIT} more in the report")
    return lines


def _next_lines(result: TourResult, program: str) -> list[str]:
    config = _shown(result.config_path)
    html = next(
        (path for outcome in result.reports for path in outcome.files if path.suffix == ".html"),
        None,
    )
    lines = ["Next:"]
    if html is not None:
        lines.append(f"  open {_shown(html)} in a browser")
    intake = next(
        (
            path
            for outcome in result.reports
            if outcome.name == INTAKE_REPORT
            for path in outcome.files
            if path.suffix == ".html"
        ),
        None,
    )
    if intake is not None:
        lines.append(
            f"  open {_shown(intake)}: the project requests ranked under three scoring "
            "models, and the selection that fits the funding and people left"
        )
    lines += [
        f"  read {config}: the configuration that did all this",
        f"  {program} status -c {config}: what each stream did",
        f"  {program} report list -c {config}: the report jobs and their schedules",
    ]
    if result.writebacks:
        lines.append(
            f"  {program} writeback plan -c {config}: what write-back would change next "
            "(nothing, until the figures move)"
        )
    if not result.incremental:
        lines.append(
            "  run `make demo` again: the teams do a week of work, the sync is incremental"
        )
    lines.append("  the 10-minute tour: README.md")
    return lines


def _common_folder(paths: list[str]) -> str:
    parents = {path.rsplit("/", 1)[0] for path in paths}
    return parents.pop() + "/" if len(parents) == 1 else "Reports/"


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is below it (shorter to read)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
