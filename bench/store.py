"""How much the store's one write path costs against a raw SQLAlchemy Core insert.

Upserts 100,000 tasks into a fresh SQLite store in pages of 1,000 (one transaction each, as a
sync commits them): fresh, then the same again unchanged, then with 10% changed. In the same run
it inserts the same rows with ``connection.execute(table.insert(), rows)`` into another fresh
database: the baseline. Only the store calls are timed; building the records is not.

    python bench/store.py [--rows N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import emit, peak_rss_mb  # noqa: E402

from pmosync.canonical import Phase, Project, Task  # noqa: E402
from pmosync.canonical.tables import ENTITY_TABLES  # noqa: E402
from pmosync.store import Store  # noqa: E402

PAGE = 1000
SOURCE = "bench"


def tasks(rows: int, start: int, changed_every: int = 0) -> Iterator[list[Task]]:
    """Pages of realistic tasks; every ``changed_every``-th one renamed and re-dated."""
    base = date(2026, 1, 5)
    stamp = datetime(2026, 11, 1, tzinfo=UTC)
    for first in range(start, start + rows, PAGE):
        page = []
        for n in range(first, min(first + PAGE, start + rows)):
            changed = changed_every and n % changed_every == 0
            project = f"p{n // 250}"
            page.append(
                Task(
                    source=SOURCE,
                    source_id=str(1_200_000_000_000_000 + n),
                    source_url=f"https://app.asana.com/0/{project}/{n}",
                    updated_at=stamp + timedelta(minutes=n % 997 + (5 if changed else 0)),
                    project_id=Project.ref(SOURCE, project),
                    phase_id=Phase.ref(SOURCE, f"s{n // 25}"),
                    name=f"Task {n} {'revised' if changed else 'draft'}",
                    is_milestone=n % 50 == 0,
                    status=("not_started", "in_progress", "done")[n % 3],
                    start_date=base + timedelta(days=n % 90),
                    due_date=base + timedelta(days=n % 90 + 14 + (7 if changed else 0)),
                    percent_complete=float(n % 101),
                    estimate_hours=float(n % 40),
                    priority=("low", "medium", "high", "urgent")[n % 4],
                    tags=["bench", f"t{n % 7}"],
                )
            )
        yield page


def timed_upserts(store: Store, pages: Iterator[list[Task]]) -> tuple[float, dict[str, int]]:
    elapsed, totals = 0.0, {"inserted": 0, "updated": 0, "unchanged": 0}
    for page in pages:
        began = time.perf_counter()
        counts = store.upsert(page)
        elapsed += time.perf_counter() - began
        for key in totals:
            totals[key] += getattr(counts, key)
    return elapsed, totals


def timed_baseline(store: Store, rows: int) -> float:
    """Raw Core executemany of the same rows (dumped up front, outside the clock)."""
    table = ENTITY_TABLES[Task]
    now = datetime.now(UTC)
    elapsed = 0.0
    for page in tasks(rows, 0):
        dumped = [{**t.model_dump(), "row_hash": None, "synced_at": now} for t in page]
        began = time.perf_counter()
        with store.engine.begin() as connection:
            connection.execute(table.insert(), dumped)
        elapsed += time.perf_counter() - began
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as folder:
        with Store.open(f"sqlite:///{folder}/baseline.db") as baseline_store:
            baseline_s = timed_baseline(baseline_store, rows)
        with Store.open(f"sqlite:///{folder}/store.db") as store:
            fresh_s, fresh = timed_upserts(store, tasks(rows, 0))
            same_s, same = timed_upserts(store, tasks(rows, 0))
            changed_s, changed = timed_upserts(store, tasks(rows, 0, changed_every=10))
    assert fresh["inserted"] == rows and same["unchanged"] == rows, (fresh, same)
    assert changed["updated"] == rows // 10, changed
    print(
        f"fresh {fresh_s:.2f}s, unchanged {same_s:.2f}s, 10% changed {changed_s:.2f}s, "
        f"baseline insert {baseline_s:.2f}s"
    )
    emit(
        {
            "bench": "store",
            "rows": rows,
            "upsert_rows_per_s": round(rows / fresh_s),
            "unchanged_rows_per_s": round(rows / same_s),
            "changed_10pct_rows_per_s": round(rows / changed_s),
            "baseline_rows_per_s": round(rows / baseline_s),
            "ratio": round(baseline_s / fresh_s, 3),
            "peak_rss_mb": peak_rss_mb(),
        }
    )


if __name__ == "__main__":
    main()
