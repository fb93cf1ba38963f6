"""What computing and rendering the four reports costs against merely reading their rows.

Builds, in a fresh SQLite store, a canonical organisation (M: 200 projects in 8 portfolios,
50,000 tasks, 400 people, 100,000 time entries over 16 weeks, allocations, budgets, costs,
status updates; S: about a twentieth) by upserting canonical records through the store's one
write path in pages of 1,000, one transaction each. That setup is not timed (it goes to stderr).

The store holds a field history spanning more than 30 days, as a store that has synced for weeks
does. The bench-only way to get one without waiting: the writer's clock. Each page is written
with ``writer.now`` (the public attribute every version's ``valid_from`` is taken from) set 45
days back, a third of the tasks that are done being written then as still in progress; half of
those are written done 20 days back, the other half 5 days back. Production code is untouched.
The organisation is generated for today (``AS_OF``), so today's reports read the live rows.

Then, timed in the same run:

- ``scan_s``, the baseline: for each kind, every live row of the tables that kind reads (always
  project, portfolio, portfolio_item, person, person_identity; then its own: all of them for
  portfolio_status, time entries and allocations for utilisation, time entries for compliance,
  tasks, assignments, budgets and status updates for governance), only the columns the report
  dataset holds, fetched with plain SQLAlchemy Core selects into Python tuples, nothing else;
- ``reports_s``: each of portfolio_status, resource_utilisation, timesheet_compliance and
  governance computed from the store (``compute_document``) and rendered to HTML and XLSX, the
  files written to disk;
- ``asof_reports_s``: the same four as of 30 days ago, reconstructed from the field history
  (``history_rows`` versions); ``asof_ratio`` = asof_reports_s / reports_s, target <= 2.

- ``pdf_s``: the board pack (summary and a one-pager per project, each with its milestone
  trend and S-curve, at most ``kinds.board_pack.PACK_LIMIT`` pages of them) computed and
  rendered as PDF, in a process of its own: its peak memory is ``pdf_peak_rss_mb``, apart from
  the four reports' ``peak_rss_mb``; ``pdf_kb`` is the file's size.

Both are timed twice. The first ("cold") pass pays what a fresh process pays once: SQL
statements compiled, Jinja templates compiled, matplotlib's fonts and XlsxWriter loaded;
it is what ``pmosync run`` from cron costs. The second pass is what the daemon, which keeps
running, pays each time; ``reports_s``, ``scan_s`` and ``ratio`` are that pass, ``cold_*`` the
first. ``ratio`` = reports_s / scan_s; targets on M: ratio <= 3 and peak RSS < 500 MB. The libraries
the report path imports on first use (matplotlib, XlsxWriter, jinja2) are imported before the
clock starts and reported apart as ``imports_s``: a constant per process, not a cost of the data.

    python bench/reports.py [--size S|M]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _canonical_org import SIZES, CanonicalOrg  # noqa: E402
from _measure import emit, peak_rss_mb  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from pmosync.canonical import ENTITIES, Task  # noqa: E402
from pmosync.canonical.tables import ENTITY_TABLES  # noqa: E402
from pmosync.store import Store  # noqa: E402
from pmosync.store.schema import record_history  # noqa: E402

if TYPE_CHECKING:
    from pmosync.config import PmosyncConfig

AS_OF = date.today()
BACK_DAYS = 30
"""The back-dated reports are as of this many days before AS_OF."""
FIRST_SYNC_DAYS, EDIT_DAYS = 45, (20, 5)
"""How many days back the world was first written, and its two later rounds of edits."""
SEED = 2026
PAGE = 1000
KINDS = ("portfolio_status", "resource_utilisation", "timesheet_compliance", "governance")
FORMATS = ["html", "xlsx"]

SCAN_COLUMNS: dict[str, tuple[str, ...]] = {
    "project": (
        "id",
        "source",
        "name",
        "source_url",
        "owner_identity_id",
        "team",
        "status",
        "rag",
        "start_date",
        "due_date",
        "completed_at",
    ),
    "portfolio": ("id", "source", "name", "source_url"),
    "portfolio_item": ("portfolio_id", "project_id"),
    "task": (
        "id",
        "project_id",
        "name",
        "source_url",
        "parent_id",
        "is_milestone",
        "status",
        "start_date",
        "due_date",
        "completed_at",
        "created_at",
        "percent_complete",
        "estimate_hours",
    ),
    "assignment": ("task_id", "identity_id"),
    "person": ("id", "name", "email", "active"),
    "person_identity": ("id", "source", "person_id", "name", "email"),
    "time_entry": ("identity_id", "project_id", "entry_date", "minutes", "task_id"),
    "allocation": ("identity_id", "project_id", "start_date", "end_date", "hours", "percent"),
    "budget": ("project_id", "amount", "measure", "currency"),
    "cost_entry": (
        "project_id",
        "entry_date",
        "amount",
        "currency",
        "category",
        "identity_id",
        "vendor",
        "description",
    ),
    "status_update": ("project_id", "posted_at", "rag", "title", "author_identity_id"),
    "leave": ("identity_id", "start_date", "end_date", "hours_per_day", "kind"),
    "raid_item": (
        "id",
        "project_id",
        "kind",
        "title",
        "status",
        "owner_identity_id",
        "raised_on",
        "due_date",
        "closed_on",
        "probability",
        "impact",
        "score",
        "mitigation",
        "resolution",
        "source_url",
    ),
}
"""The columns the report dataset (``pmosync.reports.dataset``) holds, by table."""


def log(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _written(store: Store, records: list, days_back: int) -> None:
    """One page in one transaction, its versions valid from ``days_back`` days ago."""
    with store.writer() as writer:
        writer.now = datetime.now(UTC) - timedelta(days=days_back)
        writer.upsert(records)


def build_store(store: Store, size: str) -> dict[str, int]:
    """Upsert the organisation page by page, one transaction each, with the history described
    above; returns counts by entity."""
    org = CanonicalOrg(SIZES[size], AS_OF, seed=SEED)
    later: list[Task] = []
    done = 0
    for page in org.pages(PAGE):
        first = []
        for record in page:
            if isinstance(record, Task) and record.status == "done":
                done += 1
                if done % 3 == 0:
                    later.append(record)
                    update = {"status": "in_progress", "completed_at": None}
                    record = record.model_copy(update={**update, "percent_complete": 50.0})
            first.append(record)
        _written(store, first, FIRST_SYNC_DAYS)
    for round_, days_back in enumerate(EDIT_DAYS):
        edits = later[round_ :: len(EDIT_DAYS)]
        for start in range(0, len(edits), PAGE):
            _written(store, edits[start : start + PAGE], days_back)
    return org.counts.by_entity


def history_rows(store: Store) -> int:
    with store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(record_history)) or 0


ALWAYS = ("project", "portfolio", "portfolio_item", "person", "person_identity")
TABLES_OF_PART = {
    "tasks": ("task", "assignment"),
    "time_entries": ("time_entry",),
    "allocations": ("allocation",),
    "budgets": ("budget",),
    "costs": ("cost_entry",),
    "status_updates": ("status_update",),
    "leave": ("leave",),
    "baselines": (),  # not an entity table; the bench's organisation sets none
    "raid_items": ("raid_item",),
    "milestone_history": (),  # record_history rows of the milestones: not an entity table
}


def tables_of(kind: str) -> tuple[str, ...]:
    """The tables a kind's report reads: the ones every report reads, then its own parts."""
    from pmosync.reports.kinds import DATASET_PARTS

    return ALWAYS + tuple(t for part in DATASET_PARTS[kind] for t in TABLES_OF_PART[part])


def scan(store: Store, tables: tuple[str, ...]) -> int:
    """The baseline: every live row of ``tables`` the reports need, fetched into tuples."""
    fetched: dict[str, list[tuple[Any, ...]]] = {}
    with store.engine.connect() as connection:
        for name in tables:
            columns = SCAN_COLUMNS[name]
            table = ENTITY_TABLES[ENTITIES[name]]
            query = select(*(table.c[column] for column in columns)).where(
                table.c.deleted_at.is_(None)
            )
            fetched[name] = [tuple(row) for row in connection.execute(query)]
    return sum(len(rows) for rows in fetched.values())


def scan_all(store: Store) -> float:
    """Seconds to scan, for each kind, the rows that kind reads."""
    seconds, rows = 0.0, 0
    for kind in KINDS:
        began = time.perf_counter()
        rows += scan(store, tables_of(kind))
        seconds += time.perf_counter() - began
    log(f"scan {seconds:.2f}s ({rows} rows over the four kinds)")
    return seconds


def warm_imports() -> None:
    """Import what the report path imports on first use (matplotlib, XlsxWriter, jinja2, the
    builders): a once-per-process cost that does not grow with the store, timed apart."""
    import jinja2  # noqa: F401
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.figure  # noqa: F401
    import xlsxwriter  # noqa: F401

    from pmosync.reports.kinds import builder
    from pmosync.reports.render import render_files  # noqa: F401

    for kind in KINDS:
        builder(kind)


def bench_config(url: str, reports: dict[str, Any]) -> PmosyncConfig:
    """The bench's configuration: its store, every hour at 90 EUR, and ``reports``."""
    from pmosync.config import PmosyncConfig

    return PmosyncConfig.model_validate(
        {
            "store": url,
            "resources": {"hourly_rates": {"currency": "EUR", "default": 90}},
            "reports": reports,
        }
    )


def run_reports(
    store: Store, url: str, folder: Path, as_of: date = AS_OF
) -> tuple[dict[str, float], dict[str, int]]:
    """Compute and render every kind as of ``as_of``, writing the files; returns seconds per
    kind and the bytes written per format."""
    from pmosync.reports.collector import collector_paused
    from pmosync.reports.job import compute_document
    from pmosync.reports.render import render_files

    config = bench_config(
        url,
        {
            kind.replace("_", "-"): {"kind": kind, "formats": FORMATS, "as_of": AS_OF}
            for kind in KINDS
        },
    )
    seconds: dict[str, float] = {}
    written = dict.fromkeys(FORMATS, 0)
    for kind in KINDS:
        began = time.perf_counter()
        with collector_paused():  # as a report run computes and renders
            document = compute_document(config, store, kind.replace("_", "-"), as_of)
            files = render_files(document, FORMATS)
        for rendered in files:
            (folder / rendered.name).write_bytes(rendered.content)
            suffix = Path(rendered.name).suffix.lstrip(".")
            written[suffix] = written.get(suffix, 0) + len(rendered.content)
        seconds[kind] = time.perf_counter() - began
        log(f"{kind} as of {as_of}: {seconds[kind]:.2f}s")
    return seconds, written


def time_pdf(store: Store, url: str, folder: Path) -> tuple[float, int]:
    """Seconds to compute the board pack (the executive summary and a one-pager per project,
    each with its milestone trend and S-curve) and render it as PDF, charts drawn and the file
    written; and its size in bytes. WeasyPrint's first load is inside it (a daemon pays it
    once)."""
    from pmosync.reports.collector import collector_paused
    from pmosync.reports.job import compute_document
    from pmosync.reports.render import render_files

    config = bench_config(
        url, {"board": {"kind": "board_pack", "formats": ["pdf"], "as_of": AS_OF}}
    )
    began = time.perf_counter()
    with collector_paused():
        document = compute_document(config, store, "board", AS_OF)
        [rendered] = render_files(document, ["pdf"])
    (folder / rendered.name).write_bytes(rendered.content)
    seconds = time.perf_counter() - began
    log(f"board pack as PDF: {seconds:.2f}s, {len(rendered.content) / 1024:.0f} KB")
    return seconds, len(rendered.content)


def pdf_in_child(url: str) -> dict[str, Any]:
    """``time_pdf`` in a process of its own, so the board pack's memory (WeasyPrint holds
    every laid-out page) is its own figure, ``pdf_peak_rss_mb``, apart from the four reports'
    ``peak_rss_mb``."""
    import json
    import subprocess

    result = subprocess.run(
        [sys.executable, __file__, "--pdf-of", url], capture_output=True, text=True, check=True
    )
    sys.stderr.write(result.stderr)
    return json.loads(result.stdout.strip().splitlines()[-1])


def email_body_size(store: Store, url: str) -> int:
    """Bytes of the email body's HTML of the portfolio status report (the compact page, at
    most ``html.EMAIL_ROWS`` rows a section; its charts are MIME parts of their own)."""
    from pmosync.reports.job import compute_document
    from pmosync.reports.render import email_html

    config = bench_config(url, {"weekly": {"kind": "portfolio_status", "formats": ["html"]}})
    document = compute_document(config, store, "weekly", AS_OF)
    size = len(email_html(document).html.encode("utf-8"))
    log(f"portfolio status email body: {size / 1024:.1f} KB of HTML")
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="M", choices=sorted(SIZES))
    parser.add_argument(
        "--scan-only", action="store_true", help="build the store and time the baseline only"
    )
    parser.add_argument("--pdf-of", help=argparse.SUPPRESS)  # the child of pdf_in_child
    args = parser.parse_args()
    if args.pdf_of:
        with Store.open(args.pdf_of) as store:
            seconds, size = time_pdf(store, args.pdf_of, Path(tempfile.gettempdir()))
        emit({"pdf_s": round(seconds, 2), "pdf_kb": round(size / 1024, 1), "rss": peak_rss_mb()})
        return
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        url = f"sqlite:///{folder}/reports.db"
        with Store.open(url) as store:
            began = time.perf_counter()
            counts = build_store(store, args.size)
            setup_s = time.perf_counter() - began
            log(
                f"setup {setup_s:.1f}s ({sum(counts.values())} records: {counts}); "
                f"peak RSS so far {peak_rss_mb()} MB"
            )
            figures: dict[str, Any] = {
                "bench": "reports",
                "size": args.size,
                "projects": counts.get("project", 0),
                "tasks": counts.get("task", 0),
                "time_entries": counts.get("time_entry", 0),
                "history_rows": history_rows(store),
            }
            cold_scan_s = scan_all(store)
            if args.scan_only:
                figures.update(scan_s=round(cold_scan_s, 3), peak_rss_mb=peak_rss_mb())
                emit(figures)
                return
            began = time.perf_counter()
            warm_imports()
            imports_s = time.perf_counter() - began
            log(f"imports {imports_s:.2f}s")
            cold, written = run_reports(store, url, folder)
            scan_s = scan_all(store)
            warm, _ = run_reports(store, url, folder)
            back, _ = run_reports(store, url, folder, AS_OF - timedelta(days=BACK_DAYS))
            email_bytes = email_body_size(store, url)
            pdf = pdf_in_child(url)
    reports_s, cold_reports_s = sum(warm.values()), sum(cold.values())
    asof_reports_s = sum(back.values())
    figures.update(
        reports_s=round(reports_s, 2),
        scan_s=round(scan_s, 3),
        ratio=round(reports_s / scan_s, 2),
        per_kind_s={kind: round(s, 3) for kind, s in warm.items()},
        asof_reports_s=round(asof_reports_s, 2),
        asof_ratio=round(asof_reports_s / reports_s, 2),
        cold_reports_s=round(cold_reports_s, 2),
        cold_scan_s=round(cold_scan_s, 3),
        cold_ratio=round(cold_reports_s / cold_scan_s, 2),
        imports_s=round(imports_s, 2),
        html_kb=round(written["html"] / 1024, 1),
        xlsx_kb=round(written["xlsx"] / 1024, 1),
        email_html_kb=round(email_bytes / 1024, 1),
        pdf_s=pdf["pdf_s"],
        pdf_kb=pdf["pdf_kb"],
        pdf_peak_rss_mb=pdf["rss"],
        peak_rss_mb=peak_rss_mb(),
    )
    emit(figures)


if __name__ == "__main__":
    main()
